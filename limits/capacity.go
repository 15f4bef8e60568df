package limits

import (
	"fmt"
	"strconv"
)

// HostNetworkPods is the number of host-network pods the EKS max-pods
// formula reserves room for: aws-node and kube-proxy. They need no pod IP.
const HostNetworkPods = 2

// IPsPerPrefix is the number of addresses in the /28 prefix the VPC CNI
// assigns per slot when prefix delegation is on.
const IPsPerPrefix = 16

// NoPodCap leaves [InstanceType.MaxPodsPrefixDelegation] uncapped, as the
// AL2023 node bootstrap (nodeadm) does.
const NoPodCap = 0

// DefaultCardInterfaces returns the ENIs usable for pods:
//
//	min(Interfaces, MaxInterfaces of the default network card)
//
// The controller sizes a node's device indexes this way
// (pkg/aws/ec2/instance.go, LoadDetails), and EKS's eni-max-pods.txt counts
// only the default card on multi-card types (VPC CNI
// scripts/gen_vpc_ip_limits.go), so a c6in.32xlarge with 16 interfaces on
// two cards counts 8. It returns 0 when the default card is missing, which
// [InstanceType.Validate] rejects.
func (it InstanceType) DefaultCardInterfaces() int {
	for _, card := range it.NetworkCards {
		if card.Index == it.DefaultNetworkCardIndex {
			return max(0, min(it.Interfaces, card.MaxInterfaces))
		}
	}
	return 0
}

// MaxPods returns kubelet's max pods as EKS sets it:
//
//	ENIs × (IPv4PerInterface − 1) + 2
//
// with ENIs from [InstanceType.DefaultCardInterfaces]. Each ENI's primary
// address serves no pod, and 2 covers the [HostNetworkPods]. This is the
// max-pods column of the VPC CNI's misc/eni-max-pods.txt and nodeadm's
// standard calculation: 29 for m5.large, 58 for c5.xlarge. Neither source
// subtracts a trunk or adds branch pods; branch pods count against it too.
func (it InstanceType) MaxPods() int {
	return it.DefaultCardInterfaces()*max(0, it.IPv4PerInterface-1) + HostNetworkPods
}

// MaxPodsPrefixDelegation returns max pods when the VPC CNI assigns /28
// prefixes instead of single addresses:
//
//	min(ENIs × ((IPv4PerInterface − 1) × 16) + 2, podCap)
//
// from the AL2 max-pods-calculator.sh of amazon-eks-ami. That script caps
// the figure by vCPU count, which this table does not hold, so the caller
// passes the cap: [PrefixDelegationCap] for the script's rule, a kubelet
// maxPods it has chosen, or [NoPodCap] (any value below 1) for the uncapped
// figure nodeadm uses. m5.large gives 434 uncapped and 110 capped for its 2
// vCPUs.
func (it InstanceType) MaxPodsPrefixDelegation(podCap int) int {
	pods := it.DefaultCardInterfaces()*max(0, it.IPv4PerInterface-1)*IPsPerPrefix + HostNetworkPods
	if podCap > 0 {
		return min(pods, podCap)
	}
	return pods
}

// PrefixDelegationCap returns the cap AL2's max-pods-calculator.sh applies
// with prefix delegation: 110 pods for instances with 30 vCPUs or fewer,
// 250 above.
func PrefixDelegationCap(vCPUs int) int {
	if vCPUs <= 30 {
		return 110
	}
	return 250
}

// IPPods returns how many pods can get a secondary IPv4 address from the
// VPC CNI:
//
//	without a trunk: ENIs × (IPv4PerInterface − 1)
//	with a trunk:    (ENIs − 1) × (IPv4PerInterface − 1)
//
// because from VPC CNI v1.16.4 on the trunk takes an ENI slot and never
// receives secondary addresses (pkg/ipamd/datastore, IsTrunk). m5.large gives
// 27 and 18, c5.xlarge 56 and 42. A type that cannot hold a trunk never gets
// one, so withTrunk changes nothing for it.
func (it InstanceType) IPPods(withTrunk bool) int {
	enis := it.DefaultCardInterfaces()
	if withTrunk && it.TrunkingCompatible {
		enis--
	}
	return max(0, enis) * max(0, it.IPv4PerInterface-1)
}

// BranchPods returns how many pods with their own security groups the node
// can run once its trunk is attached: one branch ENI each, up to
// BranchInterfaces, which the controller advertises as the extended
// resource vpc.amazonaws.com/pod-eni (pkg/provider/branch/provider.go,
// UpdateResourceCapacity). 9 for m5.large, 18 for c5.xlarge, 0 for types
// that cannot hold a trunk.
func (it InstanceType) BranchPods() int { return max(0, it.BranchInterfaces) }

// Limit names the resource that stops a node from running more pods. The
// zero value is not a valid limit.
type Limit uint8

const (
	// LimitMaxPods: kubelet's max pods. The scheduler knows it, so extra
	// pods stay Pending elsewhere instead of failing on the node.
	LimitMaxPods Limit = 1 + iota
	// LimitIPs: the VPC CNI's secondary addresses. The scheduler does not
	// know them, so extra pods land and sit in ContainerCreating with
	// "failed to assign an IP address to container".
	LimitIPs
	// LimitBranches: the trunk's branch ENIs, known to the scheduler as
	// vpc.amazonaws.com/pod-eni, so extra pods stay Pending.
	LimitBranches
)

// String returns "max-pods", "ips" or "branches", or "Limit(N)" for an
// invalid value.
func (l Limit) String() string {
	switch l {
	case LimitMaxPods:
		return "max-pods"
	case LimitIPs:
		return "ips"
	case LimitBranches:
		return "branches"
	}
	return "Limit(" + strconv.Itoa(int(l)) + ")"
}

// describe names the limit in words for [Capacity.String].
func (l Limit) describe() string {
	switch l {
	case LimitMaxPods:
		return "kubelet max pods binds"
	case LimitIPs:
		return "secondary IPs bind"
	case LimitBranches:
		return "branch ENIs bind"
	}
	return l.String() + " binds"
}

// Capacity is how many pods a node of one instance type can really run,
// with or without a trunk ENI, and which limit stops it. When two limits
// are reached together, LimitMaxPods is reported: the scheduler stops there,
// so nothing is stranded.
type Capacity struct {
	// Trunk reports whether the figures assume an attached trunk; false
	// when a trunk was asked for but the type cannot hold one.
	Trunk bool
	// MaxPods is kubelet's max pods, from [InstanceType.MaxPodsFor].
	MaxPods int
	// HostNetworkPods is [InstanceType.HostNetworkPodsFor]: [HostNetworkPods]
	// on Linux, 0 on Windows.
	HostNetworkPods int
	// IPPods is [InstanceType.IPPodsFor] for Trunk; [IPv6PrefixAddresses]
	// in an IPv6 cluster.
	IPPods int
	// BranchPods is [InstanceType.BranchPods] with a trunk and 0 without.
	BranchPods int

	// Pods is what the node runs when the workload fills every pool:
	// min(MaxPods, HostNetworkPods + IPPods + BranchPods).
	Pods int
	// Binding is LimitMaxPods when the scheduler stops first, or LimitIPs
	// when it can place more pods than the node can wire. Branch pods never
	// overflow, because the scheduler counts them, so the stranded ones are
	// always pods waiting for an IP.
	Binding Limit

	// RegularPods is how many pods besides the host-network ones the node
	// runs when none asks for security groups of its own:
	// min(IPPods, MaxPods − HostNetworkPods).
	RegularPods int
	// RegularBinding is LimitIPs when IPPods is the smaller term, and
	// LimitMaxPods otherwise.
	RegularBinding Limit

	// SecurityGroupPods is how many pods besides the host-network ones the
	// node runs when every one asks for security groups of its own:
	// min(BranchPods, MaxPods − HostNetworkPods).
	SecurityGroupPods int
	// SecurityGroupBinding is LimitBranches when BranchPods is the smaller
	// term, and LimitMaxPods otherwise.
	SecurityGroupBinding Limit
}

// Capacity computes the node's capacity with or without a trunk ENI (that
// is, with security groups for pods on or off) under the default
// networking, as [InstanceType.CapacityFor] with the zero [Networking]. For c5.xlarge with a trunk,
// 2 host-network + 42 IP + 18 branch = 62 pod slots exceed its 58 max pods,
// so Pods is 58 and kubelet max pods binds. With only pods that have no
// security groups of their own, 42 get an IP while the scheduler places 56.
func (it InstanceType) Capacity(withTrunk bool) Capacity {
	return it.CapacityFor(Networking{}, withTrunk)
}

// fill derives the totals and binding limits from the pools.
func (c *Capacity) fill() {
	c.Pods, c.Binding = bound(c.MaxPods, c.HostNetworkPods+c.IPPods+c.BranchPods, LimitIPs)
	podRoom := max(0, c.MaxPods-c.HostNetworkPods)
	c.RegularPods, c.RegularBinding = bound(podRoom, c.IPPods, LimitIPs)
	c.SecurityGroupPods, c.SecurityGroupBinding = bound(podRoom, c.BranchPods, LimitBranches)
}

// bound returns the smaller of the max-pods room and the network's figure,
// and which of them binds; ties go to max pods.
func bound(maxPodsRoom, network int, networkLimit Limit) (int, Limit) {
	if network < maxPodsRoom {
		return network, networkLimit
	}
	return maxPodsRoom, LimitMaxPods
}

// StrandedPods returns how many pods without security groups the scheduler
// can place on the node that never get an IP, when no branch pods run:
// MaxPods − HostNetworkPods − IPPods when positive. It is 9 for m5.large
// and 14 for c5.xlarge with a trunk (amazon-eks-ami#2051).
func (c Capacity) StrandedPods() int {
	return max(0, c.MaxPods-c.HostNetworkPods-c.IPPods)
}

// String sums the pod slots and names the binding limit, for example
// "2 host-network + 42 IP + 18 branch = 62 > 58 max pods: kubelet max pods binds".
func (c Capacity) String() string {
	slots := c.HostNetworkPods + c.IPPods + c.BranchPods
	sum := fmt.Sprintf("%d host-network + %d IP", c.HostNetworkPods, c.IPPods)
	if c.IPPods >= IPv6PrefixAddresses {
		sum = fmt.Sprintf("%d host-network + a /80 of IP", c.HostNetworkPods)
	}
	if c.Trunk {
		sum += fmt.Sprintf(" + %d branch", c.BranchPods)
	}
	rel := "="
	if c.IPPods >= IPv6PrefixAddresses {
		return fmt.Sprintf("%s > %d max pods: %s", sum, c.MaxPods, c.Binding.describe())
	}
	switch {
	case slots > c.MaxPods:
		rel = ">"
	case slots < c.MaxPods:
		rel = "<"
	}
	return fmt.Sprintf("%s = %d %s %d max pods: %s", sum, slots, rel, c.MaxPods, c.Binding.describe())
}
