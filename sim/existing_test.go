package sim_test

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/controller"
	"github.com/trunksim/trunksim/sim"
)

// runningCluster is nodes m5.large nodes joined with their trunks
// attached and a web workload of replicas pods, running of them running
// already.
func runningCluster(t testing.TB, cfg sim.Config, nodes, replicas, running int) *sim.Sim {
	t.Helper()
	s, err := sim.New(cfg)
	require.NoError(t, err)
	require.NoError(t, s.AddPolicy(webPolicy()))
	for i := range nodes {
		require.NoError(t, s.AddNode(sim.NodeSpec{Name: fmt.Sprintf("n%d", i), InstanceType: "m5.large", TrunkAttached: true}))
	}
	require.NoError(t, s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "web", Labels: map[string]string{"app": "web"},
		Replicas: replicas, Running: running}))
	return s
}

// branchIDs returns the branch ENIs EC2 holds, in ID order.
func branchIDs(s *sim.Sim) []branch.ENIID {
	var out []branch.ENIID
	for _, e := range s.EC2().Interfaces() {
		if e.Kind == sim.BranchInterface {
			out = append(out, e.ID)
		}
	}
	return out
}

// Upstream: pkg/provider/branch/trunk/trunk.go InitTrunk (v1.8.2) finds
// the node's trunk through DescribeInstances, lists its branches
// (GetBranchNetworkInterface) and rebuilds its cache from the running
// pods' vpc.amazonaws.com/pod-eni annotations (provider.go InitResource
// hands it GetRunningPodsOnNode); a branch no pod owns is pushed to the
// delete queue, its VLAN held, and deleted after the cool-down. Pods
// that have the annotation get no branch of their own
// (provider.go CreateAndAnnotateResources skips them).
func TestInitTrunkRebuildsRunningPodsFromPodENIAnnotations(t *testing.T) {
	s := runningCluster(t, sim.Config{}, 2, 12, 12)
	// A branch left on n0's trunk that no pod owns.
	var trunk branch.ENIID
	for _, e := range s.EC2().Interfaces() {
		if e.Kind == sim.TrunkInterface && e.Instance == "n0" {
			trunk = e.ID
		}
	}
	orphan, _, err := s.EC2().AddBranch(trunk, branch.NewGroupSet(webSG), 100)
	require.NoError(t, err)
	before := branchIDs(s)
	require.Len(t, before, 13)
	require.NoError(t, s.Check())

	require.NoError(t, s.Run())
	r := s.Report()
	assert.Equal(t, 12, r.Pods.Running)
	assert.Equal(t, 12, r.Pods.AlreadyRunning)
	assert.Equal(t, 12, r.Pods.FromExistingBranches)
	assert.Equal(t, sim.Percentiles{}, r.StartupLatencySeconds, "pods running before the run have no start-up latency")
	assert.Equal(t, 0, r.Trunks.Created, "the trunks were there")
	assert.Empty(t, r.Trunks.ReadyLatencySeconds.Max)
	assert.Equal(t, 0, r.BranchENIs.Created)
	assert.Equal(t, 1, r.BranchENIs.Deleted, "the orphan, after the cool-down")
	assert.Equal(t, 0, r.BranchENIs.Leaked)
	for _, api := range []string{"CreateNetworkInterface", "AttachNetworkInterface", "AssociateTrunkInterface"} {
		assert.Zero(t, r.EC2.Calls[api], api)
	}
	assert.Equal(t, 2, r.EC2.Calls["DescribeSubnets"], "one Init per node")
	assert.Equal(t, slices.DeleteFunc(before, func(id branch.ENIID) bool { return id == orphan }), branchIDs(s))
	require.NoError(t, s.Check())

	// The pods hold their slots: m5.large takes 9 branches, so 6 more fit
	// on the two nodes, on the VLANs the rebuild left free.
	for i := range 6 {
		require.NoError(t, s.CreatePod(sim.PodSpec{Namespace: "default", Name: fmt.Sprintf("more-%d", i), Labels: map[string]string{"app": "web"}}))
	}
	require.NoError(t, s.CreatePod(sim.PodSpec{Namespace: "default", Name: "one-too-many", Labels: map[string]string{"app": "web"}}))
	require.NoError(t, s.Run())
	r = s.Report()
	assert.Equal(t, 18, r.Pods.Running)
	assert.Equal(t, 1, r.Pods.Pending)
	assert.Equal(t, 6, r.BranchENIs.Created)
	require.NoError(t, s.Check())
}

// Pods running from the start, then rolled: each old pod's branch cools
// down (60 s, trunk.DefaultCoolDown) before it is deleted, and each new
// pod gets a new one.
func TestRolloutRestartOfRunningPodsDeletesTheirBranchesAfterTheCoolDown(t *testing.T) {
	s := runningCluster(t, sim.Config{}, 2, 8, 8)
	old := branchIDs(s)
	require.Len(t, old, 8)
	require.NoError(t, s.RunUntil(time.Minute))
	require.NoError(t, s.RollWorkload("default", "web", 2, 0))
	// The old pods are released from 1m on: none of their branches can be
	// deleted before 2m.
	require.NoError(t, s.RunUntil(2*time.Minute-time.Millisecond))
	mid := s.Report()
	assert.Equal(t, 8, mid.Pods.Running)
	assert.Equal(t, 8, mid.BranchENIs.PeakCooling, "every old branch cooled")
	assert.Zero(t, mid.BranchENIs.Deleted)
	assert.Subset(t, branchIDs(s), old, "old branches still in EC2 while they cool")

	require.NoError(t, s.Run())
	r := s.Report()
	assert.Equal(t, 8, r.Pods.Running)
	assert.Equal(t, 16, r.Pods.Created, "8 running from the start, 8 new")
	assert.Equal(t, 8, r.Pods.AlreadyRunning)
	assert.Equal(t, 8, r.BranchENIs.Created)
	assert.Equal(t, 8, r.BranchENIs.Deleted)
	assert.Equal(t, 0, r.BranchENIs.Leaked)
	now := branchIDs(s)
	require.Len(t, now, 8)
	for _, id := range old {
		assert.NotContains(t, now, id, "old branch deleted")
	}
	require.NoError(t, s.Check())
}

// The same seed gives the same trace and report from a running start.
func TestRunningStartIsDeterministic(t *testing.T) {
	run := func() (sim.Report, []byte) {
		var buf bytes.Buffer
		s, err := sim.New(sim.Config{Seed: 3})
		require.NoError(t, err)
		s.SetTrace(&buf)
		require.NoError(t, s.AddPolicy(webPolicy()))
		for i := range 3 {
			require.NoError(t, s.AddNode(sim.NodeSpec{Name: fmt.Sprintf("n%d", i), InstanceType: "m5.large", TrunkAttached: i < 2}))
		}
		require.NoError(t, s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "web", Labels: map[string]string{"app": "web"},
			Replicas: 20, Running: 10}))
		require.NoError(t, s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "plain", Replicas: 4, Running: 4}))
		require.NoError(t, s.Schedule(time.Minute, func(s *sim.Sim) error { return s.RollWorkload("default", "web", 5, 0) }))
		require.NoError(t, s.Run())
		require.NoError(t, s.Check())
		return s.Report(), buf.Bytes()
	}
	r1, t1 := run()
	r2, t2 := run()
	assert.Equal(t, r1, r2)
	assert.Equal(t, t1, t2)
	assert.Equal(t, 14, r1.Pods.AlreadyRunning)
	assert.Equal(t, 10, r1.Pods.FromExistingBranches)
	assert.Contains(t, string(t1), `"event":"PodAlreadyRunning","object":"pod/default/web-0","detail":"on n0, eni eni-`)
	assert.Equal(t, 1, r1.Trunks.Created, "n2's trunk only")
}

func TestRunningStartRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  sim.Config
		node sim.NodeSpec
		wl   sim.WorkloadSpec
		want string
	}{
		{"windows node with a trunk", sim.Config{}, sim.NodeSpec{Name: "w", InstanceType: "m5.large", OS: 2, TrunkAttached: true}, sim.WorkloadSpec{},
			"TrunkAttached"},
		{"trunk with ENABLE_POD_ENI off", sim.Config{CNI: sim.CNI{DisablePodENI: true}}, sim.NodeSpec{Name: "n", InstanceType: "m5.large", TrunkAttached: true}, sim.WorkloadSpec{},
			"ENABLE_POD_ENI is false"},
		{"type without trunking", sim.Config{}, sim.NodeSpec{Name: "n", InstanceType: "t3.medium", TrunkAttached: true}, sim.WorkloadSpec{},
			"TrunkAttached"},
		{"more running than replicas", sim.Config{}, sim.NodeSpec{Name: "n", InstanceType: "m5.large", TrunkAttached: true},
			sim.WorkloadSpec{Namespace: "default", Name: "web", Replicas: 2, Running: 3}, "running 3 must be from 0 to replicas (2)"},
		{"no trunk for the branches", sim.Config{}, sim.NodeSpec{Name: "n", InstanceType: "m5.large"},
			sim.WorkloadSpec{Namespace: "default", Name: "web", Labels: map[string]string{"app": "web"}, Replicas: 2, Running: 2},
			"already running, but no node with its trunk attached"},
		{"more branches than the trunk takes", sim.Config{}, sim.NodeSpec{Name: "n", InstanceType: "m5.large", TrunkAttached: true},
			sim.WorkloadSpec{Namespace: "default", Name: "web", Labels: map[string]string{"app": "web"}, Replicas: 10, Running: 10},
			`workload "default/web": invalid spec: already running, but no node with its trunk attached (NodeSpec.TrunkAttached) has a free branch slot for 1 of the 10 pods`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := sim.New(tc.cfg)
			require.NoError(t, err)
			require.NoError(t, s.AddPolicy(webPolicy()))
			err = s.AddNode(tc.node)
			if tc.wl.Name != "" {
				require.NoError(t, err)
				err = s.AddWorkload(tc.wl)
			}
			require.ErrorIs(t, err, sim.ErrBadSpec)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// Upstream: controllers/custom/custom_controller.go WaitForCacheSync
// (v1.8.1) lets a starting controller rebuild a trunk before the pod
// datastore is filled, so InitTrunk (pkg/provider/branch/trunk/trunk.go)
// finds no pod owning the branches and deletes them all after the
// cool-down: a cluster started from running pods under that race loses
// their branches, as after a restart (controller.Config.RestartSyncRace).
func TestRunningStartUnderTheDatastoreSyncRaceDeletesTheBranches(t *testing.T) {
	s := runningCluster(t, sim.Config{Controller: sim.Controller{RestartSyncRace: true}}, 1, 4, 4)
	require.NoError(t, s.Run())
	r := s.Report()
	assert.Equal(t, 4, r.BranchENIs.Deleted)
	assert.Empty(t, branchIDs(s))
	require.ErrorIs(t, s.Check(), sim.ErrInvariant, "running pods whose branches are gone")
}

// Upstream (resource controller v1.8.2): pkg/aws/ec2/api/cleanup/eni_cleanup.go
// lists the available interfaces the controller tagged every 30 minutes
// and deletes those it saw available on its pass before: branch ENIs left
// available at time zero (ec2.availableBranches, as deleted nodes leave
// them) are leaked until the second pass deletes them. Master's preset
// (NodeDeletionWipe) runs no cleaner, and they stay.
func TestAvailableBranchesGoOnTheCleanersSecondPass(t *testing.T) {
	run := func(release controller.Release, until time.Duration) sim.Report {
		s, err := sim.New(sim.Config{Controller: sim.Controller{Release: release}, MaxTime: until})
		require.NoError(t, err)
		require.NoError(t, s.AddAvailableBranches(50))
		require.NoError(t, s.AddNode(sim.NodeSpec{Name: "n0", InstanceType: "m5.large"}))
		require.NoError(t, s.RunUntil(until))
		return s.Report()
	}
	early := run(controller.ReleaseV1_8_2, 10*time.Minute)
	assert.Equal(t, 50, early.BranchENIs.Leaked, "before the second pass")
	late := run(controller.ReleaseV1_8_2, 45*time.Minute)
	assert.Zero(t, late.BranchENIs.Leaked)
	assert.Equal(t, 50, late.EC2.Calls["DeleteNetworkInterface"])
	master := run(controller.ReleaseMaster, 45*time.Minute)
	assert.Equal(t, 50, master.BranchENIs.Leaked, "no cleaner on master")

	s, err := sim.New(sim.Config{})
	require.NoError(t, err)
	require.ErrorIs(t, s.AddAvailableBranches(-1), sim.ErrBadSpec)
}

// Upstream (resource controller v1.8.2): pkg/provider/branch/trunk/trunk.go
// InitTrunk rebuilds every branch the trunk's listing holds, claims those
// a running pod's pod-eni annotation names and queues the rest for
// deletion after the cool-down, their VLANs held till then. A node that
// joins with branches no pod owns (NodeSpec.UnownedBranches) keeps its
// running pods on theirs, takes the lowest VLANs for the unowned ones,
// and has them deleted about a cool-down later; until then they count
// against its nine branches, so of seven pods running with three unowned,
// six fit on one m5.large.
func TestUnownedBranchesAreDeletedAfterTheCoolDown(t *testing.T) {
	node := func() *sim.Sim {
		s, err := sim.New(sim.Config{})
		require.NoError(t, err)
		require.NoError(t, s.AddPolicy(webPolicy()))
		require.NoError(t, s.AddNode(sim.NodeSpec{Name: "n0", InstanceType: "m5.large", TrunkAttached: true, UnownedBranches: 3}))
		return s
	}
	s := node()
	err := s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "web", Labels: map[string]string{"app": "web"}, Replicas: 7, Running: 7})
	require.ErrorIs(t, err, sim.ErrBadSpec, "three unowned and seven running are more than nine")
	assert.ErrorContains(t, err, "for 1 of the 7 pods that need one (6 free)")
	assert.Empty(t, s.Pods(), "the refusal leaves the simulator as it was")
	require.NoError(t, s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "web", Labels: map[string]string{"app": "web"}, Replicas: 6, Running: 6}))
	require.Len(t, branchIDs(s), 9)
	require.NoError(t, s.Run())
	r := s.Report()
	assert.Equal(t, 6, r.Pods.FromExistingBranches)
	assert.Equal(t, 3, r.BranchENIs.Deleted)
	assert.Zero(t, r.BranchENIs.Created)
	assert.Zero(t, r.BranchENIs.Leaked)
	assert.Len(t, branchIDs(s), 6)
	require.NoError(t, s.Check())

	for _, bad := range []sim.NodeSpec{
		{Name: "a", InstanceType: "m5.large", UnownedBranches: 1},
		{Name: "b", InstanceType: "m5.large", TrunkAttached: true, UnownedBranches: 10},
		{Name: "c", InstanceType: "m5.large", TrunkAttached: true, UnownedBranches: -1},
	} {
		assert.ErrorIs(t, s.AddNode(bad), sim.ErrBadSpec, bad.Name)
	}
}

// A pod running already on a branch holds at most the groups an interface
// takes (EC2's quota, controller.groupsPerInterface): one whose policies
// give it more cannot be running on one, and the workload is refused
// before anything is made.
func TestRunningPodsWithMoreGroupsThanAnInterfaceTakesAreRefused(t *testing.T) {
	s, err := sim.New(sim.Config{Controller: sim.Controller{GroupsPerInterface: 1}})
	require.NoError(t, err)
	require.NoError(t, s.AddPolicy(webPolicy()))
	require.NoError(t, s.AddPolicy(branch.Policy{Namespace: "default", Name: "db",
		PodSelector: &branch.LabelSelector{MatchLabels: map[string]string{"tier": "db"}},
		Groups:      []branch.SecurityGroupID{branch.MustParseSecurityGroupID("sg-0fedcba9876543210")}}))
	require.NoError(t, s.AddNode(sim.NodeSpec{Name: "n", InstanceType: "m5.large", TrunkAttached: true}))
	err = s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "web", Labels: map[string]string{"app": "web", "tier": "db"}, Replicas: 1, Running: 1})
	require.ErrorIs(t, err, sim.ErrBadSpec)
	assert.ErrorContains(t, err, "already running, but with 2 security groups, more than the 1 an interface takes")
	assert.Empty(t, s.Pods())
}
