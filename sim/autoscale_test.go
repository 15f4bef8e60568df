package sim_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/autoscaler"
	"github.com/trunksim/trunksim/sim"
)

func autoscaledSim(t *testing.T, cfg sim.Config, groups ...sim.AutoscaledGroup) *sim.Sim {
	t.Helper()
	s, err := sim.New(cfg)
	require.NoError(t, err)
	require.NoError(t, s.AddPolicy(sgWeb))
	require.NoError(t, s.UseClusterAutoscaler(groups))
	return s
}

func m5Group(size, maxSize, tag int) sim.AutoscaledGroup {
	return sim.AutoscaledGroup{Group: autoscaler.Group{Name: "ng", Min: 0, Max: maxSize, Size: size, TemplatePodENI: tag},
		Node: sim.NodeSpec{InstanceType: "m5.large"}}
}

// Scale from zero: cluster-autoscaler learns pod-eni only from a real
// node of the group or from the group's node-template resource tag
// (cloudprovider/aws/aws_manager.go buildNodeFromTemplate; kubernetes/
// autoscaler#6021, #6804), so an empty m5.large group without the tag
// never grows for 20 security-group pods; with the tag at 9 it grows to
// 3 on its first scan.
func TestScaleFromZeroNeedsThePodENITemplateTag(t *testing.T) {
	s := autoscaledSim(t, sim.Config{Seed: 1, MaxTime: 5 * time.Minute}, m5Group(0, 10, 0))
	require.NoError(t, s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "web", Replicas: 20, Labels: map[string]string{"app": "web"}}))
	require.NoError(t, s.RunUntil(5*time.Minute))
	r := s.Report()
	assert.Zero(t, r.ClusterAutoscaler.NodesAdded)
	assert.Positive(t, r.ClusterAutoscaler.NoScaleUpScans)
	assert.Equal(t, 20, r.Pods.Pending)

	s = autoscaledSim(t, sim.Config{Seed: 1}, m5Group(0, 10, 9))
	require.NoError(t, s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "web", Replicas: 20, Labels: map[string]string{"app": "web"}}))
	require.NoError(t, s.RunUntil(autoscaler.DefaultScanInterval))
	assert.Equal(t, 3, s.Report().ClusterAutoscaler.Groups[0].Size, "ceil(20/9) on the first scan")
	require.NoError(t, s.Run())
	assert.Equal(t, 20, s.Report().Pods.Running)
}

// The double scale-up: a new node stops being upcoming once it has
// joined (clusterstate/clusterstate.go GetUpcomingNodes), but pod-eni
// appears only once the controller has made its trunk, so a scan in
// between sees the pending pod fit nowhere and grows the group again
// (kubernetes/autoscaler#2947); the spare node is removed once empty for
// scale-down-unneeded-time, no sooner than scale-down-delay-after-add.
func TestNodeJoinedBeforeItsTrunkScalesUpTwice(t *testing.T) {
	// A slow trunk attach makes a scan fall between join and pod-eni.
	s := autoscaledSim(t, sim.Config{Seed: 1, EC2: sim.EC2{AttachDelay: 30 * time.Second}}, m5Group(1, 10, 0))
	require.NoError(t, s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "web", Replicas: 10, Labels: map[string]string{"app": "web"}}))
	require.NoError(t, s.RunUntil(10*time.Minute))
	r := s.Report()
	assert.Equal(t, 10, r.Pods.Running)
	assert.Equal(t, 2, r.ClusterAutoscaler.NodesAdded, "one node for the tenth pod, and a spare")
	require.NoError(t, s.RunUntil(45*time.Minute))
	r = s.Report()
	assert.Equal(t, 1, r.ClusterAutoscaler.NodesRemoved, "the spare, once empty long enough")
	assert.Equal(t, 2, r.ClusterAutoscaler.Groups[0].Size)
}

// When the trunk is made before the next scan after the node joins, that
// scan finds pod-eni on it and the group grows once. At the defaults the
// node joins on a scan (70s is seven scans) and the race is lost; with a
// 30s scan the node joins at 100s, its trunk is ready about 5s later and
// the next scan is at 120s.
func TestNodeWithItsTrunkBeforeTheNextScanScalesUpOnce(t *testing.T) {
	s := autoscaledSim(t, sim.Config{Seed: 1, ClusterAutoscaler: autoscaler.Config{ScanInterval: 30 * time.Second}}, m5Group(1, 10, 0))
	require.NoError(t, s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "web", Replicas: 10, Labels: map[string]string{"app": "web"}}))
	require.NoError(t, s.RunUntil(10*time.Minute))
	r := s.Report()
	assert.Equal(t, 10, r.Pods.Running)
	assert.Equal(t, 1, r.ClusterAutoscaler.NodesAdded)
	assert.Positive(t, r.ClusterAutoscaler.FirstPendingToNodeReadySeconds)
	assert.NoError(t, s.Check())
}

// maxSize bounds a group.
func TestAutoscaledGroupStopsAtMaxSize(t *testing.T) {
	s := autoscaledSim(t, sim.Config{Seed: 1, MaxTime: 10 * time.Minute}, m5Group(1, 2, 0))
	require.NoError(t, s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "web", Replicas: 40, Labels: map[string]string{"app": "web"}}))
	require.NoError(t, s.RunUntil(10*time.Minute))
	r := s.Report()
	assert.Equal(t, 2, r.ClusterAutoscaler.Groups[0].Size)
	assert.Equal(t, 18, r.Pods.Running)
	assert.Positive(t, r.ClusterAutoscaler.NoScaleUpScans)
}

// A run with no end time goes on while cluster-autoscaler has work, its
// scans then keeping the run going, and ends once no group can take the
// pods left: with the tag the pods all start; without it the run ends
// with them pending rather than scanning forever.
func TestRunToIdleWaitsForTheAutoscalerOnlyWhileItCanHelp(t *testing.T) {
	for _, tc := range []struct {
		tag, running int
	}{{9, 20}, {0, 0}} {
		s := autoscaledSim(t, sim.Config{Seed: 1}, m5Group(0, 10, tc.tag))
		require.NoError(t, s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "web", Replicas: 20, Labels: map[string]string{"app": "web"}}))
		require.NoError(t, s.Run())
		assert.Equal(t, tc.running, s.Report().Pods.Running, "tag %d", tc.tag)
		assert.Less(t, s.Now(), time.Hour, "tag %d", tc.tag)
	}
}
