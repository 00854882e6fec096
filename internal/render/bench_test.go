package render_test

import (
	"testing"

	"github.com/harborgen/harborgen/internal/plan"
	"github.com/harborgen/harborgen/internal/render"
	"github.com/harborgen/harborgen/internal/verify"
)

// BenchmarkRender measures plan, render and compose verification of each
// example, secrets included (writing to disk is the tree package's).
func BenchmarkRender(b *testing.B) {
	for _, example := range examples {
		b.Run(example, func(b *testing.B) {
			s, _ := loadPlan(b, example)
			vals := fakeSecrets(b, s)
			for b.Loop() {
				p, err := plan.Build(s)
				if err != nil {
					b.Fatal(err)
				}
				tr, err := render.Tree(p, "harborgen.toml", vals)
				if err != nil {
					b.Fatal(err)
				}
				if err := verify.Compose(tr); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
