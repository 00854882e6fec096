package escape

import "strings"

// nginxTokenBudget bounds an escaped nginx argument: nginx reads its
// configuration through a 4096-byte buffer (NGX_CONF_BUFFER) and fails with
// "too long parameter" on a longer token.
const nginxTokenBudget = 4000

// Nginx returns an nginx configuration string argument: double-quoted, with
// \" and \\ as its only escapes (ngx_conf_read_token). Braces, ';', '#' and
// single quotes are plain text inside the quotes.
//
// A '$' starts a variable in every directive that takes a complex value and
// nginx has no escape for it, so a value with '$' is rejected, as are control
// characters (see rejectControl) and values beyond nginx's token buffer.
func Nginx(s string) (string, error) {
	if i := strings.IndexByte(s, '$'); i >= 0 {
		return "", unrepresentable("nginx", s, i, "nginx expands $ as a variable inside strings and has no escape for it")
	}
	return quoteLine("nginx", s, nginxTokenBudget, "nginx rejects a token longer than its 4096-byte read buffer")
}
