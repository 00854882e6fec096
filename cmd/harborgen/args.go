package main

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// flagsFirst moves the flags that follow a verb's arguments in front of
// them: `harborgen validate spec.toml --strict` means what
// `harborgen validate --strict spec.toml` means (urfave/cli stops reading
// flags at the first argument). A flag's value stays with it; "--" ends
// the flags, and "-" (stdin) is an argument.
func flagsFirst(app *cli.App, args []string) []string {
	if len(args) < 2 || args[len(args)-1] == completeFlag { // completion needs the words as typed
		return args
	}
	cmds, i := app.Commands, 1
	var cmd *cli.Command
	for i < len(args) { // the verb, and a sub-verb (secrets init)
		next := findCommand(cmds, args[i])
		if next == nil {
			break
		}
		cmd, cmds, i = next, next.Subcommands, i+1
	}
	if cmd == nil {
		return args
	}
	takesValue := map[string]bool{}
	for _, f := range cmd.Flags {
		_, isBool := f.(*cli.BoolFlag)
		for _, name := range f.Names() {
			takesValue[name] = !isBool
		}
	}
	var flags, operands []string
	rest := args[i:]
	for k := 0; k < len(rest); k++ {
		a := rest[k]
		switch {
		case a == "--":
			operands = append(operands, rest[k+1:]...)
			k = len(rest)
		case a == "-" || !strings.HasPrefix(a, "-"):
			operands = append(operands, a)
		default:
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && takesValue[name] && k+1 < len(rest) {
				k++
				flags = append(flags, rest[k])
			}
		}
	}
	out := append([]string{}, args[:i]...)
	out = append(out, flags...)
	if len(operands) > 0 {
		out = append(out, "--")
		out = append(out, operands...)
	}
	return out
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}
