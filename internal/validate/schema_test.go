package validate

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/harborgen/harborgen/schema"
)

// The schema's patterns are compiled lazily (lazyPatterns), so a pattern that Go's regexp
// refuses would only show as a value that never matches: every one must compile here.
func TestSchemaPatternsCompile(t *testing.T) {
	var doc any
	if err := json.Unmarshal(schema.JSON, &doc); err != nil {
		t.Fatal(err)
	}
	var patterns []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				if s, ok := c.(string); ok && k == "pattern" {
					patterns = append(patterns, s)
				}
				if pp, ok := c.(map[string]any); ok && k == "patternProperties" {
					for p := range pp {
						patterns = append(patterns, p)
					}
				}
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(doc)
	if len(patterns) < 10 {
		t.Fatalf("found %d patterns in the schema; the walk is broken", len(patterns))
	}
	for _, p := range patterns {
		if _, err := regexp.Compile(p); err != nil {
			t.Errorf("schema pattern %q: %v", p, err)
		}
	}
	for _, l := range []*lazyRegexp{pinnedTag, pinnedMajorMinor, bucketName, dnsName, noProxyHost} {
		if _, err := regexp.Compile(l.pattern); err != nil {
			t.Errorf("pattern %q: %v", l.pattern, err)
		}
	}
	for p := range patternHints {
		if _, err := regexp.Compile(p); err != nil {
			t.Errorf("patternHints key %q: %v", p, err)
		}
	}
}

func TestLazyPatterns(t *testing.T) {
	engine := lazyPatterns()
	a, _ := engine(`^[a-z]+$`)
	b, _ := engine(`^[a-z]+$`)
	if a != b {
		t.Error("the same pattern gave two regexps: it would be compiled twice")
	}
	if !a.MatchString("abc") || a.MatchString("ABC") || a.String() != `^[a-z]+$` {
		t.Errorf("lazy regexp %q matches wrongly", a)
	}
	bad, err := engine(`(`)
	if err != nil || bad.MatchString("(") {
		t.Errorf("a pattern that does not compile must match nothing, got err=%v", err)
	}
}
