package validate

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/harborgen/harborgen/internal/spec"
	"github.com/harborgen/harborgen/schema"
)

var (
	compileOnce sync.Once
	compiled    *schemaNode
	compileErr  error
)

// compiledSchema returns the embedded JSON Schema, compiled the first time a
// spec is validated: the verbs that validate nothing never pay for it.
func compiledSchema() (*schemaNode, error) {
	compileOnce.Do(func() {
		compiled, compileErr = compileSchema(schema.JSON)
		if compileErr != nil {
			compileErr = fmt.Errorf("embedded schema: %w", compileErr)
		}
	})
	return compiled, compileErr
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
func schemaRules(c *check) {
	sch, err := compiledSchema()
	if err != nil {
		c.d.Errorf(c.pos(""), "", "this is a harborgen bug; please report it", "%v", err)
		return
	}
	for _, e := range sch.validate(c.s.Source.Root.Interface(), nil) {
		schemaDiagnostic(c, e)
	}
}

func schemaDiagnostic(c *check, e schemaError) {
	path := instancePath(c.s.Source.Root, e.loc)
	switch k := e.kind.(type) {
	case kindAdditional, kindType:
		return // reported by the decoder
	case kindRequired:
		for _, m := range k.missing {
			where := "at the top level"
			if path != "" {
				where = "in " + path
			}
			c.errorf(spec.JoinKey(path, m), fmt.Sprintf("add %s", m), "missing required key %q %s", m, where)
		}
	case kindPattern:
		if k.got == "" {
			c.errorf(path, "give a value", "the value is empty") // the same as minLength's, merged by the list
			return
		}
		hint, ok := patternHints[k.want]
		switch {
		case ok:
		case strings.HasSuffix(path, "image_registry") || path == "images.mirror":
			hint, ok = imageRegistryHint, true
		case strings.HasPrefix(path, "images."):
			hint, ok = imageRefHint, true
		}
		if !ok {
			hint = "it must match " + k.want
		}
		c.errorf(path, hint, "%q is not a valid value here", k.got)
	case kindEnum:
		want := make([]string, len(k.want))
		for i, w := range k.want {
			want[i] = fmt.Sprint(w)
		}
		hint := "use one of: " + strings.Join(want, ", ")
		if got, ok := k.got.(string); ok {
			if s := spec.Suggest(got, want); s != "" {
				hint = fmt.Sprintf("did you mean %q? (one of: %s)", s, strings.Join(want, ", "))
			}
		}
		c.errorf(path, hint, "%s is not one of the allowed values", show(k.got))
	case kindConst:
		c.errorf(path, fmt.Sprintf("write %s", show(k.want)), "%s is not supported; this harborgen reads %s", show(k.got), show(k.want))
	case kindMinimum:
		c.errorf(path, "use "+k.want.RatString()+" or more", "%s is below the minimum %s", k.got.RatString(), k.want.RatString())
	case kindMaximum:
		c.errorf(path, "use "+k.want.RatString()+" or less", "%s is above the maximum %s", k.got.RatString(), k.want.RatString())
	case kindMinLength:
		if k.got == 0 {
			c.errorf(path, "give a value", "the value is empty")
			return
		}
		c.errorf(path, "", "the value is %d characters long; the minimum is %d", k.got, k.want)
	case kindMaxLength:
		c.errorf(path, "shorten it", "the value is %d characters long; the maximum is %d", k.got, k.want)
	case kindMinItems:
		c.errorf(path, fmt.Sprintf("give at least %d", k.want), "the list has %d items; at least %d are needed", k.got, k.want)
	case kindUniqueItems:
		c.errorf(spec.JoinIndex(path, k.duplicates[1]), "remove the repeated item",
			"item %d repeats item %d", k.duplicates[1], k.duplicates[0])
	}
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
