package sim

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
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
