package escape

import (
	"net/url"
	"strings"
	"testing"
)

func TestURLUserinfo(t *testing.T) {
	for _, tc := range []struct {
		name, user, pass, want string
	}{
		{"no user", "", "Harbor12345", ":Harbor12345"},
		{"both empty", "", "", ":"},
		{"empty password", "harbor", "", "harbor:"},
		{"issue 18538 and 18786", "", "p/a@s%s:w", ":p%2Fa%40s%25s%3Aw"},
		{"user with colon and at", "a:b@c", "x", "a%3Ab%40c:x"},
		{"quotes", `"`, "'", "%22:%27"},
		{"shell and template", "", "${X}$$`id`", ":%24%7BX%7D%24%24%60id%60"},
		{"query and fragment", "", "a?b#c&d=e;f", ":a%3Fb%23c%26d%3De%3Bf"},
		{"spaces plus", "", " a+b ", ":%20a%2Bb%20"},
		{"backslash braces", "", `\{}`, ":%5C%7B%7D"},
		{"unreserved stay", "A-z_0.9~", "A-z_0.9~", "A-z_0.9~:A-z_0.9~"},
		{"unicode", "", "é中🐳", ":%C3%A9%E4%B8%AD%F0%9F%90%B3"},
		{"controls and invalid utf8", "", "\x00\n\xff", ":%00%0A%FF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := URLUserinfo(tc.user, tc.pass); got != tc.want {
				t.Errorf("URLUserinfo(%q, %q) = %q, want %q", tc.user, tc.pass, got, tc.want)
			}
		})
	}
}

func TestURLPathSegment(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"registry", "registry"},
		{"my/master", "my%2Fmaster"},
		{"a b%c?d#e;f", "a%20b%25c%3Fd%23e%3Bf"},
		{"..", ".."},
		{"é", "%C3%A9"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := URLPathSegment(tc.in); got != tc.want {
				t.Errorf("URLPathSegment(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// checkUserinfo reads the userinfo back with net/url, the parser of
// Harbor's Go components, from a Redis URL and a Sentinel URL.
func checkUserinfo(t *testing.T, user, pass string) {
	t.Helper()
	info := URLUserinfo(user, pass)
	for _, raw := range []string{
		"redis://" + info + "@redis-1:6379/0?idle_timeout_seconds=30",
		"redis+sentinel://" + info + "@s1:26379,s2:26379/mymaster/2",
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("net/url rejects %q: %v", raw, err)
		}
		got, set := u.User.Password()
		if u.User.Username() != user || got != pass || !set {
			t.Fatalf("%q reads back as user %q, password %q (set %v); want %q, %q",
				raw, u.User.Username(), got, set, user, pass)
		}
		if !strings.HasPrefix(u.Host, "redis-1:") && !strings.HasPrefix(u.Host, "s1:") {
			t.Fatalf("%q reads back with host %q", raw, u.Host)
		}
	}
}

// checkPathSegment reads the segment back with net/url from a Sentinel URL
// (master set) and a database DSN (database name), and insists it stays
// one segment.
func checkPathSegment(t *testing.T, s string) {
	t.Helper()
	seg := URLPathSegment(s)
	for _, tc := range []struct{ raw, prefix, suffix string }{
		{"redis+sentinel://:p@s1:26379/" + seg + "/2", "/", "/2"},
		{"postgres://harbor:p@db:5432/" + seg + "?sslmode=disable", "/", ""},
	} {
		u, err := url.Parse(tc.raw)
		if err != nil {
			t.Fatalf("net/url rejects %q: %v", tc.raw, err)
		}
		if u.Path != tc.prefix+s+tc.suffix {
			t.Fatalf("%q reads back with path %q", tc.raw, u.Path)
		}
		parts := strings.Split(strings.TrimSuffix(u.EscapedPath(), tc.suffix), "/")
		if len(parts) != 2 {
			t.Fatalf("%q: the segment split the path into %q", tc.raw, parts)
		}
		if got, err := url.PathUnescape(parts[1]); err != nil || got != s {
			t.Fatalf("%q: segment reads back as %q (%v)", tc.raw, got, err)
		}
	}
}

func TestURLRoundTrip(t *testing.T) {
	for _, h := range hostile {
		t.Run(h.name, func(t *testing.T) {
			checkUserinfo(t, "", h.value)
			checkUserinfo(t, h.value, h.value)
			checkPathSegment(t, h.value)
		})
	}
}

func FuzzURLUserinfo(f *testing.F) {
	for _, h := range hostile {
		f.Add("", h.value)
		f.Add(h.value, "x")
	}
	f.Fuzz(func(t *testing.T, user, pass string) {
		checkUserinfo(t, user, pass)
	})
}

func FuzzURLPathSegment(f *testing.F) {
	seedHostile(f)
	f.Fuzz(func(t *testing.T, s string) {
		checkPathSegment(t, s)
	})
}
