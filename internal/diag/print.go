package diag

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"
)

// WriteText prints one diagnostic per line as
// FILE:LINE:COL: SEVERITY: PATH: message, with an indented hint line.
func WriteText(w io.Writer, items []Diagnostic) error { return WriteTextColor(w, items, false) }

// ANSI colours of the severities, for a terminal.
var severityColor = map[Severity]string{Error: "\x1b[1;31m", Warning: "\x1b[1;33m"}

// WriteTextColor is WriteText with the severity in colour when color is
// set (a terminal, without NO_COLOR).
func WriteTextColor(w io.Writer, items []Diagnostic, color bool) error {
	var b strings.Builder
	for _, d := range items {
		b.WriteString(d.Pos.String())
		b.WriteString(": ")
		if color {
			b.WriteString(severityColor[d.Severity] + string(d.Severity) + "\x1b[0m")
		} else {
			b.WriteString(string(d.Severity))
		}
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

// WriteGitHub prints each diagnostic as a GitHub Actions workflow command,
// `::error file=F,line=L,col=C,title=PATH::message`, which the workflow run
// shows as an annotation on the line. Values are escaped as the runner
// reads them: % CR LF everywhere, and : , in properties.
func WriteGitHub(w io.Writer, items []Diagnostic) error {
	var b strings.Builder
	for _, d := range items {
		level := "error"
		if d.Severity == Warning {
			level = "warning"
		}
		msg := d.Message
		if d.Hint != "" {
			msg += "\nhint: " + d.Hint
		}
		fmt.Fprintf(&b, "::%s file=%s,line=%d,col=%d", level, ghProperty(d.Pos.File), max(d.Pos.Line, 1), max(d.Pos.Col, 1))
		if d.Path != "" {
			fmt.Fprintf(&b, ",title=%s", ghProperty(d.Path))
		}
		fmt.Fprintf(&b, "::%s\n", ghData(msg))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

var (
	ghDataEscaper     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	ghPropertyEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

func ghData(s string) string     { return ghDataEscaper.Replace(s) }
func ghProperty(s string) string { return ghPropertyEscaper.Replace(s) }

// WriteSARIF prints the diagnostics as one SARIF 2.1.0 log, for code
// scanning (GitHub, GitLab). Each diagnostic is a result of the one rule
// "harborgen/spec" at its file, line and column; the spec path and the hint
// go in its message and properties.
func WriteSARIF(w io.Writer, items []Diagnostic, toolVersion string) error {
	type region struct {
		StartLine   int `json:"startLine"`
		StartColumn int `json:"startColumn"`
	}
	type location struct {
		PhysicalLocation struct {
			ArtifactLocation struct {
				URI string `json:"uri"`
			} `json:"artifactLocation"`
			Region region `json:"region"`
		} `json:"physicalLocation"`
	}
	type message struct {
		Text string `json:"text"`
	}
	type result struct {
		RuleID     string            `json:"ruleId"`
		Level      string            `json:"level"`
		Message    message           `json:"message"`
		Locations  []location        `json:"locations"`
		Properties map[string]string `json:"properties,omitempty"`
	}
	results := make([]result, 0, len(items))
	for _, d := range items {
		r := result{RuleID: "harborgen/spec", Level: "error", Message: message{Text: d.Message}}
		if d.Severity == Warning {
			r.Level = "warning"
		}
		if d.Path != "" {
			r.Message.Text = d.Path + ": " + d.Message
		}
		if d.Hint != "" {
			r.Message.Text += " (hint: " + d.Hint + ")"
		}
		var loc location
		loc.PhysicalLocation.ArtifactLocation.URI = sarifURI(d.Pos.File)
		loc.PhysicalLocation.Region = region{StartLine: max(d.Pos.Line, 1), StartColumn: max(d.Pos.Col, 1)}
		r.Locations = []location{loc}
		if d.Path != "" || d.Hint != "" {
			r.Properties = map[string]string{}
			if d.Path != "" {
				r.Properties["specPath"] = d.Path
			}
			if d.Hint != "" {
				r.Properties["hint"] = d.Hint
			}
		}
		results = append(results, r)
	}
	doc := map[string]any{
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"version": "2.1.0",
		"runs": []any{map[string]any{
			"tool": map[string]any{"driver": map[string]any{
				"name":           "harborgen",
				"version":        toolVersion,
				"informationUri": "https://github.com/harborgen/harborgen",
				"rules": []any{map[string]any{
					"id":               "harborgen/spec",
					"name":             "HarborgenSpec",
					"shortDescription": map[string]string{"text": "A harborgen cluster spec problem"},
					"fullDescription":  map[string]string{"text": "A mistake in a harborgen cluster spec or its secrets file, found by harborgen validate."},
				}},
			}},
			"results": results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write SARIF: %w", err)
	}
	return nil
}

// sarifURI is a file name as a relative URI reference (SARIF wants a URI):
// each path segment percent-encoded, slashes kept.
func sarifURI(file string) string {
	segs := strings.Split(filepath.ToSlash(file), "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
