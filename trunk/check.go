package trunk

import (
	"fmt"

	"github.com/trunksim/trunksim/branch"
)

// Check verifies the trunk's invariants and returns an
// [*InvariantError] describing the first one broken:
//
//   - in use + cooling stays within the limit, less any entries a failed
//     deletion put back into the queue: as upstream, a branch being
//     deleted does not count, so its slot may be taken before the deletion
//     fails and the branch returns;
//   - every reserved, bound, queued, deleting and leaked branch holds a
//     VLAN ID in 1..120 that no other branch holds, and no other VLAN ID
//     is marked used;
//   - every bound, queued, deleting and leaked branch has an ENI that no
//     other branch has, and reservations have none;
//   - every in-use branch is found by its pod's UID, every queued one is
//     in the delete queue once, and every leaked one is listed once;
//   - deletion failure counts lie below [MaxDeleteRetries], except for
//     leaked branches, which reached it;
//   - queued entries carry no time later than the latest seen, and the
//     entries queued with a cool-down and never retried are in time order.
//
// Problems are looked for in VLAN order, then queue order, so the one
// reported does not depend on map iteration.
func (t *Trunk) Check() error {
	fail := func(format string, args ...any) error {
		return &InvariantError{Node: t.node, Problem: fmt.Sprintf(format, args...)}
	}
	if len(t.slots) > vlanSlots {
		return fail("%d VLAN slots, at most %d exist", len(t.slots), vlanSlots)
	}
	if len(t.enis) != len(t.slots) || len(t.keys) != len(t.slots) {
		return fail("%d ENI entries and %d pod keys for %d VLAN slots", len(t.enis), len(t.keys), len(t.slots))
	}
	var count [leaked + 1]int
	var present [64]uint8
	eniOwner := make(map[branch.ENIID]branch.VLAN, len(t.slots))
	for i := range t.slots {
		s, v := &t.slots[i], branch.VLAN(i)
		if t.enis[i] != s.ENI {
			return fail("VLAN %d's ENI entry %v differs from its branch's %v", v, t.enis[i], s.ENI)
		}
		if inUse := s.state == reserved || s.state == bound; inUse && t.keys[i] != podKey(s.Pod) || !inUse && t.keys[i] != 0 {
			return fail("VLAN %d's pod key %#x is wrong for its %s branch of pod %q", v, t.keys[i], s.state, s.Pod)
		}
		if s.state == vacant {
			if *s != (slot{}) {
				return fail("vacant VLAN %d holds branch %+v", v, s.Branch)
			}
			if t.vlans.used(v) && v != 0 {
				return fail("VLAN %d marked used but held by no branch", v)
			}
			continue
		}
		who := fmt.Sprintf("%s branch (pod %q, %v, VLAN %d)", s.state, s.Pod, s.ENI, s.VLAN)
		switch {
		case s.state > leaked:
			return fail("VLAN %d in unknown state %d", v, s.state)
		case s.VLAN != v || !v.IsValid():
			return fail("%s sits at VLAN %d", who, v)
		case !t.vlans.used(v):
			return fail("%s: VLAN not marked used", who)
		case s.ENI.IsValid() != (s.state != reserved):
			return fail("%s: ENI presence wrong for its state", who)
		}
		count[s.state]++
		if s.state != reserved {
			if prev, dup := eniOwner[s.ENI]; dup {
				return fail("%v held at VLAN %d and by %s", s.ENI, prev, who)
			}
			eniOwner[s.ENI] = v
		}
		switch s.state {
		case reserved, bound:
			present[t.keys[i]>>26]++
			if found, _ := t.podSlot(s.Pod); s.Pod == "" || found != s {
				return fail("%s is not found by its pod", who)
			}
			if s.Deletes != 0 || s.SkipCoolDown || s.ReleasedAt != 0 {
				return fail("%s carries queue state", who)
			}
		case queued, deleting:
			if s.Deletes < 0 || s.Deletes >= MaxDeleteRetries {
				return fail("%s has %d failed deletes", who, s.Deletes)
			}
		case leaked:
			if s.Deletes != MaxDeleteRetries {
				return fail("%s has %d failed deletes, want %d", who, s.Deletes, MaxDeleteRetries)
			}
		}
	}
	for v := max(1, len(t.slots)); v < vlanSlots; v++ {
		if t.vlans.used(branch.VLAN(v)) {
			return fail("VLAN %d marked used but held by no branch", v)
		}
	}
	reservedIDs := newVLANSet()
	if t.vlans[0]&reservedIDs[0] != reservedIDs[0] || t.vlans[1]&reservedIDs[1] != reservedIDs[1] {
		return fail("VLAN 0 or an ID above %d is marked free", branch.MaxVLAN)
	}
	if in := count[reserved] + count[bound]; t.inUse != in {
		return fail("%d branches counted as in use but %d are", t.inUse, in)
	}
	if present != t.present {
		return fail("in-use pods counted by key as %v, but they are %v", t.present, present)
	}
	if t.deleting != count[deleting] {
		return fail("%d branches counted as deleting but %d are", t.deleting, count[deleting])
	}

	if t.queue.len() != count[queued] {
		return fail("delete queue has %d entries but %d branches are queued", t.queue.len(), count[queued])
	}
	retried := 0
	var seen vlanSet
	var lastFresh *slot
	for i := 0; i < t.queue.len(); i++ {
		v := t.queue.at(i)
		if int(v) >= len(t.slots) || t.slots[v].state != queued || seen.used(v) {
			return fail("delete queue entry %d names VLAN %d, not a queued branch of its own", i, v)
		}
		seen.take(v)
		s := &t.slots[v]
		if s.ReleasedAt > t.latest || s.ReleasedAt < 0 {
			return fail("queued %v released at %v, latest time seen %v", s.ENI, s.ReleasedAt, t.latest)
		}
		if s.Deletes > 0 {
			retried++
		}
		if s.SkipCoolDown || s.Deletes > 0 {
			continue
		}
		if lastFresh != nil && s.ReleasedAt < lastFresh.ReleasedAt {
			return fail("queued %v released at %v after %v released at %v", s.ENI, s.ReleasedAt, lastFresh.ENI, lastFresh.ReleasedAt)
		}
		lastFresh = s
	}
	if in, cooling := t.inUse, t.queue.len(); in+cooling-retried > t.limit {
		return fail("%d in use + %d cooling (%d retried) exceeds limit %d", in, cooling, retried, t.limit)
	}

	if len(t.leaked) != count[leaked] {
		return fail("%d branches listed as leaked but %d are", len(t.leaked), count[leaked])
	}
	seen = vlanSet{}
	for _, v := range t.leaked {
		if int(v) >= len(t.slots) || t.slots[v].state != leaked || seen.used(v) {
			return fail("leaked list names VLAN %d, not a leaked branch of its own", v)
		}
		seen.take(v)
	}
	return nil
}

// String names the state, for invariant messages.
func (s state) String() string {
	switch s {
	case reserved:
		return "reserved"
	case bound:
		return "bound"
	case queued:
		return "queued"
	case deleting:
		return "deleting"
	case leaked:
		return "leaked"
	}
	return "vacant"
}
