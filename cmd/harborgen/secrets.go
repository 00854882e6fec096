package main

import "github.com/urfave/cli/v2"

func secretsCommand(*env) *cli.Command {
	return &cli.Command{
		Name:  "secrets",
		Usage: "manage the secrets file",
		Subcommands: []*cli.Command{{
			Name:      "init",
			Usage:     "create or complete the secrets file (not built yet)",
			ArgsUsage: "SPEC",
			Flags:     []cli.Flag{secretsFlag},
			Action:    notBuilt("secrets init"),
		}},
	}
}
