package scheduler_test

import (
	"math/bits"
	"strconv"
	"testing"
	"time"

	"github.com/trunksim/trunksim/scheduler"
)

// benchPending are the queue sizes the benchmarks hold steady: a model that
// is almost idle, a small cluster, and one with a large backlog of timers.
var benchPending = []int{1, 1000, 100_000}

// delays is a deterministic spread of delays so new events land throughout
// the heap rather than always at its end. It is an xorshift sequence, fixed
// by its seed, so benchmark runs are comparable.
type delays struct {
	state uint64
	span  uint64
}

func newDelays(span int) *delays {
	return &delays{state: 0x9e3779b97f4a7c15, span: uint64(span)}
}

func (d *delays) next() time.Duration {
	d.state ^= d.state << 13
	d.state ^= d.state >> 7
	d.state ^= d.state << 17
	// Multiply-high maps the state onto [0, span) without a division,
	// which would cost as much as a scheduler operation.
	hi, _ := bits.Mul64(d.state, d.span)
	return time.Duration(hi) * time.Microsecond
}

var sink uint64

func noteArg(arg uint64) { sink += arg }

// BenchmarkScheduleAndRun measures one event scheduled and one run per
// iteration while the queue holds a steady number of pending events.
func BenchmarkScheduleAndRun(b *testing.B) {
	for _, pending := range benchPending {
		b.Run("pending="+strconv.Itoa(pending), func(b *testing.B) {
			s := scheduler.New()
			spread := newDelays(2 * pending)
			for i := 0; i < pending; i++ {
				if _, err := s.After(spread.next(), noteArg, uint64(i)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := s.After(spread.next(), noteArg, uint64(i)); err != nil {
					b.Fatal(err)
				}
				if !s.Step() {
					b.Fatal("no event to run")
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/event")
			if s.Len() != pending {
				b.Fatalf("pending drifted to %d, want %d", s.Len(), pending)
			}
		})
	}
}

// BenchmarkCancel measures cancelling a pending event chosen throughout the
// heap and scheduling its replacement, which keeps the queue size steady.
func BenchmarkCancel(b *testing.B) {
	for _, pending := range benchPending {
		b.Run("pending="+strconv.Itoa(pending), func(b *testing.B) {
			s := scheduler.New()
			spread := newDelays(2 * pending)
			timers := make([]scheduler.Timer, pending)
			for i := range timers {
				t, err := s.After(spread.next(), noteArg, uint64(i))
				if err != nil {
					b.Fatal(err)
				}
				timers[i] = t
			}
			pick := newDelays(pending)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				k := int(pick.next() / time.Microsecond)
				if !s.Cancel(timers[k]) {
					b.Fatal("timer was not pending")
				}
				t, err := s.After(spread.next(), noteArg, uint64(k))
				if err != nil {
					b.Fatal(err)
				}
				timers[k] = t
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/cancel")
		})
	}
}
