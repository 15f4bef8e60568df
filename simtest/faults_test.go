package simtest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/sim"
	"github.com/trunksim/trunksim/simtest"
)

// Each test here injects one kind of fault while pods are being given
// branch ENIs, lets the fault end, runs the simulation idle, and asserts
// what survived: no ENI leaked (or, where upstream leaks, exactly the
// leak upstream has, reported as such), no VLAN lost, and every pod
// running with the right groups or carrying an event that says why not.

// An EC2 error and throttling storm during a rollout: the failed
// creations are rolled back and their ENIs deleted, pods out of retries
// wait for the resync with a BranchAllocationFailed event, and the resync
// gets every pod running.
// Upstream: pkg/provider/branch/trunk/trunk.go (CreateAndAssociateBranchENIs,
// PushENIsToFrontOfDeleteQueue); pkg/worker/worker.go (retries, then resync).
func TestFaultErrorAndThrottlingStormLosesNothing(t *testing.T) {
	h := start(t, []int{3}, policy("web", "web", sg1, sg2))
	advance(t, h, 5*time.Second) // trunks ready
	from := h.Now() + simtest.Tick
	storm := []sim.Fault{
		{API: sim.CreateNetworkInterface, Code: sim.CodeInternal, Probability: 0.5, From: from, Until: from + 2*time.Minute},
		{API: sim.CreateNetworkInterface, Code: sim.CodeNoFreeAddresses, Probability: 0.8, From: from, Until: from + 2*time.Minute},
		{API: sim.CreateNetworkInterfacePermission, Code: sim.CodeUnavailable, Probability: 0.5, From: from, Until: from + 2*time.Minute},
		{API: sim.AssociateTrunkInterface, Code: sim.CodeThrottled, Probability: 0.8, From: from, Until: from + 2*time.Minute},
	}
	require.NoError(t, h.InjectFault(storm...))
	keys := createPods(t, h, "web", 24)
	advance(t, h, 2*time.Minute)
	settle(t, h)

	require.Positive(t, h.Sim().EC2().Errors(), "the storm hit")
	running := survivors(t, h)
	failed := 0
	for _, p := range h.View().Pods {
		if p.Phase == sim.Pending {
			failed++
			require.Contains(t, p.Warnings[len(p.Warnings)-1].Message(), "failed to allocate branch ENI")
		}
	}
	require.Positive(t, failed, "some pods ran out of retries in the storm")
	require.Len(t, running, len(keys)-failed)

	// The resync retries the dropped pods once the storm is over.
	advance(t, h, 31*time.Minute)
	settle(t, h)
	running = survivors(t, h)
	require.Len(t, running, len(keys))
	for _, p := range running {
		require.Equal(t, groupsOf(sg1, sg2), p.Requested, p.Key())
	}
	fillNodes(t, h, "more")
}

// Slow EC2 calls while pods come and go: pods deleted while their branch
// is still being made get BranchENIAnnotationFailed and their ENI is
// deleted; the replacements and the rest run.
// Upstream: pkg/provider/branch/provider.go (CreateAndAnnotateResources:
// annotation failure pushes the ENI to the front of the delete queue).
func TestFaultSlowCallsLoseNothing(t *testing.T) {
	h := start(t, []int{2}, policy("web", "web", sg1))
	advance(t, h, 5*time.Second)
	from := h.Now() + simtest.Tick
	require.NoError(t, h.InjectFault(
		sim.Fault{API: sim.CreateNetworkInterface, Delay: 20 * time.Second, Probability: 1, From: from, Until: from + 3*time.Minute},
		sim.Fault{API: sim.AssociateTrunkInterface, Delay: 10 * time.Second, Probability: 0.5, From: from, Until: from + 3*time.Minute}))
	createPods(t, h, "web", 12)
	advance(t, h, 15*time.Second)
	for _, w := range []string{"web0", "web3", "web6", "web9"} {
		ok, err := h.DeletePod(w)
		require.NoError(t, err)
		require.True(t, ok)
	}
	settle(t, h)

	running := survivors(t, h)
	require.Len(t, running, 12, "the deleted pods were replaced")
	deletedMidFlight := 0
	for _, p := range h.View().Pods {
		if p.Phase == sim.Deleted {
			require.False(t, p.ENI.IsValid(), "%s was annotated before it was deleted", p.Key())
			for _, w := range p.Warnings {
				if w.Event == "BranchENIAnnotationFailed" {
					deletedMidFlight++
				}
			}
		}
	}
	require.Equal(t, 4, deletedMidFlight, "each deleted pod's branch was made, then given back")
	fillNodes(t, h, "more")
}

// A node deleted while its branches are being created: creations that
// finish after the NodeDelete job has dropped the trunk leave their ENIs
// in EC2, as upstream does until a cleaner deletes them; the simulator
// reports exactly those as leaks upstream shares, and nothing on the
// surviving node is lost.
// Upstream: pkg/node/manager/manager.go (DeleteNode);
// pkg/provider/branch/provider.go (DeleteNode, 1 min delay);
// pkg/provider/branch/trunk/trunk.go (DeleteAllBranchENIs).
func TestFaultNodeTerminatedWhileBranchesAreCreated(t *testing.T) {
	h := start(t, []int{1, 1}, policy("web", "web", sg1, sg3))
	advance(t, h, 5*time.Second)
	from := h.Now() + simtest.Tick
	// Permission calls outlast the minute between the node's deletion and
	// the NodeDelete job, so the association that follows finds no trunk.
	require.NoError(t, h.InjectFault(sim.Fault{API: sim.CreateNetworkInterfacePermission, Delay: 70 * time.Second, Probability: 1, From: from, Until: from + 10*time.Second}))
	createPods(t, h, "web", 8)
	advance(t, h, 5*time.Second)
	require.NoError(t, h.DeleteNode("ng0-0"))
	all := settle(t, h)

	var leaked []simtest.Violation
	for _, v := range all {
		if v.Leak && v.Invariant == "idle" {
			leaked = append(leaked, v)
			require.Contains(t, v.What, "on ng0-0 ", "only the deleted node's branches leak")
			require.Contains(t, v.Upstream, "deleted node")
		}
	}
	require.NotEmpty(t, leaked, "the deleted node's in-flight branches leak, as upstream")
	require.Equal(t, len(leaked), h.Sim().Report().BranchENIs.Leaked)
	for _, e := range h.Sim().EC2().Interfaces() {
		if e.Kind == sim.BranchInterface && e.Instance == "ng0-0" {
			require.Empty(t, e.Association, "%v still associated with the terminated trunk", e.ID)
		}
	}

	// Everything the survivor holds is accounted for, and it fills up.
	for _, p := range h.View().Pods {
		if p.Live() {
			require.Equal(t, "ng1-0", p.Node, p.Key())
		}
	}
	h2 := survivorsExceptLeaks(t, h)
	require.Len(t, h2, 8, "the evicted pods were replaced on the survivor")
	fillNodes(t, h, "more")
}

// survivorsExceptLeaks is survivors for a run whose only leftover ENIs are
// the upstream leaks of a deleted node.
func survivorsExceptLeaks(t *testing.T, h *simtest.Harness) []*simtest.TracedPod {
	t.Helper()
	var running []*simtest.TracedPod
	for _, p := range h.View().Pods {
		if p.Phase == sim.Running && p.NeedsBranch {
			e, ok := h.Sim().EC2().Lookup(p.ENI)
			require.True(t, ok, p.Key())
			require.Equal(t, p.Requested, e.Groups, p.Key())
			running = append(running, p)
		}
	}
	return running
}

// The controller restarted in the middle of work, twice: while branches
// are being created and while released ones are cooling down and being
// deleted. The restarted controller rebuilds each trunk from the pods'
// annotations and the ENIs EC2 holds, deletes the orphans after the
// cool-down, and finishes the creations.
// Upstream: pkg/provider/branch/trunk/trunk.go (InitTrunk);
// pkg/provider/branch/provider.go (InitResource).
func TestFaultControllerRestartMidWorkLosesNothing(t *testing.T) {
	h := start(t, []int{2}, policy("web", "web", sg2))
	advance(t, h, 5*time.Second)
	createPods(t, h, "web", 16)
	advance(t, h, 200*time.Millisecond) // a few annotated, most in flight
	annotated := 0
	for _, p := range h.View().Pods {
		if p.ENI.IsValid() {
			annotated++
		}
	}
	require.Less(t, annotated, 16)
	require.NoError(t, h.RestartController())
	advance(t, h, 20*time.Second)
	for _, w := range []string{"web1", "web2", "web5", "web8"} {
		_, err := h.DeletePod(w)
		require.NoError(t, err)
	}
	advance(t, h, 70*time.Second) // cooled; the sweep is under way
	require.NoError(t, h.RestartController())
	settle(t, h)

	running := survivors(t, h)
	require.Len(t, running, 16)
	for _, p := range running {
		require.Equal(t, groupsOf(sg2), p.Requested, p.Key())
	}
	restarts := 0
	for _, ev := range h.Trace() {
		if ev.Event == "ControllerRestarted" {
			restarts++
		}
	}
	require.Equal(t, 2, restarts)
	fillNodes(t, h, "more")
}

// A policy deleted, and another changed, while its pods are being
// created: pods resolved before the change carry the old groups; pods
// resolved after it get the new groups, or, with no policy left, the
// instance's groups and a Warning SecurityGroupRequested event saying so.
// Upstream: pkg/provider/branch/trunk/trunk.go (CreateAndAssociateBranchENIs
// resolves groups when it creates the branch); webhooks/core/pod_webhook.go
// (the pod-eni request is decided at admission).
func TestFaultPolicyChangedWhilePodsAreCreated(t *testing.T) {
	h := start(t, []int{1}, policy("web", "web", sg1), policy("api", "api", sg3))
	createPods(t, h, "web", 3)
	createPods(t, h, "api", 3)
	advance(t, h, 5*time.Second) // ng0-0 is ready: these six are resolved
	_, err := h.AddNode("ng0")   // ng0-1 will be ready about 4 s from now
	require.NoError(t, err)
	createPods(t, h, "web", 6) // three fit on ng0-0 at once, the rest wait
	createPods(t, h, "api", 6) // these all wait for ng0-1
	changedAt := h.Now()
	require.NoError(t, h.RemovePolicy("default", "web"))
	require.NoError(t, h.RemovePolicy("default", "api"))
	require.NoError(t, h.AddPolicy(policy("api-v2", "api", sg4)))
	settle(t, h)

	running := survivors(t, h)
	require.Len(t, running, 18)
	var old, instance, changed int
	for _, p := range running {
		app := strings.TrimRight(p.Name[:strings.IndexByte(p.Name, '-')], "0123456789")
		switch {
		case p.RequestedAt <= changedAt && app == "web":
			require.Equal(t, groupsOf(sg1), p.Requested, p.Key())
			old++
		case p.RequestedAt <= changedAt:
			require.Equal(t, groupsOf(sg3), p.Requested, p.Key())
			old++
		case app == "web":
			require.True(t, p.InstanceGroups, p.Key())
			require.Equal(t, groupsOf(), p.Requested, p.Key())
			require.Contains(t, p.Warnings[len(p.Warnings)-1].Message(), "no SecurityGroupPolicy matches", p.Key())
			instance++
		default:
			require.Equal(t, groupsOf(sg4), p.Requested, p.Key())
			changed++
		}
	}
	require.Equal(t, 9, old)
	require.Equal(t, 3, instance)
	require.Equal(t, 6, changed)

	// A pod created now requests no branch for app=web at all.
	keys := createPods(t, h, "web", 1)
	settle(t, h)
	p, ok := h.View().Pod(keys[0])
	require.True(t, ok)
	require.False(t, p.NeedsBranch)
	require.Equal(t, sim.Running, p.Phase)
	require.Empty(t, h.Unreplayable(), "mid-run policy changes are events")
}

// Upstream forgets a branch ENI after three failed deletes: the ENI stays
// in EC2 and its VLAN stays taken until the controller restarts. The
// simulator reproduces it, announces it with BranchENILeaked, and the
// checkers report it as upstream's own leak; after a restart the ENI is
// found again on the trunk and deleted.
// Upstream: pkg/provider/branch/trunk/trunk.go (DeleteCooledDownENIs,
// MaxDeleteRetries; "TODO: free vlan id?"); InitTrunk (orphans).
func TestFaultRepeatedDeleteFailuresLeakAsUpstream(t *testing.T) {
	h := start(t, []int{1}, policy("web", "web", sg1))
	keys := createPods(t, h, "web", 1)
	settle(t, h)
	first, _ := h.View().Pod(keys[0])
	leakedENI, leakedVLAN := first.ENI, first.VLAN

	from := h.Now() + simtest.Tick
	require.NoError(t, h.InjectFault(sim.Fault{API: sim.DeleteNetworkInterface, Code: sim.CodeInternal, Probability: 1, From: from, Until: from + 5*time.Minute}))
	ok, err := h.DeletePod("web0") // replaced by web0-1
	require.NoError(t, err)
	require.True(t, ok)
	all := settle(t, h)

	var leaks []simtest.Violation
	for _, v := range all {
		if v.Leak {
			leaks = append(leaks, v)
			require.Equal(t, "eni/"+leakedENI.String(), v.Object)
			require.Contains(t, v.Upstream, "3 failed deletes")
		}
	}
	require.NotEmpty(t, leaks)
	_, announced := h.View().Leaked[leakedENI]
	require.True(t, announced, "BranchENILeaked names the ENI")
	require.Equal(t, 1, h.Sim().Report().BranchENIs.Leaked)
	_, inEC2 := h.Sim().EC2().Lookup(leakedENI)
	require.True(t, inEC2)
	replacement, ok := h.View().Pod("default/web0-1")
	require.True(t, ok)
	require.Equal(t, sim.Running, replacement.Phase)
	require.NotEqual(t, leakedVLAN, replacement.VLAN)

	// The forgotten ENI's VLAN stays taken: the other new pods skip it.
	more := createPods(t, h, "more", 3)
	settle(t, h)
	for _, key := range more {
		p, _ := h.View().Pod(key)
		require.NotEqual(t, leakedVLAN, p.VLAN, key)
	}

	// A restart finds the ENI on the trunk again, and deletes it.
	advance(t, h, 5*time.Minute)
	require.NoError(t, h.RestartController())
	settle(t, h)
	_, inEC2 = h.Sim().EC2().Lookup(leakedENI)
	require.False(t, inEC2)
	require.Zero(t, h.Sim().Report().BranchENIs.Leaked)
	require.NoError(t, h.Sim().Check())
	survivors(t, h)
	fillNodes(t, h, "last")
}
