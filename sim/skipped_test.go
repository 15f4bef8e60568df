package sim_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/sim"
)

// Upstream (resource controller v1.8.2): controllers/core/node_controller.go
// Reconcile returns at once for a node labelled
// eks.amazonaws.com/compute-type=auto, before the node manager adds it:
// an EKS Auto Mode node never gets a trunk, and no event says so. Its
// security-group pods stay Pending for want of pod-eni; ordinary pods run.
func TestAutoModeNodeIsSkippedByTheNodeReconciler(t *testing.T) {
	s, err := sim.New(sim.Config{})
	require.NoError(t, err)
	require.NoError(t, s.AddPolicy(webPolicy()))
	require.NoError(t, s.AddNode(sim.NodeSpec{Name: "auto-1", InstanceType: "m5.large",
		Labels: map[string]string{sim.LabelComputeType: "auto"}}))
	require.NoError(t, s.AddNode(sim.NodeSpec{Name: "mng-1", InstanceType: "m5.large",
		Labels: map[string]string{sim.LabelComputeType: "ec2"}}))
	createWeb(t, s, 0, 12)
	require.NoError(t, s.Run())
	r := s.Report()
	assert.Equal(t, 1, r.Trunks.Created, "the managed node only")
	assert.Zero(t, r.Events["Unsupported"])
	assert.Equal(t, 9, r.Pods.Running, "the managed node's 9 branches")
	assert.Equal(t, 3, r.Pods.Pending)
	assert.Contains(t, strings.Join(r.Warnings, "\n"), "1 node(s) [auto-1]: EKS Auto Mode node")
}

// Upstream (resource controller v1.8.2): webhooks/core/pod_webhook.go
// WhichPod sorts out a pod labelled eks.amazonaws.com/fargate-profile and
// HandleFargatePod gives it the fargate.amazonaws.com/pod-sg annotation,
// never pod-eni: it takes no branch ENI of the cluster's nodes, since it
// runs on Fargate. The simulator does not model Fargate, so it refuses
// such a pod with that reason rather than place it on a node.
func TestFargatePodIsRefusedWithItsReason(t *testing.T) {
	s, err := sim.New(sim.Config{})
	require.NoError(t, err)
	fargate := map[string]string{"app": "web", sim.LabelFargateProfile: "fp-default"}
	err = s.CreatePod(sim.PodSpec{Namespace: "default", Name: "f", Labels: fargate})
	require.ErrorIs(t, err, sim.ErrBadSpec)
	assert.ErrorContains(t, err, "runs on Fargate")
	err = s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "w", Labels: fargate, Replicas: 1})
	require.ErrorIs(t, err, sim.ErrBadSpec)
	assert.Empty(t, s.Pods(), "a refused call changes nothing")
}

// A workload whose pods complete (a Lifetime, as a Job's) has no rolling
// update, as it has no scale: its completed pods would count against the
// new revision and the update would replace them for ever (found by the
// soak: 7,913 pods made in 24 hours for a 12-replica workload). The
// refused call changes nothing.
func TestRollingUpdateOfAJobIsRefused(t *testing.T) {
	s, err := sim.New(sim.Config{})
	require.NoError(t, err)
	require.NoError(t, s.AddNode(sim.NodeSpec{Name: "n0", InstanceType: "m5.large"}))
	require.NoError(t, s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "job", Replicas: 3, Lifetime: time.Minute}))
	before := len(s.Pods())
	err = s.RollWorkload("default", "job", 1, 0)
	require.ErrorIs(t, err, sim.ErrBadSpec)
	assert.ErrorContains(t, err, "as a Job's do")
	assert.Len(t, s.Pods(), before)
}
