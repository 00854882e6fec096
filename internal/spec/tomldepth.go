package spec

import (
	"bytes"
	"fmt"
)

// MaxNesting bounds how deep a spec may nest: arrays and inline tables
// inside each other, or the parts of one dotted key or table header. A real
// spec nests four levels; the TOML parser's time and memory grow with the
// square of the depth (10,000 levels exhausted 4 GB), so the bound is checked
// before the parser sees the file. YAML has the same bound.
const MaxNesting = 64

// tomlNesting scans TOML text, skipping strings and comments, and reports the
// first place that nests deeper than MaxNesting: an open bracket or brace
// beyond the bound, or a line whose keys have more than MaxNesting dots.
func tomlNesting(file string, data []byte) *syntaxError {
	depth, dots := 0, 0
	tooDeep := func(i int, what string) *syntaxError {
		return &syntaxError{pos: posAt(file, data, i),
			msg:  fmt.Sprintf("the TOML %s nests deeper than %d levels", what, MaxNesting),
			hint: "a cluster spec nests a few levels; remove the nesting"}
	}
	for i := 0; i < len(data); i++ {
		switch c := data[i]; c {
		case '#':
			i = skipTo(data, i+1, "\n") - 1 // keep the newline: it ends the line
		case '"', '\'':
			i = skipString(data, i)
		case '[', '{':
			if depth++; depth > MaxNesting {
				return tooDeep(i, "arrays or tables")
			}
		case ']', '}':
			depth = max(depth-1, 0)
		case '.':
			if dots++; dots > MaxNesting {
				return tooDeep(i, "dotted key")
			}
		case '\n':
			dots = 0
		}
	}
	return nil
}

// skipString returns the index of the last byte of the string that starts at
// i (basic or literal, one-line or multi-line); an unterminated string runs
// to the end, where the parser reports it.
func skipString(data []byte, i int) int {
	q := data[i]
	delim := []byte{q, q, q}
	if bytes.HasPrefix(data[i:], delim) {
		for j := i + 3; j < len(data); j++ {
			switch {
			case q == '"' && data[j] == '\\':
				j++
			case bytes.HasPrefix(data[j:], delim):
				// Up to two more quotes right before the closing three
				// belong to the string.
				end := j + 3
				for end < len(data) && data[end] == q && end < j+5 {
					end++
				}
				return end - 1
			}
		}
		return len(data) - 1
	}
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\n':
			return j - 1 // unterminated: the parser reports it
		case '\\':
			if q == '"' {
				j++
			}
		case q:
			return j
		}
	}
	return len(data) - 1
}

func skipTo(data []byte, i int, s string) int {
	if k := bytes.Index(data[i:], []byte(s)); k >= 0 {
		return i + k
	}
	return len(data)
}

// TOMLTooDeep reports where TOML text nests deeper than MaxNesting, for the
// other TOML files harborgen reads (the secrets file), whose parser has the
// same quadratic cost. The message names no text of the file.
func TOMLTooDeep(data []byte) (line, col int, msg string, tooDeep bool) {
	se := tomlNesting("", data)
	if se == nil {
		return 0, 0, "", false
	}
	return se.pos.Line, se.pos.Col, se.msg, true
}
