package schema_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/harborgen/harborgen/schema"
)

var update = flag.Bool("update", false, "rewrite docs/spec-reference.md")

const referencePath = "../docs/spec-reference.md"

// TestReferenceIsCurrent keeps docs/spec-reference.md generated from the
// schema, so the spec reference can never drift from what validate checks.
func TestReferenceIsCurrent(t *testing.T) {
	got := reference(t)
	if *update {
		if err := os.WriteFile(referencePath, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(referencePath)
	if err != nil {
		t.Fatalf("%v (run go test ./schema -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s is stale: run go test ./schema -update", referencePath)
	}
}

func reference(t *testing.T) string {
	var root map[string]any
	if err := json.Unmarshal(schema.JSON, &root); err != nil {
		t.Fatal(err)
	}
	order, err := keyOrder(schema.JSON)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("# Spec reference\n\n")
	b.WriteString("Generated from `schema/harborgen.schema.json` by `go test ./schema -update`; do not edit.\n")
	b.WriteString("`harborgen schema` prints the schema itself. Cross-field rules (roles, ports, quorum, pool\n")
	b.WriteString("arithmetic, sites) are listed in the README.\n\n")
	b.WriteString("| key | type | default | description |\n|---|---|---|---|\n")
	var walk func(node map[string]any, ptr, path string)
	walk = func(node map[string]any, ptr, path string) {
		node, ptr = deref(root, node, ptr)
		props, _ := node["properties"].(map[string]any)
		for _, key := range order[ptr+"/properties"] {
			prop := props[key].(map[string]any)
			p := key
			if path != "" {
				p = path + "." + key
			}
			target, tptr := deref(root, prop, ptr+"/properties/"+key)
			typ, _ := target["type"].(string)
			if typ == "array" {
				if items, ok := target["items"].(map[string]any); ok {
					it, _ := deref(root, items, "")
					if it["type"] == "object" {
						typ = "array of tables"
						fmt.Fprintf(&b, "| `[[%s]]` | %s | | %s |\n", p, typ, cell(prop["description"]))
						walk(items, tptr+"/items", p+"[]")
						continue
					}
					typ = fmt.Sprintf("array of %v", it["type"])
				}
			}
			if typ == "object" {
				fmt.Fprintf(&b, "| `[%s]` | table | | %s |\n", p, cell(prop["description"]))
				walk(prop, ptr+"/properties/"+key, p)
				continue
			}
			if enum, ok := target["enum"].([]any); ok {
				typ = enumText(enum)
			} else if items, ok := target["items"].(map[string]any); ok {
				if enum, ok := items["enum"].([]any); ok {
					typ = "array of " + enumText(enum)
				}
			}
			def := ""
			if d, ok := target["default"]; ok {
				raw, _ := json.Marshal(d)
				def = "`" + string(raw) + "`"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", p, typ, def, cell(prop["description"]))
		}
	}
	walk(root, "", "")
	return b.String()
}

// deref follows a local $ref, returning the target and its pointer.
func deref(root, node map[string]any, ptr string) (map[string]any, string) {
	ref, ok := node["$ref"].(string)
	if !ok {
		return node, ptr
	}
	name := strings.TrimPrefix(ref, "#/$defs/")
	defs := root["$defs"].(map[string]any)
	return defs[name].(map[string]any), "/$defs/" + name
}

func enumText(enum []any) string {
	parts := make([]string, len(enum))
	for i, e := range enum {
		parts[i] = fmt.Sprintf("`%v`", e)
	}
	return strings.Join(parts, " \\| ")
}

func cell(v any) string {
	s, _ := v.(string)
	return strings.ReplaceAll(s, "|", "\\|")
}
