package sim_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/cni"
	"github.com/trunksim/trunksim/controller"
	"github.com/trunksim/trunksim/limits"
	"github.com/trunksim/trunksim/sim"
)

var webSG = branch.MustParseSecurityGroupID("sg-0123456789abcdef0")

func webPolicy() branch.Policy {
	return branch.Policy{Namespace: "default", Name: "web",
		PodSelector: &branch.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
		Groups:      []branch.SecurityGroupID{webSG}}
}

// cluster builds a Sim with count nodes of typ and the web policy.
func cluster(t testing.TB, cfg sim.Config, typ string, count int) *sim.Sim {
	t.Helper()
	s, err := sim.New(cfg)
	require.NoError(t, err)
	require.NoError(t, s.AddPolicy(webPolicy()))
	for i := range count {
		require.NoError(t, s.AddNode(sim.NodeSpec{Name: fmt.Sprintf("n%d", i), InstanceType: typ}))
	}
	return s
}

func createWeb(t testing.TB, s *sim.Sim, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		require.NoError(t, s.CreatePod(sim.PodSpec{Namespace: "default", Name: fmt.Sprintf("web-%d", i), Labels: map[string]string{"app": "web"}}))
	}
}

func TestNewRejectsBadConfigNamingTheField(t *testing.T) {
	cases := []struct {
		field string
		cfg   sim.Config
	}{
		{"Controller.UserClientQPS", sim.Config{Controller: sim.Controller{UserClientQPS: -1}}},
		{"Controller.APIServerQPS", sim.Config{Controller: sim.Controller{APIServerQPS: math.NaN()}}},
		{"EC2.MutatingRefill", sim.Config{EC2: sim.EC2{MutatingRefill: math.Inf(1)}}},
		{"Kubelet.RetryJitter", sim.Config{Kubelet: sim.Kubelet{RetryJitter: math.NaN()}}},
		{"EC2.Faults[0]", sim.Config{EC2: sim.EC2{Faults: []sim.Fault{{API: sim.CreateNetworkInterface, Code: "X", Probability: math.NaN()}}}}},
		{"Controller.BranchWorkers", sim.Config{Controller: sim.Controller{BranchWorkers: -3}}},
		{"Controller.GroupsPerInterface", sim.Config{Controller: sim.Controller{GroupsPerInterface: 17}}},
		{"EC2.Latency", sim.Config{EC2: sim.EC2{Latency: -time.Second}}},
		{"Kubelet.RetryPeriod", sim.Config{Kubelet: sim.Kubelet{RetryPeriod: -1}}},
		{"CNI.Version", sim.Config{CNI: cni.Config{Version: cni.Version{Major: 1, Minor: 6, Patch: 0}}}},
		{"EC2.Faults[0]", sim.Config{EC2: sim.EC2{Faults: []sim.Fault{{API: sim.CreateNetworkInterface, Code: "X", Probability: 2}}}}},
	}
	for _, c := range cases {
		t.Run(c.field, func(t *testing.T) {
			_, err := sim.New(c.cfg)
			require.ErrorIs(t, err, sim.ErrBadConfig)
			var ce *sim.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, c.field, ce.Field)
		})
	}
}

func TestBadCallsAreRefusedAndChangeNothing(t *testing.T) {
	s := cluster(t, sim.Config{}, "m5.large", 1)
	before := s.Report()
	err := s.AddNode(sim.NodeSpec{Name: "x", InstanceType: "m5.larg"})
	require.ErrorIs(t, err, limits.ErrUnknownType)
	assert.Contains(t, err.Error(), "m5.large", "suggests the close name")
	require.ErrorIs(t, s.AddNode(sim.NodeSpec{Name: "n0", InstanceType: "m5.large"}), sim.ErrDuplicate)
	require.ErrorIs(t, s.AddNode(sim.NodeSpec{InstanceType: "m5.large"}), sim.ErrBadSpec)
	require.ErrorIs(t, s.CreatePod(sim.PodSpec{Name: "p"}), sim.ErrBadSpec)
	require.ErrorIs(t, s.CreatePod(sim.PodSpec{Namespace: "d", Name: "p", Lifetime: -1}), sim.ErrBadSpec)
	require.ErrorIs(t, s.DeletePod("default", "nope"), sim.ErrNotFound)
	require.ErrorIs(t, s.DeleteNode("nope"), sim.ErrNotFound)
	require.ErrorIs(t, s.RemovePolicy("default", "nope"), sim.ErrNotFound)
	require.ErrorIs(t, s.AddPolicy(webPolicy()), sim.ErrDuplicate)
	require.ErrorIs(t, s.AddPolicy(branch.Policy{Namespace: "Default", Name: "empty"}), branch.ErrInvalidPolicy, "the API server refuses the name")
	require.ErrorIs(t, s.InjectFault(sim.Fault{API: sim.CreateNetworkInterface}), sim.ErrBadSpec)
	assert.Equal(t, before, s.Report())
}

// Upstream: pkg/provider/branch/provider.go UpdateResourceCapacity — the
// node advertises pod-eni = BranchInterface only once its trunk exists.
func TestBranchCapacityIsAdvertisedOnlyAfterTheTrunk(t *testing.T) {
	s := cluster(t, sim.Config{}, "m5.large", 1)
	createWeb(t, s, 0, 10)
	require.NoError(t, s.RunUntil(time.Second))
	r := s.Report()
	assert.Equal(t, 0, r.Pods.Running, "no branch pod runs before the trunk is ready")
	require.NoError(t, s.Run())
	r = s.Report()
	assert.Equal(t, 1, r.Trunks.Created)
	assert.Equal(t, 9, r.Pods.Running, "m5.large has 9 branch interfaces")
	assert.Equal(t, 1, r.Pods.Pending)
	assert.Contains(t, fmt.Sprint(r.PendingReasons), "Insufficient vpc.amazonaws.com/pod-eni")
	assert.Greater(t, r.Trunks.ReadyLatencySeconds.Max, 0.0)
	// kube-scheduler records FailedScheduling once per pod that does not
	// fit (kubernetes pkg/scheduler/schedule_one.go; repeats are folded by
	// the event recorder): all ten while no node advertised pod-eni.
	assert.Equal(t, 10, r.Events["FailedScheduling"])
	require.NoError(t, s.Check())
}

// Upstream: pkg/aws/ec2/api/helper.go CreateAndAttachNetworkInterface and
// pkg/aws/ec2/instance.go LoadDetails — a new trunk costs DescribeInstances
// twice, DescribeSubnets, Create, Permission, Attach, Modify and the
// attachment polls.
func TestNewTrunkCostsItsEC2Calls(t *testing.T) {
	s := cluster(t, sim.Config{EC2: sim.EC2{AttachDelay: 2 * time.Second}}, "m5.large", 1)
	require.NoError(t, s.Run())
	calls := s.Report().EC2.Calls
	assert.Equal(t, 2, calls["DescribeInstances"])
	assert.Equal(t, 1, calls["DescribeSubnets"])
	assert.Equal(t, 1, calls["CreateNetworkInterface"])
	assert.Equal(t, 1, calls["CreateNetworkInterfacePermission"])
	assert.Equal(t, 1, calls["AttachNetworkInterface"])
	assert.Equal(t, 1, calls["ModifyNetworkInterfaceAttribute"])
	// polls at 0 s, +1 s, +2 s: attached 2 s after the attach call; and
	// the cluster ENI cleaner's first run at start, which lists available
	// interfaces by the CNI's tag and by the cluster's
	// (pkg/aws/ec2/api/cleanup/eni_cleanup.go).
	assert.Equal(t, 3+2, calls["DescribeNetworkInterfaces"])
}

// Upstream: pkg/provider/branch/provider.go IsInstanceSupported — a type
// that cannot trunk gets an Unsupported Warning and no capacity; a Windows
// node gets neither trunk nor event.
func TestIneligibleNodesRecordWhyAndAdvertiseNothing(t *testing.T) {
	s, err := sim.New(sim.Config{})
	require.NoError(t, err)
	require.NoError(t, s.AddPolicy(webPolicy()))
	require.NoError(t, s.AddNode(sim.NodeSpec{Name: "t3", InstanceType: "t3.large"}))
	require.NoError(t, s.AddNode(sim.NodeSpec{Name: "win", InstanceType: "m5.large", OS: limits.OSWindows}))
	createWeb(t, s, 0, 1)
	require.NoError(t, s.Run())
	r := s.Report()
	assert.Equal(t, 1, r.Events["Unsupported"], "only the t3 node gets an event")
	assert.Equal(t, 0, r.Trunks.Created)
	assert.Equal(t, 1, r.Pods.Pending)
	require.Len(t, r.Warnings, 2)
	assert.Contains(t, r.Warnings[0], "[win]")
	assert.Contains(t, r.Warnings[0], "Linux nodes only")
	assert.Contains(t, r.Warnings[1], "[t3]")
	assert.Contains(t, r.Warnings[1], "burstable")
	assert.Zero(t, r.EC2.Calls["CreateNetworkInterface"])
}

func TestENABLEPODENIOffLeavesSecurityGroupPodsPendingWithTheFix(t *testing.T) {
	s := cluster(t, sim.Config{CNI: cni.Config{DisablePodENI: true}}, "m5.large", 2)
	createWeb(t, s, 0, 3)
	require.NoError(t, s.CreatePod(sim.PodSpec{Namespace: "default", Name: "plain"}))
	require.NoError(t, s.Run())
	r := s.Report()
	assert.Equal(t, 1, r.Pods.Running, "the ordinary pod runs")
	assert.Equal(t, 3, r.Pods.Pending)
	assert.Contains(t, fmt.Sprint(r.PendingReasons), "ENABLE_POD_ENI")
}

// Upstream: pkg/aws/ec2/api/helper.go, trunk.go CreateAndAssociateBranchENIs —
// a branch is CreateNetworkInterface and CreateNetworkInterfacePermission on
// the user client and AssociateTrunkInterface on the instance client.
func TestBranchCreateIsThreeCalls(t *testing.T) {
	s := cluster(t, sim.Config{}, "m5.xlarge", 1)
	require.NoError(t, s.Run())
	base := s.Report().EC2.Calls
	createWeb(t, s, 0, 5)
	require.NoError(t, s.Run())
	r := s.Report()
	assert.Equal(t, 5, r.EC2.Calls["CreateNetworkInterface"]-base["CreateNetworkInterface"])
	assert.Equal(t, 5, r.EC2.Calls["CreateNetworkInterfacePermission"]-base["CreateNetworkInterfacePermission"])
	assert.Equal(t, 5, r.EC2.Calls["AssociateTrunkInterface"])
	assert.Equal(t, 5, r.BranchENIs.Created)
	assert.Equal(t, 5, r.Events["ResourceAllocated"])
	assert.Equal(t, 5, r.Events["SecurityGroupRequested"])
	require.NoError(t, s.Check())
}

// Upstream: pkg/provider/branch/trunk/trunk.go assignVlanId — the lowest
// free VLAN, from 1.
func TestVLANsAreLowestFreeFromOne(t *testing.T) {
	s := cluster(t, sim.Config{}, "m5.large", 1)
	createWeb(t, s, 0, 3)
	require.NoError(t, s.Run())
	vlans := map[branch.VLAN]bool{}
	for _, e := range s.EC2().Interfaces() {
		if e.Kind == sim.BranchInterface {
			vlans[e.VLAN] = true
		}
	}
	assert.Equal(t, map[branch.VLAN]bool{1: true, 2: true, 3: true}, vlans)
}

// Upstream: trunk.go canCreateMore and provider.go (requeue after the
// cool-down) — a replacement pod on a full m5.large waits for the old
// branch to cool down and be swept: one to two cool-down periods.
func TestReplacementPodOnFullNodeWaitsForTheCoolDown(t *testing.T) {
	s := cluster(t, sim.Config{Kubelet: sim.Kubelet{}}, "m5.large", 1)
	createWeb(t, s, 0, 9)
	require.NoError(t, s.Run())
	require.Equal(t, 9, s.Report().Pods.Running)
	start := s.Now()
	require.NoError(t, s.DeletePod("default", "web-0"))
	createWeb(t, s, 9, 1)
	require.NoError(t, s.Run())
	r := s.Report()
	require.Equal(t, 9, r.Pods.Running)
	assert.Equal(t, 0, r.Events["BranchAllocationFailed"], "the gate is silent")
	assert.GreaterOrEqual(t, r.BranchENIs.CapacityRequeues, 1)
	// The replacement was created at start; its latency is the max.
	wait := r.StartupLatencySeconds.Max
	assert.GreaterOrEqual(t, wait, 60.0, "at least one cool-down")
	assert.LessOrEqual(t, wait, 125.0, "at most two cool-downs plus the calls")
	assert.Less(t, (s.Now() - start).Minutes(), 30.0, "never the resync")
}

// Upstream: pkg/provider/branch/cooldown/cooldown.go — 60 s by default,
// never below 30 s.
func TestCoolDownDefaultsTo60sAndClampsTo30s(t *testing.T) {
	for _, c := range []struct {
		set, wantMin time.Duration
	}{{0, 60 * time.Second}, {10 * time.Second, 30 * time.Second}, {45 * time.Second, 45 * time.Second}} {
		s := cluster(t, sim.Config{Controller: sim.Controller{CoolDown: c.set}}, "m5.large", 1)
		createWeb(t, s, 0, 1)
		require.NoError(t, s.Run())
		released := s.Now()
		require.NoError(t, s.DeletePod("default", "web-0"))
		require.NoError(t, s.Run())
		took := s.Now() - released
		assert.GreaterOrEqual(t, took, c.wantMin, "cool-down %v", c.set)
		assert.Less(t, took, c.wantMin+30*time.Second+time.Second, "deleted at the first sweep after it")
		assert.Equal(t, 1, s.Report().BranchENIs.Deleted)
	}
}

// Upstream: controllers/core/pod_controller.go — a Succeeded pod releases
// its branch like a deleted one.
func TestCompletedPodsReleaseTheirBranch(t *testing.T) {
	s := cluster(t, sim.Config{}, "m5.large", 1)
	for i := range 12 {
		require.NoError(t, s.CreatePod(sim.PodSpec{Namespace: "default", Name: fmt.Sprintf("job-%d", i),
			Labels: map[string]string{"app": "web"}, Lifetime: time.Minute}))
	}
	require.NoError(t, s.Run())
	r := s.Report()
	assert.Equal(t, 12, r.Pods.Succeeded, "the last three ran once the first nine completed and cooled")
	assert.Equal(t, 12, r.BranchENIs.Deleted)
	assert.Equal(t, 0, r.BranchENIs.Leaked)
	require.NoError(t, s.Check())
}

// Upstream: pkg/worker/worker.go and pkg/config/loader.go
// WorkQueueDefaultMaxRetries — an EC2 error is retried 5 times within a
// second, each with a BranchAllocationFailed event, then dropped until the
// 30-minute resync.
func TestCreateErrorsRetrySixTimesThenWaitForTheResync(t *testing.T) {
	s := cluster(t, sim.Config{}, "m5.large", 1)
	require.NoError(t, s.Run())
	require.NoError(t, s.InjectFault(sim.Fault{API: sim.CreateNetworkInterface, Code: sim.CodeNoFreeAddresses,
		Probability: 1, From: s.Now(), Until: s.Now() + 5*time.Minute}))
	createWeb(t, s, 0, 1)
	require.NoError(t, s.Run())
	r := s.Report()
	assert.Equal(t, 6, r.Events["BranchAllocationFailed"])
	assert.Equal(t, 1, r.Pods.Pending, "dropped, still ContainerCreating, waiting for the resync")
	assert.Zero(t, r.Pods.Failed)
	assert.Less(t, s.Now(), 5*time.Minute, "the retries take under a second")
	require.NoError(t, s.RunUntil(31*time.Minute))
	require.NoError(t, s.Run())
	r = s.Report()
	assert.Equal(t, 1, r.Pods.Running, "the resync retried it after the fault ended")
	assert.Equal(t, 0, r.BranchENIs.Leaked, "the failed creates left nothing behind")
}

// Upstream: trunk.go CreateAndAssociateBranchENIs — when a step after
// CreateNetworkInterface fails, the ENI is deleted at the next sweep with
// no cool-down.
func TestPartlyCreatedBranchIsDeletedWithoutCoolDown(t *testing.T) {
	s := cluster(t, sim.Config{}, "m5.large", 1)
	require.NoError(t, s.Run())
	require.NoError(t, s.InjectFault(sim.Fault{API: sim.AssociateTrunkInterface, Code: "InvalidParameterValue",
		Probability: 1, From: s.Now(), Until: s.Now() + time.Second}))
	createWeb(t, s, 0, 1)
	require.NoError(t, s.Run())
	r := s.Report()
	assert.GreaterOrEqual(t, r.Events["BranchAllocationFailed"], 1)
	assert.Equal(t, 1, r.Pods.Running)
	assert.Equal(t, r.BranchENIs.Created-1, r.BranchENIs.Deleted)
	assert.Equal(t, 0, r.BranchENIs.Leaked)
	require.NoError(t, s.Check())
}

// Upstream: trunk.go DeleteCooledDownENIs (MaxDeleteRetries = 3) — an ENI
// whose delete keeps failing is forgotten, and leaks.
func TestDeleteThatKeepsFailingIsForgottenAndLeaks(t *testing.T) {
	s := cluster(t, sim.Config{}, "m5.large", 1)
	createWeb(t, s, 0, 1)
	require.NoError(t, s.Run())
	require.NoError(t, s.InjectFault(sim.Fault{API: sim.DeleteNetworkInterface, Code: "InternalFailure",
		Probability: 1, From: s.Now()}))
	require.NoError(t, s.DeletePod("default", "web-0"))
	require.NoError(t, s.Run())
	r := s.Report()
	assert.Equal(t, 1, r.BranchENIs.Leaked)
	assert.Equal(t, 1, r.Events["BranchENILeaked"])
	// 3 tries in the sweep, each with 5 helper attempts.
	assert.Equal(t, 15, r.EC2.Calls["DeleteNetworkInterface"])
	err := s.Check()
	require.ErrorIs(t, err, sim.ErrInvariant)
	assert.Contains(t, err.Error(), "leaked")
}

// Upstream, master only (b8d4251, PR #574, in no release):
// pkg/provider/branch/provider.go DeleteNode
// (NodeDeleteRequeueRequestDelay = 1 min) — a deleted node's branches are
// all deleted a minute later, cool-down or not.
func TestNodeDeletionWipesBranchesAfterOneMinute(t *testing.T) {
	s := cluster(t, sim.Config{Controller: sim.Controller{Release: controller.ReleaseMaster, CoolDown: 10 * time.Minute}}, "m5.large", 1)
	createWeb(t, s, 0, 5)
	require.NoError(t, s.Run())
	at := s.Now()
	require.NoError(t, s.DeleteNode("n0"))
	require.NoError(t, s.Run())
	r := s.Report()
	assert.Equal(t, 5, r.BranchENIs.Deleted)
	assert.Equal(t, 0, r.BranchENIs.Leaked)
	took := s.Now() - at
	assert.GreaterOrEqual(t, took, time.Minute)
	assert.Less(t, took, 2*time.Minute, "not the 10-minute cool-down")
	assert.Equal(t, 0, r.Pods.Running+r.Pods.Pending, "evicted pods are deleted; none belong to a workload")
}

// Upstream: trunk.go InitTrunk — after a restart, branches are rebuilt
// from the pods' annotations; running pods keep their ENIs.
func TestRestartRebuildsFromAnnotations(t *testing.T) {
	s := cluster(t, sim.Config{}, "m5.large", 1)
	createWeb(t, s, 0, 4)
	require.NoError(t, s.Run())
	before := s.Report()
	require.NoError(t, s.RestartController())
	require.NoError(t, s.Run())
	r := s.Report()
	assert.Equal(t, 4, r.Pods.Running)
	assert.Equal(t, before.BranchENIs.Created, r.BranchENIs.Created, "no new branches")
	assert.Equal(t, 0, r.BranchENIs.Leaked)
	require.NoError(t, s.Check())
	// Capacity is still counted: 5 more fit, not 9.
	createWeb(t, s, 4, 6)
	require.NoError(t, s.Run())
	assert.Equal(t, 9, s.Report().Pods.Running)
}

// The last pod of a burst of N on ample nodes can be ready no earlier than
// the user client's token bucket allows: (2N - B) / Q, at v1.7.19's 12 QPS
// and burst 18.
func TestBurstIsBoundByTheUserClientBucket(t *testing.T) {
	cfg := sim.Config{EC2: sim.EC2{Latency: time.Nanosecond, NoAccountThrottling: true},
		Controller: sim.Controller{Release: controller.ReleaseV1_7_19}}
	s := cluster(t, cfg, "m5.24xlarge", 10)
	require.NoError(t, s.Run())
	start := s.Now() + 10*time.Second // the trunk inits' tokens refill
	require.NoError(t, s.RunUntil(start))
	const n = 500
	createWeb(t, s, 0, n)
	require.NoError(t, s.Run())
	r := s.Report()
	require.Equal(t, n, r.Pods.Running)
	// the trunk inits used tokens long ago and they have refilled
	bound := float64(2*n-18) / 12
	last := r.LastReadySeconds - start.Seconds()
	assert.GreaterOrEqual(t, last, bound)
	assert.InDelta(t, bound, last, bound*0.01, "within 1%% of the bound")
}

func TestSameSeedSameTraceAndReport(t *testing.T) {
	run := func(seed uint64) (sim.Report, []byte) {
		s := cluster(t, sim.Config{Seed: seed, Kubelet: sim.Kubelet{BackOffOnly: true}}, "m5.large", 3)
		var buf bytes.Buffer
		s.SetTrace(&buf)
		createWeb(t, s, 0, 30)
		require.NoError(t, s.Schedule(3*time.Minute, func(s *sim.Sim) error { return s.DeletePod("default", "web-3") }))
		require.NoError(t, s.Run())
		return s.Report(), buf.Bytes()
	}
	r1, t1 := run(7)
	r2, t2 := run(7)
	assert.Equal(t, r1, r2)
	assert.Equal(t, t1, t2)
	r3, _ := run(8)
	assert.NotEqual(t, r1.TraceSHA256, r3.TraceSHA256, "kubelet jitter differs with the seed")
}

func TestScheduledActionErrorStopsTheRun(t *testing.T) {
	s := cluster(t, sim.Config{}, "m5.large", 1)
	require.NoError(t, s.Schedule(time.Minute, func(s *sim.Sim) error { return s.DeletePod("x", "y") }))
	err := s.Run()
	require.ErrorIs(t, err, sim.ErrNotFound)
	require.ErrorIs(t, err, sim.ErrActionFailed)
	require.Error(t, s.Schedule(0, func(*sim.Sim) error { return nil }), "in the past")
	require.True(t, errors.Is(s.Schedule(2*time.Minute, nil), sim.ErrBadSpec))
}

// ordinaryCapacity places many ordinary pods on one node and returns how
// many ran.
func ordinaryCapacity(t *testing.T, c cni.Config, typ string) int {
	t.Helper()
	s := cluster(t, sim.Config{CNI: c}, typ, 1)
	for i := range 40 {
		require.NoError(t, s.CreatePod(sim.PodSpec{Namespace: "default", Name: fmt.Sprintf("plain-%d", i)}))
	}
	require.NoError(t, s.Run())
	return s.Report().Pods.Running
}

// Upstream (CNI): pkg/ipamd/datastore/data_store.go (PR #2801, v1.16.4)
// keeps secondary IPs off the trunk; pkg/ipamd/ipamd.go hasRoomForEni
// holds the slot for it, and from v1.20.4 (PR #3250) only on types that
// can trunk.
func TestTrunkCostsOrdinaryPodIPsByCNIVersion(t *testing.T) {
	cases := []struct {
		version cni.Version
		typ     string
		want    int
	}{
		{cni.Version{}, "m5.large", 18},                              // (3-1) x 9
		{cni.Version{Major: 1, Minor: 16, Patch: 3}, "m5.large", 27}, // the trunk still carried IPs
		{cni.Version{}, "t3.large", 33},                              // 3 x 11, nothing held
		{cni.Version{Major: 1, Minor: 20, Patch: 3}, "t3.large", 22}, // a slot held for a trunk that never comes
		{cni.Version{}, "c5.xlarge", 40},                             // 3 x 14 = 42 IPs, but kubelet's 58 - 2 host pods... 40 asked
	}
	for _, c := range cases {
		t.Run(c.version.String()+"/"+c.typ, func(t *testing.T) {
			assert.Equal(t, c.want, ordinaryCapacity(t, cni.Config{Version: c.version}, c.typ))
		})
	}
	assert.Equal(t, 27, ordinaryCapacity(t, cni.Config{DisablePodENI: true}, "m5.large"), "no trunk, no cost")
}

// Upstream (CNI): IPv6 clusters get branch ENIs from v1.16.0 (CHANGELOG).
func TestIPv6NeedsCNI1160(t *testing.T) {
	s := cluster(t, sim.Config{CNI: cni.Config{IPFamily: cni.IPv6, Version: cni.Version{Major: 1, Minor: 15, Patch: 1}}}, "m5.large", 1)
	createWeb(t, s, 0, 1)
	require.NoError(t, s.Run())
	r := s.Report()
	assert.Equal(t, 1, r.Pods.Pending)
	assert.Equal(t, 1, r.Events["Unsupported"])
	assert.Contains(t, strings.Join(r.Warnings, "\n"), "IPv6")
}

// kubernetes pkg/controller/deployment/rolling.go: a rolling update never
// has fewer than replicas - maxUnavailable pods available, nor more than
// replicas + maxSurge pods.
func TestRollingUpdateKeepsItsBounds(t *testing.T) {
	for _, c := range []struct{ surge, unavail int }{{0, 3}, {2, 0}, {1, 1}} {
		t.Run(fmt.Sprintf("surge=%d,unavailable=%d", c.surge, c.unavail), func(t *testing.T) {
			s := cluster(t, sim.Config{}, "m5.large", 4) // 36 slots for 27 pods
			s.RecordSeries()
			var trace bytes.Buffer
			s.SetTrace(&trace)
			require.NoError(t, s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "web", Replicas: 27,
				Labels: map[string]string{"app": "web"}}))
			require.NoError(t, s.Run())
			start := s.Now()
			require.NoError(t, s.RollWorkload("default", "web", c.surge, c.unavail))
			require.NoError(t, s.Run())
			for _, x := range s.Series() {
				if x.At < start {
					continue
				}
				assert.GreaterOrEqual(t, x.Running, 27-c.unavail, "at %v", x.At)
				assert.LessOrEqual(t, x.Running+x.Pending, 27+c.surge, "at %v", x.At)
			}
			r := s.Report()
			assert.Equal(t, 27, r.Pods.Running)
			assert.Equal(t, 54, r.Pods.Created)
			assert.Equal(t, 1, strings.Count(trace.String(), `"event":"RolloutComplete"`))
		})
	}
}

// Upstream: pkg/provider/branch/trunk/trunk.go InitTrunk and
// pkg/aws/ec2/instance.go LoadDetails — re-initialising an existing trunk
// after a restart costs DescribeInstances twice, DescribeSubnets and two
// DescribeNetworkInterfaces (attachment, then the branches by tag); the
// restarted cluster ENI cleaner lists available interfaces twice more.
func TestReInitOfAnExistingTrunkCostsFiveCalls(t *testing.T) {
	s := cluster(t, sim.Config{}, "m5.large", 1)
	require.NoError(t, s.Run())
	before := s.Report().EC2.Calls
	require.NoError(t, s.RestartController())
	require.NoError(t, s.Run())
	after := s.Report().EC2.Calls
	diff := map[string]int{}
	for k, v := range after {
		if d := v - before[k]; d > 0 {
			diff[k] = d
		}
	}
	assert.Equal(t, map[string]int{"DescribeInstances": 2, "DescribeSubnets": 1, "DescribeNetworkInterfaces": 2 + 2}, diff)
	assert.Equal(t, 1, s.Report().Trunks.Created, "no second trunk")
}

// Upstream: webhooks/core/pod_webhook.go — the pod-eni request is added
// only when a policy in the pod's own namespace matches it.
func TestWebhookRequestsPodENIOnlyWhenAPolicyInTheNamespaceMatches(t *testing.T) {
	s := cluster(t, sim.Config{}, "m5.large", 1)
	for _, p := range []sim.PodSpec{
		{Namespace: "default", Name: "web", Labels: map[string]string{"app": "web"}},
		{Namespace: "default", Name: "db", Labels: map[string]string{"app": "db"}},
		{Namespace: "other", Name: "web", Labels: map[string]string{"app": "web"}},
	} {
		require.NoError(t, s.CreatePod(p))
	}
	require.NoError(t, s.Run())
	for _, c := range []struct {
		ns, name string
		want     bool
	}{{"default", "web", true}, {"default", "db", false}, {"other", "web", false}} {
		st, ok := s.Pod(c.ns, c.name)
		require.True(t, ok)
		assert.Equal(t, c.want, st.NeedsBranch, "%s/%s", c.ns, c.name)
		assert.Equal(t, sim.Running, st.Phase)
		assert.Equal(t, c.want, st.Annotation != "")
	}
	assert.Equal(t, 1, s.Report().BranchENIs.Created)
}

// Upstream: pkg/utils/helper.go filterPodSecurityGroups — the groups of
// every matching policy, de-duplicated; and trunk.go: recomputed when the
// branch is made, with a Warning and the instance's groups when nothing
// matches any more.
func TestGroupSetIsTheUnionResolvedAtBranchCreation(t *testing.T) {
	other := branch.MustParseSecurityGroupID("sg-0fedcba9876543210")
	s := cluster(t, sim.Config{}, "m5.large", 1)
	require.NoError(t, s.AddPolicy(branch.Policy{Namespace: "default", Name: "all",
		PodSelector: &branch.LabelSelector{}, Groups: []branch.SecurityGroupID{other, webSG}}))
	createWeb(t, s, 0, 1)
	require.NoError(t, s.Run())
	st, _ := s.Pod("default", "web-0")
	var details []sim.ENIDetails
	require.NoError(t, json.Unmarshal([]byte(st.Annotation), &details))
	require.Len(t, details, 1)
	eni, err := branch.ParseENIID(details[0].ENIID)
	require.NoError(t, err)
	e, ok := s.EC2().Lookup(eni)
	require.True(t, ok)
	assert.Equal(t, branch.NewGroupSet(webSG, other), e.Groups)
	assert.Equal(t, e.Association, details[0].Association)
	assert.Equal(t, e.VLAN, branch.VLAN(details[0].VLANID))

	// Admitted while the policies matched, created after they went away.
	s2 := cluster(t, sim.Config{}, "m5.large", 1)
	createWeb(t, s2, 0, 1) // no trunk yet: the pod waits to be scheduled
	require.NoError(t, s2.RemovePolicy("default", "web"))
	require.NoError(t, s2.Run())
	r := s2.Report()
	assert.Equal(t, 1, r.Pods.Running)
	require.NoError(t, s2.Check())
	var trace bytes.Buffer
	_ = trace
	st2, _ := s2.Pod("default", "web-0")
	assert.True(t, st2.NeedsBranch, "the request was added at admission")
	assert.Contains(t, st2.Annotation, `"vlanId":1`)
}

func TestNodesReportCapacityAndWhyNot(t *testing.T) {
	s := cluster(t, sim.Config{}, "m5.large", 1)
	require.NoError(t, s.AddNode(sim.NodeSpec{Name: "t", InstanceType: "t3.large"}))
	createWeb(t, s, 0, 3)
	require.NoError(t, s.Run())
	nodes := s.Nodes()
	require.Len(t, nodes, 2)
	assert.Equal(t, "n0", nodes[0].Name)
	assert.Equal(t, 9, nodes[0].PodENICapacity)
	assert.Equal(t, 3, nodes[0].BranchesInUse)
	assert.NotEmpty(t, nodes[0].Trunk)
	assert.Equal(t, 0, nodes[1].PodENICapacity)
	assert.Contains(t, nodes[1].Ineligible, "burstable")
	assert.Len(t, s.Pods(), 3)
}

func TestOnProgressIsCalledWithoutChangingTheRun(t *testing.T) {
	run := func(progress bool) (sim.Report, int) {
		s := cluster(t, sim.Config{}, "m5.4xlarge", 20)
		calls := 0
		var last uint64
		if progress {
			s.OnProgress(func(now time.Duration, events uint64) {
				assert.GreaterOrEqual(t, events, last)
				last = events
				calls++
			})
		}
		createWeb(t, s, 0, 1000)
		require.NoError(t, s.Run())
		return s.Report(), calls
	}
	plain, _ := run(false)
	watched, calls := run(true)
	assert.Equal(t, plain, watched)
	assert.Positive(t, calls)
}

// Upstream: pkg/provider/branch/provider.go ProcessDeleteQueue — each node
// has one delete-queue job, which requeues itself 30 s after it finishes,
// so a sweep that took time shifts the ticks after it.
func TestSweepRequeuesAnIntervalAfterItEnds(t *testing.T) {
	s := cluster(t, sim.Config{}, "m5.large", 1)
	s.RecordSeries()
	createWeb(t, s, 0, 2)
	require.NoError(t, s.Run())
	require.NoError(t, s.DeletePod("default", "web-0"))
	require.NoError(t, s.RunUntil(s.Now()+70*time.Second)) // web-0's branch is swept
	require.NoError(t, s.DeletePod("default", "web-1"))
	require.NoError(t, s.Run())
	var sweeps []time.Duration // when the cooling count fell
	series := s.Series()
	for i := 1; i < len(series); i++ {
		if series[i].Cooling < series[i-1].Cooling {
			sweeps = append(sweeps, series[i].At)
		}
	}
	require.Len(t, sweeps, 2)
	// The first sweep made two EC2 calls of 100 ms: the next ticks come
	// 30 s after it ended, not on the first sweep's 30 s grid.
	offset := (sweeps[1] - sweeps[0]) % (30 * time.Second)
	assert.Equal(t, 200*time.Millisecond, offset)
}

// Upstream (v1.8.2): pkg/provider/branch/provider.go DeleteNode only drops
// the trunk from the cache; the terminated instance's branches are left
// available until pkg/aws/ec2/api/cleanup/eni_cleanup.go, run at start and
// 30 min after each run (pkg/config/type.go ENICleanUpInterval), deletes
// them on its second sighting. The report says how long they stayed.
func TestNodeDeletionAsReleasedLeavesBranchesToTheCleaner(t *testing.T) {
	cfg := sim.Config{Controller: sim.Controller{NodeDeletion: sim.NodeDeletionRelease}}
	s := cluster(t, cfg, "m5.large", 1)
	createWeb(t, s, 0, 5)
	require.NoError(t, s.Run())
	require.NoError(t, s.DeleteNode("n0"))
	require.NoError(t, s.Run())
	r := s.Report()
	require.NotNil(t, r.NodeDeletion)
	assert.Equal(t, 5, r.NodeDeletion.BranchENIs)
	assert.Equal(t, 5, r.NodeDeletion.Remaining, "nothing deleted a minute later")
	assert.True(t, r.NodeDeletion.LongestRemaining)
	assert.Equal(t, 5, r.BranchENIs.Leaked)

	require.NoError(t, s.RunUntil(s.Now()+61*time.Minute))
	r = s.Report()
	assert.Equal(t, 0, r.NodeDeletion.Remaining)
	assert.Equal(t, 5, r.NodeDeletion.Deleted)
	assert.Equal(t, 5, r.NodeDeletion.CleanerDeleted)
	assert.Equal(t, 0, r.BranchENIs.Leaked)
	assert.GreaterOrEqual(t, r.NodeDeletion.LongestSeconds, 30*60.0)
	assert.Less(t, r.NodeDeletion.LongestSeconds, 61*60.0)
	assert.False(t, r.NodeDeletion.LongestRemaining)
}

// Upstream: pkg/provider/branch/cooldown/cooldown.go clamps a
// branch-eni-cooldown below 30 s to 30 s; the report says it did.
func TestCoolDownBelowTheFloorIsClampedAndReported(t *testing.T) {
	s := cluster(t, sim.Config{Controller: sim.Controller{CoolDown: 10 * time.Second}}, "m5.large", 1)
	require.NoError(t, s.Run())
	assert.Equal(t, 30*time.Second, s.Config().Controller.CoolDown)
	assert.Contains(t, s.Report().Warnings, "controller.cooldown 10s is below the controller's floor: it applies 30s, as upstream clamps branch-eni-cooldown (pkg/provider/branch/cooldown/cooldown.go)")
	s = cluster(t, sim.Config{Controller: sim.Controller{CoolDown: 45 * time.Second}}, "m5.large", 1)
	require.NoError(t, s.Run())
	assert.NotContains(t, strings.Join(s.Report().Warnings, "\n"), "floor")
}

// Stop from the progress function ends the run with what finished: the
// error names the reason, the report is whole, and the Sim runs no more.
func TestStopFromProgressEndsTheRunWithWhatFinished(t *testing.T) {
	s := cluster(t, sim.Config{}, "m5.4xlarge", 20)
	createWeb(t, s, 0, 1000)
	reason := errors.New("interrupted")
	calls := 0
	s.OnProgress(func(time.Duration, uint64) {
		calls++
		s.Stop(reason)
	})
	err := s.Run()
	require.ErrorIs(t, err, sim.ErrStopped)
	require.ErrorIs(t, err, reason)
	assert.Equal(t, 1, calls)
	events := s.EventsRun()
	assert.Equal(t, uint64(1), events, "the event under way ran, and no other")
	r := s.Report()
	assert.Equal(t, 1000, r.Pods.Created)
	assert.Positive(t, r.Pods.Pending, "a stopped run leaves pods waiting")
	require.ErrorIs(t, s.RunUntil(s.Now()+time.Hour), sim.ErrStopped, "a stopped Sim runs no further")
	assert.Equal(t, events, s.EventsRun())
}
