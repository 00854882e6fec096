package main

import (
	"encoding/json"
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/<name>, rewritten under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	file := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/harborgen -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test ./cmd/harborgen -update, then review the diff):\n%s", file, got)
	}
}

const invalidSpec = "../../internal/validate/testdata/invalid/pool-exceeds-max-connections.toml"
const warnSpec = "../../internal/validate/testdata/invalid/node-address-loopback.toml"

// The machine-readable outputs of validate, for CI: GitHub annotations and
// SARIF 2.1.0.
func TestValidateFormats(t *testing.T) {
	for _, format := range []string{"github", "sarif"} {
		t.Run(format, func(t *testing.T) {
			var all strings.Builder
			for _, spec := range []string{invalidSpec, warnSpec} {
				code, stdout, _ := harborgen("", "validate", "--format", format, spec)
				if code != 1 && code != 0 {
					t.Errorf("%s: exit %d", spec, code)
				}
				all.WriteString(stdout)
			}
			golden(t, "validate."+format, all.String())
		})
	}
	_, stdout, _ := harborgen("", "validate", "--format", "sarif", invalidSpec)
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Level     string `json:"level"`
				Locations []struct {
					PhysicalLocation struct {
						Region struct{ StartLine int } `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(stdout), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || len(log.Runs[0].Results) != 1 ||
		log.Runs[0].Results[0].Locations[0].PhysicalLocation.Region.StartLine != 51 {
		t.Errorf("SARIF log: %+v", log)
	}
}

// GitHub reads '%', CR and LF as escapes in a message, and ':' and ','
// too in a property.
func TestGitHubEscapes(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "a,b:c%.toml")
	if err := os.WriteFile(spec, []byte("spec = 1\n[nope]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stdout, _ := harborgen("", "validate", "--format", "github", spec)
	if !strings.Contains(stdout, "a%2Cb%3Ac%25.toml") {
		t.Errorf("file property not escaped:\n%s", stdout)
	}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if !strings.HasPrefix(line, "::error ") && !strings.HasPrefix(line, "::warning ") {
			t.Errorf("not one command per line: %q", line)
		}
	}
}

// Flags may follow SPEC; a flag's value stays with it; "-" is stdin.
func TestFlagsAfterSpec(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		stdin string
		code  int
		want  string
	}{
		{[]string{"validate", example, "--strict"}, "", 0, "valid (0 errors, 0 warnings)"},
		{[]string{"validate", warnSpec, "--strict"}, "", 1, "invalid: 0 errors, 1 warning"},
		{[]string{"validate", example, "--format", "json"}, "", 0, "valid"},
		{[]string{"validate", "-", "--format-in", "yaml"}, "spec: 1\n", 1, "-: invalid: 3 errors"},
		{[]string{"validate", example, "--secrets", "/nonexistent/s.toml"}, "", 2, "--secrets /nonexistent/s.toml"},
		{[]string{"validate", example, example}, "", 2, "needs exactly one SPEC"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, stderr := harborgen(tc.stdin, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.want)
			}
		})
	}
}

func TestVersionAndList(t *testing.T) {
	_, v1, _ := harborgen("", "--version")
	_, v2, _ := harborgen("", "version")
	if v1 != v2 || !strings.HasPrefix(v1, "harborgen ") {
		t.Errorf("--version %q, version %q", v1, v2)
	}
	code, stdout, _ := harborgen("", "init", "--list")
	if code != 0 {
		t.Fatalf("init --list: exit %d", code)
	}
	golden(t, "init-list.txt", stdout)
	for _, name := range exampleNames() {
		if !strings.Contains(stdout, name+" ") {
			t.Errorf("init --list lacks %s", name)
		}
	}
}

// Colour only on a terminal, never with NO_COLOR or TERM=dumb.
func TestColour(t *testing.T) {
	defer func(f func(io.Writer) bool) { isTerminal = f }(isTerminal)
	for _, tc := range []struct {
		name     string
		terminal bool
		vars     map[string]string
		want     bool
	}{
		{"pipe", false, nil, false},
		{"terminal", true, nil, true},
		{"terminal with NO_COLOR", true, map[string]string{"NO_COLOR": ""}, false},
		{"terminal with TERM=dumb", true, map[string]string{"TERM": "dumb"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			isTerminal = func(io.Writer) bool { return tc.terminal }
			_, stdout, _ := runCLI("", tc.vars, "validate", invalidSpec)
			if got := strings.Contains(stdout, "\x1b["); got != tc.want {
				t.Errorf("colour %v, want %v: %q", got, tc.want, stdout)
			}
		})
	}
}

// The help of harborgen and of every verb is reviewed like code.
func TestHelpGolden(t *testing.T) {
	var all strings.Builder
	for _, args := range [][]string{
		{"--help"}, {"validate", "--help"}, {"render", "--help"}, {"secrets", "--help"}, {"secrets", "init", "--help"},
		{"plan", "--help"}, {"schema", "--help"}, {"init", "--help"}, {"version", "--help"}, {"completion", "--help"},
	} {
		code, stdout, stderr := harborgen("", args...)
		if code != 0 {
			t.Errorf("%q: exit %d %s", args, code, stderr)
		}
		all.WriteString("$ harborgen " + strings.Join(args, " ") + "\n" + stdout + "\n")
	}
	golden(t, "help.txt", all.String())
}

// The SARIF output validates against the SARIF 2.1.0 schema itself, taken
// from the npm registry (testdata/sarif: @microsoft/jest-sarif ships it).
func TestSARIFAgainstItsSchema(t *testing.T) {
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Fatal("npm is missing: apt-get install -y nodejs npm (make test installs it as root)")
	}
	dir := t.TempDir()
	for _, f := range []string{"package.json", "package-lock.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", "sarif", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci: %v\n%s", err, out)
	}
	schemaFile := filepath.Join(dir, "node_modules", "@microsoft", "jest-sarif", "lib", "schemas", "sarif-2.1.0-rtm.5.json")
	f, err := os.Open(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sarif-2.1.0.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("sarif-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, spec := range []string{invalidSpec, warnSpec, example} {
		_, stdout, _ := harborgen("", "validate", "--format", "sarif", spec)
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(stdout))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(inst); err != nil {
			t.Errorf("%s: the SARIF log does not validate: %v", spec, err)
		}
	}
	// The check can fail: a result without its message is refused.
	broken, _ := jsonschema.UnmarshalJSON(strings.NewReader(`{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"ruleId":"r"}]}]}`))
	if sch.Validate(broken) == nil {
		t.Error("the SARIF schema accepts a result without a message")
	}
}
