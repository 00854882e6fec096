package tree

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// TestWriteUnchangedInPlace: a tree on disk that is already, byte for byte and mode for mode,
// what Write would build is left in place (nothing written, nothing exchanged, the same
// inodes) and made durable; any difference that a rebuild would repair makes Write rebuild,
// and the result is then what a first Write into an empty directory gives.
func TestWriteUnchangedInPlace(t *testing.T) {
	for _, tc := range []struct {
		name    string
		change  func(t *testing.T, dir string) // after the first Write; nil: none
		inPlace bool
	}{
		{name: "identical", inPlace: true},
		{name: "identical with an operator's file", inPlace: true, change: func(t *testing.T, dir string) {
			writeRaw(t, filepath.Join(dir, "notes", "NOTES.txt"), "operator notes\n", 0o640)
		}},
		{name: "a file's group-write bit", change: chmodAfter("nodes/registry02/docker-compose.yml", 0o664)},
		{name: "a script no longer executable", change: chmodAfter("nodes/registry01/bootstrap.sh", 0o644)},
		{name: "a secret readable by the group", change: chmodAfter("nodes/registry01/secrets/core.env", 0o640)},
		{name: "a directory's mode", change: chmodAfter("nodes/registry01", 0o775)},
		{name: "a secrets directory's mode", change: chmodAfter("nodes/registry02/secrets/tls", 0o755)},
		{name: "the root's mode", change: chmodAfter(".", 0o700)},
		{name: "an empty directory", change: func(t *testing.T, dir string) {
			if err := os.Mkdir(filepath.Join(dir, "nodes", "empty"), 0o755); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "a secrets record", change: func(t *testing.T, dir string) {
			writeRaw(t, filepath.Join(dir, "nodes/registry01/secrets", SecretsRecord), "", 0o600)
		}},
		{name: "a file's content", change: func(t *testing.T, dir string) {
			writeRaw(t, filepath.Join(dir, "README.md"), "edited\n", 0o644)
		}},
		{name: "a missing file", change: func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "nodes/registry02/docker-compose.yml")); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, withSyncfs := range []bool{true, false} {
				defer func(ok bool) { syncfsOK = ok }(syncfsOK)
				syncfsOK = withSyncfs && syncfsReportsErrors()

				fresh := filepath.Join(t.TempDir(), "out")
				mustWrite(t, fresh, build(t, demoFiles()...))
				dir := filepath.Join(t.TempDir(), "out")
				mustWrite(t, dir, build(t, demoFiles()...))
				if tc.change != nil {
					tc.change(t, dir)
				}
				if tc.name == "identical with an operator's file" {
					writeRaw(t, filepath.Join(fresh, "notes", "NOTES.txt"), "operator notes\n", 0o640)
				}
				inodes := inodesOf(t, dir)

				var steps []string
				failpoint = func(step string) error {
					steps = append(steps, step)
					return nil
				}
				report := mustWrite(t, dir, build(t, demoFiles()...))
				failpoint = nil

				sameSnapshot(t, "after the second Write", snapshot(t, dir), snapshot(t, fresh))
				noLeftovers(t, dir)
				rebuilt := slices.Contains(steps, "swap")
				if rebuilt == tc.inPlace {
					t.Fatalf("syncfs=%v: rebuilt=%v, want in place=%v (steps: %s)", syncfsOK, rebuilt, tc.inPlace, strings.Join(steps, ", "))
				}
				if !tc.inPlace {
					continue
				}
				if !slices.Equal(inodesOf(t, dir), inodes) {
					t.Error("a tree left in place has new inodes: it was rewritten")
				}
				if len(report.Unchanged) != len(demoFiles())+1 || len(report.Added)+len(report.Changed)+len(report.Removed) > 0 {
					t.Errorf("report = %+v, want every file and MANIFEST unchanged", report)
				}
				// Made durable as a rebuilt tree is: one syncfs, or every entry.
				wantSync := []string{"syncfs"}
				if !syncfsOK {
					wantSync = nil
					for _, s := range steps {
						if strings.HasPrefix(s, "sync ") {
							wantSync = append(wantSync, s)
						}
					}
					if !slices.Contains(wantSync, "sync nodes/registry01/secrets/core.env") || !slices.Contains(wantSync, "sync .") {
						t.Errorf("fsync steps in place: %v", wantSync)
					}
				}
				if got := slices.DeleteFunc(slices.Clone(steps), func(s string) bool { return s != "syncfs" && !strings.HasPrefix(s, "sync ") }); !slices.Equal(got, wantSync) {
					t.Errorf("steps in place = %v, want %v", steps, wantSync)
				}
			}
		})
	}
}

func chmodAfter(rel string, mode os.FileMode) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		if err := os.Chmod(filepath.Join(dir, filepath.FromSlash(rel)), mode); err != nil {
			t.Fatal(err)
		}
	}
}

// inodesOf lists "path inode" for every entry below dir, sorted.
func inodesOf(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		out = append(out, fmt.Sprintf("%s %d", p, info.Sys().(*syscall.Stat_t).Ino))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
