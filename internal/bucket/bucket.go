package bucket

import (
	"math"
	"time"
)

// Inf is the limit that grants every reservation at once, equal to
// rate.Inf.
const Inf = math.MaxFloat64

// InfDuration is the wait of a reservation that cannot be met and the
// delay of a refused one, equal to rate.InfDuration.
const InfDuration = time.Duration(math.MaxInt64)

// Bucket is a token bucket in virtual time. The zero Bucket has a limit
// and a burst of zero; use New.
type Bucket struct {
	limit  float64
	burst  int
	tokens float64
	last   time.Duration // the time of the last update, once started
	// started says whether last holds a time: before the first update
	// the time since the last one is the longest time.Duration.
	started bool
}

// New returns a full bucket of burst tokens that refills at limit tokens
// a second, as rate.NewLimiter(rate.Limit(limit), burst).
func New(limit float64, burst int) Bucket {
	return Bucket{limit: limit, burst: burst, tokens: float64(burst)}
}

// Limit returns the bucket's refill rate in tokens a second.
func (b *Bucket) Limit() float64 { return b.limit }

// Burst returns the bucket's size.
func (b *Bucket) Burst() int { return b.burst }

// TokensAt returns how many tokens the bucket holds at now, as
// Limiter.TokensAt, without changing it.
func (b *Bucket) TokensAt(now time.Duration) float64 { return b.advance(now) }

// Reserve takes n tokens at now and returns how long the caller must
// wait before acting and whether the reservation was granted, as
// Limiter.ReserveN(t, n) followed by DelayFrom(t) and OK. A refused
// reservation waits InfDuration and changes nothing.
func (b *Bucket) Reserve(now time.Duration, n int) (wait time.Duration, ok bool) {
	wait, ok = b.reserve(now, n, InfDuration)
	if !ok {
		return InfDuration, false
	}
	if wait < 0 {
		return 0, true
	}
	return wait, true
}

// Allow takes n tokens at now if the bucket holds them, as
// Limiter.AllowN, and says whether it did.
func (b *Bucket) Allow(now time.Duration, n int) bool {
	_, ok := b.reserve(now, n, 0)
	return ok
}

// SetLimit changes the refill rate from now on, as Limiter.SetLimitAt:
// the tokens accrued until now are kept.
func (b *Bucket) SetLimit(now time.Duration, limit float64) {
	b.tokens = b.advance(now)
	b.last, b.started = now, true
	b.limit = limit
}

// SetBurst changes the bucket's size from now on, as
// Limiter.SetBurstAt: the tokens accrued until now under the old size
// are kept, and capped at the new size whenever they are next counted.
func (b *Bucket) SetBurst(now time.Duration, burst int) {
	b.tokens = b.advance(now)
	b.last, b.started = now, true
	b.burst = burst
}

// reserve is Limiter.reserveN: it returns the wait until the n tokens
// are there, which may be negative when a float wait converts past the
// int64 range, and whether the reservation stands.
func (b *Bucket) reserve(now time.Duration, n int, maxWait time.Duration) (time.Duration, bool) {
	if b.limit == Inf {
		return 0, true
	}
	tokens := b.advance(now)
	tokens -= float64(n)
	var wait time.Duration
	if tokens < 0 {
		wait = durationFromTokens(b.limit, -tokens)
	}
	if n > b.burst || wait > maxWait {
		return wait, false
	}
	b.last, b.started = now, true
	b.tokens = tokens
	return wait, true
}

// advance returns the tokens the bucket holds at now.
func (b *Bucket) advance(now time.Duration) float64 {
	elapsed := InfDuration
	if b.started {
		switch {
		case now < b.last:
			elapsed = 0
		case now-b.last >= 0:
			elapsed = now - b.last
		} // otherwise the difference overflows and saturates
	}
	tokens := b.tokens + tokensFromDuration(b.limit, elapsed)
	if burst := float64(b.burst); tokens > burst {
		tokens = burst
	}
	return tokens
}

// durationFromTokens is how long limit takes to add tokens.
func durationFromTokens(limit, tokens float64) time.Duration {
	if limit <= 0 {
		return InfDuration
	}
	d := (tokens / limit) * float64(time.Second)
	if d > float64(math.MaxInt64) {
		return InfDuration
	}
	return time.Duration(d)
}

// tokensFromDuration is how many tokens limit adds in d.
func tokensFromDuration(limit float64, d time.Duration) float64 {
	if limit <= 0 {
		return 0
	}
	return d.Seconds() * limit
}
