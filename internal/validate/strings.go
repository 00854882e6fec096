package validate

import (
	"fmt"
	"strings"

	"github.com/harborgen/harborgen/internal/spec"
)

// controlCharacters rejects any string with a control character: a newline
// or an escape in a value would change the meaning of the env, YAML, ini and
// shell files it is written into.
func controlCharacters(c *check) {
	c.s.Source.Root.Walk("", func(path string, v *spec.Value) {
		if v.Kind != spec.KindString {
			return
		}
		if i := strings.IndexFunc(v.Str, isControl); i >= 0 {
			r := []rune(v.Str[i:])[0]
			c.errorf(path, "remove it: values are written into env, YAML, ini and shell files",
				"the value contains a control character (%s)", fmt.Sprintf("U+%04X", r))
		}
	})
}

func isControl(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029'
}
