package simtest_test

import (
	"testing"
	"time"

	"github.com/trunksim/trunksim/simtest"
)

// One harness run of a fixed action sequence: its cost is what a rapid
// test case of that size costs, invariants checked after every action.
func BenchmarkHarnessCase(b *testing.B) {
	b.ReportAllocs()
	var checked int
	for b.Loop() {
		h, err := simtest.Start(clusterOf(2), simtest.Config{})
		if err != nil {
			b.Fatal(err)
		}
		if err := h.AddPolicy(policy("web", "web", sg1)); err != nil {
			b.Fatal(err)
		}
		for i := range 20 {
			if _, err := h.CreatePod(podSpec(i)); err != nil {
				b.Fatal(err)
			}
			checked += len(h.Violations())
		}
		if err := h.RestartController(); err != nil {
			b.Fatal(err)
		}
		if err := h.Settle(); err != nil {
			b.Fatal(err)
		}
		checked += len(h.Violations())
	}
	if checked != 0 {
		b.Fatalf("%d violations", checked)
	}
	b.ReportMetric(22, "checks/op")
}

// The trace checker over a run of 200 security-group pods.
func BenchmarkCheckTrace(b *testing.B) {
	h, err := simtest.Start(clusterOf(25), simtest.Config{})
	if err != nil {
		b.Fatal(err)
	}
	if err := h.AddPolicy(policy("web", "web", sg1)); err != nil {
		b.Fatal(err)
	}
	for i := range 200 {
		if _, err := h.CreatePod(podSpec(i)); err != nil {
			b.Fatal(err)
		}
	}
	if err := h.Advance(10 * time.Minute); err != nil {
		b.Fatal(err)
	}
	events := h.Trace()
	b.ReportAllocs()
	for b.Loop() {
		if vs := simtest.CheckTrace(events); len(vs) != 0 {
			b.Fatal(vs)
		}
	}
	b.ReportMetric(float64(len(events)), "events")
}
