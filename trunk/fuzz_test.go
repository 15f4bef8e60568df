package trunk

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/branch"
)

// fuzzPods are the pod UIDs a fuzzed sequence works on.
var fuzzPods = [...]string{"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7"}

// fuzzTrunk applies the operations data encodes to a trunk. The first
// byte picks the limit (1 to 12); each following pair of bytes is an
// operation and its argument. After every operation the trunk must pass
// Check and keep its public accounting straight, and an operation that
// fails must leave it exactly as it was.
func fuzzTrunk(t *testing.T, data []byte) {
	if len(data) == 0 {
		return
	}
	tr := newTrunk(t, int(data[0])%12+1)
	var now time.Duration
	var nextENI uint64
	newENI := func() branch.ENIID {
		nextENI++
		return eni(nextENI)
	}
	for ops := data[1:]; len(ops) >= 2; ops = ops[2:] {
		op, arg := ops[0]%12, ops[1]
		pod := fuzzPods[arg%8]
		before := snapshot(tr)
		var err error
		switch op {
		case 0:
			_, err = tr.Reserve(pod)
		case 1:
			e := newENI()
			if arg&0x80 != 0 && nextENI > 1 {
				e = eni(uint64(arg>>3)%(nextENI-1) + 1) // an ENI that may be taken
			}
			err = tr.Bind(pod, e, "trunk-assoc-"+e.String())
		case 2:
			err = tr.Unreserve(pod)
		case 3:
			e := newENI()
			if b, ok := tr.Pod(pod); ok && b.ENI.IsValid() && arg&0x80 == 0 {
				e = b.ENI
			}
			err = tr.Abort(pod, e)
		case 4:
			at := now + time.Duration(arg>>3)*sec
			if arg&0x80 != 0 {
				at = now - sec // back in time
			}
			_, err = tr.Release(pod, at)
			if err == nil {
				now = at
			}
		case 5:
			now += time.Duration(arg>>3) * 5 * sec
			tr.Sweep(now, time.Duration(arg%4)*20*sec)
		case 6, 7:
			target := newENI() // not being deleted, unless one is picked
			if d := tr.DeletingBranches(); len(d) > 0 && arg&0x80 == 0 {
				target = d[int(arg)%len(d)].ENI
			}
			if op == 6 {
				err = tr.Deleted(target)
			} else {
				_, err = tr.DeleteFailed(target)
			}
		case 8:
			tr.Wipe()
		case 9:
			var alive []string
			for i, p := range fuzzPods {
				if arg&(1<<i) != 0 {
					alive = append(alive, p)
				}
			}
			now += sec
			_, err = tr.Reconcile(alive, now)
		case 10:
			now += sec
			var claims []Claim
			var orphans []Branch
			for i := range int(arg % 4) {
				vlan := branch.VLAN((int(arg>>2)+i*7)%int(branch.MaxVLAN) + 1)
				if i%2 == 0 {
					claims = append(claims, Claim{Pod: fuzzPods[(int(arg)+i)%8], ENI: newENI(), VLAN: vlan})
				} else {
					orphans = append(orphans, Branch{ENI: newENI(), VLAN: vlan})
				}
			}
			err = tr.Restore(claims, orphans, now)
		case 11:
			now += time.Duration(arg) * sec
		}
		if err != nil {
			require.Empty(t, stateDiff(before, tr), "operation %d (arg %d) failed with %v and changed the trunk", op, arg, err)
		}
		require.NoError(t, tr.Check(), "after operation %d (arg %d)", op, arg)
		checkAccounting(t, tr)
	}
}

// checkAccounting checks what the public accessors promise: counts agree
// with the listings, in use + cooling stays within the limit but for
// entries a failed delete put back, and no VLAN or ENI is held twice.
func checkAccounting(t *testing.T, tr *Trunk) {
	queue, deleting, leaked, bound := tr.Queue(), tr.DeletingBranches(), tr.Leaked(), tr.Branches()
	require.Equal(t, len(queue), tr.Cooling())
	require.Equal(t, len(deleting), tr.Deleting())
	retried := 0
	for _, b := range queue {
		if b.Deletes > 0 {
			retried++
		}
	}
	require.LessOrEqual(t, tr.InUse()+tr.Cooling(), tr.Limit()+retried)
	require.Equal(t, max(0, tr.Limit()-tr.InUse()-tr.Cooling()), tr.Free())
	all := append(append(append(bound, queue...), deleting...), leaked...)
	reserved := 0
	for _, p := range fuzzPods {
		if b, ok := tr.Pod(p); ok && !b.ENI.IsValid() {
			all = append(all, b)
			reserved++
		}
	}
	require.Equal(t, tr.InUse(), len(bound)+reserved)
	vlans := map[branch.VLAN]bool{}
	enis := map[branch.ENIID]bool{}
	for _, b := range all {
		require.True(t, b.VLAN.IsValid())
		require.False(t, vlans[b.VLAN], "VLAN %d held twice", b.VLAN)
		vlans[b.VLAN] = true
		if b.ENI.IsValid() {
			require.False(t, enis[b.ENI], "%v held twice", b.ENI)
			enis[b.ENI] = true
		}
	}
}

// FuzzTrunkOperations runs byte-encoded sequences of trunk operations
// (see fuzzTrunk). The seed corpus in testdata/fuzz/FuzzTrunkOperations
// walks the lifecycle: fill and drain, cool-down sweeps, deletes that fail
// until the ENI is forgotten, wipes, restores and reconciles.
func FuzzTrunkOperations(f *testing.F) {
	f.Add([]byte{2, 0, 0, 1, 0, 0, 1, 1, 1, 4, 8, 5, 255, 6, 0})
	f.Fuzz(fuzzTrunk)
}
