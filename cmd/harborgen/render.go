package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/harborgen/harborgen/internal/diag"
	"github.com/harborgen/harborgen/internal/plan"
	"github.com/harborgen/harborgen/internal/render"
	"github.com/harborgen/harborgen/internal/secrets"
	"github.com/harborgen/harborgen/internal/spec"
	"github.com/harborgen/harborgen/internal/tree"
	"github.com/harborgen/harborgen/internal/verify"
)

func renderCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "render",
		Usage:     "render every node's files into the output tree, atomically",
		ArgsUsage: "SPEC",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "output directory (default: out beside the spec)"},
			&cli.BoolFlag{Name: "check", Usage: "exit 1 if the tree on disk differs from what render would write (needs no secrets)"},
			&cli.BoolFlag{Name: "diff", Usage: "print what render would change, write nothing"},
			&cli.StringSliceFlag{Name: "rotate", Usage: "change these secrets (NAME, repeatable or comma-separated) although the rendered tree holds other values"},
			strictFlag, secretsFlag, formatInFlag,
		},
		Action: func(c *cli.Context) error { return renderAction(c, e) },
	}
}

func renderAction(c *cli.Context, e *env) error {
	render.Prepare()
	checkOnly := c.Bool("check")
	s, err := validSpec(c, e, !checkOnly, c.Bool("strict"), "nothing rendered")
	if err != nil {
		return err
	}
	specPath := c.Args().First()
	out := outDir(c)
	if out == "" {
		return usageErrorf("with a spec on stdin, name the output directory with --out")
	}
	// --check never reads secrets; --diff compares them only when it has them.
	var values map[string]string
	diffWithoutSecrets := false
	if !checkOnly {
		values, err = secretValues(c, s, e)
		var ee *exitError
		if err != nil && c.Bool("diff") && errors.As(err, &ee) && ee.code == exitUsage {
			values, err, diffWithoutSecrets = nil, nil, true
		}
		if err != nil {
			return err
		}
	}
	p, err := plan.Build(s)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	render.UseCache(e.cache)
	t, err := render.Tree(p, filepath.Base(specPath), values)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	if err := verify.WithCache(e.cache).Compose(t); err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	switch {
	case checkOnly:
		return checkTree(e, out, specPath, t)
	case c.Bool("diff"):
		return diffTree(e, out, t, diffWithoutSecrets)
	}
	if err := refuseRotation(c, out, values); err != nil {
		return err
	}
	if _, err := os.Lstat(filepath.Join(out, ".git")); err == nil {
		fmt.Fprintf(e.stderr, "warning: %s holds .git: render replaces that whole directory and carries .git over as files it did not write; "+
			"keep the rendered tree in a subdirectory of the repository (--out %s)\n", diag.Name(out), diag.Name(filepath.Join(out, "out")))
	}
	rep, err := tree.Write(out, t)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	fmt.Fprintf(e.stderr, "rendered %s: %d added, %d changed, %d unchanged, %d removed\n",
		diag.Name(out), len(rep.Added), len(rep.Changed), len(rep.Unchanged), len(rep.Removed))
	if len(rep.Removed) > 0 {
		fmt.Fprintf(e.stderr, "removed files harborgen wrote before and no longer writes: %s\n", diag.Printable(strings.Join(rep.Removed, ", ")))
	}
	keptNote(e, rep.Foreign)
	fmt.Fprintln(e.stderr, nextStep(out))
	return nil
}

// nextStep is what render says to do after it wrote out: commit, then the
// playbook (each node's secrets/ from out itself, never from git) or the
// runbook by hand.
func nextStep(out string) string {
	secrets := out
	if abs, err := filepath.Abs(out); err == nil {
		secrets = abs
	}
	playbook := "ansible-playbook -b -i " + filepath.Join(out, "ansible", "inventory.yml") + " " +
		filepath.Join(out, "ansible", "site.yml") + " -e harborgen_secrets=" + secrets
	return fmt.Sprintf("next: review and commit the change (git add %s && git diff --cached; secrets/ stays out of git), then deploy it: "+
		"%s, or by hand: copy each node's directory to its host with its secrets/ and follow %s step by step",
		diag.Name(out), diag.Name(playbook), diag.Name(filepath.Join(out, "README.md")))
}

// checkTree is render --check: exit 1, listing the drift, when out is not
// what render would write.
func checkTree(e *env, out, specPath string, t *tree.Tree) error {
	drift, err := tree.Check(out, t)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	keptNote(e, drift.Kept)
	if drift.Empty() {
		fmt.Fprintf(e.stderr, "%s is up to date\n", diag.Name(out))
		return nil
	}
	for _, group := range []struct {
		what  string
		paths []string
	}{{"changed", drift.Changed}, {"missing", drift.Missing}, {"stale", drift.Unexpected}} {
		for _, p := range group.paths {
			fmt.Fprintf(e.stdout, "%s: %s\n", group.what, diag.Name(filepath.Join(out, p)))
		}
	}
	return &exitError{code: exitInvalid, err: fmt.Errorf("%s is not what render would write: run harborgen render %s", out, specPath)}
}

// outDir is --out, or out beside the spec; "" for a spec on stdin without
// --out.
func outDir(c *cli.Context) string {
	if out := c.String("out"); out != "" {
		return out
	}
	if c.Args().First() == "-" {
		return ""
	}
	return filepath.Join(filepath.Dir(c.Args().First()), "out")
}

// refuseRotation stops a render that would change a secret the rendered
// tree holds (a lost or replaced secrets file would otherwise rotate the
// whole cluster, secretkey included, and Harbor could no longer read what it
// encrypted), unless --rotate names it.
func refuseRotation(c *cli.Context, out string, values map[string]string) error {
	held, err := secrets.TreeValues(out)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	var rotate []string
	for _, r := range c.StringSlice("rotate") {
		for _, name := range strings.Split(r, ",") {
			if name = strings.TrimSpace(name); name != "" {
				if !slices.Contains(secrets.KnownNames(), name) {
					return usageErrorf("--rotate %s: no such secret; known: %s", name, strings.Join(secrets.KnownNames(), ", "))
				}
				rotate = append(rotate, name)
			}
		}
	}
	changed := held.Changed(values, rotate)
	if len(changed) == 0 {
		return nil
	}
	var lines []string
	for _, name := range changed {
		lines = append(lines, fmt.Sprintf("%s (held by %s)", name, strings.Join(held.Nodes[name], ", ")))
	}
	return &exitError{code: exitInvalid, err: fmt.Errorf("refusing to change secrets the rendered tree %s holds: %s. "+
		"If the secrets file was lost or replaced, recover it: move it aside and run harborgen secrets init %s (it takes the values from %s); "+
		"to rotate on purpose, render with --rotate %s. Nothing was written",
		out, strings.Join(lines, "; "), c.Args().First(), out, strings.Join(changed, ","))}
}

// keptNote names the files harborgen did not write, which render keeps and
// --check does not count as drift.
func keptNote(e *env, kept []string) {
	if len(kept) > 0 {
		fmt.Fprintf(e.stderr, "kept files harborgen did not write: %s\n", diag.Printable(strings.Join(kept, ", ")))
	}
}

// diffTree is render --diff: exit 1 when there is a difference. Without secrets the tree has none, so every
// secret file would read as removed: it then says nothing about secrets.
func diffTree(e *env, out string, t *tree.Tree, withoutSecrets bool) error {
	d, err := tree.Diff(out, t)
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	if withoutSecrets {
		var kept []string
		for _, line := range strings.SplitAfter(string(d), "\n") {
			if !strings.HasPrefix(line, "secret ") {
				kept = append(kept, line)
			}
		}
		d = []byte(strings.Join(kept, ""))
		fmt.Fprintln(e.stderr, "no secrets file: secret files are not compared")
	}
	if _, err := e.stdout.Write(d); err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	if len(d) > 0 { // like diff(1) and --check: 1 when there are differences
		return &exitError{code: exitInvalid, err: fmt.Errorf("%s differs from what render would write", out)}
	}
	return nil
}

// secretValues gathers every secret the spec needs from the secrets file
// and HARBORGEN_SECRET_<NAME>; validate has already checked them.
func secretValues(c *cli.Context, s *spec.Spec, e *env) (map[string]string, error) {
	f, _, err := secretsFile(c, c.Args().First())
	if err != nil {
		return nil, err
	}
	if f == nil {
		f = &secrets.File{Values: map[string]string{}}
		if len(secrets.Required(s)) > 0 && !anyEnv(s, e) {
			return nil, &exitError{code: exitUsage, err: errors.New("no secrets file: run harborgen secrets init " + c.Args().First())}
		}
	}
	values := map[string]string{}
	for _, n := range secrets.Required(s) {
		v, _, ok := f.Lookup(n.Name, e.lookup)
		if !ok && n.Optional {
			continue // rendered empty below
		}
		if !ok {
			return nil, &exitError{code: exitInvalid, err: fmt.Errorf("secret %s is missing: add it to the secrets file or set %s", n.Name, secrets.EnvVar(n.Name))}
		}
		values[n.Name] = v
	}
	// An optional secret not given (an external Redis without AUTH), and
	// redis_password where nothing needs it (Harbor 1.5), render empty.
	for _, name := range []string{secrets.RedisPassword.Name} {
		if _, ok := values[name]; !ok {
			values[name] = ""
		}
	}
	return values, nil
}

func anyEnv(s *spec.Spec, e *env) bool {
	for _, n := range secrets.Required(s) {
		if _, ok := e.lookup(secrets.EnvVar(n.Name)); ok {
			return true
		}
	}
	return false
}
