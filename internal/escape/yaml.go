package escape

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// YAML returns a YAML 1.2 double-quoted scalar that go.yaml.in/yaml/v3 reads
// back as exactly the string s. A quoted scalar is always a string, never a
// number, bool or null.
//
// Printable characters are written as they are; tab, newline and carriage
// return as \t, \n, \r; as \xHH or \uHHHH every other character that YAML
// forbids in a stream, the byte-order mark, and the characters YAML 1.1 takes
// as line breaks: NEL (which yaml.v3 folds into a space even inside quotes),
// U+2028 and U+2029. YAML text is Unicode, so a byte that is not part of
// valid UTF-8 is rejected.
func YAML(s string) (string, error) {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return "", unrepresentable("YAML", s, i, "YAML text is Unicode and has no escape for a raw byte")
		}
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case yamlLiteral(r):
			b.WriteString(s[i : i+size])
		case r <= 0xff:
			fmt.Fprintf(&b, `\x%02X`, r)
		default:
			fmt.Fprintf(&b, `\u%04X`, r)
		}
		i += size
	}
	b.WriteByte('"')
	return b.String(), nil
}

// yamlLiteral reports whether r may stand as itself inside a double-quoted
// scalar on one line: YAML's printable set (spec 5.1) less the line breaks
// of YAML 1.1 (NEL is left out of the ranges below) and the byte-order mark.
func yamlLiteral(r rune) bool {
	switch {
	case r == 0x2028, r == 0x2029, r == 0xfeff:
		return false
	case 0x20 <= r && r <= 0x7e,
		0xa0 <= r && r <= 0xd7ff,
		0xe000 <= r && r <= 0xfffd,
		0x10000 <= r && r <= 0x10ffff:
		return true
	}
	return false
}
