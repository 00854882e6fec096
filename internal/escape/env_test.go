package escape

import (
	"fmt"
	"testing"

	"github.com/compose-spec/compose-go/v2/dotenv"
)

func TestEnv(t *testing.T) {
	runEscaperTable(t, Env, []escaperCase{
		{name: "empty", in: "", want: `""`},
		{name: "plain", in: "Harbor12345", want: "Harbor12345"},
		{name: "url", in: "http://core:8080/x?a=1", want: `"http://core:8080/x?a=1"`},
		{name: "plain punctuation", in: "a-b_c.d/e:f=g@h%i+j,k", want: "a-b_c.d/e:f=g@h%i+j,k"},
		{name: "double quote", in: `pa"ss`, want: `"pa\"ss"`},
		{name: "single quote", in: "pa'ss", want: `"pa'ss"`},
		{name: "dollar", in: "pa$ss", want: `"pa$$ss"`},
		{name: "dollar braces", in: "${X}", want: `"$${X}"`},
		{name: "double dollar", in: "$$", want: `"$$$$"`},
		{name: "backticks", in: "`id`", want: "\"`id`\""},
		{name: "space hash", in: "a #b", want: `"a #b"`},
		{name: "semicolon braces", in: "a;{b}", want: `"a;{b}"`},
		{name: "backslash", in: `a\b`, want: `"a\\b"`},
		{name: "trailing backslash", in: `ab\`, want: `"ab\\"`},
		{name: "backslash n text", in: `\n`, want: `"\\n"`},
		{name: "backslash dollar", in: `\$X`, want: `"\\$$X"`},
		{name: "spaces", in: "  p  ", want: `"  p  "`},
		{name: "equals", in: "a=b==", want: "a=b=="},
		{name: "unicode", in: "中文é🐳", want: `"中文é🐳"`},
		{name: "newline", in: "a\nb", wantErr: `'\n' (U+000A) at byte 1`},
		{name: "carriage return", in: "a\r", wantErr: "U+000D"},
		{name: "tab", in: "a\tb", wantErr: "U+0009"},
		{name: "nul", in: "\x00", wantErr: "U+0000"},
		{name: "delete", in: "ab\x7f", wantErr: "U+007F) at byte 2"},
	})
}

// readEnv puts escaped between two other lines of an env_file and reads it
// with compose-go's dotenv parser, the reader of docker compose's env_file.
// Every variable resolves to a marker, so an unescaped $ shows.
func readEnv(escaped string) (string, error) {
	src := "BEFORE=1\nK=" + escaped + "\nAFTER=2\n"
	vars, err := dotenv.UnmarshalWithLookup(src, func(string) (string, bool) { return "<expanded>", true })
	if err != nil {
		return "", err
	}
	if len(vars) != 3 || vars["BEFORE"] != "1" || vars["AFTER"] != "2" {
		return "", fmt.Errorf("the value spilled into its neighbours: %q", vars)
	}
	return vars["K"], nil
}

func TestEnvRoundTrip(t *testing.T) {
	roundTripHostile(t, Env, readEnv, hasControl)
}

func FuzzEnv(f *testing.F) {
	seedHostile(f)
	f.Fuzz(func(t *testing.T, s string) {
		checkRoundTrip(t, s, Env, readEnv, hasControl)
	})
}
