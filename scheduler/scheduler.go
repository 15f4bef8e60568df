package scheduler

import (
	"math"
	"time"
)

// Scheduler is a virtual clock and a queue of pending events. Create one
// with [New]; the zero Scheduler is equivalent. A Scheduler is not safe for
// concurrent use.
type Scheduler struct {
	now      time.Duration
	lastSeq  uint64 // sequence number of the most recently scheduled event
	executed uint64
	// nextOrder is the heap tie-break value the next event gets; see
	// eventID.order.
	nextOrder uint32
	// heap holds, in exact order, the pending events whose grain (a span
	// of about a microsecond; see wheel.go) is base or earlier, and wheel
	// the later ones.
	heap  []entry
	base  uint64
	wheel wheel
	// seqs[i] is the sequence number of the event in slot i, or 0 while the
	// slot is free. A Timer matches its slot only while seq agrees.
	seqs []uint64
	// link[i] is the position of slot i's entry while the slot is in use:
	// its heap position, or the complement of its index in the wheel's
	// storage. While the slot is free it is one more than the index of the
	// next free slot. It is kept apart from seqs because every move of an
	// entry writes it, and a dense array of int32 keeps those writes in
	// cache.
	link []int32
	// freeHead is one more than the index of the first free slot, so that
	// 0 means "no free slot" and a zero Scheduler needs no setup.
	freeHead int32
	// capacity, when not zero, replaces maxPending so tests can reach the
	// limit.
	capacity int
	// running is set while an event's function runs, to refuse nested runs.
	running bool
}

// maxPending is the most events that can be pending at once: slot numbers,
// heap positions and indexes into the wheel's storage are stored as int32.
const maxPending = math.MaxInt32 - max(rootPos, wheelSlack)

// New returns an empty scheduler whose clock reads 0.
func New() *Scheduler {
	return &Scheduler{}
}

// Now returns the current virtual time. While an event runs it is that
// event's time.
func (s *Scheduler) Now() time.Duration { return s.now }

// Len returns the number of pending events.
func (s *Scheduler) Len() int { return s.pending() }

// Executed returns the number of events run so far, counting the one
// currently running.
func (s *Scheduler) Executed() uint64 { return s.executed }

// Next returns the time of the next pending event, or false if none is
// pending.
func (s *Scheduler) Next() (time.Duration, bool) {
	switch {
	case len(s.heap) > rootPos:
		return s.heap[rootPos].at, true
	case s.wheel.count > 0:
		return s.wheel.earliest(), true
	}
	return 0, false
}

// At schedules fn(arg) to run at time t and returns a handle for it. An event
// scheduled at Now runs after every event already pending at Now.
//
// It returns a [*PastError] wrapping [ErrPast] if t is before Now, a
// [*NilFuncError] wrapping [ErrNilFunc] if fn is nil and a [*FullError]
// wrapping [ErrFull] if the scheduler cannot hold another event; nothing is
// scheduled then.
func (s *Scheduler) At(t time.Duration, fn Func, arg uint64) (Timer, error) {
	if t < s.now {
		return Timer{}, &PastError{Op: "At", At: t, Now: s.now}
	}
	if fn == nil {
		return Timer{}, &NilFuncError{Op: "At", At: t, Arg: arg}
	}
	return s.schedule("At", t, fn, arg)
}

// After schedules fn(arg) to run d after Now and returns a handle for it.
// After(0, …) runs after every event already pending at Now.
//
// It returns a [*PastError] wrapping [ErrPast] if d is negative, an
// [*OverflowError] wrapping [ErrOverflow] if Now+d does not fit in a
// time.Duration, a [*NilFuncError] wrapping [ErrNilFunc] if fn is nil and a
// [*FullError] wrapping [ErrFull] if the scheduler cannot hold another
// event; nothing is scheduled then.
func (s *Scheduler) After(d time.Duration, fn Func, arg uint64) (Timer, error) {
	if d < 0 {
		// Now is never negative, so Now+d cannot overflow here.
		return Timer{}, &PastError{Op: "After", At: s.now + d, Now: s.now}
	}
	at := s.now + d
	if at < s.now {
		return Timer{}, &OverflowError{Now: s.now, Delay: d}
	}
	if fn == nil {
		return Timer{}, &NilFuncError{Op: "After", At: at, Arg: arg}
	}
	return s.schedule("After", at, fn, arg)
}

func (s *Scheduler) schedule(op string, at time.Duration, fn Func, arg uint64) (Timer, error) {
	var i int32
	if s.freeHead != 0 {
		i = s.freeHead - 1
		s.freeHead = s.link[i]
	} else {
		limit := maxPending
		if s.capacity != 0 {
			limit = s.capacity
		}
		if len(s.seqs) >= limit {
			return Timer{}, &FullError{Op: op, At: at, Pending: s.pending()}
		}
		i = int32(len(s.seqs))
		s.seqs = append(s.seqs, 0)
		s.link = append(s.link, 0)
	}
	if s.nextOrder == math.MaxUint32 {
		s.renumber()
	}
	s.lastSeq++
	s.seqs[i] = s.lastSeq
	s.file(entry{at: at, id: eventID{order: s.nextOrder, slot: uint32(i)}, fn: fn, arg: arg})
	s.nextOrder++
	return Timer{owner: s, seq: s.lastSeq, slot: i}, nil
}

// release returns slot i to the free list.
func (s *Scheduler) release(i int32) {
	s.seqs[i] = 0
	s.link[i] = s.freeHead
	s.freeHead = i + 1
}

// Pending reports whether t's event is scheduled and has neither run nor
// been cancelled. While an event runs, its own Timer is no longer pending.
func (s *Scheduler) Pending(t Timer) bool {
	return t.owner == s && t.seq != 0 && s.seqs[t.slot] == t.seq
}

// Cancel removes t's event from the queue so that it never runs. It reports
// whether the event was pending; cancelling the zero Timer, an event that has
// already run or been cancelled, or a Timer from another Scheduler returns
// false and changes nothing.
func (s *Scheduler) Cancel(t Timer) bool {
	if !s.Pending(t) {
		return false
	}
	if p := s.link[t.slot]; p >= 0 {
		s.remove(int(p))
	} else {
		s.unfile(^p)
	}
	s.release(t.slot)
	return true
}

// Step runs the earliest pending event, first setting Now to its time. It
// returns false, running nothing, if no event is pending or if it is called
// from inside a running event.
func (s *Scheduler) Step() bool {
	if s.running || s.pending() == 0 {
		return false
	}
	s.runNext()
	return true
}

// RunUntil runs, in order, every event whose time is at or before t,
// including events those events schedule at or before t, and then sets Now
// to t.
//
// It returns a [*PastError] wrapping [ErrPast] if t is before Now and a
// [*ReentrantError] wrapping [ErrReentrant] if called from inside a running
// event; nothing runs and the clock does not move then.
func (s *Scheduler) RunUntil(t time.Duration) error {
	if s.running {
		return &ReentrantError{Op: "RunUntil", Now: s.now}
	}
	if t < s.now {
		return &PastError{Op: "RunUntil", At: t, Now: s.now}
	}
	for {
		if next, ok := s.Next(); !ok || next > t {
			break
		}
		s.runNext()
	}
	s.now = t
	return nil
}

// Run runs events in order until none is pending and returns how many it
// ran. Now is left at the time of the last event run.
//
// limit caps the number of events this call runs, so a model that schedules
// events forever is reported rather than looped on. If events are still
// pending after limit events have run, Run stops and returns limit and a
// [*LimitError] wrapping [ErrEventLimit]; the events already run stay run.
// A limit that is zero or negative returns a [*LimitError] wrapping
// [ErrBadLimit], and a call from inside a running event returns a
// [*ReentrantError] wrapping [ErrReentrant]; nothing runs then.
func (s *Scheduler) Run(limit int) (int, error) {
	if s.running {
		return 0, &ReentrantError{Op: "Run", Now: s.now}
	}
	if limit <= 0 {
		return 0, &LimitError{Limit: limit, Pending: s.pending(), Now: s.now, Err: ErrBadLimit}
	}
	ran := 0
	for s.pending() > 0 {
		if ran == limit {
			return ran, &LimitError{Limit: limit, Pending: s.pending(), Now: s.now, Err: ErrEventLimit}
		}
		s.runNext()
		ran++
	}
	return ran, nil
}

// runNext removes the earliest event and runs it; at least one event must
// be pending. The event leaves the queue and frees its slot before its
// function is called, so the function sees its own Timer as no longer
// pending and may reuse the slot for new events.
func (s *Scheduler) runNext() {
	s.refill()
	e := s.popMin()
	s.release(int32(e.id.slot))
	s.now = e.at
	s.executed++
	s.running = true
	defer s.finishEvent()
	e.fn(e.arg)
}

// finishEvent runs deferred so that a panicking event does not leave the
// scheduler refusing every later run.
func (s *Scheduler) finishEvent() { s.running = false }
