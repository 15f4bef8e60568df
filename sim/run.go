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
			return fmt.Errorf("sim: still busy at MaxTime %v", s.cfg.MaxTime)
		}
		if err := s.step(); err != nil {
			return err
		}
	}
	return s.failure
}

func (s *Sim) step() error {
	if s.sched.Executed() >= uint64(s.cfg.MaxEvents) {
		return fmt.Errorf("%w: %d events by %v", ErrEventLimit, s.cfg.MaxEvents, s.Now())
	}
	s.sched.Step()
	return s.failure
}
