// Package templates embeds the Harbor profiles and the templates of every
// rendered file.
package templates

import "embed"

// FS holds one directory per Harbor profile under harbor/.
//
//go:embed harbor
var FS embed.FS
