package sim_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/trunksim/trunksim/sim"
)

// rollout simulates pods security-group pods created at once on nodes
// m5.4xlarge nodes whose trunks are already up.
func rollout(b *testing.B, nodes, pods int, lifetime time.Duration) *sim.Sim {
	s := cluster(b, sim.Config{}, "m5.4xlarge", nodes)
	if err := s.Run(); err != nil {
		b.Fatal(err)
	}
	for i := range pods {
		if err := s.CreatePod(sim.PodSpec{Namespace: "default", Name: fmt.Sprintf("web-%d", i),
			Labels: map[string]string{"app": "web"}, Lifetime: lifetime}); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Run(); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkRollout1000Pods100Nodes is the DESIGN target: a 1,000-pod
// rollout on 100 nodes in under 10 ms of wall time.
func BenchmarkRollout1000Pods100Nodes(b *testing.B) {
	b.ReportAllocs()
	var r sim.Report
	for b.Loop() {
		r = rollout(b, 100, 1000, 0).Report()
	}
	b.ReportMetric(r.StartupLatencySeconds.P50, "p50-startup-s")
	b.ReportMetric(r.StartupLatencySeconds.P99, "p99-startup-s")
	b.ReportMetric(1000/r.LastReadySeconds, "pods/sim-s")
}

// BenchmarkChurn100kPods5000Nodes creates 100,000 pods that each run a
// minute and are deleted, across 5,000 nodes, and reports the memory
// retained per pod after GC.
func BenchmarkChurn100kPods5000Nodes(b *testing.B) {
	if testing.Short() {
		b.Skip("large")
	}
	b.ReportAllocs()
	const pods = 100_000
	var r sim.Report
	var retained uint64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := rollout(b, 5000, pods, time.Minute)
		runtime.GC()
		runtime.ReadMemStats(&after)
		r = s.Report()
		retained = after.HeapAlloc - before.HeapAlloc
		runtime.KeepAlive(s)
	}
	b.ReportMetric(float64(retained)/pods, "retained-B/pod")
	b.ReportMetric(r.StartupLatencySeconds.P99, "p99-startup-s")
}
