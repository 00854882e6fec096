package main

import (
	"github.com/urfave/cli/v2"

	"github.com/harborgen/harborgen/schema"
)

func schemaCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "schema",
		Usage: "print the JSON Schema of the cluster spec",
		Action: func(c *cli.Context) error {
			if c.NArg() != 0 {
				return usageErrorf("schema takes no arguments")
			}
			if _, err := e.stdout.Write(schema.JSON); err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			return nil
		},
	}
}
