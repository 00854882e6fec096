package escape

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNginx(t *testing.T) {
	runEscaperTable(t, Nginx, []escaperCase{
		{name: "empty", in: "", want: `""`},
		{name: "plain", in: "harbor.example.com", want: `"harbor.example.com"`},
		{name: "double quote", in: `pa"ss`, want: `"pa\"ss"`},
		{name: "single quote", in: "pa'ss", want: `"pa'ss"`},
		{name: "braces semicolon hash", in: "{a};#b}", want: `"{a};#b}"`},
		{name: "backticks", in: "`id`", want: "\"`id`\""},
		{name: "backslash", in: `a\b\`, want: `"a\\b\\"`},
		{name: "backslash escapes as text", in: `\n\t\'`, want: `"\\n\\t\\'"`},
		{name: "spaces", in: "  p  ", want: `"  p  "`},
		{name: "percent equals colon", in: "%=:", want: `"%=:"`},
		{name: "unicode", in: "中文é🐳", want: `"中文é🐳"`},
		{name: "at budget", in: strings.Repeat("x", nginxTokenBudget-2), want: `"` + strings.Repeat("x", nginxTokenBudget-2) + `"`},
		{name: "over budget", in: strings.Repeat(`"`, nginxTokenBudget/2), wantErr: "over the 4000-byte budget"},
		{name: "dollar", in: "pa$ss", wantErr: "'$' (U+0024) at byte 2"},
		{name: "dollar braces", in: "${X}", wantErr: "'$' (U+0024) at byte 0"},
		{name: "double dollar", in: "$$", wantErr: "'$'"},
		{name: "newline", in: "a\nb", wantErr: `'\n' (U+000A) at byte 1`},
		{name: "nul", in: "\x00", wantErr: "U+0000"},
	})
}

// The nginx round trip has no Go parser to lean on, so nginxDirectives below
// is a reference parser written from nginx's tokenizer, ngx_conf_read_token
// in src/core/ngx_conf_file.c (1.22): tokens split at space, tab, CR, LF and
// ';', quoted tokens in which a backslash protects the next character and
// which must be followed by a space, ';', '{' or ')', '#' comments outside
// tokens, the copy loop that turns \" \' \\ into the character and \t \r \n
// into control characters and keeps any other backslash, and the
// "too long parameter" limit. It also models the script compiler of
// directives with complex values (ngx_http_script_variables_count): a '$'
// in the argument is a variable, never text. TestNginxWithNginx checks it
// against the real thing where nginx is installed.

// nginxTokenMax is the longest quoted argument nginx 1.22 reads (its
// 4096-byte NGX_CONF_BUFFER less the closing quote and one byte).
const nginxTokenMax = 4094

// nginxDirectives returns the arguments of each simple directive of conf.
// Blocks are not modelled.
func nginxDirectives(conf string) ([][]string, error) {
	var dirs [][]string
	var args []string
	for i := 0; ; {
		for i < len(conf) && isNginxSpace(conf[i]) {
			i++
		}
		if i == len(conf) {
			if args != nil {
				return nil, errors.New("unexpected end of file, expecting \";\"")
			}
			return dirs, nil
		}
		switch conf[i] {
		case ';':
			if args == nil {
				return nil, errors.New(`unexpected ";"`)
			}
			dirs, args = append(dirs, args), nil
			i++
			continue
		case '{', '}':
			return nil, errors.New("blocks are not modelled")
		case '#':
			for i < len(conf) && conf[i] != '\n' {
				i++
			}
			continue
		}
		tok, next, err := nginxToken(conf, i)
		if err != nil {
			return nil, err
		}
		args, i = append(args, tok), next
	}
}

// nginxToken reads the token starting at conf[i] and returns its unescaped
// text and the offset after it.
func nginxToken(conf string, i int) (string, int, error) {
	if q := conf[i]; q == '"' || q == '\'' {
		start := i + 1
		for i = start; i < len(conf) && conf[i] != q; i++ {
			if conf[i] == '\\' {
				i++
			}
		}
		if i >= len(conf) {
			return "", 0, fmt.Errorf("unexpected end of file, expecting %q", q)
		}
		if i-start > nginxTokenMax {
			return "", 0, errors.New("too long parameter")
		}
		raw := conf[start:i]
		i++
		if i < len(conf) && !isNginxSpace(conf[i]) && strings.IndexByte(";{)", conf[i]) < 0 {
			return "", 0, fmt.Errorf("unexpected %q after a quoted token", conf[i])
		}
		return nginxUnescape(raw), i, nil
	}
	start := i
	for ; i < len(conf) && !isNginxSpace(conf[i]) && conf[i] != ';' && conf[i] != '{'; i++ {
		if conf[i] == '\\' {
			i++
		}
	}
	return nginxUnescape(conf[start:min(i, len(conf))]), i, nil
}

func isNginxSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// nginxUnescape is ngx_conf_read_token's copy loop.
func nginxUnescape(raw string) string {
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' || i+1 == len(raw) {
			b.WriteByte(raw[i])
			continue
		}
		switch c := raw[i+1]; c {
		case '"', '\'', '\\':
			b.WriteByte(c)
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'n':
			b.WriteByte('\n')
		default:
			b.WriteByte('\\')
			continue
		}
		i++
	}
	return b.String()
}

// readNginx reads escaped as the text of a return directive between two
// other directives, as a complex value.
func readNginx(escaped string) (string, error) {
	dirs, err := nginxDirectives("listen 80;\nreturn 200 " + escaped + "; # comment\nserver_name h;\n")
	if err != nil {
		return "", err
	}
	if len(dirs) != 3 || len(dirs[1]) != 3 || fmt.Sprint(dirs[0]) != "[listen 80]" || fmt.Sprint(dirs[2]) != "[server_name h]" {
		return "", fmt.Errorf("the value spilled into its neighbours: %q", dirs)
	}
	text := dirs[1][2]
	if i := strings.IndexByte(text, '$'); i >= 0 {
		return "", fmt.Errorf("%q at %d starts a variable", text[i:], i)
	}
	return text, nil
}

func nginxMustReject(s string) bool {
	escapedLen := len(s) + 2 + strings.Count(s, `\`) + strings.Count(s, `"`)
	return strings.Contains(s, "$") || hasControl(s) || escapedLen > nginxTokenBudget
}

func TestNginxRoundTrip(t *testing.T) {
	roundTripHostile(t, Nginx, readNginx, nginxMustReject)
}

func TestNginxReferenceParser(t *testing.T) {
	got, err := nginxDirectives(`a "x\"y\\z\q" 'p\'q' b\ c;# c` + "\n" + `d "\t\r\n\$";`)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"a", `x"y\z\q`, "p'q", `b\ c`}, {"d", "\t\r\n\\$"}}
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for _, bad := range []string{`a "x"y;`, `a "x;`, "a b", `a "` + strings.Repeat("x", nginxTokenMax+1) + `";`} {
		if _, err := nginxDirectives(bad); err == nil {
			t.Errorf("%.20q: no error", bad)
		}
	}
	if _, err := nginxDirectives(`a "` + strings.Repeat("x", nginxTokenMax) + `";`); err != nil {
		t.Errorf("longest token: %v", err)
	}
}

// TestNginxWithNginx serves each hostile value as the text of a return
// directive from a real nginx, when it is installed, and reads it back over
// a unix socket.
func TestNginxWithNginx(t *testing.T) {
	bin, err := exec.LookPath("nginx")
	if err != nil {
		t.Fatal("nginx is not installed: apt-get install nginx (.ci/run does)")
	}
	values := []string{strings.Repeat("x", nginxTokenBudget-2)}
	for _, h := range hostile {
		values = append(values, h.value)
	}
	dir := t.TempDir()
	var locations strings.Builder
	var served []string
	serve := func(token, want string) {
		fmt.Fprintf(&locations, "    location = /%d { return 200 %s; }\n", len(served), token)
		served = append(served, want)
	}
	for _, v := range values {
		if out, err := Nginx(v); err == nil {
			serve(out, v)
		}
	}
	// Tokens harborgen never writes, to hold the reference parser to nginx.
	for _, token := range []string{`b\ c`, `"x\"y\\z\q"`, `'p\'q'`, `"\t\r\n"`, `"a'b"`, `'a"b'`} {
		text, err := readNginx(token)
		if err != nil {
			t.Fatalf("reference parser: %s: %v", token, err)
		}
		serve(token, text)
	}
	sock := filepath.Join(dir, "nginx.sock")
	conf := fmt.Sprintf(`master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events {}
http {
  access_log off;
  default_type text/plain;
  client_body_temp_path %[1]s/client; proxy_temp_path %[1]s/proxy; fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi; scgi_temp_path %[1]s/scgi;
  server {
    listen unix:%[2]s;
%[3]s  }
}
`, dir, sock, locations.String())
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	startServer(t, exec.Command(bin, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", confPath, "-g", "daemon off;"), sock).Close()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		},
	}}
	for i, want := range served {
		resp, err := client.Get(fmt.Sprintf("http://nginx/%d", i))
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if string(body) != want {
			t.Errorf("nginx served %q, want %q", body, want)
		}
	}
}

// startServer starts cmd, a server in the foreground that listens on the
// unix socket sock, stops it (by its PID) when the test ends, and returns a
// connection to it.
func startServer(t *testing.T, cmd *exec.Cmd, sock string) net.Conn {
	t.Helper()
	var output strings.Builder
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	deadline := time.After(10 * time.Second)
	for {
		if conn, err := net.Dial("unix", sock); err == nil {
			t.Cleanup(func() { conn.Close() })
			return conn
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("%s exited (%v): %s", cmd.Path, err, output.String())
		case <-deadline:
			_ = cmd.Process.Kill()
			exited <- <-exited // output is complete once the process is gone
			t.Fatalf("%s does not listen on %s: %s", cmd.Path, sock, output.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func FuzzNginx(f *testing.F) {
	seedHostile(f)
	f.Fuzz(func(t *testing.T, s string) {
		checkRoundTrip(t, s, Nginx, readNginx, nginxMustReject)
	})
}
