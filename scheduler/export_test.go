package scheduler

import (
	"fmt"
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
func Slots(s *Scheduler) int { return len(s.slots) }

// TimerSlot returns the slot a Timer refers to.
func TimerSlot(t Timer) int { return int(t.slot) }

// CheckInvariants verifies the internal structure of s: the heap order, the
// positions recorded for Cancel, the free list and the tie-break values.
func CheckInvariants(s *Scheduler) error {
	if s.heap != nil && len(s.heap) < rootPos {
		return fmt.Errorf("heap has %d entries, less than its padding", len(s.heap))
	}
	inUse := 0
	orders := make(map[uint32]bool)
	for p := rootPos; p < len(s.heap); p++ {
		e := s.heap[p]
		if p > rootPos && e.before(s.heap[parent(p)]) {
			return fmt.Errorf("heap position %d runs before its parent %d", p, parent(p))
		}
		if e.at < s.now {
			return fmt.Errorf("pending entry at %v is before now %v", e.at, s.now)
		}
		if int(e.slot) >= len(s.slots) {
			return fmt.Errorf("heap position %d names slot %d of %d", p, e.slot, len(s.slots))
		}
		if got := s.link[e.slot]; int(got) != p {
			return fmt.Errorf("slot %d records position %d, entry is at %d", e.slot, got, p)
		}
		sl := s.slots[e.slot]
		if sl.seq == 0 || sl.fn == nil {
			return fmt.Errorf("slot %d of a pending entry is free", e.slot)
		}
		if sl.seq > s.lastSeq {
			return fmt.Errorf("slot %d has sequence %d beyond the last issued %d", e.slot, sl.seq, s.lastSeq)
		}
		if e.order >= s.nextOrder {
			return fmt.Errorf("entry order %d is not below the next order %d", e.order, s.nextOrder)
		}
		if orders[e.order] {
			return fmt.Errorf("order %d appears twice", e.order)
		}
		orders[e.order] = true
		inUse++
	}
	free := 0
	for link := s.freeHead; link != 0; link = s.link[link-1] {
		i := link - 1
		if int(i) >= len(s.slots) {
			return fmt.Errorf("free list names slot %d of %d", i, len(s.slots))
		}
		if sl := s.slots[i]; sl.seq != 0 || sl.fn != nil {
			return fmt.Errorf("free slot %d is in use", i)
		}
		free++
		if free > len(s.slots) {
			return fmt.Errorf("free list has a cycle")
		}
	}
	if inUse+free != len(s.slots) {
		return fmt.Errorf("%d slots in use and %d free, table has %d", inUse, free, len(s.slots))
	}
	if len(s.link) != len(s.slots) {
		return fmt.Errorf("link table has %d entries for %d slots", len(s.link), len(s.slots))
	}
	if s.running {
		return fmt.Errorf("running flag left set")
	}
	return nil
}

// EntryBefore compares two entries both ways the heap does: with the
// branching comparison and with the branch-free one.
func EntryBefore(atA time.Duration, orderA uint32, atB time.Duration, orderB uint32) (before bool, earlierBit uint64) {
	a := entry{at: atA, order: orderA}
	b := entry{at: atB, order: orderB}
	return a.before(b), earlier(a, b)
}
