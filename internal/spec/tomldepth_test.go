package spec

import (
	"strings"
	"testing"
	"time"
)

func TestTOMLNestingBounded(t *testing.T) {
	deep := func(open, close string, n int) string { return strings.Repeat(open, n) + strings.Repeat(close, n) }
	for _, tc := range []struct {
		name     string
		doc      string
		wantLine int // 0: no nesting error
	}{
		{"inline tables 10000 deep", "spec = 1\nx = " + strings.Repeat("{a=", 10000) + "1" + strings.Repeat("}", 10000) + "\n", 2},
		{"arrays 10000 deep", "spec = 1\n\nx = " + deep("[", "]", 10000) + "\n", 3},
		{"dotted header 10000 parts", "[" + strings.Repeat("a.", 10000) + "b]\n", 1},
		{"dotted key 10000 parts", "spec = 1\n" + strings.Repeat("a.", 10000) + "b = 1\n", 2},
		{"at the bound", "x = " + deep("[", "]", MaxNesting) + "\n", 0},
		{"brackets in strings do not count", "x = \"" + strings.Repeat("[", 200) + "\"\ny = '" + strings.Repeat("{", 200) + "'\n", 0},
		{"multi-line strings do not count", "x = \"\"\"\n" + strings.Repeat("[.", 200) + "\n\"\"\"\ny = '''" + strings.Repeat("{", 200) + "'''\n", 0},
		{"comments do not count", "# " + strings.Repeat("[.", 200) + "\nspec = 1\n", 0},
		{"escaped quote keeps the string open", `x = "\"` + strings.Repeat("[", 200) + "\"\n", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, diags := Parse("deep.toml", []byte(tc.doc), TOML)
			if d := time.Since(start); d > 5*time.Second {
				t.Logf("took %s", d) // measured, never asserted; the bound makes it milliseconds
			}
			var found bool
			for _, d := range diags.Items() {
				if strings.Contains(d.Message, "nests deeper") {
					found = true
					if d.Pos.Line != tc.wantLine {
						t.Errorf("line %d, want %d: %s", d.Pos.Line, tc.wantLine, d.Message)
					}
				}
			}
			if found != (tc.wantLine != 0) {
				t.Errorf("nesting error reported: %v, want %v (%v)", found, tc.wantLine != 0, diags.Items())
			}
		})
	}
}
