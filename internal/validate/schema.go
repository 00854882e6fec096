package validate

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/harborgen/harborgen/internal/spec"
	"github.com/harborgen/harborgen/schema"
)

const schemaURL = "https://harborgen.dev/schema/harborgen.schema.json"

var (
	compileOnce sync.Once
	compiled    *jsonschema.Schema
	compileErr  error
	printer     = message.NewPrinter(language.English)
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
		if err := c.AddResource(schemaURL, doc); err != nil {
			compileErr = fmt.Errorf("embedded schema: %w", err)
			return
		}
		compiled, compileErr = c.Compile(schemaURL)
	})
	return compiled, compileErr
}

// patternHints explains the schema's patterns in an operator's words.
var patternHints = map[string]string{
	`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`: "use a DNS label: lowercase letters, digits and '-', at most 63 characters, starting and ending with a letter or digit",
	`^[0-9]+\.[0-9]+\.[0-9]+$`:             "write the full Harbor release, e.g. 2.15.2",
	`^[0-9]+([kKmMgGtT][bB]?|[bB])?$`:      "write a size such as 512M, 1G or 2gb",
}

// schemaRules reports what the schema finds beyond what the decoder already
// reported: unknown keys and wrong types come from the decoder, with a
// "did you mean" and the exact position of the value.
func schemaRules(c *check) {
	sch, err := Schema()
	if err != nil {
		c.d.Errorf(c.pos(""), "", "this is a harborgen bug; please report it", "%v", err)
		return
	}
	err = sch.Validate(c.s.Source.Root.Interface())
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return
	}
	for _, leaf := range leaves(ve) {
		schemaDiagnostic(c, leaf)
	}
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
		hint := patternHints[k.Want]
		if hint == "" {
			hint = "it must match " + k.Want
		}
		c.errorf(path, hint, "%q is not a valid value here", k.Got)
	default:
		c.errorf(path, "", "%s", e.ErrorKind.LocalizedString(printer))
	}
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
