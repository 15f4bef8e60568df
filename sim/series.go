package sim

import (
	"slices"
	"time"
)

// Sample is the cluster's state at one moment of a recorded run.
type Sample struct {
	At      time.Duration
	Running int // pods whose network is ready
	Pending int // pods created and not yet running, completed or deleted
	// SGRunning and SGPending count the pods with security groups of
	// their own among Running and Pending.
	SGRunning, SGPending int
	InUse                int // branch ENIs in use (reserved ones included)
	Cooling              int // branch ENIs in the cool-down queue
}

// RecordSeries makes the simulation keep a Sample at every moment its
// counts change, for plotting. It costs memory, so it is off by default.
func (s *Sim) RecordSeries() {
	if s.series == nil {
		s.series = make([]Sample, 0, 64)
		s.sample()
	}
}

// Series returns the recorded samples, oldest first, at most one per
// moment.
func (s *Sim) Series() []Sample { return s.series }

func (s *Sim) sample() {
	if s.series == nil {
		return
	}
	x := Sample{At: s.Now(), Running: s.m.running, Pending: s.m.created - s.m.running - s.m.ended,
		SGRunning: s.m.sgRunning, SGPending: s.m.sgPods - s.m.sgRunning - s.m.sgEnded,
		InUse: s.m.inUse, Cooling: s.m.cooling}
	if n := len(s.series); n > 0 {
		last := &s.series[n-1]
		if last.At == x.At {
			*last = x
			return
		}
		if same := x; true {
			same.At = last.At
			if *last == same {
				return // nothing changed
			}
		}
	}
	s.series = append(s.series, x)
}

// StartupLatencies returns the start-up latency of every security-group
// pod whose network became ready, in the order they became ready.
func (s *Sim) StartupLatencies() []time.Duration { return slices.Clone(s.m.ready) }
