package sim

import (
	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/controller"
	"github.com/trunksim/trunksim/fakeec2"
)

// The controller is a state machine (package controller): the Sim feeds
// it what happens in the cluster and applies the effects it returns, on
// the virtual clock, in the order it returns them. An effect's own
// follow-up (EC2's answer to a call) is stepped back before the next
// effect is applied, so the order of events is the one a controller
// making its calls synchronously would give.

// lister is the controller's view of the policies and service accounts.
type lister struct{ s *Sim }

// SecurityGroups resolves the pod's groups as the controller's informer
// caches would give them now.
func (l lister) SecurityGroups(p controller.PodID) (branch.GroupSet, string, bool) {
	r := l.s.resolve(l.s.pods[p])
	return r.set, r.names, r.ids != nil
}

// effects0 returns the empty buffer for the effects of a step at the
// current depth.
func (s *Sim) effects0() []controller.Effect {
	if s.depth == len(s.effects) {
		s.effects = append(s.effects, nil)
		s.answers = append(s.answers, fakeec2.Answer{})
	}
	return s.effects[s.depth][:0]
}

// feed gives the controller one input now and applies its effects.
func (s *Sim) feed(in controller.Input) {
	out, err := s.ctl.Step(s.Now(), in, s.effects0())
	if err != nil {
		s.fail(err)
	}
	s.apply(out)
}

// apply applies a step's effects in order; out is the buffer of the
// current depth, kept for the next step at that depth.
func (s *Sim) apply(out []controller.Effect) {
	d := s.depth
	s.effects[d] = out
	s.depth++
	for i := range out {
		s.applyOne(&out[i])
	}
	s.depth--
}

func (s *Sim) applyOne(e *controller.Effect) {
	switch e.Kind {
	case controller.Call:
		// The answer lives in a slot of the depth's own, not on the heap.
		ans := &s.answers[s.depth-1]
		*ans = s.ec2.Do(s.Now(), *e.Request)
		if e.Timer != 0 {
			s.feed(controller.Input{Kind: controller.Answered, Timer: e.Timer, Answer: ans})
		}
	case controller.Wake:
		t := s.after(e.At-s.Now(), s.evController, uint64(e.Timer))
		if e.Timer.Cancellable() {
			s.sweepTimers[e.Timer] = t
		}
	case controller.WakeIdle:
		// The resync: it alone does not keep Run going (see busy).
		s.resyncTimer = s.after(e.At-s.Now(), s.evController, uint64(e.Timer))
	case controller.Cancel:
		if t, ok := s.sweepTimers[e.Timer]; ok {
			s.cancel(t)
			delete(s.sweepTimers, e.Timer)
		}
	case controller.Annotate:
		s.pods[e.Pod].annotatedOK = true
		s.kubeletAfterAnnotation(int32(e.Pod))
	case controller.NodeChanged:
		s.refit(int32(e.Node))
		s.noteTrunk(s.nodes[e.Node], s.ctl.Trunk(e.Node))
	case controller.BranchesChanged:
		s.noteTrunk(s.nodes[e.Node], s.ctl.Trunk(e.Node))
	case controller.Reschedule:
		s.place()
	case controller.Emit:
		s.emit(e)
	case controller.Resynced:
		s.tr.rec(s.Now(), "Resync", "controller", "")
	}
}

// wokeUp is the event of a wake-up the controller asked for.
func (s *Sim) wokeUp(arg uint64) {
	t := controller.Timer(arg)
	if t.Cancellable() {
		delete(s.sweepTimers, t)
	}
	s.feed(controller.Input{Kind: controller.WokeUp, Timer: t})
}

// emit records a Kubernetes event the controller emitted.
func (s *Sim) emit(e *controller.Effect) {
	ev := e.Event
	typ := "Normal"
	if ev.Reason.Warning() {
		typ = "Warning"
	}
	var t *tracer
	if ev.Reason.OnPod() {
		t = s.podEvent(typ, ev.Reason.String(), s.pods[e.Pod])
	} else {
		t = s.eventBegin(typ, ev.Reason.String(), "node", s.nodes[e.Node].name)
	}
	s.message = ev.AppendMessage(s.message[:0])
	t.textBytes(s.message)
	t.end(true)
}
