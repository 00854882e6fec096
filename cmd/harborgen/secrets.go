package main

import (
	"crypto/rand"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/harborgen/harborgen/internal/diag"
	"github.com/harborgen/harborgen/internal/secrets"
)

func secretsCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "secrets",
		Usage: "manage the secrets file",
		Subcommands: []*cli.Command{{
			Name:      "init",
			Usage:     "create or complete the secrets file: take what is missing from the rendered tree, generate the rest, never change what is there",
			ArgsUsage: "SPEC",
			Flags: []cli.Flag{secretsFlag, formatInFlag,
				&cli.StringFlag{Name: "out", Usage: "the rendered tree to recover missing secrets from (default: out beside the spec)"},
				&cli.BoolFlag{Name: "no-recover", Usage: "generate missing secrets even where the rendered tree holds them (render then refuses to change them without --rotate)"},
			},
			Action: func(c *cli.Context) error { return secretsInit(c, e) },
		}},
	}
}

func secretsInit(c *cli.Context, e *env) error {
	// The secrets a spec needs follow from a valid spec; the file being
	// made is not checked.
	s, err := validSpec(c, e, false, false, "fix it before generating secrets")
	if err != nil {
		return err
	}
	path := c.String("secrets")
	if path == "" {
		if c.Args().First() == "-" {
			return usageErrorf("with a spec on stdin, name the secrets file with --secrets")
		}
		path = secrets.DefaultPath(c.Args().First())
	}
	var held *secrets.Held
	if out := outDir(c); out != "" && !c.Bool("no-recover") {
		if held, err = secrets.TreeValues(out); err != nil {
			return &exitError{code: exitUsage, err: fmt.Errorf("%w (pass --no-recover to generate instead)", err)}
		}
	}
	res, err := secrets.InitFrom(path, s, rand.Reader, held)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(e.stderr, "warning: %s\n", w)
	}
	verb := "completed"
	if res.Created {
		verb = "created"
	}
	fmt.Fprintf(e.stderr, "%s %s: %d generated, %d recovered, %d already present\n", verb, path, len(res.Generated), len(res.Recovered), len(res.Present))
	if len(res.Recovered) > 0 {
		fmt.Fprintf(e.stderr, "recovered from the rendered tree %s: %s\n", diag.Name(outDir(c)), strings.Join(res.Recovered, ", "))
	}
	for _, n := range res.Supply {
		fmt.Fprintf(e.stderr, "you supply: %s (%s): add %s = \"...\" to %s or set %s\n", n.Name, n.Why, n.Name, path, secrets.EnvVar(n.Name))
	}
	for _, n := range res.Optional {
		fmt.Fprintf(e.stderr, "optional: %s (%s): add %s = \"...\" to %s or set %s\n", n.Name, n.Why, n.Name, path, secrets.EnvVar(n.Name))
	}
	if len(res.Generated) > 0 {
		fmt.Fprintf(e.stderr, "generated: %s\n", strings.Join(res.Generated, ", "))
	}
	return nil
}
