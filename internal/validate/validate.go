// Package validate checks a loaded spec against the JSON Schema and the
// cross-field rules of SPEC.md, and reports every problem at once.
package validate

import (
	"fmt"

	"github.com/harborgen/harborgen/internal/cache"
	"github.com/harborgen/harborgen/internal/diag"
	"github.com/harborgen/harborgen/internal/secrets"
	"github.com/harborgen/harborgen/internal/spec"
)

// Options are the inputs beyond the spec.
type Options struct {
	// Cache, when not nil, remembers specs the schema accepted (schemaRules).
	Cache *cache.Dir
	// Secrets, when not nil, is checked for every secret the spec needs.
	Secrets *secrets.File
	// Env looks up HARBORGEN_SECRET_<NAME> overrides (os.LookupEnv).
	Env func(string) (string, bool)
	// EnvNames are the names of every environment variable, so that a
	// HARBORGEN_SECRET_ name that names no secret (a typo) is reported.
	EnvNames []string
}

// rules run in this order; a rule stays silent about a path that already has
// an error, so one mistake is reported once.
var rules = []func(c *check){
	schemaRules,
	controlCharacters,
	version,
	names,
	addresses,
	storage,
	roles,
	database,
	redis,
	ports,
	harbor,
	settings,
	tls,
	lb,
	sites,
	images,
	outbound,
	observability,
}

// Validate adds to d every diagnostic about s: schema violations, the
// cross-field rules, then the secrets. d holds what loading found, so that
// no rule repeats a problem the loader already reported.
func Validate(s *spec.Spec, d *diag.List, opts Options) {
	c := &check{s: s, d: d, cache: opts.Cache}
	for _, rule := range rules {
		c.settled = d.Len()
		rule(c)
	}
	if opts.Secrets != nil {
		checkSecrets(c, opts.Secrets, opts.Env)
	} else if opts.Env != nil {
		// Without a file, a refused secret can still come from the environment.
		checkRefused(c, &secrets.File{Values: map[string]string{}}, opts.Env)
	}
	checkSecretEnvNames(c, opts.EnvNames)
}

// check carries the spec and the diagnostics through the rules.
type check struct {
	s       *spec.Spec
	d       *diag.List
	settled int // diagnostics found before the current rule
	cache   *cache.Dir
}

// broken reports whether an earlier rule (or the loader) found an error at
// path or above it: a rule stays silent about a value known to be wrong.
func (c *check) broken(path string) bool { return c.d.ErrorAtBefore(path, c.settled) }

func (c *check) pos(path string) diag.Pos { return c.s.Source.Pos(path) }

func (c *check) errorf(path, hint, format string, args ...any) {
	if !c.broken(path) {
		c.d.Errorf(c.pos(path), path, hint, format, args...)
	}
}

func (c *check) warnf(path, hint, format string, args ...any) {
	if !c.broken(path) {
		c.d.Warnf(c.pos(path), path, hint, format, args...)
	}
}

// first returns the first of paths present in the file, else the last one.
func (c *check) first(paths ...string) string {
	for _, p := range paths {
		if c.s.Source.Has(p) {
			return p
		}
	}
	return paths[len(paths)-1]
}

func nodePath(i int, key string) string { return fmt.Sprintf("node[%d].%s", i, key) }

// where names a scope in messages: "" for the whole cluster, else `site "a": `.
func where(sc *spec.Scope) string {
	if sc.Site == "" {
		return ""
	}
	return fmt.Sprintf("site %q: ", sc.Site)
}
