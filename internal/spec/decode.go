package spec

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/xrash/smetrics"

	"github.com/harborgen/harborgen/internal/diag"
)

// decodeSpec fills s from the document tree, applying defaults, and reports
// every unknown key and every value of the wrong type; it never stops at the
// first problem.
func decodeSpec(root *Value, s *Spec, d *diag.List) {
	decodeStruct(root, "", reflect.ValueOf(s).Elem(), d)
	applyDerivedDefaults(s)
}

// FieldInfo describes one key of a struct.
type FieldInfo struct {
	Key     string
	Index   int
	Default string
	HasDef  bool
}

// Fields lists the keys of a spec struct type in declaration order. The
// schema test uses it to compare the Go types with the JSON Schema.
func Fields(t reflect.Type) []FieldInfo {
	var out []FieldInfo
	for i := range t.NumField() {
		f := t.Field(i)
		key, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if key == "" || key == "-" {
			continue
		}
		def, has := f.Tag.Lookup("default")
		out = append(out, FieldInfo{Key: key, Index: i, Default: def, HasDef: has})
	}
	return out
}

func decodeStruct(v *Value, path string, rv reflect.Value, d *diag.List) {
	fields := Fields(rv.Type())
	applyDefaults(rv)
	for _, kv := range v.Fields {
		i := slices.IndexFunc(fields, func(f FieldInfo) bool { return f.Key == kv.Key })
		kpath := JoinKey(path, kv.Key)
		if i < 0 {
			unknownKey(d, kv, kpath, path, fields)
			continue
		}
		decodeValue(kv.Value, kpath, rv.Field(fields[i].Index), d)
	}
}

func unknownKey(d *diag.List, kv Field, kpath, parent string, fields []FieldInfo) {
	where := "at the top level"
	if parent != "" {
		where = "in " + parent
	}
	keys := make([]string, len(fields))
	for i, f := range fields {
		keys[i] = f.Key
	}
	hint := "known keys " + where + ": " + strings.Join(keys, ", ")
	if s := Suggest(kv.Key, keys); s != "" {
		hint = fmt.Sprintf("did you mean %q?", s)
	}
	d.Errorf(kv.Value.Pos, kpath, hint, "unknown key %q %s", kv.Key, where)
}

// Suggest returns the known word closest to an unknown one, if close enough
// to be a typo.
func Suggest(key string, known []string) string {
	best, bestScore := "", 0.0
	lower := strings.ToLower(key)
	for _, k := range known {
		score := smetrics.JaroWinkler(lower, k, 0.7, 4)
		if dist := smetrics.WagnerFischer(lower, k, 1, 1, 2); dist <= 2 {
			score += 1
		}
		if score > bestScore {
			best, bestScore = k, score
		}
	}
	if bestScore < 0.85 {
		return ""
	}
	return best
}

func decodeValue(v *Value, path string, rv reflect.Value, d *diag.List) {
	switch rv.Kind() {
	case reflect.String:
		if expect(v, KindString, path, d) {
			rv.SetString(v.Str)
		}
	case reflect.Int:
		if expect(v, KindInt, path, d) {
			if v.Int < math.MinInt32 || v.Int > math.MaxInt32 {
				d.Errorf(v.Pos, path, "", "integer %d is out of range", v.Int)
				return
			}
			rv.SetInt(v.Int)
		}
	case reflect.Bool:
		if expect(v, KindBool, path, d) {
			rv.SetBool(v.Bool)
		}
	case reflect.Float64:
		// A number: an integer (sample_rate = 1) is one too.
		if v.Kind == KindInt {
			rv.SetFloat(float64(v.Int))
		} else if expect(v, KindFloat, path, d) {
			rv.SetFloat(v.Float)
		}
	case reflect.Map:
		// A table of strings (trace.attributes), keys as written.
		if !expect(v, KindMap, path, d) {
			return
		}
		out := reflect.MakeMapWithSize(rv.Type(), len(v.Fields))
		for _, kv := range v.Fields {
			el := reflect.New(rv.Type().Elem()).Elem()
			decodeValue(kv.Value, JoinKey(path, kv.Key), el, d)
			out.SetMapIndex(reflect.ValueOf(kv.Key), el)
		}
		rv.Set(out)
	case reflect.Slice:
		if !expect(v, KindList, path, d) {
			return
		}
		out := reflect.MakeSlice(rv.Type(), 0, len(v.Items))
		for i, item := range v.Items {
			el := reflect.New(rv.Type().Elem()).Elem()
			decodeValue(item, JoinIndex(path, i), el, d)
			out = reflect.Append(out, el)
		}
		rv.Set(out)
	case reflect.Pointer:
		p := reflect.New(rv.Type().Elem())
		if rv.Type().Elem().Kind() != reflect.Struct { // an optional scalar: nil when absent
			before := d.Len()
			decodeValue(v, path, p.Elem(), d)
			if d.Len() == before {
				rv.Set(p)
			}
			return
		}
		if !expect(v, KindMap, path, d) {
			return
		}
		decodeStruct(v, path, p.Elem(), d)
		rv.Set(p)
	case reflect.Struct:
		if expect(v, KindMap, path, d) {
			decodeStruct(v, path, rv, d)
		}
	}
}

func expect(v *Value, want Kind, path string, d *diag.List) bool {
	if v.Kind == want {
		return true
	}
	got := v.Kind.String()
	switch v.Kind {
	case KindString:
		got = fmt.Sprintf("string %q", v.Str)
	case KindInt:
		got = fmt.Sprintf("integer %d", v.Int)
	case KindBool:
		got = fmt.Sprintf("boolean %t", v.Bool)
	case KindFloat:
		got = "float " + strconv.FormatFloat(v.Float, 'g', -1, 64)
	case KindOther:
		got = fmt.Sprintf("date/time %s", v.Str)
		if v.Tag != "" {
			got = "a value tagged " + v.Tag
		}
	case KindNull:
		got = "nothing"
	}
	hint := ""
	switch {
	case v.Tag != "":
		hint = "remove the YAML tag " + v.Tag + ": spec values are plain strings, numbers and booleans"
	case v.Kind == KindNull:
		hint = "give a value, or remove the key"
	case want == KindString && v.Kind == KindFloat:
		hint = "quote the value: YAML and TOML read an unquoted 2.10 as the number 2.1"
	case want == KindString && (v.Kind == KindInt || v.Kind == KindFloat || v.Kind == KindBool || v.Kind == KindOther):
		hint = "quote the value to make it a string"
	case want == KindInt && v.Kind == KindString:
		hint = "write the number without quotes"
	case want == KindBool && v.Kind == KindString:
		hint = "write true or false without quotes"
	case want == KindList:
		hint = "write a list: [ ... ]"
	case want == KindFloat && v.Kind == KindString:
		hint = "write the number without quotes"
	}
	d.Errorf(v.Pos, path, hint, "expected %s, got %s", article(want), got)
	return false
}

func article(k Kind) string {
	switch k {
	case KindInt:
		return "an integer"
	case KindList:
		return "a list"
	case KindFloat:
		return "a number"
	case KindMap:
		return "a table"
	}
	return "a " + k.String()
}

// applyDefaults sets every field of a struct that has a default tag, and
// the defaults of nested tables that are not optional.
func applyDefaults(rv reflect.Value) {
	for _, f := range Fields(rv.Type()) {
		switch field := rv.Field(f.Index); {
		case f.HasDef:
			setDefault(field, f.Default)
		case field.Kind() == reflect.Struct:
			applyDefaults(field)
		}
	}
}

func setDefault(rv reflect.Value, def string) {
	switch rv.Kind() {
	case reflect.String:
		rv.SetString(def)
	case reflect.Int:
		n, _ := strconv.Atoi(def)
		rv.SetInt(int64(n))
	case reflect.Bool:
		rv.SetBool(def == "true")
	case reflect.Float64:
		f, _ := strconv.ParseFloat(def, 64)
		rv.SetFloat(f)
	case reflect.Slice:
		parts := strings.Split(def, ",")
		out := reflect.MakeSlice(rv.Type(), len(parts), len(parts))
		for i, p := range parts {
			setDefault(out.Index(i), p)
		}
		rv.Set(out)
	}
}

// applyDerivedDefaults fills the defaults that depend on other keys.
func applyDerivedDefaults(s *Spec) {
	if s.Database.Port == 0 {
		s.Database.Port = 3306
		if s.Database.Engine == "postgres" || s.Database.Engine == "patroni" {
			s.Database.Port = 5432
		}
	}
	if s.Database.Engine == "galera" && s.Database.Galera == nil {
		s.Database.Galera = &Galera{}
		applyDefaults(reflect.ValueOf(s.Database.Galera).Elem())
	}
	if s.Database.Engine == "patroni" && s.Database.Patroni == nil {
		s.Database.Patroni = &Patroni{}
		applyDefaults(reflect.ValueOf(s.Database.Patroni).Elem())
	}
	if p := s.Database.Patroni; p != nil && p.Scope == "" {
		p.Scope = s.Cluster.Name
	}
	if s.Database.ConnMaxLifetime == "" {
		s.Database.ConnMaxLifetime = "5m"
		if s.Database.Engine == "patroni" {
			s.Database.ConnMaxLifetime = "1m"
		}
	}
	if s.Database.ConnMaxIdleTime == "" {
		s.Database.ConnMaxIdleTime = "0"
		if s.Database.Engine == "patroni" {
			s.Database.ConnMaxIdleTime = "30s"
		}
	}
	if g := s.Database.Galera; g != nil {
		if g.ClusterName == "" {
			g.ClusterName = s.Cluster.Name
		}
		if g.BootstrapNode == "" {
			if members := s.NodesWithRole(RoleGalera); len(members) > 0 {
				g.BootstrapNode = members[0].Name
			}
		}
	}
}
