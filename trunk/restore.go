package trunk

import (
	"time"

	"github.com/trunksim/trunksim/branch"
)

// Claim is what a pod's vpc.amazonaws.com/pod-eni annotation says about
// its branch: the entry [Trunk.Restore] rebuilds from.
type Claim struct {
	// Pod is the pod's UID.
	Pod string
	// ENI is the annotation's eniId.
	ENI branch.ENIID
	// VLAN is the annotation's vlanId.
	VLAN branch.VLAN
	// Association is the annotation's associationID; empty for pods
	// annotated before the field existed.
	Association string
}

// Restore rebuilds the trunk's branches after a controller restart
// (trunk.go InitTrunk, called from provider.go InitResource). claims come
// from the annotations of the node's running and pending pods whose ENI EC2
// still lists; each marks its VLAN ID used and binds its ENI to its pod.
// orphans are the branch ENIs EC2 lists on the trunk that no pod claims,
// with the VLAN ID read from their vpcresources.k8s.aws/vlan-id tag; each
// goes to the delete queue in the order given, stamped now, so the
// cool-down applies. Only an orphan's ENI, VLAN, Association and Pod are
// used. Filtering out annotated ENIs missing from EC2, and orphans without
// a VLAN tag, is the caller's part, as upstream skips both.
//
// Restore works only on an empty trunk (fresh from [New], or after
// [Trunk.Wipe]); otherwise it fails with [ErrNotEmpty]. It checks every
// entry before changing anything, and refuses with a [*ClaimError] an empty
// pod UID ([ErrInvalidPod]), the zero ENI ([ErrInvalidENI]), a VLAN ID
// outside 1..120 ([ErrInvalidVLAN]), a pod claiming twice
// ([ErrPodHasBranch]), two entries on one VLAN ID ([ErrVLANConflict]) and
// one ENI listed twice ([ErrENIConflict]), naming both entries. Upstream
// marks such VLANs silently; here they mean the inputs are wrong. A time
// earlier than one already seen gives a [*TimeError].
//
// More entries than the limit are taken as they are, as upstream's
// InitTrunk applies no gate (trunk.go, v1.8.2): a node can come back over
// its limit when the limit it was filled under was higher, or when EC2
// lists branches whose deletion never finished. The capacity gate then
// holds new reservations until in use + cooling is below the limit again,
// and [Trunk.Check] allows what Restore took, less nothing, until then.
func (t *Trunk) Restore(claims []Claim, orphans []Branch, now time.Duration) error {
	if t.inUse > 0 || t.queue.len() > 0 || t.deleting > 0 || len(t.leaked) > 0 {
		return &OpError{Op: "Restore", Node: t.node, Err: ErrNotEmpty}
	}
	if now < t.latest {
		return &TimeError{Op: "Restore", Node: t.node, Now: now, Latest: t.latest}
	}
	if err := t.validateRestore(claims, orphans); err != nil {
		return err
	}
	t.latest = now
	t.restored = len(claims) + len(orphans)
	for _, c := range claims {
		t.vlans.take(c.VLAN)
		*t.slot(c.VLAN) = slot{pod: c.Pod, association: c.Association, state: bound}
		t.enis[c.VLAN] = c.ENI
		t.enterInUse(c.VLAN, podKey(c.Pod))
	}
	for _, o := range orphans {
		t.vlans.take(o.VLAN)
		*t.slot(o.VLAN) = slot{pod: o.Pod, association: o.Association, releasedAt: now, state: queued}
		t.enis[o.VLAN] = o.ENI
		t.queue.pushBack(o.VLAN)
	}
	return nil
}

// restoreEntry is a claim or an orphan, as validateRestore sees them.
type restoreEntry struct {
	pod  string // empty for an orphan
	eni  branch.ENIID
	vlan branch.VLAN
}

// validateRestore checks claims and orphans against each other and the
// limit, without touching the trunk.
func (t *Trunk) validateRestore(claims []Claim, orphans []Branch) error {
	var byVLAN [vlanSlots]*restoreEntry
	entries := make([]restoreEntry, 0, len(claims)+len(orphans))
	for _, c := range claims {
		entries = append(entries, restoreEntry{pod: c.Pod, eni: c.ENI, vlan: c.VLAN})
	}
	for _, o := range orphans {
		entries = append(entries, restoreEntry{eni: o.ENI, vlan: o.VLAN})
	}
	byENI := make(map[branch.ENIID]*restoreEntry, len(entries))
	byPod := make(map[string]*restoreEntry, len(claims))
	refuse := func(e *restoreEntry, holder *restoreEntry, err error) error {
		ce := &ClaimError{Node: t.node, Pod: e.pod, ENI: e.eni, VLAN: e.vlan, Err: err}
		if holder != nil {
			ce.HolderPod, ce.HolderENI = holder.pod, holder.eni
		}
		return ce
	}
	for i := range entries {
		e := &entries[i]
		claim := i < len(claims)
		switch {
		case claim && e.pod == "":
			return refuse(e, nil, ErrInvalidPod)
		case !e.eni.IsValid():
			return refuse(e, nil, ErrInvalidENI)
		case !e.vlan.IsValid():
			return refuse(e, nil, ErrInvalidVLAN)
		}
		if claim {
			if holder, ok := byPod[e.pod]; ok {
				return refuse(e, holder, ErrPodHasBranch)
			}
			byPod[e.pod] = e
		}
		if holder := byVLAN[e.vlan]; holder != nil {
			return refuse(e, holder, ErrVLANConflict)
		}
		byVLAN[e.vlan] = e
		if holder, ok := byENI[e.eni]; ok {
			return refuse(e, holder, ErrENIConflict)
		}
		byENI[e.eni] = e
	}
	return nil
}
