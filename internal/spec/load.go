// Package spec is the typed cluster spec and its loaders: TOML and YAML are
// parsed into one position-annotated tree, then decoded into Spec.
package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/harborgen/harborgen/internal/diag"
)

// MaxSize is the largest spec file harborgen reads. A real spec is a few KiB.
const MaxSize = 1 << 20

// Format is a spec file syntax.
type Format string

const (
	TOML Format = "toml"
	YAML Format = "yaml"
)

// FormatOf picks the format from a file name's extension.
func FormatOf(name string) (Format, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".toml":
		return TOML, nil
	case ".yaml", ".yml":
		return YAML, nil
	}
	return "", fmt.Errorf("%s: unknown spec format: the name must end in .toml, .yaml or .yml", name)
}

// Source is where a spec came from and where each of its keys stands.
type Source struct {
	File   string
	Format Format
	Root   *Value
	pos    map[string]diag.Pos
}

// Pos returns the position of a spec path, or of its nearest parent that is
// present in the file, or the start of the file.
func (s *Source) Pos(path string) diag.Pos {
	if s == nil {
		return diag.Pos{Line: 1, Col: 1}
	}
	for p := path; p != ""; p = ParentPath(p) {
		if pos, ok := s.pos[p]; ok {
			return pos
		}
	}
	return diag.Pos{File: s.File, Line: 1, Col: 1}
}

// Has reports whether path is present in the file.
func (s *Source) Has(path string) bool {
	if s == nil {
		return false
	}
	_, ok := s.pos[path]
	return ok
}

// ReadFile reads a spec file, refusing files larger than MaxSize. The error
// is an I/O failure (exit 2); an oversized file is reported by Parse.
// Anything but a regular file (a FIFO, a device, a directory) is refused
// before it is opened: opening a FIFO blocks until a writer comes.
func ReadFile(path string) ([]byte, error) {
	if err := regularFile(path); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read spec: %w", err)
	}
	defer f.Close()
	if err := regularInfo(f.Stat()); err != nil { // replaced since the check
		return nil, fmt.Errorf("read spec %s: %w", path, err)
	}
	return ReadAll(f)
}

// ErrNotRegular is the error of a spec path that is not a regular file.
var ErrNotRegular = errors.New("not a regular file: give a spec file, or - to read the spec from stdin")

func regularFile(path string) error {
	if err := regularInfo(os.Stat(path)); err != nil {
		return fmt.Errorf("read spec %s: %w", path, err)
	}
	return nil
}

func regularInfo(fi os.FileInfo, err error) error {
	switch {
	case err != nil:
		return err
	case !fi.Mode().IsRegular():
		return ErrNotRegular
	}
	return nil
}

// ReadAll reads at most MaxSize+1 bytes, enough for Parse to see the file is
// too large without reading all of it.
func ReadAll(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read spec: %w", err)
	}
	return data, nil
}

// Parse parses and decodes a spec. It returns the spec (nil when the file
// could not be parsed at all) and every problem found on the way.
func Parse(file string, data []byte, format Format) (*Spec, *diag.List) {
	var diags diag.List
	start := diag.Pos{File: file, Line: 1, Col: 1}
	switch {
	case len(data) > MaxSize:
		diags.Errorf(start, "", "split the file or remove what is not part of the spec",
			"the spec is larger than %d bytes (1 MiB); a cluster spec is a few KiB", MaxSize)
		return nil, &diags
	case !utf8.Valid(data):
		diags.Errorf(invalidUTF8Pos(file, data), "", "save the file as UTF-8",
			"the spec is not valid UTF-8")
		return nil, &diags
	case len(bytes.TrimSpace(data)) == 0:
		diags.Errorf(start, "", "start from an example: harborgen init --example ha-modern",
			"the spec is empty")
		return nil, &diags
	}
	var root *Value
	var err error
	switch format {
	case TOML:
		root, err = parseTOML(file, data)
	case YAML:
		root, err = parseYAML(file, data)
	default:
		err = &syntaxError{pos: start, msg: fmt.Sprintf("unknown spec format %q", format)}
	}
	if err != nil {
		var se *syntaxError
		if errors.As(err, &se) {
			diags.Errorf(se.pos, se.path, se.hint, "%s", se.msg)
		} else {
			diags.Errorf(start, "", "", "%v", err)
		}
		return nil, &diags
	}
	src := &Source{File: file, Format: format, Root: root, pos: map[string]diag.Pos{}}
	root.Walk("", func(path string, v *Value) {
		if path != "" {
			src.pos[path] = v.Pos
		}
	})
	s := &Spec{Source: src}
	decodeSpec(root, s, &diags)
	return s, &diags
}

// syntaxError is a parse failure with the position it happened at.
type syntaxError struct {
	pos  diag.Pos
	path string
	msg  string
	hint string
}

func (e *syntaxError) Error() string { return e.pos.String() + ": " + e.msg }

func invalidUTF8Pos(file string, data []byte) diag.Pos {
	line, col := 1, 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size <= 1 {
			break
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		data = data[size:]
	}
	return diag.Pos{File: file, Line: line, Col: col}
}

// posAt converts a byte offset to a line and a column counted in characters.
func posAt(file string, data []byte, offset int) diag.Pos {
	offset = min(max(offset, 0), len(data))
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	lineStart := bytes.LastIndexByte(before, '\n') + 1
	return diag.Pos{File: file, Line: line, Col: utf8.RuneCount(before[lineStart:]) + 1}
}

// PathOr returns path when it is present in the file, else fallback.
func (s *Source) PathOr(path, fallback string) string {
	if s.Has(path) {
		return path
	}
	return fallback
}
