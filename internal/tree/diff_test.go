package tree

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// numbered returns n lines "line 1".."line n", with line k replaced by with when k > 0.
func numbered(n, k int, with string) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		if i == k {
			b.WriteString(with + "\n")
		} else {
			fmt.Fprintf(&b, "line %d\n", i)
		}
	}
	return b.String()
}

// diffFiles is the tree before and after a small change of every kind.
func diffFiles() (before, after []File) {
	before = append(demoFiles(), File{Path: "nodes/registry01/nginx.conf", Data: []byte(numbered(10, 0, ""))})
	after = without(before, "nodes/registry02/docker-compose.yml", "nodes/registry02/secrets/tls/")
	after = replaced(after, "nodes/registry01/nginx.conf", numbered(10, 5, "upstream core { server 10.0.0.5; }"))
	after = replaced(after, "nodes/registry01/secrets/core.env", "CORE_SECRET=rotated-value\n")
	after = append(after,
		File{Path: "nodes/registry01/keepalived.conf", Data: []byte("vrrp_instance VI_1 {\n}\n")},
		File{Path: "nodes/registry01/secrets/keepalived.env", Data: []byte("AUTH_PASS=hunter22\n"), Secret: true},
	)
	for i := range after {
		if after[i].Path == "README.md" {
			after[i].Mode = ModeScript
		}
	}
	return before, after
}

func TestDiff(t *testing.T) {
	before, after := diffFiles()
	dir := filepath.Join(t.TempDir(), "out")
	mustWrite(t, dir, build(t, before...))
	unchanged := snapshot(t, dir)

	diff, err := Diff(dir, build(t, after...))
	if err != nil {
		t.Fatal(err)
	}
	text := string(diff)
	for _, want := range []string{
		// a changed line with 3 lines of context on each side
		"diff --git a/nodes/registry01/nginx.conf b/nodes/registry01/nginx.conf\n" +
			"--- a/nodes/registry01/nginx.conf\n+++ b/nodes/registry01/nginx.conf\n" +
			"@@ -2,7 +2,7 @@\n line 2\n line 3\n line 4\n-line 5\n+upstream core { server 10.0.0.5; }\n line 6\n line 7\n line 8\n",
		// an added file
		"diff --git a/nodes/registry01/keepalived.conf b/nodes/registry01/keepalived.conf\nnew file mode 100644\n" +
			"--- /dev/null\n+++ b/nodes/registry01/keepalived.conf\n@@ -0,0 +1,2 @@\n+vrrp_instance VI_1 {\n+}\n",
		// a removed file
		"diff --git a/nodes/registry02/docker-compose.yml b/nodes/registry02/docker-compose.yml\ndeleted file mode 100644\n" +
			"--- a/nodes/registry02/docker-compose.yml\n+++ /dev/null\n@@ -1,3 +0,0 @@\n-services:\n",
		// a mode change alone
		"diff --git a/README.md b/README.md\nold mode 100644\nnew mode 100755\ndiff --git",
		// MANIFEST follows its files
		"--- a/MANIFEST\n+++ b/MANIFEST\n",
		// secrets: one line each, no content
		"secret nodes/registry01/secrets/core.env changed\n",
		"secret nodes/registry01/secrets/keepalived.env added\n",
		"secret nodes/registry02/secrets/tls/registry.key removed\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("diff lacks\n%s\n--- diff:\n%s", want, text)
		}
	}
	for _, secret := range []string{"registry01-core-secret", "rotated-value", "hunter22", "BEGIN PRIVATE KEY"} {
		if strings.Contains(text, secret) {
			t.Errorf("diff shows secret content %q:\n%s", secret, text)
		}
	}
	for _, quiet := range []string{".gitignore", "nodes/registry01/bootstrap.sh", "nodes/registry02/secrets/core.env"} {
		if strings.Contains(text, "a/"+quiet+" ") || strings.Contains(text, "secret "+quiet+" ") {
			t.Errorf("diff shows unchanged %s", quiet)
		}
	}
	if again, _ := Diff(dir, build(t, after...)); !bytes.Equal(again, diff) {
		t.Error("two diffs of the same change differ")
	}
	sameSnapshot(t, "after Diff", snapshot(t, dir), unchanged)
	noLeftovers(t, dir)
}

func TestDiffOrderedByPath(t *testing.T) {
	before, after := diffFiles()
	dir := filepath.Join(t.TempDir(), "out")
	mustWrite(t, dir, build(t, before...))
	diff, err := Diff(dir, build(t, after...))
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, line := range strings.Split(string(diff), "\n") {
		if rest, ok := strings.CutPrefix(line, "diff --git a/"); ok {
			paths = append(paths, strings.SplitN(rest, " ", 2)[0])
		} else if rest, ok := strings.CutPrefix(line, "secret "); ok {
			paths = append(paths, strings.SplitN(rest, " ", 2)[0])
		}
	}
	want := []string{ManifestName, "README.md", "nodes/registry01/keepalived.conf", "nodes/registry01/nginx.conf",
		"nodes/registry01/secrets/core.env", "nodes/registry01/secrets/keepalived.env",
		"nodes/registry02/docker-compose.yml", "nodes/registry02/secrets/tls/registry.key"}
	if strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Errorf("diff order %q, want %q", paths, want)
	}
}

func TestDiffNothingToChange(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	mustWrite(t, dir, build(t, demoFiles()...))
	writeRaw(t, filepath.Join(dir, "NOTES.txt"), "operator notes\n", 0o644)
	if diff, err := Diff(dir, build(t, demoFiles()...)); err != nil || len(diff) != 0 {
		t.Errorf("Diff of an up-to-date tree with a foreign file = %q, %v; want nothing", diff, err)
	}
}

func TestDiffFirstRender(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	diff, err := Diff(dir, build(t, demoFiles()...))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(dir); err == nil {
		t.Error("Diff created the output directory")
	}
	if !strings.Contains(string(diff), "--- /dev/null\n+++ b/nodes/registry01/bootstrap.sh\n") ||
		!strings.Contains(string(diff), "new file mode 100755\n") {
		t.Errorf("first-render diff lacks the added script:\n%s", diff)
	}
}

// TestDiffAppliesWithGit checks the diff is exactly what Write changes in committed files: git
// apply turns the previous tree into the written one, stepping over the secret lines.
func TestDiffAppliesWithGit(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Fatal("no git")
	}
	before, after := diffFiles()
	after = append(after, File{Path: "empty.txt"}) // an empty new file is a header alone
	after = replaced(after, ".gitignore", "secrets/\n*.swp")
	dir := filepath.Join(t.TempDir(), "out")
	mustWrite(t, dir, build(t, before...))
	diff, err := Diff(dir, build(t, after...))
	if err != nil {
		t.Fatal(err)
	}
	patch := filepath.Join(t.TempDir(), "render.patch")
	if err := os.WriteFile(patch, diff, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(git, "apply", "--whitespace=nowarn", patch)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git apply: %v\n%s\n--- patch:\n%s", err, out, diff)
	}
	committed := func(snap map[string]entry) map[string]entry {
		maps.DeleteFunc(snap, func(p string, _ entry) bool { return underSecrets(p + "/x") })
		return snap
	}
	patched := committed(snapshot(t, dir))
	written := filepath.Join(t.TempDir(), "out")
	mustWrite(t, written, build(t, after...))
	want := committed(snapshot(t, written))
	for p, e := range want {
		if patched[p].Sum != e.Sum || isExecutable(patched[p].Mode) != isExecutable(e.Mode) {
			t.Errorf("%s: patched %+v, written %+v", p, patched[p], e)
		}
	}
	for p := range patched {
		if _, ok := want[p]; !ok {
			t.Errorf("%s: left by the patch, not by Write", p)
		}
	}
}
