package sim_test

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/controller"
	"github.com/trunksim/trunksim/sim"
)

const referenceFile = "../docs/settings.md"

// reference writes the settings reference from the table, section by
// section in the order of a scenario file.
func reference() string {
	var b strings.Builder
	b.WriteString(`# Settings

Every simulator setting a scenario file can write, with its default under
each controller preset and the bound ` + "`sim.New`" + ` enforces. It is generated
from the settings table in ` + "`sim/settings.go`" + ` (` + "`sim.Settings`" + `), which the
scenario format, ` + "`trunksim sweep --set`" + `, the report's assumptions and this
page all derive from; ` + "`go generate ./sim`" + ` rewrites it. Zero or omitted means
the default, so a value written in a file must be positive (a count
whose default is zero, such as ` + "`karpenter.reservedENIs`" + `, may be zero).

An *assumption* is a default upstream gives no figure for; every report
lists the value it ran with. *Check* marks the settings the reachability
check (` + "`trunksim check`" + `) judges too. The format's other keys in these
sections, ` + "`until`" + `, ` + "`ec2.faults`" + `, ` + "`cni.externalSNAT`" + ` and ` + "`karpenter.prices`" + `, are
described in package scenario's documentation. The karpenter and
clusterAutoscaler settings are read only when a scenario has NodePools or
an autoscaled node group.
`)
	settings := sim.Settings()
	slices.SortStableFunc(settings, func(a, b sim.Setting) int { return cmp.Compare(a.Section, b.Section) })
	var section sim.Section
	for _, s := range settings {
		if s.Section != section {
			section = s.Section
			fmt.Fprintf(&b, "\n## %s\n\n", section)
			b.WriteString("| key | type | default | raised-limits | bound | assumption | check | meaning |\n")
			b.WriteString("|---|---|---|---|---|---|---|---|\n")
		}
		kind := s.Kind().String()
		if s.Unit != "" {
			kind += ", " + s.Unit
		}
		up, raised := code(s.Default(sim.PresetUpstream)), code(s.Default(sim.PresetRaisedLimits))
		switch {
		case up == "" && s.Kind() == sim.KindEnum:
			up = "unset: the preset decides"
		case up == "":
			up = "the newest release"
		case raised == up:
			raised = ""
		}
		bound := s.Bound()
		if values := s.Values(); values != nil {
			bound = strings.Join(values, ", ")
		}
		mark := func(b bool) string {
			if b {
				return "yes"
			}
			return ""
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s | %s |\n",
			s.Key(), kind, up, raised, bound, mark(s.Assumption), mark(s.Reach), s.Doc)
	}
	b.WriteString(releaseDefaults(settings))
	return b.String()
}

// releaseDefaults tabulates the settings whose default depends on
// controller.version, one row per release, from the one declaration each
// release has (controller.ReleaseDefaults).
func releaseDefaults(settings []sim.Setting) string {
	var varying []sim.Setting
	releases := controller.Releases()
	for _, s := range settings {
		for _, r := range releases[1:] {
			if s.DefaultForRelease(r) != s.DefaultForRelease(releases[0]) {
				varying = append(varying, s)
				break
			}
		}
	}
	var b strings.Builder
	b.WriteString("\n## Defaults by controller release\n\n")
	b.WriteString("`controller.version` picks a release's defaults below and its instance table\n")
	b.WriteString("(`limits.ForRelease`). The deprecated presets stand for releases: `upstream`\n")
	b.WriteString("is v1.7.19 and `raised-limits` is v1.8.0's defaults with v1.7.19's table.\n\n")
	b.WriteString("| release |")
	for _, s := range varying {
		b.WriteString(" `" + s.Key() + "` |")
	}
	b.WriteString("\n|---|" + strings.Repeat("---|", len(varying)) + "\n")
	for _, r := range releases {
		b.WriteString("| " + r.String() + " |")
		for _, s := range varying {
			b.WriteString(" " + s.DefaultForRelease(r) + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}

func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + s + "`"
}

// The settings reference is generated; this fails when it is stale. Run
// `go generate ./sim` (or this test with -update) to rewrite it.
func TestSettingsReference(t *testing.T) {
	want := reference()
	if *update {
		require.NoError(t, os.WriteFile(referenceFile, []byte(want), 0o644))
	}
	got, err := os.ReadFile(referenceFile)
	require.NoError(t, err)
	assert.Equal(t, want, string(got), "%s is out of date: run go generate ./sim", referenceFile)
}
