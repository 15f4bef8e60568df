package scheduler_test

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/scheduler"
)

// firing is one event run, as seen by the event itself.
type firing struct {
	Name string
	At   time.Duration
}

// recorder schedules named events that log their name and the time they ran
// at. The event's argument indexes names, the way simulator code passes an
// index instead of allocating a closure per event.
type recorder struct {
	t     testing.TB
	s     *scheduler.Scheduler
	names []string
	log   []firing
	// then holds, per event index, work to do after logging.
	then map[uint64]func()
}

func newRecorder(t testing.TB) *recorder {
	return &recorder{t: t, s: scheduler.New(), then: map[uint64]func(){}}
}

func (r *recorder) fire(arg uint64) {
	r.log = append(r.log, firing{Name: r.names[arg], At: r.s.Now()})
	if f := r.then[arg]; f != nil {
		f()
	}
}

func (r *recorder) index(name string, then func()) uint64 {
	r.names = append(r.names, name)
	arg := uint64(len(r.names) - 1)
	if then != nil {
		r.then[arg] = then
	}
	return arg
}

// at schedules name at time at; then, if not nil, runs inside the event.
func (r *recorder) at(at time.Duration, name string, then func()) scheduler.Timer {
	r.t.Helper()
	tm, err := r.s.At(at, r.fire, r.index(name, then))
	require.NoError(r.t, err)
	return tm
}

// after schedules name d after Now; then, if not nil, runs inside the event.
func (r *recorder) after(d time.Duration, name string, then func()) scheduler.Timer {
	r.t.Helper()
	tm, err := r.s.After(d, r.fire, r.index(name, then))
	require.NoError(r.t, err)
	return tm
}

func (r *recorder) ran() []string {
	names := make([]string, len(r.log))
	for i, f := range r.log {
		names[i] = f.Name
	}
	return names
}

func (r *recorder) runAll() {
	r.t.Helper()
	_, err := r.s.Run(10_000)
	require.NoError(r.t, err)
	require.NoError(r.t, scheduler.CheckInvariants(r.s))
}

func nop(uint64) {}

// snapshot is the observable state of a scheduler, compared before and after
// a failing call to show that the call changed nothing.
type snapshot struct {
	Now      time.Duration
	Len      int
	Next     time.Duration
	HasNext  bool
	Executed uint64
}

func snap(s *scheduler.Scheduler) snapshot {
	next, ok := s.Next()
	return snapshot{Now: s.Now(), Len: s.Len(), Next: next, HasNext: ok, Executed: s.Executed()}
}

func TestNewSchedulerIsEmptyAtTimeZero(t *testing.T) {
	for name, s := range map[string]*scheduler.Scheduler{"New": scheduler.New(), "zero value": {}} {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, snapshot{}, snap(s))
			assert.False(t, s.Step(), "Step on an empty scheduler")
			assert.Equal(t, snapshot{}, snap(s), "Step on an empty scheduler changed it")
			tm, err := s.After(time.Second, nop, 0)
			require.NoError(t, err)
			assert.True(t, s.Pending(tm))
			assert.True(t, s.Step())
			assert.Equal(t, time.Second, s.Now())
			require.NoError(t, scheduler.CheckInvariants(s))
		})
	}
}

func TestSchedulingInThePastIsAnError(t *testing.T) {
	const now = 5 * time.Second
	tests := []struct {
		name    string
		call    func(s *scheduler.Scheduler) error
		wantErr scheduler.PastError
	}{
		{
			name: "At before now",
			call: func(s *scheduler.Scheduler) error {
				_, err := s.At(now-time.Nanosecond, nop, 0)
				return err
			},
			wantErr: scheduler.PastError{Op: "At", At: now - time.Nanosecond, Now: now},
		},
		{
			name: "At zero after time has moved",
			call: func(s *scheduler.Scheduler) error {
				_, err := s.At(0, nop, 0)
				return err
			},
			wantErr: scheduler.PastError{Op: "At", At: 0, Now: now},
		},
		{
			name: "After with a negative delay",
			call: func(s *scheduler.Scheduler) error {
				_, err := s.After(-time.Millisecond, nop, 0)
				return err
			},
			wantErr: scheduler.PastError{Op: "After", At: now - time.Millisecond, Now: now},
		},
		{
			name: "After with the most negative delay",
			call: func(s *scheduler.Scheduler) error {
				_, err := s.After(math.MinInt64, nop, 0)
				return err
			},
			wantErr: scheduler.PastError{Op: "After", At: now + math.MinInt64, Now: now},
		},
		{
			name: "RunUntil before now",
			call: func(s *scheduler.Scheduler) error {
				return s.RunUntil(now - time.Second)
			},
			wantErr: scheduler.PastError{Op: "RunUntil", At: now - time.Second, Now: now},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := scheduler.New()
			require.NoError(t, s.RunUntil(now))
			_, err := s.At(now+time.Second, nop, 0)
			require.NoError(t, err)
			before := snap(s)

			err = tt.call(s)

			require.ErrorIs(t, err, scheduler.ErrPast)
			var past *scheduler.PastError
			require.ErrorAs(t, err, &past)
			assert.Equal(t, tt.wantErr, *past)
			assert.Contains(t, err.Error(), tt.wantErr.Op)
			assert.Contains(t, err.Error(), tt.wantErr.At.String())
			assert.Equal(t, before, snap(s), "a failed call changed the scheduler")
			require.NoError(t, scheduler.CheckInvariants(s))
		})
	}
}

func TestSchedulingAtNowIsAllowed(t *testing.T) {
	r := newRecorder(t)
	require.NoError(t, r.s.RunUntil(3*time.Second))
	r.at(3*time.Second, "at now", nil)
	r.after(0, "after zero", nil)
	r.runAll()
	assert.Equal(t, []firing{{"at now", 3 * time.Second}, {"after zero", 3 * time.Second}}, r.log)
}

func TestBadEventsAreRejected(t *testing.T) {
	tests := []struct {
		name     string
		setup    time.Duration
		call     func(s *scheduler.Scheduler) (scheduler.Timer, error)
		sentinel error
		check    func(t *testing.T, err error)
	}{
		{
			name:     "At with nil func",
			call:     func(s *scheduler.Scheduler) (scheduler.Timer, error) { return s.At(2*time.Second, nil, 7) },
			sentinel: scheduler.ErrNilFunc,
			check: func(t *testing.T, err error) {
				var e *scheduler.NilFuncError
				require.ErrorAs(t, err, &e)
				assert.Equal(t, scheduler.NilFuncError{Op: "At", At: 2 * time.Second, Arg: 7}, *e)
			},
		},
		{
			name:     "After with nil func",
			setup:    time.Second,
			call:     func(s *scheduler.Scheduler) (scheduler.Timer, error) { return s.After(time.Second, nil, 9) },
			sentinel: scheduler.ErrNilFunc,
			check: func(t *testing.T, err error) {
				var e *scheduler.NilFuncError
				require.ErrorAs(t, err, &e)
				assert.Equal(t, scheduler.NilFuncError{Op: "After", At: 2 * time.Second, Arg: 9}, *e)
			},
		},
		{
			name:     "After past the largest time",
			setup:    time.Second,
			call:     func(s *scheduler.Scheduler) (scheduler.Timer, error) { return s.After(math.MaxInt64, nop, 0) },
			sentinel: scheduler.ErrOverflow,
			check: func(t *testing.T, err error) {
				var e *scheduler.OverflowError
				require.ErrorAs(t, err, &e)
				assert.Equal(t, scheduler.OverflowError{Now: time.Second, Delay: math.MaxInt64}, *e)
			},
		},
		{
			name:     "After one past the largest time",
			setup:    time.Nanosecond,
			call:     func(s *scheduler.Scheduler) (scheduler.Timer, error) { return s.After(math.MaxInt64, nop, 0) },
			sentinel: scheduler.ErrOverflow,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := scheduler.New()
			require.NoError(t, s.RunUntil(tt.setup))
			before := snap(s)

			tm, err := tt.call(s)

			require.ErrorIs(t, err, tt.sentinel)
			assert.True(t, tm.IsZero(), "a failed call returned a Timer")
			assert.Equal(t, before, snap(s), "a failed call changed the scheduler")
			if tt.check != nil {
				tt.check(t, err)
			}
		})
	}
}

func TestLargestTimeCanBeScheduled(t *testing.T) {
	r := newRecorder(t)
	require.NoError(t, r.s.RunUntil(time.Second))
	r.at(math.MaxInt64, "at", nil)
	r.after(math.MaxInt64-time.Second, "after", nil)
	r.runAll()
	assert.Equal(t, []firing{{"at", math.MaxInt64}, {"after", math.MaxInt64}}, r.log)
}

func TestEqualTimesRunFirstInFirstOut(t *testing.T) {
	type sched struct {
		name string
		at   time.Duration
	}
	tests := []struct {
		name   string
		events []sched
		want   []string
	}{
		{
			name:   "all at one time",
			events: []sched{{"a", time.Second}, {"b", time.Second}, {"c", time.Second}, {"d", time.Second}},
			want:   []string{"a", "b", "c", "d"},
		},
		{
			name:   "ties among other times",
			events: []sched{{"a", 2 * time.Second}, {"b", time.Second}, {"c", 2 * time.Second}, {"d", 0}, {"e", time.Second}},
			want:   []string{"d", "b", "e", "a", "c"},
		},
		{
			name: "more ties than a heap node has children",
			events: []sched{
				{"1", 5}, {"2", 5}, {"3", 5}, {"4", 5}, {"5", 5}, {"6", 5}, {"7", 5}, {"8", 5},
				{"9", 5}, {"10", 5}, {"11", 5}, {"12", 5}, {"13", 5}, {"14", 5}, {"15", 5}, {"16", 5},
				{"17", 5}, {"18", 5}, {"19", 5}, {"20", 5}, {"21", 5},
			},
			want: []string{
				"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16",
				"17", "18", "19", "20", "21",
			},
		},
		{
			name:   "ties scheduled in reverse time order",
			events: []sched{{"late1", 3}, {"early1", 1}, {"late2", 3}, {"early2", 1}, {"mid", 2}, {"late3", 3}},
			want:   []string{"early1", "early2", "mid", "late1", "late2", "late3"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRecorder(t)
			for _, e := range tt.events {
				r.at(e.at, e.name, nil)
			}
			r.runAll()
			assert.Equal(t, tt.want, r.ran())
		})
	}
}

func TestEventsScheduledAtNowRunAfterQueuedEventsOfThatTime(t *testing.T) {
	r := newRecorder(t)
	r.at(time.Second, "first", func() {
		r.after(0, "spawned by first", func() {
			r.after(0, "spawned by spawned", nil)
		})
		r.at(time.Second, "also spawned by first", nil)
	})
	r.at(time.Second, "second", nil)
	r.at(time.Second, "third", nil)
	r.at(2*time.Second, "later", nil)
	r.runAll()
	assert.Equal(t, []string{
		"first", "second", "third", "spawned by first", "also spawned by first", "spawned by spawned", "later",
	}, r.ran())
	for _, f := range r.log[:6] {
		assert.Equal(t, time.Second, f.At, f.Name)
	}
}

func TestNowIsTheEventTimeWhileItRuns(t *testing.T) {
	r := newRecorder(t)
	for _, at := range []time.Duration{7, 3 * time.Millisecond, time.Hour, 0, 3 * time.Millisecond} {
		r.at(at, at.String(), nil)
	}
	r.runAll()
	assert.Equal(t, []firing{
		{"0s", 0}, {"7ns", 7}, {"3ms", 3 * time.Millisecond}, {"3ms", 3 * time.Millisecond}, {"1h0m0s", time.Hour},
	}, r.log)
	assert.Equal(t, time.Hour, r.s.Now(), "Run leaves Now at the last event")
}

func TestRunUntilIncludesItsBoundaryAndEndsExactlyThere(t *testing.T) {
	tests := []struct {
		name     string
		events   []time.Duration
		until    time.Duration
		wantRan  int
		wantLen  int
		wantNext time.Duration
	}{
		{name: "no events", until: 3 * time.Second},
		{name: "event exactly at the boundary", events: []time.Duration{time.Second, 2 * time.Second}, until: 2 * time.Second, wantRan: 2},
		{name: "event one nanosecond past", events: []time.Duration{2*time.Second + 1}, until: 2 * time.Second, wantLen: 1, wantNext: 2*time.Second + 1},
		{name: "some before, some at, some after", events: []time.Duration{0, time.Second, 2 * time.Second, 2 * time.Second, 3 * time.Second}, until: 2 * time.Second, wantRan: 4, wantLen: 1, wantNext: 3 * time.Second},
		{name: "target equal to now", events: []time.Duration{0, 0, time.Second}, until: 0, wantRan: 2, wantLen: 1, wantNext: time.Second},
		{name: "clock ends past the last event", events: []time.Duration{time.Millisecond}, until: time.Minute, wantRan: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRecorder(t)
			for _, at := range tt.events {
				r.at(at, at.String(), nil)
			}
			require.NoError(t, r.s.RunUntil(tt.until))
			assert.Equal(t, tt.until, r.s.Now(), "Now after RunUntil")
			assert.Len(t, r.log, tt.wantRan)
			assert.Equal(t, uint64(tt.wantRan), r.s.Executed())
			assert.Equal(t, tt.wantLen, r.s.Len())
			next, ok := r.s.Next()
			assert.Equal(t, tt.wantLen > 0, ok)
			assert.Equal(t, tt.wantNext, next)
			for _, f := range r.log {
				assert.LessOrEqual(t, f.At, tt.until, "event %s ran past the target", f.Name)
			}
			require.NoError(t, scheduler.CheckInvariants(r.s))
		})
	}
}

func TestRunUntilRunsEventsScheduledDuringTheRun(t *testing.T) {
	r := newRecorder(t)
	r.at(time.Second, "parent", func() {
		r.after(time.Second, "child at the boundary", func() {
			r.after(0, "grandchild at the boundary", nil)
			r.after(time.Nanosecond, "grandchild past the boundary", nil)
		})
		r.after(2*time.Second, "child past the boundary", nil)
	})
	require.NoError(t, r.s.RunUntil(2*time.Second))
	assert.Equal(t, []string{"parent", "child at the boundary", "grandchild at the boundary"}, r.ran())
	assert.Equal(t, 2*time.Second, r.s.Now())
	assert.Equal(t, 2, r.s.Len())
	next, ok := r.s.Next()
	assert.True(t, ok)
	assert.Equal(t, 2*time.Second+time.Nanosecond, next)
}

func TestRunUntilStampsEachEventWithItsOwnTime(t *testing.T) {
	r := newRecorder(t)
	r.at(3*time.Second, "c", nil)
	r.at(time.Second, "a", nil)
	r.at(2*time.Second, "b", nil)
	require.NoError(t, r.s.RunUntil(10*time.Second))
	assert.Equal(t, []firing{{"a", time.Second}, {"b", 2 * time.Second}, {"c", 3 * time.Second}}, r.log)
	assert.Equal(t, 10*time.Second, r.s.Now())
}

func TestRunStopsAtItsLimit(t *testing.T) {
	tests := []struct {
		name        string
		events      int
		runaway     bool
		limit       int
		wantRan     int
		wantErr     error
		wantPending int
	}{
		{name: "zero limit", events: 3, limit: 0, wantErr: scheduler.ErrBadLimit, wantPending: 3},
		{name: "negative limit", events: 3, limit: -5, wantErr: scheduler.ErrBadLimit, wantPending: 3},
		{name: "limit equal to the events", events: 5, limit: 5, wantRan: 5},
		{name: "limit above the events", events: 5, limit: 100, wantRan: 5},
		{name: "limit one short", events: 5, limit: 4, wantRan: 4, wantErr: scheduler.ErrEventLimit, wantPending: 1},
		{name: "nothing to run", events: 0, limit: 1},
		{name: "runaway model", runaway: true, limit: 1000, wantRan: 1000, wantErr: scheduler.ErrEventLimit, wantPending: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := scheduler.New()
			for i := range tt.events {
				_, err := s.At(time.Duration(i)*time.Second, nop, 0)
				require.NoError(t, err)
			}
			if tt.runaway {
				var again scheduler.Func
				again = func(uint64) {
					_, err := s.After(time.Millisecond, again, 0)
					require.NoError(t, err)
				}
				_, err := s.After(0, again, 0)
				require.NoError(t, err)
			}
			before := snap(s)

			ran, err := s.Run(tt.limit)

			assert.Equal(t, tt.wantRan, ran)
			assert.Equal(t, uint64(tt.wantRan), s.Executed())
			assert.Equal(t, tt.wantPending, s.Len())
			if tt.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
			var limitErr *scheduler.LimitError
			require.ErrorAs(t, err, &limitErr)
			assert.Equal(t, scheduler.LimitError{Limit: tt.limit, Pending: tt.wantPending, Now: s.Now(), Err: tt.wantErr}, *limitErr)
			if tt.wantErr == scheduler.ErrBadLimit {
				assert.Equal(t, before, snap(s), "a rejected Run changed the scheduler")
				assert.NotErrorIs(t, err, scheduler.ErrEventLimit)
			} else {
				assert.NotErrorIs(t, err, scheduler.ErrBadLimit)
			}
			require.NoError(t, scheduler.CheckInvariants(s))
		})
	}
}

func TestRunLimitCountsEachCallSeparately(t *testing.T) {
	s := scheduler.New()
	for i := range 7 {
		_, err := s.At(time.Duration(i), nop, 0)
		require.NoError(t, err)
	}
	ran, err := s.Run(3)
	assert.Equal(t, 3, ran)
	require.ErrorIs(t, err, scheduler.ErrEventLimit)
	ran, err = s.Run(3)
	assert.Equal(t, 3, ran)
	require.ErrorIs(t, err, scheduler.ErrEventLimit)
	ran, err = s.Run(3)
	assert.Equal(t, 1, ran)
	require.NoError(t, err)
	assert.Equal(t, uint64(7), s.Executed())
}

func TestCancelBeforeRun(t *testing.T) {
	tests := []struct {
		name   string
		cancel []string
		want   []string
	}{
		{name: "none", want: []string{"a", "b", "c", "d"}},
		{name: "earliest", cancel: []string{"a"}, want: []string{"b", "c", "d"}},
		{name: "latest", cancel: []string{"d"}, want: []string{"a", "b", "c"}},
		{name: "middle of a tie", cancel: []string{"b"}, want: []string{"a", "c", "d"}},
		{name: "all", cancel: []string{"c", "a", "d", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRecorder(t)
			timers := map[string]scheduler.Timer{
				"a": r.at(time.Second, "a", nil),
				"b": r.at(2*time.Second, "b", nil),
				"c": r.at(2*time.Second, "c", nil),
				"d": r.at(3*time.Second, "d", nil),
			}
			for i, name := range tt.cancel {
				require.True(t, r.s.Cancel(timers[name]), "first cancel of %s", name)
				assert.False(t, r.s.Pending(timers[name]))
				assert.False(t, r.s.Cancel(timers[name]), "second cancel of %s", name)
				assert.Equal(t, 4-i-1, r.s.Len())
				require.NoError(t, scheduler.CheckInvariants(r.s))
			}
			r.runAll()
			if len(tt.want) == 0 {
				assert.Empty(t, r.log)
			} else {
				assert.Equal(t, tt.want, r.ran())
			}
			for name, tm := range timers {
				assert.False(t, r.s.Cancel(tm), "cancel of %s after the run", name)
			}
		})
	}
}

func TestCancelOfAFiredTimerReturnsFalse(t *testing.T) {
	r := newRecorder(t)
	tm := r.at(time.Second, "a", nil)
	other := r.at(2*time.Second, "b", nil)
	require.True(t, r.s.Step())
	assert.False(t, r.s.Pending(tm))
	assert.False(t, r.s.Cancel(tm))
	assert.True(t, r.s.Pending(other), "cancelling a fired timer affected another")
	assert.Equal(t, 1, r.s.Len())
}

func TestStaleTimerDoesNotCancelTheEventReusingItsSlot(t *testing.T) {
	tests := []struct {
		name   string
		retire func(r *recorder, tm scheduler.Timer)
	}{
		{name: "cancelled", retire: func(r *recorder, tm scheduler.Timer) { require.True(r.t, r.s.Cancel(tm)) }},
		{name: "fired", retire: func(r *recorder, tm scheduler.Timer) { require.True(r.t, r.s.Step()) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRecorder(t)
			stale := r.at(time.Second, "stale", nil)
			tt.retire(r, stale)
			fresh := r.at(2*time.Second, "fresh", nil)
			require.Equal(t, scheduler.TimerSlot(stale), scheduler.TimerSlot(fresh), "the new event should reuse the freed slot")
			assert.NotEqual(t, stale, fresh)

			assert.False(t, r.s.Pending(stale))
			assert.False(t, r.s.Cancel(stale), "a stale handle cancelled the event in its old slot")
			assert.True(t, r.s.Pending(fresh))
			assert.Equal(t, 1, r.s.Len())
			require.NoError(t, scheduler.CheckInvariants(r.s))
			require.NoError(t, r.s.RunUntil(2*time.Second))
			assert.Equal(t, "fresh", r.log[len(r.log)-1].Name)
		})
	}
}

func TestForeignAndZeroTimersMatchNothing(t *testing.T) {
	a, b := scheduler.New(), scheduler.New()
	ta, err := a.At(time.Second, nop, 0)
	require.NoError(t, err)
	tb, err := b.At(time.Second, nop, 0)
	require.NoError(t, err)
	// Both are the first event of their scheduler, so only the owner tells
	// them apart.
	require.Equal(t, ta.String(), tb.String())

	assert.False(t, a.Pending(tb))
	assert.False(t, a.Cancel(tb))
	assert.False(t, a.Pending(scheduler.Timer{}))
	assert.False(t, a.Cancel(scheduler.Timer{}))
	assert.True(t, a.Pending(ta))
	assert.True(t, b.Pending(tb))
	assert.Equal(t, 1, a.Len())
	assert.Equal(t, 1, b.Len())
}

func TestEventsCanCancelOtherEvents(t *testing.T) {
	r := newRecorder(t)
	var sameTime, later, own scheduler.Timer
	var results []bool
	r.at(time.Second, "canceller", func() {
		own = r.after(time.Second, "cancelled by its scheduler", nil)
		results = append(results, r.s.Cancel(sameTime), r.s.Cancel(later), r.s.Cancel(own), r.s.Cancel(later))
	})
	sameTime = r.at(time.Second, "same-time victim", nil)
	later = r.at(2*time.Second, "later victim", nil)
	r.at(2*time.Second, "survivor", nil)
	r.runAll()
	assert.Equal(t, []bool{true, true, true, false}, results)
	assert.Equal(t, []string{"canceller", "survivor"}, r.ran())
}

func TestAnEventCannotCancelItself(t *testing.T) {
	r := newRecorder(t)
	var self scheduler.Timer
	var pendingInside, cancelledInside bool
	self = r.at(time.Second, "self", func() {
		pendingInside = r.s.Pending(self)
		cancelledInside = r.s.Cancel(self)
	})
	r.runAll()
	assert.False(t, pendingInside, "an event saw itself as pending")
	assert.False(t, cancelledInside, "an event cancelled itself while running")
	assert.Equal(t, uint64(1), r.s.Executed())
}

func TestStep(t *testing.T) {
	r := newRecorder(t)
	assert.False(t, r.s.Step(), "Step on empty")
	r.at(2*time.Second, "b", nil)
	r.at(time.Second, "a", nil)

	require.True(t, r.s.Step())
	assert.Equal(t, []firing{{"a", time.Second}}, r.log)
	assert.Equal(t, time.Second, r.s.Now())
	assert.Equal(t, 1, r.s.Len())
	assert.Equal(t, uint64(1), r.s.Executed())

	require.True(t, r.s.Step())
	assert.Equal(t, 2*time.Second, r.s.Now())
	assert.Equal(t, uint64(2), r.s.Executed())

	assert.False(t, r.s.Step(), "Step after the last event")
	assert.Equal(t, 2*time.Second, r.s.Now(), "an empty Step moved the clock")
	assert.Equal(t, uint64(2), r.s.Executed())
}

func TestNextReportsTheEarliestPendingEvent(t *testing.T) {
	s := scheduler.New()
	_, ok := s.Next()
	assert.False(t, ok)
	late, err := s.At(5*time.Second, nop, 0)
	require.NoError(t, err)
	early, err := s.At(2*time.Second, nop, 0)
	require.NoError(t, err)
	next, ok := s.Next()
	assert.True(t, ok)
	assert.Equal(t, 2*time.Second, next)
	require.True(t, s.Cancel(early))
	next, _ = s.Next()
	assert.Equal(t, 5*time.Second, next)
	require.True(t, s.Cancel(late))
	_, ok = s.Next()
	assert.False(t, ok)
	assert.Equal(t, time.Duration(0), s.Now(), "Next or Cancel moved the clock")
}

func TestExecutedCountsEveryRunEvent(t *testing.T) {
	r := newRecorder(t)
	var executedInside uint64
	r.at(time.Second, "a", func() { executedInside = r.s.Executed() })
	r.at(2*time.Second, "b", nil)
	tm := r.at(3*time.Second, "cancelled", nil)
	r.at(4*time.Second, "c", nil)
	require.True(t, r.s.Cancel(tm))
	require.True(t, r.s.Step())
	require.NoError(t, r.s.RunUntil(2*time.Second))
	r.runAll()
	assert.Equal(t, uint64(1), executedInside, "Executed counts the running event")
	assert.Equal(t, uint64(3), r.s.Executed())
}

func TestEventsCannotRunOtherEvents(t *testing.T) {
	r := newRecorder(t)
	var stepped bool
	var runErr, untilErr error
	var ranInside int
	r.at(time.Second, "outer", func() {
		stepped = r.s.Step()
		ranInside, runErr = r.s.Run(10)
		untilErr = r.s.RunUntil(time.Hour)
	})
	r.at(2*time.Second, "next", nil)
	require.True(t, r.s.Step())

	assert.False(t, stepped, "Step inside an event ran something")
	assert.Zero(t, ranInside)
	require.ErrorIs(t, runErr, scheduler.ErrReentrant)
	require.ErrorIs(t, untilErr, scheduler.ErrReentrant)
	var reentrant *scheduler.ReentrantError
	require.ErrorAs(t, untilErr, &reentrant)
	assert.Equal(t, scheduler.ReentrantError{Op: "RunUntil", Now: time.Second}, *reentrant)
	require.ErrorAs(t, runErr, &reentrant)
	assert.Equal(t, scheduler.ReentrantError{Op: "Run", Now: time.Second}, *reentrant)

	assert.Equal(t, []string{"outer"}, r.ran())
	assert.Equal(t, time.Second, r.s.Now())
	assert.Equal(t, 1, r.s.Len())
	require.NoError(t, scheduler.CheckInvariants(r.s))
}

func TestPanickingEventLeavesSchedulerUsable(t *testing.T) {
	r := newRecorder(t)
	r.at(time.Second, "panics", func() { panic("model bug") })
	r.at(2*time.Second, "after", nil)
	assert.PanicsWithValue(t, "model bug", func() { r.s.Step() })
	assert.Equal(t, time.Second, r.s.Now())
	assert.Equal(t, uint64(1), r.s.Executed())
	assert.Equal(t, 1, r.s.Len())
	require.NoError(t, scheduler.CheckInvariants(r.s), "a panic left the scheduler marked as running")
	r.runAll()
	assert.Equal(t, []string{"panics", "after"}, r.ran())
}

func TestSchedulerRefusesEventsBeyondItsCapacity(t *testing.T) {
	s := scheduler.New()
	scheduler.SetCapacity(s, 3)
	var timers []scheduler.Timer
	for i := range 3 {
		tm, err := s.At(time.Duration(i), nop, 0)
		require.NoError(t, err)
		timers = append(timers, tm)
	}
	before := snap(s)
	tm, err := s.After(time.Second, nop, 0)
	require.ErrorIs(t, err, scheduler.ErrFull)
	var full *scheduler.FullError
	require.ErrorAs(t, err, &full)
	assert.Equal(t, scheduler.FullError{Op: "After", At: time.Second, Pending: 3}, *full)
	assert.True(t, tm.IsZero())
	assert.Equal(t, before, snap(s))

	// Freeing one slot makes room again.
	require.True(t, s.Cancel(timers[1]))
	_, err = s.At(time.Second, nop, 0)
	require.NoError(t, err)
	assert.Equal(t, 3, scheduler.Slots(s))
	require.NoError(t, scheduler.CheckInvariants(s))
}

func TestSlotsAreReused(t *testing.T) {
	s := scheduler.New()
	for round := range 100 {
		for i := range 10 {
			_, err := s.After(time.Duration(i), nop, 0)
			require.NoError(t, err)
		}
		ran, err := s.Run(10)
		require.NoError(t, err)
		require.Equal(t, 10, ran, "round %d", round)
	}
	assert.Equal(t, 10, scheduler.Slots(s), "the slot table grew beyond the most events pending at once")
}

func TestTieBreakCounterIsRenumberedBeforeItWraps(t *testing.T) {
	r := newRecorder(t)
	r.at(2*time.Second, "early tie 1", nil)
	r.at(time.Second, "first", nil)
	// Jump the counter to just short of its largest value, so the next
	// events cross the point where it must restart.
	scheduler.SetNextOrder(r.s, math.MaxUint32-3)
	r.at(2*time.Second, "early tie 2", nil)
	r.at(3*time.Second, "last", nil)
	r.at(2*time.Second, "early tie 3", nil)
	require.NoError(t, scheduler.CheckInvariants(r.s))
	r.at(2*time.Second, "tie after renumbering 1", nil)
	r.at(2*time.Second, "tie after renumbering 2", nil)
	assert.Less(t, scheduler.NextOrder(r.s), uint32(100), "the counter was not renumbered")
	require.NoError(t, scheduler.CheckInvariants(r.s))
	r.runAll()
	assert.Equal(t, []string{
		"first", "early tie 1", "early tie 2", "early tie 3", "tie after renumbering 1", "tie after renumbering 2", "last",
	}, r.ran())
}

func TestEntryComparisonsAgree(t *testing.T) {
	tests := []struct {
		name       string
		atA, atB   time.Duration
		ordA, ordB uint32
		want       bool
	}{
		{"earlier time", 1, 2, 9, 0, true},
		{"later time", 2, 1, 0, 9, false},
		{"tie, lower order", 5, 5, 1, 2, true},
		{"tie, higher order", 5, 5, 2, 1, false},
		{"identical", 5, 5, 3, 3, false},
		{"largest times", math.MaxInt64 - 1, math.MaxInt64, math.MaxUint32, 0, true},
		{"largest orders", 0, 0, math.MaxUint32 - 1, math.MaxUint32, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, bit := scheduler.EntryBefore(tt.atA, tt.ordA, tt.atB, tt.ordB)
			assert.Equal(t, tt.want, before)
			assert.Equal(t, tt.want, bit == 1)
			assert.LessOrEqual(t, bit, uint64(1))
		})
	}
}

func TestTimerString(t *testing.T) {
	assert.Equal(t, "invalid Timer", scheduler.Timer{}.String())
	assert.True(t, scheduler.Timer{}.IsZero())
	s := scheduler.New()
	first, err := s.At(0, nop, 0)
	require.NoError(t, err)
	second, err := s.At(0, nop, 0)
	require.NoError(t, err)
	assert.Equal(t, "timer 1 (slot 0)", first.String())
	assert.Equal(t, "timer 2 (slot 1)", second.String())
	assert.False(t, first.IsZero())
	require.True(t, s.Cancel(first))
	third, err := s.At(0, nop, 0)
	require.NoError(t, err)
	assert.Equal(t, "timer 3 (slot 0)", third.String())
}

func TestErrorMessagesNameTheInput(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&scheduler.PastError{Op: "At", At: time.Second, Now: 2 * time.Second}, "scheduler: At: time 1s is before now 2s"},
		{&scheduler.NilFuncError{Op: "After", At: 3 * time.Second, Arg: 4}, "scheduler: After: event at 3s with arg 4 has a nil function"},
		{&scheduler.OverflowError{Now: time.Second, Delay: math.MaxInt64}, "scheduler: After: now 1s plus delay 2562047h47m16.854775807s overflows time.Duration"},
		{&scheduler.FullError{Op: "At", At: time.Second, Pending: 5}, "scheduler: At: cannot schedule an event at 1s with 5 events already pending"},
		{&scheduler.LimitError{Limit: 0, Err: scheduler.ErrBadLimit}, "scheduler: Run: limit 0 is not positive"},
		{&scheduler.LimitError{Limit: 10, Pending: 2, Now: time.Minute, Err: scheduler.ErrEventLimit}, "scheduler: Run: ran 10 events (the limit) with 2 still pending at 1m0s"},
		{&scheduler.ReentrantError{Op: "Run", Now: time.Second}, "scheduler: Run called from inside the event running at 1s"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.err.Error())
			assert.NotNil(t, errors.Unwrap(tt.err))
		})
	}
}

func TestNoAllocsInSteadyState(t *testing.T) {
	s := scheduler.New()
	const pending = 1000
	timers := make([]scheduler.Timer, pending)
	for i := range timers {
		tm, err := s.After(time.Duration(i)*time.Microsecond, nop, uint64(i))
		require.NoError(t, err)
		timers[i] = tm
	}
	var next int
	// Each run cancels one event and schedules its replacement, then
	// schedules one and runs one, so the number pending never grows.
	allocs := testing.AllocsPerRun(1000, func() {
		k := next % pending
		next++
		if s.Cancel(timers[k]) {
			timers[k], _ = s.After(time.Millisecond, nop, uint64(k))
		}
		if _, err := s.After(time.Millisecond, nop, 0); err != nil {
			t.Fatal(err)
		}
		if !s.Step() {
			t.Fatal("nothing to run")
		}
		s.Pending(timers[k])
		s.Next()
	})
	assert.Zero(t, allocs, "allocations per scheduled, run and cancelled event")

	allocs = testing.AllocsPerRun(100, func() {
		if err := s.RunUntil(s.Now() + time.Microsecond); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs, "allocations per RunUntil")
}

// Events far enough ahead wait in the wheel, many of them in one bucket.
// Cancelling some from the middle and the ends of that bucket, before and
// during the run, keeps the order of the rest exact.
func TestCrowdedFarEventsRunInOrderAfterCancels(t *testing.T) {
	type event struct {
		at    time.Duration
		order int
	}
	s := scheduler.New()
	var events, ran []event
	var timers []scheduler.Timer
	fire := func(arg uint64) { ran = append(ran, events[arg]) }
	// 400 events in a 4 ms span an hour ahead, in a scrambled order, with
	// every tenth at the same time as the one before it.
	for i := range 400 {
		at := time.Hour + time.Duration((i*7919)%400)*10*time.Microsecond
		if i%10 == 9 {
			at = events[i-1].at
		}
		events = append(events, event{at: at, order: i})
		tm, err := s.At(at, fire, uint64(i))
		require.NoError(t, err)
		timers = append(timers, tm)
	}
	require.NoError(t, scheduler.CheckInvariants(s))
	cancelled := map[int]bool{}
	cancel := func(i int) {
		t.Helper()
		require.True(t, s.Cancel(timers[i]), "cancel %d", i)
		cancelled[i] = true
		require.NoError(t, scheduler.CheckInvariants(s))
	}
	// Enough cancels to empty a chunk of the bucket's storage and start on
	// the next.
	for _, i := range []int{0, 399, 200, 31, 32, 33, 63, 64, 1, 398, 150} {
		cancel(i)
	}
	for i := 7; i < 400; i += 20 {
		cancel(i)
	}

	require.NoError(t, s.RunUntil(time.Hour+2*time.Millisecond))
	require.NoError(t, scheduler.CheckInvariants(s))
	cancelledMidRun := 0
	for i := range timers {
		if s.Pending(timers[i]) && i%3 == 0 {
			cancel(i)
			cancelledMidRun++
		}
	}
	require.NotZero(t, cancelledMidRun, "the run should have stopped half way")
	_, err := s.Run(1000)
	require.NoError(t, err)
	require.NoError(t, scheduler.CheckInvariants(s))

	var want []event
	for i, e := range events {
		if !cancelled[i] {
			want = append(want, e)
		}
	}
	slices.SortStableFunc(want, func(a, b event) int { return cmp.Compare(a.at, b.at) })
	assert.Equal(t, want, ran)
}

// The wheel's storage is recycled: a model that keeps the same number of
// far events pending does not grow it.
func TestWheelStorageIsReused(t *testing.T) {
	s := scheduler.New()
	schedule := func(round int) {
		for i := range 1000 {
			_, err := s.After(time.Duration(1+(i*7919+round)%100_000)*time.Millisecond, nop, 0)
			require.NoError(t, err)
		}
	}
	schedule(0)
	ran, err := s.Run(500)
	require.ErrorIs(t, err, scheduler.ErrEventLimit)
	require.Equal(t, 500, ran)
	chunks := scheduler.WheelChunks(s)
	for round := 1; round <= 50; round++ {
		schedule(round)
		_, err := s.Run(1000)
		require.ErrorIs(t, err, scheduler.ErrEventLimit)
		require.Equal(t, 500, s.Len())
	}
	require.NoError(t, scheduler.CheckInvariants(s))
	assert.LessOrEqual(t, scheduler.WheelChunks(s), 2*chunks, "wheel storage grew while the number pending stayed the same")
}

// Looking at the next event must not change where later events are kept:
// after Next reports an event an hour ahead, the events a model schedules
// before it still wait in the wheel, not in the heap, and all run in order.
func TestNextDoesNotPullEventsIntoTheHeap(t *testing.T) {
	r := newRecorder(t)
	r.at(time.Hour, "far", nil)
	next, ok := r.s.Next()
	require.True(t, ok)
	require.Equal(t, time.Hour, next)
	require.NoError(t, r.s.RunUntil(time.Minute))
	for i := range 1000 {
		r.after(time.Duration(i)*time.Millisecond, fmt.Sprint("near ", i), nil)
	}
	assert.LessOrEqual(t, scheduler.HeapLen(r.s), 1, "events due after the next microsecond are in the heap")
	require.NoError(t, scheduler.CheckInvariants(r.s))
	r.runAll()
	require.Len(t, r.log, 1001)
	assert.Equal(t, "near 0", r.log[0].Name)
	assert.Equal(t, "far", r.log[1000].Name)
	for i := 1; i < len(r.log); i++ {
		require.LessOrEqual(t, r.log[i-1].At, r.log[i].At)
	}
}
