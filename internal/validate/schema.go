package validate

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/harborgen/harborgen/internal/cache"
	"github.com/harborgen/harborgen/internal/spec"
	"github.com/harborgen/harborgen/schema"
)

const schemaURL = "https://harborgen.dev/schema/harborgen.schema.json"

var (
	compileOnce sync.Once
	compiled    *jsonschema.Schema
	compileErr  error
	printer     = sync.OnceValue(func() *message.Printer { return message.NewPrinter(language.English) })
)

// Schema returns the embedded JSON Schema, compiled once.
func Schema() (*jsonschema.Schema, error) {
	compileOnce.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(schema.JSON)))
		if err != nil {
			compileErr = fmt.Errorf("embedded schema: %w", err)
			return
		}
		c := jsonschema.NewCompiler()
		c.UseRegexpEngine(lazyPatterns())
		if err := c.AddResource(schemaURL, doc); err != nil {
			compileErr = fmt.Errorf("embedded schema: %w", err)
			return
		}
		compiled, compileErr = c.Compile(schemaURL)
	})
	return compiled, compileErr
}

// lazyPatterns is the schema's regexp engine: each distinct pattern is compiled once, when a value
// first meets it, instead of every pattern at every start. Compiling all 40 (some with {0,61}
// repetitions, which expand) was most of the schema's compilation, and a spec meets few of them.
// Every pattern of the embedded schema compiles (TestSchemaPatternsCompile); one that did not
// would match nothing.
func lazyPatterns() jsonschema.RegexpEngine {
	byPattern := map[string]*lazyRegexp{}
	return func(pattern string) (jsonschema.Regexp, error) {
		re, ok := byPattern[pattern]
		if !ok {
			re = &lazyRegexp{pattern: pattern}
			byPattern[pattern] = re
		}
		return re, nil
	}
}

// lazy is a regexp compiled when first matched: package variables cost every start of the
// process, whatever the verb, and a spec seldom meets them all.
func lazy(pattern string) *lazyRegexp { return &lazyRegexp{pattern: pattern} }

type lazyRegexp struct {
	pattern string
	once    sync.Once
	re      *regexp.Regexp
}

func (l *lazyRegexp) String() string { return l.pattern }

func (l *lazyRegexp) MatchString(s string) bool {
	l.once.Do(func() { l.re, _ = regexp.Compile(l.pattern) })
	return l.re != nil && l.re.MatchString(s)
}

// patternHints explains the schema's patterns in an operator's words.
var patternHints = map[string]string{
	`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`:                                        "use a DNS label: lowercase letters, digits and '-', at most 63 characters, starting and ending with a letter or digit",
	`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`: "use a lowercase DNS name such as registry.example.com",
	`^[0-9]+\.[0-9]+\.[0-9]+$`:                                                    "write the full Harbor release, e.g. 2.15.2",
	`^[0-9]+([kKmMgGtT][bB]?|[bB])?$`:                                             "write a size such as 512M, 1G or 2gb",
	`^[A-Za-z_][A-Za-z0-9_]{0,62}$`:                                               "use letters, digits and '_' (at most 63), not starting with a digit",
	`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$`:                                          "use letters, digits, '_', '.' and '-' (at most 64), no spaces",
	`^[A-Za-z0-9_.:-]{1,15}$`:                                                     "write a network interface name of at most 15 characters, e.g. eth0 or bond0.100",
	`^[^ ]+$`:                                                                     "write the Redis user name without spaces (Redis refuses them)",
	`^https?://[^/?#@\s]+$`:                                                       "write scheme://host[:port] without a path, e.g. https://registry.example.com:8443",
	`^[0-9]+h$`:                                                                   "write whole hours, e.g. 24h",
	`^(vuln|config|secret)(,(vuln|config|secret))*$`:                              "write a comma-separated list of vuln, config, secret, e.g. vuln,secret",
	`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`:                                   "write a Go duration, e.g. 5m0s or 10m",
	`^[A-Za-z0-9][A-Za-z0-9._/:@-]*$`:                                             "write an OCI repository such as ghcr.io/aquasecurity/trivy-db, without a scheme",
}

// imageRegistryHint explains the image_registry and images.mirror pattern,
// imageRefHint an image reference's: both too long to be a key above.
const (
	imageRegistryHint = "write host[:port]/path without a scheme, e.g. registry.local:5000/goharbor"
	imageRefHint      = "write a whole image reference with a tag or a digest, no scheme and no spaces, e.g. mirror.corp.example/hub/library/NAME:1.2.3 or NAME@sha256:<64 hex digits>"
)

// schemaRules reports what the schema finds beyond what the decoder already
// reported: unknown keys and wrong types come from the decoder, with a
// "did you mean" and the exact position of the value.
//
// A spec the schema accepts is remembered in the cache (Options.Cache) under the key of the
// schema and the spec's values, each with its type (schemaKey), so that validating it again
// neither compiles the schema nor runs it: both are most of validate's work. A spec with any
// schema diagnostic is not remembered.
func schemaRules(c *check) {
	key := ""
	if c.cache != nil {
		key = schemaKey(c.s.Source.Root)
		if _, ok := c.cache.Get(schemaCacheKind, key); ok {
			return
		}
	}
	sch, err := Schema()
	if err != nil {
		c.d.Errorf(c.pos(""), "", "this is a harborgen bug; please report it", "%v", err)
		return
	}
	err = validateInstance(sch, c.s.Source.Root.Interface())
	if err == nil && key != "" {
		c.cache.Put(schemaCacheKind, key, nil)
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return
	}
	for _, leaf := range leaves(ve) {
		schemaDiagnostic(c, leaf)
	}
}

// validateInstance runs the schema; tests count its calls.
var validateInstance = func(sch *jsonschema.Schema, v any) error { return sch.Validate(v) }

// schemaCacheKind is the cache's directory of specs the schema accepted.
const schemaCacheKind = "schema-valid"

// schemaKey is the cache key of validating root with the embedded schema: the schema's bytes and
// root in an encoding where two values are equal only when the validator gets equal values:
// every node with its kind (an integer 1 is not a float 1.0), every string and key with its
// length, a float by its bits, map fields in document order.
func schemaKey(root *spec.Value) string {
	var b []byte
	var enc func(v *spec.Value)
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	enc = func(v *spec.Value) {
		if v == nil {
			b = append(b, 'n')
			return
		}
		b = append(b, byte('a'+v.Kind))
		switch v.Kind {
		case spec.KindMap:
			b = binary.AppendUvarint(b, uint64(len(v.Fields)))
			for _, f := range v.Fields {
				str(f.Key)
				enc(f.Value)
			}
		case spec.KindList:
			b = binary.AppendUvarint(b, uint64(len(v.Items)))
			for _, it := range v.Items {
				enc(it)
			}
		case spec.KindString, spec.KindOther:
			str(v.Str)
		case spec.KindInt:
			b = binary.AppendVarint(b, v.Int)
		case spec.KindFloat:
			b = binary.BigEndian.AppendUint64(b, math.Float64bits(v.Float))
		case spec.KindBool:
			b = strconv.AppendBool(b, v.Bool)
		}
	}
	enc(root)
	return cache.Key([]byte("harborgen schema-valid 1"), schema.JSON, b)
}

func leaves(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	var out []*jsonschema.ValidationError
	for _, cause := range e.Causes {
		out = append(out, leaves(cause)...)
	}
	return out
}

func schemaDiagnostic(c *check, e *jsonschema.ValidationError) {
	path := instancePath(c.s.Source.Root, e.InstanceLocation)
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties, *kind.Type:
		return // reported by the decoder
	case *kind.Required:
		for _, m := range k.Missing {
			where := "at the top level"
			if path != "" {
				where = "in " + path
			}
			c.errorf(spec.JoinKey(path, m), fmt.Sprintf("add %s", m), "missing required key %q %s", m, where)
		}
	case *kind.Pattern:
		if k.Got == "" {
			c.errorf(path, "give a value", "the value is empty") // the same as minLength's, merged by the list
			return
		}
		hint, ok := patternHints[k.Want]
		switch {
		case ok:
		case strings.HasSuffix(path, "image_registry") || path == "images.mirror":
			hint, ok = imageRegistryHint, true
		case strings.HasPrefix(path, "images."):
			hint, ok = imageRefHint, true
		}
		if !ok {
			hint = "it must match " + k.Want
		}
		c.errorf(path, hint, "%q is not a valid value here", k.Got)
	case *kind.Enum:
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = fmt.Sprint(w)
		}
		hint := "use one of: " + strings.Join(want, ", ")
		if got, ok := k.Got.(string); ok {
			if s := spec.Suggest(got, want); s != "" {
				hint = fmt.Sprintf("did you mean %q? (one of: %s)", s, strings.Join(want, ", "))
			}
		}
		c.errorf(path, hint, "%s is not one of the allowed values", show(k.Got))
	case *kind.Const:
		c.errorf(path, fmt.Sprintf("write %s", show(k.Want)), "%s is not supported; this harborgen reads %s", show(k.Got), show(k.Want))
	case *kind.Minimum:
		c.errorf(path, "use "+number(k.Want)+" or more", "%s is below the minimum %s", number(k.Got), number(k.Want))
	case *kind.Maximum:
		c.errorf(path, "use "+number(k.Want)+" or less", "%s is above the maximum %s", number(k.Got), number(k.Want))
	case *kind.MinLength:
		if k.Got == 0 {
			c.errorf(path, "give a value", "the value is empty")
			return
		}
		c.errorf(path, "", "the value is %d characters long; the minimum is %d", k.Got, k.Want)
	case *kind.MaxLength:
		c.errorf(path, "shorten it", "the value is %d characters long; the maximum is %d", k.Got, k.Want)
	case *kind.MinItems:
		c.errorf(path, fmt.Sprintf("give at least %d", k.Want), "the list has %d items; at least %d are needed", k.Got, k.Want)
	case *kind.UniqueItems:
		c.errorf(spec.JoinIndex(path, k.Duplicates[1]), "remove the repeated item",
			"item %d repeats item %d", k.Duplicates[1], k.Duplicates[0])
	default:
		c.errorf(path, "", "%s", e.ErrorKind.LocalizedString(printer()))
	}
}

// number prints a schema number as the spec writes it: 70000, 1.5 (not 3/2).
func number(r *big.Rat) string {
	if r.IsInt() {
		return r.RatString()
	}
	f, _ := r.Float64()
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// show prints a schema value the way the spec writes it.
func show(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}

// instancePath converts a JSON Schema instance location into a spec path,
// writing list indexes as [i].
func instancePath(root *spec.Value, loc []string) string {
	path, v := "", root
	for _, tok := range loc {
		if v != nil && v.Kind == spec.KindList {
			var i int
			fmt.Sscan(tok, &i)
			path = spec.JoinIndex(path, i)
			if i >= 0 && i < len(v.Items) {
				v = v.Items[i]
			}
			continue
		}
		path = spec.JoinKey(path, tok)
		v = v.Get(tok)
	}
	return path
}
