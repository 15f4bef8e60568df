package limits_test

import (
	"errors"
	"fmt"

	"github.com/trunksim/trunksim/limits"
)

func ExampleTable_Lookup() {
	it, err := limits.Default().Lookup("m5.large")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(it.Name, "ENIs:", it.Interfaces, "IPv4 per ENI:", it.IPv4PerInterface, "branches:", it.BranchInterfaces)

	_, err = limits.Default().Lookup("M5.Large")
	var unknown *limits.UnknownTypeError
	if errors.As(err, &unknown) {
		fmt.Println(unknown.Suggestions)
	}
	fmt.Println(err)
	// Output:
	// m5.large ENIs: 3 IPv4 per ENI: 10 branches: 9
	// [m5.large]
	// limits: unknown instance type "M5.Large"; did you mean m5.large?
}

func ExampleTable_CanTrunk() {
	for _, name := range []string{"m5.large", "t3.large", "m4.large", "i4i.large"} {
		_, err := limits.Default().CanTrunk(name, limits.OSLinux)
		var inel *limits.IneligibleError
		switch {
		case err == nil:
			fmt.Printf("%s: can hold a trunk ENI\n", name)
		case errors.As(err, &inel):
			fmt.Printf("%s: %s (%s)\n", name, inel.Detail(), inel.Reason)
		}
	}
	_, err := limits.Default().CanTrunk("m5.large", limits.OSWindows)
	fmt.Println(errors.Is(err, limits.ErrWindows))
	// Output:
	// m5.large: can hold a trunk ENI
	// t3.large: burstable t3 family instances are not trunking compatible (burstable)
	// m4.large: it runs on the Xen hypervisor, and trunk ENIs need the Nitro system (xen)
	// i4i.large: can hold a trunk ENI
	// true
}

func ExampleInstanceType_Capacity() {
	it, err := limits.Default().Lookup("c5.xlarge")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, withTrunk := range []bool{false, true} {
		c := it.Capacity(withTrunk)
		fmt.Printf("trunk=%t: %v\n", withTrunk, c)
		fmt.Printf("  only ordinary pods: %d (%v), %d stranded without IPs\n", c.RegularPods, c.RegularBinding, c.StrandedPods())
	}
	// Output:
	// trunk=false: 2 host-network + 56 IP = 58 = 58 max pods: kubelet max pods binds
	//   only ordinary pods: 56 (max-pods), 0 stranded without IPs
	// trunk=true: 2 host-network + 42 IP + 18 branch = 62 > 58 max pods: kubelet max pods binds
	//   only ordinary pods: 42 (ips), 14 stranded without IPs
}

func ExampleInstanceType_MaxPodsPrefixDelegation() {
	it, err := limits.Default().Lookup("m5.large")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("uncapped (nodeadm):", it.MaxPodsPrefixDelegation(limits.NoPodCap))
	fmt.Println("AL2 calculator, 2 vCPUs:", it.MaxPodsPrefixDelegation(limits.PrefixDelegationCap(2)))
	// Output:
	// uncapped (nodeadm): 434
	// AL2 calculator, 2 vCPUs: 110
}

func ExampleTable_With() {
	base := limits.Default()
	m7 := limits.InstanceType{
		Name:                    "m99.large",
		Interfaces:              3,
		IPv4PerInterface:        10,
		TrunkingCompatible:      true,
		BranchInterfaces:        12,
		DefaultNetworkCardIndex: 0,
		NetworkCards:            []limits.NetworkCard{{Index: 0, MaxInterfaces: 3}},
		Hypervisor:              limits.HypervisorNitro,
	}
	planned, err := base.With(m7)
	if err != nil {
		fmt.Println(err)
		return
	}
	it, _ := planned.Lookup("m99.large")
	fmt.Println(planned.Len()-base.Len(), "type added;", it.BranchPods(), "branch pods")
	_, err = base.Lookup("m99.large")
	fmt.Println("original table has it:", err == nil)

	m7.BranchInterfaces = 0
	_, err = base.With(m7)
	fmt.Println(err)
	// Output:
	// 1 type added; 12 branch pods
	// original table has it: false
	// limits: instance type "m99.large": BranchInterfaces is 0 but TrunkingCompatible is true
}

// A controller release's table differs from its predecessors' in more than
// new types: i4i.large holds a trunk only from v1.8.1.
func ExampleForRelease() {
	for _, v := range []string{"v1.8.0", "v1.8.1"} {
		tbl, err := limits.ForRelease(v)
		if err != nil {
			fmt.Println(err)
			return
		}
		it, _ := tbl.Lookup("i4i.large")
		fmt.Printf("%s: %d types, i4i.large %d branches\n", tbl.Release(), tbl.Len(), it.BranchInterfaces)
	}
	_, err := limits.ForRelease("v1.9.0")
	fmt.Println(errors.Is(err, limits.ErrUnknownRelease))
	// Output:
	// v1.8.0: 1346 types, i4i.large 0 branches
	// v1.8.1: 1401 types, i4i.large 9 branches
	// true
}
