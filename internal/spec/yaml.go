package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/harborgen/harborgen/internal/diag"
)

// yamlBudget bounds the values an aliased document may expand to, so that a
// "billion laughs" file is an error, not an out-of-memory kill.
const yamlBudget = 100_000

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func parseYAML(file string, data []byte) (root *Value, err error) {
	start := diag.Pos{File: file, Line: 1, Col: 1}
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, &syntaxError{pos: start, msg: fmt.Sprintf("YAML parser failed: %v", r)}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		return nil, yamlError(file, data, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		pos := start
		if err == nil {
			pos = diag.Pos{File: file, Line: extra.Line, Col: extra.Column}
		}
		return nil, &syntaxError{pos: pos, msg: "the file holds more than one YAML document", hint: "keep one spec per file"}
	}
	c := &yamlConverter{file: file}
	top := &doc
	if top.Kind == yaml.DocumentNode && len(top.Content) == 1 {
		top = top.Content[0]
	}
	if top.Kind != yaml.MappingNode {
		return nil, &syntaxError{pos: c.pos(top), msg: "the spec must be a YAML mapping of keys to values", hint: "start with: spec: 1"}
	}
	v, err := c.convert(top, c.pos(top), "", 0)
	if err != nil {
		return nil, err
	}
	return v, nil
}

func yamlError(file string, data []byte, err error) error {
	pos := diag.Pos{File: file, Line: 1, Col: 1}
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		pos.Line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	e := &syntaxError{pos: pos, msg: "YAML syntax: " + msg}
	if tab := tabIndent(data); tab.Line > 0 && strings.Contains(msg, "cannot start any token") {
		e.pos = diag.Pos{File: file, Line: tab.Line, Col: tab.Col}
		e.msg = "YAML syntax: the line is indented with a tab"
		e.hint = "YAML indents with spaces only: replace the tab by spaces"
	}
	return e
}

// tabIndent finds the first line whose indentation holds a tab.
func tabIndent(data []byte) diag.Pos {
	for i, line := range strings.Split(string(data), "\n") {
		indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
		if col := strings.IndexByte(indent, '\t'); col >= 0 {
			return diag.Pos{Line: i + 1, Col: col + 1}
		}
	}
	return diag.Pos{}
}

type yamlConverter struct {
	file  string
	spent int
}

func (c *yamlConverter) pos(n *yaml.Node) diag.Pos {
	return diag.Pos{File: c.file, Line: n.Line, Col: n.Column}
}

// convert turns a YAML node into a Value; pos is where the value is named
// (its key), which is the position reported for it.
func (c *yamlConverter) convert(n *yaml.Node, pos diag.Pos, path string, depth int) (*Value, error) {
	c.spent++
	if c.spent > yamlBudget || depth > 64 {
		return nil, &syntaxError{pos: c.pos(n), msg: "the YAML document is too large or too deeply nested once its aliases are expanded"}
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, &syntaxError{pos: c.pos(n), msg: "unknown YAML alias"}
		}
		return c.convert(n.Alias, pos, path, depth+1)
	case yaml.MappingNode:
		return c.mapping(n, pos, path, depth)
	case yaml.SequenceNode:
		out := &Value{Kind: KindList, Pos: pos}
		for i, item := range n.Content {
			v, err := c.convert(item, c.pos(item), JoinIndex(path, i), depth+1)
			if err != nil {
				return nil, err
			}
			out.Items = append(out.Items, v)
		}
		return out, nil
	case yaml.ScalarNode:
		return c.scalar(n, pos)
	}
	return nil, &syntaxError{pos: c.pos(n), msg: "unexpected YAML node"}
}

func (c *yamlConverter) mapping(n *yaml.Node, pos diag.Pos, path string, depth int) (*Value, error) {
	out := &Value{Kind: KindMap, Pos: pos}
	seen := map[string]diag.Pos{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		kpos := c.pos(k)
		if k.Kind != yaml.ScalarNode {
			return nil, &syntaxError{pos: kpos, msg: "a key must be a plain string"}
		}
		if k.Tag == "!!merge" {
			return nil, &syntaxError{pos: kpos, msg: "YAML merge keys (<<) are not supported", hint: "write the keys out; TOML and YAML specs must have the same keys"}
		}
		kpath := JoinKey(path, k.Value)
		if first, dup := seen[k.Value]; dup {
			return nil, &syntaxError{pos: kpos, path: kpath,
				msg:  fmt.Sprintf("key %s is already defined above (at %d:%d)", kpath, first.Line, first.Col),
				hint: "remove one of the two definitions"}
		}
		seen[k.Value] = kpos
		val, err := c.convert(v, kpos, kpath, depth+1)
		if err != nil {
			return nil, err
		}
		out.Fields = append(out.Fields, Field{Key: k.Value, Value: val})
	}
	return out, nil
}

func (c *yamlConverter) scalar(n *yaml.Node, pos diag.Pos) (*Value, error) {
	out := &Value{Pos: pos}
	var err error
	switch n.ShortTag() {
	case "!!null":
		out.Kind = KindNull
	case "!!bool":
		out.Kind = KindBool
		err = n.Decode(&out.Bool)
	case "!!int":
		out.Kind = KindInt
		err = n.Decode(&out.Int)
	case "!!float":
		out.Kind = KindFloat
		err = n.Decode(&out.Float)
	case "!!str":
		out.Kind = KindString
		out.Str = n.Value
	case "!!timestamp":
		out.Kind = KindOther
		out.Str = n.Value
	default: // !!binary, a custom tag: never a spec value
		out.Kind = KindOther
		out.Str, out.Tag = n.Value, n.ShortTag()
	}
	if err != nil {
		return nil, &syntaxError{pos: c.pos(n), msg: fmt.Sprintf("bad %s value %q", n.ShortTag(), n.Value)}
	}
	return out, nil
}
