package escape

import (
	"strings"
	"unicode/utf8"
)

// mermaidEntities are the characters a Mermaid label in double quotes cannot
// carry as they are: the quote ends it, # starts an entity code, and with
// htmlLabels (GitHub's and GitLab's default) < > & are HTML. Each becomes a
// Mermaid entity code (#name; or #decimal;), which Mermaid turns back into
// the character. A backtick right after the quote would start a Markdown
// string, so it is coded too.
var mermaidEntities = map[rune]string{
	'"': "#quot;", '#': "#35;", '<': "#lt;", '>': "#gt;", '&': "#amp;", '`': "#96;",
}

// MermaidLabel returns a Mermaid flowchart label in double quotes whose text
// is the parts, one per line (joined with <br>). Control characters and
// invalid UTF-8 are rejected: a label is one line of text.
func MermaidLabel(parts ...string) (string, error) {
	var b strings.Builder
	b.WriteByte('"')
	for i, s := range parts {
		if i > 0 {
			b.WriteString("<br>")
		}
		for at, r := range s {
			switch {
			case r == utf8.RuneError && !strings.HasPrefix(s[at:], "\uFFFD"):
				return "", unrepresentable("a Mermaid label", s, at, "a label is UTF-8 text")
			case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029':
				return "", unrepresentable("a Mermaid label", s, at, "a label is one line of text")
			}
			if e, ok := mermaidEntities[r]; ok {
				b.WriteString(e)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String(), nil
}
