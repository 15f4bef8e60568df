package scheduler

import (
	"math"
	"math/bits"
	"time"
)

// Pending events are kept in two tiers. The heap holds the events of the
// current grain, a short span of time, and orders them exactly by (time,
// order). Every later event waits in a hierarchical timing wheel, which
// files it by grain only and without comparing it to anything. When the
// heap runs dry, the earliest non-empty bucket of the wheel is emptied: the
// events of its earliest grain move into the heap and the rest into buckets
// of finer levels, nearer their time.
//
// Why two tiers: a heap of a hundred thousand events does not fit in the
// processor's caches, and a sift through it is a chain of dependent loads,
// each waiting on memory. The wheel instead appends to one of a few
// buckets and moves events by sequential scans whose loads do not depend
// on each other, and an event moves at most once per level. The heap stays
// as small as the number of events in one grain, so it stays in cache.
//
// The order never rests on the wheel: an event of the heap's grain or an
// earlier one always goes into the heap, which orders it exactly, and every
// event in the wheel is later than every event in the heap. The wheel pays
// off because the heap's grain never runs ahead of the clock: it moves only
// when the heap is refilled just before an event runs, to that event's
// grain, and the clock never goes backwards. So a new event, never in the
// past, goes straight into the heap only if it is due within the clock's
// own grain. (That is why Next does not refill the heap: it would move the
// grain to the next event, perhaps far ahead, and every event scheduled
// before that one would pile up in the heap.)

const (
	// grainShift sets the grain to 2^10 ns, about a microsecond: short
	// enough that a grain rarely holds many events, so the heap stays
	// small, and long enough that the wheel needs few levels.
	grainShift = 10
	// digitBits is how many bits of the grain number each level of the
	// wheel sorts on. Six bits give 64 buckets per level, so one uint64
	// records which buckets of a level are occupied.
	digitBits = 6
	// wheelSlots is the number of buckets per level.
	wheelSlots = 1 << digitBits
	// levels is enough digits to cover every grain number: times are
	// non-negative int64 values, so grain numbers have 63-grainShift bits.
	levels = (63 - grainShift + digitBits - 1) / digitBits
	// chunkLen is how many entries a chunk of bucket storage holds. Buckets
	// share one pool of chunks rather than each owning a slice, so the
	// wheel's memory follows the number of pending events, not the largest
	// size each of its buckets ever reached.
	chunkLen = 32
	// wheelSlack bounds the storage the wheel holds beyond its events: at
	// most one partly filled chunk per bucket, and while a bucket is being
	// emptied, the chunk being read.
	wheelSlack = (levels*wheelSlots + 1) * chunkLen
)

// wheel holds the events later than the heap's grain. An event whose grain
// number g differs from the scheduler's base grain first in digit L (the
// bits L*digitBits to L*digitBits+digitBits-1) is in bucket L, digit L of
// g. Every event in level L therefore runs before every event in a higher
// level, and within a level the buckets run in digit order.
type wheel struct {
	buckets [levels][wheelSlots]bucket
	// occupied has bit d of word L set when bucket L, d is not empty.
	occupied [levels]uint64
	// pool is the storage of every bucket: chunk c is the entries from
	// c*chunkLen up to (c+1)*chunkLen.
	pool []entry
	// chain[c] is one more than the chunk after c, in its bucket or in the
	// free list; 0 ends the list.
	chain []int32
	// free is one more than the first free chunk, or 0.
	free int32
	// count is the number of events in the wheel.
	count int
	// earliestAt is the time of the wheel's earliest event while
	// earliestKnown is set; see earliest.
	earliestAt    time.Duration
	earliestKnown bool
}

// bucket is a list of chunks. The first is being filled; the rest are full.
type bucket struct {
	// top is one more than the chunk being filled, or 0 if the bucket is
	// empty.
	top int32
	// fill is the number of entries in the chunk being filled.
	fill int32
}

// grainOf returns the grain number of time t; t is never negative.
func grainOf(t time.Duration) uint64 { return uint64(t) >> grainShift }

// bucketOf returns the wheel bucket for an event of grain g, which must be
// later than base.
func bucketOf(g, base uint64) (level, digit uint) {
	level = uint(bits.Len64(g^base)-1) / digitBits
	digit = uint(g>>(level*digitBits)) % wheelSlots
	return level, digit
}

// file adds e to the heap if it belongs to the heap's grain or an earlier
// one, and to its wheel bucket otherwise.
func (s *Scheduler) file(e entry) {
	g := grainOf(e.at)
	if g <= s.base {
		s.push(e)
		return
	}
	w := &s.wheel
	level, digit := bucketOf(g, s.base)
	b := &w.buckets[level][digit]
	if b.fill == chunkLen || b.top == 0 {
		c := w.newChunk()
		w.chain[c] = b.top
		b.top, b.fill = c+1, 0
	}
	i := (b.top-1)*chunkLen + b.fill
	w.pool[i] = e
	s.link[e.id.slot] = ^i
	b.fill++
	w.occupied[level] |= 1 << digit
	w.count++
	if w.earliestKnown && e.at < w.earliestAt {
		w.earliestAt = e.at
	}
}

// newChunk returns a free chunk, growing the pool if none is free.
func (w *wheel) newChunk() int32 {
	if w.free != 0 {
		c := w.free - 1
		w.free = w.chain[c]
		return c
	}
	w.pool = append(w.pool, make([]entry, chunkLen)...)
	w.chain = append(w.chain, 0)
	return int32(len(w.chain) - 1)
}

// freeChunk returns chunk c to the free list.
func (w *wheel) freeChunk(c int32) {
	w.chain[c] = w.free
	w.free = c + 1
}

// unfile removes the event at pool index i, moving the last event of its
// bucket into its place.
func (s *Scheduler) unfile(i int32) {
	w := &s.wheel
	at := w.pool[i].at
	if at == w.earliestAt {
		w.earliestKnown = false
	}
	level, digit := bucketOf(grainOf(at), s.base)
	b := &w.buckets[level][digit]
	last := (b.top-1)*chunkLen + b.fill - 1
	if i != last {
		w.pool[i] = w.pool[last]
		s.link[w.pool[i].id.slot] = ^i
	}
	w.pool[last].fn = nil
	b.fill--
	if b.fill == 0 {
		c := b.top - 1
		b.top = w.chain[c]
		w.freeChunk(c)
		if b.top != 0 {
			b.fill = chunkLen
		} else {
			w.occupied[level] &^= 1 << digit
		}
	}
	w.count--
}

// refill moves events from the wheel into the heap if the heap is empty,
// so that the heap's root is the earliest pending event. It takes the
// earliest non-empty bucket, makes its earliest grain the new base, and
// files the bucket's events afresh: relative to the new base each lands in
// the heap or a finer level. Events in other buckets stay where they are,
// as they differ from the new base in the same digit as from the old.
// Taking the earliest grain rather than the start of the bucket's span
// costs a pass over the bucket to find it, but fills the heap in one round
// and sends an event that is alone in its bucket straight to the heap.
func (s *Scheduler) refill() {
	if len(s.heap) <= rootPos && s.wheel.count > 0 {
		s.refillFromWheel()
	}
}

// refillFromWheel is refill's work, apart so that refill's test can be
// inlined.
func (s *Scheduler) refillFromWheel() {
	w := &s.wheel
	level, digit := w.first()
	b := w.buckets[level][digit]
	w.buckets[level][digit] = bucket{}
	w.occupied[level] &^= 1 << digit
	if b.fill == 1 && w.chain[b.top-1] == 0 {
		// A lone event, common when few are pending, needs no search for
		// the earliest grain.
		c := b.top - 1
		e := w.pool[c*chunkLen]
		w.pool[c*chunkLen].fn = nil
		w.freeChunk(c)
		w.count--
		w.earliestKnown = false
		s.base = grainOf(e.at)
		s.push(e)
		return
	}
	if !w.earliestKnown {
		w.earliestAt = w.earliestIn(b)
	}
	s.base = grainOf(w.earliestAt)
	w.earliestKnown = false
	for c, n := b.top-1, b.fill; c >= 0; {
		next := w.chain[c] - 1
		w.count -= int(n)
		for i := c * chunkLen; i < c*chunkLen+n; i++ {
			e := w.pool[i]
			// Dropping the stale copy's function lets the garbage
			// collector reclaim what it refers to once the event has run.
			w.pool[i].fn = nil
			s.file(e)
		}
		// Filing never adds to the bucket being emptied, so its chunk can
		// be reused as soon as it has been read.
		w.freeChunk(c)
		c, n = next, chunkLen
	}
}

// first returns the earliest non-empty bucket; the wheel must not be empty.
func (w *wheel) first() (level, digit uint) {
	for w.occupied[level] == 0 {
		level++
	}
	return level, uint(bits.TrailingZeros64(w.occupied[level]))
}

// earliest returns the time of the earliest event in the wheel, which must
// not be empty. It is in the first non-empty bucket, which is unsorted and
// must be scanned. The answer is kept, and lowered when an earlier event
// arrives, until that event leaves the wheel, so that Next followed by
// Step, the usual way of driving the scheduler, scans the bucket once.
func (w *wheel) earliest() time.Duration {
	if !w.earliestKnown {
		level, digit := w.first()
		w.earliestAt, w.earliestKnown = w.earliestIn(w.buckets[level][digit]), true
	}
	return w.earliestAt
}

// earliestIn returns the time of the earliest event in b, which must not
// be empty.
func (w *wheel) earliestIn(b bucket) time.Duration {
	at := time.Duration(math.MaxInt64)
	for c, n := b.top-1, b.fill; c >= 0; c, n = w.chain[c]-1, chunkLen {
		for _, e := range w.pool[c*chunkLen : c*chunkLen+n] {
			at = min(at, e.at)
		}
	}
	return at
}

// each calls f with the pool index of every event in the wheel.
func (w *wheel) each(f func(i int32)) {
	for level := range w.buckets {
		for _, b := range w.buckets[level] {
			for c, n := b.top-1, b.fill; c >= 0; c, n = w.chain[c]-1, chunkLen {
				for i := c * chunkLen; i < c*chunkLen+n; i++ {
					f(i)
				}
			}
		}
	}
}
