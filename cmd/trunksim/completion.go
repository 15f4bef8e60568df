package main

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
)

const completionUsage = `usage: trunksim completion bash|zsh|fish

Prints a shell completion script for trunksim's commands and flags. Load it
with, for example:

  source <(trunksim completion bash)                 # bash, in ~/.bashrc
  source <(trunksim completion zsh)                  # zsh, in ~/.zshrc
  trunksim completion fish | source                  # fish

Flags:
`

// runCompletion implements `trunksim completion`.
func runCompletion(args []string, stdout, stderr io.Writer) int {
	const name = "trunksim completion"
	fs := newFlagSet(name)
	rest, status := parseCommand(fs, completionUsage, args, stdout, stderr)
	if status >= 0 {
		return status
	}
	if len(rest) != 1 {
		return usageError(stderr, name, "want one shell: bash, zsh or fish")
	}
	flags := commandFlags()
	switch rest[0] {
	case "bash":
		io.WriteString(stdout, bashCompletion(flags))
	case "zsh":
		io.WriteString(stdout, "autoload -U +X bashcompinit && bashcompinit\n"+bashCompletion(flags))
	case "fish":
		io.WriteString(stdout, fishCompletion(flags))
	default:
		return usageError(stderr, name, "unknown shell %q: want bash, zsh or fish", rest[0])
	}
	return exitOK
}

// flagLine matches a flag in the defaults a command's --help prints.
var flagLine = regexp.MustCompile(`(?m)^  -([A-Za-z][\w-]*)`)

// commandFlags reads each command's flags from its own --help, so the
// completion never lists a flag a command does not take.
func commandFlags() map[string][]string {
	out := map[string][]string{}
	for _, c := range commands {
		var help bytes.Buffer
		run([]string{c, "--help"}, nil, &help, io.Discard)
		for _, m := range flagLine.FindAllStringSubmatch(help.String(), -1) {
			out[c] = append(out[c], m[1])
		}
	}
	return out
}

func bashCompletion(flags map[string][]string) string {
	b := &strings.Builder{}
	b.WriteString("# bash completion for trunksim\n_trunksim() {\n")
	b.WriteString("  local cur=${COMP_WORDS[COMP_CWORD]} flags=\n")
	fmt.Fprintf(b, "  if [ \"$COMP_CWORD\" -eq 1 ]; then\n    COMPREPLY=($(compgen -W %q -- \"$cur\"))\n    return\n  fi\n", strings.Join(append(commands, "help"), " "))
	b.WriteString("  case ${COMP_WORDS[1]} in\n")
	for _, c := range commands {
		var fl []string
		for _, f := range flags[c] {
			fl = append(fl, "--"+f)
		}
		fmt.Fprintf(b, "    %s) flags=%q ;;\n", c, strings.Join(fl, " "))
	}
	b.WriteString("  esac\n")
	b.WriteString("  if [[ $cur == -* ]]; then\n    COMPREPLY=($(compgen -W \"$flags\" -- \"$cur\"))\n  else\n    COMPREPLY=($(compgen -f -- \"$cur\"))\n  fi\n}\n")
	b.WriteString("complete -o filenames -F _trunksim trunksim\n")
	return b.String()
}

func fishCompletion(flags map[string][]string) string {
	b := &strings.Builder{}
	b.WriteString("# fish completion for trunksim\n")
	fmt.Fprintf(b, "complete -c trunksim -n __fish_use_subcommand -f -a %q\n", strings.Join(append(commands, "help"), " "))
	for _, c := range commands {
		for _, f := range flags[c] {
			fmt.Fprintf(b, "complete -c trunksim -n '__fish_seen_subcommand_from %s' -l %s\n", c, f)
		}
	}
	return b.String()
}
