package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/sim"
)

const sweepScenario = "../../sweep/testdata/small.yaml"

func sweepCLI(t *testing.T, args ...string) string {
	t.Helper()
	code, stdout, stderr := runCLI(append([]string{"sweep"}, args...)...)
	require.Equal(t, exitOK, code, stderr)
	return stdout
}

// Every run is a JSON line with its point, settings and report, in point
// order; the bytes do not depend on the number of workers.
func TestSweepPrintsOneResultPerRunInOrder(t *testing.T) {
	args := []string{sweepScenario, "--seeds", "1-3", "--set", "controller.userClientQPS=6,12", "-o", "jsonl"}
	out := sweepCLI(t, append(args, "--workers", "1")...)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	require.Len(t, lines, 6)
	for i, line := range lines {
		var r struct {
			Index    int               `json:"index"`
			Of       int               `json:"of"`
			Seed     uint64            `json:"seed"`
			Settings map[string]string `json:"settings"`
			Report   struct {
				Seed        uint64 `json:"seed"`
				TraceSHA256 string `json:"traceSHA256"`
			} `json:"report"`
		}
		require.NoError(t, json.Unmarshal([]byte(line), &r), line)
		assert.Equal(t, i, r.Index)
		assert.Equal(t, 6, r.Of)
		assert.Equal(t, uint64(i%3+1), r.Seed)
		assert.Equal(t, r.Seed, r.Report.Seed)
		assert.Equal(t, []string{"6", "12"}[i/3], r.Settings["controller.userClientQPS"])
		assert.Len(t, r.Report.TraceSHA256, 64)
	}
	assert.Equal(t, out, sweepCLI(t, append(args, "--workers", "8")...))
}

// Shards run apart and merged give the bytes of the whole sweep, in
// every output format.
func TestSweepShardsMergeToTheWholeSweep(t *testing.T) {
	base := []string{sweepScenario, "--seeds", "1-5", "--set", "nodeGroups.workers.count=1,2"}
	dir := t.TempDir()
	var files []string
	for _, sh := range []string{"0/3", "1/3", "2/3"} {
		f := filepath.Join(dir, strings.ReplaceAll(sh, "/", "-of-")+".jsonl")
		require.NoError(t, os.WriteFile(f, []byte(sweepCLI(t, append(base, "--shard", sh, "-o", "jsonl")...)), 0o644))
		files = append(files, f)
	}
	for _, format := range []string{"jsonl", "json", "table"} {
		whole := sweepCLI(t, append(base, "-o", format)...)
		merged := sweepCLI(t, append([]string{"merge", "-o", format}, files[2], files[0], files[1])...)
		assert.Equal(t, whole, merged, format)
	}
	table := sweepCLI(t, append(base, "-o", "table")...)
	assert.Contains(t, strings.SplitN(table, "\n", 2)[0], "nodeGroups.workers.count")
	var all []map[string]any
	require.NoError(t, json.Unmarshal([]byte(sweepCLI(t, append(base, "-o", "json")...)), &all))
	assert.Len(t, all, 10)

	code, _, stderr := runCLI("sweep", "merge", files[0], files[2])
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "missing")
	code, _, stderr = runCLI("sweep", "merge", files[0], files[0], files[1], files[2])
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "twice")
}

func TestSweepRefusesBadInput(t *testing.T) {
	usage := [][]string{
		{},
		{sweepScenario, sweepScenario},
		{sweepScenario, "--seeds", "9-1"},
		{sweepScenario, "--shard", "3/3"},
		{sweepScenario, "--set", "controller.userClientQPS"},
		{sweepScenario, "-o", "yaml"},
		{sweepScenario, "--workers", "-1"},
		{"merge"},
	}
	for _, args := range usage {
		code, _, stderr := runCLI(append([]string{"sweep"}, args...)...)
		assert.Equal(t, exitUsage, code, "%v: %s", args, stderr)
		assert.Contains(t, stderr, "--help", args)
	}
	code, _, stderr := runCLI("sweep", sweepScenario, "--set", "controller.userClientQPZ=12")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "userClientQPZ")
	code, _, stderr = runCLI("sweep", "nope.yaml")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "nope.yaml")

	code, stdout, _ := runCLI("sweep", "--help")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "--shard")
}

// A run that stops with an error is reported in its row, and the command
// fails once every result is out.
func TestSweepFailsWhenARunFails(t *testing.T) {
	code, stdout, stderr := runCLI("sweep", "../../sweep/testdata/failing.yaml", "--seeds", "1-2")
	assert.Equal(t, exitFailure, code)
	assert.Equal(t, 3, strings.Count(stdout, "\n"), "a header and both rows")
	assert.Contains(t, stdout, "nope")
	assert.Contains(t, stderr, "2 of 2 runs stopped with an error")
}

// The help lists every setting of the simulator's table as a --set key.
func TestSweepHelpListsEverySetting(t *testing.T) {
	help := sweepCLI(t, "--help")
	for _, s := range sim.Settings() {
		assert.Contains(t, help, "\n  "+s.Key()+" ", s.Key())
	}
}

// sweep --help gives the default release's defaults, and the releases
// whose differ.
func TestSweepHelpGivesTheDefaultReleasesDefaults(t *testing.T) {
	code, stdout, _ := runCLI("sweep", "--help")
	require.Equal(t, exitOK, code)
	assert.Regexp(t, `controller\.userClientQPS\s+number\s+24 \(v1\.7\.19: 12\) \(master: 12\)\n`, stdout)
	assert.Regexp(t, `controller\.nodeDeletion\s+wipe\|release\s+release \(master: wipe\)\n`, stdout)
}
