// Package verify loads rendered files back through their real parsers before
// anything is written: a failure here is a harborgen bug, never a tree on
// disk.
package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"runtime"
	"strings"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v3"

	"github.com/harborgen/harborgen/internal/parallel"
	"github.com/harborgen/harborgen/internal/tree"
)

// Compose loads every docker-compose.yml of the tree with compose-go, schema
// validation and consistency checks on (services, networks and volumes must
// agree). Environment files are not read: they may be secrets that CI lacks.
//
// Files load concurrently, and a file that differs from one already loaded
// only in its comments (the node name in the header of two lb nodes' files)
// is not loaded again: compose-go never sees comments, and only the file's
// directory differs, which names the compose project (a node name, a DNS
// label, always a valid project name) and anchors relative paths, neither
// of which changes whether it loads. The error is the first failing file's,
// in path order.
func Compose(t *tree.Tree) error {
	return (*Cached)(nil).Compose(t)
}

// Compose is the package's Compose, except that a file the cache remembers as loaded is
// not loaded again, and every file that loads is remembered.
func (c *Cached) Compose(t *tree.Tree) error {
	var unique, fresh []tree.File
	seen := map[string]bool{}
	for _, f := range t.Files() {
		if path.Base(f.Path) != "docker-compose.yml" || c.loaded(f) {
			continue
		}
		fresh = append(fresh, f)
		key := withoutComments(f.Data)
		if seen[key] {
			continue
		}
		seen[key] = true
		unique = append(unique, f)
	}
	// Every file loads, failing or not (parallel.Each would skip those after a failure), so
	// that one run reports a file's failure whatever the others do.
	errs := make([]error, len(unique))
	_ = parallel.Each(len(unique), runtime.GOMAXPROCS(0), func(i int) error {
		errs[i] = loadCompose(unique[i])
		return nil
	})
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("harborgen bug: %s does not load in compose-go: %w", unique[i].Path, err)
		}
	}
	for _, f := range fresh { // each one loaded, or has the comment-free content of one that did
		c.remember(f)
	}
	return nil
}

// withoutComments is every YAML document of data, comments removed and
// re-encoded; data itself when it does not parse (compose-go reports why).
func withoutComments(data []byte) string {
	var out bytes.Buffer
	out.WriteString("comments removed\n") // never equal to a file's bytes kept as they are
	d := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		err := d.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return out.String()
		}
		if err != nil {
			return string(data)
		}
		stripComments(&doc)
		b, err := yaml.Marshal(&doc)
		if err != nil {
			return string(data)
		}
		out.WriteString("---\n")
		out.Write(b)
	}
}

func stripComments(n *yaml.Node) {
	n.HeadComment, n.LineComment, n.FootComment = "", "", ""
	for _, c := range n.Content {
		stripComments(c)
	}
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
