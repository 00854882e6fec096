package validate_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/harborgen/harborgen/internal/diag"
	"github.com/harborgen/harborgen/internal/secrets"
	"github.com/harborgen/harborgen/internal/spec"
	"github.com/harborgen/harborgen/internal/validate"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// run loads and validates a spec file the way `harborgen validate` does,
// with the secrets file beside it when there is one.
func run(t *testing.T, path string) []diag.Diagnostic {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	format, err := spec.FormatOf(path)
	if err != nil {
		t.Fatal(err)
	}
	s, diags := spec.Parse(filepath.ToSlash(path), data, format)
	if s != nil {
		opts := validate.Options{Env: func(string) (string, bool) { return "", false }}
		sf, err := secrets.Load(secrets.DefaultPath(path))
		switch {
		case err == nil:
			opts.Secrets = sf
		case !errors.Is(err, os.ErrNotExist):
			t.Fatal(err)
		}
		validate.Validate(s, diags, opts)
	}
	return diags.Items()
}

var expectLine = regexp.MustCompile(`(?m)^# expect: (\S+)$`)

// TestInvalidSpecs checks every spec under testdata/invalid against its
// golden output. Each file names, in an "# expect: PATH" comment, the spec
// path its mistake is about ("-" for the whole file, e.g. a syntax error),
// so a case cannot silently turn into another.
func TestInvalidSpecs(t *testing.T) {
	files, _ := filepath.Glob("testdata/invalid/*.toml")
	yamls, _ := filepath.Glob("testdata/invalid/*.yaml")
	files = append(files, yamls...)
	cases := 0
	for _, file := range files {
		if strings.HasSuffix(file, ".secrets.toml") {
			continue
		}
		cases++
		t.Run(filepath.Base(file), func(t *testing.T) {
			items := run(t, file)
			var out bytes.Buffer
			if err := diag.WriteText(&out, items); err != nil {
				t.Fatal(err)
			}
			golden := strings.TrimSuffix(file, filepath.Ext(file)) + filepath.Ext(file) + ".golden"
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/validate -update)", err)
			}
			if got := out.String(); got != string(want) {
				t.Errorf("diagnostics differ from %s:\n--- got\n%s--- want\n%s", golden, got, want)
			}
			src, _ := os.ReadFile(file)
			m := expectLine.FindAllSubmatch(src, -1)
			if len(m) == 0 {
				t.Fatalf("%s has no '# expect: PATH' line", file)
			}
			for _, want := range m {
				path := string(want[1])
				if path == "-" { // a whole-file problem such as a syntax error
					path = ""
				}
				if !hasPath(items, path) {
					t.Errorf("no diagnostic for %s; got:\n%s", want[1], out.String())
				}
			}
		})
	}
	if cases < 40 {
		t.Errorf("only %d invalid-spec cases; the suite promises at least 40", cases)
	}
}

func hasPath(items []diag.Diagnostic, path string) bool {
	for _, d := range items {
		if d.Path == path {
			return true
		}
	}
	return false
}

// TestExamples checks that every example is valid with no warning, and that
// its TOML and YAML versions load to the same spec.
func TestExamples(t *testing.T) {
	dirs, _ := filepath.Glob("../../examples/*/harborgen.toml")
	if len(dirs) < 4 {
		t.Fatalf("found %d examples, want the 4 topologies of SPEC §5", len(dirs))
	}
	for _, tomlPath := range dirs {
		dir := filepath.Dir(tomlPath)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			yamlPath := filepath.Join(dir, "harborgen.yaml")
			for _, p := range []string{tomlPath, yamlPath} {
				if items := run(t, p); len(items) > 0 {
					var out bytes.Buffer
					_ = diag.WriteText(&out, items)
					t.Errorf("%s is not clean:\n%s", p, out.String())
				}
			}
			a, b := load(t, tomlPath), load(t, yamlPath)
			a.Source, b.Source = nil, nil
			if !equalSpecs(a, b) {
				t.Errorf("%s and %s load to different specs:\n%+v\n%+v", tomlPath, yamlPath, a, b)
			}
		})
	}
}

func load(t *testing.T, path string) *spec.Spec {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	format, _ := spec.FormatOf(path)
	s, d := spec.Parse(path, data, format)
	if s == nil || d.Len() > 0 {
		t.Fatalf("%s does not load: %+v", path, d.Items())
	}
	return s
}
