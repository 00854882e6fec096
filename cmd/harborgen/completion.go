package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"
)

// completeFlag is the argument urfave/cli answers with the candidates for
// the next word (EnableBashCompletion).
const completeFlag = "--generate-bash-completion"

func completionCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print the shell completion script: bash, zsh or fish",
		ArgsUsage: "bash|zsh|fish",
		Description: "bash: source <(harborgen completion bash), or save it as /etc/bash_completion.d/harborgen\n" +
			"zsh:  source <(harborgen completion zsh) in ~/.zshrc (after compinit)\n" +
			"fish: harborgen completion fish > ~/.config/fish/completions/harborgen.fish",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErrorf("completion needs one shell: bash, zsh or fish")
			}
			switch shell := c.Args().First(); shell {
			case "bash":
				_, _ = io.WriteString(e.stdout, bashCompletion)
			case "zsh":
				_, _ = io.WriteString(e.stdout, zshCompletion)
			case "fish":
				script, err := c.App.ToFishCompletion()
				if err != nil {
					return &exitError{code: exitUsage, err: fmt.Errorf("fish completion: %w", err)}
				}
				_, _ = io.WriteString(e.stdout, script)
			default:
				return usageErrorf("completion: no script for %q; the shells are bash, zsh and fish", shell)
			}
			return nil
		},
	}
}

// The bash and zsh scripts ask harborgen itself for the candidates of the
// word being completed (verbs, sub-verbs, flags) and fall back to file
// names, for SPEC and the file flags.
const bashCompletion = `# bash completion for harborgen
_harborgen() {
  local cur="${COMP_WORDS[COMP_CWORD]}" candidates
  if [[ "$cur" == -* ]]; then
    candidates=$("${COMP_WORDS[@]:0:COMP_CWORD}" "$cur" ` + completeFlag + ` 2>/dev/null)
  else
    candidates=$("${COMP_WORDS[@]:0:COMP_CWORD}" ` + completeFlag + ` 2>/dev/null)
  fi
  mapfile -t COMPREPLY < <(compgen -W "$candidates" -- "$cur")
}
complete -o default -o bashdefault -F _harborgen harborgen
`

const zshCompletion = `#compdef harborgen
# zsh completion for harborgen
_harborgen() {
  local -a candidates
  if [[ "${words[CURRENT]}" == -* ]]; then
    candidates=("${(@f)$(${words[@]:0:CURRENT-1} "${words[CURRENT]}" ` + completeFlag + ` 2>/dev/null)}")
  else
    candidates=("${(@f)$(${words[@]:0:CURRENT-1} ` + completeFlag + ` 2>/dev/null)}")
  fi
  if [[ -n "${candidates[*]}" ]]; then
    _describe 'harborgen' candidates
  fi
  _files
}
if [[ "$(basename -- "${(%):-%x}")" != _harborgen ]]; then
  compdef _harborgen harborgen
fi
`
