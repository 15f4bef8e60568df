package scheduler

import (
	"fmt"
	"math"
	"time"
)

// SetCapacity lowers the number of events s can hold so tests can reach
// ErrFull without billions of events.
func SetCapacity(s *Scheduler, n int) { s.capacity = n }

// SetNextOrder moves the tie-break counter so tests can cross the point
// where it is renumbered.
func SetNextOrder(s *Scheduler, order uint32) { s.nextOrder = order }

// NextOrder exposes the tie-break counter.
func NextOrder(s *Scheduler) uint32 { return s.nextOrder }

// Slots returns the size of the slot table, which grows only when no freed
// slot can be reused.
func Slots(s *Scheduler) int { return len(s.seqs) }

// TimerSlot returns the slot a Timer refers to.
func TimerSlot(t Timer) int { return int(t.slot) }

// CheckInvariants verifies the internal structure of s: the heap order, the
// split between the heap and the wheel, the positions recorded for Cancel,
// the free lists, the tie-break values, and that storage not holding a
// pending event holds no function.
func CheckInvariants(s *Scheduler) error {
	if s.heap != nil && len(s.heap) < rootPos {
		return fmt.Errorf("heap has %d entries, less than its padding", len(s.heap))
	}
	if err := checkCleared(s.heap[len(s.heap):cap(s.heap)], "heap storage past its end"); err != nil {
		return err
	}
	inUse := 0
	orders := make(map[uint32]bool)
	// checkEntry checks what holds for every pending entry, wherever it is:
	// where names the entry's place in messages.
	checkEntry := func(e entry, link int32, where string) error {
		if e.at < s.now {
			return fmt.Errorf("%s: pending entry at %v is before now %v", where, e.at, s.now)
		}
		if e.fn == nil {
			return fmt.Errorf("%s has no function", where)
		}
		if int(e.id.slot) >= len(s.seqs) {
			return fmt.Errorf("%s names slot %d of %d", where, e.id.slot, len(s.seqs))
		}
		if got := s.link[e.id.slot]; got != link {
			return fmt.Errorf("slot %d records position %d, entry is at %s", e.id.slot, got, where)
		}
		seq := s.seqs[e.id.slot]
		if seq == 0 {
			return fmt.Errorf("slot %d of a pending entry is free", e.id.slot)
		}
		if seq > s.lastSeq {
			return fmt.Errorf("slot %d has sequence %d beyond the last issued %d", e.id.slot, seq, s.lastSeq)
		}
		if e.id.order >= s.nextOrder {
			return fmt.Errorf("entry order %d is not below the next order %d", e.id.order, s.nextOrder)
		}
		if orders[e.id.order] {
			return fmt.Errorf("order %d appears twice", e.id.order)
		}
		orders[e.id.order] = true
		inUse++
		return nil
	}
	for p := rootPos; p < len(s.heap); p++ {
		e := s.heap[p]
		where := fmt.Sprintf("heap position %d", p)
		if p > rootPos && e.before(s.heap[parent(p)]) {
			return fmt.Errorf("%s runs before its parent %d", where, parent(p))
		}
		if grainOf(e.at) > s.base {
			return fmt.Errorf("%s is in grain %d, after the heap's grain %d", where, grainOf(e.at), s.base)
		}
		if err := checkEntry(e, int32(p), where); err != nil {
			return err
		}
	}
	w := &s.wheel
	inWheel := 0
	chunks := make(map[int32]string) // who holds each chunk
	holdChunk := func(c int32, holder string) error {
		if c < 0 || int(c) >= len(w.chain) {
			return fmt.Errorf("%s names chunk %d of %d", holder, c, len(w.chain))
		}
		if other, ok := chunks[c]; ok {
			return fmt.Errorf("chunk %d is held by %s and %s", c, other, holder)
		}
		chunks[c] = holder
		return nil
	}
	for level := range w.buckets {
		for digit, b := range w.buckets[level] {
			name := fmt.Sprintf("bucket %d/%d", level, digit)
			if occupied := w.occupied[level]&(1<<digit) != 0; occupied != (b.top != 0) {
				return fmt.Errorf("%s has first chunk %d, occupied bit is %v", name, b.top-1, occupied)
			}
			if b.top != 0 && (b.fill < 1 || b.fill > chunkLen) {
				return fmt.Errorf("%s fills %d of its first chunk", name, b.fill)
			}
			if b.top != 0 {
				c := b.top - 1
				if err := checkCleared(w.pool[c*chunkLen+b.fill:(c+1)*chunkLen], name+" past its last entry"); err != nil {
					return err
				}
			}
			for c, n := b.top-1, b.fill; c >= 0; c, n = w.chain[c]-1, chunkLen {
				if err := holdChunk(c, name); err != nil {
					return err
				}
				for i := c * chunkLen; i < c*chunkLen+n; i++ {
					e := w.pool[i]
					where := fmt.Sprintf("%s pool index %d", name, i)
					g := grainOf(e.at)
					if g <= s.base {
						return fmt.Errorf("%s is in grain %d, not after the heap's grain %d", where, g, s.base)
					}
					if l, d := bucketOf(g, s.base); int(l) != level || int(d) != digit {
						return fmt.Errorf("%s belongs in bucket %d/%d", where, l, d)
					}
					if err := checkEntry(e, ^i, where); err != nil {
						return err
					}
					inWheel++
				}
			}
		}
	}
	if inWheel != w.count {
		return fmt.Errorf("wheel holds %d entries, counts %d", inWheel, w.count)
	}
	if s.base > grainOf(s.now) {
		return fmt.Errorf("the heap's grain %d is ahead of the clock's %d", s.base, grainOf(s.now))
	}
	if w.earliestKnown {
		earliest := time.Duration(math.MaxInt64)
		w.each(func(i int32) { earliest = min(earliest, w.pool[i].at) })
		if w.earliestAt != earliest {
			return fmt.Errorf("wheel records its earliest event at %v, it is at %v", w.earliestAt, earliest)
		}
	}
	for link := w.free; link != 0; link = w.chain[link-1] {
		c := link - 1
		if err := holdChunk(c, "the free list"); err != nil {
			return err
		}
		if err := checkCleared(w.pool[c*chunkLen:(c+1)*chunkLen], "a free chunk"); err != nil {
			return err
		}
	}
	if len(chunks) != len(w.chain) || len(w.pool) != len(w.chain)*chunkLen {
		return fmt.Errorf("%d of %d chunks are in buckets or free, pool has %d entries", len(chunks), len(w.chain), len(w.pool))
	}
	free := 0
	for link := s.freeHead; link != 0; link = s.link[link-1] {
		i := link - 1
		if int(i) >= len(s.seqs) {
			return fmt.Errorf("free list names slot %d of %d", i, len(s.seqs))
		}
		if s.seqs[i] != 0 {
			return fmt.Errorf("free slot %d is in use", i)
		}
		free++
		if free > len(s.seqs) {
			return fmt.Errorf("free list has a cycle")
		}
	}
	if inUse+free != len(s.seqs) {
		return fmt.Errorf("%d slots in use and %d free, table has %d", inUse, free, len(s.seqs))
	}
	if len(s.link) != len(s.seqs) {
		return fmt.Errorf("link table has %d entries for %d slots", len(s.link), len(s.seqs))
	}
	if s.running {
		return fmt.Errorf("running flag left set")
	}
	return nil
}

// checkCleared reports an entry in entries that still refers to a
// function; what names them in the message.
func checkCleared(entries []entry, what string) error {
	for i, e := range entries {
		if e.fn != nil {
			return fmt.Errorf("%s: entry %d still refers to its function", what, i)
		}
	}
	return nil
}

// EntryBefore compares two entries both ways the heap does: with the
// branching comparison and with the branch-free one.
func EntryBefore(atA time.Duration, orderA uint32, atB time.Duration, orderB uint32) (before bool, earlierBit uint64) {
	a := entry{at: atA, id: eventID{order: orderA}}
	b := entry{at: atB, id: eventID{order: orderB}}
	return a.before(b), earlier(a, b)
}

// WheelChunks returns the number of chunks of wheel storage, which grows
// only when no freed chunk can be reused.
func WheelChunks(s *Scheduler) int { return len(s.wheel.chain) }

// HeapLen returns the number of events in the heap, the tier that orders
// events exactly.
func HeapLen(s *Scheduler) int { return max(len(s.heap)-rootPos, 0) }
