package main

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The rollout with the user client raised, side by side with itself.
func TestDiffGolden(t *testing.T) {
	code, stdout, stderr := runCLI("diff", "testdata/rollout.yaml", "--set", "controller.userClientQPS=24", "--set", "controller.userClientBurst=36")
	require.Equal(t, exitOK, code, stderr)
	golden(t, "diff.txt", stdout)

	code, stdout, stderr = runCLI("diff", "-o", "json", "testdata/rollout.yaml", "--set", "controller.userClientQPS=24", "--set", "controller.userClientBurst=36")
	require.Equal(t, exitOK, code, stderr)
	golden(t, "diff.json", stdout)
}

// Each side of a diff is exactly the run of its scenario, and every
// change is B minus A.
func TestDiffSidesAreTheirRuns(t *testing.T) {
	code, stdout, stderr := runCLI("diff", "-o", "json", "testdata/rollout.yaml", "testdata/full-node.yaml", "--seed", "4")
	require.Equal(t, exitOK, code, stderr)
	var d struct {
		A, B struct {
			Report map[string]any
			Check  struct{ Errors, Warnings int }
		}
		Figures []struct {
			Name   string
			A, B   float64
			Change float64
		}
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &d))
	for side, file := range map[string]string{"A": "testdata/rollout.yaml", "B": "testdata/full-node.yaml"} {
		want := runJSON(t, file, "-o", "json", "--seed", "4")
		got := d.A.Report
		if side == "B" {
			got = d.B.Report
		}
		assert.Equal(t, want, got, side)
	}
	require.Len(t, d.Figures, 12)
	for _, f := range d.Figures {
		assert.InDelta(t, f.B-f.A, f.Change, 1e-9, f.Name)
	}
	assert.Equal(t, "p50", d.Figures[0].Name)
	assert.Equal(t, d.A.Report["startupLatencySeconds"].(map[string]any)["p50"], d.Figures[0].A)
}

func TestDiffRefuses(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		say  string
	}{
		{[]string{"diff"}, exitUsage, "want one or two scenario files, got 0"},
		{[]string{"diff", "testdata/rollout.yaml"}, exitUsage, "give --set"},
		{[]string{"diff", "a", "b", "c"}, exitUsage, "got 3"},
		{[]string{"diff", "testdata/rollout.yaml", "--set", "controller.userClientQPS=12,24"}, exitUsage, "want one value"},
		{[]string{"diff", "testdata/rollout.yaml", "--set", "controller.userClientQPS=-1"}, exitFailure, "controller.userClientQPS"},
		{[]string{"diff", "testdata/rollout.yaml", "no-such.yaml"}, exitFailure, "no-such.yaml"},
	} {
		code, _, stderr := runCLI(tc.args...)
		assert.Equal(t, tc.code, code, "%v: %s", tc.args, stderr)
		assert.Contains(t, stderr, tc.say, tc.args)
	}
}

func TestDiffReadsStdin(t *testing.T) {
	src, err := os.ReadFile("testdata/rollout.yaml")
	require.NoError(t, err)
	code, stdout, stderr := runCLIWithInput(string(src), "diff", "-", "--set", "controller.userClientQPS=24", "-o", "json")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, `"scenario": "<stdin>"`)
}
