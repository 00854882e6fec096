package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

func versionCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print harborgen's version",
		Action: func(c *cli.Context) error {
			printVersion(c)
			return nil
		},
	}
}

// printVersion is what both `harborgen version` and `harborgen --version` print.
func printVersion(c *cli.Context) { fmt.Fprintf(c.App.Writer, "harborgen %s\n", version) }

func init() { cli.VersionPrinter = printVersion }
