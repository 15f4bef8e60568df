package scheduler

import "strconv"

// Func is the function an event runs. arg is the value passed to
// [Scheduler.At] or [Scheduler.After]; it lets one Func serve many events
// without a closure per event.
type Func func(arg uint64)

// Timer identifies one scheduled event. It is a small comparable value: use
// it with == or as a map key. The zero Timer identifies no event.
//
// A Timer stays valid as a handle after its event runs or is cancelled;
// [Scheduler.Pending] then reports false and [Scheduler.Cancel] does
// nothing.
type Timer struct {
	// owner is the scheduler that issued the Timer, so a Timer from another
	// scheduler with the same slot and sequence number matches nothing.
	owner *Scheduler
	// seq is the event's sequence number. Sequence numbers start at 1 and
	// are never reused, which makes seq the generation check for slot reuse.
	seq  uint64
	slot int32
}

// IsZero reports whether t is the zero Timer, which no scheduling call
// returns.
func (t Timer) IsZero() bool { return t == Timer{} }

// String returns "timer N (slot S)", where N is the event's sequence number
// (its position in scheduling order, starting at 1) and S the slot holding
// it, or "invalid Timer" for the zero Timer.
func (t Timer) String() string {
	if t.IsZero() {
		return "invalid Timer"
	}
	return "timer " + strconv.FormatUint(t.seq, 10) + " (slot " + strconv.Itoa(int(t.slot)) + ")"
}
