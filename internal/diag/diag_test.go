package diag

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestItemsSortAndDeduplicate(t *testing.T) {
	var l List
	l.Warnf(Pos{File: "b", Line: 1, Col: 1}, "x", "", "w")
	l.Errorf(Pos{File: "a", Line: 2, Col: 1}, "y", "", "e2")
	l.Errorf(Pos{File: "a", Line: 1, Col: 5}, "z", "", "e1")
	l.Errorf(Pos{File: "a", Line: 1, Col: 5}, "z", "", "e1")
	items := l.Items()
	if len(items) != 3 || items[0].Message != "e1" || items[1].Message != "e2" || items[2].Message != "w" {
		t.Errorf("Items = %+v", items)
	}
	if errs, warns := l.Count(); errs != 3 || warns != 1 {
		t.Errorf("Count = %d, %d (duplicates count until Items merges them)", errs, warns)
	}
}

func TestErrorAt(t *testing.T) {
	var l List
	l.Errorf(Pos{}, "node[1]", "", "bad")
	l.Warnf(Pos{}, "redis", "", "meh")
	for path, want := range map[string]bool{
		"node[1]": true, "node[1].address": true, "node[1].roles[0]": true,
		"node[10]": false, "node": false, "redis.mode": false,
	} {
		if got := l.ErrorAt(path); got != want {
			t.Errorf("ErrorAt(%s) = %t", path, got)
		}
	}
	if l.ErrorAtBefore("node[1].address", 0) {
		t.Error("ErrorAtBefore(0) sees a later diagnostic")
	}
}

func TestHasErrors(t *testing.T) {
	var l List
	l.Warnf(Pos{}, "", "", "w")
	if l.HasErrors(false) || !l.HasErrors(true) {
		t.Error("a warning must fail only under strict")
	}
}

func TestWriters(t *testing.T) {
	items := []Diagnostic{{Severity: Error, Pos: Pos{File: "f.toml", Line: 3, Col: 7}, Path: "node[0].name", Message: "bad", Hint: "fix"}}
	var text bytes.Buffer
	if err := WriteText(&text, items); err != nil {
		t.Fatal(err)
	}
	if want := "f.toml:3:7: error: node[0].name: bad\n    hint: fix\n"; text.String() != want {
		t.Errorf("text = %q, want %q", text.String(), want)
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, nil); err != nil || bytes.TrimSpace(js.Bytes())[0] != '[' {
		t.Errorf("no diagnostics must print [], got %q", js.String())
	}
	js.Reset()
	if err := WriteJSON(&js, items); err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	if err := json.Unmarshal(js.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if out[0]["line"] != 3.0 || out[0]["column"] != 7.0 || out[0]["path"] != "node[0].name" || out[0]["hint"] != "fix" {
		t.Errorf("json = %v", out[0])
	}
	if Summary(1, 2) != "1 error, 2 warnings" {
		t.Errorf("Summary = %s", Summary(1, 2))
	}
}
