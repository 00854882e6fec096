package tree

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
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
			// A changed file, so that the tree is rebuilt and exchanged (an identical one is left
			// in place: TestWriteUnchangedInPlace).
			next := build(t, changedDemo()...)
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

// TestForEachLowestError: whichever call fails first, forEach returns the error of the lowest
// failing index, and every call below it ran.
func TestForEachLowestError(t *testing.T) {
	for _, tc := range []struct {
		name    string
		failing []int
		want    int
	}{{"none", nil, -1}, {"one", []int{40}, 40}, {"several", []int{90, 7, 55}, 7}, {"first", []int{0, 1}, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			for range 20 {
				var ran [100]atomic.Bool
				err := forEach(len(ran), func(i int) error {
					ran[i].Store(true)
					if slices.Contains(tc.failing, i) {
						return fmt.Errorf("call %d", i)
					}
					return nil
				})
				switch {
				case tc.want < 0 && err != nil:
					t.Fatal(err)
				case tc.want >= 0 && (err == nil || err.Error() != fmt.Sprintf("call %d", tc.want)):
					t.Fatalf("error %v, want call %d", err, tc.want)
				}
				for i := 0; i < tc.want; i++ {
					if !ran[i].Load() {
						t.Fatalf("call %d, below the failing %d, did not run", i, tc.want)
					}
				}
			}
		})
	}
}
