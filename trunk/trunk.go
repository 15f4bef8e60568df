package trunk

import (
	"slices"
	"strconv"
	"time"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/limits"
)

// Branch is one branch ENI as the trunk tracks it (trunk.go ENIDetails,
// without the addresses the trunk does not need). It is a plain value:
// methods hand out copies.
type Branch struct {
	// Pod is the UID of the pod the branch was made for; empty for an
	// orphan found at [Trunk.Restore].
	Pod string
	// ENI is the branch ENI; the zero value while the branch is only
	// reserved.
	ENI branch.ENIID
	// VLAN is the branch's VLAN ID on the trunk, 1..120.
	VLAN branch.VLAN
	// Association is the trunk association ID, empty when unknown (a
	// failed association, or an orphan).
	Association string
	// ReleasedAt is when the branch entered the delete queue; the
	// cool-down runs from here. Zero for branches never released.
	ReleasedAt time.Duration
	// SkipCoolDown marks an entry queued with no cool-down: a branch whose
	// creation failed half way (upstream gives it a zero timestamp).
	SkipCoolDown bool
	// Deletes counts failed deletion attempts.
	Deletes int
}

// Trunk is one node's trunk ENI and the branches on it. Create it with
// [New]; the zero value is not usable.
type Trunk struct {
	node  string
	limit int
	// latest is the latest time passed to a method that takes one; times
	// before it are refused so that the queue stays in time order.
	latest time.Duration
	// vlans marks the VLAN IDs held, which are those of the slots not
	// vacant; it finds the lowest free ID in two words.
	vlans vlanSet
	// slots holds every branch the trunk tracks at the index of its VLAN
	// ID, which no other branch holds; it grows to the highest ID used.
	slots []slot
	// enis holds each slot's ENI, and keys the podKey of each in-use
	// (reserved or bound) slot's pod and zero elsewhere, at the same
	// index: finding an ENI or a pod scans a few cache lines, where a map
	// would cost an insert and a delete per branch and several misses per
	// look-up on a trunk not touched for a while.
	enis []branch.ENIID
	keys []uint32
	// inUse counts reserved and bound branches, and present counts them
	// by the top six bits of their pod's key: a pod whose count is zero
	// has no branch, which spares most look-ups of an absent pod the scan.
	inUse   int
	present [64]uint8
	// queue is the delete queue ("cooling"), head first.
	queue ring
	// deleting counts branches handed out by Sweep and not yet reported.
	deleting int
	// leaked lists branches forgotten after MaxDeleteRetries failures, in
	// the order they were forgotten; their VLANs stay held.
	leaked []branch.VLAN
	// restored is how many branches the last Restore took, which may be
	// more than the limit: in use + cooling may stay above the limit, but
	// never above this, until the trunk is wiped.
	restored int
}

// slot is one VLAN ID's branch and where it stands: a [Branch] less the
// VLAN ID, which is its index, and the ENI, which is in Trunk.enis. Kept
// small, as a large cluster's trunks do not stay in cache.
type slot struct {
	pod          string
	association  string
	releasedAt   time.Duration
	deletes      uint8
	skipCoolDown bool
	state        state
}

// state is where a branch stands on its trunk.
type state uint8

// The zero state is a vacant slot: its VLAN ID is free.
const (
	vacant state = iota
	reserved
	bound
	queued
	deleting
	leaked
)

// New returns an empty trunk for node, a node of type it running os. It
// refuses a node that cannot hold a trunk with the error of
// [limits.InstanceType.CanTrunk] (an [*limits.IneligibleError] matching
// [limits.ErrNotTrunkCompatible] or [limits.ErrWindows]) inside an
// [*OpError] naming the node, and a branch limit outside 1..120 with an
// [*limits.InvalidTypeError].
func New(node string, it limits.InstanceType, os limits.OS) (*Trunk, error) {
	if node == "" {
		return nil, &OpError{Op: "New", Node: node, Err: ErrInvalidNode}
	}
	if err := it.CanTrunk(os); err != nil {
		return nil, &OpError{Op: "New", Node: node, Err: err}
	}
	if it.BranchInterfaces < 1 || it.BranchInterfaces > int(branch.MaxVLAN) {
		return nil, &OpError{Op: "New", Node: node, Err: &limits.InvalidTypeError{
			Type:    it.Name,
			Field:   "BranchInterfaces",
			Problem: "is " + strconv.Itoa(it.BranchInterfaces) + "; a trunk carries 1.." + strconv.Itoa(int(branch.MaxVLAN)) + " branches",
		}}
	}
	return &Trunk{
		node:  node,
		limit: it.BranchInterfaces,
		vlans: newVLANSet(),
	}, nil
}

// Node returns the node name.
func (t *Trunk) Node() string { return t.node }

// Limit returns the node's branch limit, the instance type's
// BranchInterfaces, advertised as vpc.amazonaws.com/pod-eni.
func (t *Trunk) Limit() int { return t.limit }

// InUse counts reserved and bound branches.
func (t *Trunk) InUse() int { return t.inUse }

// Bound counts the branches that exist and are bound to their pods:
// [Trunk.InUse] less the reservations, whose CreateNetworkInterface has
// not answered, or has failed and will be unreserved.
func (t *Trunk) Bound() int {
	n := 0
	for i := range t.slots {
		if t.slots[i].state == bound {
			n++
		}
	}
	return n
}

// Cooling counts the delete queue, cooling or not.
func (t *Trunk) Cooling() int { return t.queue.len() }

// Deleting counts branches handed out by [Trunk.Sweep] and not yet
// reported deleted or failed.
func (t *Trunk) Deleting() int { return t.deleting }

// Free returns how many more branches the capacity gate admits now.
func (t *Trunk) Free() int { return max(0, t.limit-t.inUse-t.queue.len()) }

// String summarises the trunk, for example
// `node "n1": 3 in use, 1 cooling, 0 deleting, 0 leaked, limit 9`.
func (t *Trunk) String() string {
	return "node " + strconv.Quote(t.node) + ": " + strconv.Itoa(t.inUse) + " in use, " +
		strconv.Itoa(t.queue.len()) + " cooling, " + strconv.Itoa(t.deleting) + " deleting, " +
		strconv.Itoa(len(t.leaked)) + " leaked, limit " + strconv.Itoa(t.limit)
}

// Reserve admits a new branch for pod and assigns it the lowest free VLAN
// ID (trunk.go CreateAndAssociateBranchENIs, canCreateMore,
// assignVlanId). The reservation counts as in use until [Trunk.Bind],
// [Trunk.Unreserve] or [Trunk.Abort] settles it.
//
// It fails with [ErrInvalidPod] for an empty UID, [ErrPodHasBranch] when
// the pod already holds a branch (reserved or bound), a [*CapacityError]
// when in use + cooling has reached the limit, and [ErrNoFreeVLAN] when
// leaks used up the VLAN IDs.
func (t *Trunk) Reserve(pod string) (branch.VLAN, error) {
	if pod == "" {
		return 0, &OpError{Op: "Reserve", Node: t.node, Err: ErrInvalidPod}
	}
	key := podKey(pod)
	if _, ok := t.find(pod, key); ok {
		return 0, &OpError{Op: "Reserve", Node: t.node, Pod: pod, Err: ErrPodHasBranch}
	}
	if t.inUse+t.queue.len() >= t.limit {
		return 0, &CapacityError{Node: t.node, Pod: pod, InUse: t.inUse, Cooling: t.queue.len(), Limit: t.limit}
	}
	vlan, ok := t.vlans.lowestFree()
	if !ok {
		return 0, &OpError{Op: "Reserve", Node: t.node, Pod: pod, Err: ErrNoFreeVLAN}
	}
	t.vlans.take(vlan)
	*t.slot(vlan) = slot{pod: pod, state: reserved}
	t.enterInUse(vlan, key)
	return vlan, nil
}

// slot returns vlan's slot, growing the slots to hold it. They double,
// stopping once at the limit, which the gate keeps in-use and cooling
// branches within (branches being deleted may hold higher IDs).
func (t *Trunk) slot(vlan branch.VLAN) *slot {
	if int(vlan) >= len(t.slots) {
		n := max(16, 2*len(t.slots))
		if len(t.slots) <= t.limit {
			n = min(n, t.limit+1)
		}
		n = min(vlanSlots, max(n, int(vlan)+1))
		slots, enis, keys := make([]slot, n), make([]branch.ENIID, n), make([]uint32, n)
		copy(slots, t.slots)
		copy(enis, t.enis)
		copy(keys, t.keys)
		t.slots, t.enis, t.keys = slots, enis, keys
	}
	return &t.slots[vlan]
}

// branchAt returns the branch on vlan.
func (t *Trunk) branchAt(vlan branch.VLAN) Branch {
	s := &t.slots[vlan]
	return Branch{Pod: s.pod, ENI: t.enis[vlan], VLAN: vlan, Association: s.association,
		ReleasedAt: s.releasedAt, SkipCoolDown: s.skipCoolDown, Deletes: int(s.deletes)}
}

// podVLAN returns the VLAN ID of pod's reserved or bound branch.
func (t *Trunk) podVLAN(pod string) (branch.VLAN, bool) { return t.find(pod, podKey(pod)) }

// find returns the VLAN ID of the in-use branch of pod, whose podKey is
// key.
func (t *Trunk) find(pod string, key uint32) (branch.VLAN, bool) {
	if t.present[key>>26] == 0 {
		return 0, false
	}
	for i, k := range t.keys {
		if k == key && t.slots[i].pod == pod {
			return branch.VLAN(i), true
		}
	}
	return 0, false
}

// enterInUse puts vlan's branch, for the pod whose key is key, in the
// in-use set.
func (t *Trunk) enterInUse(vlan branch.VLAN, key uint32) {
	t.keys[vlan] = key
	t.present[key>>26]++
	t.inUse++
}

// leaveInUse takes vlan's branch, reserved or bound, out of the in-use
// set.
func (t *Trunk) leaveInUse(vlan branch.VLAN) {
	t.present[t.keys[vlan]>>26]--
	t.keys[vlan] = 0
	t.inUse--
}

// podKey hashes a pod UID (32-bit FNV-1a) to a key that is never zero.
func podKey(pod string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(pod); i++ {
		h = (h ^ uint32(pod[i])) * 16777619
	}
	return h | 1
}

// withENI returns the VLAN ID of the branch, in whatever state, that has
// eni. A scan serves: a trunk holds at most 120 branches, and an index
// would cost a map insert and delete per branch.
func (t *Trunk) withENI(eni branch.ENIID) (branch.VLAN, bool) {
	if !eni.IsValid() {
		return 0, false // vacant slots and reservations hold the zero ENI
	}
	for i, e := range t.enis {
		if e == eni {
			return branch.VLAN(i), true
		}
	}
	return 0, false
}

// tracks reports whether any branch on the trunk has eni.
func (t *Trunk) tracks(eni branch.ENIID) bool {
	_, ok := t.withENI(eni)
	return ok
}

// Bind records that pod's reserved branch now exists as eni, associated
// with the trunk under association (which may be empty). The branch is
// then in use, and [Trunk.Release] can queue it.
//
// It fails with [ErrUnknownPod] when the pod has no reservation,
// [ErrPodHasBranch] when it is already bound, [ErrInvalidENI] for the zero
// ENI and [ErrENIConflict] when the trunk already tracks eni.
func (t *Trunk) Bind(pod string, eni branch.ENIID, association string) error {
	v, ok := t.podVLAN(pod)
	switch {
	case !ok:
		return &OpError{Op: "Bind", Node: t.node, Pod: pod, ENI: eni, Err: ErrUnknownPod}
	case t.slots[v].state == bound:
		return &OpError{Op: "Bind", Node: t.node, Pod: pod, ENI: eni, Err: ErrPodHasBranch}
	case !eni.IsValid():
		return &OpError{Op: "Bind", Node: t.node, Pod: pod, Err: ErrInvalidENI}
	case t.tracks(eni):
		return &OpError{Op: "Bind", Node: t.node, Pod: pod, ENI: eni, Err: ErrENIConflict}
	}
	t.enis[v] = eni
	s := &t.slots[v]
	s.association, s.state = association, bound
	return nil
}

// Unreserve drops pod's reservation after CreateNetworkInterface failed:
// no ENI exists, so the VLAN is free again at once (trunk.go
// CreateAndAssociateBranchENIs, freeVlanId).
//
// It fails with [ErrUnknownPod] when the pod has no reservation and
// [ErrPodHasBranch] when its branch is already bound; release or abort
// that instead.
func (t *Trunk) Unreserve(pod string) error {
	v, ok := t.podVLAN(pod)
	switch {
	case !ok:
		return &OpError{Op: "Unreserve", Node: t.node, Pod: pod, Err: ErrUnknownPod}
	case t.slots[v].state == bound:
		return &OpError{Op: "Unreserve", Node: t.node, Pod: pod, ENI: t.enis[v], Err: ErrPodHasBranch}
	}
	t.leaveInUse(v)
	t.vacate(v)
	return nil
}

// vacate frees vlan's slot and the ID.
func (t *Trunk) vacate(vlan branch.VLAN) {
	t.vlans.free(vlan)
	t.enis[vlan] = branch.ENIID{}
	t.slots[vlan] = slot{}
}

// Abort handles a failure after pod's ENI was created: granting the
// permission, associating, or annotating the pod. The ENI goes to the head
// of the delete queue with no cool-down, keeping its VLAN until deleted,
// and the pod is forgotten (trunk.go PushENIsToFrontOfDeleteQueue). For a
// reserved pod eni is the ENI just created; for a bound pod it must be the
// pod's ENI, and the association is kept so that the deletion
// disassociates first.
//
// It fails with [ErrUnknownPod] when the pod holds no branch,
// [ErrInvalidENI] for the zero ENI, [ErrUnknownENI] when a bound pod's ENI
// differs from eni, and [ErrENIConflict] when a reserved pod's eni is
// already tracked elsewhere.
func (t *Trunk) Abort(pod string, eni branch.ENIID) error {
	v, ok := t.podVLAN(pod)
	switch {
	case !ok:
		return &OpError{Op: "Abort", Node: t.node, Pod: pod, ENI: eni, Err: ErrUnknownPod}
	case !eni.IsValid():
		return &OpError{Op: "Abort", Node: t.node, Pod: pod, Err: ErrInvalidENI}
	case t.slots[v].state == bound && t.enis[v] != eni:
		return &OpError{Op: "Abort", Node: t.node, Pod: pod, ENI: eni, Err: ErrUnknownENI}
	case t.slots[v].state == reserved && t.tracks(eni):
		return &OpError{Op: "Abort", Node: t.node, Pod: pod, ENI: eni, Err: ErrENIConflict}
	}
	t.enis[v] = eni
	s := &t.slots[v]
	s.skipCoolDown, s.releasedAt, s.state = true, 0, queued
	t.leaveInUse(v)
	t.queue.pushFront(v)
	return nil
}

// Release queues pod's branch for deletion because the pod was deleted or
// reached Succeeded or Failed: it goes to the tail of the delete queue
// stamped now, so the cool-down runs from now, and the pod leaves the
// in-use set (trunk.go PushBranchENIsToCoolDownQueue). It returns the
// queued branch.
//
// It fails with [ErrUnknownPod] when the trunk holds no branch for the pod
// (upstream only logs this), [ErrNotBound] when the branch is still only
// reserved, and a [*TimeError] when now is earlier than a time already
// seen.
func (t *Trunk) Release(pod string, now time.Duration) (Branch, error) {
	v, ok := t.podVLAN(pod)
	switch {
	case !ok:
		return Branch{}, &OpError{Op: "Release", Node: t.node, Pod: pod, Err: ErrUnknownPod}
	case t.slots[v].state != bound:
		return Branch{}, &OpError{Op: "Release", Node: t.node, Pod: pod, Err: ErrNotBound}
	case now < t.latest:
		return Branch{}, &TimeError{Op: "Release", Node: t.node, Now: now, Latest: t.latest}
	}
	t.latest = now
	t.queueBack(v, now)
	return t.branchAt(v), nil
}

// queueBack moves vlan's bound branch to the tail of the delete queue,
// released at now.
func (t *Trunk) queueBack(vlan branch.VLAN, now time.Duration) {
	s := &t.slots[vlan]
	s.releasedAt, s.state = now, queued
	t.leaveInUse(vlan)
	t.queue.pushBack(vlan)
}

// Reconcile queues the bound branches of pods missing from alive, the
// UIDs of the node's current pods, as the controller's periodic leak check
// does for pods whose deletion it missed (trunk.go Reconcile): each goes
// to the tail of the delete queue stamped now. Reservations are left
// alone, because upstream's cache does not hold them yet. It returns the
// queued branches in VLAN order, which is also the order they were queued
// in.
//
// It fails with a [*TimeError] when now is earlier than a time already
// seen.
func (t *Trunk) Reconcile(alive []string, now time.Duration) ([]Branch, error) {
	if now < t.latest {
		return nil, &TimeError{Op: "Reconcile", Node: t.node, Now: now, Latest: t.latest}
	}
	live := make(map[string]struct{}, len(alive))
	for _, pod := range alive {
		live[pod] = struct{}{}
	}
	t.latest = now
	var gone []Branch
	for i := range t.slots {
		if _, ok := live[t.slots[i].pod]; t.slots[i].state != bound || ok {
			continue
		}
		v := branch.VLAN(i)
		t.queueBack(v, now)
		gone = append(gone, t.branchAt(v))
	}
	return gone, nil
}

// Pod returns pod's reserved or bound branch.
func (t *Trunk) Pod(pod string) (Branch, bool) {
	v, ok := t.podVLAN(pod)
	if !ok {
		return Branch{}, false
	}
	return t.branchAt(v), true
}

// Branches returns the bound branches sorted by VLAN ID.
func (t *Trunk) Branches() []Branch { return t.AppendBranches(make([]Branch, 0, t.inUse)) }

// AppendBranches appends the bound branches, sorted by VLAN ID, to dst.
func (t *Trunk) AppendBranches(dst []Branch) []Branch { return t.appendIn(dst, bound) }

// Queue returns the delete queue, head first.
func (t *Trunk) Queue() []Branch { return t.AppendQueue(make([]Branch, 0, t.queue.len())) }

// AppendQueue appends the delete queue, head first, to dst.
func (t *Trunk) AppendQueue(dst []Branch) []Branch {
	for i := range t.queue.len() {
		dst = append(dst, t.branchAt(t.queue.at(i)))
	}
	return dst
}

// DeletingBranches returns the branches being deleted, sorted by VLAN ID.
func (t *Trunk) DeletingBranches() []Branch {
	return t.appendIn(make([]Branch, 0, t.deleting), deleting)
}

// Leaked returns the branches forgotten after [MaxDeleteRetries] failed
// deletions, in the order they were forgotten. Their VLAN IDs stay in use
// until the trunk is wiped or rebuilt; their ENIs are left for the
// cluster's leaked-ENI cleaner.
func (t *Trunk) Leaked() []Branch {
	out := make([]Branch, len(t.leaked))
	for i, vlan := range t.leaked {
		out[i] = t.branchAt(vlan)
	}
	return out
}

// appendIn appends the branches in any of states, in VLAN order.
func (t *Trunk) appendIn(dst []Branch, states ...state) []Branch {
	for i := range t.slots {
		if slices.Contains(states, t.slots[i].state) {
			dst = append(dst, t.branchAt(branch.VLAN(i)))
		}
	}
	return dst
}
