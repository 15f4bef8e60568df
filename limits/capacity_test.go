package limits_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/trunksim/trunksim/limits"
)

func lookup(t testing.TB, name string) limits.InstanceType {
	t.Helper()
	it, err := limits.Default().Lookup(name)
	require.NoError(t, err)
	return it
}

// The worked examples of the EKS documentation and the VPC CNI notes.
func TestWorkedExamples(t *testing.T) {
	tests := []struct {
		name                         string
		maxPods, ipPods, ipWithTrunk int
		branchPods                   int
	}{
		{"m5.large", 29, 27, 18, 9},
		{"c5.xlarge", 58, 56, 42, 18},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := lookup(t, tt.name)
			assert.Equal(t, tt.maxPods, it.MaxPods())
			assert.Equal(t, tt.ipPods, it.IPPods(false))
			assert.Equal(t, tt.ipWithTrunk, it.IPPods(true))
			assert.Equal(t, tt.branchPods, it.BranchPods())
		})
	}
}

// Upstream: VPC CNI misc/eni-max-pods.txt, written by
// scripts/gen_vpc_ip_limits.go (printPodLimit): columns max-pods and
// max-pods-when-trunk-eni, both counting only the default network card.
func TestMaxPodsMatchesENIMaxPods(t *testing.T) {
	tests := []struct {
		name             string
		maxPods, withENI int
		trunkingApplies  bool
	}{
		{"a1.medium", 8, 5, true},
		{"m5.large", 29, 20, true},
		{"c5.xlarge", 58, 44, true},
		{"c5.4xlarge", 234, 205, true},
		{"c6in.32xlarge", 394, 345, true}, // 16 interfaces on two cards of 8
		{"p5.48xlarge", 100, 51, true},    // 64 interfaces on 32 cards of 2
		{"m5.metal", 737, 688, true},
		{"m4.large", 20, 0, false},
		{"t3.medium", 17, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := lookup(t, tt.name)
			assert.Equal(t, tt.maxPods, it.MaxPods())
			if tt.trunkingApplies {
				assert.Equal(t, tt.withENI, it.IPPods(true)+limits.HostNetworkPods)
			}
		})
	}
}

// Upstream: pkg/aws/ec2/instance.go (LoadDetails: min of the instance's
// interfaces and the default card's MaximumNetworkInterfaces).
func TestDefaultCardInterfacesIsMinOfInstanceAndDefaultCard(t *testing.T) {
	assert.Equal(t, 3, lookup(t, "m5.large").DefaultCardInterfaces())
	assert.Equal(t, 8, lookup(t, "c6in.32xlarge").DefaultCardInterfaces())
	assert.Equal(t, 2, lookup(t, "p5.48xlarge").DefaultCardInterfaces())

	it := validType("x9.large")
	it.Interfaces = 3
	it.NetworkCards = []limits.NetworkCard{{Index: 0, MaxInterfaces: 8}, {Index: 1, MaxInterfaces: 5}}
	assert.Equal(t, 3, it.DefaultCardInterfaces(), "the instance limit can be the smaller one")
	it.DefaultNetworkCardIndex = 1
	assert.Equal(t, 3, it.DefaultCardInterfaces())
	it.Interfaces = 13
	assert.Equal(t, 5, it.DefaultCardInterfaces(), "the default card, not card 0")
	it.DefaultNetworkCardIndex = 7
	assert.Zero(t, it.DefaultCardInterfaces(), "a missing default card gives no interfaces")
	assert.Equal(t, limits.HostNetworkPods, it.MaxPods())
}

// Upstream: pkg/provider/branch/provider.go (UpdateResourceCapacity
// advertises vpc.amazonaws.com/pod-eni = BranchInterface).
func TestBranchPodsIsAdvertisedPodENI(t *testing.T) {
	for name, want := range map[string]int{"m5.large": 9, "m5.xlarge": 18, "m5.2xlarge": 38, "m5.4xlarge": 54, "m5.16xlarge": 107, "m5.metal": 120, "t3.large": 0} {
		assert.Equal(t, want, lookup(t, name).BranchPods(), name)
	}
}

// Upstream: the VPC CNI keeps the trunk out of secondary-IP allocation from
// v1.16.4 (pkg/ipamd/datastore/data_store.go, IsTrunk); a type that cannot
// trunk keeps all its IP pods.
func TestIPPodsWithTrunkLosesOneENI(t *testing.T) {
	m5 := lookup(t, "m5.large")
	assert.Equal(t, m5.IPPods(false)-(m5.IPv4PerInterface-1), m5.IPPods(true))
	t3 := lookup(t, "t3.large")
	assert.Equal(t, 33, t3.IPPods(false))
	assert.Equal(t, 33, t3.IPPods(true))
}

// From amazon-eks-ami's AL2 max-pods-calculator.sh: prefixes of 16
// addresses, capped at 110 up to 30 vCPUs and 250 above; nodeadm sets no cap.
func TestMaxPodsPrefixDelegation(t *testing.T) {
	m5 := lookup(t, "m5.large")
	assert.Equal(t, 434, m5.MaxPodsPrefixDelegation(limits.NoPodCap))
	assert.Equal(t, 434, m5.MaxPodsPrefixDelegation(-5), "a cap below 1 means no cap")
	assert.Equal(t, 110, m5.MaxPodsPrefixDelegation(limits.PrefixDelegationCap(2)))
	assert.Equal(t, 29, m5.MaxPodsPrefixDelegation(29), "an explicit kubelet maxPods wins")

	c5 := lookup(t, "c5.xlarge")
	assert.Equal(t, 898, c5.MaxPodsPrefixDelegation(limits.NoPodCap))
	assert.Equal(t, 110, c5.MaxPodsPrefixDelegation(limits.PrefixDelegationCap(4)))

	m5big := lookup(t, "m5.24xlarge")
	assert.Equal(t, 15*49*16+2, m5big.MaxPodsPrefixDelegation(limits.NoPodCap))
	assert.Equal(t, 250, m5big.MaxPodsPrefixDelegation(limits.PrefixDelegationCap(96)))

	assert.Equal(t, 110, limits.PrefixDelegationCap(30))
	assert.Equal(t, 250, limits.PrefixDelegationCap(31))
}

func TestCapacityWorkedExamples(t *testing.T) {
	tests := []struct {
		name      string
		withTrunk bool
		want      limits.Capacity
		stranded  int
		text      string
	}{
		{"c5.xlarge", true, limits.Capacity{
			Trunk: true, MaxPods: 58, HostNetworkPods: 2, IPPods: 42, BranchPods: 18,
			Pods: 58, Binding: limits.LimitMaxPods,
			RegularPods: 42, RegularBinding: limits.LimitIPs,
			SecurityGroupPods: 18, SecurityGroupBinding: limits.LimitBranches,
		}, 14, "2 host-network + 42 IP + 18 branch = 62 > 58 max pods: kubelet max pods binds"},
		{"c5.xlarge", false, limits.Capacity{
			MaxPods: 58, HostNetworkPods: 2, IPPods: 56,
			Pods: 58, Binding: limits.LimitMaxPods,
			RegularPods: 56, RegularBinding: limits.LimitMaxPods,
			SecurityGroupBinding: limits.LimitBranches,
		}, 0, "2 host-network + 56 IP = 58 = 58 max pods: kubelet max pods binds"},
		{"m5.large", true, limits.Capacity{
			Trunk: true, MaxPods: 29, HostNetworkPods: 2, IPPods: 18, BranchPods: 9,
			Pods: 29, Binding: limits.LimitMaxPods,
			RegularPods: 18, RegularBinding: limits.LimitIPs,
			SecurityGroupPods: 9, SecurityGroupBinding: limits.LimitBranches,
		}, 9, "2 host-network + 18 IP + 9 branch = 29 = 29 max pods: kubelet max pods binds"},
		// Few branches for its size: the scheduler can place 58 pods but the
		// node wires only 48, and the rest wait for IPs.
		{"g5.xlarge", true, limits.Capacity{
			Trunk: true, MaxPods: 58, HostNetworkPods: 2, IPPods: 42, BranchPods: 4,
			Pods: 48, Binding: limits.LimitIPs,
			RegularPods: 42, RegularBinding: limits.LimitIPs,
			SecurityGroupPods: 4, SecurityGroupBinding: limits.LimitBranches,
		}, 14, "2 host-network + 42 IP + 4 branch = 48 < 58 max pods: secondary IPs bind"},
		// A trunk was asked for, but a t3 never gets one.
		{"t3.large", true, limits.Capacity{
			MaxPods: 35, HostNetworkPods: 2, IPPods: 33,
			Pods: 35, Binding: limits.LimitMaxPods,
			RegularPods: 33, RegularBinding: limits.LimitMaxPods,
			SecurityGroupBinding: limits.LimitBranches,
		}, 0, "2 host-network + 33 IP = 35 = 35 max pods: kubelet max pods binds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := lookup(t, tt.name).Capacity(tt.withTrunk)
			assert.Equal(t, tt.want, c)
			assert.Equal(t, tt.stranded, c.StrandedPods())
			assert.Equal(t, tt.text, c.String())
		})
	}
}

func TestLimitString(t *testing.T) {
	assert.Equal(t, []string{"max-pods", "ips", "branches", "Limit(0)"},
		[]string{limits.LimitMaxPods.String(), limits.LimitIPs.String(), limits.LimitBranches.String(), limits.Limit(0).String()})
}

// Properties over every type in the table, with and without a trunk.
func TestCapacityProperties(t *testing.T) {
	all := limits.Default().All()
	rapid.Check(t, func(t *rapid.T) {
		it := rapid.SampledFrom(all).Draw(t, "type")
		withTrunk := rapid.Bool().Draw(t, "withTrunk")
		c := it.Capacity(withTrunk)

		for name, v := range map[string]int{
			"MaxPods": c.MaxPods, "IPPods": c.IPPods, "BranchPods": c.BranchPods, "Pods": c.Pods,
			"RegularPods": c.RegularPods, "SecurityGroupPods": c.SecurityGroupPods, "StrandedPods": c.StrandedPods(),
			"prefix": it.MaxPodsPrefixDelegation(limits.NoPodCap),
		} {
			if v < 0 {
				t.Fatalf("%s: %s = %d is negative", it.Name, name, v)
			}
		}
		if it.IPPods(true) > it.IPPods(false) {
			t.Fatalf("%s: a trunk gives more IP pods (%d) than none (%d)", it.Name, it.IPPods(true), it.IPPods(false))
		}
		if c.Trunk != (withTrunk && it.TrunkingCompatible) {
			t.Fatalf("%s: Trunk = %t", it.Name, c.Trunk)
		}
		if c.Pods > c.MaxPods || c.Pods > c.HostNetworkPods+c.IPPods+c.BranchPods {
			t.Fatalf("%s: Pods %d exceeds a limit: %v", it.Name, c.Pods, c)
		}
		if c.RegularPods > c.IPPods || c.SecurityGroupPods > c.BranchPods {
			t.Fatalf("%s: per-kind pods exceed their pool: %+v", it.Name, c)
		}
		if (c.Binding == limits.LimitIPs) != (c.Pods < c.MaxPods) {
			t.Fatalf("%s: IPs bind exactly when the node runs fewer than max pods: %+v", it.Name, c)
		}
		if !c.Trunk && (c.BranchPods != 0 || c.Pods != c.MaxPods) {
			t.Fatalf("%s: without a trunk the IP formula and max pods agree: %+v", it.Name, c)
		}
		if it.MaxPodsPrefixDelegation(limits.NoPodCap) < it.MaxPods() {
			t.Fatalf("%s: prefixes give fewer pods than single addresses", it.Name)
		}
	})
}

// Properties over made-up valid types: what-if planning must not produce
// nonsense either.
func TestCapacityPropertiesForArbitraryTypes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		compatible := rapid.Bool().Draw(t, "compatible")
		branches := 0
		if compatible {
			branches = rapid.IntRange(1, limits.MaxBranchInterfaces).Draw(t, "branches")
		}
		cards := rapid.IntRange(1, 4).Draw(t, "cards")
		it := limits.InstanceType{
			Name:                    "x9.large",
			Interfaces:              rapid.IntRange(1, 64).Draw(t, "interfaces"),
			IPv4PerInterface:        rapid.IntRange(1, 50).Draw(t, "ipv4"),
			TrunkingCompatible:      compatible,
			BranchInterfaces:        branches,
			DefaultNetworkCardIndex: rapid.IntRange(0, cards-1).Draw(t, "default"),
			Hypervisor:              limits.Hypervisor(rapid.IntRange(1, 3).Draw(t, "hypervisor")),
		}
		for i := range cards {
			it.NetworkCards = append(it.NetworkCards, limits.NetworkCard{Index: i, MaxInterfaces: rapid.IntRange(1, 16).Draw(t, "max")})
		}
		if err := it.Validate(); err != nil {
			t.Fatalf("generated type is invalid: %v", err)
		}
		for _, withTrunk := range []bool{false, true} {
			c := it.Capacity(withTrunk)
			if c.Pods < 0 || c.IPPods < 0 || c.RegularPods < 0 || c.SecurityGroupPods < 0 || c.StrandedPods() < 0 {
				t.Fatalf("negative capacity: %+v", c)
			}
			if c.Pods > c.MaxPods {
				t.Fatalf("Pods above max pods: %+v", c)
			}
		}
		if it.IPPods(true) > it.IPPods(false) {
			t.Fatalf("a trunk gives more IP pods: %d > %d", it.IPPods(true), it.IPPods(false))
		}
		if it.DefaultCardInterfaces() > it.Interfaces {
			t.Fatalf("default card interfaces %d above the instance's %d", it.DefaultCardInterfaces(), it.Interfaces)
		}
	})
}
