package spec

import (
	"os"
	"path/filepath"
	"testing"
)

// The seeds that nest and grow (DeepAndLarge) live in fuzzseeds.go, shared
// with the validate and pipeline fuzz targets.

// seed adds the examples and the invalid-spec cases of the given extension.
func seed(f *testing.F, ext string) {
	for _, glob := range []string{"../../examples/*/*" + ext, "../validate/testdata/invalid/*" + ext} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
	for _, data := range DeepAndLarge(ext == ".yaml") {
		f.Add(data)
	}
}

// fuzzParse checks the loader's promises on any input: no panic, and a
// spec only when no diagnostic says the file could not be parsed.
func fuzzParse(t *testing.T, data []byte, format Format) {
	s, d := Parse("fuzz", data, format)
	if s == nil && d.Len() == 0 {
		t.Fatal("no spec and no diagnostic")
	}
	for _, item := range d.Items() {
		if item.Pos.Line < 1 || item.Pos.Col < 1 || item.Message == "" {
			t.Fatalf("diagnostic without position or message: %+v", item)
		}
	}
	if s != nil {
		_ = s.Scopes()
	}
}

func FuzzParseTOML(f *testing.F) {
	seed(f, ".toml")
	f.Add([]byte(minimalTOML))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, data, TOML) })
}

func FuzzParseYAML(f *testing.F) {
	seed(f, ".yaml")
	f.Add([]byte("spec: 1\nnode:\n  - name: a\n    roles: [harbor]\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzParse(t, data, YAML) })
}
