// Package escape writes a value so that the target format's own parser reads
// back exactly that value, or says why it cannot.
//
// Each escaper is a small pure function returning the complete text to place
// in the file, quotes included. When the format has no way to carry a value
// the escaper returns an error wrapping ErrUnrepresentable that names the
// offending character and its byte offset, never the value itself: values
// are often secrets.
package escape

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrUnrepresentable is wrapped by every error of this package: the target
// format cannot carry the value.
var ErrUnrepresentable = errors.New("value cannot be represented")

// unrepresentable reports that format cannot carry the character of s at
// byte offset at, and why.
func unrepresentable(format, s string, at int, why string) error {
	return fmt.Errorf("%w in %s: %s at byte %d: %s", ErrUnrepresentable, format, describeAt(s, at), at, why)
}

// describeAt names the character of s at byte offset at, or the lone byte
// when s is not valid UTF-8 there.
func describeAt(s string, at int) string {
	r, size := utf8.DecodeRuneInString(s[at:])
	if r == utf8.RuneError && size <= 1 {
		return fmt.Sprintf("byte 0x%02x (not UTF-8)", s[at])
	}
	return fmt.Sprintf("%q (%U)", r, r)
}

// indexControl returns the offset of the first ASCII control character
// (U+0000-U+001F, U+007F) in s, or -1.
func indexControl(s string) int {
	return strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// rejectControl is the rule of the one-line config formats (env_file, my.cnf,
// nginx): harborgen's spec forbids control characters, these formats carry at
// most a few of them through escapes, and a raw one is never what an operator
// meant to put in a config line.
func rejectControl(format, s string) error {
	if i := indexControl(s); i >= 0 {
		return unrepresentable(format, s, i, "control characters are not written into one-line config values")
	}
	return nil
}

// isPlainWord reports whether s is non-empty and made only of characters
// that no format of this package treats specially outside quotes.
func isPlainWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("_./:=@%+,-", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// quoteWith writes s between double quotes, replacing each byte for which
// esc returns a non-empty text by that text.
func quoteWith(s string, esc func(c byte) string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if e := esc(s[i]); e != "" {
			b.WriteString(e)
		} else {
			b.WriteByte(s[i])
		}
	}
	b.WriteByte('"')
	return b.String()
}

// backslashQuote escapes the two characters that every backslash-escaping
// double-quoted format of this package needs escaped.
func backslashQuote(c byte) string {
	switch c {
	case '\\':
		return `\\`
	case '"':
		return `\"`
	}
	return ""
}

// quoteLine is the form my.cnf and nginx share: control characters rejected
// (see rejectControl), then double-quoted with \\ and \" as the only escapes,
// within budget bytes, which the format's line or token buffer sets (why).
func quoteLine(format, s string, budget int, why string) (string, error) {
	if err := rejectControl(format, s); err != nil {
		return "", err
	}
	out := quoteWith(s, backslashQuote)
	if len(out) > budget {
		return "", fmt.Errorf("%w in %s: escaped value is %d bytes, over the %d-byte budget: %s",
			ErrUnrepresentable, format, len(out), budget, why)
	}
	return out, nil
}
