package simtest_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/limits"
	"github.com/trunksim/trunksim/scenario"
	"github.com/trunksim/trunksim/sim"
	"github.com/trunksim/trunksim/simtest"
)

// minimal returns what g draws from an all-zero bit stream: the value
// rapid shrinks a failing case toward.
func minimal[V any](t *testing.T, g *rapid.Generator[V]) V {
	t.Helper()
	var v V
	rapid.MakeFuzz(func(rt *rapid.T) { v = g.Draw(rt, "v") })(t, make([]byte, 1<<14))
	return v
}

// Every generator shrinks toward a small case a person can read.
func TestGeneratorsShrinkTowardReadableCases(t *testing.T) {
	require.Equal(t, "m5.large", minimal(t, simtest.InstanceType()))
	require.Equal(t, "m5.large", minimal(t, simtest.TrunkInstanceType()))
	require.Equal(t, []scenario.NodeGroup{{Name: "ng0", InstanceType: "m5.large", Count: 1, OS: limits.OSLinux}},
		minimal(t, simtest.NodeGroups(1, 3)))
	require.Equal(t, sg1, minimal(t, simtest.SecurityGroupID()))
	require.Equal(t, []branch.SecurityGroupID{sg1}, minimal(t, simtest.SecurityGroupSet(1, 3)))
	require.Empty(t, minimal(t, simtest.Labels()))
	require.Equal(t, &branch.LabelSelector{MatchLabels: map[string]string{"app": "web"}}, minimal(t, simtest.Selector()))
	require.Equal(t, branch.Policy{Namespace: "default", Name: "p",
		PodSelector: &branch.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
		Groups:      []branch.SecurityGroupID{sg1}}, minimal(t, simtest.Policy("p")))
	require.Equal(t, sim.PodSpec{Namespace: "default"}, minimal(t, simtest.Pod()))
	require.Equal(t, sim.Fault{API: sim.CreateNetworkInterface, Code: sim.CodeInternal, Probability: 1, From: time.Minute, Until: time.Minute + time.Second},
		minimal(t, simtest.Fault(time.Minute)))
	require.Empty(t, minimal(t, simtest.FaultPlan(0, 2)))
	require.Equal(t, []scenario.Workload{{Name: "w0", Namespace: "default", Replicas: 1}}, minimal(t, simtest.Workloads(1, 3)))

	sc := minimal(t, simtest.Cluster())
	require.Equal(t, []scenario.NodeGroup{{Name: "ng0", InstanceType: "m5.large", Count: 1, OS: limits.OSLinux}}, sc.NodeGroups)
	require.Empty(t, sc.SecurityGroupPolicies)
	require.Empty(t, sc.ServiceAccounts)
	require.Empty(t, sc.EC2.Faults)
	require.Zero(t, sc.Seed)
}

// Whatever the generators draw is valid input: policies pass Validate,
// types exist (and trunk types can trunk), faults and clusters are
// accepted by the simulator and by the scenario format, and pods can be
// created.
func TestGeneratedValuesAreValid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		table := limits.Default()
		it, err := table.Lookup(simtest.TrunkInstanceType().Draw(t, "trunkType"))
		require.NoError(t, err)
		require.NoError(t, it.CanTrunk(limits.OSLinux))
		_, err = table.Lookup(simtest.InstanceType().Draw(t, "type"))
		require.NoError(t, err)

		for _, p := range simtest.Policies(0, 3).Draw(t, "policies") {
			require.NoError(t, p.Validate())
		}
		require.NoError(t, simtest.Selector().Draw(t, "selector").Validate())
		ids := simtest.SecurityGroupSet(1, 3).Draw(t, "groups")
		require.Equal(t, branch.NewGroupSet(ids...).IDs(), ids, "canonical order, no repeats")

		from := time.Duration(rapid.IntRange(0, 3600).Draw(t, "from")) * time.Second
		f := simtest.Fault(from).Draw(t, "fault")
		require.GreaterOrEqual(t, f.From, from)
		_, err = sim.New(sim.Config{EC2: sim.EC2{Faults: []sim.Fault{f}}})
		require.NoError(t, err)

		sc := simtest.Cluster().Draw(t, "cluster")
		sc.Workloads = simtest.Workloads(0, 3).Draw(t, "workloads")
		out, err := sc.Marshal()
		require.NoError(t, err)
		back, err := scenario.Parse("cluster.yaml", out)
		require.NoError(t, err)
		h, err := simtest.Start(back, simtest.Config{})
		require.NoError(t, err)
		spec := simtest.Pod().Draw(t, "pod")
		spec.Name = "drawn"
		_, err = h.CreatePod(spec)
		require.NoError(t, err)
	})
}

// FaultSpace draws only from the calls, codes and delays it names.
func TestFaultSpaceStaysInside(t *testing.T) {
	fs := simtest.FaultSpace{APIs: []sim.API{sim.DeleteNetworkInterface}, Codes: []string{sim.CodeThrottled}, MaxDelay: 5 * time.Second}
	rapid.Check(t, func(t *rapid.T) {
		f := fs.Fault(0).Draw(t, "fault")
		require.Equal(t, sim.DeleteNetworkInterface, f.API)
		if f.Code != "" {
			require.Equal(t, sim.CodeThrottled, f.Code)
		} else {
			require.LessOrEqual(t, f.Delay, 5*time.Second)
		}
	})
	rapid.Check(t, func(t *rapid.T) {
		require.NotEmpty(t, simtest.FaultSpace{MaxDelay: -1}.Fault(0).Draw(t, "fault").Code, "no slow calls")
	})
}

// Every RunningCluster builds and runs, and the draws are not vacuous:
// over a fixed set of draws (Example, so the count does not depend on
// rapid's seed) some nodes join with their trunk attached and some pods
// start running on branch ENIs made before the run. Its minimal draw has
// nothing running.
func TestRunningClusterBuildsAndStartsRunning(t *testing.T) {
	run := func(t require.TestingT, sc *scenario.Scenario) sim.Report {
		s, err := sc.Build(scenario.Options{})
		require.NoError(t, err)
		require.NoError(t, s.Run())
		return s.Report()
	}
	rapid.Check(t, func(t *rapid.T) { run(t, simtest.RunningCluster().Draw(t, "cluster")) })
	var attached, onBranches int
	for i := range 200 {
		sc := simtest.RunningCluster().Example(i)
		for _, g := range sc.NodeGroups {
			attached += g.TrunkAttached
		}
		onBranches += run(t, sc).Pods.FromExistingBranches
	}
	require.Positive(t, attached)
	require.Positive(t, onBranches)
	m := minimal(t, simtest.RunningCluster())
	for _, w := range m.Workloads {
		require.Zero(t, w.Running)
	}
}
