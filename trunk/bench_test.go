package trunk

import (
	"strconv"
	"testing"
	"time"
)

// benchPods are pod UIDs made up front, so the loop measures the trunk.
var benchPods = func() []string {
	pods := make([]string, 1024)
	for i := range pods {
		pods[i] = "pod-" + strconv.Itoa(i)
	}
	return pods
}()

var sinkBranches []Branch

// BenchmarkCycle runs one pod's branch lifecycle per iteration — Reserve,
// Bind, Release, then a sweep and Deleted — on a node kept at 8 of 9
// branches, so the gate, VLAN search and queue see a realistic load.
func BenchmarkCycle(b *testing.B) {
	for _, bc := range []struct {
		name   string
		append bool
	}{{"Sweep", false}, {"AppendSweep", true}} {
		b.Run(bc.name, func(b *testing.B) {
			tr := newTrunk(b, 9)
			for i := range 7 {
				bindPod(b, tr, "background-"+strconv.Itoa(i), 1<<62+uint64(i))
			}
			buf := make([]Branch, 0, 8)
			var now time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				pod := benchPods[i&1023]
				if _, err := tr.Reserve(pod); err != nil {
					b.Fatal(err)
				}
				if err := tr.Bind(pod, eni(uint64(i+1)), "trunk-assoc"); err != nil {
					b.Fatal(err)
				}
				if _, err := tr.Release(pod, now); err != nil {
					b.Fatal(err)
				}
				now += 61 * time.Second
				if bc.append {
					buf = tr.AppendSweep(buf[:0], now, DefaultCoolDown)
				} else {
					buf = tr.Sweep(now, DefaultCoolDown)
				}
				for _, d := range buf {
					if err := tr.Deleted(d.ENI); err != nil {
						b.Fatal(err)
					}
				}
			}
			sinkBranches = buf
			b.StopTimer()
			b.ReportMetric(float64(tr.Limit()-tr.Free()), "in-use-at-end")
		})
	}
}

// BenchmarkReserveFull measures the capacity gate refusing a pod.
func BenchmarkReserveFull(b *testing.B) {
	tr := newTrunk(b, 9)
	for i := range 9 {
		bindPod(b, tr, benchPods[i], uint64(i+1))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tr.Reserve("extra"); err == nil {
			b.Fatal("admitted past the limit")
		}
	}
}

// BenchmarkReserveHighVLAN measures Reserve and Unreserve on a 120-branch
// trunk with 119 VLANs taken, the worst case for the lowest-free search.
func BenchmarkReserveHighVLAN(b *testing.B) {
	tr := newTrunk(b, 120)
	for i := range 119 {
		bindPod(b, tr, benchPods[i], uint64(i+1))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tr.Reserve("extra"); err != nil {
			b.Fatal(err)
		}
		if err := tr.Unreserve("extra"); err != nil {
			b.Fatal(err)
		}
	}
}
