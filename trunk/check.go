package trunk

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

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
//   - deletion failure counts lie below [MaxDeleteRetries], except for
//     leaked branches, which reached it;
//   - queued entries carry no time later than the latest seen, and the
//     entries queued with a cool-down and never retried are in time order.
func (t *Trunk) Check() error {
	fail := func(format string, args ...any) error {
		return &InvariantError{Node: t.node, Problem: fmt.Sprintf(format, args...)}
	}
	retried := 0
	for i := 0; i < t.queue.len(); i++ {
		if t.queue.at(i).Deletes > 0 {
			retried++
		}
	}
	if in, cooling := len(t.pods), t.queue.len(); in+cooling-retried > t.limit {
		return fail("%d in use + %d cooling (%d retried) exceeds limit %d", in, cooling, retried, t.limit)
	}

	var vlanOwner [vlanSlots]string
	eniOwner := make(map[branch.ENIID]string, len(t.enis))
	visit := func(where string, b *Branch, wantENI bool) error {
		who := fmt.Sprintf("%s branch (pod %q, %v, VLAN %d)", where, b.Pod, b.ENI, b.VLAN)
		if !b.VLAN.IsValid() {
			return fail("%s: VLAN out of range", who)
		}
		if prev := vlanOwner[b.VLAN]; prev != "" {
			return fail("VLAN %d held by %s and %s", b.VLAN, prev, who)
		}
		vlanOwner[b.VLAN] = who
		if !t.vlans.used(b.VLAN) {
			return fail("%s: VLAN not marked used", who)
		}
		if b.ENI.IsValid() != wantENI {
			return fail("%s: ENI presence wrong for its state", who)
		}
		if !wantENI {
			return nil
		}
		if prev, dup := eniOwner[b.ENI]; dup {
			return fail("%v held by %s and %s", b.ENI, prev, who)
		}
		eniOwner[b.ENI] = who
		if _, ok := t.enis[b.ENI]; !ok {
			return fail("%s: ENI not indexed", who)
		}
		return nil
	}

	// Walk maps in VLAN order so that the first problem reported does not
	// depend on map iteration order.
	for _, pod := range t.podsByVLAN() {
		b := t.pods[pod]
		if pod == "" || b.Pod != pod {
			return fail("pod %q maps to a branch of pod %q", pod, b.Pod)
		}
		if b.Deletes != 0 || b.SkipCoolDown || b.ReleasedAt != 0 {
			return fail("in-use branch of pod %q carries queue state", pod)
		}
		where := "reserved"
		if b.bound() {
			where = "bound"
		}
		if err := visit(where, &b, b.bound()); err != nil {
			return err
		}
	}
	var lastFresh *Branch
	for i := 0; i < t.queue.len(); i++ {
		b := t.queue.at(i)
		if err := visit("queued", b, true); err != nil {
			return err
		}
		if b.Deletes < 0 || b.Deletes >= MaxDeleteRetries {
			return fail("queued %v has %d failed deletes", b.ENI, b.Deletes)
		}
		if b.ReleasedAt > t.latest || b.ReleasedAt < 0 {
			return fail("queued %v released at %v, latest time seen %v", b.ENI, b.ReleasedAt, t.latest)
		}
		if b.SkipCoolDown || b.Deletes > 0 {
			continue
		}
		if lastFresh != nil && b.ReleasedAt < lastFresh.ReleasedAt {
			return fail("queued %v released at %v after %v released at %v", b.ENI, b.ReleasedAt, lastFresh.ENI, lastFresh.ReleasedAt)
		}
		lastFresh = b
	}
	for _, eni := range t.deletingByVLAN() {
		b := t.deleting[eni]
		if b.ENI != eni {
			return fail("deleting entry %v holds %v", eni, b.ENI)
		}
		if b.Deletes < 0 || b.Deletes >= MaxDeleteRetries {
			return fail("deleting %v has %d failed deletes", eni, b.Deletes)
		}
		if err := visit("deleting", &b, true); err != nil {
			return err
		}
	}
	for i := range t.leaked {
		b := &t.leaked[i]
		if b.Deletes != MaxDeleteRetries {
			return fail("leaked %v has %d failed deletes, want %d", b.ENI, b.Deletes, MaxDeleteRetries)
		}
		if err := visit("leaked", b, true); err != nil {
			return err
		}
	}

	if marked, held := t.vlans.count(), countHeld(&vlanOwner); marked != held {
		return fail("%d VLAN IDs marked used but %d held by branches", marked, held)
	}
	if len(t.enis) != len(eniOwner) {
		return fail("%d ENIs indexed but %d held by branches", len(t.enis), len(eniOwner))
	}
	reserved := newVLANSet()
	if t.vlans[0]&reserved[0] != reserved[0] || t.vlans[1]&reserved[1] != reserved[1] {
		return fail("VLAN 0 or an ID above %d is marked free", branch.MaxVLAN)
	}
	return nil
}

func countHeld(owners *[vlanSlots]string) int {
	n := 0
	for _, o := range owners {
		if o != "" {
			n++
		}
	}
	return n
}

// podsByVLAN returns the keys of t.pods ordered by their branches' VLAN
// IDs, then by UID should VLANs collide.
func (t *Trunk) podsByVLAN() []string {
	keys := make([]string, 0, len(t.pods))
	for pod := range t.pods {
		keys = append(keys, pod)
	}
	slices.SortFunc(keys, func(a, b string) int {
		return cmp.Or(cmp.Compare(t.pods[a].VLAN, t.pods[b].VLAN), strings.Compare(a, b))
	})
	return keys
}

// deletingByVLAN returns the keys of t.deleting ordered by their
// branches' VLAN IDs, then by ENI should VLANs collide.
func (t *Trunk) deletingByVLAN() []branch.ENIID {
	keys := make([]branch.ENIID, 0, len(t.deleting))
	for eni := range t.deleting {
		keys = append(keys, eni)
	}
	slices.SortFunc(keys, func(a, b branch.ENIID) int {
		return cmp.Or(cmp.Compare(t.deleting[a].VLAN, t.deleting[b].VLAN), a.Compare(b))
	})
	return keys
}
