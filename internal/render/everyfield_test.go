package render_test

import (
	"bytes"
	"os"
	"os/exec"
	"path"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/interpolation"
	"go.yaml.in/yaml/v3"

	"github.com/harborgen/harborgen/internal/plan"
	"github.com/harborgen/harborgen/internal/render"
	"github.com/harborgen/harborgen/internal/spec"
	"github.com/harborgen/harborgen/internal/tree"
	"github.com/harborgen/harborgen/internal/validate"
)

// marker starts every hostile value: no escaper changes it, so a file that
// holds it holds the value, escaped or not.
const marker = "ZQXWmark"

// TestEveryStringFieldIsRejectedOrRoundTrips puts a hostile value into each
// string of every 2.x example in turn. Either validate rejects it, or every
// file it lands in parses back (dotenv, YAML, compose interpolation) to a
// value that contains it intact; a file without a parser must not hold it.
func TestEveryStringFieldIsRejectedOrRoundTrips(t *testing.T) {
	// A newline or a tab can be carried by no file here: validate must
	// reject it (checked below: such a value never reaches a file).
	values := []string{marker + hostile, "/" + marker + "/" + hostile, marker + "a\nb", "/" + marker + "/a\tb"}
	for _, example := range examples {
		src, err := os.ReadFile("../../examples/" + example + "/harborgen.toml")
		if err != nil {
			t.Fatal(err)
		}
		base, d := spec.Parse("x.toml", src, spec.TOML)
		if d.Len() > 0 {
			t.Fatal(d.Items())
		}
		var paths []string
		base.Source.Root.Walk("", func(p string, v *spec.Value) {
			if v.Kind == spec.KindString {
				paths = append(paths, p)
			}
		})
		rendered := 0
		for _, p := range paths {
			for _, val := range values {
				doc := base.Source.Root.Interface().(map[string]any)
				setPath(doc, p, val)
				var buf bytes.Buffer
				if err := toml.NewEncoder(&buf).Encode(doc); err != nil {
					t.Fatal(err)
				}
				s, d := spec.Parse("x.toml", buf.Bytes(), spec.TOML)
				if s == nil {
					t.Fatalf("%s: %v", p, d.Items())
				}
				validate.Validate(s, d, validate.Options{})
				if d.HasErrors(false) {
					continue // rejected
				}
				pl, err := plan.Build(s)
				if err != nil {
					t.Fatal(err)
				}
				tr, err := render.Tree(pl, "x.toml", fakeSecrets(t, s))
				if err != nil {
					t.Errorf("%s %s = %q: render: %v", example, p, val, err)
					continue
				}
				if checkRoundTrip(t, tr, val) {
					rendered++
				}
				t.Logf("%s %s accepted", example, p)
			}
		}
		if rendered == 0 {
			t.Errorf("%s: no hostile value reached a file: the test proves nothing", example)
		}
	}
}

// checkRoundTrip reports whether val reached a file, failing the test when a
// file holds it but does not read it back.
func checkRoundTrip(t *testing.T, tr *tree.Tree, val string) bool {
	t.Helper()
	reached := false
	for _, f := range tr.Files() {
		if !bytes.Contains(f.Data, []byte(marker)) {
			continue
		}
		reached = true
		var parsed []string
		name := path.Base(f.Path)
		switch {
		case name == "env" || strings.HasSuffix(name, ".env"):
			m, err := dotenv.ParseWithLookup(bytes.NewReader(f.Data), func(string) (string, bool) { return "", false })
			if err != nil {
				t.Errorf("%s does not parse: %v", f.Path, err)
				continue
			}
			for _, v := range m {
				parsed = append(parsed, v)
			}
		case strings.HasSuffix(name, ".yml"):
			var doc map[string]any
			if err := yaml.Unmarshal(f.Data, &doc); err != nil {
				t.Errorf("%s does not parse: %v", f.Path, err)
				continue
			}
			if name == "docker-compose.yml" {
				var err error
				doc, err = interpolation.Interpolate(doc, interpolation.Options{LookupValue: func(string) (string, bool) { return "", false }})
				if err != nil {
					t.Errorf("%s does not interpolate: %v", f.Path, err)
					continue
				}
			}
			parsed = strings_(doc)
		case strings.HasSuffix(name, ".sh"):
			parsed = shellAssignments(t, f.Data)
		case f.Path == "README.md":
			parsed = runbookValues(t, f.Data)
		default:
			t.Errorf("%s holds a spec value but has no parser in this test", f.Path)
			continue
		}
		ok := false
		for _, v := range parsed {
			if strings.Contains(v, val) {
				ok = true
			}
		}
		if !ok {
			t.Errorf("%s does not read back %q", f.Path, val)
		}
	}
	return reached
}

func strings_(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case map[string]any:
		var out []string
		for _, x := range v {
			out = append(out, strings_(x)...)
		}
		return out
	case []any:
		var out []string
		for _, x := range v {
			out = append(out, strings_(x)...)
		}
		return out
	}
	return nil
}

// setPath sets a value at a spec path such as node[1].address in a decoded
// document.
func setPath(doc map[string]any, p string, val string) {
	var cur any = doc
	parts := strings.Split(p, ".")
	for i, part := range parts {
		key, idx := part, -1
		if j := strings.IndexByte(part, '['); j >= 0 {
			key = part[:j]
			var n int
			for _, c := range part[j+1 : len(part)-1] {
				n = n*10 + int(c-'0')
			}
			idx = n
		}
		m := cur.(map[string]any)
		last := i == len(parts)-1
		if idx < 0 {
			if last {
				m[key] = val
				return
			}
			cur = m[key]
			continue
		}
		list := m[key].([]any)
		if last {
			list[idx] = val
			return
		}
		cur = list[idx]
	}
}

// shellAssignments evaluates, with bash itself, every NAME=value line of a
// script that holds the marker, and returns the values bash assigned.
func shellAssignments(t *testing.T, script []byte) []string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(string(script), "\n") {
		name, _, ok := strings.Cut(line, "=")
		if !ok || !strings.Contains(line, marker) || strings.ContainsAny(name, " \t$") {
			continue
		}
		got, err := exec.Command("bash", "-c", line+"\nprintf '%s' \"$"+name+"\"").Output()
		if err != nil {
			t.Errorf("bash cannot run %q: %v", line, err)
			continue
		}
		out = append(out, string(got))
	}
	return out
}

// runbookValues returns the spec values the runbook holds: the decoded
// text of each quoted label of its Mermaid diagram (one string per line of a
// label), and the values of its shell assignments (NAME=value lines of its
// code blocks). A spec value anywhere else in the runbook fails the test.
func runbookValues(t *testing.T, readme []byte) []string {
	t.Helper()
	text := string(readme)
	start := strings.Index(text, "```mermaid\n")
	end := strings.Index(text[start+1:], "\n```\n") + start + 1
	if start < 0 || end <= start {
		t.Errorf("README.md: no mermaid block")
		return nil
	}
	decode := strings.NewReplacer("#quot;", `"`, "#lt;", "<", "#gt;", ">", "#amp;", "&", "#96;", "`", "#35;", "#")
	var out []string
	for _, line := range strings.Split(text[start:end], "\n") {
		fields := strings.Split(line, `"`)
		for i := 1; i < len(fields); i += 2 {
			for _, part := range strings.Split(fields[i], "<br>") {
				out = append(out, decode.Replace(part))
			}
		}
	}
	var assignments []string
	for _, line := range strings.Split(text[:start]+text[end:], "\n") {
		if !strings.Contains(line, marker) {
			continue
		}
		line = strings.TrimLeft(line, " ")
		if name, _, ok := strings.Cut(line, "="); !ok || strings.ContainsAny(name, " \t$`*") {
			t.Errorf("README.md holds a spec value outside its diagram and shell assignments: %q", line)
			continue
		}
		assignments = append(assignments, line)
	}
	return append(out, shellAssignments(t, []byte(strings.Join(assignments, "\n")))...)
}
