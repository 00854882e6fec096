package plan_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/harborgen/harborgen/internal/plan"
	"github.com/harborgen/harborgen/schema"
)

// The plan schema in schema/ is the one the Plan type gives (refresh with
// -update), and the plan of every example validates against it.
func TestPlanJSONSchema(t *testing.T) {
	got, err := plan.JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	const file = "../../schema/plan.schema.json"
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got, schema.PlanJSON) {
		t.Fatalf("%s is stale: run go test ./internal/plan -update", file)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("plan.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("plan.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("../../examples/*/harborgen.toml")
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(f)), func(t *testing.T) {
			p := examplePlan(t, filepath.Base(filepath.Dir(f)), nil)
			out, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(inst); err != nil {
				t.Errorf("the plan does not validate: %v", err)
			}
		})
	}
	// The schema can fail: an unknown property is refused.
	bad, _ := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(`{"cluster":"x","bogus":1}`)))
	if sch.Validate(bad) == nil {
		t.Error("the schema accepts anything")
	}
}
