package render

import "github.com/harborgen/harborgen/internal/tree"

// lbFiles adds the lb tier's files of a node.
func lbFiles(e *Engine, d Data, values map[string]string, t *tree.Tree) error {
	return nil
}
