package karpenter

import (
	"testing"
	"time"
)

// BenchmarkSolve is one batch for n pending pods, half of them asking
// for pod-eni, against a NodePool of the m5 and c5 families: the
// provisioner's whole cost for a burst.
func BenchmarkSolve(b *testing.B) {
	for _, n := range []int{500, 10_000} {
		b.Run(map[int]string{500: "pods=500", 10_000: "pods=10000"}[n], func(b *testing.B) {
			b.ReportAllocs()
			c := &cluster{nodes: map[ClaimID]NodeState{}}
			for i := range n {
				c.pods = append(c.pods, testPod{podENI: i%2 == 0, provisionable: true})
			}
			np := nodePool("default", in("karpenter.k8s.aws/instance-family", "m5", "c5"), onDemand())
			claims := 0
			for b.Loop() {
				p, err := New(Config{}, []NodePool{np}, defaultClass, c)
				if err != nil {
					b.Fatal(err)
				}
				var out []Effect
				for i := range n {
					out, _ = p.Step(0, Input{Kind: PodUnschedulable, Pod: PodID(i)}, out[:0])
				}
				if _, err := p.Step(time.Second, Input{Kind: Woke, Timer: timerBatch}, out[:0]); err != nil {
					b.Fatal(err)
				}
				claims = p.Claims()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/pod")
			b.ReportMetric(float64(claims), "nodes")
		})
	}
}
