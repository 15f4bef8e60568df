package controller

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/fakeec2"
)

// emitCounter counts the events the controller records.
type emitCounter struct{ n int }

func (c *emitCounter) step(time.Duration, *Input, int, error) {}
func (c *emitCounter) effect(_ time.Duration, e *Effect, _ int, _ *fakeec2.Answer) {
	if e.Kind == Emit {
		c.n++
	}
}

// TestEventsQueueBehindTheClientsetLimiterAndDropPast1000: the event
// broadcaster writes events one at a time through the clientset's rate
// limiter, which the pod GETs share (resource controller v1.8.2
// pkg/k8s/wrapper.go NewK8sWrapper, main.go kubernetes.NewForConfig;
// client-go v0.33.0 kubernetes/clientset.go NewForConfigAndClient), and
// drops what finds 1000 waiting (client-go tools/record/event.go
// maxQueuedEvents, watch.DropIfChannelFull). A burst of pods on a slow
// clientset records events faster than they are written: every event is
// written or dropped; at 20 QPS none of this burst's is dropped, at 5 QPS
// most are.
func TestEventsQueueBehindTheClientsetLimiterAndDropPast1000(t *testing.T) {
	run := func(qps float64) (Stats, int) {
		cfg := upstreamConfig()
		cfg.APIServerQPS, cfg.APIServerBurst = qps, 1
		obs := &emitCounter{}
		h, err := newHarness(cfg, fakeec2.Config{NoAccountThrottling: true}, obs)
		require.NoError(t, err)
		h.start()
		for n := range 30 {
			require.NoError(t, h.join(NodeID(n), fmt.Sprintf("n%d", n), "m5.24xlarge"))
		}
		require.NoError(t, h.runUntil(time.Minute))
		for p := range 3000 {
			require.NoError(t, h.bind(PodID(p), NodeID(p%30), fmt.Sprintf("uid-%d", p)))
		}
		_, err = h.run(48 * time.Hour)
		require.NoError(t, err)
		return h.ctl.Stats(), obs.n
	}
	fast, recordedFast := run(20)
	slow, recordedSlow := run(5)
	for _, c := range []struct {
		s        Stats
		recorded int
	}{{fast, recordedFast}, {slow, recordedSlow}} {
		assert.Equal(t, c.recorded, c.s.EventsWritten+c.s.EventsDropped, "every event recorded is written or dropped")
		assert.GreaterOrEqual(t, c.recorded, 2*3000+30, "two events a pod, one a trunk")
	}
	assert.Zero(t, fast.EventsDropped, "at the default 20 QPS this burst's events all get through")
	assert.Positive(t, slow.EventsDropped, "at 5 QPS the pod reads take most tokens and the queue passes 1000")
}

// A restart loses the events queued for the broadcaster with the process
// (client-go tools/record/event.go keeps them in memory only): they are
// counted dropped, so every event recorded is still written or dropped,
// and the new process writes what it records from then on.
func TestRestartLosesTheQueuedEvents(t *testing.T) {
	cfg := upstreamConfig()
	cfg.APIServerQPS, cfg.APIServerBurst = 0.5, 1
	obs := &emitCounter{}
	h, err := newHarness(cfg, fakeec2.Config{NoAccountThrottling: true}, obs)
	require.NoError(t, err)
	h.start()
	for n := range 3 {
		require.NoError(t, h.join(NodeID(n), fmt.Sprintf("n%d", n), "m5.24xlarge"))
	}
	require.NoError(t, h.runUntil(time.Minute))
	for p := range 60 {
		require.NoError(t, h.bind(PodID(p), NodeID(p%3), fmt.Sprintf("uid-%d", p)))
	}
	require.NoError(t, h.runUntil(3*time.Minute))
	require.Positive(t, h.ctl.sink.queued, "events wait at the restart")
	before, queued := h.ctl.Stats(), int(h.ctl.sink.queued)
	require.NoError(t, h.step(Input{Kind: Restarted}))
	after := h.ctl.Stats()
	assert.Equal(t, before.EventsDropped+queued, after.EventsDropped, "the queue is lost")
	assert.Equal(t, before.EventsWritten, after.EventsWritten)
	assert.Zero(t, h.ctl.sink.queued)
	_, err = h.run(48 * time.Hour)
	require.NoError(t, err)
	s := h.ctl.Stats()
	assert.Equal(t, obs.n, s.EventsWritten+s.EventsDropped, "every event recorded is written or dropped")
	assert.Greater(t, s.EventsWritten, after.EventsWritten, "the new process writes its events")
}
