package render_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/harborgen/harborgen/internal/escape"
	"github.com/harborgen/harborgen/internal/render"
)

// mermaidDir holds the Mermaid parser the diagram test runs (package.json,
// package-lock.json and check.mjs; npm ci installs node_modules there).
const mermaidDir = "testdata/mermaid"

// mermaidInstall installs the pinned parser with npm ci when it is missing,
// and fails (never skips) when node or npm is not installed.
func mermaidInstall(t *testing.T) {
	t.Helper()
	for _, prog := range []string{"node", "npm"} {
		if _, err := exec.LookPath(prog); err != nil {
			t.Fatalf("%s is missing: the runbook's Mermaid diagram is checked by Mermaid itself under Node.js; "+
				"install it: sudo apt-get install -y nodejs npm (make deps does)", prog)
		}
	}
	if _, err := os.Stat(filepath.Join(mermaidDir, "node_modules", "mermaid", "package.json")); err == nil {
		return
	}
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts")
	cmd.Dir = mermaidDir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in %s: %v\n%s", mermaidDir, err, out)
	}
}

// mermaidParse runs the real Mermaid parser over diagrams (name -> text) and
// returns each one's result line.
func mermaidParse(t *testing.T, diagrams map[string]string) map[string]string {
	t.Helper()
	mermaidInstall(t)
	dir := t.TempDir()
	args := []string{"check.mjs"}
	for name, text := range diagrams {
		f := filepath.Join(dir, name+".mmd")
		if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, f)
	}
	cmd := exec.Command("node", args...)
	cmd.Dir = mermaidDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("node check.mjs: %v\n%s", err, stderr.String())
	}
	results := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		file, result, _ := strings.Cut(line, ": ")
		results[strings.TrimSuffix(filepath.Base(file), ".mmd")] = result
	}
	if len(results) != len(diagrams) {
		t.Fatalf("node check.mjs answered for %d of %d diagrams: %s%s", len(results), len(diagrams), out, stderr.String())
	}
	return results
}

// runbookDiagram is the body of the rendered runbook's mermaid block.
func runbookDiagram(t *testing.T, readme []byte) string {
	t.Helper()
	_, rest, ok := strings.Cut(string(readme), "\n```mermaid\n")
	body, _, ok2 := strings.Cut(rest, "\n```\n")
	if !ok || !ok2 {
		t.Fatal("the runbook has no ```mermaid block")
	}
	return body + "\n"
}

// TestRunbookDiagramParsesWithMermaid: the topology diagram of every example's
// runbook, and one whose labels hold every character a label must escape,
// pass Mermaid's own parser as a flowchart; a diagram with a syntax error
// injected fails it, so the check can fail.
func TestRunbookDiagramParsesWithMermaid(t *testing.T) {
	diagrams := map[string]string{}
	for _, example := range examples {
		s, _ := loadPlan(t, example)
		_, tr, _ := renderSpec(t, s)
		for _, f := range tr.Files() {
			if f.Path == "README.md" {
				diagrams[example] = runbookDiagram(t, f.Data)
			}
		}
	}
	_, p := loadPlan(t, "two-site-dr")
	hostile := *p
	hostile.Cluster, hostile.Hostname = `a"b]#quot;<br>&amp;`+"`x`"+`{c}|d;e%%`, `end"-->x["`
	d, err := render.Topology(&hostile)
	if err != nil {
		t.Fatal(err)
	}
	diagrams["hostile-labels"] = d + "\n"
	diagrams["broken"] = strings.Replace(diagrams["ha-modern"], `"]`, `"`, 1)
	diagrams["broken-label"] = diagrams["ha-modern"] + `  x["a"b"]` + "\n" // an unescaped quote

	results := mermaidParse(t, diagrams)
	for name, result := range results {
		wantOK := !strings.HasPrefix(name, "broken")
		t.Logf("%s: %s", name, result)
		if got := result == "ok flowchart-v2"; got != wantOK {
			t.Errorf("%s: Mermaid says %q, want ok=%v\n%s", name, result, wantOK, diagrams[name])
		}
	}
}

// TestTopologyLabelsAreEscaped: a value that is not one line of text is an
// error, not a broken diagram.
func TestTopologyLabelsAreEscaped(t *testing.T) {
	_, p := loadPlan(t, "ha-modern")
	bad := *p
	bad.Hostname = "a\nb"
	if _, err := render.Topology(&bad); !errors.Is(err, escape.ErrUnrepresentable) {
		t.Fatalf("got %v, want ErrUnrepresentable", err)
	}
}
