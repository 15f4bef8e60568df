package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/limits"
)

func planJSON(t *testing.T, args ...string) planReport {
	t.Helper()
	code, stdout, stderr := runCLI(append([]string{"plan", "-o", "json"}, args...)...)
	require.Equal(t, exitOK, code, stderr)
	var r planReport
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&r), stdout)
	return r
}

func TestPlanJSONShape(t *testing.T) {
	code, stdout, stderr := runCLI("plan", "-o", "json", "--sg-pods", "20", "--types", "m5.large,t3.large")
	require.Equal(t, exitOK, code, stderr)
	var raw map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &raw))
	assert.Equal(t, 20.0, raw["sgPods"])
	assert.Equal(t, 0.0, raw["pods"])
	assert.Equal(t, "", raw["preset"])
	assert.Equal(t, "v1.8.2", raw["controllerRelease"])
	types := raw["types"].([]any)
	require.Len(t, types, 2)
	m5 := types[0].(map[string]any)
	for _, k := range []string{"instanceType", "trunkEligible", "nodes", "binding", "perNode", "rollout"} {
		assert.Contains(t, m5, k)
	}
	for _, k := range []string{"branchPods", "ipPods", "maxPods", "podSlots"} {
		assert.Contains(t, m5["perNode"], k)
	}
	for _, k := range []string{"seconds", "startupP50Seconds", "startupP99Seconds", "pending", "ec2Calls"} {
		assert.Contains(t, m5["rollout"], k)
	}
	t3 := types[1].(map[string]any)
	assert.Equal(t, false, t3["trunkEligible"])
	assert.Contains(t, t3["unusable"], "burstable t3 family")
	assert.NotContains(t, t3, "rollout")
}

// Upstream: pkg/aws/vpc/limits.go (m5.large: 3 interfaces of 10 IPv4
// addresses, 9 branch interfaces).
func TestPlanM5Large(t *testing.T) {
	r := planJSON(t, "--sg-pods", "100", "--types", "m5.large")
	require.Len(t, r.Types, 1)
	row := r.Types[0]
	assert.Equal(t, planPerNode{BranchPods: 9, IPPods: 18, MaxPods: 29, PodSlots: 27}, row.PerNode)
	assert.True(t, row.TrunkEligible)
	assert.Equal(t, 12, row.Nodes, "ceil(100 / 9)")
	assert.Equal(t, "branches", row.Binding)
	require.NotNil(t, row.Rollout)
	assert.Empty(t, row.Rollout.Error)
	assert.Zero(t, row.Rollout.Pending, "12 nodes hold the 100 pods in the simulation too")
	assert.Positive(t, row.Rollout.Seconds)
	assert.LessOrEqual(t, row.Rollout.StartupP50Seconds, row.Rollout.StartupP99Seconds)
	assert.LessOrEqual(t, row.Rollout.StartupP99Seconds, row.Rollout.Seconds+1e-9)
}

func TestPlanNamesTheBindingLimit(t *testing.T) {
	tests := []struct {
		name        string
		sgPods      int
		pods        int
		typ         string
		nodes       int
		binding     string
		wantPending bool
	}{
		// 18 branch + 42 IP pods need 60 slots; a c5.xlarge has 56.
		{"max pods", 18, 42, "c5.xlarge", 2, "max-pods", false},
		{"IPs", 9, 40, "m5.large", 3, "ips", false},
		{"branches", 30, 10, "m5.large", 4, "branches", false},
		// m5.large: 9 + 18 = 27 = its pod slots, so all three tie; max pods is named.
		{"exact fit ties to max pods", 9, 18, "m5.large", 1, "max-pods", false},
		{"ordinary pods only", 0, 100, "m5.large", 4, "max-pods", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := planJSON(t, "--sg-pods", strconv.Itoa(tt.sgPods), "--pods", strconv.Itoa(tt.pods), "--types", tt.typ)
			row := r.Types[0]
			assert.Equal(t, tt.nodes, row.Nodes)
			assert.Equal(t, tt.binding, row.Binding)
			require.NotNil(t, row.Rollout)
			assert.Empty(t, row.Rollout.Error)
			assert.Zero(t, row.Rollout.Pending)
		})
	}
}

func TestNodesNeededAgreesWithTheCapacityArithmetic(t *testing.T) {
	tbl := limits.Default()
	for _, it := range tbl.All() {
		if it.CanTrunk(limits.OSLinux) != nil {
			continue
		}
		c := it.Capacity(true)
		// One node's worth of branch pods needs exactly one node, unless
		// max pods leaves less room than the branches.
		n, _ := nodesNeeded(c, c.SecurityGroupPods, 0)
		assert.Equal(t, 1, n, it.Name)
		n, _ = nodesNeeded(c, c.SecurityGroupPods+1, 0)
		assert.Equal(t, 2, n, it.Name)
	}
}

func TestPlanTableExplainsIneligibleTypes(t *testing.T) {
	code, stdout, stderr := runCLI("plan", "--sg-pods", "50", "--types", "m5.large, m5.xlarge,t3.large")
	require.Equal(t, exitOK, code, stderr)
	golden(t, "plan.txt", stdout)
	assert.Contains(t, stdout, "t3.large cannot hold a trunk ENI: burstable t3 family instances are not trunking compatible.")
}

func TestPlanErrors(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"unknown type", []string{"--types", "m5.larg"}, exitFailure, "did you mean m5.large"},
		{"negative pods", []string{"--pods", "-1"}, exitUsage, "--pods -1: want 0 or more"},
		{"nothing to plan", []string{"--sg-pods", "0"}, exitUsage, "nothing to plan"},
		{"too many", []string{"--sg-pods", "2000000"}, exitUsage, "at most 1000000"},
		{"bad preset", []string{"--preset", "fast"}, exitUsage, "want upstream or raised-limits"},
		{"bad format", []string{"-o", "text"}, exitUsage, "want table or json"},
		{"stray argument", []string{"m5.large"}, exitUsage, `unexpected argument "m5.large"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(append([]string{"plan"}, tt.args...)...)
			assert.Equal(t, tt.code, code)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, tt.stderr)
		})
	}
}

// Doubling the EC2 user client (PR #675) does not speed a 300-pod rollout
// up: EC2's own account bucket for CreateNetworkInterface (50, 5 a
// second) throttles the faster client, and the SDK's back-offs take what
// the client limiter gave back. The two rollouts end within 5% of each
// other.
func TestPlanRaisedLimitsIsNoFaster(t *testing.T) {
	up := planJSON(t, "--sg-pods", "300", "--types", "m5.xlarge")
	raised := planJSON(t, "--sg-pods", "300", "--types", "m5.xlarge", "--preset", "raised-limits")
	assert.Equal(t, "raised-limits", raised.Preset)
	assert.InEpsilon(t, up.Types[0].Rollout.Seconds, raised.Types[0].Rollout.Seconds, 0.05)
}
