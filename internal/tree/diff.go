package tree

import (
	"bytes"
	"fmt"
	"io/fs"

	"github.com/aymanbagabas/go-udiff"
)

// contextLines is the number of unchanged lines around each hunk, as diff -u and git diff.
const contextLines = 3

// Diff returns what Write would change in dir, as a git-style unified diff of the committed files
// in path order (`git apply` takes it). A secret is never shown: a secret file Write would add,
// change or remove is one line, "secret <path> added|changed|removed". Foreign files, which Write
// keeps, do not appear. Nothing is written.
func Diff(dir string, t *Tree) ([]byte, error) {
	root, err := outputDir(dir)
	if err != nil {
		return nil, err
	}
	p, err := makePlan(root, t)
	if err != nil {
		return nil, fmt.Errorf("diff %s: %w", dir, err)
	}
	var b bytes.Buffer
	for _, rel := range p.changed() {
		if err := p.diffFile(&b, rel); err != nil {
			return nil, fmt.Errorf("diff %s: %w", dir, err)
		}
	}
	return b.Bytes(), nil
}

// diffFile writes the diff of one path Write would add, change or remove.
func (p *plan) diffFile(b *bytes.Buffer, rel string) error {
	f, inTree := p.byPath[rel]
	oldMode, onDisk := p.disk.entries[rel]
	if underSecrets(rel) {
		verb := "changed"
		if !onDisk {
			verb = "added"
		} else if !inTree {
			verb = "removed"
		}
		fmt.Fprintf(b, "secret %s %s\n", rel, verb)
		return nil
	}
	old, err := p.disk.read(rel)
	if err != nil {
		return err
	}
	fmt.Fprintf(b, "diff --git a/%s b/%s\n", rel, rel)
	from, to := "a/"+rel, "b/"+rel
	switch {
	case !onDisk:
		fmt.Fprintf(b, "new file mode %s\n", gitMode(f.Mode))
		from = "/dev/null"
	case !inTree:
		fmt.Fprintf(b, "deleted file mode %s\n", gitMode(oldMode))
		to = "/dev/null"
	case gitMode(oldMode) != gitMode(f.Mode):
		fmt.Fprintf(b, "old mode %s\nnew mode %s\n", gitMode(oldMode), gitMode(f.Mode))
	}
	switch {
	case bytes.Equal(old, f.Data):
		// a mode change, or an empty file added or removed: the header says it all
	case isBinary(old) || isBinary(f.Data):
		fmt.Fprintf(b, "Binary files %s and %s differ\n", from, to)
	default:
		before, after := string(old), string(f.Data)
		hunks, err := udiff.ToUnified(from, to, before, udiff.Lines(before, after), contextLines)
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		b.WriteString(hunks)
	}
	return nil
}

// gitMode is the mode git records for an entry.
func gitMode(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "120000"
	case isExecutable(m):
		return "100755"
	}
	return "100644"
}

// isBinary is git's test: a NUL byte in the first 8000 bytes.
func isBinary(data []byte) bool {
	return bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0
}
