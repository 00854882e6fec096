package validate

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"

	"github.com/harborgen/harborgen/internal/spec"
	"github.com/harborgen/harborgen/schema"
)

// librarySchema compiles the spec's schema with a general JSON Schema
// library, the reference the interpreter of jsonschema.go is held to.
func librarySchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(schema.JSON)))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("https://harborgen.dev/schema/harborgen.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("https://harborgen.dev/schema/harborgen.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// libraryFailures are the library's leaf failures, one line each, sorted.
func libraryFailures(sch *jsonschema.Schema, v any) []string {
	var out []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		var what string
		switch k := e.ErrorKind.(type) {
		case *kind.Type:
			what = fmt.Sprintf("type %s %v", k.Got, k.Want)
		case *kind.AdditionalProperties:
			what = fmt.Sprintf("additional %v", sorted(k.Properties))
		case *kind.Required:
			what = fmt.Sprintf("required %v", k.Missing)
		case *kind.Pattern:
			what = fmt.Sprintf("pattern %q %q", k.Got, k.Want)
		case *kind.Enum:
			what = fmt.Sprintf("enum %v %v", k.Got, k.Want)
		case *kind.Const:
			what = fmt.Sprintf("const %v %v", k.Got, k.Want)
		case *kind.Minimum:
			what = fmt.Sprintf("minimum %s %s", k.Got.RatString(), k.Want.RatString())
		case *kind.Maximum:
			what = fmt.Sprintf("maximum %s %s", k.Got.RatString(), k.Want.RatString())
		case *kind.MinLength:
			what = fmt.Sprintf("minLength %d %d", k.Got, k.Want)
		case *kind.MaxLength:
			what = fmt.Sprintf("maxLength %d %d", k.Got, k.Want)
		case *kind.MinItems:
			what = fmt.Sprintf("minItems %d %d", k.Got, k.Want)
		case *kind.UniqueItems:
			what = fmt.Sprintf("uniqueItems %v", k.Duplicates)
		default:
			what = fmt.Sprintf("other %T", k)
		}
		out = append(out, "/"+strings.Join(e.InstanceLocation, "/")+": "+what)
	}
	var ve *jsonschema.ValidationError
	if err := sch.Validate(v); err != nil {
		var ok bool
		if ve, ok = err.(*jsonschema.ValidationError); !ok {
			return []string{"error " + err.Error()}
		}
		walk(ve)
	}
	slices.Sort(out)
	return out
}

// ownFailures are the interpreter's, in the same form.
func ownFailures(sch *schemaNode, v any) []string {
	var out []string
	for _, e := range sch.validate(v, nil) {
		var what string
		switch k := e.kind.(type) {
		case kindType:
			what = fmt.Sprintf("type %s %v", k.got, k.want)
		case kindAdditional:
			what = fmt.Sprintf("additional %v", sorted(k.properties))
		case kindRequired:
			what = fmt.Sprintf("required %v", k.missing)
		case kindPattern:
			what = fmt.Sprintf("pattern %q %q", k.got, k.want)
		case kindEnum:
			what = fmt.Sprintf("enum %v %v", k.got, k.want)
		case kindConst:
			what = fmt.Sprintf("const %v %v", k.got, k.want)
		case kindMinimum:
			what = fmt.Sprintf("minimum %s %s", k.got.RatString(), k.want.RatString())
		case kindMaximum:
			what = fmt.Sprintf("maximum %s %s", k.got.RatString(), k.want.RatString())
		case kindMinLength:
			what = fmt.Sprintf("minLength %d %d", k.got, k.want)
		case kindMaxLength:
			what = fmt.Sprintf("maxLength %d %d", k.got, k.want)
		case kindMinItems:
			what = fmt.Sprintf("minItems %d %d", k.got, k.want)
		case kindUniqueItems:
			what = fmt.Sprintf("uniqueItems %v", k.duplicates)
		}
		out = append(out, "/"+strings.Join(e.loc, "/")+": "+what)
	}
	slices.Sort(out)
	return out
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

// mutations are values put in place of every value of a spec: each kind of
// JSON value, empty, out of range, repeated, with a stray key.
var mutations = []any{
	"", "x y", "UPPER", strings.Repeat("a", 300), "é", int64(-1), int64(0), int64(1), int64(70000), int64(1) << 40,
	1.5, 2.0, true, nil, []any{}, []any{"a", "a"}, []any{int64(1), 1.0}, []any{"harbor"}, map[string]any{}, map[string]any{"zz": int64(1)},
}

// specInstances are the spec documents of the tests: the examples and
// every TOML or YAML spec under the repository's testdata directories.
func specInstances(t *testing.T) map[string]any {
	t.Helper()
	var files []string
	for _, pattern := range []string{"../../examples/*/harborgen.*", "testdata/*/*.toml", "testdata/*/*.yaml",
		"../services/testdata/*.toml", "../render/testdata/*.toml", "../render/testdata/*/*.toml", "../plan/testdata/*.toml"} {
		m, _ := filepath.Glob(pattern)
		files = append(files, m...)
	}
	if len(files) < 8 {
		t.Fatalf("found only %d specs: %v", len(files), files)
	}
	out := map[string]any{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		format, err := spec.FormatOf(f)
		if err != nil {
			continue
		}
		s, _ := spec.Parse(f, data, format)
		if s != nil && s.Source.Root != nil {
			out[f] = s.Source.Root.Interface()
		}
	}
	return out
}

// TestSchemaSubsetMatchesLibrary holds the interpreter to a general JSON
// Schema library: on every test spec, and on each example with every value
// replaced by each mutation and every key removed, both report the same
// failures at the same places.
func TestSchemaSubsetMatchesLibrary(t *testing.T) {
	lib := librarySchema(t)
	own, err := compiledSchema()
	if err != nil {
		t.Fatal(err)
	}
	compared, failing := 0, 0
	compare := func(name string, v any) {
		compared++
		want, got := libraryFailures(lib, v), ownFailures(own, v)
		if len(want) > 0 {
			failing++
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", name, got, want)
		}
	}
	for file, doc := range specInstances(t) {
		compare(file, doc)
		if !strings.HasSuffix(file, "harborgen.toml") || !strings.Contains(file, "examples") {
			continue // the examples' mutations cover every keyword; the rest as they are
		}
		var edit func(v any, at string, replace func(any))
		edit = func(v any, at string, replace func(any)) {
			for _, m := range mutations {
				replace(m)
				compare(fmt.Sprintf("%s with %s = %#v", file, at, m), doc)
			}
			replace(v)
			switch v := v.(type) {
			case map[string]any:
				for _, k := range sorted(mapKeys(v)) {
					old := v[k]
					delete(v, k)
					compare(fmt.Sprintf("%s without %s/%s", file, at, k), doc)
					v[k] = old
					edit(old, at+"/"+k, func(n any) { v[k] = n })
				}
			case []any:
				for i := range v {
					edit(v[i], fmt.Sprintf("%s/%d", at, i), func(n any) { v[i] = n })
				}
			}
		}
		edit(doc, "", func(any) {})
		if t.Failed() {
			return
		}
	}
	t.Logf("%d documents compared, %d of them failing the schema", compared, failing)
	if failing < compared/2 {
		t.Errorf("only %d of %d mutated documents fail the schema: the mutations test little", failing, compared)
	}
}

// TestSchemaSubsetRefusesOtherKeywords: a keyword the interpreter does not
// implement fails the compilation, naming it, rather than being ignored.
func TestSchemaSubsetRefusesOtherKeywords(t *testing.T) {
	for _, kw := range []string{`"oneOf": [{"type": "string"}]`, `"if": {"type": "string"}`, `"multipleOf": 2`, `"$ref": "https://example.com/x"`} {
		_, err := compileSchema([]byte(`{"type": "object", "properties": {"a": {` + kw + `}}}`))
		if err == nil || !strings.Contains(err.Error(), "/properties/a/") {
			t.Errorf("%s: error %v, want one that names it", kw, err)
		}
	}
}

func mapKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}
