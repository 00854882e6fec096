package render

import "github.com/harborgen/harborgen/internal/tree"

// redisFiles adds the redis tier's files of a node.
func redisFiles(e *Engine, d Data, values map[string]string, t *tree.Tree) error {
	return nil
}
