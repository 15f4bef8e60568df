package simtest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/limits"
	"github.com/trunksim/trunksim/scenario"
	"github.com/trunksim/trunksim/sim"
	"github.com/trunksim/trunksim/simtest"
)

// kitConfig is the harness configuration the kit's own property tests use.
func kitConfig() simtest.Config {
	return simtest.Config{
		Fault:   simtest.Fault,
		Cluster: simtest.ClusterWith(rapid.SliceOfN(simtest.Fault(0), 0, 2)),
	}
}

// The kit's own invariants hold under every action it has.
func TestInvariantsHoldUnderKitActions(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := simtest.New(t, kitConfig())
		h.Run(t)
	})
}

// The scenario the harness records replays the run exactly: `trunksim
// run` on it gives the same trace, event for event, and so the same trace
// hash, whatever actions were drawn, policy changes included (applyPolicy
// and deletePolicy events).
func TestRecordedScenarioReplaysExactly(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) { replaysExactly(t, nil) })
}

// replaysExactly draws a cluster with gen (nil: the kit's), runs every
// action on it, and checks that the recorded scenario replays the run
// event for event.
func replaysExactly(t *rapid.T, gen *rapid.Generator[*scenario.Scenario]) {
	cfg := kitConfig()
	if gen != nil {
		cfg.Cluster = gen
	}
	h := simtest.New(t, cfg)
	h.Run(t)
	require.Empty(t, h.Unreplayable())
	yaml, err := h.ScenarioYAML()
	require.NoError(t, err)
	if h.Now() == 0 {
		t.Skip("nothing happened: a scenario without until runs to idle")
	}
	s, trace, err := simtest.Replay("replay.yaml", yaml)
	require.NoError(t, err)
	require.Equal(t, h.Now(), s.Now())
	require.Equal(t, h.Trace(), trace, "%s", yaml)
	require.Equal(t, h.Sim().Report().TraceSHA256, s.Report().TraceSHA256)
	require.Contains(t, string(yaml), s.Report().TraceSHA256, "the file names the hash its replay has")
}

// Policy changes mid-run are written as applyPolicy and deletePolicy
// events, and the file replays the run.
func TestPolicyChangesAreRecordedAsEvents(t *testing.T) {
	h := start(t, []int{1}, policy("web", "web", sg1))
	createPods(t, h, "web", 2)
	advance(t, h, 10*time.Second)
	require.NoError(t, h.RemovePolicy("default", "web"))
	require.NoError(t, h.AddPolicy(policy("api", "api", sg2)))
	createPods(t, h, "api", 2)
	settle(t, h)
	require.Empty(t, h.Unreplayable())
	yaml, err := h.ScenarioYAML()
	require.NoError(t, err)
	require.Contains(t, string(yaml), "action: deletePolicy")
	require.Contains(t, string(yaml), "action: applyPolicy")
	s, _, err := simtest.Replay("policies.yaml", yaml)
	require.NoError(t, err)
	require.Equal(t, h.Sim().Report().TraceSHA256, s.Report().TraceSHA256, "%s", yaml)
}

// A refused action names what it was about and changes nothing: not the
// clock, not the trace, not the recording.
func TestRefusedActionsChangeNothing(t *testing.T) {
	h := start(t, []int{1}, policy("web", "web", sg1))
	createPods(t, h, "web", 1)
	advance(t, h, 10*time.Second)
	for _, tc := range []struct {
		name string
		call func() error
		want error
	}{
		{"unknown node group", func() error { _, err := h.AddNode("nope"); return err }, simtest.ErrNoSuchObject},
		{"unknown node", func() error { return h.DeleteNode("ng0-9") }, simtest.ErrNoSuchObject},
		{"unknown workload", func() error { _, err := h.DeletePod("nope"); return err }, simtest.ErrNoSuchObject},
		{"unknown policy", func() error { return h.RemovePolicy("default", "nope") }, simtest.ErrNoSuchObject},
		{"duplicate policy", func() error { return h.AddPolicy(policy("web", "api", sg2)) }, sim.ErrDuplicate},
		{"policy the API server refuses", func() error { return h.AddPolicy(policy("API", "api", sg2)) }, branch.ErrInvalidPolicy},
		{"duplicate pod", func() error { _, err := h.CreatePod(sim.PodSpec{Name: "web0"}); return err }, sim.ErrDuplicate},
		{"fault window in the past", func() error {
			return h.InjectFault(sim.Fault{API: sim.CreateNetworkInterface, Code: sim.CodeInternal, Probability: 1, From: time.Second})
		}, sim.ErrBadSpec},
		{"invalid fault", func() error {
			return h.InjectFault(sim.Fault{API: sim.CreateNetworkInterface, Probability: 1, From: time.Hour})
		}, sim.ErrBadConfig},
		{"negative advance", func() error { return h.Advance(-time.Second) }, sim.ErrBadSpec},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now, events, sc := h.Now(), len(h.Trace()), h.Scenario()
			err := tc.call()
			require.ErrorIs(t, err, tc.want)
			var oe *simtest.ObjectError
			require.ErrorAs(t, err, &oe)
			require.Equal(t, now, h.Now())
			require.Len(t, h.Trace(), events)
			require.Equal(t, sc, h.Scenario())
			require.Empty(t, h.Unreplayable())
		})
	}
}

// A user's own action joins the kit's: here a scaler that adds a node to
// the first group whenever a pod waits for vpc.amazonaws.com/pod-eni.
// What it does goes through the harness, so it is checked and recorded
// like the kit's own actions.
func TestUserActionsJoinTheKits(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := simtest.New(t, kitConfig())
		actions := h.Actions()
		actions["scaleOut"] = func(t *rapid.T) {
			for _, st := range h.Sim().Pods() {
				if st.Phase == sim.Pending && strings.HasPrefix(st.Reason, "Insufficient vpc.amazonaws.com/pod-eni") {
					_, err := h.AddNode(h.NodeGroups()[0])
					require.NoError(t, err)
					return
				}
			}
			t.Skip("no pod waits for pod-eni")
		}
		t.Repeat(actions)
		sc := h.Scenario()
		recorded := 0
		for _, e := range sc.Events {
			if e.Action == scenario.AddNode {
				recorded++
			}
		}
		for _, g := range sc.NodeGroups {
			recorded += g.Count
		}
		added := 0
		for _, ev := range h.Trace() {
			if ev.Event == "NodeAdded" {
				added++
			}
		}
		require.Equal(t, added, recorded, "every node added, by the kit or the scaler, is in the scenario")
	})
}

// With Karpenter launching nodes beside the node groups, the invariants
// still hold under every action, and the recorded scenario, NodePools
// included, replays the run exactly.
func TestInvariantsHoldWithKarpenter(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) { replaysExactly(t, simtest.KarpenterCluster()) })
}

// With cluster-autoscaler growing and shrinking a node group, the
// invariants hold under every action and the recorded scenario replays
// the run exactly.
func TestInvariantsHoldWithClusterAutoscaler(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) { replaysExactly(t, simtest.AutoscaledCluster()) })
}

// On a fixed cluster whose only room for security-group pods is an
// autoscaled group, the harness's pods make cluster-autoscaler add nodes,
// every invariant holds, and the recorded scenario replays exactly: the
// property above is not vacuous.
func TestHarnessDrivesClusterAutoscaler(t *testing.T) {
	sc := &scenario.Scenario{File: "asg.yaml", Seed: 7, SecurityGroupPolicies: []branch.Policy{policy("web", "web", sg1)},
		NodeGroups: []scenario.NodeGroup{
			{Name: "small", InstanceType: "t3.medium", Count: 1, OS: limits.OSLinux},
			{Name: "asg", InstanceType: "m5.large", Count: 0, OS: limits.OSLinux, Autoscaling: &scenario.Autoscaling{MaxSize: 4, TemplatePodENI: 9}},
		}}
	h, err := simtest.Start(sc, simtest.Config{})
	require.NoError(t, err)
	createPods(t, h, "web", 12)
	settle(t, h)
	r := h.Sim().Report()
	require.NotNil(t, r.ClusterAutoscaler)
	// Two nodes for 12 pods at 9 a node; they join on a scan (70s is seven
	// scans) before their trunks, so that scan asks for two more.
	assert.Equal(t, 4, r.ClusterAutoscaler.NodesAdded)
	assert.Equal(t, 12, r.Pods.Running)
	yaml, err := h.ScenarioYAML()
	require.NoError(t, err)
	s, _, err := simtest.Replay("asg.yaml", yaml)
	require.NoError(t, err)
	assert.Equal(t, r.TraceSHA256, s.Report().TraceSHA256)
}

// Started from a running state, trunks attached and pods running on their
// branches as an imported cluster starts, the invariants hold under every
// action and the recorded scenario, trunkAttached and running included,
// replays the run exactly.
func TestInvariantsHoldFromARunningState(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) { replaysExactly(t, simtest.RunningCluster()) })
}
