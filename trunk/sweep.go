package trunk

import (
	"time"

	"github.com/trunksim/trunksim/branch"
)

// Sweep hands out the branches due for deletion at now, as the node's
// periodic ProcessDeleteQueue job does (trunk.go DeleteCooledDownENIs).
// It walks the delete queue from the head, taking every entry queued with
// no cool-down or whose cool-down has passed (now strictly after release
// + cool-down), and stops at the first entry still cooling, since later
// entries were queued later. coolDown goes through [ClampCoolDown].
//
// now counts as seen for later calls even when nothing is due. The
// returned branches are "deleting": out of the queue and, as
// upstream, no longer counted by the capacity gate, but still holding
// their VLAN IDs. Report each with [Trunk.Deleted] or
// [Trunk.DeleteFailed].
func (t *Trunk) Sweep(now, coolDown time.Duration) []Branch {
	return t.AppendSweep(nil, now, coolDown)
}

// AppendSweep is [Trunk.Sweep] appending to dst, for callers that reuse a
// buffer.
func (t *Trunk) AppendSweep(dst []Branch, now, coolDown time.Duration) []Branch {
	coolDown = ClampCoolDown(coolDown)
	t.latest = max(t.latest, now)
	for t.queue.len() > 0 {
		v := t.queue.at(0)
		if !t.slots[v].cooled(now, coolDown) {
			break
		}
		t.queue.popFront()
		t.slots[v].state = deleting
		t.deleting++
		dst = append(dst, t.branchAt(v))
	}
	return dst
}

// NextCooled returns the first instant at which [Trunk.Sweep] would take
// the head of the delete queue, given coolDown (through [ClampCoolDown]);
// zero for an entry queued with no cool-down. It reports false when the
// queue is empty. Only the head matters: a sweep stops there.
func (t *Trunk) NextCooled(coolDown time.Duration) (time.Duration, bool) {
	if t.queue.len() == 0 {
		return 0, false
	}
	head := &t.slots[t.queue.at(0)]
	if head.skipCoolDown {
		return 0, true
	}
	return cooledAt(head.releasedAt, ClampCoolDown(coolDown)), true
}

// Deleted reports that eni, handed out by [Trunk.Sweep], is gone: EC2
// deleted it or answered InvalidNetworkInterfaceID.NotFound. Its VLAN ID is
// free again (trunk.go deleteENI, freeVlanId). It fails with
// [ErrUnknownENI] when eni is not being deleted.
func (t *Trunk) Deleted(eni branch.ENIID) error {
	v, ok := t.withENI(eni)
	if !ok || t.slots[v].state != deleting {
		return &OpError{Op: "Deleted", Node: t.node, ENI: eni, Err: ErrUnknownENI}
	}
	t.deleting--
	t.vacate(v)
	return nil
}

// DeleteFailed reports that deleting eni, handed out by [Trunk.Sweep],
// failed. Its failure count goes up by one; below [MaxDeleteRetries] it
// returns to the head of the delete queue, where the same sweep may take
// it again, and counts against the limit once more. At MaxDeleteRetries
// it is forgotten: dropped from the queue with its VLAN ID still marked
// used, listed by [Trunk.Leaked], and forgotten is true (trunk.go
// DeleteCooledDownENIs, which leaves freeing the VLAN as a TODO). It fails
// with [ErrUnknownENI] when eni is not being deleted.
func (t *Trunk) DeleteFailed(eni branch.ENIID) (forgotten bool, err error) {
	v, ok := t.withENI(eni)
	if !ok || t.slots[v].state != deleting {
		return false, &OpError{Op: "DeleteFailed", Node: t.node, ENI: eni, Err: ErrUnknownENI}
	}
	t.deleting--
	s := &t.slots[v]
	s.deletes++
	if s.deletes >= MaxDeleteRetries {
		s.state = leaked
		t.leaked = append(t.leaked, v)
		return true, nil
	}
	s.state = queued
	t.queue.pushFront(v)
	return false, nil
}

// Wipe empties the trunk because its node is gone or no longer managed
// (trunk.go DeleteAllBranchENIs): it returns every branch ENI to delete,
// bound, queued or being deleted, sorted by VLAN ID and ignoring the
// cool-down, and frees every VLAN ID. Reservations have no ENI yet and are
// dropped; a later [Trunk.Bind], [Trunk.Unreserve] or [Trunk.Abort] for
// them fails with [ErrUnknownPod], and a later [Trunk.Deleted] or
// [Trunk.DeleteFailed] for a branch that was being deleted fails with
// [ErrUnknownENI]. Leaked branches are dropped without being returned:
// upstream had already forgotten them. The latest time seen is kept.
func (t *Trunk) Wipe() []Branch {
	out := t.appendIn(make([]Branch, 0, t.inUse+t.queue.len()+t.deleting), bound, queued, deleting)
	clear(t.slots)
	clear(t.enis)
	clear(t.keys)
	t.slots, t.enis, t.keys = t.slots[:0], t.enis[:0], t.keys[:0]
	t.inUse, t.present = 0, [64]uint8{}
	t.queue = ring{}
	t.deleting = 0
	t.leaked = nil
	t.restored = 0
	t.vlans = newVLANSet()
	return out
}
