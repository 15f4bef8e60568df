package trunk_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/limits"
	"github.com/trunksim/trunksim/trunk"
)

// A pod's branch from creation to deletion, with the EC2 calls left to the
// caller.
func Example() {
	it, _ := limits.Default().Lookup("m5.large")
	tr, err := trunk.New("ip-10-0-1-7", it, limits.OSLinux)
	if err != nil {
		fmt.Println(err)
		return
	}

	vlan, _ := tr.Reserve("pod-a")
	fmt.Println("reserved VLAN", vlan)
	// CreateNetworkInterface, CreateNetworkInterfacePermission and
	// AssociateTrunkInterface succeed.
	_ = tr.Bind("pod-a", branch.ENIIDFromUint64(1), "trunk-assoc-1")
	fmt.Println(tr)

	_, _ = tr.Release("pod-a", 10*time.Second)
	due, _ := tr.NextCooled(trunk.DefaultCoolDown)
	fmt.Println("deletable from", due)
	for _, b := range tr.Sweep(due, trunk.DefaultCoolDown) {
		fmt.Println("delete", b.ENI, "VLAN", b.VLAN)
		// DisassociateTrunkInterface and DeleteNetworkInterface succeed.
		_ = tr.Deleted(b.ENI)
	}
	fmt.Println(tr)
	// Output:
	// reserved VLAN 1
	// node "ip-10-0-1-7": 1 in use, 0 cooling, 0 deleting, 0 leaked, limit 9
	// deletable from 1m10.000000001s
	// delete eni-00000000000000001 VLAN 1
	// node "ip-10-0-1-7": 0 in use, 0 cooling, 0 deleting, 0 leaked, limit 9
}

func ExampleClampCoolDown() {
	for _, d := range []time.Duration{0, 10 * time.Second, 45 * time.Second} {
		fmt.Println(d, "->", trunk.ClampCoolDown(d))
	}
	// Output:
	// 0s -> 1m0s
	// 10s -> 30s
	// 45s -> 45s
}

// The capacity gate counts released branches still cooling down.
func ExampleTrunk_Reserve() {
	it, _ := limits.Default().Lookup("m5.large") // 9 branches
	tr, _ := trunk.New("n1", it, limits.OSLinux)
	for i := range 9 {
		pod := fmt.Sprintf("pod-%d", i)
		_, _ = tr.Reserve(pod)
		_ = tr.Bind(pod, branch.ENIIDFromUint64(uint64(i+1)), "")
	}
	_, _ = tr.Release("pod-0", 0)

	_, err := tr.Reserve("pod-9")
	var ce *trunk.CapacityError
	if errors.As(err, &ce) {
		fmt.Println(ce.InUse, "in use +", ce.Cooling, "cooling of", ce.Limit)
	}
	fmt.Println(err)
	// Output:
	// 8 in use + 1 cooling of 9
	// trunk: node "n1": pod "pod-9": no branch capacity left: 8 in use + 1 cooling, limit 9
}

// A branch whose deletion keeps failing is forgotten with its VLAN.
func ExampleTrunk_DeleteFailed() {
	it, _ := limits.Default().Lookup("m5.large")
	tr, _ := trunk.New("n1", it, limits.OSLinux)
	_, _ = tr.Reserve("pod-a")
	_ = tr.Bind("pod-a", branch.ENIIDFromUint64(7), "")
	_, _ = tr.Release("pod-a", 0)

	now := 2 * time.Minute
	for _, b := range tr.Sweep(now, 0) {
		for {
			forgotten, _ := tr.DeleteFailed(b.ENI)
			if forgotten {
				break
			}
			tr.Sweep(now, 0) // back at the head: the same pass retries it
		}
	}
	for _, b := range tr.Leaked() {
		fmt.Println("leaked", b.ENI, "VLAN", b.VLAN, "after", b.Deletes, "failures")
	}
	vlan, _ := tr.Reserve("pod-b")
	fmt.Println("next VLAN", vlan)
	// Output:
	// leaked eni-00000000000000007 VLAN 1 after 3 failures
	// next VLAN 2
}

// After a restart, annotations rebuild the branches in use and unclaimed
// ENIs wait out a cool-down before deletion.
func ExampleTrunk_Restore() {
	it, _ := limits.Default().Lookup("m5.large")
	tr, _ := trunk.New("n1", it, limits.OSLinux)
	claims := []trunk.Claim{
		{Pod: "uid-1", ENI: branch.ENIIDFromUint64(1), VLAN: 2, Association: "trunk-assoc-1"},
	}
	orphans := []trunk.Branch{{ENI: branch.ENIIDFromUint64(9), VLAN: 1}}
	now := 5 * time.Minute
	if err := tr.Restore(claims, orphans, now); err != nil {
		fmt.Println(err)
		return
	}
	for _, b := range tr.Branches() {
		fmt.Println("in use:", b.Pod, b.ENI, "VLAN", b.VLAN)
	}
	for _, b := range tr.Queue() {
		fmt.Println("queued:", b.ENI, "VLAN", b.VLAN, "at", b.ReleasedAt)
	}
	vlan, _ := tr.Reserve("uid-2")
	fmt.Println("next VLAN", vlan)

	err := tr.Restore(claims, nil, now)
	fmt.Println(errors.Is(err, trunk.ErrNotEmpty))
	// Output:
	// in use: uid-1 eni-00000000000000001 VLAN 2
	// queued: eni-00000000000000009 VLAN 1 at 5m0s
	// next VLAN 3
	// true
}

func ExampleTrunk_Wipe() {
	it, _ := limits.Default().Lookup("m5.large")
	tr, _ := trunk.New("n1", it, limits.OSLinux)
	for i, pod := range []string{"a", "b", "c"} {
		_, _ = tr.Reserve(pod)
		_ = tr.Bind(pod, branch.ENIIDFromUint64(uint64(10+i)), "")
	}
	_, _ = tr.Release("b", 0) // still cooling

	for _, b := range tr.Wipe() {
		fmt.Println("delete", b.ENI, "VLAN", b.VLAN)
	}
	fmt.Println(tr)
	// Output:
	// delete eni-0000000000000000a VLAN 1
	// delete eni-0000000000000000b VLAN 2
	// delete eni-0000000000000000c VLAN 3
	// node "n1": 0 in use, 0 cooling, 0 deleting, 0 leaked, limit 9
}
