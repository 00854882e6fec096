package tree

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestCheck(t *testing.T) {
	compose := "nodes/registry01/docker-compose.yml"
	for _, tc := range []struct {
		name   string
		tree   []File // what render would write now; demoFiles when nil
		change func(t *testing.T, dir string)
		want   Drift
	}{
		{name: "right after Write", change: func(*testing.T, string) {}},
		{
			name:   "an edited file",
			change: func(t *testing.T, dir string) { writeRaw(t, filepath.Join(dir, compose), "edited\n", 0o644) },
			want:   Drift{Changed: []string{compose}},
		},
		{
			name:   "a deleted file",
			change: func(t *testing.T, dir string) { remove(t, filepath.Join(dir, compose)) },
			want:   Drift{Missing: []string{compose}},
		},
		{
			name: "an added file",
			change: func(t *testing.T, dir string) {
				writeRaw(t, filepath.Join(dir, "nodes/registry01/extra.conf"), "x\n", 0o644)
			},
			want: Drift{Kept: []string{"nodes/registry01/extra.conf"}},
		},
		{
			// What the MANIFEST on disk lists is harborgen's: gone from the tree, it is stale.
			name:   "a file render no longer writes",
			tree:   without(demoFiles(), "nodes/registry02/docker-compose.yml"),
			change: func(*testing.T, string) {},
			want:   Drift{Changed: []string{ManifestName}, Unexpected: []string{"nodes/registry02/docker-compose.yml"}},
		},
		{
			name: "edited, deleted and added at once",
			change: func(t *testing.T, dir string) {
				writeRaw(t, filepath.Join(dir, "README.md"), "edited\n", 0o644)
				remove(t, filepath.Join(dir, ".gitignore"))
				writeRaw(t, filepath.Join(dir, "stale.yml"), "x\n", 0o644)
			},
			want: Drift{Changed: []string{"README.md"}, Missing: []string{".gitignore"}, Kept: []string{"stale.yml"}},
		},
		{
			name:   "a config made executable",
			change: func(t *testing.T, dir string) { chmod(t, filepath.Join(dir, compose), 0o755) },
			want:   Drift{Changed: []string{compose}},
		},
		{
			name:   "a script no longer executable",
			change: func(t *testing.T, dir string) { chmod(t, filepath.Join(dir, "nodes/registry01/bootstrap.sh"), 0o644) },
			want:   Drift{Changed: []string{"nodes/registry01/bootstrap.sh"}},
		},
		{
			name:   "a checkout under umask 0 (mode 0666)",
			change: func(t *testing.T, dir string) { chmod(t, filepath.Join(dir, compose), 0o666) },
		},
		{
			name:   "an edited MANIFEST",
			change: func(t *testing.T, dir string) { writeRaw(t, filepath.Join(dir, ManifestName), "x\n", 0o644) },
			want:   Drift{Changed: []string{ManifestName}},
		},
		{
			name: "a directory where a file belongs",
			change: func(t *testing.T, dir string) {
				remove(t, filepath.Join(dir, "README.md"))
				writeRaw(t, filepath.Join(dir, "README.md/x"), "x\n", 0o644)
			},
			want: Drift{Changed: []string{"README.md"}, Kept: []string{"README.md/x"}},
		},
		{
			name: "secrets edited, added, deleted, chmodded",
			change: func(t *testing.T, dir string) {
				writeRaw(t, filepath.Join(dir, "nodes/registry01/secrets/core.env"), "CORE_SECRET=other\n", 0o644)
				writeRaw(t, filepath.Join(dir, "nodes/registry01/secrets/extra.env"), "X=1\n", 0o600)
				writeRaw(t, filepath.Join(dir, "nodes/registry03/secrets/core.env"), "X=1\n", 0o600)
				remove(t, filepath.Join(dir, "nodes/registry02/secrets/core.env"))
			},
		},
		{
			name:   "render without the secrets file",
			tree:   without(demoFiles(), "nodes/registry01/secrets/", "nodes/registry02/secrets/"),
			change: func(*testing.T, string) {},
		},
		{
			name:   "a new file in the tree",
			tree:   append(demoFiles(), File{Path: "nodes/registry01/haproxy.cfg", Data: []byte("x\n")}),
			change: func(*testing.T, string) {},
			want:   Drift{Changed: []string{ManifestName}, Missing: []string{"nodes/registry01/haproxy.cfg"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			mustWrite(t, dir, build(t, demoFiles()...))
			tc.change(t, dir)
			files := tc.tree
			if files == nil {
				files = demoFiles()
			}
			got, err := Check(dir, build(t, files...))
			if err != nil {
				t.Fatal(err)
			}
			if !sameDrift(got, tc.want) {
				t.Errorf("Check = %+v, want %+v", got, tc.want)
			}
			if got.Empty() != (len(tc.want.Changed)+len(tc.want.Missing)+len(tc.want.Unexpected) == 0) {
				t.Errorf("Empty() = %v for %+v", got.Empty(), got)
			}
		})
	}
}

func TestCheckMissingDirectory(t *testing.T) {
	got, err := Check(filepath.Join(t.TempDir(), "never-rendered"), build(t, demoFiles()...))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{".gitignore", ManifestName, "README.md", "nodes/registry01/bootstrap.sh",
		"nodes/registry01/docker-compose.yml", "nodes/registry02/docker-compose.yml"}
	if !slices.Equal(got.Missing, want) || got.Empty() {
		t.Errorf("Check of a missing directory = %+v, want Missing %q", got, want)
	}
}

func sameDrift(a, b Drift) bool {
	return slices.Equal(a.Changed, b.Changed) && slices.Equal(a.Missing, b.Missing) &&
		slices.Equal(a.Unexpected, b.Unexpected) && slices.Equal(a.Kept, b.Kept)
}

func remove(t *testing.T, name string) {
	t.Helper()
	if err := os.Remove(name); err != nil {
		t.Fatal(err)
	}
}

func chmod(t *testing.T, name string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(name, mode); err != nil {
		t.Fatal(err)
	}
}
