package sim_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/sim"
)

// A scale-down deletes as the ReplicaSet controller picks its victims
// (kubernetes pkg/controller/controller_utils.go ActivePodsWithRanks):
// unscheduled pods before scheduled, pending before running, pods on the
// node that holds more of the workload's first, then the most recently
// ready, then the newest; the deleted pods are not replaced.
func TestScaleDownDeletesAsAReplicaSetDoes(t *testing.T) {
	// Two m5.large nodes: 9 branch slots each. 12 pods spread 6 and 6;
	// then 8 more fill one node (9) and the other (9) and leave 2
	// unscheduled.
	s := cluster(t, sim.Config{Placement: sim.LeastAllocated}, "m5.large", 2)
	require.NoError(t, s.Run())
	require.NoError(t, s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "web", Labels: map[string]string{"app": "web"}, Replicas: 12}))
	require.NoError(t, s.Run())
	require.NoError(t, s.ScaleWorkload("default", "web", 20))
	require.NoError(t, s.Run())
	unscheduled := 0
	for _, p := range s.Pods() {
		if p.Phase == sim.Pending && p.Node == "" {
			unscheduled++
		}
	}
	require.Equal(t, 2, unscheduled, "18 slots for 20 pods")

	// The third victim is a running pod, both nodes holding 9: the most
	// recently ready, the newest of those.
	var third sim.PodStatus
	for _, p := range s.Pods() {
		if p.Phase == sim.Running && (p.Ready > third.Ready || p.Ready == third.Ready) {
			third = p // Pods lists in creation order, so ties go to the newest
		}
	}
	require.NoError(t, s.ScaleWorkload("default", "web", 17))
	require.NoError(t, s.Run())
	left, err := s.WorkloadPods("default", "web")
	require.NoError(t, err)
	assert.Len(t, left, 17, "scaled down, not replaced")
	for _, name := range left {
		p, ok := s.Pod("default", name)
		require.True(t, ok)
		assert.NotEmpty(t, p.Node, "%s: the unscheduled pods went first", name)
	}
	assert.NotContains(t, left, third.Name)

	require.NoError(t, s.ScaleWorkload("default", "web", 0))
	require.NoError(t, s.Run())
	left, err = s.WorkloadPods("default", "web")
	require.NoError(t, err)
	assert.Empty(t, left)
	assert.NoError(t, s.Check())
}

// Scaling up creates the missing replicas at once; a Job-like workload,
// whose pods complete, and a negative count are refused, leaving the
// simulator as it was.
func TestScaleWorkloadUpAndRefusals(t *testing.T) {
	s := cluster(t, sim.Config{}, "m5.large", 2)
	require.NoError(t, s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "web", Labels: map[string]string{"app": "web"}, Replicas: 2}))
	require.NoError(t, s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "job", Replicas: 2, Lifetime: time.Minute}))
	require.NoError(t, s.ScaleWorkload("default", "web", 5))
	left, err := s.WorkloadPods("default", "web")
	require.NoError(t, err)
	assert.Len(t, left, 5)

	for _, tc := range []struct {
		name, workload string
		replicas       int
		want           error
	}{
		{"negative", "web", -1, sim.ErrBadSpec},
		{"a job", "job", 3, sim.ErrBadSpec},
		{"unknown", "nope", 3, sim.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := fmt.Sprint(s.Pods())
			err := s.ScaleWorkload("default", tc.workload, tc.replicas)
			require.ErrorIs(t, err, tc.want)
			assert.Equal(t, before, fmt.Sprint(s.Pods()), "a refused call changes nothing")
		})
	}
	require.NoError(t, s.Run())
	assert.NoError(t, s.Check())
}

// Scaling during a rolling update deletes the new revision's pods above
// the count and lets the update finish at it.
func TestScaleDuringARollingUpdate(t *testing.T) {
	s := cluster(t, sim.Config{}, "m5.4xlarge", 2)
	require.NoError(t, s.Run())
	require.NoError(t, s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "web", Labels: map[string]string{"app": "web"}, Replicas: 20}))
	require.NoError(t, s.Run())
	require.NoError(t, s.RollWorkload("default", "web", 5, 0))
	require.NoError(t, s.Schedule(s.Now()+10*time.Second, func(s *sim.Sim) error { return s.ScaleWorkload("default", "web", 8) }))
	require.NoError(t, s.Run())
	left, err := s.WorkloadPods("default", "web")
	require.NoError(t, err)
	assert.Len(t, left, 8)
	for _, name := range left {
		p, _ := s.Pod("default", name)
		assert.Equal(t, sim.Running, p.Phase, name)
	}
	assert.NoError(t, s.Check())
}
