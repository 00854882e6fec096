package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/harborgen/harborgen/examples"
	"github.com/harborgen/harborgen/schema"
)

func initCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "init",
		Usage:     "write an example spec and its JSON Schema into DIR (default: the current directory)",
		ArgsUsage: "[DIR]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "example", Usage: "topology: " + strings.Join(exampleNames(), ", "), Value: "ha-modern"},
			&cli.BoolFlag{Name: "yaml", Usage: "write harborgen.yaml instead of harborgen.toml"},
			&cli.BoolFlag{Name: "list", Usage: "list the examples, one per line with what it shows, and write nothing"},
		},
		Action: func(c *cli.Context) error {
			if c.Bool("list") {
				return listExamples(e)
			}
			if c.NArg() > 1 {
				return usageErrorf("init takes at most one DIR")
			}
			dir := c.Args().First()
			if dir == "" {
				dir = "."
			}
			name := "harborgen.toml"
			if c.Bool("yaml") {
				name = "harborgen.yaml"
			}
			src, err := fs.ReadFile(examples.FS, path.Join(c.String("example"), name))
			if err != nil {
				return usageErrorf("no example %q; known: %s", c.String("example"), strings.Join(exampleNames(), ", "))
			}
			// The example points editors at the repository's schema; beside
			// the new spec, the schema is a sibling file.
			src = bytes.Replace(src, []byte("../../schema/harborgen.schema.json"), []byte("harborgen.schema.json"), 1)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			files := []newFile{{filepath.Join(dir, name), src}, {filepath.Join(dir, "harborgen.schema.json"), schema.JSON}}
			if err := writeAllNew(files); err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			fmt.Fprintf(e.stderr, "wrote %s and harborgen.schema.json in %s (example %s); next: harborgen validate %s\n",
				name, dir, c.String("example"), filepath.Join(dir, name))
			return nil
		},
	}
}

type newFile struct {
	path string
	data []byte
}

// writeAllNew writes files that must not exist yet, all or none: init never
// overwrites, and never leaves half of its files behind. Each file is
// written to a temporary name, then hard-linked to its own name, which fails
// when that name exists; on any failure the files already linked are removed.
func writeAllNew(files []newFile) error {
	var existing []string
	for _, f := range files {
		if _, err := os.Lstat(f.path); err == nil {
			existing = append(existing, f.path)
		}
	}
	if len(existing) > 0 {
		return fmt.Errorf("%s: exists; init never overwrites a file, so it wrote nothing", strings.Join(existing, ", "))
	}
	var done []string
	for _, f := range files {
		if err := linkNew(f); err != nil {
			for _, p := range done {
				os.Remove(p)
			}
			return fmt.Errorf("%w; init wrote nothing", err)
		}
		done = append(done, f.path)
	}
	return nil
}

func linkNew(f newFile) error {
	tmp, err := os.CreateTemp(filepath.Dir(f.path), ".harborgen-init-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(f.data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), f.path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s exists; init never overwrites a file", f.path)
		}
		return err
	}
	return nil
}

// listExamples prints each example with the title of its README.
func listExamples(e *env) error {
	for _, name := range exampleNames() {
		title := ""
		if readme, err := fs.ReadFile(examples.FS, path.Join(name, "README.md")); err == nil {
			first, _, _ := strings.Cut(string(readme), "\n")
			_, title, _ = strings.Cut(strings.TrimPrefix(first, "# "), " — ")
		}
		fmt.Fprintf(e.stdout, "%-18s %s\n", name, title)
	}
	return nil
}

func exampleNames() []string {
	entries, _ := fs.ReadDir(examples.FS, ".")
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names
}
