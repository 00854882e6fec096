package main

import (
	"github.com/urfave/cli/v2"

	"github.com/harborgen/harborgen/schema"
)

func schemaCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "schema",
		Usage: "print the JSON Schema of the cluster spec (--plan: of plan --format json)",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "plan", Usage: "print the JSON Schema of `harborgen plan --format json` instead"}},
		Action: func(c *cli.Context) error {
			if c.NArg() != 0 {
				return usageErrorf("schema takes no arguments")
			}
			out := schema.JSON
			if c.Bool("plan") {
				out = schema.PlanJSON
			}
			if _, err := e.stdout.Write(out); err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			return nil
		},
	}
}
