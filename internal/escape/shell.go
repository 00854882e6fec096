package escape

import "strings"

// Shell returns s as one POSIX sh word: bare when it is a plain word
// ([A-Za-z0-9_./:=@%+,-]), otherwise single-quoted, where every byte is
// literal; a quote closes the quoting, is written escaped, and reopens it:
//
//	it's  ->  'it'\''s'
//
// The word is meant for an argument position: a bare word with '=' in the
// command-name position would be read as an assignment.
//
// NUL is rejected: sh strings and argv entries end at NUL.
func Shell(s string) (string, error) {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return "", unrepresentable("sh", s, i, "shell words and arguments end at NUL")
	}
	if isPlainWord(s) {
		return s, nil
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'", nil
}
