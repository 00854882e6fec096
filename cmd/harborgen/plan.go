package main

import (
	"encoding/json"

	"github.com/urfave/cli/v2"

	"github.com/harborgen/harborgen/internal/plan"
)

func planCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "plan",
		Usage:     "print what would run where: per node its services, ports and endpoints, and the bootstrap order",
		ArgsUsage: "SPEC",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Usage: "output: text|json", Value: "text"},
			formatInFlag,
		},
		Action: func(c *cli.Context) error {
			format := c.String("format")
			if format != "text" && format != "json" {
				return usageErrorf("--format must be text or json, not %q", format)
			}
			s, err := validSpec(c, e, false, false, "no plan")
			if err != nil {
				return err
			}
			p, err := plan.Build(s)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			if format == "json" {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				err = enc.Encode(p)
			} else {
				err = plan.WriteText(e.stdout, p)
			}
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			return nil
		},
	}
}
