package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

const mainUsage = `trunksim simulates EC2 trunk and branch ENIs as EKS uses them for security
groups for pods.

usage: trunksim <command> [arguments]

Commands:
  limits     instance types' trunk, branch ENI and pod limits
  run        run a scenario file and report what happened
  plan       how many nodes N security-group pods need, and how long their rollout takes
  check      whether security-group pods keep DNS, probes and their traffic (exit 1 on errors)
  sweep      run a scenario over seeds and a grid of settings on all cores, in shards
  import     a scenario from kubectl's output of a real cluster
  explain    why a pod was slow or is pending, with remedies measured by re-running
  diff       run two scenarios, or one with other settings, and compare their reports
  version    the version of trunksim and of the Go it was built with
  completion a completion script for bash, zsh or fish
  help       help on a command

Examples:
  trunksim limits m5.large c5.xlarge
  trunksim run rollout.yaml -o json
  trunksim plan --sg-pods 500 --types m5.large,m5.xlarge
  trunksim check cluster.yaml
  trunksim sweep rollout.yaml --seeds 1-100 --set controller.userClientQPS=12,24
  trunksim explain rollout.yaml --slowest
  trunksim diff rollout.yaml --set controller.userClientQPS=24
  trunksim run rollout.yaml --slo 'p99<=2m' --slo pending==0

Exit status: 0 success; 1 the command failed (a bad scenario, a failed run,
a broken --slo bound, an unknown instance type, a run too big for the memory
limit); 2 usage error; 130 interrupted (Ctrl-C or SIGTERM).

Run 'trunksim help <command>' or 'trunksim <command> --help' for more.
`

func main() {
	setMemoryLimit()
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// commands are the names run dispatches, for help.
var commands = []string{"limits", "run", "plan", "check", "sweep", "import", "explain", "diff", "version", "completion"}

// run dispatches a command line (without the program name) and returns
// the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, mainUsage)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "limits":
		return runLimits(rest, stdout, stderr)
	case "run":
		return runRun(rest, stdin, stdout, stderr)
	case "plan":
		return runPlan(rest, stdout, stderr)
	case "check":
		return runCheck(rest, stdin, stdout, stderr)
	case "sweep":
		return runSweep(rest, stdout, stderr)
	case "diff":
		return runDiff(rest, stdin, stdout, stderr)
	case "explain":
		return runExplain(rest, stdin, stdout, stderr)
	case "import":
		return runImport(rest, stdin, stdout, stderr)
	case "completion":
		return runCompletion(rest, stdout, stderr)
	case "version", "--version", "-version":
		return runVersion(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		if cmd == "help" && len(rest) > 0 {
			if slices.Contains(commands, rest[0]) {
				return run([]string{rest[0], "--help"}, stdin, stdout, stderr)
			}
			fmt.Fprintf(stderr, "trunksim help: unknown command %q\n\n%s", rest[0], mainUsage)
			return exitUsage
		}
		fmt.Fprint(stdout, mainUsage)
		return exitOK
	}
	fmt.Fprintf(stderr, "trunksim: unknown command %q\n\n%s", cmd, mainUsage)
	return exitUsage
}

// newFlagSet returns a flag set whose --help text goes to stdout and
// whose errors go to stderr with a pointer to --help; parse reports which.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseCommand parses args with fs, flags allowed before and after the
// positional arguments, and returns those arguments. On --help it prints
// usage and fs's flags to stdout and returns exitOK as the status; on a
// bad flag it explains on stderr and returns exitUsage. The status is -1
// when parsing succeeded.
func parseCommand(fs *flag.FlagSet, usage string, args []string, stdout, stderr io.Writer) ([]string, int) {
	positional, err := parseInterspersed(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usage)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return nil, exitOK
	case err != nil:
		fmt.Fprintf(stderr, "%s: %v\nRun '%s --help' for usage.\n", fs.Name(), err, fs.Name())
		return nil, exitUsage
	}
	return positional, -1
}

// usageError reports a command-line mistake found after parsing.
func usageError(stderr io.Writer, cmd, format string, args ...any) int {
	fmt.Fprintf(stderr, "%s: %s\nRun '%s --help' for usage.\n", cmd, fmt.Sprintf(format, args...), cmd)
	return exitUsage
}

// choice is a flag that takes one of a fixed set of words, so a typo is a
// usage error rather than a silent default.
type choice struct {
	value   string
	allowed []string
}

func newChoice(value string, allowed ...string) *choice {
	return &choice{value: value, allowed: allowed}
}

func (c *choice) String() string {
	if c == nil {
		return ""
	}
	return c.value
}

func (c *choice) Set(s string) error {
	for _, a := range c.allowed {
		if s == a {
			c.value = s
			return nil
		}
	}
	return fmt.Errorf("want %s", strings.Join(c.allowed, " or "))
}
