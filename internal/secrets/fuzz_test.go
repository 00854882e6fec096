package secrets

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/harborgen/harborgen/internal/spec"
)

// sampleFile is a secrets file as secrets init writes it, every known name
// set.
func sampleFile() []byte {
	var b bytes.Buffer
	b.WriteString("# harborgen secrets\n")
	for i, name := range KnownNames() {
		fmt.Fprintf(&b, "%s = %q\n", name, fmt.Sprintf("v%02d-S3cr$t/%s@%%#'", i, name))
	}
	return b.Bytes()
}

// nested is a secrets file whose one value nests depth arrays (or inline
// tables) deep.
func nested(depth int, open, close string) []byte {
	return []byte("redis_password = " + strings.Repeat(open, depth) + `"x"` + strings.Repeat(close, depth) + "\n")
}

// secretsSeeds are the hand-made inputs: the usual file, the usual
// mistakes, nesting around spec.MaxNesting and a file near spec.MaxSize.
func secretsSeeds() [][]byte {
	seeds := [][]byte{
		sampleFile(),
		[]byte("redis_password = SEKRITvalue123\n"),
		[]byte("db_password = \"ok\"\nredis_password = 'SEKRIT\n"),
		[]byte("csrf_key = 12345678901234567890123456789012\n"),
		[]byte("[table]\nsecretkey = \"0123456789abcdef\"\n"),
		[]byte("a.b.c = \"SEKRITdotted\"\n"),
		[]byte("\"quoted key\" = \"SEKRIT\"\nx = 1\n"),
		[]byte("token_private_key = \"\"\"\n-----BEGIN RSA PRIVATE KEY-----\nSEKRIT\n\"\"\"\n"),
		[]byte("redis_password = \"SEKRIT\"\nredis_password = \"again\"\n"),
	}
	for _, depth := range []int{spec.MaxNesting - 1, spec.MaxNesting, spec.MaxNesting + 1, 1000} {
		seeds = append(seeds, nested(depth, "[", "]"), nested(depth, "{a=", "}"))
	}
	dotted := "k" + strings.Repeat(".k", spec.MaxNesting) + " = \"SEKRIT\"\n"
	seeds = append(seeds, []byte(dotted))
	big := bytes.Repeat([]byte("# padding padding padding padding padding padding padding padding\n"), spec.MaxSize/66)
	seeds = append(seeds, append(append([]byte{}, big...), sampleFile()...))
	return seeds
}

// FuzzParseSecrets checks the secrets file loader on any input: it never
// panics; a failure is a ParseError with a position inside the file and a
// message that quotes no value; a success gives every value a line.
func FuzzParseSecrets(f *testing.F) {
	for _, s := range secretsSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkParse(t, data)
	})
}

func checkParse(t *testing.T, data []byte) {
	file := &File{Path: "fuzz.secrets.toml", Values: map[string]string{}, Lines: map[string]int{}}
	err := parse(file, data)
	lines := bytes.Count(data, []byte("\n")) + 1
	if err == nil {
		for k, v := range file.Values {
			if n := file.Lines[k]; v != "" && (n < 1 || n > lines) {
				t.Fatalf("value of %q has line %d, the file has %d lines", k, n, lines)
			}
		}
		return
	}
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("not a ParseError: %T %v", err, err)
	}
	if pe.Line < 1 || pe.Col < 1 || pe.Line > lines {
		t.Fatalf("position %d:%d outside the file's %d lines: %v", pe.Line, pe.Col, lines, err)
	}
	if leaked := leakedValue(data, pe.Msg); leaked != "" {
		t.Fatalf("the error quotes the value %q: %v", leaked, err)
	}
}

// leakedValue returns a piece of a value that msg quotes, or "". A value is
// what follows the first '=' of a line; its pieces are its words of at least
// six bytes. A piece that is also part of a key name is no leak: an error
// may name keys.
func leakedValue(data []byte, msg string) string {
	keys := keyNames(data)
	for _, line := range strings.Split(string(data), "\n") {
		_, value, ok := strings.Cut(line, "=")
		if !ok {
			// A line without '=' is a value on its own (a multi-line
			// string's body, or a key the operator forgot).
			value = line
		}
		for _, word := range strings.FieldsFunc(value, func(r rune) bool { return strings.ContainsRune(" \t\r\"'=[]{},", r) }) {
			if len(word) >= 6 && strings.Contains(msg, word) && !strings.Contains(keys, word) {
				return word
			}
		}
	}
	return ""
}

// keyNames is every top-level key of data that decodes, joined by newlines.
func keyNames(data []byte) string {
	var raw map[string]any
	if _, _, _, deep := spec.TOMLTooDeep(data); deep {
		return "" // the parser's time grows with the square of the depth
	}
	if _, err := toml.Decode(string(data), &raw); err != nil {
		return ""
	}
	var b strings.Builder
	for k := range raw {
		b.WriteString(k + "\n")
	}
	return b.String()
}

// TestParseSecretsErrors loads hand-made mistakes: each gives its error.
func TestParseSecretsErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		want string // in the error; "" for none
	}{
		{name: "sample", data: sampleFile()},
		{name: "bare value", data: []byte("redis_password = SEKRITvalue123\n"), want: `:1:`},
		{name: "number", data: []byte("a = \"x\"\ncsrf_key = 1234\n"), want: ":2:1: csrf_key must be a quoted string"},
		{name: "two bad keys, always the first", data: []byte("b = 1\na = 2\n"), want: ":2:1: a must be a quoted string"},
		{name: "arrays at the bound", data: nested(spec.MaxNesting, "[", "]"), want: "redis_password must be a quoted string"},
		{name: "arrays beyond the bound", data: nested(spec.MaxNesting+1, "[", "]"), want: ":1:82: the TOML arrays or tables nests deeper than 64 levels"},
		{name: "10,000 inline tables", data: nested(10000, "{a=", "}"), want: "nests deeper than 64 levels"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.toml")
			if err := os.WriteFile(path, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(path)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}
