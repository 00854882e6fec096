package tree

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// entry is one path of a directory as the tests compare it: type and permissions, plus the
// SHA-256 of a file's content or a symlink's target.
type entry struct {
	Mode fs.FileMode
	Sum  string
}

// snapshot records every entry below dir (the root as "."), byte for byte and mode for mode.
func snapshot(t testing.TB, dir string) map[string]entry {
	t.Helper()
	snap := map[string]entry{}
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		var content []byte
		switch {
		case info.Mode().IsRegular():
			content, err = os.ReadFile(p)
		case info.Mode()&fs.ModeSymlink != 0:
			var target string
			target, err = os.Readlink(p)
			content = []byte(target)
		}
		if err != nil {
			return err
		}
		sum := ""
		if !info.IsDir() {
			s := sha256.Sum256(content)
			sum = hex.EncodeToString(s[:])
		}
		snap[filepath.ToSlash(rel)] = entry{Mode: info.Mode(), Sum: sum}
		return nil
	})
	if err != nil {
		t.Fatalf("snapshot %s: %v", dir, err)
	}
	return snap
}

// sameSnapshot fails the test with the first differences between two snapshots.
func sameSnapshot(t testing.TB, what string, got, want map[string]entry) {
	t.Helper()
	if maps.Equal(got, want) {
		return
	}
	var diffs []string
	for _, p := range slices.Sorted(maps.Keys(want)) {
		if g, ok := got[p]; !ok {
			diffs = append(diffs, "missing "+p)
		} else if g != want[p] {
			diffs = append(diffs, "differs "+p)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[p]; !ok {
			diffs = append(diffs, "extra "+p)
		}
	}
	t.Fatalf("%s: %d differences, first: %s", what, len(diffs), strings.Join(diffs[:min(len(diffs), 8)], "; "))
}

// leftovers lists the sibling directories a Write left beside dir.
func leftovers(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "."+filepath.Base(dir)+".harborgen-") {
			names = append(names, e.Name())
		}
	}
	return names
}

func noLeftovers(t testing.TB, dir string) {
	t.Helper()
	if names := leftovers(t, dir); len(names) > 0 {
		t.Fatalf("leftovers beside %s: %v", dir, names)
	}
}

// build makes a tree of files, failing the test on any rejection.
func build(t testing.TB, files ...File) *Tree {
	t.Helper()
	tr := &Tree{}
	for _, f := range files {
		if err := tr.Add(f); err != nil {
			t.Fatal(err)
		}
	}
	return tr
}

// demoFiles is a small two-node tree with a script, secrets and a nested secrets directory.
func demoFiles() []File {
	return []File{
		{Path: ".gitignore", Data: []byte("secrets/\n")},
		{Path: "README.md", Data: []byte("# harbor-prod\n\n1. registry01\n2. registry02\n")},
		{Path: "nodes/registry01/docker-compose.yml", Data: []byte("services:\n  core:\n    image: goharbor/harbor-core\n")},
		{Path: "nodes/registry01/bootstrap.sh", Data: []byte("#!/bin/sh\nset -eu\n"), Mode: ModeScript},
		{Path: "nodes/registry01/secrets/core.env", Data: []byte("CORE_SECRET=registry01-core-secret\n"), Secret: true},
		{Path: "nodes/registry02/docker-compose.yml", Data: []byte("services:\n  redis:\n    image: redis\n")},
		{Path: "nodes/registry02/secrets/core.env", Data: []byte("CORE_SECRET=registry02-core-secret\n"), Secret: true},
		{Path: "nodes/registry02/secrets/tls/registry.key", Data: []byte("-----BEGIN PRIVATE KEY-----\n"), Secret: true},
	}
}

// without returns files minus those whose path starts with one of prefixes.
func without(files []File, prefixes ...string) []File {
	return slices.DeleteFunc(slices.Clone(files), func(f File) bool {
		return slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(f.Path, p) })
	})
}

// replaced returns files with the data of path replaced.
// changedDemo is demoFiles with one file changed: Write rebuilds the tree instead of leaving
// it in place.
func changedDemo() []File {
	return replaced(demoFiles(), "README.md", "# harbor-prod\n\nchanged\n")
}

func replaced(files []File, path, data string) []File {
	files = slices.Clone(files)
	for i := range files {
		if files[i].Path == path {
			files[i].Data = []byte(data)
		}
	}
	return files
}

func mustWrite(t testing.TB, dir string, tr *Tree) Report {
	t.Helper()
	report, err := Write(dir, tr)
	if err != nil {
		t.Fatal(err)
	}
	return report
}

func writeRaw(t testing.TB, name, data string, mode fs.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(name, mode); err != nil {
		t.Fatal(err)
	}
}

// setFailpoint makes Write fail with err at step, for the rest of the test.
func setFailpoint(t testing.TB, step string, err error) {
	failpoint = func(s string) error {
		if s == step {
			return err
		}
		return nil
	}
	t.Cleanup(func() { failpoint = nil })
}

// noExchange makes Write take the two-rename fallback, for the rest of the test.
func noExchange(t testing.TB) {
	exchange = func(a, b string) error { return errNoExchange }
	t.Cleanup(func() { exchange = renameExchange })
}
