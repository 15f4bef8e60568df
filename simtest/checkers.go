package simtest

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/sim"
)

// Violation is one broken invariant: which checker found it, about which
// object, at what virtual time, and what is wrong.
type Violation struct {
	// Invariant names the checker, such as "sim" or "trace".
	Invariant string
	// Object is what the violation is about, such as "pod/default/p3",
	// "eni/eni-00000000000000004" or "node/ng0-1".
	Object string
	// At is the virtual time of the check, or of the event at fault for
	// checkers over a trace.
	At time.Duration
	// What says what is wrong.
	What string
	// Leak is set for a branch ENI left in EC2 that no trunk tracks.
	Leak bool
	// Upstream, when not empty, says why upstream behaves the same way:
	// the simulator reproduces the behaviour rather than getting it wrong,
	// and the harness does not fail on it (it reports it).
	Upstream string
}

// String renders the violation on one line.
func (v Violation) String() string {
	s := fmt.Sprintf("[%s] %v %s: %s", v.Invariant, v.At, v.Object, v.What)
	if v.Upstream != "" {
		s += " (as upstream: " + v.Upstream + ")"
	}
	return s
}

// Unexplained returns the violations that upstream does not share, in
// order.
func Unexplained(vs []Violation) []Violation {
	var out []Violation
	for _, v := range vs {
		if v.Upstream == "" {
			out = append(out, v)
		}
	}
	return out
}

// Why upstream shares a leak; each names the upstream code.
const (
	upstreamForgotten = "the controller forgets a branch ENI after 3 failed deletes (trunk.go DeleteCooledDownENIs) and leaves it to the cluster ENI cleaner"
	upstreamNodeGone  = "the ENI belongs to a deleted node whose trunk the NodeDelete job already dropped; the node-termination or cluster ENI cleaner deletes it (manager.go DeleteNode, node_cleanup.go)"
	upstreamNotInited = "the node's trunk is not initialised; its branches are found again as orphans at the next successful init (trunk.go InitTrunk)"
)

// explainLeak says why upstream would leak this ENI too, or "".
func explainLeak(s *sim.Sim, v *View, id branch.ENIID) string {
	if _, ok := v.Leaked[id]; ok {
		return upstreamForgotten
	}
	e, ok := s.EC2().Lookup(id)
	if !ok {
		return ""
	}
	if n, ok := v.Node(e.Instance); ok {
		switch {
		case n.Gone:
			return upstreamNodeGone
		case !n.Ready && len(n.Explanations) > 0:
			return upstreamNotInited
		}
	}
	return ""
}

// CheckSim runs the simulation's own invariant check (sim.Sim.Check) and
// turns each violation into a [Violation]; leaks that upstream shares are
// marked so, using the trace's view to tell why.
func CheckSim(s *sim.Sim, v *View) []Violation {
	err := s.Check()
	if err == nil {
		return nil
	}
	errs := []error{err}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		errs = joined.Unwrap()
	}
	var out []Violation
	for _, e := range errs {
		var ie *sim.InvariantError
		if !errors.As(e, &ie) {
			out = append(out, Violation{Invariant: "sim", At: s.Now(), What: e.Error()})
			continue
		}
		vi := Violation{Invariant: "sim", Object: ie.Object, At: s.Now(), What: ie.What, Leak: errors.Is(e, sim.ErrLeak)}
		if vi.Leak {
			if id, err := branch.ParseENIID(strings.TrimPrefix(ie.Object, "eni/")); err == nil {
				vi.Upstream = explainLeak(s, v, id)
			}
		}
		out = append(out, vi)
	}
	return out
}

// CheckTrace checks what a trace alone must satisfy:
//   - time never goes backwards;
//   - a pod that requested a branch runs only after the controller
//     annotated it, and a pod that did not is never given one;
//   - a pod is annotated at most once;
//   - no two live pods hold the same branch ENI, nor the same VLAN on one
//     node.
func CheckTrace(events []TraceEvent) []Violation {
	var out []Violation
	bad := func(ev TraceEvent, format string, args ...any) {
		out = append(out, Violation{Invariant: "trace", Object: ev.Object, At: ev.At, What: fmt.Sprintf(format, args...)})
	}
	v := &View{pods: map[string]*TracedPod{}, nodes: map[string]*TracedNode{}, Leaked: map[branch.ENIID]TraceEvent{}}
	type vlanKey struct {
		node string
		vlan branch.VLAN
	}
	eniHolder := map[branch.ENIID]*TracedPod{}
	vlanHolder := map[vlanKey]*TracedPod{}
	release := func(p *TracedPod) {
		if eniHolder[p.ENI] == p {
			delete(eniHolder, p.ENI)
		}
		if k := (vlanKey{p.Node, p.VLAN}); vlanHolder[k] == p {
			delete(vlanHolder, k)
		}
	}
	var last time.Duration
	for _, ev := range events {
		if ev.At < last {
			bad(ev, "time went back from %v to %v", last, ev.At)
		}
		last = max(last, ev.At)
		key, isPod := strings.CutPrefix(ev.Object, "pod/")
		var before TracedPod
		p, known := v.pods[key]
		if isPod && known {
			before = *p
		}
		v.apply(ev)
		if !isPod || ev.Event == "PodCreated" {
			continue
		}
		if !known {
			continue
		}
		switch ev.Event {
		case "PodRunning":
			if p.NeedsBranch && !p.ENI.IsValid() {
				bad(ev, "running without the branch ENI annotation it requested")
			}
		case "SecurityGroupRequested":
			if !p.NeedsBranch {
				bad(ev, "the controller resolved groups for a pod that requested no branch")
			}
		case "ResourceAllocated":
			switch {
			case !p.NeedsBranch:
				bad(ev, "annotated with a branch ENI it did not request")
			case before.ENI.IsValid():
				bad(ev, "annotated twice: %v, then %v", before.ENI, p.ENI)
			case !p.ENI.IsValid() || !p.VLAN.IsValid():
				bad(ev, "annotation %q does not name an ENI and a VLAN", ev.Message())
			case !p.Live():
				// Annotated after it ended: the controller's PATCH fails
				// instead; nothing to hold.
				bad(ev, "annotated after it ended")
			default:
				if q := eniHolder[p.ENI]; q != nil && q != p {
					bad(ev, "branch %v already held by live pod %s", p.ENI, q.Key())
				}
				if q := vlanHolder[vlanKey{p.Node, p.VLAN}]; q != nil && q != p {
					bad(ev, "VLAN %d on %s already held by live pod %s", p.VLAN, p.Node, q.Key())
				}
				eniHolder[p.ENI] = p
				vlanHolder[vlanKey{p.Node, p.VLAN}] = p
			}
		case "PodAlreadyRunning":
			if p.ENI.IsValid() {
				if q := eniHolder[p.ENI]; q != nil && q != p {
					bad(ev, "branch %v already held by live pod %s", p.ENI, q.Key())
				}
				if q := vlanHolder[vlanKey{p.Node, p.VLAN}]; q != nil && q != p {
					bad(ev, "VLAN %d on %s already held by live pod %s", p.VLAN, p.Node, q.Key())
				}
				eniHolder[p.ENI] = p
				vlanHolder[vlanKey{p.Node, p.VLAN}] = p
			}
		case "PodDeleted", "PodSucceeded":
			if p.ENI.IsValid() {
				release(p)
			}
		}
	}
	return out
}

// CheckGroups checks every running pod that requested a branch against
// EC2: its annotated branch ENI exists, sits on its node with its VLAN,
// and carries exactly the groups the controller resolved for the pod.
func CheckGroups(v *View, ec2 *sim.FakeEC2) []Violation {
	var out []Violation
	for _, p := range v.Pods {
		if p.Phase != sim.Running || !p.NeedsBranch {
			continue
		}
		bad := func(format string, args ...any) {
			out = append(out, Violation{Invariant: "groups", Object: "pod/" + p.Key(), At: p.AllocatedAt, What: fmt.Sprintf(format, args...)})
		}
		e, ok := ec2.Lookup(p.ENI)
		switch {
		case !ok:
			bad("running with branch %v, which EC2 does not have", p.ENI)
		case e.Kind != sim.BranchInterface:
			bad("annotated with %v, which is not a branch ENI", p.ENI)
		case e.Instance != p.Node || e.VLAN != p.VLAN:
			bad("branch %v is on %s VLAN %d, annotation says %s VLAN %d", p.ENI, e.Instance, e.VLAN, p.Node, p.VLAN)
		case e.Groups != p.Requested:
			bad("branch %v carries %v; the controller resolved %v", p.ENI, e.Groups, p.Requested)
		}
	}
	return out
}

// CheckIdle checks a simulation that has run idle (sim.Sim.Run returned):
//   - every branch ENI in EC2 belongs to a live pod; the others are leaks,
//     marked as upstream's when upstream leaks them too;
//   - every live pod is accounted for: running, or pending with a reason
//     someone can read. A pod no node took needs the scheduler's reason in
//     its status; a scheduled pod needs a Warning event of its own, or its
//     node must be without a trunk and say why in an event.
func CheckIdle(s *sim.Sim, v *View) []Violation {
	var out []Violation
	held := map[branch.ENIID]bool{}
	for _, p := range v.Pods {
		if p.Live() && p.ENI.IsValid() {
			held[p.ENI] = true
		}
	}
	for _, e := range s.EC2().Interfaces() {
		if e.Kind != sim.BranchInterface || held[e.ID] {
			continue
		}
		out = append(out, Violation{Invariant: "idle", Object: "eni/" + e.ID.String(), At: s.Now(), Leak: true,
			What:     fmt.Sprintf("branch ENI left in EC2 on %s VLAN %d, held by no live pod, after the run went idle", e.Instance, e.VLAN),
			Upstream: explainLeak(s, v, e.ID)})
	}
	for _, p := range v.Pods {
		if p.Phase != sim.Pending {
			continue
		}
		bad := func(what string) {
			out = append(out, Violation{Invariant: "idle", Object: "pod/" + p.Key(), At: s.Now(), What: what})
		}
		switch {
		case p.Node == "":
			// The simulator emits no FailedScheduling event; the pod's
			// status carries the scheduler's reason instead.
			if st, ok := s.Pod(p.Namespace, p.Name); !ok || st.Reason == "" {
				bad("pending and unscheduled, with no scheduling reason")
			}
		case len(p.Warnings) > 0:
		default:
			n, ok := v.Node(p.Node)
			if !ok || n.Ready || len(n.Explanations) == 0 {
				bad(fmt.Sprintf("pending on %s after the run went idle, with no event saying why", p.Node))
			}
		}
	}
	return out
}

// sortViolations orders violations by time, then object, so reports are
// stable.
func sortViolations(vs []Violation) {
	sort.SliceStable(vs, func(i, j int) bool {
		if vs[i].At != vs[j].At {
			return vs[i].At < vs[j].At
		}
		return vs[i].Object < vs[j].Object
	})
}
