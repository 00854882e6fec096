package escape

import (
	"errors"
	"strings"
	"testing"
)

func TestMermaidLabel(t *testing.T) {
	runEscaperTable(t, func(s string) (string, error) { return MermaidLabel(s) }, []escaperCase{
		{name: "empty", in: "", want: `""`},
		{name: "plain", in: "harbor01 10.0.0.21", want: `"harbor01 10.0.0.21"`},
		{name: "double quote", in: `a"b`, want: `"a#quot;b"`},
		{name: "entity lookalike", in: "#quot;", want: `"#35;quot;"`},
		{name: "html", in: "<b>&amp;</b>", want: `"#lt;b#gt;#amp;amp;#lt;/b#gt;"`},
		{name: "backtick", in: "`md`", want: `"#96;md#96;"`},
		{name: "brackets and pipes", in: "[a](b){c}|d;e", want: `"[a](b){c}|d;e"`},
		{name: "unicode", in: "中文é🐳", want: `"中文é🐳"`},
		{name: "replacement char itself", in: "a\uFFFDb", want: "\"a\uFFFDb\""},
		{name: "newline", in: "a\nb", wantErr: "at byte 1"},
		{name: "c1 control", in: "a\u0085", wantErr: "at byte 1"},
		{name: "invalid utf8", in: "a\xffb", wantErr: "at byte 1"},
	})
}

func TestMermaidLabelParts(t *testing.T) {
	got, err := MermaidLabel("lb01", `10.0.0.1 "x"`)
	if err != nil || got != `"lb01<br>10.0.0.1 #quot;x#quot;"` {
		t.Fatalf("got %s, %v", got, err)
	}
}

// FuzzMermaidLabel: every accepted label is one quoted line whose inside has
// no quote, and decoding the entities gives the value back.
func FuzzMermaidLabel(f *testing.F) {
	for _, s := range []string{"", "a\"b", "#35;", "<br>", "\n", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := MermaidLabel(s)
		if err != nil {
			if !errors.Is(err, ErrUnrepresentable) {
				t.Fatalf("error %v does not wrap ErrUnrepresentable", err)
			}
			return
		}
		inner := got[1 : len(got)-1]
		if got[0] != '"' || got[len(got)-1] != '"' || strings.ContainsAny(inner, "\"\n\r<>&`") {
			t.Fatalf("label %q is not one safe quoted line", got)
		}
		back := inner
		for _, r := range []rune{'"', '<', '>', '&', '`', '#'} { // '#' last: the others' codes start with it
			back = strings.ReplaceAll(back, mermaidEntities[r], string(r))
		}
		if back != s {
			t.Fatalf("decoded %q, want %q", back, s)
		}
	})
}
