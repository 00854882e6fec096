package render

import "github.com/harborgen/harborgen/internal/tree"

// schemaFiles adds harbor-schema.sh to the node that loads Harbor 1.5's
// registry.sql and, when it connects with the host's client (external
// MariaDB), the client option file with Harbor's database login.
func schemaFiles(e *Engine, d Data, values map[string]string, t *tree.Tree) error {
	if d.Node.Schema == nil {
		return nil
	}
	if err := addFile(e, "tiers/galera/harbor-schema.sh.tmpl", "harbor-schema.sh", d, t); err != nil {
		return err
	}
	if d.Node.Schema.Via == "client" {
		return addSecret(e, "tiers/galera/harbor-db-client.cnf.tmpl", "harbor-db-client.cnf", d, values, t)
	}
	return nil
}
