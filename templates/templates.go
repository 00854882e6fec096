// Package templates embeds the Harbor profiles and the templates of every
// rendered file.
package templates

import "embed"

// FS holds one directory per Harbor profile under harbor/, and the
// runbook under runbook/, the Ansible inventory and playbook under ansible/.
//
//go:embed ansible harbor runbook tiers
var FS embed.FS
