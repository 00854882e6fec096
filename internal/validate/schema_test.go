package validate

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/harborgen/harborgen/internal/cache"
	"github.com/harborgen/harborgen/internal/spec"
	"github.com/harborgen/harborgen/schema"
)

// The schema's patterns are compiled lazily (lazyPatterns), so a pattern that Go's regexp
// refuses would only show as a value that never matches: every one must compile here.
func TestSchemaPatternsCompile(t *testing.T) {
	var doc any
	if err := json.Unmarshal(schema.JSON, &doc); err != nil {
		t.Fatal(err)
	}
	var patterns []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				if s, ok := c.(string); ok && k == "pattern" {
					patterns = append(patterns, s)
				}
				if pp, ok := c.(map[string]any); ok && k == "patternProperties" {
					for p := range pp {
						patterns = append(patterns, p)
					}
				}
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(doc)
	if len(patterns) < 10 {
		t.Fatalf("found %d patterns in the schema; the walk is broken", len(patterns))
	}
	for _, p := range patterns {
		if _, err := regexp.Compile(p); err != nil {
			t.Errorf("schema pattern %q: %v", p, err)
		}
	}
	for _, l := range []*lazyRegexp{pinnedTag, pinnedMajorMinor, bucketName, dnsName, noProxyHost} {
		if _, err := regexp.Compile(l.pattern); err != nil {
			t.Errorf("pattern %q: %v", l.pattern, err)
		}
	}
	for p := range patternHints {
		if _, err := regexp.Compile(p); err != nil {
			t.Errorf("patternHints key %q: %v", p, err)
		}
	}
}

func TestLazyPatterns(t *testing.T) {
	engine := lazyPatterns()
	a, _ := engine(`^[a-z]+$`)
	b, _ := engine(`^[a-z]+$`)
	if a != b {
		t.Error("the same pattern gave two regexps: it would be compiled twice")
	}
	if !a.MatchString("abc") || a.MatchString("ABC") || a.String() != `^[a-z]+$` {
		t.Errorf("lazy regexp %q matches wrongly", a)
	}
	bad, err := engine(`(`)
	if err != nil || bad.MatchString("(") {
		t.Errorf("a pattern that does not compile must match nothing, got err=%v", err)
	}
}

// TestSchemaCache: a spec the schema accepts is remembered, and validating it again does not run
// the schema, with the same diagnostics; a spec the schema refuses is never remembered.
func TestSchemaCache(t *testing.T) {
	var runs int
	validateInstance = func(sch *jsonschema.Schema, v any) error { runs++; return sch.Validate(v) }
	defer func() { validateInstance = func(sch *jsonschema.Schema, v any) error { return sch.Validate(v) } }()
	good, err := os.ReadFile("../../examples/ha-modern/harborgen.toml")
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(good), `hostname = "`, `hostname = "UPPER.`, 1)
	if bad == string(good) {
		t.Fatal("the example has no hostname to break")
	}
	for _, tc := range []struct {
		name      string
		doc       string
		wantRuns  []int // schema runs per validation
		wantEntry bool
	}{
		{"accepted: remembered", string(good), []int{1, 0, 0}, true},
		{"refused: never remembered", bad, []int{1, 1, 1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			var first string
			for i, want := range tc.wantRuns {
				s, d := spec.Parse("harborgen.toml", []byte(tc.doc), spec.TOML)
				if s == nil {
					t.Fatalf("does not load: %v", d.Items())
				}
				runs = 0
				Validate(s, d, Options{Cache: cache.Open(root)})
				if runs != want {
					t.Errorf("validation %d ran the schema %d times, want %d", i, runs, want)
				}
				got := fmt.Sprint(d.Items())
				if i == 0 {
					first = got
				} else if got != first {
					t.Errorf("validation %d: other diagnostics than the first:\n%s\n%s", i, got, first)
				}
			}
			entries, _ := filepath.Glob(filepath.Join(root, schemaCacheKind, "*"))
			if (len(entries) == 1) != tc.wantEntry || len(entries) > 1 {
				t.Errorf("cache entries %v, want one: %v", entries, tc.wantEntry)
			}
		})
	}
}

// TestSchemaKey: two specs share a key only when the schema sees the same values.
func TestSchemaKey(t *testing.T) {
	key := func(doc string, format spec.Format) string {
		t.Helper()
		s, d := spec.Parse("x", []byte(doc), format)
		if s == nil {
			t.Fatalf("%q does not load: %v", doc, d.Items())
		}
		return schemaKey(s.Source.Root)
	}
	for _, tc := range []struct {
		name string
		a, b string
		same bool
	}{
		{"comments and spacing", "spec = 1\n[cluster]\nname = \"a\"\n", "# c\nspec   =  1\n\n[cluster]\n  name = \"a\" # x\n", true},
		{"an integer and a float", "spec = 1\n", "spec = 1.0\n", false},
		{"an integer and a string", "spec = 1\n", "spec = \"1\"\n", false},
		{"a string and a boolean", "x = \"true\"\n", "x = true\n", false},
		{"a key moved into a value", "a = \"bc\"\n", "ab = \"c\"\n", false},
		{"an empty table and none", "spec = 1\n[cluster]\n", "spec = 1\n", false},
		{"a list and a value", "x = [1]\n", "x = 1\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := key(tc.a, spec.TOML) == key(tc.b, spec.TOML); got != tc.same {
				t.Errorf("same key = %v, want %v", got, tc.same)
			}
		})
	}
}
