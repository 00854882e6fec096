// Package examples embeds the example specs, one directory per topology of
// SPEC §5, for `harborgen init`.
package examples

import "embed"

// FS holds <topology>/harborgen.toml and harborgen.yaml.
//
//go:embed */harborgen.toml */harborgen.yaml
var FS embed.FS
