package sim

import (
	"fmt"
	"time"
)

// RunUntil runs every event up to and including virtual time t, then
// leaves the clock at t. Background timers (the resync) run too.
func (s *Sim) RunUntil(t time.Duration) error {
	if t < s.Now() {
		return fmt.Errorf("sim: RunUntil(%v) is before now (%v)", t, s.Now())
	}
	for s.failure == nil {
		next, ok := s.sched.Next()
		if !ok || next > t {
			break
		}
		if err := s.step(); err != nil {
			return err
		}
	}
	if s.failure != nil {
		return s.failure
	}
	return s.sched.RunUntil(t)
}

// Run runs until nothing is in flight: no pod waits on work that is
// under way, no branch ENI is cooling or being deleted, no scripted
// action is left. Background timers such as the resync do not keep it
// going, so a pod that was dropped after its retries stays Pending. It
// stops with an error at Config.MaxTime or after Config.MaxEvents.
func (s *Sim) Run() error {
	for s.failure == nil && s.busy() {
		next, ok := s.sched.Next()
		if !ok {
			break
		}
		if next > s.cfg.MaxTime {
			return fmt.Errorf("sim: still busy at %v, the cap on simulated time (Config.MaxTime; a scenario's until sets an end of its own): pods are still waiting or branches cooling", s.cfg.MaxTime)
		}
		if err := s.step(); err != nil {
			return err
		}
	}
	return s.failure
}

// The default event budget, as Config.MaxEvents describes it.
const (
	baseEvents      = 50_000_000
	eventsPerObject = 1_000
)

// eventBudget is how many events the run may have made by now.
func (s *Sim) eventBudget() uint64 {
	if s.cfg.MaxEvents > 0 {
		return uint64(s.cfg.MaxEvents)
	}
	return baseEvents + eventsPerObject*uint64(s.m.created+len(s.nodes))
}

func (s *Sim) step() error {
	n := s.sched.Executed()
	if budget := s.eventBudget(); n >= budget {
		return fmt.Errorf("%w: %d events by %v with %d pods and %d nodes created (Config.MaxEvents; unset, 50 million plus 1,000 a pod or node): "+
			"a loop that makes events and no pods, such as a retry period or rate far too small", ErrEventLimit, budget, s.Now(), s.m.created, len(s.nodes))
	}
	if s.progress != nil && n&progressMask == 0 {
		s.progress(s.Now(), n)
	}
	s.sched.Step()
	return s.failure
}

// progressMask sets how often a progress function is called: every 65,536
// events, so it costs nothing measurable.
const progressMask = 1<<16 - 1

// OnProgress makes Run and RunUntil call fn every 65,536 events with the
// virtual time and the events run so far, so a long run can show that it
// is moving. fn is outside the simulation: it must not call the Sim but
// for [Sim.Stop], and it may read the wall clock. nil stops the calls.
func (s *Sim) OnProgress(fn func(now time.Duration, events uint64)) { s.progress = fn }

// Stop makes Run and RunUntil return, once the event under way has run,
// an error wrapping [ErrStopped] and reason: a program stops a run the
// user interrupted, or one that outgrew its memory, and still reports
// what finished. The Sim stays consistent (Report, Pods and Nodes work)
// but runs no further. Stop is the one method an [Sim.OnProgress]
// function may call; like the rest, it is not safe for concurrent use.
func (s *Sim) Stop(reason error) {
	s.fail(fmt.Errorf("sim: %w at %v: %w", ErrStopped, s.Now(), reason))
}
