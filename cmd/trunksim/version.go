package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/trunksim/trunksim/controller"
	"github.com/trunksim/trunksim/limits"
)

const versionUsage = `usage: trunksim version

Prints trunksim's module version (or "(devel)" when built from a checkout),
the commit it was built from when known, the Go release and platform, and
the resource-controller release it models by default with the ones it
can model.
'trunksim --version' does the same.

Flags:
`

// runVersion implements `trunksim version`.
func runVersion(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("trunksim version")
	rest, status := parseCommand(fs, versionUsage, args, stdout, stderr)
	if status >= 0 {
		return status
	}
	if len(rest) > 0 {
		return usageError(stderr, "trunksim version", "unexpected argument %q", rest[0])
	}
	fmt.Fprintln(stdout, versionLine(debug.ReadBuildInfo()))
	fmt.Fprintf(stdout, "models amazon-vpc-resource-controller-k8s %v by default (controller.version: %s), instance tables of those releases, and the VPC CNI's eni-max-pods from %s\n",
		controller.DefaultRelease, strings.Join(limits.Releases(), ", "), limits.CNIMaxPodsSource())
	return exitOK
}

// versionLine says which trunksim this is, from the build information the
// Go linker records.
func versionLine(info *debug.BuildInfo, ok bool) string {
	version, commit, dirty := "(unknown)", "", false
	if ok {
		version = info.Main.Version
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	line := "trunksim " + version
	if commit != "" {
		line += " commit " + commit[:min(12, len(commit))]
		if dirty {
			line += " with local changes"
		}
	}
	return line + " " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
}
