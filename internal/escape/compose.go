package escape

import "strings"

// Compose returns a scalar for a docker-compose.yml. compose-go reads the
// file as YAML and then interpolates every string in it, reading $$ as a
// literal $, so this is YAML(s) with each $ doubled first.
func Compose(s string) (string, error) {
	return YAML(strings.ReplaceAll(s, "$", "$$"))
}
