package controller

import (
	"time"

	"github.com/trunksim/trunksim/fakeec2"
)

// kickSweep makes sure the node's delete queue is processed at its next
// sweep tick. Each node has one ProcessDeleteQueue job, which requeues
// itself SweepInterval after it finishes (provider.go, 30 s), so ticks
// fall every interval from the end of its last run (from the trunk's
// creation at first). A tick with nothing to delete has no effect, so
// only useful ticks are run.
func (c *Controller) kickSweep(ni NodeID) {
	n := &c.nodes[ni]
	if n.trunk == nil || n.sweeping {
		return // a running sweep kicks the next one when it ends
	}
	due, ok := n.trunk.NextCooled(c.cfg.CoolDown)
	if !ok {
		return
	}
	iv := c.cfg.SweepInterval
	at := n.sweepAt + iv
	if due > at {
		at += (due - at + iv - 1) / iv * iv
	}
	if at < c.now {
		at += (c.now - at + iv - 1) / iv * iv
	}
	if n.sweepSet {
		return // an earlier or equal tick is already set
	}
	n.sweepSet = true
	c.emit(Effect{Kind: Wake, At: at, Timer: timer(tSweep, int32(ni)), Node: ni})
}

// cancelSweep drops the node's sweep tick, if one is set.
func (c *Controller) cancelSweep(ni NodeID) {
	n := &c.nodes[ni]
	if n.sweepSet {
		n.sweepSet = false
		c.emit(Effect{Kind: Cancel, Timer: timer(tSweep, int32(ni)), Node: ni})
	}
	n.sweeping = false
}

func (c *Controller) sweepTick(ni NodeID) {
	n := &c.nodes[ni]
	if n.trunk == nil {
		return
	}
	n.sweeping = true
	c.submitNew(jobSweep, -1, ni)
}

// sweepDone ends node ni's sweep job: the next tick counts from now.
func (c *Controller) sweepDone(ni NodeID) {
	n := &c.nodes[ni]
	n.sweeping, n.sweepAt = false, c.now
	c.kickSweep(ni)
}

// wipe is the NodeDelete job: with NodeDeletionWipe, every branch left
// on the trunk, cool-down or not (master b8d4251: manager.go DeleteNode,
// provider.go DeleteNode, trunk.go DeleteAllBranchENIs); with
// NodeDeletionRelease, only the trunk's removal from the cache.
func (c *Controller) wipe(ni NodeID) {
	n := &c.nodes[ni]
	n.wipeSet = false
	if n.trunk == nil {
		return
	}
	if c.cfg.NodeDeletion == NodeDeletionRelease {
		// provider.go DeleteNode (v1.8.2): the trunk leaves the cache and
		// nothing is deleted; a sweep under way stops at its next ENI.
		n.trunk, n.advertised = nil, false
		c.nodeChanged(ni)
		c.cancelSweep(ni)
		return
	}
	left := n.trunk.Wipe()
	n.trunk, n.advertised = nil, false
	c.nodeChanged(ni)
	c.cancelSweep(ni)
	if len(left) > 0 {
		c.submit(c.newJob(jobWipe, -1, ni, &c.branchPool, left))
	}
}

// Stages of a sweep or wipe: for each ENI, disassociate then delete.
const (
	dNext uint8 = iota
	dDisassociated
	dDeleted
)

func (c *Controller) stepSweep(j int32) {
	jb := c.jobs[j]
	n := &c.nodes[jb.node]
	switch jb.stage {
	case dNext:
		if n.trunk == nil {
			n.sweeping = false
			c.finish(j)
			return
		}
		jb.del = n.trunk.AppendSweep(jb.del[:0], c.now, c.cfg.CoolDown)
		c.branchesChanged(jb.node)
		jb.di = 0
		if len(jb.del) == 0 {
			ni := jb.node
			c.finish(j) // clears *jb
			c.sweepDone(ni)
			return
		}
		c.deleteNext(j)
	default:
		c.stepDelete(j)
	}
}

func (c *Controller) stepWipe(j int32) {
	jb := c.jobs[j]
	if jb.stage != dNext {
		c.stepDelete(j)
		return
	}
	if len(jb.del) == 0 {
		c.finish(j)
		return
	}
	c.deleteNext(j)
}

// stepDelete goes on with deleting a sweep's or wipe's current ENI.
func (c *Controller) stepDelete(j int32) {
	switch c.jobs[j].stage {
	case dDisassociated:
		c.call(j, fakeec2.DeleteNetworkInterface)
	case dDeleted:
		c.deleteDone(j)
	}
}

// deleteNext disassociates the job's current ENI, or skips straight to the
// delete when no association is known (trunk.go deleteENI).
func (c *Controller) deleteNext(j int32) {
	jb := c.jobs[j]
	b := jb.del[jb.di]
	jb.eni, jb.assoc, jb.tries = b.ENI, b.Association, 0
	if jb.assoc == "" {
		jb.stage = dDisassociated
		c.call(j, fakeec2.DeleteNetworkInterface)
		return
	}
	jb.stage = dNext
	c.call(j, fakeec2.DisassociateTrunkInterface) // errors are logged and ignored
}

// deleteRetries is how many times the helper retries a failed
// DeleteNetworkInterface after the first attempt (pkg/aws/ec2/api/helper.go
// defaultBackOff through client-go retry.OnError: 7 steps, but the sixth
// delay, 24.3 s, is over the 10 s cap, which ends the steps; so 5 attempts).
const deleteRetries = 4

// deleteBackoff sleeps before the helper's next DeleteNetworkInterface
// attempt: 100 ms tripling, each sleep stretched by up to 10 % (helper.go
// defaultBackOff and its Jitter); the fifth failure is followed by the
// sleep wait.Backoff takes before it finds its steps spent (8.1 s), after
// which the error is handled: about 12.1 s of sleeps in all.
func (c *Controller) deleteBackoff(j int32) {
	jb := c.jobs[j]
	jb.tries++
	delay := 100 * time.Millisecond
	for range jb.tries - 1 {
		delay *= 3
	}
	delay = min(delay, 10*time.Second)
	delay += time.Duration(c.rng.Float64() * 0.1 * float64(delay))
	if jb.tries > deleteRetries {
		c.wake(delay, timer(tStep, j)) // back to deleteDone, with the same answer
		return
	}
	jb.stage = dDisassociated
	c.wake(delay, timer(tRetryCall, j))
}

// deleteDone handles a DeleteNetworkInterface answer. The helper retries
// any error; NotFound counts as deleted.
func (c *Controller) deleteDone(j int32) {
	jb := c.jobs[j]
	ae := fakeec2.AsAPIError(jb.ans.Err)
	ok := jb.ans.Err == nil || (ae != nil && ae.Code == fakeec2.CodeENINotFound)
	if !ok && jb.tries <= deleteRetries {
		c.deleteBackoff(j)
		return
	}
	if jb.kind == jobWipe {
		if jb.ans.Err == nil { // NotFound: someone else deleted it
			c.stats.BranchesDeleted++
		}
		jb.di++
		if jb.di < len(jb.del) {
			c.deleteNext(j)
			return
		}
		c.finish(j)
		return
	}
	c.sweptOne(jb, ok)
	n := &c.nodes[jb.node]
	jb.di++
	if jb.di < len(jb.del) && n.trunk != nil {
		c.deleteNext(j)
		return
	}
	ni := jb.node
	c.finish(j) // clears *jb
	c.sweepDone(ni)
	c.emit(Effect{Kind: Reschedule})
}

// sweptOne tells the trunk how deleting the sweep's current ENI went.
func (c *Controller) sweptOne(jb *job, ok bool) {
	n := &c.nodes[jb.node]
	if n.trunk == nil {
		return
	}
	switch {
	case ok:
		// Deleted cannot fail: the sweep took the ENI from this trunk's
		// queue, and only this job deletes it.
		c.must(n.trunk.Deleted(jb.eni))
		if jb.ans.Err == nil {
			c.stats.BranchesDeleted++
		}
	default:
		forgotten, err := n.trunk.DeleteFailed(jb.eni)
		c.must(err) // as for Deleted
		if forgotten {
			c.nodeEvent(jb.node, Event{Reason: BranchENILeaked, ENI: jb.eni})
			break
		}
		// trunk.go DeleteCooledDownENIs retries the head in the same
		// pass: it is back at the head of the queue, still cooled, and
		// goes next, before the rest of this batch.
		rest := append(c.spareDel[:0], jb.del[jb.di+1:]...)
		jb.del = append(n.trunk.AppendSweep(jb.del[:jb.di+1], c.now, c.cfg.CoolDown), rest...)
		c.spareDel = rest[:0]
	}
	c.branchesChanged(jb.node)
}
