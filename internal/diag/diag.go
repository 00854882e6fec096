// Package diag holds the diagnostics harborgen reports about a spec: what is
// wrong, where (file:line:col and the spec path), and how to fix it.
package diag

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Severity says whether a diagnostic blocks rendering.
type Severity string

const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Pos is a position in a source file; Line and Col start at 1.
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string {
	line, col := max(p.Line, 1), max(p.Col, 1)
	return fmt.Sprintf("%s:%d:%d", Name(p.File), line, col)
}

// Name is a file name as it may reach a terminal: unchanged when every
// character prints, else Go-quoted, so that an escape sequence in a name
// can never drive the terminal.
func Name(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0 {
		return s
	}
	return strconv.Quote(s)
}

// Printable escapes every non-printing character of a message but newlines
// and tabs, for text that reaches a terminal.
func Printable(s string) string {
	if strings.IndexFunc(s, nonPrinting) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if nonPrinting(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func nonPrinting(r rune) bool { return r != '\n' && r != '\t' && !unicode.IsPrint(r) }

// Diagnostic is one finding about a spec.
type Diagnostic struct {
	Severity Severity
	Pos      Pos
	Path     string // spec path, e.g. node[2].address; empty for the whole file
	Message  string
	Hint     string
}

// List collects diagnostics. The zero value is ready to use.
type List struct {
	items []Diagnostic
}

// Add appends a diagnostic.
func (l *List) Add(d Diagnostic) { l.items = append(l.items, d) }

// Errorf adds an error at pos for path.
func (l *List) Errorf(pos Pos, path, hint, format string, args ...any) {
	l.Add(Diagnostic{Severity: Error, Pos: pos, Path: path, Message: fmt.Sprintf(format, args...), Hint: hint})
}

// Warnf adds a warning at pos for path.
func (l *List) Warnf(pos Pos, path, hint, format string, args ...any) {
	l.Add(Diagnostic{Severity: Warning, Pos: pos, Path: path, Message: fmt.Sprintf(format, args...), Hint: hint})
}

// Append adds every diagnostic of other.
func (l *List) Append(other *List) { l.items = append(l.items, other.items...) }

// Items returns the diagnostics sorted by file, position, severity, path and
// message, with exact duplicates removed.
func (l *List) Items() []Diagnostic {
	out := slices.Clone(l.items)
	slices.SortStableFunc(out, compare)
	return slices.CompactFunc(out, func(a, b Diagnostic) bool { return a == b })
}

func compare(a, b Diagnostic) int {
	return cmp.Or(
		cmp.Compare(a.Pos.File, b.Pos.File),
		cmp.Compare(a.Pos.Line, b.Pos.Line),
		cmp.Compare(a.Pos.Col, b.Pos.Col),
		cmp.Compare(a.Severity, b.Severity), // "error" < "warning"
		cmp.Compare(a.Path, b.Path),
		cmp.Compare(a.Message, b.Message),
	)
}

// Len is the number of diagnostics collected.
func (l *List) Len() int { return len(l.items) }

// Count returns the number of errors and warnings.
func (l *List) Count() (errors, warnings int) {
	for _, d := range l.items {
		if d.Severity == Error {
			errors++
		} else {
			warnings++
		}
	}
	return errors, warnings
}

// HasErrors reports whether any diagnostic is an error, or, when strict, any
// diagnostic at all.
func (l *List) HasErrors(strict bool) bool {
	errs, warns := l.Count()
	return errs > 0 || (strict && warns > 0)
}

// ErrorAt reports whether an error was already reported for path or for one
// of its parents, so that a rule can stay silent about a value that is
// already known to be broken.
func (l *List) ErrorAt(path string) bool { return l.ErrorAtBefore(path, len(l.items)) }

// ErrorAtBefore is ErrorAt over the first n diagnostics only: what earlier
// checks found, not what the current one already said about another node.
func (l *List) ErrorAtBefore(path string, n int) bool {
	for _, d := range l.items[:min(n, len(l.items))] {
		if d.Severity != Error || d.Path == "" {
			continue
		}
		if d.Path == path || strings.HasPrefix(path, d.Path+".") || strings.HasPrefix(path, d.Path+"[") {
			return true
		}
	}
	return false
}
