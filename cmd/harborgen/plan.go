package main

import (
	"encoding/json"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/harborgen/harborgen/internal/diag"
	"github.com/harborgen/harborgen/internal/plan"
	"github.com/harborgen/harborgen/internal/validate"
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
			s, diags, err := loadSpec(c, e)
			if err != nil {
				return err
			}
			if s != nil {
				validate.Validate(s, diags, validate.Options{})
			}
			if s == nil || diags.HasErrors(false) {
				_ = diag.WriteText(e.stderr, diags.Items())
				return &exitError{code: exitInvalid, err: fmt.Errorf("%s is invalid: run harborgen validate", c.Args().First())}
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
