package main

import (
	"encoding/json"
	"io"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/scenario"
	"github.com/trunksim/trunksim/sweep"
)

func TestExplainGolden(t *testing.T) {
	for _, tc := range []struct {
		golden string
		args   []string
	}{
		{"explain-slowest.txt", []string{"testdata/rollout.yaml", "--slowest"}},
		{"explain-pending.txt", []string{"testdata/pending.yaml", "--pending", "--max", "2"}},
		{"explain-pod.json", []string{"testdata/full-node.yaml", "--pod", "default/web-2", "-o", "json"}},
	} {
		code, stdout, stderr := runCLI(append([]string{"explain"}, tc.args...)...)
		require.Equal(t, exitOK, code, stderr)
		golden(t, tc.golden, stdout)
	}
}

// Every remedy explain prints was measured: running the scenario with
// its settings gives the pod the start-up explain says it would have.
func TestExplainRemediesAreMeasured(t *testing.T) {
	for _, file := range []string{"testdata/rollout.yaml", "testdata/pending.yaml"} {
		pickFlag := "--slowest"
		if file == "testdata/pending.yaml" {
			pickFlag = "--pending"
		}
		code, stdout, stderr := runCLI("explain", file, pickFlag, "-o", "json")
		require.Equal(t, exitOK, code, stderr)
		var ex explanation
		require.NoError(t, json.Unmarshal([]byte(stdout), &ex))
		require.NotEmpty(t, ex.Remedies, file)
		source, err := os.ReadFile(file)
		require.NoError(t, err)
		for _, r := range ex.Remedies {
			require.Empty(t, r.Error)
			var settings []sweep.Setting
			for k, v := range r.Settings {
				settings = append(settings, sweep.Setting{Key: k, Value: v})
			}
			sc, err := sweep.Apply(file, source, settings)
			require.NoError(t, err, r.Change)
			o, err := runOnce(sc, nil, nil, io.Discard)
			require.NoError(t, err)
			ready := 0
			for _, p := range r.Pods {
				st := o.pods[p.Pod]
				if p.StartupSeconds == nil {
					assert.False(t, st.NetworkReady, "%s: %s", r.Change, p.Pod)
					continue
				}
				ready++
				assert.InDelta(t, (st.Ready - st.Created).Seconds(), *p.StartupSeconds, 0.0005, "%s: %s", r.Change, p.Pod)
			}
			assert.Equal(t, ready, r.Ready, r.Change)
			assert.Equal(t, o.report.StartupLatencySeconds.P99, r.P99Seconds, r.Change)
		}
		for i := 1; i < len(ex.Remedies); i++ {
			a, b := ex.Remedies[i-1], ex.Remedies[i]
			assert.True(t, a.NewlyReady > b.NewlyReady || a.NewlyReady == b.NewlyReady && a.SavedSeconds >= b.SavedSeconds, "ranked: %s before %s", a.Change, b.Change)
		}
	}
}

// The slowest pod is the security-group pod with the longest start-up,
// and its parts add up to that start-up.
func TestExplainSlowestIsTheSlowest(t *testing.T) {
	sc, err := scenario.Load("testdata/rollout.yaml")
	require.NoError(t, err)
	o, err := runOnce(sc, nil, nil, io.Discard)
	require.NoError(t, err)
	code, stdout, stderr := runCLI("explain", "testdata/rollout.yaml", "--slowest", "-o", "json")
	require.Equal(t, exitOK, code, stderr)
	var ex explanation
	require.NoError(t, json.Unmarshal([]byte(stdout), &ex))
	require.Len(t, ex.Pods, 1)
	p := ex.Pods[0]
	assert.InDelta(t, o.report.StartupLatencySeconds.Max, *p.StartupSeconds, 0.0005)
	sum := 0.0
	for _, c := range p.CriticalPath {
		sum += c.Seconds
	}
	assert.InDelta(t, *p.StartupSeconds, sum, 0.005)
	require.NotEmpty(t, p.Timeline)
	assert.Equal(t, "PodRunning", p.Timeline[len(p.Timeline)-1].Event)
}

func TestExplainRefuses(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		say  string
	}{
		{[]string{"explain", "testdata/rollout.yaml"}, exitUsage, "exactly one of --pod, --slowest and --pending"},
		{[]string{"explain", "testdata/rollout.yaml", "--slowest", "--pending"}, exitUsage, "exactly one of"},
		{[]string{"explain", "--slowest"}, exitUsage, "got 0"},
		{[]string{"explain", "testdata/rollout.yaml", "--pod", "api-1"}, exitUsage, "NAMESPACE/NAME"},
		{[]string{"explain", "testdata/rollout.yaml", "--pending", "--max", "0"}, exitUsage, "--max"},
		{[]string{"explain", "testdata/rollout.yaml", "--pod", "shop/nope"}, exitFailure, "no pod shop/nope"},
		{[]string{"explain", "testdata/rollout.yaml", "--pending"}, exitFailure, "no pod is pending"},
		{[]string{"explain", "testdata/pod-eni-off.yaml", "--slowest"}, exitFailure, "try --pending"},
	} {
		code, _, stderr := runCLI(tc.args...)
		assert.Equal(t, tc.code, code, "%v: %s", tc.args, stderr)
		assert.Contains(t, stderr, tc.say, tc.args)
	}
}

// explain and diff on the shipped examples, as the README shows them.
func TestExamplesExplainAndDiffGolden(t *testing.T) {
	code, stdout, stderr := runCLI("explain", "../../examples/rolling-update/scenario.yaml", "--slowest")
	require.Equal(t, exitOK, code, stderr)
	golden(t, "example-rolling-update-explain.txt", stdout)
	code, stdout, stderr = runCLI("diff", "../../examples/scale-test/scenario.yaml", "../../examples/scale-test/v1.7.19.yaml")
	require.Equal(t, exitOK, code, stderr)
	golden(t, "example-scale-test-diff.txt", stdout)
	// The imported cluster's pods run from the start; the README adds a
	// rollout restart of payments before asking for the slowest pod.
	code, _, stderr = runCLI("explain", "../../examples/imported/scenario.yaml", "--slowest")
	require.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "no security-group pod got its network during the run (3 were running on their branch ENIs at time zero)")
	imported, err := os.ReadFile("../../examples/imported/scenario.yaml")
	require.NoError(t, err)
	rollout := string(imported) + "events: [{at: 1m, action: rolloutRestart, workload: payments}]\n"
	code, stdout, stderr = runCLIWithInput(rollout, "explain", "-", "--slowest", "-o", "json")
	require.Equal(t, exitOK, code, stderr)
	golden(t, "example-imported-explain.json", stdout)
	code, stdout, stderr = runCLI("explain", "../../examples/imported/scenario.yaml", "--pod", "shop/payments-0")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "pod shop/payments-0: Running on general-eu-west-1b-0, running before the run began\n"+
		"  why: it was running before the run began, on a branch ENI the controller rebuilt from its pod-eni annotation\n")
}
