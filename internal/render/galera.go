package render

import "github.com/harborgen/harborgen/internal/tree"

// galeraFiles adds the galera tier's files of a node.
func galeraFiles(e *Engine, d Data, values map[string]string, t *tree.Tree) error {
	return nil
}
