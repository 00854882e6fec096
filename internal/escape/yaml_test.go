package escape

import (
	"fmt"
	"testing"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

func TestYAML(t *testing.T) {
	runEscaperTable(t, YAML, []escaperCase{
		{name: "empty", in: "", want: `""`},
		{name: "plain", in: "Harbor12345", want: `"Harbor12345"`},
		{name: "bool", in: "true", want: `"true"`},
		{name: "null", in: "null", want: `"null"`},
		{name: "tilde", in: "~", want: `"~"`},
		{name: "number", in: "1e3", want: `"1e3"`},
		{name: "double quote", in: `pa"ss`, want: `"pa\"ss"`},
		{name: "single quote", in: "pa'ss", want: `"pa'ss"`},
		{name: "dollar braces", in: "${X}$$", want: `"${X}$$"`},
		{name: "backticks", in: "`id`", want: "\"`id`\""},
		{name: "hash colon", in: "a #b: c", want: `"a #b: c"`},
		{name: "indicators", in: "- &a *b !c |d >e {f} [g] %h @i", want: `"- &a *b !c |d >e {f} [g] %h @i"`},
		{name: "backslash", in: `a\b\`, want: `"a\\b\\"`},
		{name: "spaces", in: "  p  ", want: `"  p  "`},
		{name: "unicode", in: "中文é🐳", want: `"中文é🐳"`},
		{name: "controls", in: "\t\n\r\x00\x1b\x7f", want: `"\t\n\r\x00\x1B\x7F"`},
		{name: "c1 and nel", in: "\u0080\u0085\u009f", want: `"\x80\x85\x9F"`},
		{name: "line and paragraph separators", in: "\u2028\u2029", want: `"\u2028\u2029"`},
		{name: "byte order mark", in: "\ufeff", want: `"\uFEFF"`},
		{name: "noncharacter", in: "\uffff", want: `"\uFFFF"`},
		{name: "replacement character", in: "\ufffd", want: "\"\ufffd\""},
		{name: "invalid utf8", in: "ab\xff", wantErr: "byte 0xff (not UTF-8) at byte 2"},
	})
}

// readYAML reads escaped with go.yaml.in/yaml/v3 both as a block mapping
// value between two other keys and as a flow sequence item, and insists on
// a string.
func readYAML(escaped string) (string, error) {
	var doc map[string]any
	if err := yaml.Unmarshal([]byte("before: 1\nk: "+escaped+"\nafter: 2\n"), &doc); err != nil {
		return "", err
	}
	if len(doc) != 3 || doc["before"] != 1 || doc["after"] != 2 {
		return "", fmt.Errorf("the value spilled into its neighbours: %#v", doc)
	}
	block, ok := doc["k"].(string)
	if !ok {
		return "", fmt.Errorf("read as %T, not a string", doc["k"])
	}
	var seq []any
	if err := yaml.Unmarshal([]byte("["+escaped+", x]"), &seq); err != nil {
		return "", err
	}
	if len(seq) != 2 || seq[0] != block {
		return "", fmt.Errorf("flow sequence reads %#v, block mapping %q", seq, block)
	}
	return block, nil
}

func TestYAMLRoundTrip(t *testing.T) {
	roundTripHostile(t, YAML, readYAML, notUTF8)
}

func FuzzYAML(f *testing.F) {
	seedHostile(f)
	f.Fuzz(func(t *testing.T, s string) {
		checkRoundTrip(t, s, YAML, readYAML, notUTF8)
	})
}

func notUTF8(s string) bool { return !utf8.ValidString(s) }
