package controller

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/fakeec2"
)

// A pod bound to a node before the node is ready (its trunk still being
// made) is requeued every second, silently, and gets its branch once the
// trunk is there, not left to the resync (controllers/core/pod_controller.go
// PodRequeueRequest: "pod's node is not ready to handle request yet, will
// retry", from v1.6.0, PR #463).
func TestPodBoundBeforeItsNodeIsReadyIsRequeuedEverySecond(t *testing.T) {
	h, err := newHarness(upstreamConfig(), fakeec2.Config{NoAccountThrottling: true, AttachDelay: 20 * time.Second}, nil)
	require.NoError(t, err)
	h.start()
	require.NoError(t, h.join(0, "n1", "m5.large"))
	require.NoError(t, h.bind(0, 0, "uid-0")) // before the trunk is ready
	require.NoError(t, h.runUntil(5*time.Second))
	w, _ := h.ctl.PodWait(0)
	assert.Equal(t, WaitNode, w, "waiting for the node, no error")
	require.NoError(t, h.runUntil(2*time.Minute))
	_, _, _, annotated := h.ctl.Annotation(0)
	assert.True(t, annotated, "annotated once the trunk was ready")
	assert.Zero(t, h.ctl.Stats().EC2Errors)
}
