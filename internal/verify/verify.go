// Package verify loads rendered files back through their real parsers before
// anything is written: a failure here is a harborgen bug, never a tree on
// disk.
package verify

import (
	"context"
	"fmt"
	"path"
	"runtime"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/harborgen/harborgen/internal/tree"
)

// Compose loads every docker-compose.yml of the tree with compose-go, schema
// validation and consistency checks on (services, networks and volumes must
// agree). Environment files are not read: they may be secrets that CI lacks.
//
// Files load concurrently, and a file whose bytes equal one already loaded
// is not loaded again: only its directory differs, which names the compose
// project (a node name, a DNS label, always a valid project name) and
// anchors relative paths, and neither changes whether it loads. The error
// is the first failing file's, in path order.
func Compose(t *tree.Tree) error {
	var unique []tree.File
	seen := map[string]bool{}
	for _, f := range t.Files() {
		if path.Base(f.Path) != "docker-compose.yml" || seen[string(f.Data)] {
			continue
		}
		seen[string(f.Data)] = true
		unique = append(unique, f)
	}
	errs := make([]error, len(unique))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(unique)) {
		wg.Go(func() {
			for i := range next {
				errs[i] = loadCompose(unique[i])
			}
		})
	}
	for i := range unique {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("harborgen bug: %s does not load in compose-go: %w", unique[i].Path, err)
		}
	}
	return nil
}

// loadCompose is load; tests count its calls.
var loadCompose = load

// load loads one compose file as docker compose would in its directory.
func load(f tree.File) error {
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
	return err
}
