package limits

import "fmt"

// IPv6PrefixAddresses is how many addresses the /80 prefix holds that the
// VPC CNI assigns to the primary ENI in an IPv6 cluster: 2^48, so a node
// never runs out of pod addresses before kubelet's max pods stops it.
const IPv6PrefixAddresses = 1 << 48

// Networking is how a node's pods get their addresses and what kubelet is
// told about max pods. The zero value is today's default: a Linux node,
// an IPv4 cluster, one secondary address per pod on every ENI, and the
// max pods of EKS's eni-max-pods.txt; with it the *For methods give what
// [InstanceType.MaxPods], [InstanceType.IPPods] and
// [InstanceType.Capacity] give.
type Networking struct {
	// OS is the node's operating system; zero means Linux. On Windows the
	// VPC CNI does not run: the controller hands out the primary ENI's
	// secondary addresses, and the other fields are not read.
	OS OS
	// IPv6 is an IPv6 cluster (ENABLE_IPv6): pods take addresses from a
	// /80 prefix on the primary ENI.
	IPv6 bool
	// CustomNetworking is AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG=true: pods
	// take addresses from ENIs in the ENIConfig's subnet, never from the
	// primary ENI.
	CustomNetworking bool
	// PrefixDelegation is ENABLE_PREFIX_DELEGATION=true: each address slot
	// of an ENI holds a /28 prefix of [IPsPerPrefix] addresses. It takes
	// effect only on types that support prefixes ([InstanceType.SupportsPrefixes]).
	PrefixDelegation bool
	// MaxPods is kubelet's maxPods when the node's bootstrap sets one
	// (eksctl's maxPodsPerNode, nodeadm's kubelet config); zero means the
	// EKS default.
	MaxPods int
	// TrunkCarriesIPs models VPC CNI releases before v1.16.4, which put
	// secondary addresses on the trunk ENI like on any other.
	TrunkCarriesIPs bool
	// MaxENI is MAX_ENI: the most interfaces aws-node uses on the default
	// card, when below the type's limit (pkg/ipamd/ipamd.go getMaxENI);
	// a value below 1, such as the CNI's default -1 or zero, means unset.
	MaxENI int
}

// Validate reports a combination the VPC CNI or EKS refuses, as a
// [*ValueError] wrapping [ErrInvalidValue]: IPv6 with custom networking
// (pkg/ipamd/ipamd.go isConfigValid), IPv6 or custom networking on a
// Windows node (EKS Windows support), a negative MaxPods, or an undeclared
// OS.
func (n Networking) Validate() error {
	bad := func(input, valid string) error {
		return &ValueError{Kind: "networking", Input: input, Valid: valid}
	}
	switch {
	case n.OS != 0 && !n.OS.IsValid():
		return &ValueError{Kind: "OS", Input: n.OS.String(), Valid: "linux or windows"}
	case n.MaxPods < 0:
		return bad(fmt.Sprintf("max pods %d", n.MaxPods), "a positive count, or 0 for the default")
	case n.IPv6 && n.CustomNetworking:
		return bad("IPv6 with custom networking", "one of them: the VPC CNI supports custom networking only in IPv4 clusters")
	case n.OS == OSWindows && n.IPv6:
		return bad("IPv6 on Windows", "IPv4: EKS Windows nodes support only IPv4")
	case n.OS == OSWindows && n.CustomNetworking:
		return bad("custom networking on Windows", "no custom networking: EKS Windows nodes do not support it")
	}
	return nil
}

// windows reports whether n describes a Windows node.
func (n Networking) windows() bool { return n.OS == OSWindows }

// SupportsPrefixes reports whether the VPC CNI can assign prefixes on the
// type: Nitro or bare metal (pkg/awsutils/awsutils.go
// IsPrefixDelegationSupported). On other types prefix delegation falls
// back to secondary addresses, and an IPv6 cluster's aws-node does not
// start at all (pkg/ipamd/ipamd.go isConfigValid).
func (it InstanceType) SupportsPrefixes() bool {
	return it.Hypervisor == HypervisorNitro || it.BareMetal
}

// MaxPodsFor returns kubelet's max pods under n: n.MaxPods when set;
// otherwise IPv4PerInterface − 1 on Windows, where a node uses only its
// primary ENI and runs no host-network pods (EKS Windows support), and
// [InstanceType.MaxPods] on Linux whatever the CNI's mode, as the
// eni-max-pods.txt figure the default AMIs use does not change with it.
func (it InstanceType) MaxPodsFor(n Networking) int {
	switch {
	case n.MaxPods > 0:
		return n.MaxPods
	case n.windows():
		return max(0, it.IPv4PerInterface-1)
	}
	return it.MaxPods()
}

// HostNetworkPodsFor returns the host-network pods counted against max
// pods: [HostNetworkPods] on Linux, none on Windows, where kube-proxy runs
// as a service.
func (it InstanceType) HostNetworkPodsFor(n Networking) int {
	if n.windows() {
		return 0
	}
	return HostNetworkPods
}

// PodENIs returns how many interfaces of the default card carry pod
// addresses under n, with or without a trunk: all of them, less the
// primary ENI under custom networking (pkg/ipamd/datastore/data_store.go
// GetAllocatableENIs skips it), less the trunk when the type can hold one
// and the CNI keeps addresses off it. A Windows node uses only its
// primary ENI.
func (it InstanceType) PodENIs(n Networking, withTrunk bool) int {
	if n.windows() {
		return min(1, it.DefaultCardInterfaces())
	}
	enis := it.maxENIFor(n)
	if n.CustomNetworking {
		enis--
	}
	if withTrunk && it.TrunkingCompatible && !n.TrunkCarriesIPs {
		enis--
	}
	return max(0, enis)
}

// IPPodsOn returns how many pods enis pod-carrying interfaces give an
// address under n:
//
//	Windows:           IPv4PerInterface − 1, the primary ENI's secondary
//	                   addresses (controller pkg/provider/ip/provider.go getCapacity)
//	IPv6:              [IPv6PrefixAddresses], one /80 on the primary ENI,
//	                   whatever enis is; 0 on a type without prefixes
//	prefix delegation: enis × (IPv4PerInterface − 1) × 16
//	otherwise:         enis × (IPv4PerInterface − 1)
//
// The simulator calls it with the ENIs left while a trunk is awaited;
// [InstanceType.IPPodsFor] counts them itself.
func (it InstanceType) IPPodsOn(n Networking, enis int) int {
	slots := max(0, it.IPv4PerInterface-1)
	switch {
	case n.windows():
		return slots
	case n.IPv6 && !it.SupportsPrefixes():
		return 0
	case n.IPv6:
		return IPv6PrefixAddresses
	case n.PrefixDelegation && it.SupportsPrefixes():
		return max(0, enis) * slots * IPsPerPrefix
	}
	return max(0, enis) * slots
}

// IPPodsFor returns how many pods get an address under n, with or without
// a trunk: [InstanceType.IPPodsOn] over [InstanceType.PodENIs]. An m5.large
// with a trunk gives 18 in IPv4, 9 under custom networking, 288 with
// prefix delegation, and a whole /80 in IPv6.
func (it InstanceType) IPPodsFor(n Networking, withTrunk bool) int {
	return it.IPPodsOn(n, it.PodENIs(n, withTrunk))
}

// maxENIFor is the interfaces aws-node uses on the default card: the
// type's, or MAX_ENI when that is lower (pkg/ipamd/ipamd.go getMaxENI).
func (it InstanceType) maxENIFor(n Networking) int {
	enis := it.DefaultCardInterfaces()
	if n.MaxENI > 0 && n.MaxENI < enis {
		return n.MaxENI
	}
	return enis
}

// TrunkSlotFor reports whether aws-node, starting on a new node, finds an
// interface slot for a trunk and so asks for one: in IPv4 the interfaces
// attached (the primary ENI) must be fewer than it may use
// (pkg/ipamd/ipamd.go tryEnableSecurityGroupsForPods; only MAX_ENI 1 can
// leave none, since warm-pool filling keeps a slot for the trunk,
// hasRoomForEni). An IPv6 aws-node checks no slot.
func (it InstanceType) TrunkSlotFor(n Networking) bool {
	return n.IPv6 || n.windows() || it.maxENIFor(n) > 1
}

// ENIsHeld returns how many interfaces of the default card aws-node keeps
// attached for podIPs ordinary pods' addresses at its default warm pool:
// one interface's worth of addresses spare (WARM_ENI_TARGET=1; with
// prefix delegation WARM_PREFIX_TARGET=1, one prefix; no WARM_IP_TARGET
// or MINIMUM_IP_TARGET), as pkg/ipamd/ipamd.go isDatastorePoolTooLow
// allocates them, at most the interfaces it may use. It assumes the
// addresses packed on as few interfaces as hold them; ipamd frees an
// interface only once none of its addresses is assigned
// (getDeletableENI), so a real node can hold more. The primary ENI
// counts, and carries no pod addresses under custom networking. An IPv6
// or Windows node uses its primary ENI alone.
func (it InstanceType) ENIsHeld(n Networking, podIPs int) int {
	limit := it.maxENIFor(n)
	perENI := it.IPPodsOn(n, 1)
	if n.IPv6 || n.windows() || perENI == 0 || limit == 0 {
		return min(1, limit)
	}
	spare := perENI
	if n.PrefixDelegation && it.SupportsPrefixes() {
		spare = IPsPerPrefix
	}
	held := (max(0, podIPs) + spare + perENI - 1) / perENI
	if n.CustomNetworking {
		held++
	}
	return min(limit, max(1, held))
}

// TrunkSlotAt reports whether aws-node, asking for a trunk on a node
// whose ordinary pods hold podIPs addresses, finds an interface slot free:
// the interfaces held ([InstanceType.ENIsHeld]) are fewer than it may use
// (pkg/ipamd/ipamd.go tryEnableSecurityGroupsForPods, IPv4 only). At
// podIPs 0 it is [InstanceType.TrunkSlotFor].
func (it InstanceType) TrunkSlotAt(n Networking, podIPs int) bool {
	return n.IPv6 || n.windows() || it.ENIsHeld(n, podIPs) < it.maxENIFor(n)
}

// CanTrunkFor reports whether a node of the type gets a trunk under n:
// a Linux node of a trunking-compatible type whose aws-node finds a slot
// for it ([InstanceType.TrunkSlotFor]).
func (it InstanceType) CanTrunkFor(n Networking) bool {
	return !n.windows() && it.TrunkingCompatible && it.TrunkSlotFor(n)
}

// CapacityFor is [InstanceType.Capacity] under n. A Windows node never
// gets a trunk. In an IPv6 cluster the /80 never runs out, so an m5.large
// runs 27 ordinary pods, not 18, and kubelet max pods binds; under custom
// networking the same node with a trunk wires only 9 ordinary pods.
func (it InstanceType) CapacityFor(n Networking, withTrunk bool) Capacity {
	trunk := withTrunk && it.CanTrunkFor(n)
	c := Capacity{
		Trunk:           trunk,
		MaxPods:         it.MaxPodsFor(n),
		HostNetworkPods: it.HostNetworkPodsFor(n),
		IPPods:          it.IPPodsFor(n, trunk),
	}
	if trunk {
		c.BranchPods = it.BranchPods()
	}
	c.fill()
	return c
}
