package bench

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/harborgen/harborgen/internal/diag"
	"github.com/harborgen/harborgen/internal/plan"
	"github.com/harborgen/harborgen/internal/render"
	"github.com/harborgen/harborgen/internal/secrets"
	"github.com/harborgen/harborgen/internal/spec"
	"github.com/harborgen/harborgen/internal/tree"
	"github.com/harborgen/harborgen/internal/validate"
	"github.com/harborgen/harborgen/internal/verify"
)

// stage is one generated spec carried through the pipeline up to a stage.
type stage struct {
	data   []byte
	spec   *spec.Spec
	plan   *plan.Plan
	values map[string]string
	tree   *tree.Tree
}

// pipeline carries genSpec(harbors) through every stage once, with secrets
// made as `harborgen secrets init` makes them (the LDAP password, which the
// operator supplies, is fixed).
func pipeline(b *testing.B, harbors int) *stage {
	b.Helper()
	st := &stage{data: genSpec(b, harbors)}
	var d *diag.List
	st.spec, d = spec.Parse("harborgen.toml", st.data, spec.TOML)
	validate.Validate(st.spec, d, validate.Options{})
	if d.HasErrors(false) {
		b.Fatal(d.Items())
	}
	var err error
	if st.plan, err = plan.Build(st.spec); err != nil {
		b.Fatal(err)
	}
	f := secretsFile(b, st.spec)
	st.values = map[string]string{secrets.RedisPassword.Name: ""}
	for _, n := range secrets.Required(st.spec) {
		v, ok := f.Values[n.Name]
		if !ok {
			v = "operator's " + n.Name
		}
		st.values[n.Name] = v
	}
	if st.tree, err = render.Tree(st.plan, "harborgen.toml", st.values); err != nil {
		b.Fatal(err)
	}
	return st
}

var (
	secretsOnce sync.Once
	secretsMade *secrets.File
	secretsErr  error
)

// secretsFile makes the secrets once for every size (the generated specs
// need the same ones): generating the token key takes seconds.
func secretsFile(b *testing.B, s *spec.Spec) *secrets.File {
	secretsOnce.Do(func() {
		path := filepath.Join(os.TempDir(), fmt.Sprintf("harborgen-bench-%d.secrets.toml", os.Getpid()))
		defer os.Remove(path)
		if _, secretsErr = secrets.Init(path, s, rand.Reader); secretsErr == nil {
			secretsMade, secretsErr = secrets.Load(path)
		}
	})
	if secretsErr != nil {
		b.Fatal(secretsErr)
	}
	return secretsMade
}

// eachSize runs fn as a sub-benchmark per generated spec.
func eachSize(b *testing.B, fn func(b *testing.B, st *stage)) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("harbor%d", n), func(b *testing.B) { fn(b, pipeline(b, n)) })
	}
}

// BenchmarkLoad parses and decodes the spec (TOML).
func BenchmarkLoad(b *testing.B) {
	eachSize(b, func(b *testing.B, st *stage) {
		b.SetBytes(int64(len(st.data)))
		for b.Loop() {
			if _, d := spec.Parse("harborgen.toml", st.data, spec.TOML); d.HasErrors(false) {
				b.Fatal(d.Items())
			}
		}
	})
}

// BenchmarkValidate runs the schema and every cross-field rule on a loaded
// spec.
func BenchmarkValidate(b *testing.B) {
	eachSize(b, func(b *testing.B, st *stage) {
		for b.Loop() {
			var d diag.List
			validate.Validate(st.spec, &d, validate.Options{})
			if d.HasErrors(false) {
				b.Fatal(d.Items())
			}
		}
	})
}

// BenchmarkPlan derives the plan from a valid spec.
func BenchmarkPlan(b *testing.B) {
	eachSize(b, func(b *testing.B, st *stage) {
		for b.Loop() {
			if _, err := plan.Build(st.spec); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRender renders the whole tree, secrets included, and verifies its
// compose files, as `harborgen render` does before writing.
func BenchmarkRender(b *testing.B) {
	eachSize(b, func(b *testing.B, st *stage) {
		for b.Loop() {
			t, err := render.Tree(st.plan, "harborgen.toml", st.values)
			if err != nil {
				b.Fatal(err)
			}
			if err := verify.Compose(t); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkVerify is the compose verification alone.
func BenchmarkVerify(b *testing.B) {
	eachSize(b, func(b *testing.B, st *stage) {
		for b.Loop() {
			if err := verify.Compose(st.tree); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkWrite writes the rendered tree over the same tree, the usual case
// of a re-render: everything is rewritten, synced and swapped in.
func BenchmarkWrite(b *testing.B) {
	eachSize(b, func(b *testing.B, st *stage) {
		dir := filepath.Join(b.TempDir(), "out")
		if _, err := tree.Write(dir, st.tree); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(st.tree.Files())), "files")
		for b.Loop() {
			if _, err := tree.Write(dir, st.tree); err != nil {
				b.Fatal(err)
			}
		}
	})
}
