package validate_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/harborgen/harborgen/internal/spec"
	"github.com/harborgen/harborgen/internal/validate"
)

// BenchmarkLoadAndValidate measures what `harborgen validate` spends on each
// example: parse, decode, schema and every cross-field rule.
func BenchmarkLoadAndValidate(b *testing.B) {
	files, _ := filepath.Glob("../../examples/*/harborgen.*")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			b.Fatal(err)
		}
		format, _ := spec.FormatOf(file)
		b.Run(filepath.Base(filepath.Dir(file))+"/"+string(format), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				s, d := spec.Parse(file, data, format)
				validate.Validate(s, d, validate.Options{})
				if d.HasErrors(false) {
					b.Fatal("example is invalid")
				}
			}
		})
	}
}
