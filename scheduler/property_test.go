package scheduler_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/trunksim/trunksim/scheduler"
)

// plannedEvent is one event of a generated schedule. Events with no parent
// are scheduled before the run starts; the others are scheduled by their
// parent when it runs, so schedules include events scheduled from inside
// events and cancels issued from inside events.
type plannedEvent struct {
	Parent  int           // index of the event that schedules this one, or -1
	Delay   time.Duration // after time zero for roots, after the parent's run otherwise
	Cancels int           // index of the event this one cancels when it runs, or -1
}

type plan struct {
	Events []plannedEvent
	// PreCancel lists events cancelled before the run starts.
	PreCancel []int
}

// drawPlan draws a schedule whose delays are a few milliseconds, so that
// many events share a time and the tie order is exercised.
func drawPlan(t *rapid.T) plan {
	return drawPlanWith(t, func(label string) time.Duration {
		return time.Duration(rapid.IntRange(0, 4).Draw(t, label)) * time.Millisecond
	})
}

// drawWidePlan draws a schedule whose delays range from nanoseconds to
// weeks, so that events are filed in every level of the wheel, some of them
// at equal times.
func drawWidePlan(t *rapid.T) plan {
	return drawPlanWith(t, func(label string) time.Duration {
		unit := time.Duration(1) << rapid.IntRange(0, 46).Draw(t, label+" scale")
		return time.Duration(rapid.IntRange(0, 20).Draw(t, label)) * unit
	})
}

// drawPlanWith draws a schedule whose delays delay draws.
func drawPlanWith(t *rapid.T, delay func(label string) time.Duration) plan {
	n := rapid.IntRange(1, 80).Draw(t, "events")
	p := plan{Events: make([]plannedEvent, n)}
	for i := range p.Events {
		e := plannedEvent{Parent: -1, Cancels: -1}
		if i > 0 && rapid.Bool().Draw(t, fmt.Sprintf("child%d", i)) {
			e.Parent = rapid.IntRange(0, i-1).Draw(t, fmt.Sprintf("parent%d", i))
		}
		e.Delay = delay(fmt.Sprintf("delay%d", i))
		if rapid.IntRange(0, 3).Draw(t, fmt.Sprintf("cancels%d?", i)) == 0 {
			e.Cancels = rapid.IntRange(0, n-1).Draw(t, fmt.Sprintf("cancels%d", i))
		}
		p.Events[i] = e
	}
	p.PreCancel = rapid.SliceOfN(rapid.IntRange(0, n-1), 0, 4).Draw(t, "preCancel")
	return p
}

// ran is one event run: which event, and the time it saw.
type ran struct {
	ID int
	At time.Duration
}

// cancelled is one Cancel call and its result. By is -1 for cancels made
// before the run.
type cancelled struct {
	By, Target int
	OK         bool
}

// outcome is everything observable about running a plan.
type outcome struct {
	Ran       []ran
	Cancelled []cancelled
	Executed  uint64
	// Intended is the time each event was scheduled for, and Order its
	// position in scheduling order; -1 for events never scheduled.
	Intended []time.Duration
	Order    []int
}

// driver is how a test moves the scheduler through a plan; every driver
// must produce the same outcome.
type driver int

const (
	byStep driver = 1 + iota
	byRunUntil
	byRun
)

func (d driver) String() string {
	switch d {
	case byStep:
		return "Step"
	case byRunUntil:
		return "RunUntil"
	case byRun:
		return "Run"
	}
	return "invalid driver"
}

// execute runs p on a fresh scheduler. It checks, after every operation,
// that Len equals events scheduled minus events run minus events cancelled.
func execute(t require.TestingT, p plan, d driver, chunk time.Duration) outcome {
	s := scheduler.New()
	n := len(p.Events)
	out := outcome{Intended: make([]time.Duration, n), Order: make([]int, n)}
	for i := range out.Order {
		out.Order[i] = -1
	}
	children := make([][]int, n)
	for i, e := range p.Events {
		if e.Parent >= 0 {
			children[e.Parent] = append(children[e.Parent], i)
		}
	}
	timers := make([]scheduler.Timer, n)
	var scheduledCount, ranCount, cancelledCount, nextOrder int
	checkLen := func(when string) {
		require.Equal(t, scheduledCount-ranCount-cancelledCount, s.Len(),
			"Len %s: scheduled %d, ran %d, cancelled %d", when, scheduledCount, ranCount, cancelledCount)
	}
	cancel := func(by, target int) {
		ok := s.Cancel(timers[target])
		out.Cancelled = append(out.Cancelled, cancelled{By: by, Target: target, OK: ok})
		if ok {
			cancelledCount++
		}
		checkLen(fmt.Sprintf("after %d cancelled %d", by, target))
	}
	var fire scheduler.Func
	schedule := func(id int) {
		var tm scheduler.Timer
		var err error
		if p.Events[id].Parent < 0 {
			tm, err = s.At(p.Events[id].Delay, fire, uint64(id))
		} else {
			tm, err = s.After(p.Events[id].Delay, fire, uint64(id))
		}
		require.NoError(t, err)
		timers[id] = tm
		out.Intended[id] = s.Now() + p.Events[id].Delay
		out.Order[id] = nextOrder
		nextOrder++
		scheduledCount++
		checkLen(fmt.Sprintf("after scheduling %d", id))
	}
	fire = func(arg uint64) {
		id := int(arg)
		out.Ran = append(out.Ran, ran{ID: id, At: s.Now()})
		ranCount++
		checkLen(fmt.Sprintf("when %d started", id))
		for _, c := range children[id] {
			schedule(c)
		}
		if target := p.Events[id].Cancels; target >= 0 {
			cancel(id, target)
		}
	}

	for i, e := range p.Events {
		if e.Parent < 0 {
			schedule(i)
		}
	}
	for _, target := range p.PreCancel {
		cancel(-1, target)
	}
	switch d {
	case byStep:
		for s.Step() {
			checkLen("after Step")
		}
	case byRunUntil:
		for s.Len() > 0 {
			require.NoError(t, s.RunUntil(s.Now()+chunk))
			checkLen("after RunUntil")
		}
	case byRun:
		_, err := s.Run(len(p.Events))
		require.NoError(t, err)
	}
	checkLen("at the end")
	require.Zero(t, s.Len())
	require.NoError(t, scheduler.CheckInvariants(s))
	out.Executed = s.Executed()
	return out
}

// reference runs p on a deliberately simple model: a list of pending events
// searched linearly for the smallest (time, scheduling order).
func reference(p plan) outcome {
	n := len(p.Events)
	out := outcome{Intended: make([]time.Duration, n), Order: make([]int, n)}
	for i := range out.Order {
		out.Order[i] = -1
	}
	type pendingEvent struct {
		id    int
		at    time.Duration
		order int
	}
	var pending []pendingEvent
	var now time.Duration
	scheduled := 0
	schedule := func(id int) {
		at := now + p.Events[id].Delay
		out.Intended[id] = at
		out.Order[id] = scheduled
		scheduled++
		pending = append(pending, pendingEvent{id: id, at: at, order: out.Order[id]})
	}
	cancel := func(by, target int) {
		ok := false
		for i, e := range pending {
			if e.id == target {
				pending = append(pending[:i], pending[i+1:]...)
				ok = true
				break
			}
		}
		out.Cancelled = append(out.Cancelled, cancelled{By: by, Target: target, OK: ok})
	}
	for i, e := range p.Events {
		if e.Parent < 0 {
			schedule(i)
		}
	}
	for _, target := range p.PreCancel {
		cancel(-1, target)
	}
	for len(pending) > 0 {
		best := 0
		for i, e := range pending {
			if e.at < pending[best].at || (e.at == pending[best].at && e.order < pending[best].order) {
				best = i
			}
		}
		e := pending[best]
		pending = append(pending[:best], pending[best+1:]...)
		now = e.at
		out.Ran = append(out.Ran, ran{ID: e.id, At: now})
		out.Executed++
		for i, c := range p.Events {
			if c.Parent == e.id {
				schedule(i)
			}
		}
		if target := p.Events[e.id].Cancels; target >= 0 {
			cancel(e.id, target)
		}
	}
	return out
}

func TestPropertyEventsRunInTimeOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		out := execute(t, drawPlan(t), byStep, 0)
		for i := 1; i < len(out.Ran); i++ {
			if out.Ran[i].At < out.Ran[i-1].At {
				t.Fatalf("event %d ran at %v after event %d at %v", out.Ran[i].ID, out.Ran[i].At, out.Ran[i-1].ID, out.Ran[i-1].At)
			}
		}
		for _, r := range out.Ran {
			if r.At != out.Intended[r.ID] {
				t.Fatalf("event %d ran at %v, scheduled for %v", r.ID, r.At, out.Intended[r.ID])
			}
		}
	})
}

func TestPropertyEqualTimesRunInSchedulingOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		out := execute(t, drawPlan(t), byStep, 0)
		for i := 1; i < len(out.Ran); i++ {
			prev, cur := out.Ran[i-1], out.Ran[i]
			if prev.At == cur.At && out.Order[prev.ID] > out.Order[cur.ID] {
				t.Fatalf("at %v event %d (scheduled %d) ran after event %d (scheduled %d)",
					cur.At, cur.ID, out.Order[cur.ID], prev.ID, out.Order[prev.ID])
			}
		}
	})
}

func TestPropertyCancelledEventsNeverRun(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := drawPlan(t)
		out := execute(t, p, byStep, 0)
		runs := make(map[int]int)
		for _, r := range out.Ran {
			runs[r.ID]++
		}
		wasCancelled := make(map[int]bool)
		for _, c := range out.Cancelled {
			if c.OK {
				if wasCancelled[c.Target] {
					t.Fatalf("event %d was cancelled twice", c.Target)
				}
				wasCancelled[c.Target] = true
			}
		}
		for id := range p.Events {
			switch {
			case wasCancelled[id] && runs[id] != 0:
				t.Fatalf("event %d was cancelled and still ran", id)
			case out.Order[id] >= 0 && !wasCancelled[id] && runs[id] != 1:
				t.Fatalf("event %d was scheduled, not cancelled, and ran %d times", id, runs[id])
			case out.Order[id] < 0 && runs[id] != 0:
				t.Fatalf("event %d ran without being scheduled", id)
			}
		}
		if out.Executed != uint64(len(out.Ran)) {
			t.Fatalf("Executed is %d, %d events ran", out.Executed, len(out.Ran))
		}
	})
}

func TestPropertySameScheduleSameRun(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := drawPlan(t)
		chunk := time.Duration(rapid.IntRange(1, 5).Draw(t, "chunk")) * time.Millisecond
		first := execute(t, p, byStep, chunk)
		for _, d := range []driver{byStep, byRunUntil, byRun} {
			require.Equal(t, first, execute(t, p, d, chunk), "second run driven by %v", d)
		}
	})
}

func TestPropertyMatchesReferenceModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := drawPlan(t)
		require.Equal(t, reference(p), execute(t, p, byStep, 0))
	})
}

func TestPropertyMatchesReferenceModelAcrossTimescales(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := drawWidePlan(t)
		require.Equal(t, reference(p), execute(t, p, byStep, 0))
	})
}

// TestPropertyStateMachine drives a scheduler with random calls from outside
// any event, including calls that must fail, and compares every observable
// value with a model after each call.
func TestPropertyStateMachine(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		checkStateMachine(t, func(t *rapid.T, label string, lo, hi int) time.Duration {
			return time.Duration(rapid.IntRange(lo, hi).Draw(t, label)) * time.Millisecond
		})
	})
}

// TestPropertyStateMachineAcrossTimescales is TestPropertyStateMachine with
// times from nanoseconds to days apart, so events are filed in every level
// of the wheel, land on both sides of grain boundaries, and are cancelled
// and run from wherever they are.
func TestPropertyStateMachineAcrossTimescales(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		checkStateMachine(t, func(t *rapid.T, label string, lo, hi int) time.Duration {
			unit := time.Duration(1) << rapid.IntRange(0, 44).Draw(t, label+" scale")
			return time.Duration(rapid.IntRange(lo, hi).Draw(t, label)) * unit
		})
	})
}

// checkStateMachine is the body of the state machine tests; offset draws a
// time offset that is lo to hi units of some length.
func checkStateMachine(t *rapid.T, offset func(t *rapid.T, label string, lo, hi int) time.Duration) {
	type modelEvent struct {
		id int
		at time.Duration
	}
	s := scheduler.New()
	pending := map[scheduler.Timer]modelEvent{}
	var issued []scheduler.Timer
	var log []ran
	var now time.Duration
	var executed uint64
	nextID := 0
	fire := func(arg uint64) { log = append(log, ran{ID: int(arg), At: s.Now()}) }
	// ranSince copies the runs logged after the first n, never nil, so it
	// compares equal to an empty expectation.
	ranSince := func(n int) []ran { return append([]ran{}, log[n:]...) }

	// popModel removes the model's next event: the earliest, and among
	// equal times the first scheduled (ids increase with scheduling).
	popModel := func() (ran, bool) {
		var best scheduler.Timer
		found := false
		for tm, e := range pending {
			b := pending[best]
			if !found || e.at < b.at || (e.at == b.at && e.id < b.id) {
				best, found = tm, true
			}
		}
		if !found {
			return ran{}, false
		}
		e := pending[best]
		delete(pending, best)
		now = e.at
		executed++
		return ran{ID: e.id, At: e.at}, true
	}
	nextModel := func() (time.Duration, bool) {
		var at time.Duration
		found := false
		for _, e := range pending {
			if !found || e.at < at {
				at, found = e.at, true
			}
		}
		return at, found
	}
	added := func(tm scheduler.Timer, at time.Duration) {
		pending[tm] = modelEvent{id: nextID, at: at}
		issued = append(issued, tm)
		nextID++
	}
	t.Repeat(map[string]func(*rapid.T){
		"At": func(t *rapid.T) {
			at := now + offset(t, "at", -3, 20)
			tm, err := s.At(at, fire, uint64(nextID))
			if at < now {
				require.ErrorIs(t, err, scheduler.ErrPast)
				require.True(t, tm.IsZero())
				return
			}
			require.NoError(t, err)
			added(tm, at)
		},
		"After": func(t *rapid.T) {
			d := offset(t, "after", -3, 20)
			tm, err := s.After(d, fire, uint64(nextID))
			if d < 0 {
				require.ErrorIs(t, err, scheduler.ErrPast)
				require.True(t, tm.IsZero())
				return
			}
			require.NoError(t, err)
			added(tm, now+d)
		},
		"Cancel": func(t *rapid.T) {
			tm := rapid.SampledFrom(append([]scheduler.Timer{{}}, issued...)).Draw(t, "timer")
			_, want := pending[tm]
			require.Equal(t, want, s.Cancel(tm), "Cancel(%v)", tm)
			delete(pending, tm)
		},
		"Step": func(t *rapid.T) {
			want, ok := popModel()
			before := len(log)
			require.Equal(t, ok, s.Step())
			if ok {
				require.Equal(t, []ran{want}, ranSince(before))
			}
		},
		"RunUntil": func(t *rapid.T) {
			target := now + offset(t, "until", -3, 30)
			before := len(log)
			err := s.RunUntil(target)
			if target < now {
				require.ErrorIs(t, err, scheduler.ErrPast)
				require.Len(t, log, before)
				return
			}
			require.NoError(t, err)
			want := []ran{}
			for at, ok := nextModel(); ok && at <= target; at, ok = nextModel() {
				r, _ := popModel()
				want = append(want, r)
			}
			now = target
			require.Equal(t, want, ranSince(before))
		},
		"Run": func(t *rapid.T) {
			limit := rapid.IntRange(-1, 6).Draw(t, "limit")
			before := len(log)
			n, err := s.Run(limit)
			if limit <= 0 {
				require.ErrorIs(t, err, scheduler.ErrBadLimit)
				require.Zero(t, n)
				require.Len(t, log, before)
				return
			}
			want := []ran{}
			for len(want) < limit {
				r, ok := popModel()
				if !ok {
					break
				}
				want = append(want, r)
			}
			require.Equal(t, want, ranSince(before))
			require.Equal(t, len(want), n)
			if len(pending) > 0 {
				require.ErrorIs(t, err, scheduler.ErrEventLimit)
			} else {
				require.NoError(t, err)
			}
		},
		"": func(t *rapid.T) {
			require.Equal(t, now, s.Now(), "Now")
			require.Equal(t, len(pending), s.Len(), "Len")
			require.Equal(t, executed, s.Executed(), "Executed")
			wantNext, wantOK := nextModel()
			gotNext, gotOK := s.Next()
			require.Equal(t, wantOK, gotOK, "Next reports an event")
			require.Equal(t, wantNext, gotNext, "Next")
			for _, tm := range issued {
				_, want := pending[tm]
				require.Equal(t, want, s.Pending(tm), "Pending(%v)", tm)
			}
			require.NoError(t, scheduler.CheckInvariants(s))
		},
	})
}
