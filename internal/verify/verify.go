// Package verify loads rendered files back through their real parsers before
// anything is written: a failure here is a harborgen bug, never a tree on
// disk.
package verify

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/harborgen/harborgen/internal/tree"
)

// Compose loads every docker-compose.yml of the tree with compose-go, schema
// validation and consistency checks on (services, networks and volumes must
// agree). Environment files are not read: they may be secrets that CI lacks.
func Compose(t *tree.Tree) error {
	for _, f := range t.Files() {
		if path.Base(f.Path) != "docker-compose.yml" {
			continue
		}
		dir := path.Dir(f.Path)
		details := types.ConfigDetails{
			WorkingDir:  "/" + dir,
			ConfigFiles: []types.ConfigFile{{Filename: f.Path, Content: f.Data}},
			Environment: types.Mapping{},
		}
		_, err := loader.LoadWithContext(context.Background(), details, func(o *loader.Options) {
			o.SkipResolveEnvironment = true
			o.SetProjectName(strings.ReplaceAll(path.Base(dir), ".", "-"), true)
		})
		if err != nil {
			return fmt.Errorf("harborgen bug: %s does not load in compose-go: %w", f.Path, err)
		}
	}
	return nil
}
