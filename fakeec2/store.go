package fakeec2

import (
	"iter"
	"slices"
	"strings"

	"github.com/trunksim/trunksim/branch"
)

// assocPrefix starts every association ID: the rest is the digits of the
// branch's ENI ID.
const assocPrefix = "trunk-assoc-"

// eniStore holds the fake EC2's interfaces by the counter their IDs
// spell. IDs are handed out in counter order and mostly deleted in about
// the same order, so a slice from the oldest live counter on serves
// where a map would: no hashing, one memory access per lookup, and
// iteration in ID order.
type eniStore struct {
	base  uint64       // the counter of slots[0]
	slots []*eniRecord // nil for a deleted interface
	live  int
	// byInstance holds each instance's interfaces, so that terminating
	// one costs its own interfaces, not every interface in the account.
	byInstance map[string]*instanceNums
}

// instanceNums is one instance's interfaces by counter, in ID order. The
// counters of deleted interfaces stay until they are most of the list.
type instanceNums struct {
	nums []uint64
	live int
}

// add stores a record whose counter is past every other's.
func (s *eniStore) add(r *eniRecord) {
	if len(s.slots) == 0 {
		s.base = r.num
	}
	for s.base+uint64(len(s.slots)) < r.num {
		s.slots = append(s.slots, nil) // a counter never used
	}
	s.slots = append(s.slots, r)
	s.live++
	if s.byInstance == nil {
		s.byInstance = make(map[string]*instanceNums)
	}
	in := s.byInstance[r.Instance]
	if in == nil {
		in = &instanceNums{}
		s.byInstance[r.Instance] = in
	}
	in.nums = append(in.nums, r.num)
	in.live++
}

// ofInstance returns the live records of an instance's interfaces, in ID
// order.
func (s *eniStore) ofInstance(instance string) []*eniRecord {
	in := s.byInstance[instance]
	if in == nil {
		return nil
	}
	out := make([]*eniRecord, 0, in.live)
	for _, n := range in.nums {
		if r := s.at(n); r != nil {
			out = append(out, r)
		}
	}
	return out
}

// at returns the live record of counter n, or nil.
func (s *eniStore) at(n uint64) *eniRecord {
	if n < s.base || n-s.base >= uint64(len(s.slots)) {
		return nil
	}
	return s.slots[n-s.base]
}

// find returns the live record whose ID is id, or nil.
func (s *eniStore) find(id branch.ENIID) *eniRecord {
	n, ok := id.Uint64()
	if !ok {
		return nil // not an ID the fake EC2 hands out
	}
	return s.at(n)
}

// associated returns the live record whose association ID is assoc, or
// nil. An association ID spells its branch's counter, which names the
// only record that can hold it.
func (s *eniStore) associated(assoc string) *eniRecord {
	digits, ok := strings.CutPrefix(assoc, assocPrefix)
	if !ok || len(digits) != 17 || digits[0] != '0' {
		return nil
	}
	var n uint64
	for _, c := range []byte(digits[1:]) {
		switch {
		case c >= '0' && c <= '9':
			n = n<<4 | uint64(c-'0')
		case c >= 'a' && c <= 'f':
			n = n<<4 | uint64(c-'a'+10)
		default:
			return nil
		}
	}
	if r := s.at(n); r != nil && r.Association == assoc {
		return r
	}
	return nil
}

// remove deletes a live record, and lets go of the slots before the
// oldest live one.
func (s *eniStore) remove(r *eniRecord) {
	s.slots[r.num-s.base] = nil
	s.live--
	switch in := s.byInstance[r.Instance]; {
	case in.live == 1:
		delete(s.byInstance, r.Instance)
	case len(in.nums) > 2*in.live+8:
		in.nums = slices.DeleteFunc(in.nums, func(n uint64) bool { return s.at(n) == nil })
		fallthrough
	default:
		in.live--
	}
	k := 0
	for k < len(s.slots) && s.slots[k] == nil {
		k++
	}
	if k == 0 {
		return
	}
	s.slots, s.base = s.slots[k:], s.base+uint64(k)
	if len(s.slots) == 0 {
		s.slots = s.slots[:0:0] // the next add starts a fresh slice
	} else if cap(s.slots) > 4*len(s.slots)+64 {
		s.slots = append([]*eniRecord(nil), s.slots...)
	}
}

// all yields the live records in ID order; removing the one yielded is
// allowed.
func (s *eniStore) all() iter.Seq[*eniRecord] {
	return func(yield func(*eniRecord) bool) {
		for i := 0; i < len(s.slots); i++ {
			r := s.slots[i]
			if r == nil {
				continue
			}
			base := s.base
			if !yield(r) {
				return
			}
			// A removal may have dropped the slots up to i, and the empty
			// ones after it: go on from the first slot not yet seen.
			i = max(i-int(s.base-base), -1)
		}
	}
}
