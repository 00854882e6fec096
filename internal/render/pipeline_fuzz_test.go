package render_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/harborgen/harborgen/internal/plan"
	"github.com/harborgen/harborgen/internal/render"
	"github.com/harborgen/harborgen/internal/spec"
	"github.com/harborgen/harborgen/internal/validate"
	"github.com/harborgen/harborgen/internal/verify"
)

// pipelineSeeds are every example spec, each also with an extra key nesting
// around spec.MaxNesting and padded with comments to near spec.MaxSize.
func pipelineSeeds(tb testing.TB) (seeds []struct {
	data []byte
	yaml bool
}) {
	add := func(data []byte, yaml bool) {
		seeds = append(seeds, struct {
			data []byte
			yaml bool
		}{data, yaml})
	}
	files, _ := filepath.Glob("../../examples/*/harborgen.*")
	if len(files) == 0 {
		tb.Fatal("no example specs")
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			tb.Fatal(err)
		}
		yaml := strings.HasSuffix(file, ".yaml")
		add(data, yaml)
		for _, depth := range []int{spec.MaxNesting - 2, spec.MaxNesting, spec.MaxNesting + 1} {
			add(append(bytes.Clone(data), nestedKey(depth, yaml)...), yaml)
		}
		add(padded(data), yaml)
	}
	return seeds
}

// nestedKey is a top-level key whose value nests depth arrays (YAML:
// mappings) deep.
func nestedKey(depth int, yaml bool) []byte {
	if yaml {
		return []byte("\n" + spec.NestedYAML("nested", depth))
	}
	return []byte("\nnested = " + strings.Repeat("[", depth) + `"x"` + strings.Repeat("]", depth) + "\n")
}

// padded is data after comments that bring it to 64 bytes under
// spec.MaxSize.
func padded(data []byte) []byte {
	line := []byte("# " + strings.Repeat("padding ", 7) + "\n")
	n := (spec.MaxSize - 64 - len(data)) / len(line)
	return append(bytes.Repeat(line, n), data...)
}

// FuzzPipeline mutates the example specs through load -> validate -> plan
// -> render -> verify, as `harborgen render` runs them: a spec that
// validates without errors must plan, render and load in compose-go, and
// render to the same bytes twice.
func FuzzPipeline(f *testing.F) {
	for _, s := range pipelineSeeds(f) {
		f.Add(s.data, s.yaml)
	}
	// The token key, made here once per process: under the fuzzer's
	// coverage instrumentation RSA key generation can take longer than the
	// 10 s a worker may spend on one input, which it reports as a crash.
	fakeSecrets(f, &spec.Spec{})
	f.Fuzz(func(t *testing.T, data []byte, yaml bool) {
		format := spec.TOML
		if yaml {
			format = spec.YAML
		}
		s, d := spec.Parse("fuzz", data, format)
		if s == nil {
			return
		}
		validate.Validate(s, d, validate.Options{})
		if d.HasErrors(false) {
			return
		}
		p, err := plan.Build(s)
		if err != nil {
			t.Fatalf("a valid spec does not plan: %v", err)
		}
		vals := fakeSecrets(t, s)
		first, err := render.Tree(p, "harborgen.toml", vals)
		if err != nil {
			t.Fatalf("a valid spec does not render: %v", err)
		}
		if err := verify.Compose(first); err != nil {
			t.Fatal(err)
		}
		again, err := plan.Build(s)
		if err != nil {
			t.Fatalf("the second plan fails: %v", err)
		}
		second, err := render.Tree(again, "harborgen.toml", vals)
		if err != nil {
			t.Fatalf("the second render fails: %v", err)
		}
		a, b := first.Files(), second.Files()
		if len(a) != len(b) {
			t.Fatalf("two renders give %d and %d files", len(a), len(b))
		}
		for i := range a {
			if a[i].Path != b[i].Path || !bytes.Equal(a[i].Data, b[i].Data) || a[i].Mode != b[i].Mode {
				t.Fatalf("two renders differ at %s / %s", a[i].Path, b[i].Path)
			}
		}
	})
}
