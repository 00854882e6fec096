package diag

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// WriteText prints one diagnostic per line as
// FILE:LINE:COL: SEVERITY: PATH: message, with an indented hint line.
func WriteText(w io.Writer, items []Diagnostic) error {
	var b strings.Builder
	for _, d := range items {
		b.WriteString(d.Pos.String())
		b.WriteString(": ")
		b.WriteString(string(d.Severity))
		b.WriteString(": ")
		if d.Path != "" {
			b.WriteString(d.Path)
			b.WriteString(": ")
		}
		b.WriteString(d.Message)
		b.WriteString("\n")
		if d.Hint != "" {
			b.WriteString("    hint: ")
			b.WriteString(d.Hint)
			b.WriteString("\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

type jsonDiagnostic struct {
	Severity Severity `json:"severity"`
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Column   int      `json:"column"`
	Path     string   `json:"path"`
	Message  string   `json:"message"`
	Hint     string   `json:"hint,omitempty"`
}

// WriteJSON prints the diagnostics as one JSON array (never null).
func WriteJSON(w io.Writer, items []Diagnostic) error {
	out := make([]jsonDiagnostic, 0, len(items))
	for _, d := range items {
		out = append(out, jsonDiagnostic{
			Severity: d.Severity, File: d.Pos.File, Line: max(d.Pos.Line, 1), Column: max(d.Pos.Col, 1),
			Path: d.Path, Message: d.Message, Hint: d.Hint,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write diagnostics: %w", err)
	}
	return nil
}

// Summary is a one-line count such as "2 errors, 1 warning".
func Summary(errors, warnings int) string {
	return fmt.Sprintf("%s, %s", plural(errors, "error"), plural(warnings, "warning"))
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
