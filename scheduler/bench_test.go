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

// xorshift is a fixed pseudo-random sequence, so benchmark runs are
// comparable and events land throughout the heap rather than always at its
// end.
type xorshift struct{ state uint64 }

// newXorshift starts a sequence; seed must not be zero.
func newXorshift(seed uint64) *xorshift { return &xorshift{state: seed} }

// below returns the next value in [0, n). Multiply-high maps the state onto
// the range without a division, which would cost as much as a scheduler
// operation.
func (x *xorshift) below(n int) int {
	x.state ^= x.state << 13
	x.state ^= x.state >> 7
	x.state ^= x.state << 17
	hi, _ := bits.Mul64(x.state, uint64(n))
	return int(hi)
}

// delay returns a delay of up to twice pending microseconds: with one event
// run per microsecond on average, the queue then holds about pending events.
func (x *xorshift) delay(pending int) time.Duration {
	return time.Duration(x.below(2*pending)) * time.Microsecond
}

// modelDelay returns a delay drawn from the mix a cluster model schedules,
// relative to now: most events are follow-ups at once or an EC2 call's
// latency, some wait out a rate limit or a backoff, node sweeps land on a
// shared 30-second boundary, cool-downs last a minute, and a long tail
// (pod lifetimes) runs for up to an hour. The sweeps give many events one
// time, the tail keeps most pending events far beyond the next few.
func (x *xorshift) modelDelay(now time.Duration) time.Duration {
	switch k := x.below(100); {
	case k < 25:
		return 0
	case k < 60:
		return 50*time.Millisecond + time.Duration(x.below(int(200*time.Millisecond)))
	case k < 75:
		return 100*time.Millisecond + time.Duration(x.below(int(10*time.Second)))
	case k < 85:
		const sweep = 30 * time.Second
		return sweep - now%sweep
	case k < 95:
		return time.Minute
	default:
		return time.Minute + time.Duration(x.below(int(59*time.Minute)))
	}
}

var sink uint64

func noteArg(arg uint64) { sink += arg }

// BenchmarkScheduleAndRun measures one event scheduled and one run per
// iteration while the queue holds a steady number of pending events, with
// delays drawn uniformly over a span that grows with the queue.
func BenchmarkScheduleAndRun(b *testing.B) {
	benchScheduleAndRun(b, func(x *xorshift, s *scheduler.Scheduler, pending int) time.Duration {
		return x.delay(pending)
	})
}

// BenchmarkScheduleAndRunModelDelays is BenchmarkScheduleAndRun with the
// delays of a cluster model (see modelDelay) instead of uniform ones.
func BenchmarkScheduleAndRunModelDelays(b *testing.B) {
	benchScheduleAndRun(b, func(x *xorshift, s *scheduler.Scheduler, _ int) time.Duration {
		return x.modelDelay(s.Now())
	})
}

func benchScheduleAndRun(b *testing.B, delay func(*xorshift, *scheduler.Scheduler, int) time.Duration) {
	for _, pending := range benchPending {
		b.Run("pending="+strconv.Itoa(pending), func(b *testing.B) {
			s := scheduler.New()
			spread := newXorshift(0x9e3779b97f4a7c15)
			for i := 0; i < pending; i++ {
				if _, err := s.After(delay(spread, s, pending), noteArg, uint64(i)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := s.After(delay(spread, s, pending), noteArg, uint64(i)); err != nil {
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
// heap and scheduling its replacement, which keeps the queue size steady;
// each iteration is one cancel and one schedule.
func BenchmarkCancel(b *testing.B) {
	for _, pending := range benchPending {
		b.Run("pending="+strconv.Itoa(pending), func(b *testing.B) {
			s := scheduler.New()
			spread := newXorshift(0x9e3779b97f4a7c15)
			timers := make([]scheduler.Timer, pending)
			for i := range timers {
				t, err := s.After(spread.delay(pending), noteArg, uint64(i))
				if err != nil {
					b.Fatal(err)
				}
				timers[i] = t
			}
			pick := newXorshift(0xd1b54a32d192ed03)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				k := pick.below(pending)
				if !s.Cancel(timers[k]) {
					b.Fatal("timer was not pending")
				}
				t, err := s.After(spread.delay(pending), noteArg, uint64(k))
				if err != nil {
					b.Fatal(err)
				}
				timers[k] = t
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/cancel+reschedule")
		})
	}
}
