package sim_test

import (
	"fmt"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/trunksim/trunksim/sim"
)

// A queue shape is a way security-group pods wait for branch capacity,
// built at a size n so that the work each pod must do (its events and its
// kubelet's sandbox attempts) is the same at every n except where the
// model itself says otherwise (a burst's pods wait longer the more of
// them there are, so they retry more).
type queueShape struct {
	name string
	run  func(b *testing.B, n int) *sim.Sim
}

var queueShapes = []queueShape{
	// burst: n pods at once on nodes that hold them all; EC2's throttling
	// queues them.
	{"burst", func(b *testing.B, n int) *sim.Sim { return rollout(b, n/20, n, time.Minute) }},
	// steady: n pods three a second, each running a minute.
	{"steady", func(b *testing.B, n int) *sim.Sim { s, _ := stream(b, streamNodes, n); return s }},
	// batch: Jobs of five minutes, about eleven times as many as the
	// m5.large nodes' branch slots, so most of them wait unscheduled and
	// each completion frees a slot for the next.
	{"batch", func(b *testing.B, n int) *sim.Sim {
		s := cluster(b, sim.Config{MaxTime: 48 * time.Hour}, "m5.large", n/100)
		workload(b, s, n, 5*time.Minute)
		return s
	}},
	// rolling: a Deployment that fills its m5.large nodes' branch slots,
	// rolled with no surge and a tenth unavailable.
	{"rolling", func(b *testing.B, n int) *sim.Sim {
		s := cluster(b, sim.Config{}, "m5.large", (n+8)/9)
		workload(b, s, n, 0)
		if err := s.RollWorkload("default", "web", 0, n/10); err != nil {
			b.Fatal(err)
		}
		run(b, s)
		return s
	}},
	// nodeloss: a Deployment on m5.large nodes a fifth larger than it
	// needs, which then loses a tenth of them; their pods are replaced on
	// the rest.
	{"nodeloss", func(b *testing.B, n int) *sim.Sim {
		nodes := (n*6/5 + 8) / 9
		s := cluster(b, sim.Config{}, "m5.large", nodes)
		workload(b, s, n, 0)
		for i := 0; i < nodes; i += 10 {
			if err := s.DeleteNode("n" + strconv.Itoa(i)); err != nil {
				b.Fatal(err)
			}
		}
		run(b, s)
		return s
	}},
}

// workload runs the cluster's trunks up, then n pods of one Deployment
// (or of Jobs, with a lifetime) matching webPolicy, to the end.
func workload(b *testing.B, s *sim.Sim, n int, lifetime time.Duration) {
	run(b, s)
	if err := s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "web", Labels: map[string]string{"app": "web"},
		Replicas: n, Lifetime: lifetime}); err != nil {
		b.Fatal(err)
	}
	run(b, s)
}

func run(b *testing.B, s *sim.Sim) {
	if err := s.Run(); err != nil {
		b.Fatal(err)
	}
}

// work is what a run had to do whatever the implementation: the events it
// ran and the sandbox attempts the kubelet made (counted, each a random
// draw, not scheduled).
func work(b *testing.B, s *sim.Sim) float64 {
	return float64(s.EventsRun()) + float64(sandboxFailures(b, s.Report()))
}

// BenchmarkQueueShapes runs each queue shape at 10k and 100k pods (100k
// not under -short) and reports wall time per pod and per unit of work
// (events plus sandbox attempts), and events per pod.
func BenchmarkQueueShapes(b *testing.B) {
	sizes := []int{10_000, 100_000}
	if testing.Short() {
		sizes = sizes[:1]
	}
	for _, sh := range queueShapes {
		for _, n := range sizes {
			b.Run(fmt.Sprintf("%s/pods=%d", sh.name, n), func(b *testing.B) {
				b.ReportAllocs()
				var s *sim.Sim
				for b.Loop() {
					s = sh.run(b, n)
				}
				perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
				b.ReportMetric(perOp/float64(n), "ns/pod")
				b.ReportMetric(perOp/work(b, s), "ns/work")
				b.ReportMetric(float64(s.EventsRun())/float64(n), "events/pod")
			})
		}
	}
}

// BenchmarkQueueShapeGrowth holds every queue shape to n log n: it runs
// each at 10k and 100k pods and reports growth, the ratio of wall time
// per unit of work at 100k to that at 10k, divided by log(100k)/log(10k)
// = 1.25. At or below 1 the cost grows no faster than n log n in the work
// the model must do; a scan of the queue per freed slot shows as about 8.
// pod-growth is the same ratio per pod: where the model gives each pod
// more work at 100k (work-ratio, the work per pod at 100k over that at
// 10k, above 1: pods queued behind EC2's throttling retry longer), it may
// pass 1 honestly.
func BenchmarkQueueShapeGrowth(b *testing.B) {
	if testing.Short() {
		b.Skip("large")
	}
	const small, large = 10_000, 100_000
	for _, sh := range queueShapes {
		b.Run(sh.name, func(b *testing.B) {
			var tSmall, tLarge time.Duration
			var wSmall, wLarge float64
			for b.Loop() {
				start := time.Now()
				s := sh.run(b, small)
				tSmall += time.Since(start)
				wSmall = work(b, s)
				start = time.Now()
				s = sh.run(b, large)
				tLarge += time.Since(start)
				wLarge = work(b, s)
			}
			perSmall := float64(tSmall.Nanoseconds()) / float64(b.N) / wSmall
			perLarge := float64(tLarge.Nanoseconds()) / float64(b.N) / wLarge
			b.ReportMetric(perSmall, "ns/work@10k")
			b.ReportMetric(perLarge, "ns/work@100k")
			b.ReportMetric(wLarge/wSmall/(large/small), "work-ratio")
			b.ReportMetric(perLarge/perSmall/(math.Log(large)/math.Log(small)), "growth")
			podSmall := float64(tSmall.Nanoseconds()) / float64(b.N) / small
			podLarge := float64(tLarge.Nanoseconds()) / float64(b.N) / large
			b.ReportMetric(podLarge/podSmall/(math.Log(large)/math.Log(small)), "pod-growth")
		})
	}
}
