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
the default, so a value written in a file must be positive.

An *assumption* is a default upstream gives no figure for; every report
lists the value it ran with. *Check* marks the settings the reachability
check (` + "`trunksim check`" + `) judges too. The format's other keys in these
sections, ` + "`until`" + `, ` + "`ec2.faults`" + ` and ` + "`cni.externalSNAT`" + `, are described in
package scenario's documentation.
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
