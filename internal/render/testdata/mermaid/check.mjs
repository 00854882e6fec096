// Parses each file given with Mermaid's own parser (mermaid.parse, which
// needs a DOM: jsdom stands in for the browser) and prints one line per file:
// "FILE: ok TYPE" or "FILE: error MESSAGE". Exits 1 when any file fails.
import { JSDOM } from 'jsdom';
import { readFileSync } from 'node:fs';

const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false });

let failed = 0;
for (const file of process.argv.slice(2)) {
  try {
    const result = await mermaid.parse(readFileSync(file, 'utf8'));
    console.log(`${file}: ok ${result.diagramType}`);
  } catch (e) {
    failed++;
    console.log(`${file}: error ${String(e.message ?? e).replaceAll('\n', ' | ')}`);
  }
}
process.exit(failed ? 1 : 0);
