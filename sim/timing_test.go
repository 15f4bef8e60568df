package sim_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/sim"
)

// A running security-group pod's start-up parts add up to its latency,
// and the times a status gives are in order.
func TestPodStartupPartsAddUpToItsLatency(t *testing.T) {
	s, err := sim.New(sim.Config{Seed: 3})
	require.NoError(t, err)
	require.NoError(t, s.AddPolicy(branch.Policy{Namespace: "default", Name: "web",
		PodSelector: &branch.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
		Groups:      []branch.SecurityGroupID{branch.MustParseSecurityGroupID("sg-0123456789abcdef0")}}))
	for _, n := range []string{"a", "b"} {
		require.NoError(t, s.AddNode(sim.NodeSpec{Name: n, InstanceType: "m5.large"}))
	}
	require.NoError(t, s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "web", Replicas: 30, Labels: map[string]string{"app": "web"}}))
	require.NoError(t, s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "plain", Replicas: 3, Labels: map[string]string{"app": "plain"}}))
	require.NoError(t, s.Run())
	running, pending := 0, 0
	for _, p := range s.Pods() {
		if !p.NetworkReady {
			pending++
			assert.Zero(t, p.Ready, p.Name)
			assert.Equal(t, sim.Breakdown{}, p.Startup, p.Name)
			continue
		}
		running++
		assert.LessOrEqual(t, p.Created, p.Scheduled, p.Name)
		assert.LessOrEqual(t, p.Scheduled, p.Ready, p.Name)
		if !p.NeedsBranch {
			assert.Equal(t, sim.Breakdown{}, p.Startup, p.Name)
			continue
		}
		b := p.Startup
		sum := b.Scheduling + b.WaitingForCapacity + b.ControllerQueue + b.EC2ClientWait + b.EC2Calls + b.ThrottlingRetries + b.APIServerWait + b.KubeletRetry + b.WaitingForNode + b.WaitingForTrunk
		// Each part is rounded to the millisecond.
		assert.InDelta(t, (p.Ready - p.Created).Seconds(), sum, 0.005, p.Name)
		assert.Greater(t, sum, 0.0, p.Name)
	}
	assert.Equal(t, 21, running, "18 branch pods and 3 ordinary ones")
	assert.Equal(t, 12, pending)
	assert.False(t, math.IsNaN(s.Report().StartupLatencySeconds.P50))
}
