package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

func versionCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print harborgen's version",
		Action: func(*cli.Context) error {
			fmt.Fprintf(e.stdout, "harborgen %s\n", version)
			return nil
		},
	}
}
