package sim

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// pcg gives the numbers and draws math/rand/v2's PCG and Rand.Float64
// give from the same seeds, so drawing from it changes no trace.
func TestPCGIsMathRandPCG(t *testing.T) {
	for _, seed := range [][2]uint64{{0, 0}, {1, 1}, {42, 1}, {1 << 63, 2}, {^uint64(0), ^uint64(0)}} {
		ours, theirs := pcg{seed[0], seed[1]}, rand.NewPCG(seed[0], seed[1])
		for range 10_000 {
			require.Equal(t, theirs.Uint64(), ours.uint64())
		}
		ours, want := pcg{seed[0], seed[1]}, rand.New(rand.NewPCG(seed[0], seed[1]))
		for range 10_000 {
			require.Equal(t, want.Float64(), ours.float64())
		}
	}
}

// retriesUntil gives the time, the count and the generator state that
// drawing one at a time gives.
func TestRetriesUntilIsTheLoop(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		seed := pcg{rapid.Uint64().Draw(t, "hi"), rapid.Uint64().Draw(t, "lo")}
		at := time.Duration(rapid.Int64Range(0, 1e12).Draw(t, "at"))
		until := at + time.Duration(rapid.Int64Range(-1e9, 1e12).Draw(t, "wait"))
		period := float64(time.Duration(rapid.Int64Range(1e6, 20e9).Draw(t, "period")))
		// Tiny jitters take the one-at-a-time path; large ones stretch
		// retries far past the period.
		jitter := rapid.OneOf(rapid.Float64Range(0, 1), rapid.Float64Range(0, 1e-300), rapid.Float64Range(1, 1e6)).Draw(t, "jitter")

		want, wantAt, wantN := seed, at, 0
		for wantAt < until {
			wantN++
			wantAt += time.Duration(period * (1 + jitter*want.float64()))
		}
		got := seed
		gotAt, gotN := got.retriesUntil(at, until, period, jitter)
		require.Equal(t, wantAt, gotAt)
		require.Equal(t, wantN, gotN)
		require.Equal(t, want, got, "the generator is left where the loop leaves it")
	})
}

// BenchmarkRetriesUntil draws a pod's failed sandbox attempts over an
// hour at the kubelet's default period and jitter: about 290 draws.
func BenchmarkRetriesUntil(b *testing.B) {
	b.ReportAllocs()
	p := pcg{1, 2}
	draws := 0
	for b.Loop() {
		_, n := p.retriesUntil(0, time.Hour, float64(10*time.Second), 0.5)
		draws += n
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(draws), "ns/draw")
}
