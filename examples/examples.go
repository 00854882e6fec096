// Package examples embeds the example specs, one directory per topology of
// SPEC §5, for `harborgen init`.
package examples

import "embed"

// FS holds <topology>/harborgen.toml, harborgen.yaml and README.md.
//
//go:embed */harborgen.toml */harborgen.yaml */README.md
var FS embed.FS
