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
//     fails and the branch returns; after a [Trunk.Restore] of more
//     branches than the limit, within the number restored instead;
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
// Problems are looked for in VLAN order, then queue order, so the same
// state always reports the same one.
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
		s, v, eni := &t.slots[i], branch.VLAN(i), t.enis[i]
		if inUse := s.state == reserved || s.state == bound; inUse && t.keys[i] != podKey(s.pod) || !inUse && t.keys[i] != 0 {
			return fail("VLAN %d's pod key %#x is wrong for its %s branch of pod %q", v, t.keys[i], s.state, s.pod)
		}
		if s.state == vacant {
			if *s != (slot{}) || eni.IsValid() {
				return fail("vacant VLAN %d holds a branch: %+v, %v", v, *s, eni)
			}
			if t.vlans.used(v) && v != 0 {
				return fail("VLAN %d marked used but held by no branch", v)
			}
			continue
		}
		who := fmt.Sprintf("%s branch (pod %q, %v, VLAN %d)", s.state, s.pod, eni, v)
		switch {
		case s.state > leaked:
			return fail("VLAN %d in unknown state %d", v, s.state)
		case !v.IsValid():
			return fail("%s sits at an invalid VLAN ID", who)
		case !t.vlans.used(v):
			return fail("%s: VLAN not marked used", who)
		case eni.IsValid() != (s.state != reserved):
			return fail("%s: ENI presence wrong for its state", who)
		}
		count[s.state]++
		if s.state != reserved {
			if prev, dup := eniOwner[eni]; dup {
				return fail("%v held at VLAN %d and by %s", eni, prev, who)
			}
			eniOwner[eni] = v
		}
		switch s.state {
		case reserved, bound:
			present[t.keys[i]>>26]++
			if found, _ := t.podVLAN(s.pod); s.pod == "" || found != v {
				return fail("%s is not found by its pod", who)
			}
			if s.deletes != 0 || s.skipCoolDown || s.releasedAt != 0 {
				return fail("%s carries queue state", who)
			}
		case queued, deleting:
			if s.deletes >= MaxDeleteRetries {
				return fail("%s has %d failed deletes", who, s.deletes)
			}
		case leaked:
			if s.deletes != MaxDeleteRetries {
				return fail("%s has %d failed deletes, want %d", who, s.deletes, MaxDeleteRetries)
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
	var lastFresh branch.VLAN // 0 until a fresh entry is seen
	for i := 0; i < t.queue.len(); i++ {
		v := t.queue.at(i)
		if int(v) >= len(t.slots) || t.slots[v].state != queued || seen.used(v) {
			return fail("delete queue entry %d names VLAN %d, not a queued branch of its own", i, v)
		}
		seen.take(v)
		s := &t.slots[v]
		if s.releasedAt > t.latest || s.releasedAt < 0 {
			return fail("queued %v released at %v, latest time seen %v", t.enis[v], s.releasedAt, t.latest)
		}
		if s.deletes > 0 {
			retried++
		}
		if s.skipCoolDown || s.deletes > 0 {
			continue
		}
		if lastFresh != 0 && s.releasedAt < t.slots[lastFresh].releasedAt {
			return fail("queued %v released at %v after %v released at %v", t.enis[v], s.releasedAt, t.enis[lastFresh], t.slots[lastFresh].releasedAt)
		}
		lastFresh = v
	}
	if in, cooling := t.inUse, t.queue.len(); in+cooling-retried > max(t.limit, t.restored) {
		if t.restored > t.limit {
			return fail("%d in use + %d cooling (%d retried) exceeds the %d restored over limit %d", in, cooling, retried, t.restored, t.limit)
		}
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
