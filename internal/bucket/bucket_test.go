package bucket

import (
	"fmt"
	"math"
	"testing"
	"time"

	"golang.org/x/time/rate"
	"pgregory.net/rapid"
)

// epoch anchors the reference Limiter's times: virtual time d is
// epoch.Add(d), as in the fake EC2.
var epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

type opKind uint8

const (
	opReserve opKind = 1 + iota
	opAllow
	opSetLimit
	opSetBurst
	opTokens
)

func (k opKind) String() string {
	switch k {
	case opReserve:
		return "Reserve"
	case opAllow:
		return "Allow"
	case opSetLimit:
		return "SetLimit"
	case opSetBurst:
		return "SetBurst"
	case opTokens:
		return "TokensAt"
	}
	return fmt.Sprintf("opKind(%d)", uint8(k))
}

// op is one step applied to both the Bucket and the reference Limiter.
type op struct {
	kind  opKind
	at    time.Duration
	n     int     // tokens asked for, or the new burst
	limit float64 // the new limit
}

func (o op) String() string {
	switch o.kind {
	case opSetLimit:
		return fmt.Sprintf("%v(%d, %v)", o.kind, o.at, o.limit)
	case opTokens:
		return fmt.Sprintf("%v(%d)", o.kind, o.at)
	}
	return fmt.Sprintf("%v(%d, %d)", o.kind, o.at, o.n)
}

// outcome is what one step answers: the wait and grant of a
// reservation, and the tokens held afterwards.
type outcome struct {
	wait   time.Duration
	ok     bool
	tokens uint64 // the float64's bits, so NaN and -0 compare exactly
	limit  uint64
	burst  int
}

func (o outcome) String() string {
	return fmt.Sprintf("wait=%d ok=%v tokens=%v limit=%v burst=%d",
		o.wait, o.ok, math.Float64frombits(o.tokens), math.Float64frombits(o.limit), o.burst)
}

func applyBucket(b *Bucket, o op) outcome {
	var r outcome
	switch o.kind {
	case opReserve:
		r.wait, r.ok = b.Reserve(o.at, o.n)
	case opAllow:
		r.ok = b.Allow(o.at, o.n)
	case opSetLimit:
		b.SetLimit(o.at, o.limit)
	case opSetBurst:
		b.SetBurst(o.at, o.n)
	}
	r.tokens = math.Float64bits(b.TokensAt(o.at))
	r.limit, r.burst = math.Float64bits(b.Limit()), b.Burst()
	return r
}

func applyLimiter(l *rate.Limiter, o op) outcome {
	var r outcome
	t := epoch.Add(o.at)
	switch o.kind {
	case opReserve:
		res := l.ReserveN(t, o.n)
		r.wait, r.ok = res.DelayFrom(t), res.OK()
	case opAllow:
		r.ok = l.AllowN(t, o.n)
	case opSetLimit:
		l.SetLimitAt(t, rate.Limit(o.limit))
	case opSetBurst:
		l.SetBurstAt(t, o.n)
	}
	r.tokens = math.Float64bits(l.TokensAt(t))
	r.limit, r.burst = math.Float64bits(float64(l.Limit())), l.Burst()
	return r
}

// TestConstantsAreRates checks that the bucket's Inf and InfDuration are
// x/time/rate's.
func TestConstantsAreRates(t *testing.T) {
	if Inf != float64(rate.Inf) {
		t.Errorf("Inf = %v, rate.Inf = %v", Inf, rate.Inf)
	}
	if InfDuration != rate.InfDuration {
		t.Errorf("InfDuration = %v, rate.InfDuration = %v", InfDuration, rate.InfDuration)
	}
}

// drawLimit draws a refill rate: the simulator's kinds most often, and
// the edges of x/time/rate's arithmetic sometimes.
func drawLimit(t *rapid.T, label string) float64 {
	switch rapid.IntRange(0, 9).Draw(t, label+"Kind") {
	case 0:
		return Inf
	case 1:
		return rapid.SampledFrom([]float64{0, -1, math.Inf(1), math.Inf(-1), math.NaN(),
			math.SmallestNonzeroFloat64, 1e-300, 1e300, math.MaxFloat64 / 2}).Draw(t, label)
	case 2:
		return rapid.Float64Range(1e-9, 1e-3).Draw(t, label)
	case 3:
		return rapid.Float64Range(0, 1e9).Draw(t, label)
	case 4:
		return float64(rapid.IntRange(1, 1000).Draw(t, label)) / 8
	default:
		return rapid.SampledFrom([]float64{5, 20, 12, 24, 10, 1, 0.5, 1000, 100.0 / 3}).Draw(t, label)
	}
}

// drawBurst draws a bucket size, small and ordinary most often.
func drawBurst(t *rapid.T, label string) int {
	switch rapid.IntRange(0, 9).Draw(t, label+"Kind") {
	case 0:
		return rapid.SampledFrom([]int{0, -1, -50, math.MaxInt, math.MinInt, 1 << 53, 1<<53 + 1}).Draw(t, label)
	case 1:
		return rapid.IntRange(0, 1<<20).Draw(t, label)
	default:
		return rapid.IntRange(1, 120).Draw(t, label)
	}
}

// drawStep draws how far virtual time moves: mostly forward, often not
// at all, sometimes by huge amounts and now and then backwards.
func drawStep(t *rapid.T) time.Duration {
	switch rapid.IntRange(0, 19).Draw(t, "stepKind") {
	case 0, 1, 2, 3:
		return 0
	case 4:
		return -time.Duration(rapid.Int64Range(1, int64(time.Hour)).Draw(t, "back"))
	case 5:
		return time.Duration(rapid.Int64Range(0, math.MaxInt64).Draw(t, "huge"))
	case 6, 7:
		return time.Duration(rapid.Int64Range(1, 1000).Draw(t, "ns"))
	case 8, 9, 10:
		return time.Duration(rapid.Int64Range(0, int64(time.Minute)).Draw(t, "long"))
	default:
		return time.Duration(rapid.Int64Range(0, int64(200*time.Millisecond)).Draw(t, "short"))
	}
}

// addSat adds virtual times, saturating at the int64 range.
func addSat(a, b time.Duration) time.Duration {
	s := a + b
	switch {
	case b > 0 && s < a:
		return math.MaxInt64
	case b < 0 && s > a:
		return math.MinInt64
	}
	return s
}

// TestBucketDecidesAsRateLimiter drives a Bucket and an x/time/rate
// Limiter with the same random steps and asserts they answer the same at
// every one: the wait, the grant, the tokens held, the limit and burst.
func TestBucketDecidesAsRateLimiter(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		limit, burst := drawLimit(t, "limit"), drawBurst(t, "burst")
		b := New(limit, burst)
		l := rate.NewLimiter(rate.Limit(limit), burst)
		start := time.Duration(rapid.SampledFrom([]int64{0, 0, 0, 1, -1, math.MinInt64, math.MaxInt64,
			int64(time.Hour)}).Draw(t, "start"))
		// Before any step, a fresh bucket must read as a fresh Limiter.
		if got, want := b.TokensAt(start), l.TokensAt(epoch.Add(start)); math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("fresh TokensAt(%d) = %v, Limiter %v", start, got, want)
		}
		now := start
		steps := rapid.IntRange(1, 200).Draw(t, "steps")
		for i := range steps {
			now = addSat(now, drawStep(t))
			o := op{at: now}
			switch rapid.IntRange(0, 19).Draw(t, "op") {
			case 0:
				o.kind, o.limit = opSetLimit, drawLimit(t, "newLimit")
			case 1:
				o.kind, o.n = opSetBurst, drawBurst(t, "newBurst")
			case 2:
				o.kind = opTokens
			case 3, 4, 5, 6, 7:
				o.kind = opAllow
			default:
				o.kind = opReserve
			}
			if o.kind == opAllow || o.kind == opReserve {
				switch rapid.IntRange(0, 9).Draw(t, "nKind") {
				case 0:
					o.n = rapid.IntRange(-3, max(b.Burst()/2+3, -3)).Draw(t, "n")
				case 1:
					o.n = rapid.SampledFrom([]int{0, b.Burst(), b.Burst() + 1, math.MaxInt, math.MinInt}).Draw(t, "n")
				default:
					o.n = 1
				}
			}
			got, want := applyBucket(&b, o), applyLimiter(l, o)
			if got != want {
				t.Fatalf("step %d %v: bucket %v, Limiter %v", i, o, got, want)
			}
		}
	})
}

// TestBucketEdgeCases walks the bucket through the edges of
// x/time/rate's Limiter (golang.org/x/time/rate/rate.go: advance,
// reserveN, durationFromTokens, tokensFromDuration, SetLimitAt,
// SetBurstAt), each step checked against written-out answers and against
// the Limiter itself.
func TestBucketEdgeCases(t *testing.T) {
	type step struct {
		op
		wait   time.Duration
		ok     bool
		tokens float64
	}
	res := func(at time.Duration, n int, wait time.Duration, ok bool, tokens float64) step {
		return step{op{kind: opReserve, at: at, n: n}, wait, ok, tokens}
	}
	allow := func(at time.Duration, n int, ok bool, tokens float64) step {
		return step{op: op{kind: opAllow, at: at, n: n}, ok: ok, tokens: tokens}
	}
	setLimit := func(at time.Duration, limit, tokens float64) step {
		return step{op: op{kind: opSetLimit, at: at, limit: limit}, tokens: tokens}
	}
	setBurst := func(at time.Duration, burst int, tokens float64) step {
		return step{op: op{kind: opSetBurst, at: at, n: burst}, tokens: tokens}
	}
	tokensAt := func(at time.Duration, tokens float64) step {
		return step{op: op{kind: opTokens, at: at}, tokens: tokens}
	}
	const ms = time.Millisecond
	tests := []struct {
		name      string
		limit     float64
		burst     int
		steps     []step
		nanTokens bool // the tokens become NaN; checked against the Limiter only
	}{
		{name: "a new bucket is full at any time", limit: 5, burst: 3, steps: []step{
			tokensAt(math.MinInt64, 3), tokensAt(0, 3), tokensAt(math.MaxInt64, 3),
		}},
		{name: "the burst is spent at once, then the limit paces", limit: 5, burst: 2, steps: []step{
			res(0, 1, 0, true, 1), res(0, 1, 0, true, 0), res(0, 1, 200*ms, true, -1),
			res(100*ms, 1, 300*ms, true, -1.5), tokensAt(500*ms, 0.5),
		}},
		{name: "allow refuses what would wait and changes nothing", limit: 10, burst: 1, steps: []step{
			allow(0, 1, true, 0), allow(50*ms, 1, false, 0.5), allow(100*ms, 1, true, 0),
		}},
		{name: "more than the burst is refused and changes nothing", limit: 1, burst: 2, steps: []step{
			res(0, 3, InfDuration, false, 2), allow(0, 3, false, 2), res(0, 2, 0, true, 0),
		}},
		{name: "zero tokens is always granted", limit: 1, burst: 0, steps: []step{
			res(0, 0, 0, true, 0), allow(0, 0, true, 0), allow(0, 1, false, 0),
		}},
		{name: "an Inf limit grants everything and changes nothing", limit: Inf, burst: 0, steps: []step{
			res(0, 1000, 0, true, 0), allow(0, 1<<40, true, 0), tokensAt(time.Second, 0),
		}},
		{name: "a zero limit adds nothing and Reserve waits forever", limit: 0, burst: 1, steps: []step{
			res(0, 1, 0, true, 0), tokensAt(time.Hour, 0), res(time.Hour, 1, InfDuration, true, -1),
			allow(2*time.Hour, 1, false, -1),
		}},
		{name: "a negative limit is a zero one", limit: -3, burst: 2, steps: []step{
			res(0, 2, 0, true, 0), res(time.Second, 1, InfDuration, true, -1),
		}},
		{name: "time going backwards counts as none elapsed and moves last back", limit: 1, burst: 1, steps: []step{
			res(10*time.Second, 1, 0, true, 0), res(5*time.Second, 1, time.Second, true, -1),
			tokensAt(5*time.Second, -1), tokensAt(6*time.Second, 0), tokensAt(11*time.Second, 1),
		}},
		{name: "a lower burst caps the tokens, and raising it again does not bring them back", limit: 1, burst: 10, steps: []step{
			setBurst(0, 2, 2), setBurst(0, 10, 2), res(0, 1, 0, true, 1), tokensAt(time.Second, 2),
		}},
		{name: "a new limit keeps the tokens accrued under the old", limit: 1, burst: 10, steps: []step{
			res(0, 10, 0, true, 0), setLimit(2*time.Second, 4, 2), tokensAt(3*time.Second, 6),
		}},
		{name: "setting Inf then back resumes from the tokens held", limit: 2, burst: 4, steps: []step{
			res(0, 4, 0, true, 0), setLimit(time.Second, Inf, 2), res(time.Second, 100, 0, true, 2),
			setLimit(time.Second, 2, 2), tokensAt(1500*ms, 3),
		}},
		{name: "a wait past the longest duration is InfDuration", limit: 1e-12, burst: 1, steps: []step{
			res(0, 1, 0, true, 0), res(0, 1, InfDuration, true, -1),
		}},
		{name: "elapsed time saturates instead of overflowing", limit: 1, burst: 5, steps: []step{
			res(math.MinInt64, 5, 0, true, 0), tokensAt(math.MaxInt64, 5),
		}},
		{name: "the float rounding of a third of a second is kept", limit: 3, burst: 1, steps: []step{
			res(0, 1, 0, true, 0), res(0, 1, 333333333, true, -1), res(0, 1, 666666666, true, -2),
		}},
		{name: "a NaN limit is carried as x/time/rate carries it", limit: math.NaN(), burst: 1, nanTokens: true, steps: []step{
			res(0, 1, 0, true, 0), res(time.Second, 1, 0, true, 0),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := New(tt.limit, tt.burst)
			l := rate.NewLimiter(rate.Limit(tt.limit), tt.burst)
			for i, s := range tt.steps {
				got, want := applyBucket(&b, s.op), applyLimiter(l, s.op)
				if got != want {
					t.Fatalf("step %d %v: bucket %v, Limiter %v", i, s.op, got, want)
				}
				if tt.nanTokens {
					continue
				}
				if got.wait != s.wait || got.ok != s.ok || math.Float64frombits(got.tokens) != s.tokens {
					t.Errorf("step %d %v: got %v, want wait=%d ok=%v tokens=%v", i, s.op, got, s.wait, s.ok, s.tokens)
				}
			}
		})
	}
}

// BenchmarkReserve compares a reservation from a Bucket with one from
// the x/time/rate Limiter it stands in for, paced at the controller's
// default client rate.
func BenchmarkReserve(b *testing.B) {
	const step = 10 * time.Millisecond
	b.Run("bucket", func(b *testing.B) {
		b.ReportAllocs()
		bk := New(12, 18)
		var now time.Duration
		for b.Loop() {
			now += step
			bk.Reserve(now, 1)
		}
	})
	b.Run("x-time-rate", func(b *testing.B) {
		b.ReportAllocs()
		l := rate.NewLimiter(12, 18)
		var now time.Duration
		for b.Loop() {
			now += step
			t := epoch.Add(now)
			l.ReserveN(t, 1).DelayFrom(t)
		}
	})
}
