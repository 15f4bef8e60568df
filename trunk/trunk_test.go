package trunk

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/limits"
)

// Upstream: pkg/provider/branch/trunk/trunk.go (NewTrunkENI, assignVlanId)
// — VLAN 0 is marked used at creation and every assignment takes the
// lowest free ID.
func TestVLANLowestFreeWithZeroReserved(t *testing.T) {
	tr := newTrunk(t, 9)
	for i, pod := range []string{"a", "b", "c", "d"} {
		vlan, err := tr.Reserve(pod)
		require.NoError(t, err)
		assert.Equal(t, branch.VLAN(i+1), vlan, "pod %s", pod)
	}
	require.NoError(t, tr.Unreserve("b"))
	require.NoError(t, tr.Unreserve("c"))
	vlan, err := tr.Reserve("e")
	require.NoError(t, err)
	assert.Equal(t, branch.VLAN(2), vlan, "the lowest freed ID comes back first")
	vlan, err = tr.Reserve("f")
	require.NoError(t, err)
	assert.Equal(t, branch.VLAN(3), vlan)
	vlan, err = tr.Reserve("g")
	require.NoError(t, err)
	assert.Equal(t, branch.VLAN(5), vlan)
	require.NoError(t, tr.Check())
}

// Upstream: pkg/provider/branch/trunk/trunk.go (InitTrunk comment on
// orphans, PushBranchENIsToCoolDownQueue) — an ENI in the cool-down queue
// keeps its VLAN ID, so a new pod gets another one.
func TestVLANHeldThroughCoolDown(t *testing.T) {
	tr := newTrunk(t, 9)
	held := bindPod(t, tr, "old", 1)
	_, err := tr.Release("old", 10*sec)
	require.NoError(t, err)

	assert.Empty(t, tr.Sweep(40*sec, DefaultCoolDown), "still cooling")
	vlan, err := tr.Reserve("new")
	require.NoError(t, err)
	assert.NotEqual(t, held, vlan, "a cooling ENI's VLAN is not reused")
	assert.Equal(t, []branch.VLAN{held}, vlans(tr.Queue()))
	require.NoError(t, tr.Check())
}

// Upstream: pkg/provider/branch/trunk/trunk.go (deleteENI, freeVlanId) —
// the VLAN ID comes free only once the ENI is deleted, not when the sweep
// picks it up.
func TestVLANFreedOnlyOnDelete(t *testing.T) {
	tr := newTrunk(t, 9)
	held := bindPod(t, tr, "old", 1)
	_, err := tr.Release("old", 0)
	require.NoError(t, err)

	got := tr.Sweep(DefaultCoolDown+sec, DefaultCoolDown)
	require.Equal(t, []branch.ENIID{eni(1)}, enis(got))
	assert.Equal(t, 1, tr.Deleting())
	vlan, err := tr.Reserve("during")
	require.NoError(t, err)
	assert.NotEqual(t, held, vlan, "being deleted still holds the VLAN")

	require.NoError(t, tr.Deleted(eni(1)))
	vlan, err = tr.Reserve("after")
	require.NoError(t, err)
	assert.Equal(t, held, vlan, "deleted: the VLAN is free again")
	require.NoError(t, tr.Check())
}

// Upstream: pkg/provider/branch/trunk/trunk.go (CreateAndAssociateBranchENIs)
// — when CreateNetworkInterface fails the VLAN is freed at once and nothing
// is queued.
func TestFailedCreateFreesVLAN(t *testing.T) {
	tr := newTrunk(t, 9)
	vlan, err := tr.Reserve("p")
	require.NoError(t, err)
	require.NoError(t, tr.Unreserve("p"))

	assert.Equal(t, 0, tr.InUse())
	assert.Equal(t, 0, tr.Cooling())
	_, ok := tr.Pod("p")
	assert.False(t, ok)
	again, err := tr.Reserve("p")
	require.NoError(t, err, "the pod may try again")
	assert.Equal(t, vlan, again)
	require.NoError(t, tr.Check())
}

// Upstream: pkg/provider/branch/trunk/trunk.go (CreateAndAssociateBranchENIs,
// PushENIsToFrontOfDeleteQueue) — an ENI created before a later step failed
// goes to the front of the delete queue with a zero timestamp, keeps its
// VLAN until deleted, and the pod is forgotten.
func TestPartiallyCreatedENIQueuedAtFront(t *testing.T) {
	tests := []struct {
		name      string
		bindFirst bool // annotation failure: the branch was bound first
		wantAssoc string
	}{
		{name: "associate failed", bindFirst: false, wantAssoc: ""},
		{name: "annotate failed", bindFirst: true, wantAssoc: "trunk-assoc-new"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTrunk(t, 9)
			bindPod(t, tr, "old", 1)
			_, err := tr.Release("old", 5*sec)
			require.NoError(t, err)

			vlan, err := tr.Reserve("new")
			require.NoError(t, err)
			if tc.bindFirst {
				require.NoError(t, tr.Bind("new", eni(2), "trunk-assoc-new"))
			}
			require.NoError(t, tr.Abort("new", eni(2)))

			q := tr.Queue()
			require.Len(t, q, 2)
			assert.Equal(t, Branch{Pod: "new", ENI: eni(2), VLAN: vlan, Association: tc.wantAssoc, SkipCoolDown: true}, q[0])
			assert.Equal(t, eni(1), q[1].ENI)
			_, ok := tr.Pod("new")
			assert.False(t, ok, "the pod is forgotten")
			assert.Equal(t, 0, tr.InUse())

			got := tr.Sweep(5*sec, DefaultCoolDown)
			assert.Equal(t, []branch.ENIID{eni(2)}, enis(got), "no cool-down for it, and the released one still cools")
			next, err := tr.Reserve("next")
			require.NoError(t, err)
			assert.NotEqual(t, vlan, next, "VLAN held until the delete is confirmed")
			require.NoError(t, tr.Check())
		})
	}
}

// Upstream: pkg/provider/branch/trunk/trunk.go (DeleteCooledDownENIs) —
// the sweep deletes entries older than the cool-down from the head, in
// queue order, comparing strictly (now after release + cool-down), and
// stops at the first entry not cooled.
func TestSweepDeletesCooledInOrderAndStopsAtFirstNotCooled(t *testing.T) {
	tr := newTrunk(t, 9)
	for i, at := range []time.Duration{0, 10 * sec, 20 * sec, 30 * sec} {
		pod := string(rune('a' + i))
		bindPod(t, tr, pod, uint64(i+1))
		_, err := tr.Release(pod, at)
		require.NoError(t, err)
	}
	cd := DefaultCoolDown

	assert.Empty(t, tr.Sweep(60*sec, cd), "exactly one cool-down later is not yet after it")
	assert.Equal(t, []branch.ENIID{eni(1)}, enis(tr.Sweep(60*sec+1, cd)))
	assert.Equal(t, []branch.ENIID{eni(2), eni(3)}, enis(tr.Sweep(85*sec, cd)), "head first, stop at 30 s")
	assert.Equal(t, []branch.ENIID{eni(4)}, enis(tr.Queue()))
	assert.Empty(t, tr.Sweep(90*sec, cd))
	assert.Equal(t, []branch.ENIID{eni(4)}, enis(tr.Sweep(91*sec, cd)))
	require.NoError(t, tr.Check())
}

// Upstream: pkg/provider/branch/trunk/trunk.go (DeleteCooledDownENIs) —
// the walk stops at the first entry not cooled even when an entry behind
// it could go: here a failed delete put a cooled ENI ahead of a no-cool-down
// one, and then the cool-down was raised live.
func TestSweepStopsEvenBeforeDeletableEntries(t *testing.T) {
	tr := newTrunk(t, 9)
	bindPod(t, tr, "a", 1)
	_, err := tr.Release("a", 0)
	require.NoError(t, err)
	_, err = tr.Reserve("b")
	require.NoError(t, err)
	require.NoError(t, tr.Abort("b", eni(2)))

	require.Equal(t, []branch.ENIID{eni(2), eni(1)}, enis(tr.Sweep(61*sec, DefaultCoolDown)))
	require.NoError(t, tr.Deleted(eni(2)))
	_, err = tr.Reserve("c")
	require.NoError(t, err)
	require.NoError(t, tr.Abort("c", eni(3)))
	forgotten, err := tr.DeleteFailed(eni(1))
	require.NoError(t, err)
	require.False(t, forgotten)
	require.Equal(t, []branch.ENIID{eni(1), eni(3)}, enis(tr.Queue()))

	assert.Empty(t, tr.Sweep(62*sec, 5*time.Minute), "head cools for 5 min now; the entry behind waits")
	assert.Equal(t, []branch.ENIID{eni(1), eni(3)}, enis(tr.Sweep(62*sec, DefaultCoolDown)))
	require.NoError(t, tr.Check())
}

// Upstream: pkg/provider/branch/trunk/trunk.go (DeleteCooledDownENIs) —
// an entry with a zero timestamp is deleted at the next sweep whatever the
// time.
func TestZeroTimestampDeletedAtOnce(t *testing.T) {
	tr := newTrunk(t, 9)
	bindPod(t, tr, "keep", 1)
	_, err := tr.Release("keep", 100*sec)
	require.NoError(t, err)
	_, err = tr.Reserve("p")
	require.NoError(t, err)
	require.NoError(t, tr.Abort("p", eni(2)))

	due, ok := tr.NextCooled(DefaultCoolDown)
	require.True(t, ok)
	assert.Equal(t, time.Duration(0), due)
	got := tr.Sweep(100*sec, 10*time.Minute)
	assert.Equal(t, []branch.ENIID{eni(2)}, enis(got))
	require.NoError(t, tr.Check())
}

// Upstream: pkg/provider/branch/trunk/trunk.go (DeleteCooledDownENIs,
// MaxDeleteRetries = 3) — a failing delete goes back to the head and is
// tried again in the same pass; after three failures it is forgotten with
// its VLAN leaked (the TODO there), and the next ENI is still deleted.
func TestFailingDeleteRetriedThenForgotten(t *testing.T) {
	tr := newTrunk(t, 9)
	vlanA := bindPod(t, tr, "a", 1)
	vlanB := bindPod(t, tr, "b", 2)
	_, err := tr.Release("a", 0)
	require.NoError(t, err)
	_, err = tr.Release("b", 0)
	require.NoError(t, err)
	now := DefaultCoolDown + sec

	pass := tr.Sweep(now, DefaultCoolDown)
	require.Equal(t, []branch.ENIID{eni(1), eni(2)}, enis(pass))
	for attempt := 1; attempt <= MaxDeleteRetries; attempt++ {
		forgotten, err := tr.DeleteFailed(eni(1))
		require.NoError(t, err)
		if attempt < MaxDeleteRetries {
			require.False(t, forgotten, "attempt %d", attempt)
			q := tr.Queue()
			require.Len(t, q, 1)
			assert.Equal(t, attempt, q[0].Deletes)
			// Back at the head and still cooled: the same pass takes it again.
			require.Equal(t, []branch.ENIID{eni(1)}, enis(tr.Sweep(now, DefaultCoolDown)))
			continue
		}
		require.True(t, forgotten, "attempt %d", attempt)
	}
	require.NoError(t, tr.Deleted(eni(2)), "the next ENI is still deleted")

	leaked := tr.Leaked()
	require.Len(t, leaked, 1)
	assert.Equal(t, Branch{Pod: "a", ENI: eni(1), VLAN: vlanA, Association: "trunk-assoc-a", Deletes: MaxDeleteRetries}, leaked[0])
	assert.Equal(t, 0, tr.Cooling())
	assert.Equal(t, 0, tr.Deleting())
	assert.Equal(t, 9, tr.Free(), "a leaked ENI no longer counts against the limit")
	vlan, err := tr.Reserve("c")
	require.NoError(t, err)
	assert.Equal(t, vlanB, vlan, "B's VLAN is free, A's leaked")
	_, err = tr.DeleteFailed(eni(1))
	require.ErrorIs(t, err, ErrUnknownENI, "a forgotten ENI is not being deleted")
	require.NoError(t, tr.Check())
}

// Upstream: pkg/provider/branch/trunk/trunk.go (canCreateMore) — the gate
// is in-use branches plus the delete queue against BranchInterface; ENIs
// being deleted are out of the queue and do not count.
func TestCapacityGateCountsCoolingEntries(t *testing.T) {
	tr := newTrunk(t, 3)
	bindPod(t, tr, "a", 1)
	bindPod(t, tr, "b", 2)
	_, err := tr.Reserve("c")
	require.NoError(t, err, "a reservation counts as in use")

	_, err = tr.Reserve("d")
	var ce *CapacityError
	require.ErrorAs(t, err, &ce)
	assert.ErrorIs(t, err, ErrNoCapacity)
	assert.Equal(t, CapacityError{Node: "node-1", Pod: "d", InUse: 3, Cooling: 0, Limit: 3}, *ce)

	_, err = tr.Release("a", 0)
	require.NoError(t, err)
	assert.Equal(t, 0, tr.Free())
	err = requireUnchanged(t, tr, func() error { _, err := tr.Reserve("d"); return err })
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, CapacityError{Node: "node-1", Pod: "d", InUse: 2, Cooling: 1, Limit: 3}, *ce, "the cooling entry counts")

	require.Len(t, tr.Sweep(DefaultCoolDown+sec, DefaultCoolDown), 1)
	assert.Equal(t, 1, tr.Free(), "being deleted does not count")
	_, err = tr.Reserve("d")
	require.NoError(t, err)
	require.NoError(t, tr.Check())
}

// Upstream: pkg/provider/branch/trunk/trunk.go (canCreateMore, whose check
// runs while a sweep deletes outside the lock) — if a slot freed by a
// deletion in progress is taken and the deletion then fails, the ENI
// returns to the queue and the node is over its limit until it is deleted.
func TestFailedDeleteCanOvershootLimit(t *testing.T) {
	tr := newTrunk(t, 1)
	bindPod(t, tr, "a", 1)
	_, err := tr.Release("a", 0)
	require.NoError(t, err)
	require.Len(t, tr.Sweep(61*sec, DefaultCoolDown), 1)
	bindPod(t, tr, "b", 2)

	_, err = tr.DeleteFailed(eni(1))
	require.NoError(t, err)
	assert.Equal(t, 2, tr.InUse()+tr.Cooling())
	assert.Equal(t, 0, tr.Free())
	require.NoError(t, tr.Check(), "Check allows the overshoot by retried entries")
	err = requireUnchanged(t, tr, func() error { _, err := tr.Reserve("c"); return err })
	assert.ErrorIs(t, err, ErrNoCapacity)
}

// Upstream: pkg/provider/branch/cooldown/cooldown.go (DefaultCoolDownPeriod,
// MinimalCoolDownPeriod, GetCoolDownPeriod) — values below 30 s are
// clamped up; a missing setting means 60 s.
func TestCoolDownClamp(t *testing.T) {
	tests := []struct {
		in, want time.Duration
	}{
		{0, 60 * sec},
		{29 * sec, 30 * sec},
		{time.Nanosecond, 30 * sec},
		{-5 * sec, 30 * sec},
		{30 * sec, 30 * sec},
		{45 * sec, 45 * sec},
		{10 * time.Minute, 10 * time.Minute},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, ClampCoolDown(tc.in), "ClampCoolDown(%v)", tc.in)
	}
	assert.Equal(t, 60*sec, DefaultCoolDown)
	assert.Equal(t, 30*sec, MinCoolDown)
	assert.Equal(t, 3, MaxDeleteRetries)

	// Sweep and NextCooled clamp too.
	tr := newTrunk(t, 9)
	bindPod(t, tr, "a", 1)
	_, err := tr.Release("a", 0)
	require.NoError(t, err)
	due, ok := tr.NextCooled(sec)
	require.True(t, ok)
	assert.Equal(t, 30*sec+1, due)
	assert.Empty(t, tr.Sweep(30*sec, sec), "1 s acts as 30 s")
	assert.Len(t, tr.Sweep(30*sec+1, sec), 1)
}

// Upstream: pkg/provider/branch/trunk/trunk.go (DeleteAllBranchENIs) — on
// node deletion every branch, in use or queued, is deleted at once
// regardless of cool-down, and the trunk leaves the cache.
func TestWipeIgnoresCoolDown(t *testing.T) {
	tr := newTrunk(t, 9)
	bindPod(t, tr, "bound", 1)       // VLAN 1
	bindPod(t, tr, "cooling", 2)     // VLAN 2
	bindPod(t, tr, "deleting", 3)    // VLAN 3
	bindPod(t, tr, "leaking", 4)     // VLAN 4
	_, err := tr.Reserve("reserved") // VLAN 5
	require.NoError(t, err)
	_, err = tr.Release("deleting", 0)
	require.NoError(t, err)
	_, err = tr.Release("leaking", 0)
	require.NoError(t, err)
	require.Len(t, tr.Sweep(61*sec, DefaultCoolDown), 2)
	for range MaxDeleteRetries - 1 {
		_, err = tr.DeleteFailed(eni(4))
		require.NoError(t, err)
		require.Len(t, tr.Sweep(61*sec, DefaultCoolDown), 1)
	}
	forgotten, err := tr.DeleteFailed(eni(4))
	require.NoError(t, err)
	require.True(t, forgotten)
	_, err = tr.Release("cooling", 61*sec)
	require.NoError(t, err)

	got := tr.Wipe()
	assert.Equal(t, []branch.ENIID{eni(1), eni(2), eni(3)}, enis(got), "bound, queued and deleting, by VLAN")
	assert.Equal(t, []branch.VLAN{1, 2, 3}, vlans(got))
	assert.Equal(t, 0, tr.InUse())
	assert.Equal(t, 0, tr.Cooling())
	assert.Equal(t, 0, tr.Deleting())
	assert.Empty(t, tr.Leaked())
	assert.Equal(t, 9, tr.Free())
	require.NoError(t, tr.Check())

	assert.ErrorIs(t, tr.Deleted(eni(3)), ErrUnknownENI)
	assert.ErrorIs(t, tr.Bind("reserved", eni(9), ""), ErrUnknownPod)
	vlan, err := tr.Reserve("fresh")
	require.NoError(t, err)
	assert.Equal(t, branch.VLAN(1), vlan, "every VLAN is free again")
	assert.Empty(t, newTrunk(t, 9).Wipe())
}

// Upstream: pkg/provider/branch/trunk/trunk.go (InitTrunk) — after a
// restart each pod's annotated ENI keeps its VLAN ID and maps to the pod's
// UID.
func TestRestoreFromAnnotations(t *testing.T) {
	tr := newTrunk(t, 9)
	claims := []Claim{
		{Pod: "uid-b", ENI: eni(20), VLAN: 3, Association: "trunk-assoc-b"},
		{Pod: "uid-a", ENI: eni(10), VLAN: 1, Association: "trunk-assoc-a"},
		{Pod: "uid-c", ENI: eni(30), VLAN: 7}, // annotated before associationID existed
	}
	require.NoError(t, tr.Restore(claims, nil, 5*time.Minute))

	want := []Branch{
		{Pod: "uid-a", ENI: eni(10), VLAN: 1, Association: "trunk-assoc-a"},
		{Pod: "uid-b", ENI: eni(20), VLAN: 3, Association: "trunk-assoc-b"},
		{Pod: "uid-c", ENI: eni(30), VLAN: 7},
	}
	assert.Equal(t, want, tr.Branches())
	b, ok := tr.Pod("uid-b")
	require.True(t, ok)
	assert.Equal(t, eni(20), b.ENI)
	assert.Equal(t, 3, tr.InUse())

	vlan, err := tr.Reserve("uid-d")
	require.NoError(t, err)
	assert.Equal(t, branch.VLAN(2), vlan, "lowest ID the annotations left free")
	_, err = tr.Release("uid-a", 5*time.Minute)
	require.NoError(t, err, "restored pods release as usual")
	require.NoError(t, tr.Check())
}

// Upstream: pkg/provider/branch/trunk/trunk.go (InitTrunk) — a branch ENI
// on the trunk that no pod claims keeps the VLAN from its tag and is queued
// for deletion stamped now, so the cool-down applies.
func TestRestoreQueuesOrphanWithCoolDown(t *testing.T) {
	tr := newTrunk(t, 2)
	start := 10 * time.Minute
	orphans := []Branch{{ENI: eni(5), VLAN: 4, Association: "trunk-assoc-x", Deletes: 2, ReleasedAt: time.Hour, SkipCoolDown: true}}
	require.NoError(t, tr.Restore([]Claim{{Pod: "p", ENI: eni(1), VLAN: 1}}, orphans, start))

	assert.Equal(t, []Branch{{ENI: eni(5), VLAN: 4, Association: "trunk-assoc-x", ReleasedAt: start}}, tr.Queue(),
		"stamped now, with a fresh failure count")
	err := requireUnchanged(t, tr, func() error { _, err := tr.Reserve("q"); return err })
	assert.ErrorIs(t, err, ErrNoCapacity, "the orphan counts against the limit")
	assert.Empty(t, tr.Sweep(start+DefaultCoolDown, DefaultCoolDown))
	assert.Equal(t, []branch.ENIID{eni(5)}, enis(tr.Sweep(start+DefaultCoolDown+1, DefaultCoolDown)))
	require.NoError(t, tr.Deleted(eni(5)))
	vlan, err := tr.Reserve("q")
	require.NoError(t, err)
	assert.Equal(t, branch.VLAN(2), vlan)
	require.NoError(t, tr.Check())
}

// Upstream: pkg/provider/branch/trunk/trunk.go (CreateAndAssociateBranchENIs,
// "cannot create new eni entry already exist") — a pod that already holds
// a branch gets an error, never a second ENI.
func TestSamePodTwiceIsAnError(t *testing.T) {
	tr := newTrunk(t, 9)
	_, err := tr.Reserve("p")
	require.NoError(t, err)
	err = requireUnchanged(t, tr, func() error { _, err := tr.Reserve("p"); return err })
	assert.ErrorIs(t, err, ErrPodHasBranch, "while reserved")

	require.NoError(t, tr.Bind("p", eni(1), "a"))
	err = requireUnchanged(t, tr, func() error { _, err := tr.Reserve("p"); return err })
	assert.ErrorIs(t, err, ErrPodHasBranch, "while bound")
	err = requireUnchanged(t, tr, func() error { return tr.Bind("p", eni(2), "b") })
	assert.ErrorIs(t, err, ErrPodHasBranch, "bind twice")
	assert.Equal(t, 1, tr.InUse())

	_, err = tr.Release("p", 0)
	require.NoError(t, err)
	_, err = tr.Reserve("p")
	assert.NoError(t, err, "once released, the UID may ask again")
}

// Upstream: pkg/provider/branch/trunk/trunk.go (PushBranchENIsToCoolDownQueue,
// Reconcile) — releasing a pod the cache does not hold only logs upstream;
// a reservation is not in that cache yet.
func TestReleaseUnknownOrReservedPod(t *testing.T) {
	tr := newTrunk(t, 9)
	err := requireUnchanged(t, tr, func() error { _, err := tr.Release("ghost", 0); return err })
	assert.ErrorIs(t, err, ErrUnknownPod)
	assert.NotErrorIs(t, err, ErrNotBound)

	_, err = tr.Reserve("p")
	require.NoError(t, err)
	err = requireUnchanged(t, tr, func() error { _, err := tr.Release("p", 0); return err })
	assert.ErrorIs(t, err, ErrNotBound)
	assert.ErrorIs(t, err, ErrUnknownPod, "ErrNotBound is a kind of unknown pod")
}

// Upstream: pkg/provider/branch/trunk/trunk.go (Reconcile) — cached pods
// no longer on the node are leaked: their ENIs go to the delete queue
// stamped now.
func TestReconcileQueuesPodsThatAreGone(t *testing.T) {
	tr := newTrunk(t, 9)
	bindPod(t, tr, "keep", 1)
	bindPod(t, tr, "gone-1", 2)
	bindPod(t, tr, "gone-2", 3)
	_, err := tr.Reserve("creating")
	require.NoError(t, err)

	got, err := tr.Reconcile([]string{"keep"}, 90*sec)
	require.NoError(t, err)
	assert.Equal(t, []branch.ENIID{eni(2), eni(3)}, enis(got))
	assert.Equal(t, got, tr.Queue())
	assert.Equal(t, 90*sec, got[0].ReleasedAt)
	_, ok := tr.Pod("creating")
	assert.True(t, ok, "reservations are not in upstream's cache yet")
	assert.Equal(t, 2, tr.InUse())

	got, err = tr.Reconcile([]string{"keep"}, 90*sec)
	require.NoError(t, err)
	assert.Empty(t, got)
	err = requireUnchanged(t, tr, func() error { _, err := tr.Reconcile(nil, sec); return err })
	assert.ErrorIs(t, err, ErrTimeBackwards)
	require.NoError(t, tr.Check())
}

// Upstream: pkg/provider/branch/provider.go (IsInstanceSupported) — only
// Linux nodes of trunking-compatible types get a trunk.
func TestNewRefusesIneligibleNodes(t *testing.T) {
	lookup := func(name string) limits.InstanceType {
		it, err := limits.Default().Lookup(name)
		require.NoError(t, err)
		return it
	}
	tests := []struct {
		name    string
		node    string
		it      limits.InstanceType
		os      limits.OS
		want    []error
		message string
	}{
		{name: "burstable", node: "n1", it: lookup("t3.large"), os: limits.OSLinux,
			want: []error{limits.ErrNotTrunkCompatible}},
		{name: "windows", node: "n1", it: lookup("m5.large"), os: limits.OSWindows,
			want: []error{limits.ErrWindows}},
		{name: "empty node", node: "", it: lookup("m5.large"), os: limits.OSLinux,
			want:    []error{ErrInvalidNode},
			message: `trunk: node "": New: empty node name`},
		{name: "zero limit", node: "n1", it: testType(0), os: limits.OSLinux,
			want:    []error{limits.ErrInvalidType},
			message: `trunk: node "n1": New: limits: instance type "x9.test": BranchInterfaces is 0; a trunk carries 1..120 branches`},
		{name: "limit above VLAN space", node: "n1", it: testType(121), os: limits.OSLinux,
			want: []error{limits.ErrInvalidType}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := New(tc.node, tc.it, tc.os)
			require.Error(t, err)
			assert.Nil(t, tr)
			for _, want := range tc.want {
				assert.ErrorIs(t, err, want)
			}
			var op *OpError
			require.ErrorAs(t, err, &op)
			assert.Equal(t, tc.node, op.Node)
			if tc.message != "" {
				assert.EqualError(t, err, tc.message)
			}
		})
	}

	var ie *limits.IneligibleError
	_, err := New("n1", lookup("t3.large"), limits.OSLinux)
	require.ErrorAs(t, err, &ie, "the limits error is reachable")
	assert.Equal(t, limits.ReasonBurstable, ie.Reason)

	tr, err := New("n1", lookup("m5.large"), limits.OSLinux)
	require.NoError(t, err)
	assert.Equal(t, 9, tr.Limit())
	assert.Equal(t, "n1", tr.Node())
	assert.Equal(t, 9, tr.Free())
}

// Every refused call leaves the trunk exactly as it was.
func TestFailedCallsLeaveTrunkUnchanged(t *testing.T) {
	tests := []struct {
		name string
		call func(tr *Trunk) error
		want error
	}{
		{"reserve empty pod", func(tr *Trunk) error { _, err := tr.Reserve(""); return err }, ErrInvalidPod},
		{"reserve bound pod", func(tr *Trunk) error { _, err := tr.Reserve("bound"); return err }, ErrPodHasBranch},
		{"bind unknown pod", func(tr *Trunk) error { return tr.Bind("ghost", eni(50), "") }, ErrUnknownPod},
		{"bind zero ENI", func(tr *Trunk) error { return tr.Bind("reserved", branch.ENIID{}, "") }, ErrInvalidENI},
		{"bind tracked ENI", func(tr *Trunk) error { return tr.Bind("reserved", eni(1), "") }, ErrENIConflict},
		{"bind queued ENI", func(tr *Trunk) error { return tr.Bind("reserved", eni(2), "") }, ErrENIConflict},
		{"bind deleting ENI", func(tr *Trunk) error { return tr.Bind("reserved", eni(3), "") }, ErrENIConflict},
		{"bind leaked ENI", func(tr *Trunk) error { return tr.Bind("reserved", eni(4), "") }, ErrENIConflict},
		{"unreserve unknown", func(tr *Trunk) error { return tr.Unreserve("ghost") }, ErrUnknownPod},
		{"unreserve bound", func(tr *Trunk) error { return tr.Unreserve("bound") }, ErrPodHasBranch},
		{"abort unknown", func(tr *Trunk) error { return tr.Abort("ghost", eni(50)) }, ErrUnknownPod},
		{"abort zero ENI", func(tr *Trunk) error { return tr.Abort("reserved", branch.ENIID{}) }, ErrInvalidENI},
		{"abort other ENI of bound pod", func(tr *Trunk) error { return tr.Abort("bound", eni(50)) }, ErrUnknownENI},
		{"abort with tracked ENI", func(tr *Trunk) error { return tr.Abort("reserved", eni(2)) }, ErrENIConflict},
		{"release unknown", func(tr *Trunk) error { _, err := tr.Release("ghost", time.Hour); return err }, ErrUnknownPod},
		{"release reserved", func(tr *Trunk) error { _, err := tr.Release("reserved", time.Hour); return err }, ErrNotBound},
		{"release back in time", func(tr *Trunk) error { _, err := tr.Release("bound", 0); return err }, ErrTimeBackwards},
		{"release negative", func(tr *Trunk) error { _, err := tr.Release("bound", -sec); return err }, ErrTimeBackwards},
		{"deleted unknown", func(tr *Trunk) error { return tr.Deleted(eni(50)) }, ErrUnknownENI},
		{"deleted queued", func(tr *Trunk) error { return tr.Deleted(eni(2)) }, ErrUnknownENI},
		{"deleted leaked", func(tr *Trunk) error { return tr.Deleted(eni(4)) }, ErrUnknownENI},
		{"delete failed unknown", func(tr *Trunk) error { _, err := tr.DeleteFailed(eni(50)); return err }, ErrUnknownENI},
		{"restore not empty", func(tr *Trunk) error { return tr.Restore(nil, nil, time.Hour) }, ErrNotEmpty},
		{"reconcile back in time", func(tr *Trunk) error { _, err := tr.Reconcile(nil, 0); return err }, ErrTimeBackwards},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := busyTrunk(t)
			err := requireUnchanged(t, tr, func() error { return tc.call(tr) })
			assert.ErrorIs(t, err, tc.want)
		})
	}
}

// busyTrunk has a branch in every state: "bound" on eni 1, eni 2 queued,
// eni 3 deleting, eni 4 leaked, and "reserved" with no ENI.
func busyTrunk(tb testing.TB) *Trunk {
	tb.Helper()
	tr := newTrunk(tb, 9)
	bindPod(tb, tr, "bound", 1)
	bindPod(tb, tr, "queued", 2)
	bindPod(tb, tr, "deleting", 3)
	bindPod(tb, tr, "leaked", 4)
	_, err := tr.Reserve("reserved")
	require.NoError(tb, err)
	for _, pod := range []string{"leaked", "deleting"} {
		_, err = tr.Release(pod, 0)
		require.NoError(tb, err)
	}
	require.Len(tb, tr.Sweep(61*sec, 0), 2)
	for i := 0; ; i++ {
		forgotten, err := tr.DeleteFailed(eni(4))
		require.NoError(tb, err)
		if forgotten {
			break
		}
		require.Len(tb, tr.Sweep(61*sec, 0), 1)
	}
	_, err = tr.Release("queued", 100*sec)
	require.NoError(tb, err)
	require.NoError(tb, tr.Check())
	require.Equal(tb, "node \"node-1\": 2 in use, 1 cooling, 1 deleting, 1 leaked, limit 9", tr.String())
	return tr
}

// Upstream: pkg/provider/branch/trunk/trunk.go (InitTrunk) marks VLANs
// silently; here contradictory inputs are refused, naming both entries.
func TestRestoreRefusesConflicts(t *testing.T) {
	a := Claim{Pod: "a", ENI: eni(1), VLAN: 1}
	tests := []struct {
		name    string
		claims  []Claim
		orphans []Branch
		want    error
		holder  string
		message string
	}{
		{name: "two claims on one VLAN", claims: []Claim{a, {Pod: "b", ENI: eni(2), VLAN: 1}}, want: ErrVLANConflict, holder: "a",
			message: `trunk: node "node-1": restore: pod "b" (eni-00000000000000002, VLAN 1) conflicts with pod "a" (eni-00000000000000001): VLAN ID claimed twice`},
		{name: "one ENI claimed twice", claims: []Claim{a, {Pod: "b", ENI: eni(1), VLAN: 2}}, want: ErrENIConflict, holder: "a"},
		{name: "pod claims twice", claims: []Claim{a, {Pod: "a", ENI: eni(2), VLAN: 2}}, want: ErrPodHasBranch, holder: "a"},
		{name: "VLAN zero", claims: []Claim{{Pod: "a", ENI: eni(1), VLAN: 0}}, want: ErrInvalidVLAN,
			message: `trunk: node "node-1": restore: pod "a" (eni-00000000000000001, VLAN 0): VLAN ID out of range`},
		{name: "VLAN 121", claims: []Claim{{Pod: "a", ENI: eni(1), VLAN: 121}}, want: ErrInvalidVLAN},
		{name: "zero ENI", claims: []Claim{{Pod: "a", VLAN: 1}}, want: ErrInvalidENI},
		{name: "empty pod", claims: []Claim{{ENI: eni(1), VLAN: 1}}, want: ErrInvalidPod},
		{name: "orphan on a claimed VLAN", claims: []Claim{a}, orphans: []Branch{{ENI: eni(2), VLAN: 1}}, want: ErrVLANConflict, holder: "a",
			message: `trunk: node "node-1": restore: orphan (eni-00000000000000002, VLAN 1) conflicts with pod "a" (eni-00000000000000001): VLAN ID claimed twice`},
		{name: "orphan ENI claimed", claims: []Claim{a}, orphans: []Branch{{ENI: eni(1), VLAN: 2}}, want: ErrENIConflict, holder: "a"},
		{name: "two orphans on one VLAN", orphans: []Branch{{ENI: eni(1), VLAN: 3}, {ENI: eni(2), VLAN: 3}}, want: ErrVLANConflict},
		{name: "orphan VLAN out of range", orphans: []Branch{{ENI: eni(1), VLAN: 200}}, want: ErrInvalidVLAN},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTrunk(t, 2)
			err := requireUnchanged(t, tr, func() error { return tr.Restore(tc.claims, tc.orphans, time.Minute) })
			assert.ErrorIs(t, err, tc.want)
			var ce *ClaimError
			if errors.As(err, &ce) {
				assert.Equal(t, tc.holder, ce.HolderPod)
			}
			if tc.message != "" {
				assert.EqualError(t, err, tc.message)
			}
		})
	}

	tr := newTrunk(t, 2)
	_, err := tr.Reserve("p")
	require.NoError(t, err)
	require.NoError(t, tr.Unreserve("p"))
	require.NoError(t, tr.Restore([]Claim{a}, nil, 0), "empty again after an unreserve")
	err = requireUnchanged(t, tr, func() error { return tr.Restore(nil, nil, time.Hour) })
	assert.ErrorIs(t, err, ErrNotEmpty)

	tr = newTrunk(t, 2)
	bindPod(t, tr, "x", 9)
	_, err = tr.Release("x", time.Hour)
	require.NoError(t, err)
	tr.Wipe()
	err = requireUnchanged(t, tr, func() error { return tr.Restore([]Claim{a}, nil, time.Minute) })
	assert.ErrorIs(t, err, ErrTimeBackwards, "a wipe keeps the latest time")
	require.NoError(t, tr.Restore([]Claim{a}, nil, time.Hour))
}

// NextCooled reports when the queue head becomes deletable, the instant a
// sweep first takes it.
func TestNextCooled(t *testing.T) {
	tr := newTrunk(t, 9)
	_, ok := tr.NextCooled(0)
	assert.False(t, ok, "empty queue")
	bindPod(t, tr, "a", 1)
	bindPod(t, tr, "b", 2)
	_, err := tr.Release("a", 7*sec)
	require.NoError(t, err)
	_, err = tr.Release("b", 9*sec)
	require.NoError(t, err)

	due, ok := tr.NextCooled(0)
	require.True(t, ok)
	assert.Equal(t, 67*sec+1, due)
	assert.Empty(t, tr.Sweep(due-1, 0))
	assert.Len(t, tr.Sweep(due, 0), 1)
	due, _ = tr.NextCooled(45 * sec)
	assert.Equal(t, 54*sec+1, due)

	huge := time.Duration(1<<63 - 1)
	due, _ = tr.NextCooled(huge)
	assert.Equal(t, huge, due, "saturates rather than overflowing")
}

func TestErrorMessages(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&OpError{Op: "Bind", Node: "n1", Pod: "p1", ENI: eni(2), Err: ErrENIConflict},
			`trunk: node "n1": Bind pod "p1" eni-00000000000000002: ENI already tracked`},
		{&OpError{Op: "Deleted", Node: "n1", ENI: eni(2), Err: ErrUnknownENI},
			`trunk: node "n1": Deleted eni-00000000000000002: unknown ENI`},
		{&OpError{Op: "Release", Node: "n1", Pod: "p", Err: ErrNotBound},
			`trunk: node "n1": Release pod "p": pod's branch has no ENI yet`},
		{&CapacityError{Node: "n1", Pod: "p10", InUse: 7, Cooling: 2, Limit: 9},
			`trunk: node "n1": pod "p10": no branch capacity left: 7 in use + 2 cooling, limit 9`},
		{&TimeError{Op: "Release", Node: "n1", Now: 10 * sec, Latest: time.Minute},
			`trunk: node "n1": Release at 10s: time went backwards (latest 1m0s)`},
		{&InvariantError{Node: "n1", Problem: "VLAN 3 held twice"},
			`trunk: node "n1": invariant violated: VLAN 3 held twice`},
	}
	for _, tc := range tests {
		assert.EqualError(t, tc.err, tc.want)
	}
}

// Check notices each kind of corruption.
func TestCheckDetectsCorruption(t *testing.T) {
	tests := []struct {
		name    string
		corrupt func(tr *Trunk)
	}{
		{"VLAN freed under a bound branch", func(tr *Trunk) { tr.vlans.free(vlanOf(tr, "bound")) }},
		{"stray VLAN marked", func(tr *Trunk) { tr.vlans.take(100) }},
		{"stray VLAN marked within the slots", func(tr *Trunk) { tr.vlans.take(6) }},
		{"VLAN 0 freed", func(tr *Trunk) { tr.vlans[0] &^= 1 }},
		{"branch on VLAN 0", func(tr *Trunk) {
			tr.slots[0], tr.enis[0] = slot{state: leaked, deletes: MaxDeleteRetries}, eni(90)
			tr.leaked = append(tr.leaked, 0)
		}},
		{"unknown state", func(tr *Trunk) { tr.slots[tr.queue.at(0)].state = leaked + 1 }},
		{"vacant slot with a branch", func(tr *Trunk) { tr.slots[7].pod = "ghost" }},
		{"ENI on two branches", func(tr *Trunk) { tr.enis[tr.queue.at(0)] = eni(1) }},
		{"ENI on a vacant slot", func(tr *Trunk) { tr.enis[7] = eni(77) }},
		{"ENI entries missing", func(tr *Trunk) { tr.enis = tr.enis[:1] }},
		{"queued entry without an ENI", func(tr *Trunk) { tr.enis[tr.queue.at(0)] = branch.ENIID{} }},
		{"reservation with an ENI", func(tr *Trunk) { tr.enis[vlanOf(tr, "reserved")] = eni(70) }},
		{"pod key mismatch", func(tr *Trunk) { tr.slots[vlanOf(tr, "bound")].pod = "other" }},
		{"pod key wrong", func(tr *Trunk) { tr.keys[vlanOf(tr, "bound")]++ }},
		{"pod key on a queued branch", func(tr *Trunk) { tr.keys[tr.queue.at(0)] = podKey("queued") }},
		{"in-use count off", func(tr *Trunk) { tr.inUse++ }},
		{"in-use count by key off", func(tr *Trunk) { tr.present[63]++ }},
		{"deleting count off", func(tr *Trunk) { tr.deleting++ }},
		{"queued branch missing from the queue", func(tr *Trunk) { tr.queue.popFront() }},
		{"queue names a bound branch", func(tr *Trunk) { tr.queue.pushBack(vlanOf(tr, "bound")) }},
		{"queue names one branch twice", func(tr *Trunk) {
			v := tr.queue.popFront()
			tr.queue.pushBack(v)
			tr.queue.pushBack(v)
			b := vlanOf(tr, "bound")
			tr.slots[b].state = queued
			tr.leaveInUse(b)
		}},
		{"too many deletes queued", func(tr *Trunk) { tr.slots[tr.queue.at(0)].deletes = MaxDeleteRetries }},
		{"leaked too early", func(tr *Trunk) { tr.slots[tr.leaked[0]].deletes = 1 }},
		{"leaked branch not listed", func(tr *Trunk) { tr.leaked = nil }},
		{"leaked list names a bound branch", func(tr *Trunk) { tr.leaked = append(tr.leaked, vlanOf(tr, "bound")) }},
		{"queued in the future", func(tr *Trunk) { tr.slots[tr.queue.at(0)].releasedAt = time.Hour }},
		{"over the limit", func(tr *Trunk) { tr.limit = 1 }},
		{"in-use branch with queue state", func(tr *Trunk) { tr.slots[vlanOf(tr, "bound")].releasedAt = sec }},
		{"too many slots", func(tr *Trunk) { tr.slots = append(tr.slots, make([]slot, vlanSlots)...) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := busyTrunk(t)
			tc.corrupt(tr)
			err := tr.Check()
			assert.ErrorIs(t, err, ErrInvariant)
			var ie *InvariantError
			require.ErrorAs(t, err, &ie)
			assert.NotEmpty(t, ie.Problem)
		})
	}

	t.Run("queue out of time order", func(t *testing.T) {
		tr := newTrunk(t, 9)
		bindPod(t, tr, "a", 1)
		bindPod(t, tr, "b", 2)
		_, err := tr.Release("a", sec)
		require.NoError(t, err)
		_, err = tr.Release("b", 2*sec)
		require.NoError(t, err)
		tr.slots[tr.queue.at(1)].releasedAt = 0
		assert.ErrorIs(t, tr.Check(), ErrInvariant)
	})
}

// Accessors return copies: changing them does not reach the trunk.
func TestAccessorsReturnCopies(t *testing.T) {
	tr := busyTrunk(t)
	before := snapshot(tr)
	tr.Branches()[0].VLAN = 99
	tr.Queue()[0].VLAN = 99
	tr.Leaked()[0].VLAN = 99
	tr.DeletingBranches()[0].VLAN = 99
	assert.Empty(t, stateDiff(before, tr))
	assert.Equal(t, []branch.ENIID{eni(3)}, enis(tr.DeletingBranches()))
}

// Upstream: pkg/provider/branch/trunk/trunk.go (assignVlanId, and the
// TODO in DeleteCooledDownENIs) — leaked VLANs are never returned, so
// enough leaks exhaust the 120 IDs although the capacity gate admits the
// pod.
func TestLeakedVLANsCanRunOut(t *testing.T) {
	tr := newTrunk(t, 1)
	var now time.Duration
	for n := uint64(1); n <= 120; n++ {
		pod := fmt.Sprintf("p%d", n)
		bindPod(t, tr, pod, n)
		_, err := tr.Release(pod, now)
		require.NoError(t, err)
		now += 2 * time.Minute
		for {
			require.Len(t, tr.Sweep(now, 0), 1)
			forgotten, err := tr.DeleteFailed(eni(n))
			require.NoError(t, err)
			if forgotten {
				break
			}
		}
	}
	assert.Len(t, tr.Leaked(), 120)
	assert.Equal(t, 1, tr.Free())
	err := requireUnchanged(t, tr, func() error { _, err := tr.Reserve("last"); return err })
	assert.ErrorIs(t, err, ErrNoFreeVLAN)
	assert.EqualError(t, err, `trunk: node "node-1": Reserve pod "last": no free VLAN ID`)

	assert.Empty(t, tr.Wipe(), "leaked ENIs are not handed out again")
	vlan, err := tr.Reserve("last")
	require.NoError(t, err)
	assert.Equal(t, branch.VLAN(1), vlan, "a wipe returns the leaked VLANs")
}

// The per-pod path allocates nothing once the trunk's maps and queue have
// grown, when the sweep appends to a reused buffer.
func TestCycleDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	tr := newTrunk(t, 9)
	pods := []string{"a", "b", "c", "d"}
	buf := make([]Branch, 0, 8)
	var now time.Duration
	var n uint64
	cycle := func() {
		for _, pod := range pods {
			n++
			if _, err := tr.Reserve(pod); err != nil {
				t.Fatal(err)
			}
			if err := tr.Bind(pod, eni(n), "assoc"); err != nil {
				t.Fatal(err)
			}
			if err := tr.Abort(pod, eni(n)); err != nil {
				t.Fatal(err)
			}
		}
		now += time.Minute
		buf = tr.AppendSweep(buf[:0], now, 0)
		for _, b := range buf {
			if err := tr.Deleted(b.ENI); err != nil {
				t.Fatal(err)
			}
		}
	}
	for range 10 {
		cycle()
	}
	assert.Zero(t, testing.AllocsPerRun(100, cycle))
}

// The calls a simulation makes for every branch allocate nothing once the
// trunk's table has grown, as the package documentation says.
func TestBranchLifecycleAllocatesNothing(t *testing.T) {
	tr := newTrunk(t, 9)
	bindPod(t, tr, "warm", 1)
	buf := make([]Branch, 0, 8)
	var now time.Duration
	n := uint64(1000)
	allocs := testing.AllocsPerRun(100, func() {
		n++
		_, err := tr.Reserve("p")
		require.NoError(t, err)
		require.NoError(t, tr.Bind("p", eni(n), "trunk-assoc"))
		_, err = tr.Release("p", now)
		require.NoError(t, err)
		now += 2 * time.Minute
		buf = tr.AppendSweep(buf[:0], now, 0)
		require.NoError(t, tr.Deleted(buf[0].ENI))
		_, err = tr.Reserve("q")
		require.NoError(t, err)
		require.NoError(t, tr.Unreserve("q"))
		_, err = tr.Reserve("r")
		require.NoError(t, err)
		require.NoError(t, tr.Abort("r", eni(n+1<<40)))
		buf = tr.AppendSweep(buf[:0], now, 0)
		forgotten, err := tr.DeleteFailed(buf[0].ENI)
		require.NoError(t, err)
		require.False(t, forgotten)
		buf = tr.AppendSweep(buf[:0], now, 0)
		require.NoError(t, tr.Deleted(buf[0].ENI))
	})
	assert.Zero(t, allocs)
	assert.Equal(t, "node \"node-1\": 1 in use, 0 cooling, 0 deleting, 0 leaked, limit 9", tr.String())
}

// TestInitTrunkOverTheLimit: upstream's InitTrunk applies no gate
// (pkg/provider/branch/trunk/trunk.go, v1.8.2): every claimed branch EC2
// still lists is rebuilt and every unclaimed one queued for deletion after
// the cool-down, however many there are; the capacity gate (in use +
// delete queue < limit, canCreateMore) then holds new reservations until
// enough have gone.
func TestInitTrunkOverTheLimit(t *testing.T) {
	tr := newTrunk(t, 2)
	claims := []Claim{{Pod: "a", ENI: eni(1), VLAN: 1}, {Pod: "b", ENI: eni(2), VLAN: 2}}
	orphans := []Branch{{ENI: eni(3), VLAN: 3}}
	require.NoError(t, tr.Restore(claims, orphans, time.Minute))
	require.NoError(t, tr.Check())
	assert.Equal(t, 2, tr.InUse())
	assert.Equal(t, 1, tr.Cooling())
	assert.Equal(t, 0, tr.Free())
	_, err := tr.Reserve("c")
	assert.ErrorIs(t, err, ErrNoCapacity)

	// The orphan goes after its cool-down: still at the limit.
	out := tr.Sweep(3*time.Minute, time.Minute)
	require.Len(t, out, 1)
	require.NoError(t, tr.Deleted(out[0].ENI))
	require.NoError(t, tr.Check())
	_, err = tr.Reserve("c")
	assert.ErrorIs(t, err, ErrNoCapacity, "2 in use, limit 2")

	// A pod ends: its branch cools, and the node stays full until it goes.
	_, err = tr.Release("a", 3*time.Minute+time.Second)
	require.NoError(t, err)
	_, err = tr.Reserve("c")
	assert.ErrorIs(t, err, ErrNoCapacity)
	out = tr.Sweep(5*time.Minute, time.Minute)
	require.Len(t, out, 1)
	require.NoError(t, tr.Deleted(out[0].ENI))
	_, err = tr.Reserve("c")
	require.NoError(t, err, "1 in use: capacity is free again")
	require.NoError(t, tr.Check())
}
