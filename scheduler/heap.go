package scheduler

import (
	"math/bits"
	"slices"
	"time"
)

// arity is the heap's branching factor. A 4-ary heap is half as deep as a
// binary one, and a node's four children are 32-byte entries that fill two
// cache lines, so each level of a sift costs at most two cache misses.
const arity = 4

// rootPos is where the root sits in the heap slice. The entries before it
// are padding that puts every group of siblings at an index divisible by
// arity, so that a group starts on a cache line boundary instead of
// straddling three (large slices are page-aligned).
const rootPos = arity - 1

// entry is a pending event: its time and order, which the queue sorts on,
// what to run, and the slot that ties it to its Timer. It carries the
// function and argument itself so that running an event reads nothing but
// the entry: with many events pending, a look-up in the slot table would
// be a cache miss on every event.
//
// It has four fields, the most the compiler keeps in registers rather than
// copying through memory, which is why order and slot are grouped.
type entry struct {
	at  time.Duration
	id  eventID
	fn  Func
	arg uint64
}

// eventID is the part of an entry that is not the event's time or work.
type eventID struct {
	// order breaks ties between equal times: it increases with scheduling
	// order. It is 32 bits rather than a full sequence number to keep the
	// entry small; renumber keeps it from wrapping.
	order uint32
	slot  uint32
}

// before reports whether a runs before b.
func (a entry) before(b entry) bool {
	return a.at < b.at || (a.at == b.at && a.id.order < b.id.order)
}

// earlier returns 1 if a runs before b and 0 otherwise, without branching:
// it subtracts b from a as a 128-bit number whose high half is the time and
// low half the order, and returns the borrow. Times are never negative, so
// their unsigned order is their signed order.
func earlier(a, b entry) uint64 {
	_, borrow := bits.Sub64(uint64(a.id.order), uint64(b.id.order), 0)
	_, borrow = bits.Sub64(uint64(a.at), uint64(b.at), borrow)
	return borrow
}

// firstChild and parent map heap positions with the padding accounted for:
// the children of p are firstChild(p) to firstChild(p)+arity-1.
func firstChild(p int) int { return arity*(p-rootPos) + 1 + rootPos }

func parent(c int) int { return (c-rootPos-1)/arity + rootPos }

// pending returns the number of pending events, in the heap and the wheel.
func (s *Scheduler) pending() int {
	return max(len(s.heap)-rootPos, 0) + s.wheel.count
}

// place stores e at heap position p and records the position for e's slot,
// which is what lets Cancel find an event without searching.
func (s *Scheduler) place(p int, e entry) {
	s.heap[p] = e
	s.link[e.id.slot] = int32(p)
}

func (s *Scheduler) push(e entry) {
	if s.heap == nil {
		s.heap = make([]entry, rootPos, rootPos+1)
	}
	s.heap = append(s.heap, e)
	s.siftUp(len(s.heap)-1, e)
}

// popMin removes and returns the earliest entry. The heap must not be empty.
func (s *Scheduler) popMin() entry {
	top := s.heap[rootPos]
	s.remove(rootPos)
	return top
}

// remove deletes the entry at position p. It moves the hole left at p down
// to a leaf, always promoting the earliest child, and then sifts the last
// entry up from there. The last entry is usually one of the latest, so it
// rarely climbs, and the walk down needs no comparisons against it: this
// saves a comparison and an unpredictable branch on every level.
func (s *Scheduler) remove(p int) {
	last := len(s.heap) - 1
	moved := s.heap[last]
	// Clearing the vacated entry lets the garbage collector reclaim
	// whatever the event's function refers to once the event has run.
	s.heap[last].fn = nil
	s.heap = s.heap[:last]
	if p == last {
		return
	}
	h, link := s.heap, s.link
	n := len(h)
	for {
		first := firstChild(p)
		var best int
		if first+arity <= n {
			// All four children exist. Picking the earliest by arithmetic
			// rather than branches matters: comparisons of random times
			// are unpredictable, and each misprediction costs more than
			// the rest of the level.
			c := h[first : first+arity : first+arity]
			left := first + int(earlier(c[1], c[0]))
			right := first + 2 + int(earlier(c[3], c[2]))
			best = left + (right-left)*int(earlier(h[right], h[left]))
		} else if first < n {
			best = first
			for c := first + 1; c < n; c++ {
				if h[c].before(h[best]) {
					best = c
				}
			}
		} else {
			break
		}
		promoted := h[best]
		h[p] = promoted
		link[promoted.id.slot] = int32(p)
		p = best
	}
	s.siftUp(p, moved)
}

// siftUp places e, which belongs at or above position p, moving the
// ancestors that run after it down one level each.
func (s *Scheduler) siftUp(p int, e entry) {
	for p > rootPos {
		up := parent(p)
		pe := s.heap[up]
		if !e.before(pe) {
			break
		}
		s.place(p, pe)
		p = up
	}
	s.place(p, e)
}

// renumber reassigns the pending entries' order values as 0, 1, 2, … in the
// order they will run, so the counter can restart without wrapping. The
// relative order of every pair of entries is unchanged, so the heap stays
// valid as it is, and no entry changes place. It runs once per 2^32 - 1
// scheduled events.
func (s *Scheduler) renumber() {
	all := make([]*entry, 0, s.pending())
	for p := rootPos; p < len(s.heap); p++ {
		all = append(all, &s.heap[p])
	}
	s.wheel.each(func(i int32) { all = append(all, &s.wheel.pool[i]) })
	slices.SortFunc(all, func(a, b *entry) int {
		switch {
		case a.before(*b):
			return -1
		case b.before(*a):
			return 1
		}
		return 0
	})
	for rank, e := range all {
		e.id.order = uint32(rank)
	}
	s.nextOrder = uint32(len(all))
}
