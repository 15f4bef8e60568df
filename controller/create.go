package controller

import (
	"errors"
	"fmt"
	"time"

	"github.com/trunksim/trunksim/fakeec2"
	"github.com/trunksim/trunksim/trunk"
)

// enqueueCreate hands a pod to the branch provider after delay. One job
// per pod at a time, as the workqueue coalesces identical items.
func (c *Controller) enqueueCreate(pi PodID, delay time.Duration) {
	p := c.pod(pi)
	if p.job != noJob || !p.pending() {
		return
	}
	if delay == 0 {
		c.submitNew(jobCreate, pi, p.node)
		return
	}
	j := c.newJob(jobCreate, pi, p.node, &c.branchPool, nil)
	p.job = j
	c.wake(delay, timer(tSubmit, j))
}

// Stages of a Create job (provider.go CreateAndAnnotateResources,
// trunk.go CreateAndAssociateBranchENIs).
const (
	cStart uint8 = iota
	cGot         // pod read from the API server
	cCreated
	cPermitted
	cAssociated
	cAnnotated
)

func (c *Controller) stepCreate(j int32) {
	jb := c.jobs[j]
	p := c.pod(jb.pod)
	n := &c.nodes[jb.node]
	if jb.stage >= cCreated && n.trunk == nil {
		// The node was deleted and its trunk wiped while the branch was
		// being made. Upstream's job holds the dropped trunk object, so
		// whatever it made is tracked by no one: an ENI already created
		// leaks, as upstream's does, until EC2-side cleanup.
		c.endCreate(j, nil)
		return
	}
	switch jb.stage {
	case cStart:
		p.parts.Queue += c.now - jb.mark
		if !p.pending() || p.node != jb.node || p.annotated {
			c.endCreate(j, nil)
			return
		}
		c.apiCall(j, &c.clientset) // GET the pod from the API server
	case cGot:
		c.reserve(j)
	case cCreated:
		if jb.ans.Err != nil {
			// Unreserve cannot fail here: the reservation was made by this
			// job, and nothing else releases a reserved, unbound slot.
			c.must(n.trunk.Unreserve(p.uid))
			c.branchesChanged(jb.node)
			c.endCreate(j, jb.ans.Err)
			return
		}
		c.stats.BranchesCreated++
		c.call(j, fakeec2.CreateNetworkInterfacePermission)
	case cPermitted:
		if jb.ans.Err != nil {
			c.abort(j)
			return
		}
		c.call(j, fakeec2.AssociateTrunkInterface)
	case cAssociated:
		if jb.ans.Err != nil {
			c.abort(j)
			return
		}
		if err := n.trunk.Bind(p.uid, jb.eni, jb.assoc); err != nil {
			c.endCreate(j, err)
			return
		}
		c.apiCall(j, &c.podPatch) // PATCH the pod annotation
	case cAnnotated:
		c.annotate(j)
	}
}

// reserve resolves the pod's groups and takes a VLAN on its trunk, or
// requeues the pod at the capacity gate.
func (c *Controller) reserve(j int32) {
	jb := c.jobs[j]
	p := c.pod(jb.pod)
	n := &c.nodes[jb.node]
	if p.pending() && n.trunk == nil && !n.gone {
		// The pod reconciler requeues a pod whose node is not yet ready
		// (or not managed, while the pod asks for pod-eni) every second,
		// silently, before the branch provider sees it
		// (controllers/core/pod_controller.go PodRequeueRequest, from
		// v1.6.0, PR #463).
		pi := jb.pod
		c.endCreate(j, nil)
		p.wait = WaitNode
		c.enqueueCreate(pi, time.Second)
		return
	}
	if !p.pending() || n.trunk == nil {
		if p.pending() {
			c.endCreate(j, fmt.Errorf("trunk of node %s not in cache", n.name))
			return
		}
		c.endCreate(j, nil)
		return
	}
	groups, names, matched := c.lister.SecurityGroups(jb.pod)
	if !matched {
		// trunk.go CreateAndAssociateBranchENIs: no match now means the
		// branch gets the instance's groups and a Warning.
		c.podEvent(jb.pod, Event{Reason: NoPolicyMatched})
	} else {
		c.podEvent(jb.pod, Event{Reason: SecurityGroupRequested, Groups: names})
	}
	jb.groups = groups
	vlan, err := n.trunk.Reserve(p.uid)
	if errors.Is(err, trunk.ErrNoCapacity) {
		// Requeued after one cool-down, silently, no retry consumed.
		p.waitCap, p.wait = true, WaitCapacity
		p.mark = c.now
		c.stats.CapacityRequeues++
		pi := jb.pod
		c.endCreate(j, nil)
		c.enqueueCreate(pi, c.cfg.CoolDown)
		return
	}
	if err != nil {
		c.endCreate(j, err)
		return
	}
	if p.waitCap {
		p.parts.Capacity += c.now - p.mark
		p.waitCap = false
	}
	jb.vlan = vlan
	c.branchesChanged(jb.node)
	c.call(j, fakeec2.CreateNetworkInterface)
}

// annotate ends a Create job whose branch is bound: the pod is annotated,
// or, when it went meanwhile, the branch goes to the head of the delete
// queue.
func (c *Controller) annotate(j int32) {
	jb := c.jobs[j]
	p := c.pod(jb.pod)
	n := &c.nodes[jb.node]
	if !p.pending() || p.node != jb.node {
		// The pod went away while its branch was being made: the
		// annotation fails and the ENI is queued for deletion at once.
		c.podEvent(jb.pod, Event{Reason: BranchENIAnnotationFailed})
		// If the pod ended after its branch was bound, PodEnded already
		// queued the branch for its cool-down; the trunk holds nothing
		// more to abort.
		if n.trunk != nil {
			if _, held := n.trunk.Pod(p.uid); held {
				c.abortBranch(jb)
			}
		}
		c.endCreate(j, nil)
		return
	}
	p.eni, p.vlan, p.groups, p.annotated = jb.eni, jb.vlan, jb.groups, true
	c.podEvent(jb.pod, Event{Reason: ResourceAllocated, ENI: jb.eni, VLAN: jb.vlan})
	pi := jb.pod
	c.endCreate(j, nil)
	c.emit(Effect{Kind: Annotate, Pod: pi, Node: p.node})
}

// abort handles a failure after the ENI was created: it goes to the head
// of the delete queue with no cool-down (trunk.go, on any error in
// CreateAndAssociateBranchENIs).
func (c *Controller) abort(j int32) {
	jb := c.jobs[j]
	if c.nodes[jb.node].trunk != nil {
		c.abortBranch(jb)
	}
	c.endCreate(j, jb.ans.Err)
}

// abortBranch queues the job's branch for deletion first, with no
// cool-down.
func (c *Controller) abortBranch(jb *job) {
	// Abort cannot fail here: the job holds the pod's reservation, bound
	// or not, on this very trunk (a wiped trunk is nil, checked before).
	c.must(c.nodes[jb.node].trunk.Abort(c.pod(jb.pod).uid, jb.eni))
	c.branchesChanged(jb.node)
	c.kickSweep(jb.node)
}

// endCreate ends a Create job; err non-nil is a failed attempt, retried
// with the workqueue's per-item back-off (5 ms doubling) up to MaxRetries
// times, then dropped until the next resync (pkg/worker/worker.go).
func (c *Controller) endCreate(j int32, err error) {
	pi := c.jobs[j].pod
	p := c.pod(pi)
	p.job = noJob
	c.finish(j)
	if err == nil {
		return
	}
	c.podEvent(pi, Event{Reason: BranchAllocationFailed, Err: err})
	p.wait = WaitFailed
	if c.podErrs == nil {
		c.podErrs = make(map[PodID]error)
	}
	c.podErrs[pi] = err
	if int(p.failures) >= c.cfg.MaxRetries {
		p.dropped, p.wait = true, WaitDropped
		c.droppedPods = append(c.droppedPods, pi)
		p.failures = 0
		return
	}
	backoff := 5 * time.Millisecond << p.failures
	p.failures++
	p.parts.Queue += backoff
	c.enqueueCreate(pi, backoff)
}
