package escape

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestINI(t *testing.T) {
	runEscaperTable(t, INI, []escaperCase{
		{name: "empty", in: "", want: `""`},
		{name: "plain", in: "Harbor12345", want: `"Harbor12345"`},
		{name: "galera address", in: "gcomm://10.0.0.1,10.0.0.2", want: `"gcomm://10.0.0.1,10.0.0.2"`},
		{name: "provider options", in: "gmcast.listen_addr=tcp://127.0.0.11:4567;ist.recv_addr=127.0.0.11:4568",
			want: `"gmcast.listen_addr=tcp://127.0.0.11:4567;ist.recv_addr=127.0.0.11:4568"`},
		{name: "double quote", in: `pa"ss`, want: `"pa\"ss"`},
		{name: "single quote", in: "pa'ss", want: `"pa'ss"`},
		{name: "dollar backticks", in: "${X}$$`id`", want: "\"${X}$$`id`\""},
		{name: "hash semicolon", in: "a #b ;c", want: `"a #b ;c"`},
		{name: "backslash", in: `a\b\`, want: `"a\\b\\"`},
		{name: "backslash escapes as text", in: `\n\s\t`, want: `"\\n\\s\\t"`},
		{name: "spaces", in: "  p  ", want: `"  p  "`},
		{name: "equals", in: "a=b", want: `"a=b"`},
		{name: "unicode", in: "中文é🐳", want: `"中文é🐳"`},
		{name: "at budget", in: strings.Repeat("x", iniValueBudget-2), want: `"` + strings.Repeat("x", iniValueBudget-2) + `"`},
		{name: "over budget", in: strings.Repeat(`\`, iniValueBudget/2), wantErr: "over the 3840-byte budget"},
		{name: "newline", in: "a\nb", wantErr: `'\n' (U+000A) at byte 1`},
		{name: "tab", in: "\t", wantErr: "U+0009"},
		{name: "nul", in: "a\x00", wantErr: "U+0000"},
	})
}

// The INI round trip has no Go parser to lean on, so mycnfOptions below is a
// reference parser written from MariaDB's reader of option files,
// search_default_file_with_ext and remove_end_comment in mysys/my_default.c
// (10.11): the lines as fgets cuts them, comment and group lines, end
// comments outside quotes, spaces trimmed with latin1's isspace, one pair of
// matching quotes stripped, then \n \t \r \b \s \" \' \\ unescaped and any
// other backslash kept. TestINIWithMyPrintDefaults checks it against the real
// thing where MariaDB's my_print_defaults is installed.

// mycnfLineMax is what fgets(buff, sizeof(buff) - 1) with a 4096-byte buff
// reads at most in one go.
const mycnfLineMax = 4094

// mycnfOptions returns the options of an option file in order, each as
// "--key=value" (or "--key"), the way MariaDB hands them to its programs.
func mycnfOptions(file string) ([]string, error) {
	var opts []string
	inGroup := false
	for _, line := range fgetsLines(file, mycnfLineMax) {
		ptr := trimLatin1Left(line)
		switch {
		case ptr == "" || ptr[0] == '#' || ptr[0] == ';':
			continue
		case ptr[0] == '!':
			return nil, errors.New("include directives are not modelled")
		case ptr[0] == '[':
			if !strings.Contains(ptr, "]") {
				return nil, fmt.Errorf("wrong group definition: %q", ptr)
			}
			inGroup = true
			continue
		case !inGroup:
			return nil, fmt.Errorf("option without preceding group: %q", ptr)
		}
		ptr = removeEndComment(ptr)
		key, value, hasValue := strings.Cut(ptr, "=")
		key = trimLatin1Right(key)
		if !hasValue {
			opts = append(opts, "--"+key)
			continue
		}
		value = trimLatin1Right(trimLatin1Left(value))
		if len(value) > 1 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
			value = value[1 : len(value)-1]
		}
		opts = append(opts, "--"+key+"="+mycnfUnescape(value))
	}
	return opts, nil
}

// fgetsLines cuts text as repeated fgets calls read it: up to and including
// a newline, or max bytes.
func fgetsLines(text string, max int) []string {
	var lines []string
	for text != "" {
		n := strings.IndexByte(text, '\n') + 1
		if n == 0 || n > max {
			n = min(len(text), max)
		}
		lines = append(lines, text[:n])
		text = text[n:]
	}
	return lines
}

// latin1Space is my_isspace(&my_charset_latin1, c): tab to carriage
// return, space and NBSP (0xA0), byte by byte as MariaDB applies it.
func latin1Space(c byte) bool {
	return c == ' ' || ('\t' <= c && c <= '\r') || c == 0xa0
}

func trimLatin1Left(s string) string {
	for s != "" && latin1Space(s[0]) {
		s = s[1:]
	}
	return s
}

func trimLatin1Right(s string) string {
	for s != "" && latin1Space(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// removeEndComment cuts ptr at the first '#' outside quotes.
func removeEndComment(ptr string) string {
	var quote byte
	escape := false
	for i := 0; i < len(ptr); i++ {
		c := ptr[i]
		if (c == '\'' || c == '"') && !escape {
			if quote == 0 {
				quote = c
			} else if quote == c {
				quote = 0
			}
		}
		if quote == 0 && c == '#' {
			return ptr[:i]
		}
		escape = quote != 0 && c == '\\' && !escape
	}
	return ptr
}

// mycnfUnescape turns MariaDB's option-file escapes into bytes.
func mycnfUnescape(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '\\' || i == len(v)-1 {
			b.WriteByte(v[i])
			continue
		}
		i++
		switch v[i] {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'b':
			b.WriteByte('\b')
		case 's':
			b.WriteByte(' ')
		case '"', '\'', '\\':
			b.WriteByte(v[i])
		default:
			b.WriteByte('\\')
			b.WriteByte(v[i])
		}
	}
	return b.String()
}

// readINI reads escaped as the value of one option between two others.
func readINI(escaped string) (string, error) {
	opts, err := mycnfOptions("[mysqld]\nbefore=1\nwsrep_sst_auth = " + escaped + "  # comment\nafter=2\n")
	if err != nil {
		return "", err
	}
	if len(opts) != 3 || opts[0] != "--before=1" || opts[2] != "--after=2" {
		return "", fmt.Errorf("the value spilled into its neighbours: %q", opts)
	}
	v, ok := strings.CutPrefix(opts[1], "--wsrep_sst_auth=")
	if !ok {
		return "", fmt.Errorf("option read as %q", opts[1])
	}
	return v, nil
}

func iniMustReject(s string) bool {
	escapedLen := len(s) + 2 + strings.Count(s, `\`) + strings.Count(s, `"`)
	return hasControl(s) || escapedLen > iniValueBudget
}

func TestINIRoundTrip(t *testing.T) {
	roundTripHostile(t, INI, readINI, iniMustReject)
}

// mycnfFixture exercises the reference parser's corners; the options it
// holds are mycnfFixtureOptions, as my_print_defaults prints them.
const mycnfFixture = "# c\n[client]\n  ; c\nskip-ssl\nuser = root # me\n" +
	"password=\"a#b\\\"c\" \nhost='h'\nx=\"\nbs=a\\\\b\\zc\\\nbare=voilà\n"

var mycnfFixtureOptions = []string{"--skip-ssl", "--user=root", `--password=a#b"c`, "--host=h", `--x="`, `--bs=a\b\zc\`,
	"--bare=voil\xc3", // NBSP is a latin1 space: unquoted, à loses its second byte
}

func TestMycnfReferenceParser(t *testing.T) {
	got, err := mycnfOptions(mycnfFixture)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", mycnfFixtureOptions) {
		t.Fatalf("got %q, want %q", got, mycnfFixtureOptions)
	}
	if got := fgetsLines(strings.Repeat("x", 10)+"\nab", 4); fmt.Sprintf("%q", got) != `["xxxx" "xxxx" "xx\n" "ab"]` {
		t.Fatalf("fgetsLines cut %q", got)
	}
}

// TestINIWithMyPrintDefaults reads the hostile values and the reference
// parser's fixture back with MariaDB's own option-file reader,
// my_print_defaults, when it is installed.
func TestINIWithMyPrintDefaults(t *testing.T) {
	bin, err := exec.LookPath("my_print_defaults")
	if err != nil {
		t.Fatal("my_print_defaults is not installed: apt-get install mariadb-client-core (.ci/run does)")
	}
	var file strings.Builder
	var want []string
	file.WriteString("[harborgen]\n")
	for i, h := range hostile {
		out, err := INI(h.value)
		if err != nil {
			continue
		}
		fmt.Fprintf(&file, "v%d = %s  # %s\n", i, out, h.name)
		want = append(want, fmt.Sprintf("--v%d=%s", i, h.value))
	}
	for _, tc := range []struct {
		name, file, group string
		want              []string
	}{
		{"hostile", file.String(), "harborgen", want},
		{"fixture", mycnfFixture, "client", mycnfFixtureOptions},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "my.cnf")
			if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(bin, "--defaults-file="+path, tc.group).Output()
			if err != nil {
				t.Fatalf("my_print_defaults: %v", err)
			}
			got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
			if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tc.want) {
				t.Fatalf("my_print_defaults read\n%q\nwant\n%q", got, tc.want)
			}
			ref, err := mycnfOptions(tc.file)
			if err != nil || fmt.Sprintf("%q", ref) != fmt.Sprintf("%q", tc.want) {
				t.Fatalf("the reference parser disagrees with my_print_defaults: %q, %v", ref, err)
			}
		})
	}
}

func FuzzINI(f *testing.F) {
	seedHostile(f)
	f.Fuzz(func(t *testing.T, s string) {
		checkRoundTrip(t, s, INI, readINI, iniMustReject)
	})
}
