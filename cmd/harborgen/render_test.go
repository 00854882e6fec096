package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// harborgenEnv runs the CLI with the given environment variables.
func harborgenEnv(vars map[string]string, args ...string) (code int, stdout, stderr string) {
	return runCLI("", vars, args...)
}

// TestRenderAndCheck walks the git workflow: secrets init, render, then
// render --check without the secrets file: clean right after render, drift
// after a committed file is edited, deleted or added.
func TestRenderAndCheck(t *testing.T) {
	specPath := copySpec(t, example)
	dir := filepath.Dir(specPath)
	env := map[string]string{"HARBORGEN_SECRET_DB_PASSWORD": "p@ss/w%rd"}
	if code, _, stderr := harborgenEnv(env, "secrets", "init", specPath); code != 0 {
		t.Fatalf("secrets init: %d %s", code, stderr)
	}
	code, _, stderr := harborgenEnv(env, "render", specPath)
	if code != 0 {
		t.Fatalf("render: %d %s", code, stderr)
	}
	out := filepath.Join(dir, "out")
	// The next step names the commit, the playbook with the tree's own
	// secrets, and the runbook.
	for _, want := range []string{"git add " + out, "ansible-playbook -b -i " + filepath.Join(out, "ansible", "inventory.yml") + " " +
		filepath.Join(out, "ansible", "site.yml") + " -e harborgen_secrets=" + out, filepath.Join(out, "README.md")} {
		if !strings.Contains(stderr, want) {
			t.Errorf("render's next step has no %q:\n%s", want, stderr)
		}
	}
	compose := filepath.Join(out, "nodes", "harbor01", "docker-compose.yml")
	if _, err := os.Stat(compose); err != nil {
		t.Fatal(err)
	}
	// CI has no secrets file.
	if err := os.Rename(filepath.Join(dir, "harborgen.secrets.toml"), filepath.Join(dir, "kept.toml")); err != nil {
		t.Fatal(err)
	}
	check := func(want int, what string) {
		t.Helper()
		if code, stdout, stderr := harborgenEnv(nil, "render", "--check", specPath); code != want {
			t.Errorf("%s: render --check exit %d, want %d\n%s%s", what, code, want, stdout, stderr)
		}
	}
	check(0, "right after render")
	orig, _ := os.ReadFile(compose)
	os.WriteFile(compose, append(orig, '#'), 0o644)
	check(1, "after an edit")
	// --diff needs no secrets either, and then says nothing about them.
	code, stdout, stderr := harborgenEnv(nil, "render", "--diff", specPath)
	if code != 1 || !strings.Contains(stdout, "-#") || strings.Contains(stdout, "secret ") {
		t.Errorf("render --diff without secrets: exit %d\n%s%s", code, stdout, stderr)
	}
	os.Remove(compose)
	check(1, "after a delete")
	os.WriteFile(compose, orig, 0o644)
	check(0, "after restoring")
	// No difference: --diff prints nothing and exits 0, as diff(1) does.
	if code, stdout, stderr := harborgenEnv(nil, "render", "--diff", specPath); code != 0 || stdout != "" {
		t.Errorf("render --diff of an up-to-date tree: exit %d\n%s%s", code, stdout, stderr)
	}
	// A file harborgen did not write is the operator's: render keeps it, and
	// --check names it without failing (one rule for both).
	os.WriteFile(filepath.Join(out, "nodes", "extra.txt"), []byte("x"), 0o644)
	check(0, "after an added file")
	if _, _, stderr := harborgenEnv(nil, "render", "--check", specPath); !strings.Contains(stderr, "kept files harborgen did not write: nodes/extra.txt") {
		t.Errorf("render --check does not name the kept file: %s", stderr)
	}
	// Without secrets, render itself refuses rather than writing a tree without them.
	if code, _, _ := harborgenEnv(nil, "render", specPath); code == 0 {
		t.Error("render without any secrets succeeded")
	}
}

// TestRenderTwiceIsIdentical renders one spec into two directories and
// compares every file, secrets included, byte for byte and mode for mode.
func TestRenderTwiceIsIdentical(t *testing.T) {
	specPath := copySpec(t, "../../examples/two-site-dr/harborgen.toml")
	dir := filepath.Dir(specPath)
	env := map[string]string{"HARBORGEN_SECRET_DB_PASSWORD": "pw"}
	if code, _, stderr := harborgenEnv(env, "secrets", "init", specPath); code != 0 {
		t.Fatalf("secrets init: %s", stderr)
	}
	snap := map[string][2]string{}
	for i, out := range []string{filepath.Join(dir, "a"), filepath.Join(dir, "b")} {
		if code, _, stderr := harborgenEnv(env, "render", "--out", out, specPath); code != 0 {
			t.Fatalf("render: %s", stderr)
		}
		err := filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			info, _ := d.Info()
			rel, _ := filepath.Rel(out, p)
			v := snap[rel]
			v[i] = info.Mode().String() + string(data)
			snap[rel] = v
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(snap) < 20 {
		t.Fatalf("only %d files rendered", len(snap))
	}
	for rel, v := range snap {
		if v[0] != v[1] {
			t.Errorf("%s differs between the two renders", rel)
		}
	}
}

// copySpec copies a spec into a fresh directory as harborgen.toml, so that
// its secrets file and out/ land there.
func copySpec(t *testing.T, src string) string {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "harborgen.toml")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// --out at a repository's root: render warns before it replaces the
// directory, and .git survives as a kept foreign tree.
func TestRenderWarnsAboutAGitDirectory(t *testing.T) {
	specPath := copySpec(t, example)
	dir := filepath.Dir(specPath)
	env := map[string]string{"HARBORGEN_SECRET_DB_PASSWORD": "pw"}
	if code, _, stderr := harborgenEnv(env, "secrets", "init", specPath); code != 0 {
		t.Fatalf("secrets init: %s", stderr)
	}
	out := filepath.Join(dir, "repo")
	head := filepath.Join(out, ".git", "HEAD")
	if err := os.MkdirAll(filepath.Dir(head), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(head, []byte("ref: refs/heads/main\n"), 0o644)
	code, _, stderr := harborgenEnv(env, "render", "--out", out, specPath)
	if code != 0 || !strings.Contains(stderr, "holds .git") {
		t.Errorf("exit %d, stderr %q; want a warning about .git", code, stderr)
	}
	if data, err := os.ReadFile(head); err != nil || string(data) != "ref: refs/heads/main\n" {
		t.Errorf(".git/HEAD lost: %q %v", data, err)
	}
}

// A lost secrets file never rotates the cluster silently: secrets init
// recovers the values from the rendered tree, and render refuses to change
// a value the tree holds unless --rotate names it.
func TestLostSecretsFile(t *testing.T) {
	specPath := copySpec(t, example)
	dir := filepath.Dir(specPath)
	sf := filepath.Join(dir, "harborgen.secrets.toml")
	env := map[string]string{"HARBORGEN_SECRET_DB_PASSWORD": "pw"}
	if code, _, stderr := harborgenEnv(env, "secrets", "init", specPath); code != 0 {
		t.Fatalf("secrets init: %s", stderr)
	}
	if code, _, stderr := harborgenEnv(env, "render", specPath); code != 0 {
		t.Fatalf("render: %s", stderr)
	}
	original, _ := os.ReadFile(sf)
	secretkey := filepath.Join(dir, "out", "nodes", "harbor01", "secrets", "secretkey")
	key, _ := os.ReadFile(secretkey)

	// Lost, then recovered: the same values, and render changes nothing.
	os.Remove(sf)
	code, _, stderr := harborgenEnv(env, "secrets", "init", specPath)
	if code != 0 || !strings.Contains(stderr, "recovered from the rendered tree") || !strings.Contains(stderr, "secretkey") {
		t.Fatalf("secrets init after a loss: exit %d\n%s", code, stderr)
	}
	recovered, _ := os.ReadFile(sf)
	for _, name := range []string{"secretkey", "core_secret", "csrf_key", "token_private_key", "registry_htpasswd"} {
		if !sameSecret(t, original, recovered, name) {
			t.Errorf("%s was not recovered as it was", name)
		}
	}
	if code, _, stderr := harborgenEnv(env, "render", specPath); code != 0 || !strings.Contains(stderr, " 0 added, 0 changed") {
		t.Errorf("render after recovery: exit %d\n%s", code, stderr)
	}

	// Lost, and regenerated on purpose: render refuses, naming each secret.
	os.Remove(sf)
	if code, _, stderr := harborgenEnv(env, "secrets", "init", "--no-recover", specPath); code != 0 {
		t.Fatalf("secrets init --no-recover: %s", stderr)
	}
	code, _, stderr = harborgenEnv(env, "render", specPath)
	if code != 1 || !strings.Contains(stderr, "refusing to change secrets") || !strings.Contains(stderr, "secretkey (held by harbor01") {
		t.Errorf("render with new values: exit %d\n%s", code, stderr)
	}
	if now, _ := os.ReadFile(secretkey); string(now) != string(key) {
		t.Error("the refused render changed secretkey")
	}
	if code, _, stderr := harborgenEnv(env, "render", "--rotate", "nope", specPath); code != 2 || !strings.Contains(stderr, "no such secret") {
		t.Errorf("--rotate of an unknown name: exit %d\n%s", code, stderr)
	}
	names := "harbor_admin_password,core_secret,jobservice_secret,csrf_key,secretkey,registry_http_secret,registry_password,registry_htpasswd,token_private_key,redis_password,s3_access_key,s3_secret_key,keepalived_auth_pass"
	if code, _, stderr := harborgenEnv(env, "render", "--rotate", names, specPath); code != 0 {
		t.Errorf("render --rotate every secret: exit %d\n%s", code, stderr)
	}
	if now, _ := os.ReadFile(secretkey); string(now) == string(key) {
		t.Error("--rotate did not change secretkey")
	}
}

// sameSecret compares one secret of two secrets files.
func sameSecret(t *testing.T, a, b []byte, name string) bool {
	t.Helper()
	var ma, mb map[string]string
	if _, err := toml.Decode(string(a), &ma); err != nil {
		t.Fatal(err)
	}
	if _, err := toml.Decode(string(b), &mb); err != nil {
		t.Fatal(err)
	}
	return ma[name] != "" && ma[name] == mb[name]
}
