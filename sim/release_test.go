package sim_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/controller"
	"github.com/trunksim/trunksim/limits"
	"github.com/trunksim/trunksim/sim"
)

// TestControllerReleaseDefaults follows main.go of
// aws/amazon-vpc-resource-controller-k8s: --user-client-qps/burst 12/18 and
// --node-mgr-workers 10 through v1.7.22 (and master b8d4251), 24/36 and 20
// from v1.7.23 (= v1.8.0, read at v1.8.0 and v1.8.2). The release also
// picks its instance table.
func TestControllerReleaseDefaults(t *testing.T) {
	tests := []struct {
		release    controller.Release
		qps        float64
		burst, nw  int
		types      int
		assumption string
	}{
		{controller.ReleaseV1_7_19, 12, 18, 10, 1164, "controller release v1.7.19 (defaults and instance table): user client 12 QPS burst 18"},
		{controller.ReleaseMaster, 12, 18, 10, 1164, "controller release master"},
		{controller.ReleaseV1_7_22, 12, 18, 10, 1290, "controller release v1.7.22"},
		{controller.ReleaseV1_7_23, 24, 36, 20, 1346, "controller release v1.7.23 (defaults and instance table): user client 24 QPS burst 36, instance client 12 QPS burst 18, 20 node workers"},
		{controller.ReleaseV1_8_1, 24, 36, 20, 1401, "controller release v1.8.1"},
		{controller.ReleaseV1_8_2, 24, 36, 20, 1423, "controller release v1.8.2"},
	}
	for _, tt := range tests {
		t.Run(tt.release.String(), func(t *testing.T) {
			s, err := sim.New(sim.Config{Controller: sim.Controller{Release: tt.release}})
			require.NoError(t, err)
			cfg := s.Config()
			assert.Equal(t, tt.qps, cfg.Controller.UserClientQPS)
			assert.Equal(t, tt.burst, cfg.Controller.UserClientBurst)
			assert.Equal(t, tt.nw, cfg.Controller.NodeWorkers)
			assert.Equal(t, tt.types, cfg.Limits.Len())
			assert.Equal(t, tt.release.String(), cfg.Limits.Release())
			assert.Contains(t, s.Report().Assumptions, findPrefix(s.Report().Assumptions, tt.assumption))
		})
	}
	// Unset models the newest release: v1.8.2's defaults and table.
	s, err := sim.New(sim.Config{})
	require.NoError(t, err)
	assert.Equal(t, "v1.8.2", s.Config().Limits.Release())
	assert.Equal(t, 24.0, s.Config().Controller.UserClientQPS)
	assert.Equal(t, sim.NodeDeletionRelease, s.Config().Controller.NodeDeletion)
	// The release wins over the deprecated preset.
	s, err = sim.New(sim.Config{Controller: sim.Controller{Preset: sim.PresetRaisedLimits, Release: controller.ReleaseV1_7_20}})
	require.NoError(t, err)
	assert.Equal(t, 10, s.Config().Controller.NodeWorkers)
	_, err = sim.New(sim.Config{Controller: sim.Controller{Release: 99}})
	require.ErrorIs(t, err, sim.ErrBadConfig)
	assert.ErrorContains(t, err, "Controller.Release")
}

func findPrefix(lines []string, prefix string) string {
	for _, l := range lines {
		if len(l) >= len(prefix) && l[:len(prefix)] == prefix {
			return l
		}
	}
	return "no line starts with " + prefix
}

// TestI4iLargeTrunksFromV181 follows pkg/aws/vpc/limits.go: i4i.large
// became trunk-compatible with 9 branches in v1.8.1; before, its node gets
// an Unsupported event.
func TestI4iLargeTrunksFromV181(t *testing.T) {
	for _, tt := range []struct {
		release  controller.Release
		capacity int
	}{{controller.ReleaseV1_8_0, 0}, {controller.ReleaseV1_8_1, 9}, {controller.ReleaseV1_8_2, 9}} {
		s, err := sim.New(sim.Config{Controller: sim.Controller{Release: tt.release}})
		require.NoError(t, err)
		require.NoError(t, s.AddNode(sim.NodeSpec{Name: "i4i", InstanceType: "i4i.large"}))
		require.NoError(t, s.Run())
		assert.Equal(t, tt.capacity, s.Nodes()[0].PodENICapacity, tt.release)
		assert.Equal(t, tt.capacity == 0, s.Report().Events["Unsupported"] == 1, tt.release)
	}
}

// TestUnlistedTypeJoinsUnsupported follows upstream
// pkg/provider/branch/provider.go IsInstanceSupported (v1.7.19 and v1.8.2):
// a node whose type is missing from pkg/aws/vpc/limits.go still joins, gets
// an Unsupported event and never a trunk. Its max pods come from the VPC
// CNI's misc/eni-max-pods.txt (amazon-vpc-cni-k8s v1.23.2), which has
// c8ib.large (new in v1.7.20) but not r9g.large (new in v1.8.2).
func TestUnlistedTypeJoinsUnsupported(t *testing.T) {
	s, err := sim.New(sim.Config{Controller: sim.Controller{Release: controller.ReleaseV1_7_19}})
	require.NoError(t, err)
	require.NoError(t, s.AddPolicy(webPolicy()))

	// r9g.large: only v1.8.2's table has it, and the CNI's file does not.
	err = s.AddNode(sim.NodeSpec{Name: "r9g", InstanceType: "r9g.large"})
	require.ErrorIs(t, err, sim.ErrBadSpec)
	assert.ErrorContains(t, err, "MaxPods: instance type r9g.large is not in the instance table of controller release v1.7.19")
	assert.ErrorContains(t, err, "use controller release v1.8.2")
	assert.Empty(t, s.Nodes(), "a failed AddNode leaves no node")

	require.NoError(t, s.AddNode(sim.NodeSpec{Name: "r9g", InstanceType: "r9g.large", MaxPods: 59}))
	require.NoError(t, s.AddNode(sim.NodeSpec{Name: "c8ib", InstanceType: "c8ib.large"}))
	createWeb(t, s, 0, 1)
	require.NoError(t, s.CreatePod(sim.PodSpec{Namespace: "default", Name: "plain"}))
	require.NoError(t, s.Run())
	r := s.Report()
	assert.Equal(t, 2, r.Events["Unsupported"])
	assert.Equal(t, 2, r.Trunks.Unsupported)
	assert.Zero(t, r.Trunks.Created)
	assert.Equal(t, 1, r.Pods.Running, "the ordinary pod runs on an unlisted node")
	assert.Equal(t, 1, r.Pods.Pending, "the security-group pod waits: no node has a trunk")
	for _, n := range s.Nodes() {
		assert.Contains(t, n.Ineligible, "is not in the instance table of resource-controller release v1.7.19")
		assert.Contains(t, n.Ineligible, "(controller.version: v1.8.2)")
		assert.Zero(t, n.PodENICapacity)
	}
	assert.Contains(t, r.Warnings, "1 node(s) [c8ib]: max pods from the VPC CNI's github.com/aws/amazon-vpc-cni-k8s@v1.23.2 misc/eni-max-pods.txt, as controller release v1.7.19 lacks their type")

	// A type no release has is still refused; on a listed type MaxPods is
	// kubelet's override.
	err = s.AddNode(sim.NodeSpec{Name: "x", InstanceType: "r99.large"})
	require.ErrorIs(t, err, limits.ErrUnknownType)
	require.NoError(t, s.AddNode(sim.NodeSpec{Name: "m5", InstanceType: "m5.large", MaxPods: 20}))
	for _, n := range s.Nodes() {
		if n.Name == "m5" {
			assert.Equal(t, 20, n.MaxPods)
		}
	}

	// Under v1.8.2 the same type gets a trunk.
	s, err = sim.New(sim.Config{Controller: sim.Controller{Release: controller.ReleaseV1_8_2}})
	require.NoError(t, err)
	require.NoError(t, s.AddNode(sim.NodeSpec{Name: "r9g", InstanceType: "r9g.large"}))
	require.NoError(t, s.Run())
	assert.Equal(t, 9, s.Nodes()[0].PodENICapacity)
}
