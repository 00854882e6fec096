package tree

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestAddRejects(t *testing.T) {
	config := func(p string) File { return File{Path: p, Data: []byte("x\n")} }
	for _, tc := range []struct {
		name   string
		before []File
		bad    File
		want   string // in the error
	}{
		{"empty", nil, config(""), "empty path"},
		{"absolute", nil, config("/etc/harbor.yml"), "absolute"},
		{"parent segment", nil, config("../harbor.yml"), `".."`},
		{"inner parent segment", nil, config("nodes/../harbor.yml"), `".."`},
		{"dot segment", nil, config("./harbor.yml"), `"."`},
		{"inner dot segment", nil, config("nodes/./harbor.yml"), `"."`},
		{"double slash", nil, config("nodes//harbor.yml"), "empty path segment"},
		{"trailing slash", nil, config("nodes/"), "empty path segment"},
		{"backslash", nil, config(`nodes\harbor.yml`), "backslash"},
		{"NUL", nil, config("nodes/harbor\x00.yml"), "control character"},
		{"newline", nil, config("nodes/harbor\n.yml"), "control character"},
		{"invalid UTF-8", nil, config("nodes/\xff.yml"), "UTF-8"},
		{"MANIFEST", nil, config("MANIFEST"), "reserved"},
		{"duplicate", []File{config("README.md")}, config("README.md"), "duplicate"},
		{"file then directory", []File{config("nodes/r1")}, config("nodes/r1/compose.yml"), "cannot be a directory"},
		{"directory then file", []File{config("nodes/r1/compose.yml")}, config("nodes/r1"), "already a directory"},
		{"directory then file at top", []File{config("nodes/r1/compose.yml")}, config("nodes"), "already a directory"},
		{"secret outside secrets/", nil, File{Path: "nodes/r1/core.env", Secret: true}, "outside"},
		{"secret named secrets", nil, File{Path: "nodes/r1/secrets", Secret: true}, "outside"},
		{"non-secret inside secrets/", nil, config("nodes/r1/secrets/core.env"), "inside"},
		{"non-secret deep inside secrets/", nil, config("secrets/tls/ca.crt"), "inside"},
		{"world-writable mode", nil, File{Path: "a.sh", Mode: 0o777}, "mode"},
		{"readable secret", nil, File{Path: "secrets/k", Mode: 0o644, Secret: true}, "mode"},
		{"directory mode bit", nil, File{Path: "a", Mode: fs.ModeDir | 0o644}, "mode"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := build(t, tc.before...)
			err := tr.Add(tc.bad)
			if err == nil {
				t.Fatalf("Add(%q) accepted", tc.bad.Path)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Add(%q) = %v, want an error containing %q", tc.bad.Path, err, tc.want)
			}
			if got := len(tr.Files()); got != len(tc.before) {
				t.Errorf("a rejected Add changed the tree: %d files, want %d", got, len(tc.before))
			}
		})
	}
}

func TestAddModes(t *testing.T) {
	for _, tc := range []struct {
		name string
		file File
		want fs.FileMode
	}{
		{"config by default", File{Path: "nodes/r1/harbor.yml"}, ModeConfig},
		{"config", File{Path: "nodes/r1/harbor.yml", Mode: ModeConfig}, ModeConfig},
		{"script", File{Path: "nodes/r1/bootstrap.sh", Mode: ModeScript}, ModeScript},
		{"secret by default", File{Path: "nodes/r1/secrets/core.env", Secret: true}, ModeSecret},
		{"nested secret", File{Path: "nodes/r1/secrets/tls/key.pem", Secret: true, Mode: ModeSecret}, ModeSecret},
		{"file named secrets", File{Path: "nodes/r1/secrets"}, ModeConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := build(t, tc.file).Files()
			if len(files) != 1 || files[0].Mode != tc.want {
				t.Fatalf("Files() = %+v, want one file with mode %#o", files, tc.want)
			}
		})
	}
}

func TestFilesSortedWhateverTheAddOrder(t *testing.T) {
	files := demoFiles()
	want := slices.Clone(files)
	slices.SortFunc(want, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	for _, order := range [][]int{{0, 1, 2, 3, 4, 5, 6, 7}, {7, 6, 5, 4, 3, 2, 1, 0}, {3, 0, 6, 1, 7, 2, 5, 4}} {
		tr := &Tree{}
		for _, i := range order {
			if err := tr.Add(files[i]); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		for _, f := range tr.Files() {
			got = append(got, f.Path)
		}
		var wantPaths []string
		for _, f := range want {
			wantPaths = append(wantPaths, f.Path)
		}
		if !slices.Equal(got, wantPaths) {
			t.Errorf("order %v: Files() = %v, want %v", order, got, wantPaths)
		}
	}
}

func TestAddCopiesData(t *testing.T) {
	data := []byte("before\n")
	tr := build(t, File{Path: "a", Data: data})
	copy(data, "after!\n")
	if got := string(tr.Files()[0].Data); got != "before\n" {
		t.Errorf("the tree saw the caller's later change: %q", got)
	}
}

func TestManifest(t *testing.T) {
	const (
		sumEmpty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" // sha256 of ""
		sumABC   = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" // sha256 of "abc"
	)
	tr := build(t,
		File{Path: "nodes/r1/z.conf", Data: []byte("abc")},
		File{Path: "nodes/r1/secrets/core.env", Data: []byte("abc"), Secret: true},
		File{Path: "README.md", Data: nil},
		File{Path: "nodes/r1-old.conf", Data: []byte("abc")},
		File{Path: "nodes/r1/a.sh", Data: []byte(""), Mode: ModeScript},
		File{Path: ".gitignore", Data: []byte("abc")},
	)
	want := sumABC + "  .gitignore\n" +
		sumEmpty + "  README.md\n" +
		sumABC + "  nodes/r1-old.conf\n" + // '-' sorts before '/': byte order, as sort(1) with LC_ALL=C
		sumEmpty + "  nodes/r1/a.sh\n" +
		sumABC + "  nodes/r1/z.conf\n"
	if got := string(Manifest(tr)); got != want {
		t.Errorf("Manifest =\n%s\nwant\n%s", got, want)
	}
	if got := string(Manifest(&Tree{})); got != "" {
		t.Errorf("Manifest of an empty tree = %q, want empty", got)
	}
}

// TestManifestVerifiesWithSha256sum checks the format against the tool operators would use.
func TestManifestVerifiesWithSha256sum(t *testing.T) {
	sha256sum, err := exec.LookPath("sha256sum")
	if err != nil {
		t.Fatal("no sha256sum (coreutils)")
	}
	dir := filepath.Join(t.TempDir(), "out")
	mustWrite(t, dir, build(t, demoFiles()...))
	cmd := exec.Command(sha256sum, "--check", "--strict", ManifestName)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sha256sum --check: %v\n%s", err, out)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, ManifestName)); strings.Contains(string(data), "secrets/") {
		t.Errorf("MANIFEST lists a secret:\n%s", data)
	}
}

func TestParseManifest(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name    string
		data    string
		want    []string
		wantErr bool
	}{
		{"empty", "", nil, false},
		{"two", sum + "  a\n" + sum + "  nodes/b c\n", []string{"a", "nodes/b c"}, false},
		{"one space", sum + " a\n", nil, true},
		{"short sum", "abcd  a\n", nil, true},
		{"not hex", strings.Repeat("zz", 32) + "  a\n", nil, true},
		{"no newline at end", sum + "  a", nil, true},
		{"blank line", sum + "  a\n\n", nil, true},
		{"escaping path", sum + "  ../a\n", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			listed, err := parseManifest([]byte(tc.data))
			if (err != nil) != tc.wantErr {
				t.Fatalf("parseManifest error = %v, want error %v", err, tc.wantErr)
			}
			for _, p := range tc.want {
				if !listed[p] {
					t.Errorf("%q not listed", p)
				}
			}
			if len(listed) != len(tc.want) {
				t.Errorf("listed %v, want %v", listed, tc.want)
			}
		})
	}
}
