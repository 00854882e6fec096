package render

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestNonHermeticFunctionsAreGone(t *testing.T) {
	fm := FuncMap(nil)
	for _, name := range nonHermetic {
		if _, ok := fm[name]; ok {
			t.Errorf("%s is still in the FuncMap", name)
		}
	}
	for _, name := range []string{"upper", "indent", "quote", "join", "sha256sum"} {
		if _, ok := fm[name]; !ok {
			t.Errorf("%s, a hermetic sprig function, is missing", name)
		}
	}
}

func TestEngine(t *testing.T) {
	fsys := fstest.MapFS{
		"a/ok.tmpl":      {Data: []byte("{{ .Name | upper }}")},
		"a/missing.tmpl": {Data: []byte("line1\n{{ .Nope }}")},
		"a/rand.tmpl":    {Data: []byte(`{{ randAlpha 4 }}`)},
	}
	if _, err := New(fsys, nil); err == nil || !strings.Contains(err.Error(), `"randAlpha" not defined`) {
		t.Fatalf("a template using randAlpha parsed: %v", err)
	}
	delete(fsys, "a/rand.tmpl")
	e, err := New(fsys, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.Render("a/ok.tmpl", map[string]string{"Name": "harbor"})
	if err != nil || string(out) != "HARBOR" {
		t.Errorf("Render = %q, %v", out, err)
	}
	_, err = e.Render("a/missing.tmpl", map[string]string{"Name": "x"})
	if err == nil || !strings.Contains(err.Error(), "a/missing.tmpl:2") {
		t.Errorf("a missing key must fail with file:line, got %v", err)
	}
	if _, err := e.Render("a/none.tmpl", nil); err == nil {
		t.Error("rendering an unknown template succeeded")
	}
}
