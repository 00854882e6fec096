package escape

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

func TestShell(t *testing.T) {
	runEscaperTable(t, Shell, []escaperCase{
		{name: "empty", in: "", want: `''`},
		{name: "plain", in: "Harbor12345", want: "Harbor12345"},
		{name: "plain punctuation", in: "a-b_c.d/e:f=g@h%i+j,k", want: "a-b_c.d/e:f=g@h%i+j,k"},
		{name: "path", in: "/usr/lib/galera/libgalera_smm.so", want: "/usr/lib/galera/libgalera_smm.so"},
		{name: "double quote", in: `pa"ss`, want: `'pa"ss'`},
		{name: "single quote", in: "it's", want: `'it'\''s'`},
		{name: "only single quote", in: "'", want: `''\'''`},
		{name: "dollar", in: "${X}$$", want: `'${X}$$'`},
		{name: "backticks", in: "`id`", want: "'`id`'"},
		{name: "command substitution", in: "$(id)", want: `'$(id)'`},
		{name: "semicolon braces hash", in: "a;{b}#c", want: `'a;{b}#c'`},
		{name: "glob tilde", in: "~/*?[a]", want: `'~/*?[a]'`},
		{name: "backslash", in: `a\b\`, want: `'a\b\'`},
		{name: "spaces", in: "  p  ", want: `'  p  '`},
		{name: "unicode", in: "中文é🐳", want: `'中文é🐳'`},
		{name: "newline", in: "a\nb", want: "'a\nb'"},
		{name: "nul", in: "a\x00", wantErr: "U+0000) at byte 1"},
	})
}

// readShell runs the word through a real POSIX shell, sh -c, between two
// other arguments of printf, and gives back what printf printed for it.
func readShell(word string) (string, error) {
	out, err := exec.Command("sh", "-c", "printf '[%s]' begin "+word+" end").Output()
	if err != nil {
		return "", fmt.Errorf("sh: %w", err)
	}
	text, ok := strings.CutPrefix(string(out), "[begin][")
	if text, ok2 := strings.CutSuffix(text, "][end]"); ok && ok2 {
		return text, nil
	}
	return "", fmt.Errorf("the word did not stay one argument: %q", out)
}

func TestShellRoundTrip(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Fatal("no sh")
	}
	roundTripHostile(t, Shell, readShell, hasNUL)
}

func FuzzShell(f *testing.F) {
	if _, err := exec.LookPath("sh"); err != nil {
		f.Fatal("no sh")
	}
	seedHostile(f)
	f.Fuzz(func(t *testing.T, s string) {
		checkRoundTrip(t, s, Shell, readShell, hasNUL)
	})
}
