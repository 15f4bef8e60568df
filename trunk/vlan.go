package trunk

import (
	"math/bits"

	"github.com/trunksim/trunksim/branch"
)

// vlanSlots is the size of upstream's per-trunk VLAN table
// (trunk.go MaxAllocatableVlanIds = 121): IDs 0..120, with 0 never handed
// out.
const vlanSlots = int(branch.MaxVLAN) + 1

// The bitset below holds 128 bits.
var _ [128 - vlanSlots]struct{}

// vlanSet marks used VLAN IDs, one bit each. Bit 0 and the bits past
// branch.MaxVLAN are permanently set, so the lowest clear bit is always
// the lowest free, valid ID.
type vlanSet [2]uint64

// newVLANSet returns a set with every valid ID free.
func newVLANSet() vlanSet {
	var s vlanSet
	s[0] = 1 // ID 0 is reserved, as upstream marks it used at creation
	for id := vlanSlots; id < 128; id++ {
		s[id/64] |= 1 << (id % 64)
	}
	return s
}

// lowestFree returns the lowest free ID without taking it.
func (s *vlanSet) lowestFree() (branch.VLAN, bool) {
	for w, word := range s {
		if free := ^word; free != 0 {
			return branch.VLAN(w*64 + bits.TrailingZeros64(free)), true
		}
	}
	return 0, false
}

// used reports whether v is marked; v must be valid.
func (s *vlanSet) used(v branch.VLAN) bool { return s[v/64]&(1<<(v%64)) != 0 }

// take marks v used; v must be valid.
func (s *vlanSet) take(v branch.VLAN) { s[v/64] |= 1 << (v % 64) }

// free clears v; v must be valid.
func (s *vlanSet) free(v branch.VLAN) { s[v/64] &^= 1 << (v % 64) }
