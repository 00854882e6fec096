package main

import "github.com/urfave/cli/v2"

func planCommand(*env) *cli.Command {
	return &cli.Command{
		Name:      "plan",
		Usage:     "print what would run where (not built yet)",
		ArgsUsage: "SPEC",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Usage: "output: text|json", Value: "text"},
			formatInFlag,
		},
		Action: notBuilt("plan"),
	}
}
