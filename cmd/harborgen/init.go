package main

import "github.com/urfave/cli/v2"

func initCommand(*env) *cli.Command {
	return &cli.Command{
		Name:      "init",
		Usage:     "write an example spec (not built yet)",
		ArgsUsage: "[DIR]",
		Flags:     []cli.Flag{&cli.StringFlag{Name: "example", Usage: "example topology", Value: "ha-modern"}},
		Action:    notBuilt("init"),
	}
}
