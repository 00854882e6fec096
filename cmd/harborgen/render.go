package main

import "github.com/urfave/cli/v2"

func renderCommand(*env) *cli.Command {
	return &cli.Command{
		Name:      "render",
		Usage:     "render every node's files into the output tree (not built yet)",
		ArgsUsage: "SPEC",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "output directory (default: out beside the spec)"},
			&cli.BoolFlag{Name: "check", Usage: "exit 1 if the tree on disk differs from what render would write"},
			&cli.BoolFlag{Name: "diff", Usage: "print what render would change, write nothing"},
			strictFlag, secretsFlag, formatInFlag,
		},
		Action: notBuilt("render"),
	}
}
