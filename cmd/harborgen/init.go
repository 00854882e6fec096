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
		},
		Action: func(c *cli.Context) error {
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
			for _, f := range []struct {
				name string
				data []byte
			}{{name, src}, {"harborgen.schema.json", schema.JSON}} {
				if err := writeNew(filepath.Join(dir, f.name), f.data); err != nil {
					return &exitError{code: exitUsage, err: err}
				}
			}
			fmt.Fprintf(e.stderr, "wrote %s and harborgen.schema.json in %s (example %s); next: harborgen validate %s\n",
				name, dir, c.String("example"), filepath.Join(dir, name))
			return nil
		},
	}
}

// writeNew writes a file that must not exist yet: init never overwrites.
func writeNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s exists; init never overwrites a file", path)
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
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
