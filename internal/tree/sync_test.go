package tree

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestWriteSyncsOnce: the new tree is made durable once before the exchange (one syncfs where
// it reports errors) instead of one fsync per file; without syncfs every file and directory
// is fsynced, files before their directories. A sync that fails leaves the previous tree.
func TestWriteSyncsOnce(t *testing.T) {
	for _, tc := range []struct {
		name   string
		syncfs bool
	}{{"syncfs", true}, {"fsync each entry", false}} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.syncfs && !syncfsReportsErrors() {
				t.Fatal("this kernel's syncfs does not report errors (Linux before 5.8): the test needs 5.8 or later")
			}
			defer func(ok bool) { syncfsOK = ok }(syncfsOK)
			syncfsOK = tc.syncfs
			dir := filepath.Join(t.TempDir(), "out")
			mustWrite(t, dir, build(t, demoFiles()...))
			writeRaw(t, filepath.Join(dir, "notes", "NOTES.txt"), "operator notes\n", 0o640)

			var steps []string
			failpoint = func(step string) error {
				if step == "syncfs" || strings.HasPrefix(step, "sync ") || step == "swap" {
					steps = append(steps, step)
				}
				return nil
			}
			defer func() { failpoint = nil }()
			next := build(t, demoFiles()...)
			mustWrite(t, dir, next)

			var want []string
			if tc.syncfs {
				want = []string{"syncfs", "swap"}
			} else {
				for _, f := range next.withManifest() {
					want = append(want, "sync "+f.Path)
				}
				// NOTES.txt is a hard link to the previous tree's file: durable already.
				dirs := map[string]bool{"notes": true}
				for _, f := range next.withManifest() {
					for _, d := range ancestors(f.Path) {
						dirs[d] = true
					}
				}
				var sorted []string
				for d := range dirs {
					sorted = append(sorted, d)
				}
				slices.SortFunc(sorted, func(a, b string) int { return strings.Compare(b, a) })
				for _, d := range sorted {
					want = append(want, "sync "+d)
				}
				want = append(want, "sync .", "swap")
			}
			if !slices.Equal(steps, want) {
				t.Errorf("sync steps:\n%s\nwant:\n%s", strings.Join(steps, "\n"), strings.Join(want, "\n"))
			}

			// A failed sync leaves the previous tree and nothing beside it.
			before := snapshot(t, dir)
			injected := errors.New("injected sync failure")
			step := "syncfs"
			if !tc.syncfs {
				step = "sync nodes/registry01"
			}
			setFailpoint(t, step, injected)
			if _, err := Write(dir, build(t, without(demoFiles(), "nodes/registry02/")...)); !errors.Is(err, injected) {
				t.Fatalf("Write error = %v, want the injected failure", err)
			}
			sameSnapshot(t, "after a failed sync", snapshot(t, dir), before)
			noLeftovers(t, dir)
		})
	}
}
