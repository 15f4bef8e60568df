package sim_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/sim"
)

// nineWebPods runs nine security-group pods, as many as an m5.large's
// branch slots, and returns the report.
func nineWebPods(t *testing.T, k sim.Kubelet) sim.Report {
	t.Helper()
	s := cluster(t, sim.Config{Seed: 1, Kubelet: k}, "m5.large", 1)
	createWeb(t, s, 0, 9)
	require.NoError(t, s.Run())
	r := s.Report()
	require.Equal(t, 9, r.Pods.Running)
	return r
}

// sandboxFailures is the count the report's warning gives.
func sandboxFailures(t testing.TB, r sim.Report) int {
	t.Helper()
	for _, w := range r.Warnings {
		var n int
		if _, err := fmt.Sscanf(w, "%d FailedCreatePodSandBox", &n); err == nil {
			return n
		}
	}
	return 0
}

// Upstream (kubernetes v1.31.0): the controller's patch of the pod-eni
// annotation is a pod update to the kubelet, since
// pkg/kubelet/config/config.go podsDifferSemantically compares the
// annotations, and pkg/kubelet/pod_workers.go UpdatePod signals the pod
// worker's channel at once; the back-off (completeWork, 10 s stretched by
// up to half) only queues the next resync. So with the wake-up, a pod's
// sandbox is created as it is annotated and no start-up is spent waiting
// for the kubelet.
func TestKubeletWakesOnAnnotation(t *testing.T) {
	backOff := nineWebPods(t, sim.Kubelet{BackOffOnly: true})
	woken := nineWebPods(t, sim.Kubelet{})
	assert.Zero(t, woken.StartupBreakdownSeconds.KubeletRetry)
	assert.Greater(t, backOff.StartupBreakdownSeconds.KubeletRetry, 0.0)
	assert.Less(t, woken.StartupLatencySeconds.Max, backOff.StartupLatencySeconds.P50)
	// The attempts before the patch failed either way.
	assert.Equal(t, sandboxFailures(t, backOff), sandboxFailures(t, woken))
	assert.Equal(t, 9, sandboxFailures(t, woken), "one failed attempt per pod, at its binding")
}

// Upstream: ipamd's AddNetwork (amazon-vpc-cni-k8s v1.23.2
// pkg/ipamd/rpc_handler.go) reads the pod through ipamd.go GetPod, a
// controller-runtime client whose reader is a cache of the node's pods
// (pkg/k8sapi/k8sutils.go getIPAMDCacheFilters, CreateKubeClientCache),
// and answers "failed to get Branch ENI resource" at once when the
// annotation is not there; the plugin (cmd/routed-eni-cni-plugin/cni.go)
// does not retry. The kubelet's sync fails, and completeWork
// (kubernetes v1.31.0 pkg/kubelet/pod_workers.go) queues a back-off of
// 10-15 s from that attempt, replacing the retry queued before
// (pkg/kubelet/util/queue/work_queue.go Enqueue). Nothing wakes the
// kubelet when aws-node's cache catches up. So a woken attempt that beats
// aws-node's view is one more failure and a whole back-off more.
func TestKubeletWokenBeforeAWSNodeSeesTheAnnotationBacksOffAgain(t *testing.T) {
	lag := time.Second
	r := nineWebPods(t, sim.Kubelet{AWSNodeLag: lag})
	retry := r.StartupBreakdownSeconds.KubeletRetry
	assert.GreaterOrEqual(t, retry, 10.0, "a full back-off after the patch")
	assert.LessOrEqual(t, retry, 15.0)
	assert.Equal(t, 18, sandboxFailures(t, r), "the attempt at binding and the woken one")
	assert.Contains(t, strings.Join(r.Assumptions, "\n"), "aws-node sees the annotation 1s after the patch")
}

// Without the wake-up, aws-node's lag only moves which back-off retry is
// the first to succeed: the first at or after aws-node sees the
// annotation.
func TestKubeletBackOffRetryWaitsForAWSNodeToSeeTheAnnotation(t *testing.T) {
	lag := 30 * time.Second
	r := nineWebPods(t, sim.Kubelet{BackOffOnly: true, AWSNodeLag: lag})
	retry := r.StartupBreakdownSeconds.KubeletRetry
	assert.GreaterOrEqual(t, retry, lag.Seconds())
	assert.Less(t, retry, lag.Seconds()+15)
}

// A lag that is not a duration of at least zero is refused, naming the
// field.
func TestAWSNodeLagMustNotBeNegative(t *testing.T) {
	_, err := sim.New(sim.Config{Kubelet: sim.Kubelet{AWSNodeLag: -time.Second}})
	require.ErrorIs(t, err, sim.ErrBadConfig)
	assert.ErrorContains(t, err, "Kubelet.AWSNodeLag")
}
