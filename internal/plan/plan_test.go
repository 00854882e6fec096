package plan_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/harborgen/harborgen/internal/plan"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestPlanGolden renders the plan of every example and compares it with
// testdata/<example>.txt.
func TestPlanGolden(t *testing.T) {
	files, _ := filepath.Glob("../../examples/*/harborgen.toml")
	if len(files) < 4 {
		t.Fatalf("found %d examples", len(files))
	}
	for _, file := range files {
		name := filepath.Base(filepath.Dir(file))
		t.Run(name, func(t *testing.T) {
			p := examplePlan(t, name, nil)
			var out bytes.Buffer
			if err := plan.WriteText(&out, p); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".txt")
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/plan -update)", err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("plan differs from %s:\n%s", golden, out.String())
			}
		})
	}
}
