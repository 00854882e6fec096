package escape

import (
	"errors"
	"strings"
	"testing"
)

// hostile lists the values every escaper is tried on, in the unit tests,
// the round trips and as the seed corpus of every fuzz target.
var hostile = []struct{ name, value string }{
	{"empty", ""},
	{"plain", "Harbor12345"},
	{"plain punctuation", "a-b_c.d/e:f=g@h%i+j,k"},
	{"double quote", `pa"ss`},
	{"single quote", "pa'ss"},
	{"both quotes", `'"'"`},
	{"only double quote", `"`},
	{"only single quote", `'`},
	{"dollar", "pa$ss"},
	{"dollar braces", "${X}"},
	{"dollar default", "${X:-def}"},
	{"double dollar", "$$"},
	{"dollar at end", "pass$"},
	{"dollar digit", "$1"},
	{"backticks", "`id`"},
	{"command substitution", "$(id)"},
	{"semicolon", "a;b"},
	{"braces", "{a}"},
	{"closing brace", "}"},
	{"hash", "#a"},
	{"space hash", "a #b"},
	{"percent", "100%"},
	{"percent escape", "%2F%"},
	{"backslash", `a\b`},
	{"trailing backslash", `ab\`},
	{"double backslash", `\\`},
	{"backslash quote", `\"`},
	{"backslash single quote", `\'`},
	{"backslash dollar", `\$X`},
	{"backslash n text", `\n`},
	{"backslash x text", `\x41`},
	{"backslash octal text", `\0123`},
	{"backslash s text", `\s`},
	{"leading and trailing spaces", "  pass  "},
	{"only spaces", "   "},
	{"equals", "a=b=="},
	{"colon", "user:pass"},
	{"url specials", "p/a@s%s:w?o#r[d]"},
	{"e acute", "pässwörd é"},
	{"chinese", "中文密码"},
	{"emoji", "🐳🔑"},
	{"nbsp", "a\u00a0b\u00a0"},
	{"line separator", "a\u2028b"},
	{"next line", "a\u0085b"},
	{"c1 control", "a\u0080b"},
	{"byte order mark", "\ufeffa"},
	{"yaml bool", "true"},
	{"yaml null", "null"},
	{"yaml tilde", "~"},
	{"yaml number", "1e3"},
	{"yaml hex", "0x1F"},
	{"yaml octal", "0o17"},
	{"yaml date", "2001-12-14"},
	{"yaml indicators", "- &a *b !c |d >e"},
	{"yaml document", "--- ..."},
	{"glob", "*?[a]"},
	{"tilde", "~root"},
	{"ampersand pipe", "a&b|c"},
	{"angle brackets", "<a>"},
	{"sql", "x'; DROP TABLE y; --"},
	{"newline", "a\nb"},
	{"carriage return", "a\rb"},
	{"tab", "a\tb"},
	{"nul", "a\x00b"},
	{"escape char", "\x1b[0m"},
	{"delete", "a\x7f"},
	{"invalid utf8", "a\xffb"},
	{"long", strings.Repeat(`a"\$`, 1100)},
}

// seedHostile seeds a fuzz target with every hostile value.
func seedHostile(f *testing.F) {
	for _, h := range hostile {
		f.Add(h.value)
	}
}

// checkUnrepresentable fails unless err wraps ErrUnrepresentable and, when
// want is not empty, names want.
func checkUnrepresentable(t *testing.T, err error, want string) {
	t.Helper()
	if !errors.Is(err, ErrUnrepresentable) {
		t.Fatalf("error %v does not wrap ErrUnrepresentable", err)
	}
	if want != "" && !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not name %s", err, want)
	}
}

// escaperCase is one row of an escaper's table: the exact text wanted, or
// (wantErr not empty) the character the error must name.
type escaperCase struct {
	name, in, want, wantErr string
}

// runEscaperTable runs fn over a table of escaperCase.
func runEscaperTable(t *testing.T, fn func(string) (string, error), cases []escaperCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := fn(tc.in)
			if tc.wantErr != "" {
				checkUnrepresentable(t, err, tc.wantErr)
				if got != "" {
					t.Errorf("got %q with the error, want empty", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestErrorsNameTheCharacterNotTheValue(t *testing.T) {
	const secret = "s3cr3t-$-value"
	_, err := Nginx(secret)
	checkUnrepresentable(t, err, `'$' (U+0024) at byte 7`)
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("error %q leaks the value", err)
	}
	_, err = YAML("ab\xfe")
	checkUnrepresentable(t, err, "byte 0xfe (not UTF-8) at byte 2")
	_, err = INI(strings.Repeat("x", 5000))
	checkUnrepresentable(t, err, "over the 3840-byte budget")
}

func TestIsPlainWord(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"", false},
		{"Harbor12345", true},
		{"a-b_c.d/e:f=g@h%i+j,k", true},
		{"a b", false},
		{"a$b", false},
		{"a#b", false},
		{"~a", false},
		{"é", false},
		{"a'b", false},
		{`a"b`, false},
		{`a\b`, false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := isPlainWord(tc.in); got != tc.want {
				t.Errorf("isPlainWord(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

// checkRoundTrip asserts the property every escaper promises for s: escape
// rejects s with an error wrapping ErrUnrepresentable exactly when
// mustReject(s), and otherwise read, the format's parser, gives s back.
func checkRoundTrip(t *testing.T, s string, escape func(string) (string, error),
	read func(string) (string, error), mustReject func(string) bool) {
	t.Helper()
	out, err := escape(s)
	if err != nil {
		checkUnrepresentable(t, err, "")
		if !mustReject(s) {
			t.Fatalf("rejected %q, which the format can carry: %v", s, err)
		}
		return
	}
	if mustReject(s) {
		t.Fatalf("accepted %q as %q, want an error", s, out)
	}
	got, err := read(out)
	if err != nil {
		t.Fatalf("escaped %q as %q, which the parser rejects: %v", s, out, err)
	}
	if got != s {
		t.Fatalf("escaped %q as %q, which reads back as %q", s, out, got)
	}
}

// roundTripHostile runs checkRoundTrip over the hostile table.
func roundTripHostile(t *testing.T, escape func(string) (string, error),
	read func(string) (string, error), mustReject func(string) bool) {
	t.Helper()
	for _, h := range hostile {
		t.Run(h.name, func(t *testing.T) {
			checkRoundTrip(t, h.value, escape, read, mustReject)
		})
	}
}

// hasControl is the test's own statement of rejectControl's rule.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

func hasNUL(s string) bool { return strings.Contains(s, "\x00") }
