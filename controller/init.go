package controller

import (
	"errors"
	"slices"
	"time"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/fakeec2"
	"github.com/trunksim/trunksim/trunk"
)

func (c *Controller) startInit(ni NodeID) {
	c.nodes[ni].initing = true
	c.submit(c.newJob(jobInit, -1, ni, &c.nodePool, nil))
}

// Stages of a node Init (instance.go LoadDetails, trunk.go InitTrunk,
// helper.go CreateAndAttachNetworkInterface): DescribeInstances,
// DescribeSubnets, DescribeInstances for the interfaces, then a new trunk:
// Create, Permission, Attach, Modify (DeleteOnTermination), and
// DescribeNetworkInterfaces polls until attached.
const (
	iStart uint8 = iota
	iDescribed
	iSubnets
	iInterfaces
	iCreated
	iPermitted
	iAttached
	iModified
	iPolled
	iAdvertised
)

// maxAttachPolls is how many times Init polls a new trunk's attachment
// (helper.go waitForENIAttachment: 1 s doubling, 7 steps).
const maxAttachPolls = 6

func (c *Controller) stepInit(j int32) {
	jb := c.jobs[j]
	n := &c.nodes[jb.node]
	if n.gone {
		c.endInit(j, nil)
		return
	}
	if jb.ans.Err != nil && jb.stage > iStart {
		c.endInit(j, jb.ans.Err)
		return
	}
	switch jb.stage {
	case iStart, iSubnets:
		c.call(j, fakeec2.DescribeInstances)
	case iDescribed:
		c.call(j, fakeec2.DescribeSubnets)
	case iInterfaces:
		if n.trunkID.IsValid() {
			// The trunk survived a controller restart: check it is
			// attached, then rebuild its branches.
			jb.existing = true
			jb.stage = iModified
			c.call(j, fakeec2.DescribeNetworkInterfaces)
			return
		}
		c.call(j, fakeec2.CreateNetworkInterface)
	case iCreated:
		c.call(j, fakeec2.CreateNetworkInterfacePermission)
	case iPermitted:
		c.call(j, fakeec2.AttachNetworkInterface)
	case iAttached:
		n.trunkID = jb.eni // from now on DescribeInstances shows it
		c.call(j, fakeec2.ModifyNetworkInterfaceAttribute)
	case iModified:
		c.call(j, fakeec2.DescribeNetworkInterfaces)
	case iPolled:
		c.polled(j)
	case iAdvertised:
		c.advertised(j)
	}
}

// polled goes on from a DescribeNetworkInterfaces answer: poll again
// while a new trunk is not attached, list an existing trunk's branches,
// then build the trunk and advertise it.
func (c *Controller) polled(j int32) {
	jb := c.jobs[j]
	n := &c.nodes[jb.node]
	if !jb.existing && !jb.attached {
		if jb.polls >= maxAttachPolls {
			c.endInit(j, errors.New("trunk ENI did not reach attached"))
			return
		}
		delay := time.Second << jb.polls
		jb.polls++
		jb.stage = iModified
		c.wake(delay, timer(tStep, j))
		return
	}
	if jb.existing && !jb.listing {
		// helper.go GetBranchNetworkInterface: DescribeNetworkInterfaces
		// filtered by the trunk's tag lists its branches.
		jb.listing = true
		jb.stage = iModified
		c.call(j, fakeec2.DescribeNetworkInterfaces)
		return
	}
	t, err := trunk.New(n.name, n.typ, n.os)
	if err != nil {
		c.endInit(j, err)
		return
	}
	if jb.existing {
		if err := c.restoreTrunk(jb.node, t, jb.ans.Branches); err != nil {
			c.endInit(j, err)
			return
		}
	}
	n.trunk = t
	c.nodeChanged(jb.node)
	n.sweepAt = c.now
	c.apiCall(j, &c.nodePatch) // advertise vpc.amazonaws.com/pod-eni
}

// advertised ends a successful Init: pod-eni is advertised, and the
// node's pods waiting for a branch are handed to the branch provider.
func (c *Controller) advertised(j int32) {
	jb := c.jobs[j]
	ni := jb.node
	n := &c.nodes[ni]
	n.advertised = true
	c.nodeChanged(ni)
	if !jb.existing {
		c.stats.TrunksCreated++
		c.stats.TrunkReady = append(c.stats.TrunkReady, c.now-n.joined)
	}
	c.nodeEvent(ni, Event{Reason: NodeTrunkInitiated, ENI: n.trunkID, Capacity: n.typ.BranchInterfaces})
	c.endInit(j, nil) // clears *jb
	c.kickSweep(ni)
	c.emit(Effect{Kind: Reschedule})
	for _, pi := range c.boundPods(ni) {
		if c.pod(pi).pending() {
			c.enqueueCreate(pi, 0)
		}
	}
}

func (c *Controller) endInit(j int32, err error) {
	jb := c.jobs[j]
	ni := jb.node
	n := &c.nodes[ni]
	n.initing, n.unsynced = false, false
	if err != nil {
		if jb.eni.IsValid() && !jb.existing {
			// helper.go rolls back a half-made trunk.
			// The request outlives the job, which ends below; one Step
			// ends at most one Init, so one place for it is enough.
			c.rollback = fakeec2.Request{API: fakeec2.DeleteNetworkInterface, ENI: jb.eni}
			c.emit(Effect{Kind: Call, Client: UserClient, Node: ni, Request: &c.rollback})
			n.trunkID = branch.ENIID{}
		}
		if fakeec2.AsAPIError(err) != nil {
			c.nodeEvent(ni, Event{Reason: TrunkENICreationFailed, Err: err})
		}
		c.nodeEvent(ni, Event{Reason: NodeTrunkFailedInit, Err: err})
		// manager.go performAsyncOperation (v1.8.2) drops the node from
		// its cache, "retried for init on next event": the node
		// reconciler adds it again on the node's next update, which the
		// kubelet's status report makes at least every NodeEventInterval;
		// the resync retries too.
		if d := c.cfg.NodeEventInterval; d > 0 && !n.gone && !n.retrySet {
			n.retrySet = true
			c.wakeIdle(d, timer(tNodeEvent, int32(ni)))
		}
	}
	c.finish(j)
}

// nodeEventCame is a node's status update after its trunk init failed:
// the node reconciler finds it missing from the manager's cache and
// initialises it again (controllers/core/node_controller.go AddNode).
func (c *Controller) nodeEventCame(ni NodeID) {
	n := &c.nodes[ni]
	n.retrySet = false
	if n.known && !n.gone && n.trunk == nil && !n.initing && n.wantsTrunk && n.eligible {
		c.startInit(ni)
	}
}

// restoreTrunk rebuilds a trunk's state from the annotations of the
// node's pods and the branch ENIs EC2 listed on it; unclaimed branches
// are queued for deletion with the cool-down (trunk.go InitTrunk).
func (c *Controller) restoreTrunk(ni NodeID, t *trunk.Trunk, listed []fakeec2.Interface) error {
	n := &c.nodes[ni]
	inEC2 := make(map[branch.ENIID]string, len(listed)) // ENI -> association
	for _, e := range listed {
		inEC2[e.ID] = e.Association
	}
	var claims []trunk.Claim
	claimed := make(map[branch.ENIID]bool)
	pods := c.boundPods(ni)
	if n.unsynced {
		pods = nil // the datastore is not filled yet
	}
	for _, pi := range pods {
		p := c.pod(pi)
		if !p.annotated || p.ended {
			continue
		}
		assoc, ok := inEC2[p.eni]
		if !ok {
			continue // trunk.go: an annotated ENI missing from EC2 is skipped
		}
		claims = append(claims, trunk.Claim{Pod: p.uid, ENI: p.eni, VLAN: p.vlan, Association: assoc})
		claimed[p.eni] = true
	}
	var orphans []trunk.Branch
	for _, e := range listed {
		if e.Trunk == n.trunkID && !claimed[e.ID] {
			// No association: upstream's InitTrunk queues orphans as
			// ENIDetails without one, so deleteENI skips the Disassociate
			// (pkg/provider/branch/trunk/trunk.go, v1.8.2).
			orphans = append(orphans, trunk.Branch{ENI: e.ID, VLAN: e.VLAN})
		}
	}
	return t.Restore(claims, orphans, c.now)
}

// boundPods returns, in creation order, the pods bound to node ni,
// perhaps with some that have ended: callers check. It is a copy, so
// callers may change pods as they go.
func (c *Controller) boundPods(ni NodeID) []PodID {
	var out []PodID
	if c.podsOn != nil {
		out = c.podsOn.AppendPodsOn(ni, nil)
	} else {
		for pi, at := range c.podAt {
			if at != 0 {
				out = append(out, PodID(pi))
			}
		}
	}
	out = slices.DeleteFunc(out, func(pi PodID) bool { return !c.knownPod(pi) || c.pod(pi).node != ni })
	slices.Sort(out)
	return out
}

// resync replays every pod, as the informer's periodic resync does;
// dropped pods get their next attempt, and nodes whose Init failed are
// tried again.
func (c *Controller) resync() {
	c.emit(Effect{Kind: Resynced})
	// Only dropped pods are replayed to any effect; they are taken in
	// creation order, as a pass over every pod would take them.
	slices.Sort(c.droppedPods)
	for _, pi := range slices.Compact(c.droppedPods) {
		if p := c.pod(pi); p.dropped && p.pending() {
			p.dropped = false
			c.enqueueCreate(pi, 0)
		}
	}
	c.droppedPods = c.droppedPods[:0]
	for i := range c.nodes {
		if n := &c.nodes[i]; n.known && !n.gone && n.trunk == nil && !n.initing && n.wantsTrunk && n.eligible {
			c.startInit(NodeID(i))
		}
	}
	c.wakeIdle(c.cfg.Resync, timer(tResync, 0))
}

// restart models the controller process restarting: work in flight is
// lost, and every node is initialised again, rebuilding each trunk from
// the pods' annotations and the ENIs EC2 holds (trunk.go InitTrunk,
// provider.go InitResource).
func (c *Controller) restart() {
	c.generation++
	for _, q := range []*pool{&c.branchPool, &c.nodePool} {
		for _, w := range q.queue[q.head:] {
			if w.job != noJob {
				*c.jobs[w.job] = job{}
				c.freeJobs = append(c.freeJobs, w.job)
			}
		}
		q.drop()
	}
	// Jobs already running are cut off at their next step.
	for i := range c.jobs {
		if c.jobs[i].kind != 0 {
			c.jobs[i].gen = ^uint64(0)
		}
	}
	for _, b := range c.records {
		for i := range b {
			p := &b[i]
			p.job, p.failures, p.dropped, p.waitCap = noJob, 0, false, false
		}
	}
	c.droppedPods = c.droppedPods[:0]
	// The events queued for the broadcaster are lost with the process; a
	// write already waiting on the limiter is left to end.
	c.stats.EventsDropped += int(c.sink.queued)
	c.sink.queued = 0
	for i := range c.nodes {
		n := &c.nodes[i]
		if !n.known || n.gone {
			continue
		}
		n.trunk, n.advertised, n.initing = nil, false, false // a retry set stays set: its timer still comes
		n.unsynced = c.cfg.RestartSyncRace
		c.nodeChanged(NodeID(i))
		c.cancelSweep(NodeID(i))
		if n.wantsTrunk && n.eligible {
			c.startInit(NodeID(i))
		}
	}
	c.startCleaner() // its memory of what it saw is lost with the process
}
