// Package schema embeds the JSON Schemas of the harborgen cluster spec and of
// `harborgen plan --format json`.
package schema

import _ "embed"

// JSON is the JSON Schema (draft 2020-12) of the cluster spec, as printed by
// `harborgen schema`.
//
//go:embed harborgen.schema.json
var JSON []byte

// PlanJSON is the JSON Schema of `harborgen plan --format json`, generated
// from the plan's types (internal/plan, JSONSchema) and printed by
// `harborgen schema --plan`.
//
//go:embed plan.schema.json
var PlanJSON []byte
