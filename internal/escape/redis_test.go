package escape

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestRedisConf(t *testing.T) {
	runEscaperTable(t, RedisConf, []escaperCase{
		{name: "empty", in: "", want: `""`},
		{name: "plain", in: "Harbor12345", want: `"Harbor12345"`},
		{name: "double quote", in: `pa"ss`, want: `"pa\"ss"`},
		{name: "single quote", in: "pa'ss", want: `"pa'ss"`},
		{name: "dollar backticks", in: "${X}$$`id`", want: "\"${X}$$`id`\""},
		{name: "hash semicolon braces", in: "#a;{b}", want: `"#a;{b}"`},
		{name: "backslash", in: `a\b\`, want: `"a\\b\\"`},
		{name: "backslash x text", in: `\x41`, want: `"\\x41"`},
		{name: "spaces", in: "  p  ", want: `"  p  "`},
		{name: "unicode", in: "中文é🐳", want: `"中文é🐳"`},
		{name: "controls", in: "\n\r\t\x01\x1b\x7f", want: `"\x0a\x0d\x09\x01\x1b\x7f"`},
		{name: "invalid utf8", in: "a\xffb", want: "\"a\xffb\""},
		{name: "nul", in: "ab\x00", wantErr: "U+0000) at byte 2"},
	})
}

// The Redis round trip has no Go parser to lean on, so redisConfLines below
// is a reference parser written from Redis 7's config reader,
// loadServerConfigFromString in src/config.c (the text cut at NUL and split
// at newlines, each line trimmed of " \t\r\n", comment and blank lines
// skipped) and sdssplitargs in src/sds.c. TestRedisConfWithRedisServer
// checks it against the real thing where redis-server is installed.

// redisConfLines returns the arguments of each directive line of conf.
func redisConfLines(conf string) ([][]string, error) {
	if i := strings.IndexByte(conf, 0); i >= 0 {
		conf = conf[:i]
	}
	var lines [][]string
	for _, line := range strings.Split(conf, "\n") {
		line = strings.Trim(line, " \t\r\n")
		if line == "" || line[0] == '#' {
			continue
		}
		args, err := sdssplitargs(line)
		if err != nil {
			return nil, fmt.Errorf("%w in %q", err, line)
		}
		lines = append(lines, args)
	}
	return lines, nil
}

// sdssplitargs splits a line into arguments as Redis does.
func sdssplitargs(line string) ([]string, error) {
	at := func(i int) byte { // the C string's byte, NUL past the end
		if i < len(line) {
			return line[i]
		}
		return 0
	}
	var args []string
	for p := 0; ; {
		for isCSpace(at(p)) {
			p++
		}
		if at(p) == 0 {
			return args, nil
		}
		var arg []byte
		inq, insq := false, false
		for done := false; !done; {
			c := at(p)
			switch {
			case inq && c == '\\' && at(p+1) == 'x' && isHexDigit(at(p+2)) && isHexDigit(at(p+3)):
				v, _ := strconv.ParseUint(line[p+2:p+4], 16, 8)
				arg = append(arg, byte(v))
				p += 3
			case inq && c == '\\' && at(p+1) != 0:
				p++
				arg = append(arg, redisEscape(line[p]))
			case (inq && c == '"') || (insq && c == '\''):
				if at(p+1) != 0 && !isCSpace(at(p+1)) {
					return nil, errors.New("closing quote must be followed by a space or nothing at all")
				}
				done = true
			case insq && c == '\\' && at(p+1) == '\'':
				p++
				arg = append(arg, '\'')
			case (inq || insq) && c == 0:
				return nil, errors.New("unterminated quotes")
			case inq || insq:
				arg = append(arg, c)
			case c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == 0:
				done = true
			case c == '"':
				inq = true
			case c == '\'':
				insq = true
			default:
				arg = append(arg, c)
			}
			if at(p) != 0 {
				p++
			}
		}
		args = append(args, string(arg))
	}
}

func redisEscape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	case 'a':
		return '\a'
	}
	return c
}

// isCSpace is isspace in the C locale.
func isCSpace(c byte) bool { return c == ' ' || ('\t' <= c && c <= '\r') }

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// readRedisConf reads escaped as the argument of a directive between two
// other directives.
func readRedisConf(escaped string) (string, error) {
	lines, err := redisConfLines("port 6379\nmasterauth " + escaped + "\n# comment\nsave \"\"\n")
	if err != nil {
		return "", err
	}
	if len(lines) != 3 || len(lines[1]) != 2 || fmt.Sprintf("%q", lines[0]) != `["port" "6379"]` ||
		fmt.Sprintf("%q", lines[2]) != `["save" ""]` {
		return "", fmt.Errorf("the value spilled into its neighbours: %q", lines)
	}
	return lines[1][1], nil
}

func TestRedisConfRoundTrip(t *testing.T) {
	roundTripHostile(t, RedisConf, readRedisConf, hasNUL)
}

func TestRedisConfReferenceParser(t *testing.T) {
	got, err := redisConfLines(" a \"x\\\"y\\\\z\\q\\x4a\\xzz\\n\" 'p\\'q\\n' b\\c \r\n#c\n\n  d ''\x00e")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"a", "x\"y\\zqJxzz\n", `p'q\n`, `b\c`}, {"d", ""}}
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for _, bad := range []string{`a "x"y`, `a "x`, `a 'x`, `a 'x'y`} {
		if _, err := redisConfLines(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestRedisConfWithRedisServer starts a real redis-server on a unix socket
// for each hostile value, when it is installed, with the value as
// masteruser, and reads it back with CONFIG GET.
func TestRedisConfWithRedisServer(t *testing.T) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server is not installed: apt-get install redis-server (.ci/run does)")
	}
	for _, h := range hostile {
		out, err := RedisConf(h.value)
		if err != nil {
			continue
		}
		t.Run(h.name, func(t *testing.T) {
			got := redisConfigGet(t, bin, "masteruser", out)
			if got != h.value {
				t.Errorf("redis-server read %s as %q, want %q", out, got, h.value)
			}
		})
	}
	// Tokens harborgen never writes, to hold the reference parser to Redis.
	for _, token := range []string{`"x\"y\\z\q\x4a\xzz\n"`, `'p\'q\n'`, `b\c`, `"\xC3\xa9\a\b"`} {
		t.Run(token, func(t *testing.T) {
			want, err := readRedisConf(token)
			if err != nil {
				t.Fatalf("reference parser: %v", err)
			}
			if got := redisConfigGet(t, bin, "masterauth", token); got != want {
				t.Errorf("redis-server read %s as %q, the reference parser as %q", token, got, want)
			}
		})
	}
}

// redisConfigGet starts redis-server with `name value` in its config file
// and returns what CONFIG GET name answers.
func redisConfigGet(t *testing.T, bin, name, value string) string {
	t.Helper()
	dir := t.TempDir()
	sock := filepath.Join(dir, "redis.sock")
	conf := fmt.Sprintf("port 0\nunixsocket %s\ndir %s\nsave \"\"\nappendonly no\n%s %s\n", sock, dir, name, value)
	confPath := filepath.Join(dir, "redis.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	conn := startServer(t, exec.Command(bin, confPath), sock)
	return respConfigGet(t, conn, name)
}

// respConfigGet sends CONFIG GET name and returns the value of the reply.
func respConfigGet(t *testing.T, conn net.Conn, name string) string {
	t.Helper()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(conn, "*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$%d\r\n%s\r\n", len(name), name)
	r := bufio.NewReader(conn)
	if header := readRESPLine(t, r); header != "*2" {
		t.Fatalf("CONFIG GET answered %q", header)
	}
	bulk := func() string {
		n, err := strconv.Atoi(strings.TrimPrefix(readRESPLine(t, r), "$"))
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(r, b); err != nil {
			t.Fatal(err)
		}
		return string(b[:n])
	}
	if got := bulk(); got != name {
		t.Fatalf("CONFIG GET answered for %q", got)
	}
	return bulk()
}

func readRESPLine(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(line, "\r\n")
}

func FuzzRedisConf(f *testing.F) {
	seedHostile(f)
	f.Fuzz(func(t *testing.T, s string) {
		checkRoundTrip(t, s, RedisConf, readRedisConf, hasNUL)
	})
}
