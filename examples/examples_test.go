package examples

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/scenario"
	"github.com/trunksim/trunksim/sim"
)

func run(t testing.TB, file string) sim.Report {
	t.Helper()
	sc, err := scenario.Load(file)
	require.NoError(t, err)
	r, err := sc.Run(scenario.Options{})
	require.NoError(t, err)
	return r
}

func scenarios(t testing.TB) []string {
	files, err := filepath.Glob("*/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

// Every example runs, and runs the same twice.
func TestExamplesAreDeterministic(t *testing.T) {
	for _, f := range scenarios(t) {
		t.Run(f, func(t *testing.T) {
			a, b := run(t, f), run(t, f)
			assert.Equal(t, a, b)
		})
	}
}

// Upstream: test/integration/scale/pod_scale_test.go — 1,000 pods on one
// policy must be running within 5.5 minutes; the rate limits mean no
// sooner than (2N - B) / Q on the user client.
func TestScaleTestPassesUpstreamsBar(t *testing.T) {
	for _, f := range []string{"scale-test/scenario.yaml", "scale-test/v1.7.19.yaml"} {
		r := run(t, f)
		assert.Equal(t, 1000, r.Pods.Running, f)
		rollout := r.StartupLatencySeconds.Max
		assert.Less(t, rollout, 330.0, f)
		assert.GreaterOrEqual(t, rollout, float64(2*1000-36)/24, f) // the faster of the two releases' user clients
	}
}

func TestRollingUpdateStallsOnTheCoolDown(t *testing.T) {
	r := run(t, "rolling-update/scenario.yaml")
	assert.Equal(t, 27, r.Pods.Running)
	assert.Positive(t, r.BranchENIs.CapacityRequeues)
	assert.GreaterOrEqual(t, r.StartupLatencySeconds.Max, 60.0, "new pods wait out the cool-down")
}

func TestMixedPodsShowTheIPsTheTrunkCosts(t *testing.T) {
	r := run(t, "mixed-pods/scenario.yaml")
	// 4 m5.large: 36 branch slots for 30 payments pods, 72 IPs for 80
	// frontend pods once the trunks took an interface each.
	assert.Equal(t, 30+72, r.Pods.Running)
	assert.Equal(t, 8, r.Pods.Pending)
	assert.Contains(t, keys(r.PendingReasons), "secondary IP")
}

func TestT3NodesCannotHostSecurityGroupPods(t *testing.T) {
	r := run(t, "t3-nodegroup/scenario.yaml")
	assert.Equal(t, 18, r.Pods.Running, "only the m5.xlarge's 18 branch slots")
	assert.Equal(t, 7, r.Pods.Pending)
	assert.Equal(t, 5, r.Trunks.Unsupported)
	assert.Contains(t, strings.Join(r.Warnings, "\n"), "burstable")
}

// As released (v1.8.2), a deleted node's branch ENIs are not deleted by
// the controller: its trunk goes with the instance, the branches become
// available, and the cluster ENI cleaner deletes them on its second
// sighting, 30-60 minutes later (pkg/provider/branch/provider.go
// DeleteNode, pkg/aws/ec2/api/cleanup/eni_cleanup.go). The run ends at
// 3 minutes with them still there; run on to 70 minutes, the cleaner has
// deleted every one.
func TestNodeTerminationMidRollout(t *testing.T) {
	r := run(t, "node-termination/scenario.yaml")
	assert.Equal(t, 200, r.Pods.Running, "replacements run on the new nodes")
	assert.Equal(t, 2, r.Trunks.Deleted)
	assert.Equal(t, 8, r.Trunks.Created)
	require.NotNil(t, r.NodeDeletion)
	left := r.NodeDeletion.BranchENIs
	assert.Positive(t, left)
	assert.Equal(t, left, r.NodeDeletion.Remaining)
	assert.GreaterOrEqual(t, r.BranchENIs.Leaked, left)

	sc, err := scenario.Load("node-termination/scenario.yaml")
	require.NoError(t, err)
	sc.Until = 70 * time.Minute
	later, err := sc.Run(scenario.Options{})
	require.NoError(t, err)
	require.NotNil(t, later.NodeDeletion)
	assert.GreaterOrEqual(t, later.NodeDeletion.CleanerDeleted, later.NodeDeletion.BranchENIs, "the cleaner deleted them all, and any other available branch")
	assert.Zero(t, later.NodeDeletion.Remaining)
	assert.Zero(t, later.BranchENIs.Leaked)
	assert.GreaterOrEqual(t, later.NodeDeletion.LongestSeconds, 30*60.0)
	assert.LessOrEqual(t, later.NodeDeletion.LongestSeconds, 62*60.0)
}

func keys(m map[string]int) string {
	var b strings.Builder
	for k := range m {
		b.WriteString(k)
		b.WriteByte('\n')
	}
	return b.String()
}

// 500 security-group pods from zero nodes with a NodePool that allows t3
// and m5: Karpenter launches only m5, as t3 has no
// vpc.amazonaws.com/pod-eni in its view (karpenter-provider-aws
// pkg/providers/instancetype/types.go), and every pod's wait is broken
// down into the node's launch, its trunk and its branch.
func TestKarpenterLaunchesOnlyTrunkCapableNodes(t *testing.T) {
	r := run(t, "karpenter/scenario.yaml")
	assert.Equal(t, 500, r.Pods.Running)
	require.NotNil(t, r.Provisioning)
	for typ := range r.Provisioning.NodePools[0].InstanceTypes {
		assert.True(t, strings.HasPrefix(typ, "m5."), typ)
	}
	// m5.2xlarge holds 38 branch ENIs, so 500 pods take 14 nodes.
	assert.Equal(t, 14, r.Provisioning.NodesLaunched)
	bd := r.StartupBreakdownSeconds
	assert.Positive(t, bd.WaitingForNode)
	assert.Positive(t, bd.WaitingForTrunk)
	assert.Zero(t, r.BranchENIs.Leaked)
}

// cluster-autoscaler grows the group from 1 node for 60 pods: 6 nodes
// would do, but each joins before its trunk is made and a scan in that
// window asks for 6 more (kubernetes/autoscaler#2947,
// clusterstate/clusterstate.go GetUpcomingNodes); the spares are removed
// once empty for scale-down-unneeded-time.
func TestClusterAutoscalerOvershootsThenScalesDown(t *testing.T) {
	r := run(t, "cluster-autoscaler/scenario.yaml")
	assert.Equal(t, 60, r.Pods.Running)
	require.NotNil(t, r.ClusterAutoscaler)
	assert.Equal(t, 12, r.ClusterAutoscaler.NodesAdded)
	assert.Equal(t, 6, r.ClusterAutoscaler.NodesRemoved)
	assert.Equal(t, 7, r.ClusterAutoscaler.Groups[0].Size, "ceil(60/9)")
	assert.Zero(t, r.BranchENIs.Leaked)
}

// Cutting a Deployment on Karpenter's nodes and restarting it while
// Karpenter consolidates: an emptied node goes (pkg/controllers/
// disruption/emptiness.go), then underutilized ones one a pass within the
// default 10% budget, their pods moved (singlenodeconsolidation.go). Most
// of the branches left, cooling, are swept before the controller's
// NodeDelete job; some of the evicted pods' are not, and wait for the
// cluster ENI cleaner.
func TestKarpenterConsolidatesEmptiedNodes(t *testing.T) {
	r := run(t, "karpenter-consolidation/scenario.yaml")
	assert.Equal(t, 10, r.Pods.Running)
	require.NotNil(t, r.Provisioning)
	assert.Equal(t, 5, r.Provisioning.NodesDeleted)
	require.NotNil(t, r.NodeDeletion)
	assert.Equal(t, 37, r.NodeDeletion.BranchENIs)
	assert.Equal(t, 6, r.NodeDeletion.CleanerDeleted)
	assert.Zero(t, r.NodeDeletion.Remaining)
	assert.Zero(t, r.BranchENIs.Leaked)
}

// BenchmarkScenarios runs each example and reports its simulated figures.
func BenchmarkScenarios(b *testing.B) {
	for _, f := range scenarios(b) {
		sc, err := scenario.Load(f)
		require.NoError(b, err)
		b.Run(strings.TrimSuffix(f, ".yaml"), func(b *testing.B) {
			b.ReportAllocs()
			var r sim.Report
			for b.Loop() {
				r, err = sc.Run(scenario.Options{})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(r.StartupLatencySeconds.P50, "p50-startup-s")
			b.ReportMetric(r.StartupLatencySeconds.P99, "p99-startup-s")
			if r.LastReadySeconds > 0 {
				b.ReportMetric(float64(r.Pods.Running)/r.LastReadySeconds, "pods/sim-s")
			}
			if r.Provisioning != nil {
				b.ReportMetric(float64(r.Provisioning.NodesLaunched), "nodes-launched")
			}
		})
	}
}
