package main

import (
	"bytes"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/dotenv"
)

// hostileRedisPassword holds every character that breaks a Redis URL or an
// env_file when written raw (Harbor #18538, #18786), and non-ASCII.
const hostileRedisPassword = `p/w@r%d:#? x'y"z\$a=b€中`

// externalRedisSpec is the shared-fs example (Harbor 2.15.2, an external
// Redis) with Trivy on, the external host replaced and, if given, a Redis
// ACL username.
func externalRedisSpec(t *testing.T, host, username string) string {
	t.Helper()
	specPath := copySpec(t, "../../examples/shared-fs/harborgen.toml")
	data, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	external := "host = " + strconv.Quote(host)
	if username != "" {
		external += "\nusername = " + strconv.Quote(username)
	}
	for old, repl := range map[string]string{
		`host = "10.30.0.6:6379"`:     external,
		"trivy = { enabled = false }": "trivy = { enabled = true }",
	} {
		if !strings.Contains(text, old) {
			t.Fatalf("shared-fs no longer has %s", old)
		}
		text = strings.Replace(text, old, repl, 1)
	}
	if err := os.WriteFile(specPath, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return specPath
}

func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// compose reads env_file with dotenv, interpolating against nothing.
	env, err := dotenv.ParseWithLookup(bytes.NewReader(data), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("%s does not parse: %v", path, err)
	}
	return env
}

// TestExternalRedisAuthRoundTrip renders, through the CLI, a spec with an
// external Redis whose password (and ACL user) is full of URL and env_file
// syntax, for a standalone Redis and for Sentinels, with the password in the
// secrets file or in HARBORGEN_SECRET_REDIS_PASSWORD. Every Redis URL of
// every component is parsed back with compose's dotenv and net/url, and must
// give back the user and password exactly; so must the registry's
// REGISTRY_REDIS_PASSWORD and REGISTRY_REDIS_USERNAME.
func TestExternalRedisAuthRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name, host, user string
		fromEnv          bool
		scheme, path     string // want: the URL scheme; the path before the db
	}{
		{name: "standalone, file", host: "10.30.0.6:6379", scheme: "redis"},
		{name: "standalone, env, ACL user", host: "10.30.0.6:6379", user: `hb@r:b/ü%#?`, fromEnv: true, scheme: "redis"},
		{name: "sentinel, env", host: "10.30.0.6:26379,10.30.0.7:26379", fromEnv: true, scheme: "redis+sentinel", path: "/harbor"},
		{name: "sentinel, file, ACL user", host: "10.30.0.6:26379, 10.30.0.7:26379", user: "harbor", scheme: "redis+sentinel", path: "/harbor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			specPath := externalRedisSpec(t, tc.host, tc.user)
			secretsPath := filepath.Join(filepath.Dir(specPath), "harborgen.secrets.toml")
			if code, _, stderr := harborgen("", "secrets", "init", specPath); code != 0 {
				t.Fatalf("secrets init: exit %d\n%s", code, stderr)
			}
			vars := map[string]string{"HARBORGEN_SECRET_DB_PASSWORD": "db"}
			if tc.fromEnv {
				vars["HARBORGEN_SECRET_REDIS_PASSWORD"] = hostileRedisPassword
			} else {
				appendFile(t, secretsPath, "redis_password = "+strconv.Quote(hostileRedisPassword)+"\n")
			}
			if code, stdout, stderr := runCLI("", vars, "validate", specPath); code != 0 || strings.Contains(stdout, "redis_password") {
				t.Fatalf("validate: exit %d\n%s%s", code, stdout, stderr)
			}
			if code, _, stderr := runCLI("", vars, "render", specPath); code != 0 {
				t.Fatalf("render: exit %d\n%s", code, stderr)
			}
			secretsDir := filepath.Join(filepath.Dir(specPath), "out", "nodes", "harbor01", "secrets")
			urls := map[string]string{}
			for file, keys := range map[string][]string{
				"core.env":       {"_REDIS_URL_CORE", "_REDIS_URL_REG"},
				"jobservice.env": {"JOB_SERVICE_POOL_REDIS_URL"},
				"trivy.env":      {"SCANNER_REDIS_URL", "SCANNER_STORE_REDIS_URL", "SCANNER_JOB_QUEUE_REDIS_URL"},
			} {
				env := readEnvFile(t, filepath.Join(secretsDir, file))
				for _, k := range keys {
					urls[k] = env[k]
				}
			}
			wantDB := map[string]string{"_REDIS_URL_CORE": "", "_REDIS_URL_REG": "/1", "JOB_SERVICE_POOL_REDIS_URL": "/2",
				"SCANNER_REDIS_URL": "/5", "SCANNER_STORE_REDIS_URL": "/5", "SCANNER_JOB_QUEUE_REDIS_URL": "/5"}
			wantHosts := strings.ReplaceAll(tc.host, " ", "")
			for key, db := range wantDB {
				u, err := url.Parse(urls[key])
				if err != nil {
					t.Errorf("%s = %q does not parse: %v", key, urls[key], err)
					continue
				}
				pw, ok := u.User.Password()
				if u.User == nil || !ok || pw != hostileRedisPassword {
					t.Errorf("%s = %q: password reads back %q (set %t), want %q", key, urls[key], pw, ok, hostileRedisPassword)
				}
				if u.User != nil && u.User.Username() != tc.user {
					t.Errorf("%s = %q: user reads back %q, want %q", key, urls[key], u.User.Username(), tc.user)
				}
				if u.Scheme != tc.scheme || u.Host != wantHosts || u.Path != tc.path+db {
					t.Errorf("%s = %q: scheme %q host %q path %q, want %q %q %q", key, urls[key], u.Scheme, u.Host, u.Path, tc.scheme, wantHosts, tc.path+db)
				}
			}
			reg := readEnvFile(t, filepath.Join(secretsDir, "registry.env"))
			if reg["REGISTRY_REDIS_PASSWORD"] != hostileRedisPassword {
				t.Errorf("REGISTRY_REDIS_PASSWORD reads back %q, want %q", reg["REGISTRY_REDIS_PASSWORD"], hostileRedisPassword)
			}
			if user, ok := reg["REGISTRY_REDIS_USERNAME"]; user != tc.user || ok != (tc.user != "") {
				t.Errorf("REGISTRY_REDIS_USERNAME reads back %q (set %t), want %q", user, ok, tc.user)
			}
		})
	}
}

// TestExternalRedisPasswordIsOptional: with an external Redis, secrets init
// does not generate redis_password but names it as optional; without it the
// spec is valid and Harbor connects without AUTH; given, it is not "unused".
func TestExternalRedisPasswordIsOptional(t *testing.T) {
	specPath := externalRedisSpec(t, "10.30.0.6:6379", "")
	dir := filepath.Dir(specPath)
	secretsPath := filepath.Join(dir, "harborgen.secrets.toml")
	code, _, stderr := harborgen("", "secrets", "init", specPath)
	if code != 0 || !strings.Contains(stderr, "optional: redis_password") || strings.Contains(stderr, "you supply: redis_password") {
		t.Fatalf("secrets init: exit %d, want redis_password named as optional\n%s", code, stderr)
	}
	if data, _ := os.ReadFile(secretsPath); strings.Contains(string(data), "redis_password") {
		t.Errorf("secrets init generated the external Redis's password:\n%s", data)
	}
	vars := map[string]string{"HARBORGEN_SECRET_DB_PASSWORD": "db"}
	if code, stdout, stderr := runCLI("", vars, "validate", specPath); code != 0 || stdout != "" {
		t.Errorf("validate without redis_password: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, _, stderr := runCLI("", vars, "render", specPath); code != 0 {
		t.Fatalf("render without redis_password: exit %d\n%s", code, stderr)
	}
	core := readEnvFile(t, filepath.Join(dir, "out", "nodes", "harbor01", "secrets", "core.env"))
	if got := core["_REDIS_URL_CORE"]; got != "redis://10.30.0.6:6379?idle_timeout_seconds=30" {
		t.Errorf("_REDIS_URL_CORE without a password = %q", got)
	}
	// Given, in the file or the environment, it is used, never "not used".
	appendFile(t, secretsPath, "redis_password = \"in-file\"\n")
	if code, stdout, stderr := runCLI("", vars, "validate", specPath); code != 0 || stdout != "" {
		t.Errorf("validate with redis_password in the file: exit %d\n%s%s", code, stdout, stderr)
	}
	vars["HARBORGEN_SECRET_REDIS_PASSWORD"] = "from-env"
	if code, stdout, stderr := runCLI("", vars, "validate", specPath); code != 0 || stdout != "" {
		t.Errorf("validate with HARBORGEN_SECRET_REDIS_PASSWORD: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, _, stderr := runCLI("", vars, "render", specPath); code != 0 {
		t.Fatalf("render: exit %d\n%s", code, stderr)
	}
	core = readEnvFile(t, filepath.Join(dir, "out", "nodes", "harbor01", "secrets", "core.env"))
	if got := core["_REDIS_URL_CORE"]; got != "redis://:from-env@10.30.0.6:6379?idle_timeout_seconds=30" {
		t.Errorf("_REDIS_URL_CORE with HARBORGEN_SECRET_REDIS_PASSWORD = %q", got)
	}
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
