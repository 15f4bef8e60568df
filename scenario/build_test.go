package scenario

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/sim"
)

// traceLine is one line of the simulator's trace.
type traceLine struct {
	T      float64 `json:"t"`
	Event  string  `json:"event"`
	Object string  `json:"object"`
	Detail string  `json:"detail"`
}

func readTrace(t *testing.T, b []byte) []traceLine {
	t.Helper()
	var out []traceLine
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l traceLine
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l), sc.Text())
		out = append(out, l)
	}
	return out
}

// objects returns the objects of the trace lines with event ev, in order,
// as "t object" so tests see when each happened.
func objects(lines []traceLine, ev string) []string {
	var out []string
	for _, l := range lines {
		if l.Event == ev {
			out = append(out, fmt.Sprintf("%g %s", l.T, l.Object))
		}
	}
	return out
}

func mustParse(t *testing.T, doc string) *Scenario {
	t.Helper()
	sc, err := Parse("t.yaml", []byte(doc))
	require.NoError(t, err)
	return sc
}

func TestBuildAddsNodesNamedAfterTheirGroupAtTimeZero(t *testing.T) {
	sc := mustParse(t, `
nodeGroups:
  - {name: general, instanceType: m5.xlarge, count: 2}
  - {name: win, instanceType: m5.large, count: 1, os: windows}
`)
	var trace bytes.Buffer
	s, err := sc.Build(Options{Trace: &trace})
	require.NoError(t, err)
	assert.Zero(t, s.Now())
	assert.Equal(t, []string{"0 node/general-0", "0 node/general-1", "0 node/win-0"}, objects(readTrace(t, trace.Bytes()), "NodeAdded"))
	assert.Contains(t, trace.String(), `"detail":"m5.large windows"`)
}

func TestRunContractSmoke(t *testing.T) {
	sc, err := Load("testdata/contract-smoke.yaml")
	require.NoError(t, err)
	r, err := sc.Run(Options{})
	require.NoError(t, err)
	assert.Equal(t, uint64(1), r.Seed)
	assert.Equal(t, 900.0, r.SimulatedSeconds, "runs to until")
	assert.Equal(t, 30, r.Pods.Created)
	assert.Equal(t, 20, r.Pods.SecurityGroupPods)
	// The web pods complete after their 5 minute lifetime; the plain ones run on.
	assert.Equal(t, 10, r.Pods.Running)
	assert.Equal(t, 20, r.Pods.Succeeded)
	assert.Equal(t, 3, r.Trunks.Created, "the t3.large cannot hold a trunk")
	assert.Equal(t, 1, r.Trunks.Unsupported)
	assert.Len(t, r.TraceSHA256, 64)
}

func TestRunIsDeterministicAndSeedOverrideApplies(t *testing.T) {
	sc, err := Load("testdata/contract-smoke.yaml")
	require.NoError(t, err)
	var t1, t2 bytes.Buffer
	a, err := sc.Run(Options{Trace: &t1})
	require.NoError(t, err)
	b, err := sc.Run(Options{Trace: &t2})
	require.NoError(t, err)
	assert.Equal(t, a, b)
	assert.Equal(t, t1.String(), t2.String())
	assert.NotEmpty(t, t1.String())

	seed := uint64(7)
	c, err := sc.Run(Options{Seed: &seed})
	require.NoError(t, err)
	assert.Equal(t, uint64(7), c.Seed)
	assert.Equal(t, uint64(1), sc.Seed, "the scenario itself is unchanged")
	assert.Equal(t, seed, sc.Config(&seed).Seed)
	assert.Equal(t, uint64(1), sc.Config(nil).Seed)
}

func TestRunWithoutUntilStopsWhenIdle(t *testing.T) {
	sc := mustParse(t, `
nodeGroups: [{name: ng, instanceType: m5.large, count: 1}]
workloads: [{name: w, replicas: 3, at: 10s}]
`)
	r, err := sc.Run(Options{})
	require.NoError(t, err)
	assert.Equal(t, 3, r.Pods.Running)
	assert.Less(t, r.SimulatedSeconds, 60.0)
	assert.GreaterOrEqual(t, r.SimulatedSeconds, 10.0)
}

const eventsScenario = `
seed: 3
until: 10m
nodeGroups: [{name: ng, instanceType: m5.xlarge, count: 2}]
securityGroupPolicies:
  - apiVersion: vpcresources.k8s.aws/v1beta1
    kind: SecurityGroupPolicy
    metadata: {name: web}
    spec:
      podSelector: {matchLabels: {app: web}}
      securityGroups: {groupIds: [sg-0123456789abcdef0]}
workloads: [{name: web, labels: {app: web}, replicas: 4}]
events:
  - {at: 1m, action: addNode, nodeGroup: ng, count: 2, instanceType: m5.2xlarge}
  - {at: 2m, action: addNode, node: spare, instanceType: c5.xlarge}
  - {at: 3m, action: deleteNode, nodeGroup: ng, count: 1}
  - {at: 4m, action: deleteNode, node: spare}
  - {at: 5m, action: deletePods, workload: web, count: 2}
  - {at: 6m, action: rolloutRestart, workload: web}
  - {at: 7m, action: restartController}
`

func TestEventsHappenAtTheirTimes(t *testing.T) {
	sc := mustParse(t, eventsScenario)
	var trace bytes.Buffer
	r, err := sc.Run(Options{Trace: &trace})
	require.NoError(t, err)
	lines := readTrace(t, trace.Bytes())
	assert.Equal(t, []string{"0 node/ng-0", "0 node/ng-1", "60 node/ng-2", "60 node/ng-3", "120 node/spare"}, objects(lines, "NodeAdded"))
	assert.Contains(t, trace.String(), `"object":"node/ng-2","detail":"m5.2xlarge linux"`)
	// The oldest node of the group goes first.
	assert.Equal(t, []string{"180 node/ng-0", "240 node/spare"}, objects(lines, "NodeDeleted"))
	assert.Equal(t, []string{"420 controller"}, objects(lines, "ControllerRestarted"))
	assert.Equal(t, []string{"360 workload/default/web"}, objects(lines, "RolloutStarted"))
	// The workload keeps its four replicas through all of it.
	assert.Equal(t, 4, r.Pods.Running)
}

func TestDeletePodsDeletesTheNewestAndTheWorkloadReplacesThem(t *testing.T) {
	sc := mustParse(t, `
nodeGroups: [{name: ng, instanceType: m5.large, count: 1}]
workloads: [{name: w, replicas: 3}]
events:
  - {at: 1m, action: deletePods, workload: w, count: 2}
  - {at: 2m, action: deletePods, workload: w}
`)
	var trace bytes.Buffer
	r, err := sc.Run(Options{Trace: &trace})
	require.NoError(t, err)
	lines := readTrace(t, trace.Bytes())
	assert.Equal(t, []string{"60 pod/default/w-2", "60 pod/default/w-1", "120 pod/default/w-4", "120 pod/default/w-3", "120 pod/default/w-0"},
		objects(lines, "PodDeleted"))
	assert.Equal(t, 8, r.Pods.Created)
	assert.Equal(t, 3, r.Pods.Running)
}

func TestEventErrorNamesFileLineAndEvent(t *testing.T) {
	sc := mustParse(t, `
nodeGroups: [{name: ng, instanceType: m5.large, count: 1}]
events:
  - {at: 1m, action: deleteNode, node: ng-0}
  - {at: 2m, action: deleteNode, node: ng-0}
`)
	_, err := sc.Run(Options{})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrAction)
	assert.ErrorIs(t, err, sim.ErrNotFound)
	var e *Error
	require.True(t, errors.As(err, &e))
	assert.Equal(t, "t.yaml", e.File)
	assert.Equal(t, 5, e.Line)
	assert.Equal(t, "events[1]", e.Field)
	assert.Contains(t, err.Error(), "t.yaml:5: events[1]: scenario event failed: deleteNode")
}

func TestDeleteNodeFromAGroupTooSmallFails(t *testing.T) {
	sc := mustParse(t, `
nodeGroups: [{name: ng, instanceType: m5.large, count: 1}]
events:
  - {at: 1m, action: deleteNode, nodeGroup: ng, count: 2}
`)
	_, err := sc.Run(Options{})
	assert.ErrorIs(t, err, ErrAction)
	assert.ErrorContains(t, err, "node group ng has 1 node(s), not 2")
}

func TestAddNodeWithATakenNameFails(t *testing.T) {
	sc := mustParse(t, `
nodeGroups: [{name: ng, instanceType: m5.large, count: 1}]
events:
  - {at: 1m, action: addNode, node: ng-0, instanceType: m5.large}
`)
	_, err := sc.Run(Options{})
	assert.ErrorIs(t, err, ErrAction)
	assert.ErrorIs(t, err, sim.ErrDuplicate)
}

// Upstream: kubernetes pkg/controller/deployment/util/deployment_util.go
// (ResolveFenceposts: 25% surge rounded up, 25% unavailable rounded down,
// and one unavailable when both are zero).
func TestRolloutRestartUsesDeploymentDefaults(t *testing.T) {
	for _, tt := range []struct{ replicas, surge, unavailable int }{
		{0, 0, 1}, {1, 1, 0}, {3, 1, 0}, {4, 1, 1}, {5, 2, 1}, {10, 3, 2}, {100, 25, 25},
	} {
		s, u := defaultRollout(tt.replicas)
		assert.Equal(t, []int{tt.surge, tt.unavailable}, []int{s, u}, "replicas %d", tt.replicas)
	}
}

func TestWorkloadsStartAtTheirTimeWithTheirInterval(t *testing.T) {
	sc := mustParse(t, `
nodeGroups: [{name: ng, instanceType: m5.large, count: 1}]
workloads: [{name: w, replicas: 3, at: 30s, interval: 5s}]
`)
	var trace bytes.Buffer
	_, err := sc.Run(Options{Trace: &trace})
	require.NoError(t, err)
	assert.Equal(t, []string{"30 pod/default/w-0", "35 pod/default/w-1", "40 pod/default/w-2"}, objects(readTrace(t, trace.Bytes()), "PodCreated"))
}

func TestServiceAccountLabelsReachPolicies(t *testing.T) {
	sc := mustParse(t, `
nodeGroups: [{name: ng, instanceType: m5.large, count: 1}]
serviceAccounts: [{name: builder, labels: {team: ci}}]
securityGroupPolicies:
  - apiVersion: vpcresources.k8s.aws/v1beta1
    kind: SecurityGroupPolicy
    metadata: {name: ci}
    spec:
      serviceAccountSelector: {matchLabels: {team: ci}}
      securityGroups: {groupIds: [sg-01234567]}
workloads:
  - {name: ci, replicas: 2, serviceAccount: builder}
  - {name: other, replicas: 1}
`)
	r, err := sc.Run(Options{})
	require.NoError(t, err)
	assert.Equal(t, 3, r.Pods.Created)
	assert.Equal(t, 2, r.Pods.SecurityGroupPods)
}

func TestBuildRejectsAnInvalidConfig(t *testing.T) {
	sc := &Scenario{File: "prog.yaml", Controller: sim.Controller{GroupsPerInterface: 99}}
	_, err := sc.Build(Options{})
	assert.ErrorIs(t, err, sim.ErrBadConfig)
	assert.True(t, strings.HasPrefix(err.Error(), "prog.yaml: "), err.Error())
}

// A scenario that starts from running pods on their branch ENIs, then
// restarts their rollout: the pods are running at time zero on the nodes
// with their trunk attached, nothing is created for them, and the rollout
// replaces each branch with a new one, the old deleted after the
// cool-down.
func TestRunningStartThenRolloutRestart(t *testing.T) {
	sc := mustParse(t, `
nodeGroups: [{name: ng, instanceType: m5.large, count: 3, trunkAttached: 2}]
securityGroupPolicies:
`+policyYAML+`workloads:
  - {name: web, labels: {app: web}, replicas: 12, running: 10}
  - {name: plain, replicas: 2, running: 2}
events:
  - {at: 1m, action: rolloutRestart, workload: web}
`)
	var trace bytes.Buffer
	r, err := sc.Run(Options{Trace: &trace})
	require.NoError(t, err)
	lines := readTrace(t, trace.Bytes())
	running := objects(lines, "PodAlreadyRunning")
	require.Len(t, running, 12)
	assert.Equal(t, "0 pod/default/web-0", running[0])
	assert.Equal(t, 12, r.Pods.AlreadyRunning)
	assert.Equal(t, 10, r.Pods.FromExistingBranches)
	assert.Equal(t, 14, r.Pods.Running)
	assert.Equal(t, 1, r.Trunks.Created, "ng-2's; ng-0's and ng-1's were attached")
	assert.Equal(t, 12+2, r.BranchENIs.Created, "web-10 and web-11, then the 12 of the rollout")
	assert.Equal(t, 12, r.BranchENIs.Deleted, "the 10 running at time zero and the 2 made before the rollout")
	assert.Equal(t, 0, r.BranchENIs.Leaked)
	assert.Equal(t, []string{"0 node/ng-2"}, objects(lines, "NodeAdded")[2:], "nodes join at time zero")
}

// Pods that need a branch but find no node with its trunk attached are
// an error at the workload's line.
func TestRunningPodsWithoutATrunkFailAtTheWorkload(t *testing.T) {
	sc := mustParse(t, `
nodeGroups: [{name: ng, instanceType: m5.large, count: 1}]
securityGroupPolicies:
`+policyYAML+`workloads:
  - {name: web, labels: {app: web}, replicas: 2, running: 2}
`)
	_, err := sc.Run(Options{})
	var e *Error
	require.True(t, errors.As(err, &e), "%v", err)
	assert.Equal(t, "workloads[0]", e.Field)
	assert.Equal(t, 11, e.Line)
	assert.ErrorIs(t, err, sim.ErrBadSpec)
	assert.ErrorContains(t, err, "already running, but no node with its trunk attached")
}
