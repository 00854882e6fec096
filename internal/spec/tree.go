package spec

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/harborgen/harborgen/internal/diag"
)

// Kind is the type of a value in a parsed document, the same for TOML and
// YAML.
type Kind int

const (
	KindNull Kind = iota
	KindMap
	KindList
	KindString
	KindInt
	KindFloat
	KindBool
	KindOther // dates and times: valid syntax, never a valid spec value
)

func (k Kind) String() string {
	return [...]string{"null", "table", "array", "string", "integer", "float", "boolean", "date/time"}[k]
}

// Value is one node of a parsed document with its source position. A map
// field's Pos is the position of its key.
type Value struct {
	Kind   Kind
	Pos    diag.Pos
	Fields []Field // KindMap, in document order
	Items  []*Value
	Str    string // KindString; for KindOther its text
	Tag    string // KindOther from YAML: an explicit tag other than a timestamp's (!!binary, !custom)
	Int    int64
	Float  float64
	Bool   bool
}

// Field is one key of a map.
type Field struct {
	Key   string
	Value *Value
}

// Get returns the field named key, or nil.
func (v *Value) Get(key string) *Value {
	if v == nil || v.Kind != KindMap {
		return nil
	}
	for _, f := range v.Fields {
		if f.Key == key {
			return f.Value
		}
	}
	return nil
}

// Interface converts the value to plain Go values (map[string]any, []any,
// string, int64, float64, bool, nil) for the JSON Schema validator.
func (v *Value) Interface() any {
	switch v.Kind {
	case KindMap:
		m := make(map[string]any, len(v.Fields))
		for _, f := range v.Fields {
			m[f.Key] = f.Value.Interface()
		}
		return m
	case KindList:
		l := make([]any, len(v.Items))
		for i, it := range v.Items {
			l[i] = it.Interface()
		}
		return l
	case KindString, KindOther:
		return v.Str
	case KindInt:
		return v.Int
	case KindFloat:
		return v.Float
	case KindBool:
		return v.Bool
	}
	return nil
}

// Walk calls fn for every value under v with its spec path (node[2].address).
func (v *Value) Walk(path string, fn func(path string, v *Value)) {
	fn(path, v)
	switch v.Kind {
	case KindMap:
		for _, f := range v.Fields {
			f.Value.Walk(JoinKey(path, f.Key), fn)
		}
	case KindList:
		for i, it := range v.Items {
			it.Walk(JoinIndex(path, i), fn)
		}
	}
}

// JoinKey appends a key to a spec path. Keys that are not plain identifiers
// are quoted so the path stays unambiguous.
func JoinKey(path, key string) string {
	if !plainKey(key) {
		key = strconv.Quote(key)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// JoinIndex appends a list index to a spec path.
func JoinIndex(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

func plainKey(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// ParentPath strips the last key or index of a spec path.
func ParentPath(path string) string {
	if strings.HasSuffix(path, "]") {
		if i := strings.LastIndexByte(path, '['); i >= 0 {
			return path[:i]
		}
	}
	if strings.HasSuffix(path, `"`) {
		if i := strings.LastIndex(path, `."`); i >= 0 {
			return path[:i]
		}
		if strings.HasPrefix(path, `"`) {
			return ""
		}
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return ""
}
