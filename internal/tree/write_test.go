package tree

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestWriteTwiceIsIdentical(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fallback bool
	}{{"exchange", false}, {"two renames", true}} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.fallback {
				noExchange(t)
			}
			dir := filepath.Join(t.TempDir(), "out")
			tr := build(t, demoFiles()...)
			first := mustWrite(t, dir, tr)
			want := snapshot(t, dir)
			second := mustWrite(t, dir, tr)
			sameSnapshot(t, "second write", snapshot(t, dir), want)
			noLeftovers(t, dir)
			if len(first.Added) != len(demoFiles())+1 || len(first.Changed)+len(first.Unchanged)+len(first.Removed) != 0 {
				t.Errorf("first write report = %+v, want every file (and MANIFEST) added", first)
			}
			if len(second.Unchanged) != len(demoFiles())+1 || len(second.Added)+len(second.Changed)+len(second.Removed) != 0 {
				t.Errorf("second write report = %+v, want every file unchanged", second)
			}
		})
	}
}

func TestWriteReportsAndPrunes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	mustWrite(t, dir, build(t, demoFiles()...))
	// registry02 leaves the cluster; registry01's compose file changes; a runbook appears.
	next := without(demoFiles(), "nodes/registry02/")
	next = replaced(next, "nodes/registry01/docker-compose.yml", "services: {}\n")
	next = append(next, File{Path: "nodes/registry01/RUNBOOK.md", Data: []byte("# registry01\n")})
	report := mustWrite(t, dir, build(t, next...))

	for _, tc := range []struct {
		name      string
		got, want []string
	}{
		{"Added", report.Added, []string{"nodes/registry01/RUNBOOK.md"}},
		{"Changed", report.Changed, []string{ManifestName, "nodes/registry01/docker-compose.yml"}},
		{"Removed", report.Removed, []string{
			"nodes/registry02/docker-compose.yml",
			"nodes/registry02/secrets/core.env",
			"nodes/registry02/secrets/tls/registry.key",
		}},
		{"Unchanged", report.Unchanged, []string{
			".gitignore", "README.md", "nodes/registry01/bootstrap.sh", "nodes/registry01/secrets/core.env",
		}},
		{"Foreign", report.Foreign, nil},
	} {
		if !slices.Equal(tc.got, tc.want) {
			t.Errorf("Report.%s = %q, want %q", tc.name, tc.got, tc.want)
		}
	}
	if _, err := os.Lstat(filepath.Join(dir, "nodes/registry02")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the removed node's directory (with its secrets) is still there: %v", err)
	}
	fresh := filepath.Join(t.TempDir(), "out")
	mustWrite(t, fresh, build(t, next...))
	sameSnapshot(t, "pruned tree vs fresh write", snapshot(t, dir), snapshot(t, fresh))
}

func TestWriteKeepsForeignFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	mustWrite(t, dir, build(t, demoFiles()...))
	mtime := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	writeRaw(t, filepath.Join(dir, "NOTES.txt"), "call Bob before a failover\n", 0o640)
	writeRaw(t, filepath.Join(dir, "nodes/registry01/local/override.conf"), "debug = true\n", 0o600)
	writeRaw(t, filepath.Join(dir, "nodes/registry02/hardware.txt"), "rack 4\n", 0o644)
	if err := os.Chtimes(filepath.Join(dir, "NOTES.txt"), mtime, mtime); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("nodes/registry01", filepath.Join(dir, "primary")); err != nil {
		t.Fatal(err)
	}
	foreign := []string{"NOTES.txt", "nodes/registry01/local/override.conf", "nodes/registry02/hardware.txt", "primary"}
	before := snapshot(t, dir)

	// registry02 leaves: its rendered files go, the operator's file keeps its directory.
	report := mustWrite(t, dir, build(t, without(demoFiles(), "nodes/registry02/")...))

	if !slices.Equal(report.Foreign, foreign) {
		t.Errorf("Report.Foreign = %q, want %q", report.Foreign, foreign)
	}
	after := snapshot(t, dir)
	for _, p := range foreign {
		if after[p] != before[p] {
			t.Errorf("foreign %s: %+v, was %+v", p, after[p], before[p])
		}
	}
	for _, p := range []string{"nodes/registry02/docker-compose.yml", "nodes/registry02/secrets"} {
		if _, ok := after[p]; ok {
			t.Errorf("%s survived its node's removal", p)
		}
	}
	if info, err := os.Stat(filepath.Join(dir, "NOTES.txt")); err != nil || !info.ModTime().Equal(mtime) {
		t.Errorf("NOTES.txt lost its modification time: %v, %v", info.ModTime(), err)
	}
	// Check follows Write's rule: the foreign files are kept, named, and are not drift.
	drift, err := Check(dir, build(t, without(demoFiles(), "nodes/registry02/")...))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(drift.Kept, foreign) || !drift.Empty() {
		t.Errorf("Check = %+v, want only the foreign files %q, kept", drift, foreign)
	}
}

func TestWriteRefusesToReplaceForeignFiles(t *testing.T) {
	for _, tc := range []struct {
		name    string
		path    string // written by hand into a tree without MANIFEST
		data    string
		wantErr bool
	}{
		{"different content at a tree path", "README.md", "my own readme\n", true},
		{"a file where the tree needs a directory", "nodes/registry01", "x\n", true},
		{"below a path the tree needs as a file", "README.md/old", "x\n", true},
		{"identical content (a lost MANIFEST)", "README.md", "# harbor-prod\n\n1. registry01\n2. registry02\n", false},
		{"unrelated", "NOTES.txt", "x\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			writeRaw(t, filepath.Join(dir, tc.path), tc.data, 0o644)
			before := snapshot(t, dir)
			_, err := Write(dir, build(t, demoFiles()...))
			if (err != nil) != tc.wantErr {
				t.Fatalf("Write error = %v, want error %v", err, tc.wantErr)
			}
			noLeftovers(t, dir)
			if tc.wantErr {
				if !strings.Contains(err.Error(), tc.path) {
					t.Errorf("error %q does not name %s", err, tc.path)
				}
				sameSnapshot(t, "after a refused write", snapshot(t, dir), before)
			}
		})
	}
}

func TestWriteFailureLeavesPreviousTree(t *testing.T) {
	injected := errors.New("injected failure")
	for _, tc := range []struct {
		name     string
		step     string
		fallback bool
	}{
		{"first file", "write .gitignore", false},
		{"a middle file", "write nodes/registry01/docker-compose.yml", false},
		{"a secret", "write nodes/registry01/secrets/core.env", false},
		{"MANIFEST", "write MANIFEST", false},
		{"copying a foreign file", "copy NOTES.txt", false},
		{"before the swap", "swap", false},
		{"between the fallback's renames", "between renames", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.fallback {
				noExchange(t)
			}
			dir := filepath.Join(t.TempDir(), "out")
			mustWrite(t, dir, build(t, demoFiles()...))
			writeRaw(t, filepath.Join(dir, "NOTES.txt"), "operator notes\n", 0o640)
			before := snapshot(t, dir)

			next := without(demoFiles(), "nodes/registry02/")
			next = replaced(next, "README.md", "# harbor-prod\n\n1. registry01\n")
			next = replaced(next, "nodes/registry01/secrets/core.env", "CORE_SECRET=rotated\n")
			setFailpoint(t, tc.step, injected)
			_, err := Write(dir, build(t, next...))
			if !errors.Is(err, injected) {
				t.Fatalf("Write error = %v, want the injected failure", err)
			}
			sameSnapshot(t, "after a failed write", snapshot(t, dir), before)
			noLeftovers(t, dir)
		})
	}
}

func TestWriteCleansLeftovers(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	mustWrite(t, dir, build(t, demoFiles()...))
	for _, name := range []string{".out.harborgen-new-123", ".out.harborgen-del-abc", ".out.harborgen-old-def"} {
		writeRaw(t, filepath.Join(parent, name, "nodes/x/secrets/core.env"), "half a tree\n", 0o600)
	}
	writeRaw(t, filepath.Join(parent, ".other.harborgen-new-1", "f"), "another output's\n", 0o644)
	mustWrite(t, dir, build(t, demoFiles()...))
	noLeftovers(t, dir)
	if _, err := os.Stat(filepath.Join(parent, ".other.harborgen-new-1")); err != nil {
		t.Errorf("Write removed another output directory's leftover: %v", err)
	}
}

// TestWriteRestoresTreeMovedAside covers a kill between the fallback's two renames: the output
// directory is missing and the complete previous tree sits beside it.
func TestWriteRestoresTreeMovedAside(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "out")
	mustWrite(t, dir, build(t, demoFiles()...))
	writeRaw(t, filepath.Join(dir, "NOTES.txt"), "operator notes\n", 0o640)
	want := snapshot(t, dir)
	if err := os.Rename(dir, filepath.Join(parent, ".out.harborgen-old-0123")); err != nil {
		t.Fatal(err)
	}
	if err := cleanLeftovers(dir); err != nil {
		t.Fatal(err)
	}
	sameSnapshot(t, "restored tree", snapshot(t, dir), want)
	noLeftovers(t, dir)

	// And through Write: the restored tree's foreign file is kept, which it could not be had
	// Write discarded the tree moved aside.
	if err := os.Rename(dir, filepath.Join(parent, ".out.harborgen-old-4567")); err != nil {
		t.Fatal(err)
	}
	report := mustWrite(t, dir, build(t, demoFiles()...))
	if !slices.Equal(report.Foreign, []string{"NOTES.txt"}) {
		t.Errorf("Report.Foreign = %q, want NOTES.txt from the restored tree", report.Foreign)
	}
	sameSnapshot(t, "rewritten restored tree", snapshot(t, dir), want)
}

func TestWriteThroughSymlink(t *testing.T) {
	parent := t.TempDir()
	real := filepath.Join(parent, "rendered")
	mustWrite(t, real, build(t, demoFiles()...))
	link := filepath.Join(parent, "out")
	if err := os.Symlink("rendered", link); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, link, build(t, without(demoFiles(), "README.md")...))
	if info, err := os.Lstat(link); err != nil || info.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("out is no longer a symlink: %v", err)
	}
	if _, err := os.Stat(filepath.Join(real, "README.md")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the linked directory was not rewritten: README.md %v", err)
	}
}

func TestWriteOverAFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	writeRaw(t, dir, "not a directory\n", 0o644)
	if _, err := Write(dir, build(t, demoFiles()...)); err == nil {
		t.Fatal("Write replaced a regular file")
	}
	if data, _ := os.ReadFile(dir); string(data) != "not a directory\n" {
		t.Errorf("the file was changed: %q", data)
	}
	noLeftovers(t, dir)
}

func TestWriteRejectsBadPreviousManifest(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	mustWrite(t, dir, build(t, demoFiles()...))
	writeRaw(t, filepath.Join(dir, ManifestName), "edited by hand\n", 0o644)
	before := snapshot(t, dir)
	if _, err := Write(dir, build(t, demoFiles()...)); err == nil || !strings.Contains(err.Error(), ManifestName) {
		t.Fatalf("Write error = %v, want one naming %s", err, ManifestName)
	}
	sameSnapshot(t, "after a refused write", snapshot(t, dir), before)
}

// TestWriteDeterministic writes one tree, added in two orders, into two directories under
// different GOMAXPROCS: the results match byte for byte and mode for mode.
func TestWriteDeterministic(t *testing.T) {
	files := demoFiles()
	reversed := slices.Clone(files)
	slices.Reverse(reversed)
	var snaps []map[string]entry
	var reports []Report
	for i, procs := range []int{1, 8} {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		dir := filepath.Join(t.TempDir(), "out")
		input := files
		if i == 1 {
			input = reversed
		}
		reports = append(reports, mustWrite(t, dir, build(t, input...)))
		snaps = append(snaps, snapshot(t, dir))
	}
	sameSnapshot(t, "GOMAXPROCS 8 vs 1", snaps[1], snaps[0])
	if !slices.Equal(reports[0].Added, reports[1].Added) {
		t.Errorf("reports differ: %v vs %v", reports[0].Added, reports[1].Added)
	}
}
