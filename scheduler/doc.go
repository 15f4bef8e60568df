// Package scheduler is trunksim's discrete-event scheduler: a virtual clock
// and a queue of events ordered by time. It is the only thing that moves time
// in the simulator; every other component reads [Scheduler.Now] or is handed
// the time as an argument.
//
// # Time
//
// Virtual time is a [time.Duration] measured from the start of the
// simulation, so [Scheduler.Now] starts at 0. Time moves only when the
// scheduler runs an event ([Scheduler.Step], [Scheduler.Run]) or is told to
// advance ([Scheduler.RunUntil]). The clock never goes backwards. Nothing in
// the package sleeps, reads the wall clock or draws random numbers, so the
// same calls in the same order always produce the same run.
//
// # Ordering
//
// Events run in order of their time. Events with equal times run first in,
// first out: each event gets a sequence number when it is scheduled, and the
// queue is ordered by (time, sequence number). Before an event's function is
// called, Now is set to the event's time, so each event observes its own
// time, never a later one. [Scheduler.RunUntil] runs due events one at a
// time in that order and only then sets the clock to its target; it never
// stamps several events with the target time.
//
// Events may schedule and cancel other events while they run, including
// events at the current time. Those are queued behind every event already
// pending at that time, because their sequence numbers are larger.
//
// # Events
//
// An event is a [Func] plus a uint64 argument. Callers keep one Func value
// per kind of event and pass an index (a node number, a slot in a table) as
// the argument, so scheduling an event never allocates a closure.
//
// # Timers
//
// Scheduling returns a [Timer], a small comparable handle that identifies one
// scheduled event. [Scheduler.Cancel] and [Scheduler.Pending] accept any
// Timer: the zero Timer, a Timer whose event already ran or was cancelled,
// and a Timer issued by a different Scheduler all report false and change
// nothing. A handle is never confused with a later event that reuses its
// storage, because each event's sequence number is part of its handle.
//
// # Scheduling in the past is an error
//
// [Scheduler.At] with a time before Now, [Scheduler.After] with a negative
// delay and [Scheduler.RunUntil] with a target before Now return a
// [*PastError] wrapping [ErrPast] and change nothing. The scheduler could
// instead move such an event to Now, but a model that computes a time in the
// past has a bug in its arithmetic or its state; silently moving the event
// would hide that bug, reorder causes after their effects and make the trace
// claim the event happened at a time the model never asked for.
//
// # Runaway models
//
// [Scheduler.Run] takes a mandatory limit on the number of events it runs.
// A model that keeps scheduling events forever is reported with an error
// wrapping [ErrEventLimit] instead of looping forever. A limit that is not
// positive is rejected with [ErrBadLimit] rather than replaced by a default.
//
// # Errors
//
// Every error wraps one of the exported sentinels ([ErrPast], [ErrNilFunc],
// [ErrOverflow], [ErrFull], [ErrBadLimit], [ErrEventLimit], [ErrReentrant]),
// so callers can use [errors.Is], and is a typed error that records the
// inputs, so callers can use [errors.As]. A call that returns an error leaves the
// scheduler exactly as it was, except [Scheduler.Run] reaching its limit,
// which keeps the events it has already run.
//
// # Re-entrancy
//
// An event's function may call [Scheduler.Now], [Scheduler.At],
// [Scheduler.After], [Scheduler.Cancel], [Scheduler.Pending],
// [Scheduler.Len], [Scheduler.Next] and [Scheduler.Executed]. It must not
// run other events: [Scheduler.Run] and [Scheduler.RunUntil] called from
// inside an event return an error wrapping [ErrReentrant], and
// [Scheduler.Step] returns false, all without running anything. A nested run
// could move the clock past the target of the run that called the event.
//
// If an event's function panics, the panic reaches the caller of Step, Run
// or RunUntil. The event counts as run and the scheduler remains usable.
//
// A Scheduler is not safe for concurrent use; the simulator drives it from
// one goroutine.
//
// # Cost
//
// Pending events live in two tiers. Those due within the current grain, a
// span of about a microsecond, are in a small 4-ary heap ordered exactly by
// (time, sequence number). Later ones wait in a hierarchical timing wheel
// of nine levels of 64 buckets, which files an event by the first 6-bit
// digit of its grain number that differs from the current grain's, without
// comparing it to other events. When the heap runs dry, the earliest bucket
// is emptied into the heap and finer levels, so an event filed on level L
// moves at most L+1 times, the last into the heap: a delay of 100 ms is
// filed on level 2, one of a minute on level 4. The wheel moves events by
// sequential scans, so its cost barely grows with the number pending, where
// a heap of a hundred thousand events would wait on memory at every level
// of a sift. The order of events does not depend on how they are stored: it
// is always exactly (time, sequence number).
//
// Scheduling and running an event cost O(1) per wheel level plus O(log k)
// for a heap of the k events in one grain; cancelling costs O(1) in the
// wheel and O(log k) in the heap. Slots tie Timers to events and are
// recycled through a free list, and the wheel's storage is a pool of
// fixed-size chunks shared by its buckets, so nothing allocates once the
// queue has grown to the model's working size, and memory follows the
// most events pending at once.
//
// # Usage
//
//	s := scheduler.New()
//	fire := func(node uint64) { fmt.Println(s.Now(), "node", node) }
//	s.After(2*time.Second, fire, 7)
//	s.At(time.Second, fire, 3)
//	if _, err := s.Run(1000); err != nil {
//		// the model scheduled more than 1000 events
//	}
package scheduler
