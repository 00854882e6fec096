package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/harborgen/harborgen/internal/secrets"
)

// harborgen runs the CLI in-process with no environment.
func harborgen(stdin string, args ...string) (code int, stdout, stderr string) {
	return runCLI(stdin, nil, args...)
}

// runCLI runs the CLI in-process with stdin and environment variables.
func runCLI(stdin string, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	var environ []string
	for k, v := range vars {
		environ = append(environ, k+"="+v)
	}
	code = run(append([]string{"harborgen"}, args...), strings.NewReader(stdin), &out, &errb, environ)
	return code, out.String(), errb.String()
}

const example = "../../examples/ha-modern/harborgen.toml"

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	invalid := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(invalid, []byte("spec = 1\n[cluster]\nname = \"Bad_Name\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	warning := filepath.Join(dir, "warn.yaml")
	src, err := os.ReadFile("../../examples/ha-modern/harborgen.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// A FILE job logger with several harbor nodes is a warning, not an error.
	src = bytes.Replace(src, []byte("job_loggers: [DB]"), []byte("job_loggers: [DB, FILE]"), 1)
	if err := os.WriteFile(warning, src, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		args   []string
		stdin  string
		code   int
		stderr string
	}{
		{"valid", []string{"validate", example}, "", 0, "valid (0 errors, 0 warnings)"},
		{"invalid", []string{"validate", invalid}, "", 1, "invalid:"},
		{"warning passes", []string{"validate", warning}, "", 0, "valid (0 errors, 1 warning)"},
		{"warning fails under strict", []string{"validate", "--strict", warning}, "", 1, "invalid: 0 errors, 1 warning"},
		{"missing file", []string{"validate", filepath.Join(dir, "nope.toml")}, "", 2, "no such file"},
		{"unknown extension", []string{"validate", "spec.json"}, "", 2, "unknown spec format"},
		{"no argument", []string{"validate"}, "", 2, "needs exactly one SPEC"},
		{"two arguments", []string{"validate", example, example}, "", 2, "needs exactly one SPEC"},
		{"unknown flag", []string{"validate", "--nope", example}, "", 2, "flag provided but not defined"},
		{"bad format", []string{"validate", "--format", "xml", example}, "", 2, "--format must be text, json, github or sarif"},
		{"unknown command", []string{"frobnicate"}, "", 2, "unknown command"},
		{"explicit secrets file missing", []string{"validate", "--secrets", filepath.Join(dir, "s.toml"), example}, "", 2, "--secrets"},
		{"stdin toml", []string{"validate", "-"}, "spec = 1\n", 1, "invalid:"},
		{"stdin bad format-in", []string{"validate", "--format-in", "json", "-"}, "", 2, "--format-in"},
		{"render without secrets", []string{"render", "--out", filepath.Join(dir, "o"), example}, "", 2, "no secrets file"},
		{"render --check of a missing tree", []string{"render", "--check", "--out", filepath.Join(dir, "o"), "../../examples/ha-galera-ceph/harborgen.toml"}, "", 1, "is not what render would write"},
		{"schema", []string{"schema"}, "", 0, ""},
		{"plan", []string{"plan", example}, "", 0, ""},
		{"plan json", []string{"plan", "--format", "json", example}, "", 0, ""},
		{"plan of an invalid spec", []string{"plan", invalid}, "", 1, "is invalid"},
		{"version", []string{"version"}, "", 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := harborgen(tc.stdin, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout, stderr)
			}
			if !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr %q does not contain %q", stderr, tc.stderr)
			}
		})
	}
}

func TestValidateOutput(t *testing.T) {
	in := "spec = 1\n[cluster]\nname = \"c\"\nhostname = \"r.example.com\"\n[[node]]\nname = \"a\"\nadress = \"10.0.0.1\"\nroles = [\"harbor\"]\n"
	code, stdout, _ := harborgen(in, "validate", "-")
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	want := "<stdin>:7:1: error: node[0].adress: unknown key \"adress\" in node[0]\n    hint: did you mean \"address\"?\n"
	if !strings.Contains(stdout, want) {
		t.Errorf("text output lacks\n%s\ngot\n%s", want, stdout)
	}
	code, stdout, _ = harborgen(in, "validate", "--format", "json", "-")
	if code != 1 {
		t.Fatalf("json: exit %d", code)
	}
	var items []map[string]any
	if err := json.Unmarshal([]byte(stdout), &items); err != nil {
		t.Fatalf("json output does not parse: %v\n%s", err, stdout)
	}
	found := false
	for _, it := range items {
		if it["path"] == "node[0].adress" && it["line"] == 7.0 && it["column"] == 1.0 && it["severity"] == "error" && it["hint"] == `did you mean "address"?` {
			found = true
		}
	}
	if !found {
		t.Errorf("json output lacks the unknown key: %s", stdout)
	}
	if _, stdout, _ := harborgen("", "validate", "--format", "json", example); strings.TrimSpace(stdout) != "[]" {
		t.Errorf("a valid spec prints %q in json, want []", stdout)
	}
}

func TestSchemaCommandPrintsSchema(t *testing.T) {
	_, stdout, _ := harborgen("", "schema")
	var doc map[string]any
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("schema output is not JSON: %v", err)
	}
	if doc["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v", doc["$schema"])
	}
}

// TestTruncatedInputsNeverPanic feeds every testdata file and example,
// truncated at every 7th byte, through the CLI: the answer is always
// "valid" or "invalid", never a crash.
func TestTruncatedInputsNeverPanic(t *testing.T) {
	var files []string
	for _, glob := range []string{"../../examples/*/harborgen.*", "../../internal/*/testdata/*/*.toml", "../../internal/*/testdata/*/*.yaml"} {
		m, _ := filepath.Glob(glob)
		files = append(files, m...)
	}
	if len(files) < 8 {
		t.Fatalf("only %d input files found", len(files))
	}
	runs := 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		format := "toml"
		if strings.HasSuffix(file, ".yaml") {
			format = "yaml"
		}
		for n := 0; n <= len(data); n += 7 {
			code, stdout, stderr := harborgen(string(data[:n]), "validate", "--format-in", format, "-")
			runs++
			if code != 0 && code != 1 {
				t.Fatalf("%s cut at %d: exit %d\n%s%s", file, n, code, stdout, stderr)
			}
			if out := stdout + stderr; strings.Contains(out, "panic") || strings.Contains(out, "goroutine") || strings.Contains(out, "internal error") {
				t.Fatalf("%s cut at %d: crash\n%s", file, n, out)
			}
		}
	}
	t.Logf("%d truncated inputs from %d files", runs, len(files))
}

// TestSecretsInit runs secrets init on an example copied to a temp dir: the
// file appears with mode 0600, and validate then checks it.
func TestSecretsInit(t *testing.T) {
	specPath := copySpec(t, example)
	dir := filepath.Dir(specPath)
	code, _, stderr := harborgen("", "secrets", "init", specPath)
	if code != 0 || !strings.Contains(stderr, "created") {
		t.Fatalf("secrets init: exit %d\n%s", code, stderr)
	}
	info, err := os.Stat(filepath.Join(dir, "harborgen.secrets.toml"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("secrets file: %v, mode %v", err, info)
	}
	// ha-modern's external database password is the operator's to supply.
	if code, stdout, _ := harborgen("", "validate", specPath); code != 1 || !strings.Contains(stdout, "secrets.db_password") {
		t.Errorf("validate with an incomplete secrets file: exit %d\n%s", code, stdout)
	}
	if code, _, stderr := harborgen("", "secrets", "init", filepath.Join(dir, "missing.toml")); code != 2 {
		t.Errorf("secrets init on a missing spec: exit %d\n%s", code, stderr)
	}
}

// TestInit writes every example into a fresh directory; each validates, and
// a second init refuses to overwrite.
func TestInit(t *testing.T) {
	for _, name := range exampleNames() {
		for _, yaml := range []bool{false, true} {
			dir := filepath.Join(t.TempDir(), name)
			args := []string{"init", "--example", name, dir}
			file := "harborgen.toml"
			if yaml {
				args = []string{"init", "--yaml", "--example", name, dir}
				file = "harborgen.yaml"
			}
			if code, _, stderr := harborgen("", args...); code != 0 {
				t.Fatalf("init %s: exit %d\n%s", name, code, stderr)
			}
			if code, stdout, _ := harborgen("", "validate", filepath.Join(dir, file)); code != 0 {
				t.Errorf("init %s wrote an invalid spec:\n%s", name, stdout)
			}
			if code, _, _ := harborgen("", args...); code != 2 {
				t.Errorf("a second init %s overwrote: exit %d", name, code)
			}
		}
	}
	if code, _, _ := harborgen("", "init", "--example", "nope", t.TempDir()); code != 2 {
		t.Errorf("unknown example: exit %d", code)
	}
}

// TestInitIsAllOrNothing: when one of init's files exists, init writes none
// of them (it wrote harborgen.toml, then failed on the schema file).
func TestInitIsAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	schemaFile := filepath.Join(dir, "harborgen.schema.json")
	if err := os.WriteFile(schemaFile, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := harborgen("", "init", dir)
	if code != 2 || !strings.Contains(stderr, "wrote nothing") {
		t.Errorf("init over an existing schema file: exit %d, %q", code, stderr)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("init left files behind: %v", names)
	}
	if data, _ := os.ReadFile(schemaFile); string(data) != "mine" {
		t.Error("init changed the existing file")
	}
}

// A secrets file that does not parse is reported at its line, and no
// diagnostic ever quotes a value from it.
func TestSecretsSyntaxErrorNeverEchoesTheValue(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, content string
		line          int
	}{
		{"unquoted value", "csrf_key = \"0123456789abcdef0123456789abcdef\"\n\nredis_password = SEKRITvalue123\n", 3},
		{"not a string", "core_secret = \"0123456789abcdef\"\nredis_password = 12345678901234567890\n", 2},
		{"broken quote", "db_password = \"SEKRITvalue123\n", 1},
		{"multi-line value", "db_password = '''SEKRIT\n\nvalue123", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sf := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".toml")
			if err := os.WriteFile(sf, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			for _, format := range []string{"text", "json"} {
				code, stdout, stderr := harborgen("", "validate", "--format", format, "--secrets", sf, example)
				if code != 1 {
					t.Errorf("%s: exit %d, want 1", format, code)
				}
				for _, leak := range []string{"SEKRIT", "value123", "12345678901234567890"} {
					if strings.Contains(stdout+stderr, leak) {
						t.Errorf("%s: output quotes the secret (%q):\n%s%s", format, leak, stdout, stderr)
					}
				}
				if want := fmt.Sprintf("%s:%d:", sf, tc.line); format == "text" && !strings.Contains(stdout, want) {
					t.Errorf("diagnostic not at %s:\n%s", want, stdout)
				}
			}
		})
	}
}

// A spec name with an escape sequence never reaches the terminal raw: not
// in the summary line, not in a diagnostic, not in an error.
func TestSpecNameIsEscaped(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "evil\x1b[2Jname.toml")
	if err := os.WriteFile(bad, append(src, []byte("\n[nope]\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"validate", bad},
		{"validate", "--format", "json", bad},
		{"plan", bad},
		{"validate", filepath.Join(dir, "missing\x1b]0;x\x07.toml")},
	} {
		_, stdout, stderr := harborgen("", args...)
		if strings.ContainsAny(stdout+stderr, "\x1b\x07") {
			t.Errorf("%q: a control character reached the output:\n%q\n%q", args, stdout, stderr)
		}
		if !strings.Contains(stdout+stderr, `\x1b`) {
			t.Errorf("%q: the name is not shown escaped:\n%q\n%q", args, stdout, stderr)
		}
	}
}

// Secret mix-ups are reported where they come from: a typo in a
// HARBORGEN_SECRET_ name, a bad value from the environment, a secrets file
// others can read.
func TestSecretMixUps(t *testing.T) {
	specPath := copySpec(t, example)
	sf := secrets.DefaultPath(specPath)
	ok := map[string]string{"HARBORGEN_SECRET_DB_PASSWORD": "pw"}
	if code, _, stderr := runCLI("", ok, "secrets", "init", specPath); code != 0 {
		t.Fatalf("secrets init: %s", stderr)
	}
	for _, tc := range []struct {
		name   string
		vars   map[string]string
		mode   os.FileMode
		code   int
		want   []string
		absent []string
	}{
		{"clean", ok, 0o600, 0, []string{"valid (0 errors, 0 warnings)"}, nil},
		{"typo in a variable name", map[string]string{"HARBORGEN_SECRET_DB_PASSWORD": "pw", "HARBORGEN_SECRET_DB_PASWORD": "x"}, 0o600, 0,
			[]string{"HARBORGEN_SECRET_DB_PASWORD names no secret", "did you mean HARBORGEN_SECRET_DB_PASSWORD?"}, nil},
		{"bad value from the environment", map[string]string{"HARBORGEN_SECRET_DB_PASSWORD": "pw", "HARBORGEN_SECRET_CSRF_KEY": "short"}, 0o600, 1,
			[]string{"harborgen.toml:1:1: error: secrets.csrf_key: secret csrf_key, from the environment variable HARBORGEN_SECRET_CSRF_KEY, must be exactly 32",
				"set HARBORGEN_SECRET_CSRF_KEY to a usable value"},
			[]string{"secrets init", "harborgen.secrets.toml:"}},
		{"secrets file readable by others", ok, 0o644, 0, []string{"warning: the secrets file is readable by others than its owner (mode 0644)", "chmod 600"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.Chmod(sf, tc.mode); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := runCLI("", tc.vars, "validate", specPath)
			out := stdout + stderr
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s", code, tc.code, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, a := range tc.absent {
				if strings.Contains(out, a) {
					t.Errorf("output has %q:\n%s", a, out)
				}
			}
		})
	}
}
