package main

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// TestRenderCache runs the real binary (a test binary records no dependencies, so it keeps no
// cache): a render with the cache gives the same tree as one without, cold, warm and with a
// corrupted entry; the entries are stable from one process to the next (one per compose file
// and one signature, whatever the number of runs); the cache is private and holds no secret.
func TestRenderCache(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "harborgen")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		example    string
		signatures int // Harbor 1.5's token certificate
	}{{"ha-galera-ceph", 1}, {"ha-modern", 0}} {
		t.Run(tc.example, func(t *testing.T) {
			specPath := copySpec(t, filepath.Join("..", "..", "examples", tc.example, "harborgen.toml"))
			dir := filepath.Dir(specPath)
			cacheDir := filepath.Join(t.TempDir(), "cache")
			// The secrets that secrets init leaves to the operator.
			secretEnv := []string{"HARBORGEN_SECRET_LDAP_SEARCH_PASSWORD=ldap-secret-value", "HARBORGEN_SECRET_DB_PASSWORD=db-secret-value"}
			render := func(cache, out string) string {
				t.Helper()
				cmd := exec.Command(bin, "render", "--out", filepath.Join(dir, out), specPath)
				cmd.Env = append(secretEnv, "HARBORGEN_CACHE="+cache, "HOME="+t.TempDir())
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				if err := cmd.Run(); err != nil {
					t.Fatalf("render --out %s with HARBORGEN_CACHE=%s: %v\n%s", out, cache, err, stderr.String())
				}
				return stderr.String()
			}
			initCmd := exec.Command(bin, "secrets", "init", specPath)
			initCmd.Env = secretEnv
			if out, err := initCmd.CombinedOutput(); err != nil {
				t.Fatalf("secrets init: %v\n%s", err, out)
			}

			render("off", "reference")
			if _, err := os.Stat(cacheDir); err == nil {
				t.Fatal("HARBORGEN_CACHE=off wrote a cache")
			}
			want := snapshot(t, filepath.Join(dir, "reference"))
			render(cacheDir, "cold")
			entries := cacheEntries(t, cacheDir)
			composeFiles, _ := filepath.Glob(filepath.Join(dir, "reference", "nodes", "*", "docker-compose.yml"))
			if n := countPrefix(entries, "compose-verified/"); n != len(composeFiles) {
				t.Errorf("%d compose-verified entries, want one per compose file (%d)", n, len(composeFiles))
			}
			if n := countPrefix(entries, "schema-valid/"); n != 1 {
				t.Errorf("%d schema-valid entries, want the spec's one", n)
			}
			if n := countPrefix(entries, "rsa-signatures/"); n != tc.signatures {
				t.Errorf("%d signatures, want %d", n, tc.signatures)
			}
			if stderr := render(cacheDir, "cold"); !strings.Contains(stderr, " 0 added, 0 changed, ") {
				t.Errorf("a second render changed the tree:\n%s", stderr)
			}
			render(cacheDir, "warm")
			if again := cacheEntries(t, cacheDir); strings.Join(again, " ") != strings.Join(entries, " ") {
				t.Errorf("the warm runs added entries (the key is not stable from one process to the next):\n%v\nthen\n%v", entries, again)
			}
			for _, out := range []string{"cold", "warm"} {
				if got := snapshot(t, filepath.Join(dir, out)); got != want {
					t.Errorf("render with the cache (%s) differs from render without it", out)
				}
			}
			if tc.signatures > 0 {
				sigs, _ := filepath.Glob(filepath.Join(cacheDir, "rsa-signatures", "*"))
				data, _ := os.ReadFile(sigs[0])
				data[len(data)/2] ^= 1
				if err := os.WriteFile(sigs[0], data, 0o600); err != nil {
					t.Fatal(err)
				}
				render(cacheDir, "corrupted")
				if snapshot(t, filepath.Join(dir, "corrupted")) != want {
					t.Error("a corrupted signature in the cache changed the rendered tree")
				}
			}

			// Private, and no secret in a name or a content.
			var values map[string]string
			if _, err := toml.DecodeFile(filepath.Join(dir, "harborgen.secrets.toml"), &values); err != nil {
				t.Fatal(err)
			}
			values["ldap_search_password"], values["db_password"] = "ldap-secret-value", "db-secret-value"
			err := filepath.WalkDir(cacheDir, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				info, _ := d.Info()
				if wantMode := fs.FileMode(0o600); d.IsDir() && info.Mode().Perm() != 0o700 || !d.IsDir() && info.Mode().Perm() != wantMode {
					t.Errorf("%s: mode %v, want 0700 directories and 0600 files", p, info.Mode())
				}
				data, _ := os.ReadFile(p)
				for name, v := range values {
					for _, part := range secretParts(v) {
						if strings.Contains(p, part) || bytes.Contains(data, []byte(part)) {
							t.Errorf("the cache holds secret %s in %s", name, p)
						}
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func cacheEntries(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func countPrefix(list []string, prefix string) int {
	n := 0
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			n++
		}
	}
	return n
}

// secretParts are the pieces of a secret value worth searching for: the value itself, and
// for a PEM key, each of its base64 lines.
func secretParts(v string) []string {
	var parts []string
	for _, line := range strings.Split(v, "\n") {
		if len(line) >= 16 && !strings.HasPrefix(line, "-----") {
			parts = append(parts, line)
		}
	}
	if len(parts) == 0 && len(v) >= 8 {
		parts = append(parts, v)
	}
	return parts
}
