package validate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"unicode/utf8"
)

// The spec's JSON Schema is checked by the interpreter below, not by a
// general JSON Schema library: such a library compiled its meta-schemas at
// start-up and the spec's schema on every run, most of the time `validate`
// took. It implements the keywords schema/harborgen.schema.json uses, as
// draft 2020-12 defines them and reporting each failure as the library
// did (TestSchemaSubsetMatchesLibrary compares the two on every test spec);
// compileSchema refuses any other keyword, so a schema that needs one fails
// every test instead of being half checked.

// annotations are the keywords that do not validate.
var annotations = []string{"$schema", "$id", "title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly", "$comment",
	"format"} // format is an annotation in 2020-12 unless asserted, and harborgen never asserts it

// schemaNode is one compiled schema object.
type schemaNode struct {
	ref         *schemaNode
	refName     string
	types       []string
	constant    any
	hasConst    bool
	enum        []any
	properties  map[string]*schemaNode
	closed      bool // additionalProperties: false
	additional  *schemaNode
	required    []string
	items       *schemaNode
	minItems    *int
	uniqueItems bool
	minLength   *int
	maxLength   *int
	pattern     *regexp.Regexp
	minimum     *big.Rat
	maximum     *big.Rat
	anyOf       []*schemaNode
}

// compileSchema compiles a whole schema document; "#/$defs/NAME" is the one
// form of $ref.
func compileSchema(doc []byte) (*schemaNode, error) {
	var raw map[string]json.RawMessage
	if err := unmarshalNumbers(doc, &raw); err != nil {
		return nil, err
	}
	defs := map[string]*schemaNode{}
	if d, ok := raw["$defs"]; ok {
		var byName map[string]json.RawMessage
		if err := json.Unmarshal(d, &byName); err != nil {
			return nil, fmt.Errorf("$defs: %w", err)
		}
		for name := range byName {
			defs[name] = &schemaNode{}
		}
		for name, def := range byName {
			if err := compileNode(def, defs[name], defs, "#/$defs/"+name); err != nil {
				return nil, err
			}
		}
		delete(raw, "$defs")
	}
	root := &schemaNode{}
	rest, _ := json.Marshal(raw)
	return root, compileNode(rest, root, defs, "#")
}

func unmarshalNumbers(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	return d.Decode(v)
}

// compileNode compiles the schema object data into n.
func compileNode(data json.RawMessage, n *schemaNode, defs map[string]*schemaNode, at string) error {
	var kw map[string]json.RawMessage
	if err := unmarshalNumbers(data, &kw); err != nil {
		return fmt.Errorf("schema %s: %w", at, err)
	}
	keys := make([]string, 0, len(kw))
	for k := range kw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if err := compileKeyword(k, kw[k], n, defs, at); err != nil {
			return fmt.Errorf("schema %s/%s: %w", at, k, err)
		}
	}
	return nil
}

func compileKeyword(k string, v json.RawMessage, n *schemaNode, defs map[string]*schemaNode, at string) error {
	sub := func(data json.RawMessage, where string) (*schemaNode, error) {
		s := &schemaNode{}
		return s, compileNode(data, s, defs, at+"/"+where)
	}
	var err error
	switch k {
	case "$ref":
		var ref string
		if err = json.Unmarshal(v, &ref); err == nil {
			name, ok := cutPrefix(ref, "#/$defs/")
			if n.ref = defs[name]; !ok || n.ref == nil {
				return fmt.Errorf("unsupported or unknown $ref %q", ref)
			}
			n.refName = name
		}
	case "type":
		var one string
		if json.Unmarshal(v, &one) == nil {
			n.types = []string{one}
		} else {
			err = json.Unmarshal(v, &n.types)
		}
	case "const":
		n.hasConst = true
		err = unmarshalNumbers(v, &n.constant)
	case "enum":
		err = unmarshalNumbers(v, &n.enum)
	case "properties":
		var props map[string]json.RawMessage
		if err = json.Unmarshal(v, &props); err == nil {
			n.properties = map[string]*schemaNode{}
			for name, p := range props {
				if n.properties[name], err = sub(p, "properties/"+name); err != nil {
					return err
				}
			}
		}
	case "additionalProperties":
		var b bool
		if json.Unmarshal(v, &b) == nil {
			n.closed = !b
		} else {
			n.additional, err = sub(v, k)
		}
	case "required":
		err = json.Unmarshal(v, &n.required)
	case "items":
		n.items, err = sub(v, k)
	case "minItems":
		n.minItems, err = intKeyword(v)
	case "uniqueItems":
		err = json.Unmarshal(v, &n.uniqueItems)
	case "minLength":
		n.minLength, err = intKeyword(v)
	case "maxLength":
		n.maxLength, err = intKeyword(v)
	case "pattern":
		var p string
		if err = json.Unmarshal(v, &p); err == nil {
			n.pattern, err = regexp.Compile(p)
		}
	case "minimum":
		n.minimum, err = ratKeyword(v)
	case "maximum":
		n.maximum, err = ratKeyword(v)
	case "anyOf":
		var branches []json.RawMessage
		if err = json.Unmarshal(v, &branches); err == nil {
			for i, b := range branches {
				s, err := sub(b, "anyOf/"+strconv.Itoa(i))
				if err != nil {
					return err
				}
				n.anyOf = append(n.anyOf, s)
			}
		}
	default:
		if !slices.Contains(annotations, k) {
			return fmt.Errorf("keyword %q is not implemented by internal/validate's JSON Schema interpreter (jsonschema.go): add it there", k)
		}
	}
	return err
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || s[:len(prefix)] != prefix {
		return "", false
	}
	return s[len(prefix):], true
}

func intKeyword(v json.RawMessage) (*int, error) {
	var i int
	return &i, json.Unmarshal(v, &i)
}

func ratKeyword(v json.RawMessage) (*big.Rat, error) {
	r, ok := new(big.Rat).SetString(string(v))
	if !ok {
		return nil, fmt.Errorf("not a number: %s", v)
	}
	return r, nil
}

// schemaError is one failed keyword at an instance location (JSON pointer
// tokens, list indexes as decimal strings).
type schemaError struct {
	loc  []string
	kind schemaKind
}

// The failures, with what the diagnostics need of each.
type (
	schemaKind interface{ isSchemaKind() }
	kindType   struct {
		got  string
		want []string
	}
	kindAdditional struct{ properties []string }
	kindRequired   struct{ missing []string }
	kindPattern    struct{ got, want string }
	kindEnum       struct {
		got  any
		want []any
	}
	kindConst       struct{ got, want any }
	kindMinimum     struct{ got, want *big.Rat }
	kindMaximum     struct{ got, want *big.Rat }
	kindMinLength   struct{ got, want int }
	kindMaxLength   struct{ got, want int }
	kindMinItems    struct{ got, want int }
	kindUniqueItems struct{ duplicates [2]int }
)

func (kindType) isSchemaKind()        {}
func (kindAdditional) isSchemaKind()  {}
func (kindRequired) isSchemaKind()    {}
func (kindPattern) isSchemaKind()     {}
func (kindEnum) isSchemaKind()        {}
func (kindConst) isSchemaKind()       {}
func (kindMinimum) isSchemaKind()     {}
func (kindMaximum) isSchemaKind()     {}
func (kindMinLength) isSchemaKind()   {}
func (kindMaxLength) isSchemaKind()   {}
func (kindMinItems) isSchemaKind()    {}
func (kindUniqueItems) isSchemaKind() {}

// validate returns every failure of v (a value as spec.Value.Interface
// gives it) under n. As in draft 2020-12: a wrong type, const or enum is
// the only failure of its value; anyOf is tried only when the rest passed.
func (n *schemaNode) validate(v any, loc []string) []schemaError {
	fail := func(k schemaKind) []schemaError { return []schemaError{{loc: slices.Clone(loc), kind: k}} }
	t := jsonType(v)
	if len(n.types) > 0 && !slices.Contains(n.types, t) && !(t == "number" && slices.Contains(n.types, "integer") && isInteger(v)) {
		return fail(kindType{got: t, want: n.types})
	}
	if n.hasConst && !jsonEqual(v, n.constant) {
		return fail(kindConst{got: v, want: n.constant})
	}
	if n.enum != nil && !slices.ContainsFunc(n.enum, func(e any) bool { return jsonEqual(v, e) }) {
		return fail(kindEnum{got: v, want: n.enum})
	}
	var errs []schemaError
	if n.ref != nil {
		errs = append(errs, n.ref.validate(v, loc)...)
	}
	switch v := v.(type) {
	case map[string]any:
		errs = append(errs, n.validateObject(v, loc)...)
	case []any:
		errs = append(errs, n.validateArray(v, loc)...)
	case string:
		errs = append(errs, n.validateString(v, loc)...)
	case int64, float64:
		errs = append(errs, n.validateNumber(v, loc)...)
	}
	if len(errs) == 0 && len(n.anyOf) > 0 {
		var causes []schemaError
		for _, b := range n.anyOf {
			e := b.validate(v, loc)
			if len(e) == 0 {
				return nil
			}
			causes = append(causes, e...)
		}
		errs = causes
	}
	return errs
}

func (n *schemaNode) validateObject(obj map[string]any, loc []string) []schemaError {
	var errs []schemaError
	var missing []string
	for _, r := range n.required {
		if _, ok := obj[r]; !ok {
			missing = append(missing, r)
		}
	}
	if missing != nil {
		errs = append(errs, schemaError{loc: slices.Clone(loc), kind: kindRequired{missing: missing}})
	}
	names := make([]string, 0, len(obj))
	for name := range obj {
		names = append(names, name)
	}
	slices.Sort(names)
	var additional []string
	for _, name := range names {
		at := append(slices.Clone(loc), name)
		switch p, ok := n.properties[name]; {
		case ok:
			errs = append(errs, p.validate(obj[name], at)...)
		case n.additional != nil:
			errs = append(errs, n.additional.validate(obj[name], at)...)
		case n.closed:
			additional = append(additional, name)
		}
	}
	if additional != nil {
		errs = append(errs, schemaError{loc: slices.Clone(loc), kind: kindAdditional{properties: additional}})
	}
	return errs
}

func (n *schemaNode) validateArray(arr []any, loc []string) []schemaError {
	var errs []schemaError
	if n.minItems != nil && len(arr) < *n.minItems {
		errs = append(errs, schemaError{loc: slices.Clone(loc), kind: kindMinItems{got: len(arr), want: *n.minItems}})
	}
	if n.uniqueItems {
	dup:
		for i := 1; i < len(arr); i++ {
			for j := 0; j < i; j++ {
				if jsonEqual(arr[i], arr[j]) {
					errs = append(errs, schemaError{loc: slices.Clone(loc), kind: kindUniqueItems{duplicates: [2]int{j, i}}})
					break dup
				}
			}
		}
	}
	if n.items != nil {
		for i, item := range arr {
			errs = append(errs, n.items.validate(item, append(slices.Clone(loc), strconv.Itoa(i)))...)
		}
	}
	return errs
}

func (n *schemaNode) validateString(s string, loc []string) []schemaError {
	var errs []schemaError
	add := func(k schemaKind) { errs = append(errs, schemaError{loc: slices.Clone(loc), kind: k}) }
	if n.minLength != nil || n.maxLength != nil {
		length := utf8.RuneCountInString(s)
		if n.minLength != nil && length < *n.minLength {
			add(kindMinLength{got: length, want: *n.minLength})
		}
		if n.maxLength != nil && length > *n.maxLength {
			add(kindMaxLength{got: length, want: *n.maxLength})
		}
	}
	if n.pattern != nil && !n.pattern.MatchString(s) {
		add(kindPattern{got: s, want: n.pattern.String()})
	}
	return errs
}

func (n *schemaNode) validateNumber(v any, loc []string) []schemaError {
	num := toRat(v)
	if num == nil {
		return nil
	}
	var errs []schemaError
	if n.minimum != nil && num.Cmp(n.minimum) < 0 {
		errs = append(errs, schemaError{loc: slices.Clone(loc), kind: kindMinimum{got: num, want: n.minimum}})
	}
	if n.maximum != nil && num.Cmp(n.maximum) > 0 {
		errs = append(errs, schemaError{loc: slices.Clone(loc), kind: kindMaximum{got: num, want: n.maximum}})
	}
	return errs
}

// jsonType is the JSON type of a decoded value.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case int64, float64, json.Number:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func toRat(v any) *big.Rat {
	switch v := v.(type) {
	case int64:
		return new(big.Rat).SetInt64(v)
	case float64:
		if r := new(big.Rat); r.SetFloat64(v) != nil {
			return r
		}
	case json.Number:
		if r, ok := new(big.Rat).SetString(string(v)); ok {
			return r
		}
	}
	return nil
}

func isInteger(v any) bool {
	r := toRat(v)
	return r != nil && r.IsInt()
}

// jsonEqual is JSON equality: numbers by value, whatever their Go type.
func jsonEqual(a, b any) bool {
	if ra, rb := toRat(a), toRat(b); ra != nil || rb != nil {
		return ra != nil && rb != nil && ra.Cmp(rb) == 0
	}
	switch a := a.(type) {
	case []any:
		b, ok := b.([]any)
		return ok && slices.EqualFunc(a, b, jsonEqual)
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, va := range a {
			if vb, ok := b[k]; !ok || !jsonEqual(va, vb) {
				return false
			}
		}
		return true
	}
	return a == b
}
