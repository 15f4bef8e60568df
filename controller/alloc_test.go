package controller

import (
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/fakeec2"
)

// cycler runs the hot path of one pod at a time on one m5.large: bind,
// the Create job with its three EC2 calls and two API server waits, the
// annotation, the pod ending, the cool-down and the sweep that
// disassociates and deletes the branch.
type cycler struct {
	h    *harness
	uids []string
	next int
}

// newCycler makes a harness with a trunk ready and UIDs for n pods made
// in advance, so that the cycles make no strings of their own. With
// stubEC2 set, EC2 is a stub that answers from tables made in advance
// instead of the fake EC2, so that only the controller and the harness
// are measured.
func newCycler(tb testing.TB, n int, stubEC2 bool) *cycler {
	tb.Helper()
	h, err := newHarness(upstreamConfig(), fakeec2.Config{NoAccountThrottling: true}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	h.start()
	if err := h.join(0, "n1", "m5.large"); err != nil {
		tb.Fatal(err)
	}
	if err := h.runUntil(10 * time.Second); err != nil {
		tb.Fatal(err)
	}
	if stubEC2 {
		h.do = newStubEC2(n + 1)
	}
	c := &cycler{h: h, uids: make([]string, n)}
	for i := range c.uids {
		c.uids[i] = "uid-" + strconv.Itoa(i)
	}
	return c
}

// newStubEC2 answers every call at once with 100 ms of latency: a new
// branch ENI and its association ID for n branches, counted from 2 (the
// fake EC2 gave the trunk 1), and ok for the rest.
func newStubEC2(n int) func(time.Duration, fakeec2.Request) fakeec2.Answer {
	assoc := make([]string, n)
	for i := range assoc {
		assoc[i] = "trunk-assoc-" + string(fakeec2.AppendENIDigits(nil, uint64(i+2)))
	}
	made := 0
	return func(_ time.Duration, r fakeec2.Request) fakeec2.Answer {
		a := fakeec2.Answer{Latency: fakeec2.DefaultLatency}
		switch r.API {
		case fakeec2.CreateNetworkInterface:
			a.ENI = branch.ENIIDFromUint64(uint64(made + 2))
			made++
		case fakeec2.AssociateTrunkInterface:
			n, _ := r.ENI.Uint64()
			a.Association = assoc[n-2]
		case fakeec2.DescribeNetworkInterfaces:
			a.Attached = true
		}
		return a
	}
}

// cycle runs one pod's whole cycle and reports whether it went as the
// hot path should.
func (c *cycler) cycle() bool {
	h, i := c.h, c.next
	c.next++
	p := PodID(i)
	if h.bind(p, 0, c.uids[i]) != nil {
		return false
	}
	if idle, err := h.run(h.now + time.Hour); !idle || err != nil {
		return false
	}
	if _, _, _, ok := h.ctl.Annotation(p); !ok {
		return false
	}
	if h.step(Input{Kind: PodRunning, Pod: p}) != nil || h.end(p) != nil {
		return false
	}
	if idle, err := h.run(h.now + time.Hour); !idle || err != nil {
		return false
	}
	t := h.ctl.Trunk(0)
	return t.InUse() == 0 && t.Cooling() == 0 && t.Deleting() == 0
}

// hotPathAllocs measures the allocations of one cycle once buffers are
// warm: testing.AllocsPerRun's figure (the average rounded down), and
// the exact average over as many more cycles from runtime.MemStats.
func hotPathAllocs(t *testing.T, stubEC2 bool) (perRun, exact float64) {
	const warm, runs = 600, 1000
	c := newCycler(t, warm+2*runs+1, stubEC2)
	for range warm {
		if !c.cycle() {
			t.Fatalf("warm-up cycle %d went wrong: %v", c.next-1, c.h.err)
		}
	}
	ok := true
	perRun = testing.AllocsPerRun(runs, func() { ok = c.cycle() && ok })
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		ok = c.cycle() && ok
	}
	runtime.ReadMemStats(&after)
	if !ok {
		t.Fatalf("a measured cycle went wrong: %v", c.h.err)
	}
	return perRun, float64(after.Mallocs-before.Mallocs) / runs
}

// TestHotPathAllocatesNothing: the controller's side of a pod's cycle
// (bind, the Create job with its three EC2 calls and two API server
// waits, the annotation, the end, the cool-down and the sweep's two
// calls) allocates nothing once its buffers have grown, as doc.go
// promises; EC2 is a stub here and the harness allocates nothing, so
// what is counted is the controller's. testing.AllocsPerRun rounds the
// average down, so the exact average is checked as well: each pod's
// record is carved from a block of up to 256 (controller.go podBound)
// and the table of pods by ID grows with the IDs, which costs about one
// allocation per 180 pods (measured: 0.0055 a cycle, some 200 bytes).
func TestHotPathAllocatesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("measures allocations")
	}
	perRun, exact := hotPathAllocs(t, true)
	if perRun != 0 {
		t.Errorf("testing.AllocsPerRun: one cycle allocates %v times, want 0", perRun)
	}
	if exact > 0.02 {
		t.Errorf("one cycle allocates %.4f times on average, want the pod records' share, under 0.02", exact)
	}
}

// TestHotPathAllocsWithFakeEC2 is the same cycle against the fake EC2,
// which allocates one string a cycle: the association ID that
// AssociateTrunkInterface spells (fakeec2/ec2.go,
// string(AppendENIDigits(...))), as `go test ./controller -run
// TestHotPathAllocsWithFakeEC2 -memprofile mem.out -memprofilerate=1`
// shows. Its records, carved from blocks of 64, and its table of
// interfaces, which grows by a slot per interface ever made while the
// trunk keeps the oldest slot live (fakeec2/store.go), add a fraction
// (measured: 1.0225 a cycle in all). The bound asserted is the one
// measured, not zero.
func TestHotPathAllocsWithFakeEC2(t *testing.T) {
	if testing.Short() {
		t.Skip("measures allocations")
	}
	perRun, exact := hotPathAllocs(t, false)
	if perRun > 1 || exact > 1.05 {
		t.Errorf("one cycle allocates %v times (%.4f exactly), want at most 1 (the fake EC2's association ID)", perRun, exact)
	}
}

// BenchmarkCreateCycle measures one pod's cycle on the hot path against
// the fake EC2: about 25 steps, five EC2 calls, two API server waits.
func BenchmarkCreateCycle(b *testing.B) {
	c := newCycler(b, b.N+200, false)
	for range 200 {
		if !c.cycle() {
			b.Fatal(c.h.err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if !c.cycle() {
			b.Fatal(c.h.err)
		}
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N), "ns/pod")
}
