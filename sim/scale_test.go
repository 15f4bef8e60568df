package sim_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/sim"
)

// Upstream: test/integration/scale/pod_scale_test.go — 1,000 pods
// matching one policy must all run within 5.5 minutes.
func TestUpstreamScaleTest(t *testing.T) {
	for _, preset := range []sim.Preset{sim.PresetUpstream, sim.PresetRaisedLimits} {
		t.Run(preset.String(), func(t *testing.T) {
			s := cluster(t, sim.Config{Controller: sim.Controller{Preset: preset}}, "m5.4xlarge", 20)
			require.NoError(t, s.Run())
			start := s.Now()
			createWeb(t, s, 0, 1000)
			require.NoError(t, s.Run())
			r := s.Report()
			t.Logf("%s: last ready %.1fs after creation; p50 %.1fs p99 %.1fs; throttled %d; calls %v; events %v",
				preset, r.LastReadySeconds-start.Seconds(), r.StartupLatencySeconds.P50, r.StartupLatencySeconds.P99, r.EC2.Throttled, r.EC2.Calls, r.Events)
			t.Logf("breakdown %+v", r.StartupBreakdownSeconds)
			require.Equal(t, 1000, r.Pods.Running)
			assert.Less(t, r.LastReadySeconds-start.Seconds(), 330.0)
		})
	}
}
