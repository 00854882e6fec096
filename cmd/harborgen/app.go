package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/harborgen/harborgen/internal/cache"
	"github.com/harborgen/harborgen/internal/diag"
)

// Exit codes of SPEC.md §2.
const (
	exitOK      = 0
	exitInvalid = 1 // invalid spec, or drift found by --check
	exitUsage   = 2 // usage error or I/O failure
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// exitError carries an exit code out of a command; a nil err means the
// command already said everything.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// env is the process environment, injected for tests.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	lookup         func(string) (string, bool)
	names          []string   // every environment variable's name, sorted
	cache          *cache.Dir // where validate and render remember what they may skip (cache.FromEnv)
}

// newApp builds the CLI with its I/O injected, so tests run it in-process.
func newApp(e *env) *cli.App {
	return &cli.App{
		Name:      "harborgen",
		Usage:     "render a highly-available Harbor cluster from one declarative spec",
		Version:   version,
		Reader:    e.stdin,
		Writer:    e.stdout,
		ErrWriter: e.stderr,
		Commands: []*cli.Command{
			validateCommand(e),
			renderCommand(e),
			secretsCommand(e),
			planCommand(e),
			schemaCommand(e),
			initCommand(e),
			versionCommand(e),
			completionCommand(e),
		},
		EnableBashCompletion: true,
		ExitErrHandler:       func(*cli.Context, error) {}, // run() owns the exit code
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return &exitError{code: exitUsage, err: err}
		},
		CommandNotFound: func(c *cli.Context, name string) {
			fmt.Fprintf(e.stderr, "harborgen: unknown command %q; see harborgen --help\n", name)
		},
	}
}

// run executes the CLI and returns the process exit code. It never panics:
// a panic is a harborgen bug, reported as one line, exit 2.
// environ is the process environment as os.Environ gives it, KEY=VALUE.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, environ []string) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "harborgen: internal error (please report it): %v\n", r)
			code = exitUsage
		}
	}()
	vars := map[string]string{}
	var names []string
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			if _, dup := vars[k]; !dup {
				names = append(names, k)
			}
			vars[k] = v
		}
	}
	slices.Sort(names)
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, lookup: lookup, names: names, cache: cache.FromEnv(lookup)}
	app := newApp(e)
	notFound := false
	app.CommandNotFound = func(c *cli.Context, name string) {
		notFound = true
		fmt.Fprintf(stderr, "harborgen: unknown command %q; see harborgen --help\n", name)
	}
	err := app.Run(flagsFirst(app, args))
	var ee *exitError
	switch {
	case err == nil && notFound:
		return exitUsage
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		if ee.err != nil {
			fmt.Fprintf(stderr, "harborgen: %s\n", diag.Printable(ee.err.Error()))
		}
		return ee.code
	default:
		fmt.Fprintf(stderr, "harborgen: %s\n", diag.Printable(err.Error()))
		return exitUsage
	}
}
