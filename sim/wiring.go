package sim

import (
	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/controller"
	"github.com/trunksim/trunksim/scheduler"
)

// The controller is a state machine (package controller): the Sim feeds
// it what happens in the cluster and applies the effects it returns, on
// the virtual clock, in the order it returns them. An EC2 call is made on
// the fake EC2 as its effect is applied, and its answer is fed back as an
// input once the answer's latency has passed.

// lister is the controller's view of the policies and service accounts.
type lister struct{ s *Sim }

// SecurityGroups resolves the pod's groups as the controller's informer
// caches would give them now. When no policy matches any more, the
// branch gets the instance's groups (RC v1.8.2
// pkg/provider/branch/trunk/trunk.go CreateAndAssociateBranchENIs uses
// CurrentInstanceSecurityGroups for an empty list).
func (l lister) SecurityGroups(p controller.PodID) (branch.GroupSet, string, bool) {
	pd := l.s.pods[p]
	r := l.s.resolve(pd)
	if r.ids == nil && pd.node >= 0 {
		g := l.s.nodes[pd.node].groups
		return g, "", false
	}
	return r.set, r.names, r.ids != nil
}

// AppendPodsOn appends the pods bound to the node, as the controller's
// pod informer cache lists them (see controller.NodePods): the Sim keeps
// that list for the scheduler, so the controller keeps none.
func (l lister) AppendPodsOn(n controller.NodeID, dst []controller.PodID) []controller.PodID {
	for _, pi := range l.s.nodes[n].bound {
		dst = append(dst, controller.PodID(pi))
	}
	return dst
}

// feed gives the controller one input now and applies its effects.
// Applying an effect never feeds the controller in turn, so one buffer
// serves every step.
func (s *Sim) feed(in controller.Input) {
	out, err := s.ctl.Step(s.Now(), in, s.effects[:0])
	s.applyStep(out, err)
}

// applyStep applies a step's effects in order, keeps their buffer for the
// next step, and stops the run at the step's error.
func (s *Sim) applyStep(out []controller.Effect, err error) {
	if err != nil {
		s.fail(err)
	}
	s.effects = out
	for i := range out {
		s.applyOne(&out[i])
	}
}

func (s *Sim) applyOne(e *controller.Effect) {
	switch e.Kind {
	case controller.Call:
		if e.Answer == nil {
			s.ec2.Do(s.Now(), *e.Request) // nobody hears the answer
			break
		}
		s.ec2.Call(s.Now(), e.Request, e.Answer)
		if s.left.live > 0 && e.Request.API == DeleteNetworkInterface && e.Answer.Err == nil {
			s.left.gone(e.Request.ENI, s.Now())
		}
		s.after(e.Answer.Latency, s.evAnswer, uint64(e.Timer))
	case controller.Wake:
		t := s.after(e.At-s.Now(), s.evController, uint64(e.Timer))
		if e.Timer.Cancellable() {
			if int(e.Node) >= len(s.sweepTimers) {
				s.sweepTimers = append(s.sweepTimers, make([]scheduler.Timer, int(e.Node)+1-len(s.sweepTimers))...)
			}
			s.sweepTimers[e.Node] = t
		}
	case controller.WakeIdle:
		// The resync or the ENI cleaner: they alone do not keep Run
		// going (see busy).
		s.noteIdle(s.after(e.At-s.Now(), s.evController, uint64(e.Timer)))
	case controller.Cancel:
		if int(e.Node) < len(s.sweepTimers) {
			s.cancel(s.sweepTimers[e.Node]) // a tick that has run is cancelled to no effect
		}
	case controller.Annotate:
		// The branch was bound just before the patch: count it in use.
		s.noteTrunk(s.nodes[e.Node], s.ctl.Trunk(e.Node))
		s.pods[e.Pod].annotatedOK = true
		s.kubeletAfterAnnotation(int32(e.Pod))
	case controller.NodeChanged:
		s.nodes[e.Node].ready = s.ctl.Advertised(e.Node)
		s.refit(int32(e.Node))
		s.noteTrunk(s.nodes[e.Node], s.ctl.Trunk(e.Node))
		if s.prov != nil {
			s.provNodeChanged(s.nodes[e.Node])
		}
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

// answered is the event of an EC2 answer arriving at the controller.
func (s *Sim) answered(arg uint64) {
	out, err := s.ctl.Answer(s.Now(), controller.Timer(arg), s.effects[:0])
	s.applyStep(out, err)
}

// wokeUp is the event of a wake-up the controller asked for.
func (s *Sim) wokeUp(arg uint64) {
	t := controller.Timer(arg)
	out, err := s.ctl.Wake(s.Now(), t, s.effects[:0])
	s.applyStep(out, err)
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
