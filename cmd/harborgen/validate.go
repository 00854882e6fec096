package main

import (
	"fmt"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/harborgen/harborgen/internal/diag"
)

func validateCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "validate",
		Usage:     "report every mistake in a cluster spec, with file:line:col and the fix",
		ArgsUsage: "SPEC",
		Flags: []cli.Flag{
			strictFlag,
			&cli.StringFlag{Name: "format", Usage: "output: text|json|github (workflow annotations)|sarif (SARIF 2.1.0, for code scanning)", Value: "text"},
			secretsFlag,
			formatInFlag,
		},
		Action: func(c *cli.Context) error {
			format := c.String("format")
			if !slices.Contains([]string{"text", "json", "github", "sarif"}, format) {
				return usageErrorf("--format must be text, json, github or sarif, not %q", format)
			}
			_, diags, err := check(c, e)
			if err != nil {
				return err
			}
			items := diags.Items()
			switch format {
			case "json":
				err = diag.WriteJSON(e.stdout, items)
			case "github":
				err = diag.WriteGitHub(e.stdout, items)
			case "sarif":
				err = diag.WriteSARIF(e.stdout, items, version)
			default:
				err = diag.WriteTextColor(e.stdout, items, e.color(e.stdout))
			}
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			errs, warns := diags.Count()
			strict := c.Bool("strict")
			if diags.HasErrors(strict) {
				fmt.Fprintf(e.stderr, "%s: invalid: %s\n", diag.Name(c.Args().First()), diag.Summary(errs, warns))
				return &exitError{code: exitInvalid}
			}
			fmt.Fprintf(e.stderr, "%s: valid (%s)\n", diag.Name(c.Args().First()), diag.Summary(errs, warns))
			return nil
		},
	}
}
