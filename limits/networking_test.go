package limits_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"pgregory.net/rapid"

	"github.com/trunksim/trunksim/limits"
)

// Upstream (VPC CNI v1.23.2): misc/eni-max-pods.txt and
// scripts/gen_vpc_ip_limits.go printPodLimit give m5.large 29 max pods;
// pkg/ipamd/datastore/data_store.go GetAllocatableENIs skips the trunk, so
// 18 of its 27 secondary addresses remain with one.
func TestIPv4WorkedExampleM5Large(t *testing.T) {
	m5 := lookup(t, "m5.large")
	var ipv4 limits.Networking
	assert.Equal(t, 29, m5.MaxPodsFor(ipv4))
	assert.Equal(t, 27, m5.IPPodsFor(ipv4, false))
	assert.Equal(t, 18, m5.IPPodsFor(ipv4, true))
	assert.Equal(t, m5.Capacity(true), m5.CapacityFor(ipv4, true), "the zero Networking is today's arithmetic")
	assert.Equal(t, m5.Capacity(false), m5.CapacityFor(ipv4, false))
}

// Upstream (VPC CNI v1.23.2): pkg/ipamd/ipamd.go isConfigValid requires
// prefix delegation in IPv6 mode, GetENIResourcesToAllocate asks for one
// prefix, and createSecondaryIPv6ENIs attaches no further ENI on the
// default card: every pod takes an address from the primary ENI's /80,
// so kubelet max pods (29 from eni-max-pods.txt) binds: 27 ordinary pods
// on an m5.large with a trunk, not 18.
func TestIPv6PrefixNeverRunsOutBeforeMaxPods(t *testing.T) {
	m5 := lookup(t, "m5.large")
	v6 := limits.Networking{IPv6: true}
	c := m5.CapacityFor(v6, true)
	assert.Equal(t, 29, c.MaxPods)
	assert.Equal(t, limits.IPv6PrefixAddresses, c.IPPods)
	assert.Equal(t, 27, c.RegularPods)
	assert.Equal(t, limits.LimitMaxPods, c.RegularBinding)
	assert.Equal(t, 9, c.SecurityGroupPods)
	assert.Equal(t, 29, c.Pods)
	assert.Equal(t, limits.LimitMaxPods, c.Binding)
	assert.Zero(t, c.StrandedPods())
	assert.Equal(t, "2 host-network + a /80 of IP + 9 branch > 29 max pods: kubelet max pods binds", c.String())
	assert.Equal(t, m5.IPPodsFor(v6, false), m5.IPPodsFor(v6, true), "the trunk costs an IPv6 node no addresses")

	// Xen types cannot take prefixes, and aws-node refuses IPv6 without them.
	assert.Zero(t, lookup(t, "m4.large").IPPodsFor(v6, false))
}

// Upstream (VPC CNI v1.23.2): pkg/ipamd/datastore/data_store.go
// GetAllocatableENIs(maxIPs, skipPrimary) skips the primary ENI under
// custom networking and the trunk always: an m5.large with a trunk has
// one ENI of 9 addresses left for ordinary pods, c5.xlarge two of 14.
func TestCustomNetworkingPrimaryENICarriesNoPodIPs(t *testing.T) {
	cn := limits.Networking{CustomNetworking: true}
	m5 := lookup(t, "m5.large")
	assert.Equal(t, 9, m5.IPPodsFor(cn, true))
	assert.Equal(t, 18, m5.IPPodsFor(cn, false))
	assert.Equal(t, 29, m5.MaxPodsFor(cn), "eni-max-pods.txt does not know about custom networking")
	c := m5.CapacityFor(cn, true)
	assert.Equal(t, 2+9+9, c.Pods)
	assert.Equal(t, limits.LimitIPs, c.Binding)
	assert.Equal(t, 18, c.StrandedPods())
	assert.Equal(t, 28, lookup(t, "c5.xlarge").IPPodsFor(cn, true))
}

// Upstream (VPC CNI v1.23.2): pkg/ipamd/ipamd.go GetIPv4Limit: with
// ENABLE_PREFIX_DELEGATION each address slot holds a /28
// (GetPrefixDelegationDefaults: 16 addresses); pkg/awsutils/awsutils.go
// IsPrefixDelegationSupported limits it to Nitro and bare metal, and
// isConfigValid falls back to secondary addresses elsewhere.
func TestPrefixDelegationSixteenAddressesPerSlot(t *testing.T) {
	pd := limits.Networking{PrefixDelegation: true}
	m5 := lookup(t, "m5.large")
	assert.Equal(t, 2*9*16, m5.IPPodsFor(pd, true))
	assert.Equal(t, 3*14*16, lookup(t, "c5.xlarge").IPPodsFor(pd, true))
	c := m5.CapacityFor(pd, true)
	assert.Equal(t, 29, c.Pods, "max pods binds unless kubelet is told more")
	assert.Equal(t, limits.LimitMaxPods, c.Binding)

	m4 := lookup(t, "m4.large") // Xen
	assert.False(t, m4.SupportsPrefixes())
	assert.Equal(t, m4.IPPodsFor(limits.Networking{}, false), m4.IPPodsFor(pd, false))
	assert.True(t, lookup(t, "m5.metal").SupportsPrefixes())
}

// Upstream: eksctl's maxPodsPerNode and nodeadm's kubelet maxPods
// (amazon-eks-ami nodeadm/internal/kubelet/config.go: an explicit maxPods
// wins over the computed one) replace eni-max-pods.txt's figure.
func TestKubeletMaxPodsOverride(t *testing.T) {
	m5 := lookup(t, "m5.large")
	n := limits.Networking{PrefixDelegation: true, MaxPods: 110}
	c := m5.CapacityFor(n, true)
	assert.Equal(t, 110, c.MaxPods)
	assert.Equal(t, 108, c.RegularPods)
	assert.Equal(t, limits.LimitMaxPods, c.Binding)

	small := m5.CapacityFor(limits.Networking{MaxPods: 10}, true)
	assert.Equal(t, 10, small.Pods)
	assert.Equal(t, 8, small.RegularPods)
	assert.Equal(t, limits.LimitMaxPods, small.SecurityGroupBinding)
}

// Upstream: controller pkg/provider/ip/provider.go getCapacity (v1.8.2)
// advertises vpc.amazonaws.com/PrivateIPv4Address = IPv4PerInterface − 1
// on Windows, the primary ENI's secondary addresses; EKS's Windows support
// page gives the same max pods, and Windows nodes never hold a trunk
// (pkg/config/loader.go).
func TestWindowsPrimaryENISecondaryIPs(t *testing.T) {
	win := limits.Networking{OS: limits.OSWindows}
	m5 := lookup(t, "m5.large")
	c := m5.CapacityFor(win, true)
	assert.Equal(t, limits.Capacity{
		MaxPods: 9, IPPods: 9, Pods: 9, Binding: limits.LimitMaxPods,
		RegularPods: 9, RegularBinding: limits.LimitMaxPods, SecurityGroupBinding: limits.LimitBranches,
	}, c)
	assert.Equal(t, 1, m5.PodENIs(win, true))
}

// Upstream: VPC CNI before v1.16.4 put secondary addresses on the trunk
// too (PR #2801, pkg/ipamd/datastore/data_store.go).
func TestTrunkCarriedIPsBeforeCNI1164(t *testing.T) {
	old := limits.Networking{TrunkCarriesIPs: true}
	assert.Equal(t, 27, lookup(t, "m5.large").IPPodsFor(old, true))
}

// Upstream (VPC CNI v1.23.2): pkg/ipamd/ipamd.go isConfigValid refuses
// IPv6 with custom networking; EKS Windows nodes support neither.
func TestNetworkingValidate(t *testing.T) {
	for _, n := range []limits.Networking{
		{IPv6: true, CustomNetworking: true},
		{OS: limits.OSWindows, IPv6: true},
		{OS: limits.OSWindows, CustomNetworking: true},
		{MaxPods: -1},
		{OS: 9},
	} {
		err := n.Validate()
		assert.True(t, errors.Is(err, limits.ErrInvalidValue), "%+v: %v", n, err)
	}
	assert.NoError(t, limits.Networking{IPv6: true, PrefixDelegation: true, MaxPods: 110}.Validate())
}

// Properties over every type and every valid networking mode.
func TestNetworkingCapacityProperties(t *testing.T) {
	all := limits.Default().All()
	rapid.Check(t, func(t *rapid.T) {
		it := rapid.SampledFrom(all).Draw(t, "type")
		n := limits.Networking{
			OS:               rapid.SampledFrom([]limits.OS{0, limits.OSLinux, limits.OSWindows}).Draw(t, "os"),
			IPv6:             rapid.Bool().Draw(t, "ipv6"),
			CustomNetworking: rapid.Bool().Draw(t, "custom"),
			PrefixDelegation: rapid.Bool().Draw(t, "prefixes"),
			MaxPods:          rapid.SampledFrom([]int{0, 0, 1, 10, 110, 250}).Draw(t, "maxPods"),
			TrunkCarriesIPs:  rapid.Bool().Draw(t, "oldCNI"),
		}
		if n.Validate() != nil {
			t.Skip("not a valid mode")
		}
		withTrunk := rapid.Bool().Draw(t, "withTrunk")
		c := it.CapacityFor(n, withTrunk)
		if c.Pods > c.MaxPods || c.RegularPods+c.HostNetworkPods > max(c.MaxPods, c.HostNetworkPods) {
			t.Fatalf("%s %+v: capacity above max pods: %+v", it.Name, n, c)
		}
		if c.Pods < 0 || c.IPPods < 0 || c.RegularPods < 0 || c.SecurityGroupPods < 0 || c.StrandedPods() < 0 {
			t.Fatalf("%s %+v: negative capacity: %+v", it.Name, n, c)
		}
		plain := n
		plain.CustomNetworking = false
		if it.IPPodsFor(n, withTrunk) > it.IPPodsFor(plain, withTrunk) {
			t.Fatalf("%s %+v: custom networking gives more IP pods", it.Name, n)
		}
		single := n
		single.PrefixDelegation = false
		if it.IPPodsFor(n, withTrunk) < it.IPPodsFor(single, withTrunk) {
			t.Fatalf("%s %+v: prefixes give fewer IP pods", it.Name, n)
		}
		if it.IPPodsFor(n, true) > it.IPPodsFor(n, false) {
			t.Fatalf("%s %+v: a trunk gives more IP pods", it.Name, n)
		}
		if n.OS == limits.OSWindows && (c.Trunk || c.BranchPods != 0) {
			t.Fatalf("%s: a Windows node got a trunk: %+v", it.Name, c)
		}
		if n.IPv6 && it.SupportsPrefixes() && c.RegularBinding != limits.LimitMaxPods {
			t.Fatalf("%s: an IPv6 node ran out of addresses: %+v", it.Name, c)
		}
		if (c.Binding == limits.LimitIPs) != (c.Pods < c.MaxPods) {
			t.Fatalf("%s %+v: IPs bind exactly when the node runs fewer than max pods: %+v", it.Name, n, c)
		}
	})
}

// Upstream (VPC CNI v1.23.2): pkg/ipamd/ipamd.go getMaxENI takes MAX_ENI
// when it is at least 1 and below the type's limit, and
// tryEnableSecurityGroupsForPods asks for a trunk only while the ENIs
// attached (the primary, at start-up) are fewer than that, in IPv4 only.
// So MAX_ENI 1 leaves no slot and no trunk, MAX_ENI 2 leaves one (and its
// trunk then takes the last slot: only the primary's 9 addresses are left
// on an m5.large), and an IPv6 aws-node asks whatever MAX_ENI says.
func TestMaxENIOneLeavesNoSlotForATrunk(t *testing.T) {
	m5 := lookup(t, "m5.large")
	one, two := limits.Networking{MaxENI: 1}, limits.Networking{MaxENI: 2}
	assert.False(t, m5.TrunkSlotFor(one))
	assert.False(t, m5.CanTrunkFor(one))
	assert.Equal(t, 9, m5.IPPodsFor(one, false), "the primary ENI alone")
	c := m5.CapacityFor(one, true)
	assert.False(t, c.Trunk)
	assert.Zero(t, c.BranchPods)

	assert.True(t, m5.CanTrunkFor(two))
	assert.Equal(t, 18, m5.IPPodsFor(two, false))
	assert.Equal(t, 9, m5.IPPodsFor(two, true))

	assert.Equal(t, m5.IPPodsFor(limits.Networking{}, true), m5.IPPodsFor(limits.Networking{MaxENI: 10}, true), "above the type's limit MAX_ENI changes nothing")
	assert.True(t, m5.CanTrunkFor(limits.Networking{MaxENI: 1, IPv6: true}))
	assert.Equal(t, m5.CapacityFor(limits.Networking{}, true), m5.CapacityFor(limits.Networking{MaxENI: -1}, true), "below 1 MAX_ENI is unset")
}

// Upstream: with the default warm pool (WARM_ENI_TARGET=1) ipamd attaches
// another interface whenever fewer than one interface's worth of
// addresses is free (pkg/ipamd/ipamd.go isDatastorePoolTooLow), and asks
// for a trunk only while fewer interfaces are attached than it may use
// (tryEnableSecurityGroupsForPods). An m5.large (3 interfaces of 9 pod
// addresses) holds 1 interface for no pod, 2 for 1 to 9, and all 3 from
// 10: so turning ENABLE_POD_ENI on finds no slot on a node running ten or
// more ordinary pods. At zero pods TrunkSlotAt is TrunkSlotFor.
func TestENIsHeldByTheWarmPoolAndTheTrunkSlotTheyLeave(t *testing.T) {
	m5 := lookup(t, "m5.large")
	ipv4 := limits.Networking{}
	for _, tc := range []struct{ pods, held int }{{0, 1}, {1, 2}, {9, 2}, {10, 3}, {18, 3}, {27, 3}, {40, 3}} {
		assert.Equal(t, tc.held, m5.ENIsHeld(ipv4, tc.pods), "%d pods", tc.pods)
		assert.Equal(t, tc.held < 3, m5.TrunkSlotAt(ipv4, tc.pods), "%d pods", tc.pods)
	}
	for _, n := range []limits.Networking{ipv4, {MaxENI: 1}, {MaxENI: 2}, {IPv6: true}, {CustomNetworking: true}, {PrefixDelegation: true}} {
		assert.Equal(t, m5.TrunkSlotFor(n), m5.TrunkSlotAt(n, 0), "%+v", n)
	}
	assert.Equal(t, 2, m5.ENIsHeld(limits.Networking{CustomNetworking: true}, 0), "the primary carries no pod addresses")
	assert.Equal(t, 1, m5.ENIsHeld(limits.Networking{PrefixDelegation: true}, 100), "144 addresses a /28 interface")
	assert.True(t, m5.TrunkSlotAt(limits.Networking{IPv6: true}, 1000), "IPv6 checks no slot")
}
