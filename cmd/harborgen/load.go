package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/harborgen/harborgen/internal/diag"
	"github.com/harborgen/harborgen/internal/secrets"
	"github.com/harborgen/harborgen/internal/spec"
	"github.com/harborgen/harborgen/internal/validate"
)

var formatInFlag = &cli.StringFlag{Name: "format-in", Usage: "syntax of the spec read from stdin: toml|yaml", Value: "toml"}

var secretsFlag = &cli.StringFlag{Name: "secrets", Usage: "secrets file (default: <spec name>.secrets.toml beside the spec)", TakesFile: true}

var strictFlag = &cli.BoolFlag{Name: "strict", Usage: "treat warnings as errors"}

// specArg returns the one SPEC argument.
func specArg(c *cli.Context) (string, error) {
	if c.NArg() != 1 {
		return "", usageErrorf("%s needs exactly one SPEC argument (a .toml, .yaml or .yml file, or - for stdin); got %d", c.Command.Name, c.NArg())
	}
	return c.Args().First(), nil
}

// loadSpec reads and parses the spec named on the command line. The error is
// a usage or I/O failure; problems in the spec are diagnostics.
func loadSpec(c *cli.Context, e *env) (*spec.Spec, *diag.List, error) {
	path, err := specArg(c)
	if err != nil {
		return nil, nil, err
	}
	var data []byte
	var format spec.Format
	name := path
	if path == "-" {
		name = "<stdin>"
		format = spec.Format(c.String("format-in"))
		if format != spec.TOML && format != spec.YAML {
			return nil, nil, usageErrorf("--format-in must be toml or yaml, not %q", format)
		}
		data, err = spec.ReadAll(e.stdin)
	} else {
		if format, err = spec.FormatOf(path); err != nil {
			return nil, nil, &exitError{code: exitUsage, err: err}
		}
		data, err = spec.ReadFile(path)
	}
	if err != nil {
		return nil, nil, &exitError{code: exitUsage, err: err}
	}
	s, diags := spec.Parse(name, data, format)
	return s, diags, nil
}

// secretsFile finds the secrets file: --secrets (which must exist), or the
// default beside the spec when it exists; nil when there is none.
func secretsFile(c *cli.Context, specPath string) (*secrets.File, *diag.List, error) {
	path, explicit := c.String("secrets"), c.IsSet("secrets")
	if !explicit {
		if specPath == "-" {
			return nil, nil, nil
		}
		path = secrets.DefaultPath(specPath)
	}
	f, err := secrets.Load(path)
	switch {
	case err == nil:
		return f, readableByOthers(path), nil
	case errors.Is(err, os.ErrNotExist) && !explicit:
		return nil, nil, nil
	case errors.Is(err, os.ErrNotExist):
		return nil, nil, &exitError{code: exitUsage, err: fmt.Errorf("--secrets %s: %w", path, err)}
	}
	var d diag.List
	pos, msg := diag.Pos{File: path, Line: 1, Col: 1}, err.Error()
	if pe := (*secrets.ParseError)(nil); errors.As(err, &pe) {
		pos.Line, pos.Col, msg = pe.Line, pe.Col, pe.Msg
	}
	d.Errorf(pos, "", "the secrets file is flat TOML, one name = \"value\" per line, the value quoted", "%s", msg)
	return nil, &d, nil
}

// readableByOthers warns, as secrets init does, about a secrets file that
// others than its owner can read; nil when there is nothing to say.
func readableByOthers(path string) *diag.List {
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm()&0o077 == 0 {
		return nil
	}
	var d diag.List
	d.Warnf(diag.Pos{File: path, Line: 1, Col: 1}, "", fmt.Sprintf("chmod 600 %s", path),
		"the secrets file is readable by others than its owner (mode %04o)", info.Mode().Perm())
	return &d
}

// check loads, validates and returns the spec with every diagnostic,
// checking the secrets file too.
func check(c *cli.Context, e *env) (*spec.Spec, *diag.List, error) { return checkSpec(c, e, true) }

// checkSpec is check with the secrets checks optional: render --check runs
// in CI, where there are no secrets.
func checkSpec(c *cli.Context, e *env, withSecrets bool) (*spec.Spec, *diag.List, error) {
	s, diags, err := loadSpec(c, e)
	if err != nil {
		return nil, nil, err
	}
	if s == nil {
		return nil, diags, nil
	}
	var sf *secrets.File
	var sdiags *diag.List
	if withSecrets {
		if sf, sdiags, err = secretsFile(c, c.Args().First()); err != nil {
			return nil, nil, err
		}
	}
	if sdiags != nil {
		diags.Append(sdiags)
	}
	validate.Validate(s, diags, validate.Options{Secrets: sf, Env: e.lookup, EnvNames: e.names, Cache: e.cache})
	return s, diags, nil
}

// validSpec loads and validates the spec for a verb that needs a valid one
// (plan, render, secrets init). An invalid spec prints its diagnostics on
// stderr and is exit 1, saying what was not done; warnings are printed too.
func validSpec(c *cli.Context, e *env, withSecrets, strict bool, notDone string) (*spec.Spec, error) {
	s, diags, err := checkSpec(c, e, withSecrets)
	if err != nil {
		return nil, err
	}
	_ = diag.WriteTextColor(e.stderr, diags.Items(), e.color(e.stderr))
	if s == nil || diags.HasErrors(strict) {
		return nil, &exitError{code: exitInvalid, err: fmt.Errorf("%s is invalid: %s", c.Args().First(), notDone)}
	}
	return s, nil
}
