package validate_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/harborgen/harborgen/internal/spec"
	"github.com/harborgen/harborgen/internal/validate"
)

// FuzzValidate runs the whole validator on any document that loads: it must
// never panic, and every diagnostic must carry a position and a message.
func FuzzValidate(f *testing.F) {
	for _, glob := range []string{"../../examples/*/harborgen.toml", "testdata/invalid/*.toml"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
	for _, data := range spec.DeepAndLarge(false) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, d := spec.Parse("fuzz.toml", data, spec.TOML)
		if s == nil {
			return
		}
		validate.Validate(s, d, validate.Options{})
		for _, item := range d.Items() {
			if item.Pos.Line < 1 || item.Pos.Col < 1 || item.Message == "" {
				t.Fatalf("diagnostic without position or message: %+v", item)
			}
		}
	})
}
