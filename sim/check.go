package sim

import (
	"errors"
	"fmt"

	"github.com/trunksim/trunksim/controller"
)

// ErrInvariant is wrapped by every *InvariantError.
var ErrInvariant = errors.New("invariant violated")

// ErrLeak is also wrapped by an *InvariantError about a leaked ENI, so
// callers can tell the leaks upstream itself has (an ENI forgotten after
// failed deletes) from broken state.
var ErrLeak = errors.New("leaked ENI")

// InvariantError is one violated invariant, naming the object.
type InvariantError struct {
	Object string
	What   string
	Leak   bool
}

func (e *InvariantError) Error() string { return fmt.Sprintf("sim: %s: %s", e.Object, e.What) }

// Unwrap returns ErrInvariant, and ErrLeak for a leak.
func (e *InvariantError) Unwrap() []error {
	if e.Leak {
		return []error{ErrInvariant, ErrLeak}
	}
	return []error{ErrInvariant}
}

// Check verifies the simulation's invariants at this moment and returns
// every violation (joined), or nil:
//   - no trunk holds more branches, in use and cooling, than its limit;
//     VLANs are unique and in range on each trunk (trunk.Trunk.Check);
//   - every running pod that needed a branch has exactly one, known to its
//     trunk and to EC2, with exactly the groups resolved for it;
//   - no associated branch points at a trunk EC2 does not have;
//   - once nothing is in flight, EC2 holds no branch that no trunk tracks.
func (s *Sim) Check() error {
	var errs []error
	bad := func(obj, format string, args ...any) {
		errs = append(errs, &InvariantError{obj, fmt.Sprintf(format, args...), false})
	}
	for ni, n := range s.nodes {
		t := s.ctl.Trunk(controller.NodeID(ni))
		if t == nil {
			continue
		}
		if err := t.Check(); err != nil {
			bad("node/"+n.name, "%v", err)
		}
	}
	for pi, p := range s.pods {
		if p.phase != Running || !p.needsBranch {
			continue
		}
		n := s.nodes[p.node]
		eni, vlan, groups, _ := s.ctl.Annotation(controller.PodID(pi))
		// With no trunk in the controller's cache (being re-initialised
		// after a restart, or its Init failed until the next resync) the
		// pod keeps its branch; only EC2 can vouch for it.
		if s.ctl.Trunk(controller.NodeID(p.node)) != nil {
			b, ok := s.ctl.Branch(controller.PodID(pi))
			if !ok {
				bad("pod/"+p.key, "running without a branch ENI on %s", n.name)
				continue
			}
			if b.ENI != eni || b.VLAN != vlan {
				bad("pod/"+p.key, "annotated %v vlan %d but trunk has %v vlan %d", eni, vlan, b.ENI, b.VLAN)
			}
		}
		e, ok := s.ec2.Lookup(eni)
		switch {
		case !ok:
			bad("pod/"+p.key, "branch %v missing from EC2", eni)
		case e.Groups != groups:
			bad("pod/"+p.key, "branch %v has groups %v, resolved %v", eni, e.Groups, groups)
		}
	}
	for _, e := range s.ec2.Interfaces() {
		if e.Kind == BranchInterface && e.Association != "" {
			if _, ok := s.ec2.Lookup(e.Trunk); !ok {
				bad("eni/"+e.ID.String(), "associated with trunk %v, which does not exist", e.Trunk)
			}
		}
	}
	untold := 0
	for _, p := range s.pods {
		if p.phase == Pending && p.node < 0 && !p.toldUnfit {
			untold++
			if !s.busy() {
				bad("pod/"+p.ns()+"/"+p.name(), "pending unscheduled with no FailedScheduling event")
			}
		}
	}
	if untold != s.untold {
		bad("scheduler", "%d pending pods lack a FailedScheduling event, but %d are counted", untold, s.untold)
	}
	// A rolling update works from its workload's counts and queues, not
	// from its pods: they must agree.
	live, running := make([][2]int, len(s.workloads)), make([][2]int, len(s.workloads))
	queued := 0
	for _, p := range s.pods {
		if p.workload >= 0 && p.live() {
			r := s.workloads[p.workload].rev(p)
			live[p.workload][r]++
			if p.phase == Running {
				running[p.workload][r]++
			}
		}
		if p.phase == Pending && p.node < 0 {
			queued++
		}
	}
	for wi, w := range s.workloads {
		if w.live != live[wi] || w.running != running[wi] {
			bad("workload/"+w.spec.Namespace+"/"+w.spec.Name, "counts %v pods live and %v running (old, current revision), but %v and %v are",
				w.live, w.running, live[wi], running[wi])
		}
		for _, pi := range w.pods[w.firstNew:] {
			if p := s.pods[pi]; p.revision != w.revision {
				bad("pod/"+p.key, "of revision %d among the current revision %d's", p.revision, w.revision)
			}
		}
	}
	inQueues := 0
	for c := range s.pending {
		q := &s.pending[c]
		for _, pi := range q.pods[q.head:] {
			if p := s.pods[pi]; p.phase == Pending && p.node < 0 {
				inQueues++
			}
		}
	}
	if inQueues != queued {
		bad("scheduler", "%d pods wait unscheduled, but %d are in the scheduler's queues", queued, inQueues)
	}
	if !s.busy() {
		for _, e := range s.leakedENIs() {
			errs = append(errs, &InvariantError{"eni/" + e.ID.String(),
				fmt.Sprintf("branch ENI leaked: in EC2 but tracked by no trunk (node %s, vlan %d)", e.Instance, e.VLAN), true})
		}
	}
	return errors.Join(errs...)
}
