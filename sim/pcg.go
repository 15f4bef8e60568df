package sim

import "math/bits"

// pcg is the PCG-DXSM generator of math/rand/v2: pcg{seed1, seed2}
// yields the numbers rand.NewPCG(seed1, seed2) does, and float64 the
// draws rand.Rand.Float64 makes from them (a test holds both to that).
// It is written out, as a value, so that a loop drawing from it keeps
// its state in registers: the kubelet's retry count draws once per
// failed attempt, millions of times in a long rollout.
type pcg struct{ hi, lo uint64 }

// float64 returns the next draw in [0, 1).
func (p *pcg) float64() float64 { return float64(p.uint64()<<11>>11) / (1 << 53) }

func (p *pcg) uint64() uint64 {
	const (
		mulHi    = 2549297995355413924
		mulLo    = 4865540595714422341
		incHi    = 6364136223846793005
		incLo    = 1442695040888963407
		cheapMul = 0xda942042e4dd58b5
	)
	hi, lo := bits.Mul64(p.lo, mulLo)
	hi += p.hi*mulLo + p.lo*mulHi
	lo, c := bits.Add64(lo, incLo, 0)
	hi, _ = bits.Add64(hi, incHi, c)
	p.lo, p.hi = lo, hi
	hi ^= hi >> 32
	hi *= cheapMul
	hi ^= hi >> 48
	hi *= lo | 1
	return hi
}
