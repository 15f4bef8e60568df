package sim_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/controller"
	"github.com/trunksim/trunksim/karpenter"
	"github.com/trunksim/trunksim/limits"
	"github.com/trunksim/trunksim/sim"
)

var sgWeb = branch.Policy{Namespace: "default", Name: "web",
	PodSelector: &branch.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
	Groups:      []branch.SecurityGroupID{branch.MustParseSecurityGroupID("sg-0123456789abcdef0")}}

func karpenterSim(t require.TestingT, cfg sim.Config, pools ...karpenter.NodePool) *sim.Sim {
	s, err := sim.New(cfg)
	require.NoError(t, err)
	require.NoError(t, s.AddPolicy(sgWeb))
	require.NoError(t, s.UseKarpenter(pools, []karpenter.NodeClass{{Name: "default"}}))
	return s
}

func requirement(key string, values ...string) karpenter.Requirement {
	return karpenter.Requirement{Key: key, Operator: karpenter.In, Values: values}
}

func m5Pool() karpenter.NodePool {
	return karpenter.NodePool{Name: "default", NodeClass: "default", Requirements: karpenter.Requirements{
		requirement("karpenter.k8s.aws/instance-family", "t3", "m5"),
		requirement("karpenter.k8s.aws/instance-size", "large", "xlarge"),
		requirement("karpenter.sh/capacity-type", "on-demand")}}
}

// From zero nodes, Karpenter launches trunk-compatible nodes for
// security-group pods; each pod waits for its node, then for the node's
// trunk, then for its branch, and the report's breakdown says so.
func TestKarpenterProvisionsSecurityGroupPodsFromZeroNodes(t *testing.T) {
	s := karpenterSim(t, sim.Config{Seed: 1}, m5Pool())
	require.NoError(t, s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "web", Replicas: 40, Labels: map[string]string{"app": "web"}}))
	require.NoError(t, s.Run())
	r := s.Report()
	assert.Equal(t, 40, r.Pods.Running)
	require.NotNil(t, r.Provisioning)
	assert.Equal(t, 3, r.Provisioning.NodesLaunched, "18 branch ENIs on each m5.xlarge, 4 left for an m5.large")
	assert.Equal(t, map[string]int{"m5.xlarge": 2, "m5.large": 1}, r.Provisioning.NodePools[0].InstanceTypes)
	bd := r.StartupBreakdownSeconds
	assert.InDelta(t, (karpenter.DefaultBatchIdle + karpenter.DefaultLaunch + karpenter.DefaultRegistration + karpenter.DefaultStartup).Seconds(), bd.WaitingForNode, 0.001)
	assert.Positive(t, bd.WaitingForTrunk)
	assert.Zero(t, bd.Scheduling, "nothing else kept the pods unscheduled")
	assert.NoError(t, s.Check())
	for _, n := range s.Nodes() {
		assert.Positive(t, n.PodENICapacity, n.Name)
	}
}

// With ENABLE_POD_ENI false the node Karpenter launched for pod-eni pods
// never advertises it and never initializes; Karpenter keeps counting
// its expected capacity and launches no more, so the pods stay Pending
// (karpenter-provider-aws website troubleshooting.md; karpenter
// pkg/controllers/state/statenode.go).
func TestNodeThatNeverAdvertisesPodENIIsLaunchedOnce(t *testing.T) {
	s := karpenterSim(t, sim.Config{Seed: 1, MaxTime: 10 * time.Minute, CNI: sim.CNI{DisablePodENI: true}}, m5Pool())
	require.NoError(t, s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "web", Replicas: 5, Labels: map[string]string{"app": "web"}}))
	require.NoError(t, s.RunUntil(10*time.Minute))
	r := s.Report()
	assert.Equal(t, 5, r.Pods.Pending)
	assert.Equal(t, 1, r.Provisioning.NodesLaunched)
	assert.Equal(t, 1, r.Provisioning.NotInitialized)
	assert.Contains(t, fmt.Sprint(r.Warnings), "never initialized")
}

// Karpenter sizes nodes by its own instance table, generated from the
// newest controller release's; a cluster running an older release whose
// table cannot trunk the type gets a node that joins with an Unsupported
// event and never initializes (aws/karpenter-provider-aws#8981): i4i.large
// holds a trunk only from v1.8.1.
func TestTypeTheClustersReleaseCannotTrunkNeverInitializes(t *testing.T) {
	np := karpenter.NodePool{Name: "i4i", NodeClass: "default", Requirements: karpenter.Requirements{
		requirement("node.kubernetes.io/instance-type", "i4i.large")}}
	s := karpenterSim(t, sim.Config{Seed: 1, MaxTime: 5 * time.Minute, Controller: sim.Controller{Release: controller.ReleaseV1_7_19}}, np)
	require.NoError(t, s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "web", Replicas: 3, Labels: map[string]string{"app": "web"}}))
	require.NoError(t, s.RunUntil(5*time.Minute))
	r := s.Report()
	assert.Equal(t, 1, r.Provisioning.NodesLaunched)
	assert.Equal(t, 1, r.Provisioning.NotInitialized)
	assert.Equal(t, 3, r.Pods.Pending)
}

// No pod that asks for pod-eni is ever bound to a node that cannot hold a
// trunk, and every node Karpenter sized for such pods can trunk, whatever
// the NodePool allows.
func TestPropertyNoSecurityGroupPodOnANodeThatCannotTrunk(t *testing.T) {
	families := []string{"t3", "t3a", "t2", "m5", "c5", "r5", "m6i", "c6g", "m7g", "a1", "c4"}
	rapid.Check(t, func(t *rapid.T) {
		fams := rapid.SliceOfNDistinct(rapid.SampledFrom(families), 1, 4, func(s string) string { return s }).Draw(t, "families")
		np := karpenter.NodePool{Name: "p", NodeClass: "default", Requirements: karpenter.Requirements{
			requirement("karpenter.k8s.aws/instance-family", fams...),
			requirement("karpenter.k8s.aws/instance-size", "medium", "large", "xlarge")}}
		s := karpenterSim(t, sim.Config{Seed: rapid.Uint64().Draw(t, "seed"), MaxTime: 20 * time.Minute}, np)
		sg := rapid.IntRange(0, 60).Draw(t, "sgPods")
		plain := rapid.IntRange(0, 60).Draw(t, "plainPods")
		if sg > 0 {
			require.NoError(t, s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "web", Replicas: sg, Labels: map[string]string{"app": "web"}}))
		}
		if plain > 0 {
			require.NoError(t, s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "plain", Replicas: plain}))
		}
		require.NoError(t, s.RunUntil(20*time.Minute))
		require.NoError(t, s.Check())
		nodes := map[string]sim.NodeStatus{}
		for _, n := range s.Nodes() {
			nodes[n.Name] = n
		}
		for _, p := range s.Pods() {
			if p.NeedsBranch && p.Node != "" {
				typ, err := limits.Default().Lookup(nodes[p.Node].InstanceType)
				require.NoError(t, err)
				require.True(t, typ.TrunkingCompatible, "%s on %s", p.Name, typ.Name)
			}
		}
		k := s.Karpenter()
		for i := range k.Claims() {
			if c := k.Claim(karpenter.ClaimID(i)); c.RequestedPodENI {
				require.True(t, c.Type.TrunkingCompatible, "%s sized for pod-eni pods", c.Type.Name)
			}
		}
	})
}

// The same run twice gives the same trace and report.
func TestKarpenterRunsAreDeterministic(t *testing.T) {
	run := func() sim.Report {
		s := karpenterSim(t, sim.Config{Seed: 3}, m5Pool())
		require.NoError(t, s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "web", Replicas: 100, Labels: map[string]string{"app": "web"}, Interval: 200 * time.Millisecond}))
		require.NoError(t, s.Run())
		return s.Report()
	}
	assert.Equal(t, run(), run())
}

// UseKarpenter is refused a second time, and for a bad NodePool, naming it.
func TestUseKarpenterRefusesBadCalls(t *testing.T) {
	s, err := sim.New(sim.Config{})
	require.NoError(t, err)
	err = s.UseKarpenter([]karpenter.NodePool{{Name: "p", NodeClass: "missing"}}, nil)
	assert.ErrorIs(t, err, sim.ErrBadSpec)
	assert.ErrorContains(t, err, `NodePool "p"`)
	require.NoError(t, s.UseKarpenter(nil, nil))
	assert.ErrorIs(t, s.UseKarpenter(nil, nil), sim.ErrDuplicate)
}

// Karpenter consolidates a node soon after its last pod goes
// (consolidateAfter 0s, the CRD's default, plus the 15s validation),
// sooner than the controller's 60s cool-down, so the node is deleted with
// branch ENIs still cooling. At v1.8.2 the node's trunk stays in the
// controller's cache until the NodeDelete job a minute later
// (pkg/provider/branch/provider.go DeleteNode), and its sweep deletes
// the cooling branches in that minute; none is left to the cluster ENI
// cleaner.
func TestConsolidatedNodesCoolingBranchesAreSweptBeforeTheNodeDeleteJob(t *testing.T) {
	np := m5Pool()
	np.Consolidation = karpenter.Consolidation{Policy: karpenter.WhenEmptyOrUnderutilized}
	s := karpenterSim(t, sim.Config{Seed: 1, MaxTime: 2 * time.Hour}, np)
	require.NoError(t, s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "web", Replicas: 30, Labels: map[string]string{"app": "web"}}))
	require.NoError(t, s.Schedule(10*time.Minute, func(s *sim.Sim) error { return s.ScaleWorkload("default", "web", 0) }))
	require.NoError(t, s.RunUntil(11*time.Minute))
	r := s.Report()
	assert.Equal(t, r.Provisioning.NodesLaunched, r.Provisioning.NodesDeleted, "every node consolidated")
	require.NotNil(t, r.NodeDeletion)
	assert.Positive(t, r.NodeDeletion.Remaining, "cooling branches of deleted nodes")
	require.NoError(t, s.RunUntil(2*time.Hour))
	r = s.Report()
	assert.Zero(t, r.NodeDeletion.Remaining)
	assert.Zero(t, r.NodeDeletion.CleanerDeleted, "the sweep got them all")
	assert.Less(t, r.NodeDeletion.LongestSeconds, time.Minute.Seconds())
	assert.Zero(t, r.BranchENIs.Leaked)
}

// A node that expires before it has joined never joins.
func TestNodeExpiredBeforeItJoinsNeverJoins(t *testing.T) {
	np := m5Pool()
	np.ExpireAfter = 10 * time.Second
	s := karpenterSim(t, sim.Config{Seed: 1, MaxTime: 3 * time.Minute}, np)
	require.NoError(t, s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "web", Replicas: 2, Labels: map[string]string{"app": "web"}}))
	require.NoError(t, s.RunUntil(3*time.Minute))
	assert.Empty(t, s.Nodes(), "every claim expired before its node joined")
	r := s.Report()
	assert.Equal(t, r.Provisioning.NodesLaunched, r.Provisioning.NodesDeleted)
	assert.Positive(t, r.Provisioning.NodesLaunched)
	assert.NoError(t, s.Check())
}
