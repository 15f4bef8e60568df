package sim_test

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"strconv"
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
	labels := map[string]string{"app": "web"} // the simulator copies them
	for i := range pods {
		if err := s.CreatePod(sim.PodSpec{Namespace: "default", Name: "web-" + strconv.Itoa(i),
			Labels: labels, Lifetime: lifetime}); err != nil {
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
// retained per pod after GC. "burst" creates them all at once, the worst
// case: EC2's throttling keeps the pods queued for about 11 simulated
// hours while the kubelet retries each one's sandbox every 10 to 15 s
// (about 870 draws a pod). "steady" sends them three a second, a rate the
// controller's EC2 client sustains: a large cluster in ordinary churn.
func BenchmarkChurn100kPods5000Nodes(b *testing.B) {
	if testing.Short() {
		b.Skip("large")
	}
	const pods = 100_000
	for _, bc := range []struct {
		name string
		run  func(*testing.B) *sim.Sim
	}{
		{"burst", func(b *testing.B) *sim.Sim { return rollout(b, 5000, pods, time.Minute) }},
		{"steady", func(b *testing.B) *sim.Sim { s, _ := stream(b, 5000, pods); return s }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var r sim.Report
			var retained, events uint64
			for b.Loop() {
				// The collections that measure what is retained are not
				// part of the simulation, so they run with the timer
				// stopped.
				var before, after runtime.MemStats
				b.StopTimer()
				runtime.GC()
				runtime.ReadMemStats(&before)
				b.StartTimer()
				s := bc.run(b)
				b.StopTimer()
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.StartTimer()
				r, events = s.Report(), s.EventsRun()
				retained = after.HeapAlloc - before.HeapAlloc
				runtime.KeepAlive(s)
			}
			b.ReportMetric(float64(retained)/pods, "retained-B/pod")
			b.ReportMetric(float64(events)/pods, "events/pod")
			b.ReportMetric(r.StartupLatencySeconds.P99, "p99-startup-s")
		})
	}
}

// streamNodes is the cluster a stream of pods runs on: enough m5.4xlarge
// branch slots for every pod a stream holds at once, whatever its length.
const streamNodes = 100

// streamInterval spaces the pods of a stream: 3 a second, below the 4 a
// second the user client's 12 QPS sustains at three calls per pod
// (create, permission, delete), so no backlog builds and the work per
// pod does not depend on how many pods there are.
const streamInterval = time.Second / 3

// stream simulates n security-group pods of one workload arriving at a
// steady rate, each running a minute, on nodes m5.4xlarge nodes whose
// trunks are up, and returns the simulation and its peak live heap,
// sampled every simulated hour.
func stream(b *testing.B, nodes, n int) (*sim.Sim, uint64) {
	s := cluster(b, sim.Config{MaxTime: time.Duration(n)*streamInterval + 24*time.Hour}, "m5.4xlarge", nodes)
	if err := s.Run(); err != nil {
		b.Fatal(err)
	}
	if err := s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "web", Labels: map[string]string{"app": "web"},
		Replicas: n, Interval: streamInterval, Lifetime: time.Minute}); err != nil {
		b.Fatal(err)
	}
	var peak uint64
	var ms runtime.MemStats
	for end := s.Now() + time.Duration(n)*streamInterval; s.Now() < end; {
		if err := s.RunUntil(min(s.Now()+time.Hour, end)); err != nil {
			b.Fatal(err)
		}
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
	}
	if err := s.Run(); err != nil {
		b.Fatal(err)
	}
	return s, peak
}

// BenchmarkScale runs streams of 1k, 10k, 100k (not under -short) and,
// with TRUNKSIM_BENCH_1M=1 in the environment, 1M pods (about 11 s). Each reports wall time
// and events per pod, events per second, and the peak live heap; ns/pod
// growing no faster than log n from size to size is the n log n target
// (see BenchmarkScaleGrowth).
func BenchmarkScale(b *testing.B) {
	sizes := []int{1_000, 10_000, 100_000}
	if testing.Short() {
		sizes = sizes[:2]
	}
	if os.Getenv("TRUNKSIM_BENCH_1M") == "1" {
		sizes = append(sizes, 1_000_000)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("pods=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			var events, peak uint64
			var r sim.Report
			for b.Loop() {
				s, p := stream(b, streamNodes, n)
				events, peak, r = s.EventsRun(), p, s.Report()
			}
			if r.Pods.Succeeded != n {
				b.Fatalf("%d of %d pods completed", r.Pods.Succeeded, n)
			}
			perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(perOp/float64(n), "ns/pod")
			b.ReportMetric(float64(events)/float64(n), "events/pod")
			b.ReportMetric(float64(events)/(perOp/1e9), "events/s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(r.StartupLatencySeconds.P99, "p99-startup-s")
		})
	}
}

// BenchmarkScaleGrowth measures the n log n target directly: it runs a
// stream of 10k pods and one of 100k and reports the wall time per pod of
// each, and growth, their ratio divided by log(100k)/log(10k) = 1.25.
// growth at or below 1 means the cost per pod grows no faster than log n;
// a quadratic cost would show 8.
func BenchmarkScaleGrowth(b *testing.B) {
	if testing.Short() {
		b.Skip("large")
	}
	const small, large = 10_000, 100_000
	var tSmall, tLarge time.Duration
	for b.Loop() {
		start := time.Now()
		stream(b, streamNodes, small)
		tSmall += time.Since(start)
		start = time.Now()
		stream(b, streamNodes, large)
		tLarge += time.Since(start)
	}
	perSmall := float64(tSmall.Nanoseconds()) / float64(b.N) / small
	perLarge := float64(tLarge.Nanoseconds()) / float64(b.N) / large
	b.ReportMetric(perSmall, "ns/pod@10k")
	b.ReportMetric(perLarge, "ns/pod@100k")
	b.ReportMetric(perLarge/perSmall/(math.Log(large)/math.Log(small)), "growth")
}
