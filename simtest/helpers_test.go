package simtest_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/scenario"
	"github.com/trunksim/trunksim/sim"
	"github.com/trunksim/trunksim/simtest"
)

var (
	sg1 = branch.MustParseSecurityGroupID("sg-00000000000000001")
	sg2 = branch.MustParseSecurityGroupID("sg-00000000000000002")
	sg3 = branch.MustParseSecurityGroupID("sg-00000000000000003")
	sg4 = branch.MustParseSecurityGroupID("sg-00000000000000004")
)

// policy returns a policy giving pods labelled app=<app> the groups.
func policy(name, app string, groups ...branch.SecurityGroupID) branch.Policy {
	return branch.Policy{Namespace: "default", Name: name,
		PodSelector: &branch.LabelSelector{MatchLabels: map[string]string{"app": app}}, Groups: groups}
}

// start begins a harness on a fixed cluster: node groups of m5.large
// nodes with the given counts, and the policies.
func start(t *testing.T, counts []int, policies ...branch.Policy) *simtest.Harness {
	t.Helper()
	sc := &scenario.Scenario{File: "fault.yaml", Seed: 7, SecurityGroupPolicies: policies}
	for i, n := range counts {
		sc.NodeGroups = append(sc.NodeGroups, scenario.NodeGroup{Name: fmt.Sprintf("ng%d", i), InstanceType: "m5.large", Count: n})
	}
	h, err := simtest.Start(sc, simtest.Config{})
	require.NoError(t, err)
	return h
}

// createPods creates n pods labelled app=<app>, named <app>0, <app>1, ...
// after those already made, and returns their keys.
func createPods(t *testing.T, h *simtest.Harness, app string, n int) []string {
	t.Helper()
	var keys []string
	for range n {
		name := fmt.Sprintf("%s%d", app, countPrefix(h.Workloads(), app))
		key, err := h.CreatePod(sim.PodSpec{Name: name, Labels: map[string]string{"app": app}})
		require.NoError(t, err)
		keys = append(keys, key)
	}
	return keys
}

func countPrefix(names []string, prefix string) int {
	n := 0
	for _, s := range names {
		if strings.HasPrefix(s, prefix) {
			n++
		}
	}
	return n
}

// advance lets d pass and requires that nothing failed.
func advance(t *testing.T, h *simtest.Harness, d time.Duration) {
	t.Helper()
	require.NoError(t, h.Advance(d))
}

// settle runs the harness idle and requires that every invariant holds
// but those upstream breaks too, which it returns.
func settle(t *testing.T, h *simtest.Harness) []simtest.Violation {
	t.Helper()
	require.NoError(t, h.Settle())
	all := h.Violations()
	require.Empty(t, simtest.Unexplained(all), "unexplained violations:\n%s", h.FailureReport(all))
	return all
}

// survivors checks what every fault test asserts once its fault has ended
// and the simulation has run idle, and returns the pods running with a
// branch:
//   - the branch ENIs in EC2 are exactly those of live pods;
//   - every running pod that requested a branch has one in EC2 on its
//     node, with its VLAN, carrying the groups its policies give it
//     (the harness's groups and policies invariants say how they were
//     resolved), and no two share a VLAN on a node;
//   - every pending pod has a Warning event, or no node could take it.
func survivors(t *testing.T, h *simtest.Harness) []*simtest.TracedPod {
	t.Helper()
	require.True(t, h.Idle())
	v := h.View()
	live := map[branch.ENIID]bool{}
	var running []*simtest.TracedPod
	type nodeVLAN struct {
		node string
		vlan branch.VLAN
	}
	vlans := map[nodeVLAN]string{}
	for _, p := range v.Pods {
		if !p.Live() {
			continue
		}
		if p.ENI.IsValid() {
			live[p.ENI] = true
		}
		switch {
		case p.Phase == sim.Running && p.NeedsBranch:
			running = append(running, p)
			e, ok := h.Sim().EC2().Lookup(p.ENI)
			require.True(t, ok, "pod %s runs with %v, which EC2 lacks", p.Key(), p.ENI)
			require.Equal(t, p.Node, e.Instance, "pod %s", p.Key())
			require.Equal(t, p.VLAN, e.VLAN, "pod %s", p.Key())
			require.Equal(t, p.Requested, e.Groups, "pod %s", p.Key())
			k := nodeVLAN{p.Node, p.VLAN}
			require.Empty(t, vlans[k], "pods %s and %s share VLAN %d on %s", vlans[k], p.Key(), p.VLAN, p.Node)
			vlans[k] = p.Key()
		case p.Phase == sim.Pending && p.Node != "":
			require.NotEmpty(t, p.Warnings, "pod %s pending on %s with no Warning event", p.Key(), p.Node)
		case p.Phase == sim.Pending:
			st, ok := h.Sim().Pod(p.Namespace, p.Name)
			require.True(t, ok)
			require.NotEmpty(t, st.Reason, "pod %s unscheduled with no reason", p.Key())
		}
	}
	for _, e := range h.Sim().EC2().Interfaces() {
		if e.Kind == sim.BranchInterface {
			require.True(t, live[e.ID], "branch %v (%s VLAN %d) is in EC2 but no live pod holds it", e.ID, e.Instance, e.VLAN)
		}
	}
	return running
}

// groupsOf returns the canonical set of groups.
func groupsOf(ids ...branch.SecurityGroupID) branch.GroupSet { return branch.NewGroupSet(ids...) }

// fillNode creates pods labelled app=<app> until every node's branch
// slots are taken, settles, and requires that all of them run: proof that
// no slot or VLAN was lost.
func fillNodes(t *testing.T, h *simtest.Harness, app string) {
	t.Helper()
	free := 0
	for _, n := range h.Sim().Nodes() {
		if n.PodENICapacity > 0 {
			free += n.PodENICapacity - n.BranchesInUse
		}
	}
	keys := createPods(t, h, app, free)
	settle(t, h)
	for _, key := range keys {
		ns, name, _ := strings.Cut(key, "/")
		st, ok := h.Sim().Pod(ns, name)
		require.True(t, ok, key)
		require.Equal(t, sim.Running, st.Phase, "%s: %s", key, st.Reason)
	}
}

// clusterOf is the scenario of one node group of n m5.large nodes.
func clusterOf(n int) *scenario.Scenario {
	return &scenario.Scenario{File: "fault.yaml", Seed: 7,
		NodeGroups: []scenario.NodeGroup{{Name: "ng0", InstanceType: "m5.large", Count: n}}}
}

// podSpec is the i-th web pod.
func podSpec(i int) sim.PodSpec {
	return sim.PodSpec{Name: fmt.Sprintf("web%d", i), Labels: map[string]string{"app": "web"}}
}
