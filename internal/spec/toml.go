package spec

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/pelletier/go-toml/v2/unstable"

	"github.com/harborgen/harborgen/internal/diag"
)

// parseTOML decodes with BurntSushi/toml, the project's TOML library, and
// takes key positions from go-toml's unstable AST: BurntSushi keeps one
// position per dotted key, so the keys of the second [[node]] would point at
// the first one.
func parseTOML(file string, data []byte) (root *Value, err error) {
	defer func() {
		if r := recover(); r != nil { // the parser's internal assertions
			root, err = nil, &syntaxError{pos: diag.Pos{File: file, Line: 1, Col: 1}, msg: fmt.Sprintf("TOML parser failed: %v", r)}
		}
	}()
	if se := tomlNesting(file, data); se != nil {
		return nil, se
	}
	var doc map[string]any
	if _, err := toml.Decode(string(data), &doc); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			pos := posAt(file, data, pe.Position.Start)
			if strings.Contains(pe.Message, "has already been defined") {
				return nil, duplicateTOMLKey(file, data, pos)
			}
			return nil, &syntaxError{pos: pos, msg: "TOML syntax: " + pe.Message,
				hint: "see https://toml.io/en/v1.0.0 for the syntax"}
		}
		return nil, &syntaxError{pos: diag.Pos{File: file, Line: 1, Col: 1}, msg: "TOML: " + err.Error()}
	}
	idx := tomlPositions(file, data)
	return tomlValue(file, "", doc, idx, diag.Pos{File: file, Line: 1, Col: 1}), nil
}

func tomlValue(file, path string, v any, idx map[string]diag.Pos, pos diag.Pos) *Value {
	if p, ok := idx[path]; ok {
		pos = p
	}
	switch v := v.(type) {
	case map[string]any:
		out := &Value{Kind: KindMap, Pos: pos}
		for k, child := range v {
			out.Fields = append(out.Fields, Field{Key: k, Value: tomlValue(file, JoinKey(path, k), child, idx, pos)})
		}
		sortFields(out.Fields)
		return out
	case []map[string]any:
		out := &Value{Kind: KindList, Pos: pos}
		for i, child := range v {
			out.Items = append(out.Items, tomlValue(file, JoinIndex(path, i), child, idx, pos))
		}
		return out
	case []any:
		out := &Value{Kind: KindList, Pos: pos}
		for i, child := range v {
			out.Items = append(out.Items, tomlValue(file, JoinIndex(path, i), child, idx, pos))
		}
		return out
	case string:
		return &Value{Kind: KindString, Pos: pos, Str: v}
	case int64:
		return &Value{Kind: KindInt, Pos: pos, Int: v}
	case float64:
		return &Value{Kind: KindFloat, Pos: pos, Float: v}
	case bool:
		return &Value{Kind: KindBool, Pos: pos, Bool: v}
	}
	return &Value{Kind: KindOther, Pos: pos, Str: fmt.Sprint(v)}
}

// duplicateTOMLKey names the spec path of a key defined twice, found in the
// position index (whose parser does not check duplicates).
func duplicateTOMLKey(file string, data []byte, pos diag.Pos) error {
	e := &syntaxError{pos: pos, msg: "this key is already defined above", hint: "remove one of the two definitions"}
	var paths []string
	index := tomlPositions(file, data)
	for path, p := range index {
		if p.Line == pos.Line {
			paths = append(paths, path)
		}
	}
	if len(paths) > 0 {
		slices.Sort(paths)
		e.path = paths[len(paths)-1] // the deepest key on that line
		e.pos = index[e.path]
		e.msg = fmt.Sprintf("key %s is already defined above", e.path)
	}
	return e
}

// sortFields orders a map's fields as they stand in the file.
func sortFields(fs []Field) {
	slices.SortFunc(fs, func(a, b Field) int {
		return cmp.Or(cmp.Compare(a.Value.Pos.Line, b.Value.Pos.Line), cmp.Compare(a.Value.Pos.Col, b.Value.Pos.Col),
			strings.Compare(a.Key, b.Key))
	})
}

// tomlPositions maps every spec path of a valid TOML document to the
// position of its key (for array elements: of the element).
func tomlPositions(file string, data []byte) map[string]diag.Pos {
	ix := &tomlIndex{file: file, data: data, pos: map[string]diag.Pos{}, arrays: map[string]int{}}
	var p unstable.Parser
	p.Reset(data)
	table := ""
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table:
			table = ix.key("", e.Key())
		case unstable.ArrayTable:
			parts, nodes := keyParts(e.Key())
			last := len(parts) - 1
			full := JoinKey(ix.resolve("", parts[:last], nodes[:last]), parts[last])
			n := ix.arrays[full]
			ix.arrays[full] = n + 1
			ix.set(full, nodes[last])
			table = JoinIndex(full, n)
			ix.set(table, nodes[last])
		case unstable.KeyValue:
			ix.keyValue(table, e)
		}
	}
	return ix.pos
}

type tomlIndex struct {
	file   string
	data   []byte
	pos    map[string]diag.Pos
	arrays map[string]int // array-of-tables path -> elements seen so far
}

func (ix *tomlIndex) at(n *unstable.Node) diag.Pos {
	return posAt(ix.file, ix.data, int(n.Raw.Offset))
}

// set records the first position seen for a path.
func (ix *tomlIndex) set(path string, n *unstable.Node) {
	if _, ok := ix.pos[path]; !ok {
		ix.pos[path] = ix.at(n)
	}
}

// keyParts returns the parts of a dotted key with the node of each.
func keyParts(it unstable.Iterator) ([]string, []*unstable.Node) {
	var parts []string
	var nodes []*unstable.Node
	for it.Next() {
		parts = append(parts, string(it.Node().Data))
		nodes = append(nodes, it.Node())
	}
	return parts, nodes
}

// resolve turns dotted key parts under base into a spec path, stepping into
// the current element of any array of tables on the way.
func (ix *tomlIndex) resolve(base string, parts []string, nodes []*unstable.Node) string {
	path := base
	for i, k := range parts {
		path = JoinKey(path, k)
		if n, ok := ix.arrays[path]; ok {
			path = JoinIndex(path, n-1)
		}
		ix.set(path, nodes[i])
	}
	return path
}

// key records a table header or a key; a key defined twice keeps the
// position of the second definition, which is where the parser's
// "already defined" error points.
func (ix *tomlIndex) key(base string, it unstable.Iterator) string {
	parts, nodes := keyParts(it)
	if len(parts) == 0 {
		return base
	}
	last := len(parts) - 1
	path := JoinKey(ix.resolve(base, parts[:last], nodes[:last]), parts[last])
	ix.pos[path] = ix.at(nodes[last])
	return path
}

func (ix *tomlIndex) keyValue(base string, e *unstable.Node) {
	path := ix.key(base, e.Key())
	ix.value(path, e.Value())
}

func (ix *tomlIndex) value(path string, v *unstable.Node) {
	switch v.Kind {
	case unstable.InlineTable:
		it := v.Children()
		for it.Next() {
			ix.keyValue(path, it.Node())
		}
	case unstable.Array:
		it := v.Children()
		for i := 0; it.Next(); i++ {
			el := it.Node()
			elPath := JoinIndex(path, i)
			if el.Raw.Length > 0 {
				ix.pos[elPath] = ix.at(el)
			} else {
				ix.pos[elPath] = ix.pos[path]
			}
			ix.value(elPath, el)
		}
	}
}
