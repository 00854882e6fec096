package render

import (
	"path"

	"github.com/harborgen/harborgen/internal/tree"
)

// tierFiles adds the files of a node's backing tiers (Galera, Patroni, Redis,
// Sentinel, load balancer) and, on a node that runs no Harbor, the
// docker-compose.yml of those tiers.
func tierFiles(e *Engine, d Data, values map[string]string, t *tree.Tree) error {
	n := d.Node
	if n.Galera == nil && n.Patroni == nil && n.Etcd == nil && n.Redis == nil && n.Sentinel == nil && n.LB == nil {
		return nil
	}
	if n.Harbor == nil {
		if err := addFile(e, "tiers/docker-compose.yml.tmpl", "docker-compose.yml", d, t); err != nil {
			return err
		}
	}
	for _, add := range []func(*Engine, Data, map[string]string, *tree.Tree) error{galeraFiles, patroniFiles, redisFiles, lbFiles} {
		if err := add(e, d, values, t); err != nil {
			return err
		}
	}
	return nil
}

// addFile renders one committed (secret-free) file of a node.
func addFile(e *Engine, tmpl, rel string, d Data, t *tree.Tree) error {
	out, err := e.Render(tmpl, &d)
	if err != nil {
		return err
	}
	f := tree.File{Path: path.Join("nodes", d.Node.Name, rel), Data: out}
	if path.Ext(rel) == ".sh" {
		f.Mode = tree.ModeScript
	}
	return t.Add(f)
}

// addSecret renders one file under the node's secrets/ directory; it is
// skipped when there are no secret values (render --check).
func addSecret(e *Engine, tmpl, name string, d Data, values map[string]string, t *tree.Tree) error {
	if values == nil {
		return nil
	}
	d.Secrets = values
	out, err := e.Render(tmpl, &d)
	if err != nil {
		return err
	}
	return t.Add(tree.File{Path: path.Join("nodes", d.Node.Name, tree.SecretsDir, name), Data: out, Secret: true})
}
