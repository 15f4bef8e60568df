package sim

import (
	"math/bits"
	"time"
)

// pcg is the PCG-DXSM generator of math/rand/v2: pcg{seed1, seed2}
// yields the numbers rand.NewPCG(seed1, seed2) does, and float64 the
// draws rand.Rand.Float64 makes from them (a test holds both to that).
// It is written out, as a value, so that a loop drawing from it keeps
// its state in registers: the kubelet's retry count draws once per
// failed attempt, millions of times in a long rollout.
type pcg struct{ hi, lo uint64 }

// The generator's state advances as state*mul + inc (mod 2^128); two
// steps at once are state*mul2 + inc2.
var (
	pcgMul  = pcg{2549297995355413924, 4865540595714422341}
	pcgInc  = pcg{6364136223846793005, 1442695040888963407}
	pcgMul2 = pcgMul.times(pcgMul)
	pcgInc2 = pcgInc.times(pcgMul.plus(pcg{0, 1}))
)

func (x pcg) times(y pcg) pcg {
	hi, lo := bits.Mul64(x.lo, y.lo)
	return pcg{hi + x.hi*y.lo + x.lo*y.hi, lo}
}

func (x pcg) plus(y pcg) pcg {
	lo, c := bits.Add64(x.lo, y.lo, 0)
	hi, _ := bits.Add64(x.hi, y.hi, c)
	return pcg{hi, lo}
}

// output is the DXSM hash of a state: the number drawn on reaching it.
func (x pcg) output() uint64 {
	const cheapMul = 0xda942042e4dd58b5
	hi := x.hi
	hi ^= hi >> 32
	hi *= cheapMul
	hi ^= hi >> 48
	hi *= x.lo | 1
	return hi
}

// unit maps a number to a draw in [0, 1) as rand.Rand.Float64 does.
func unit(n uint64) float64 { return float64(n<<11>>11) / (1 << 53) }

func (p *pcg) uint64() uint64 {
	*p = p.times(pcgMul).plus(pcgInc)
	return p.output()
}

// float64 returns the next draw in [0, 1).
func (p *pcg) float64() float64 { return unit(p.uint64()) }

// retriesUntil adds period*(1+jitter*u) to at for successive draws u
// until at reaches until, and returns the new at and how many draws it
// took (none when at already has). It gives what the loop over float64
// gives, but follows the states two at a time, each two steps apart, so
// that the multiplications of neighbouring draws overlap.
func (p *pcg) retriesUntil(at, until time.Duration, period, jitter float64) (time.Duration, int) {
	if at >= until {
		return at, 0
	}
	x := p.times(pcgMul).plus(pcgInc) // the state of the next draw
	y := x.times(pcgMul).plus(pcgInc) // and of the one after
	for n := 1; ; n += 2 {
		at += time.Duration(period * (1 + jitter*unit(x.output())))
		if at >= until {
			*p = x
			return at, n
		}
		at += time.Duration(period * (1 + jitter*unit(y.output())))
		if at >= until {
			*p = y
			return at, n + 1
		}
		x, y = x.times(pcgMul2).plus(pcgInc2), y.times(pcgMul2).plus(pcgInc2)
	}
}
