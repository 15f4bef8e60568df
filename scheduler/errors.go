package scheduler

import (
	"errors"
	"strconv"
	"time"
)

// Sentinel errors. Each is wrapped in a typed error that names the bad input;
// compare with [errors.Is].
var (
	// ErrPast reports a time before Now: an event scheduled in the past or a
	// RunUntil target the clock has already passed.
	ErrPast = errors.New("scheduler: time is before now")
	// ErrNilFunc reports an event scheduled without a function to run.
	ErrNilFunc = errors.New("scheduler: nil event function")
	// ErrOverflow reports a delay so long that Now plus the delay does not
	// fit in a time.Duration.
	ErrOverflow = errors.New("scheduler: time overflows time.Duration")
	// ErrBadLimit reports a Run limit that is zero or negative.
	ErrBadLimit = errors.New("scheduler: event limit is not positive")
	// ErrEventLimit reports that Run ran as many events as its limit allows
	// while events were still pending.
	ErrEventLimit = errors.New("scheduler: event limit reached")
	// ErrFull reports an event scheduled while the scheduler already holds
	// as many pending events as it can (just over two billion).
	ErrFull = errors.New("scheduler: too many pending events")
	// ErrReentrant reports an attempt to run events from inside a running
	// event.
	ErrReentrant = errors.New("scheduler: events run from inside an event")
)

// PastError is returned when a call names a time before Now. It wraps
// [ErrPast].
type PastError struct {
	// Op is the method that was called: "At", "After" or "RunUntil".
	Op string
	// At is the requested time; for After it is Now plus the negative delay.
	At time.Duration
	// Now is the scheduler's time when the call was made.
	Now time.Duration
}

// Error names the requested time and the current time.
func (e *PastError) Error() string {
	return "scheduler: " + e.Op + ": time " + e.At.String() + " is before now " + e.Now.String()
}

// Unwrap returns [ErrPast].
func (e *PastError) Unwrap() error { return ErrPast }

// NilFuncError is returned when an event is scheduled with a nil [Func]. It
// wraps [ErrNilFunc].
type NilFuncError struct {
	// Op is the method that was called: "At" or "After".
	Op string
	// At is the time the event would have run at.
	At time.Duration
	// Arg is the argument the event would have been given.
	Arg uint64
}

// Error names the event that was rejected.
func (e *NilFuncError) Error() string {
	return "scheduler: " + e.Op + ": event at " + e.At.String() +
		" with arg " + strconv.FormatUint(e.Arg, 10) + " has a nil function"
}

// Unwrap returns [ErrNilFunc].
func (e *NilFuncError) Unwrap() error { return ErrNilFunc }

// OverflowError is returned by After when Now plus the delay is larger than
// the largest time.Duration. It wraps [ErrOverflow].
type OverflowError struct {
	// Now is the scheduler's time when the call was made.
	Now time.Duration
	// Delay is the requested delay.
	Delay time.Duration
}

// Error names the delay that overflowed.
func (e *OverflowError) Error() string {
	return "scheduler: After: now " + e.Now.String() + " plus delay " + e.Delay.String() +
		" overflows time.Duration"
}

// Unwrap returns [ErrOverflow].
func (e *OverflowError) Unwrap() error { return ErrOverflow }

// LimitError is returned by Run. It wraps [ErrBadLimit] when the limit is not
// positive and [ErrEventLimit] when the limit was reached with events still
// pending.
type LimitError struct {
	// Limit is the limit passed to Run.
	Limit int
	// Pending is the number of events still pending when Run returned.
	Pending int
	// Now is the scheduler's time when Run returned.
	Now time.Duration
	// Err is ErrBadLimit or ErrEventLimit.
	Err error
}

// Error names the limit and what was left pending.
func (e *LimitError) Error() string {
	if e.Err == ErrBadLimit {
		return "scheduler: Run: limit " + strconv.Itoa(e.Limit) + " is not positive"
	}
	return "scheduler: Run: ran " + strconv.Itoa(e.Limit) + " events (the limit) with " +
		strconv.Itoa(e.Pending) + " still pending at " + e.Now.String()
}

// Unwrap returns Err.
func (e *LimitError) Unwrap() error { return e.Err }

// ReentrantError is returned when Run or RunUntil is called from inside a
// running event. It wraps [ErrReentrant].
type ReentrantError struct {
	// Op is the method that was called: "Run" or "RunUntil".
	Op string
	// Now is the time of the event that made the call.
	Now time.Duration
}

// Error names the call that was refused.
func (e *ReentrantError) Error() string {
	return "scheduler: " + e.Op + " called from inside the event running at " + e.Now.String()
}

// Unwrap returns [ErrReentrant].
func (e *ReentrantError) Unwrap() error { return ErrReentrant }

// FullError is returned when an event is scheduled while the most events
// the scheduler can hold are already pending. It wraps [ErrFull].
type FullError struct {
	// Op is the method that was called: "At" or "After".
	Op string
	// At is the time the event would have run at.
	At time.Duration
	// Pending is the number of events already pending.
	Pending int
}

// Error names the event that was refused.
func (e *FullError) Error() string {
	return "scheduler: " + e.Op + ": cannot schedule an event at " + e.At.String() + " with " +
		strconv.Itoa(e.Pending) + " events already pending"
}

// Unwrap returns [ErrFull].
func (e *FullError) Unwrap() error { return ErrFull }
