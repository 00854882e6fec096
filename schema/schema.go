// Package schema embeds the JSON Schema of the harborgen cluster spec.
package schema

import _ "embed"

// JSON is the JSON Schema (draft 2020-12) of the cluster spec, as printed by
// `harborgen schema`.
//
//go:embed harborgen.schema.json
var JSON []byte
