package sim_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/trunksim/trunksim/cni"
	"github.com/trunksim/trunksim/limits"
	"github.com/trunksim/trunksim/sim"
)

// helperT is what the helpers need of a *testing.T or a *rapid.T.
type helperT interface {
	require.TestingT
	Helper()
}

// createPlain creates n pods no policy matches, from index from, on os.
func createPlain(t helperT, s *sim.Sim, from, n int, os limits.OS) {
	t.Helper()
	for i := from; i < from+n; i++ {
		require.NoError(t, s.CreatePod(sim.PodSpec{Namespace: "default", Name: fmt.Sprintf("plain-%d", i),
			Labels: map[string]string{"app": "plain"}, OS: os}))
	}
}

// runningOrdinary runs a one-node cluster of typ under cfg and spec's
// max pods with 300 ordinary pods, and returns how many run.
func runningOrdinary(t helperT, cfg sim.Config, typ string, maxPods int) int {
	t.Helper()
	s, err := sim.New(cfg)
	require.NoError(t, err)
	require.NoError(t, s.AddPolicy(webPolicy()))
	require.NoError(t, s.AddNode(sim.NodeSpec{Name: "n0", InstanceType: typ, MaxPods: maxPods}))
	createPlain(t, s, 0, 300, 0)
	require.NoError(t, s.Run())
	return s.Report().Pods.Running
}

// Upstream (VPC CNI v1.23.2): pkg/ipamd/ipamd.go, IPv6 needs prefix
// delegation and takes one /80 on the primary ENI (GetENIResourcesToAllocate,
// createSecondaryIPv6ENIs), so the trunk costs no addresses and kubelet
// max pods (29) binds: 27 ordinary pods on an m5.large, not 18.
func TestIPv6NodeRunsMaxPodsOrdinaryPods(t *testing.T) {
	assert.Equal(t, 18, runningOrdinary(t, sim.Config{}, "m5.large", 0))
	assert.Equal(t, 27, runningOrdinary(t, sim.Config{CNI: cni.Config{IPFamily: cni.IPv6}}, "m5.large", 0))
}

// Upstream (VPC CNI v1.23.2): pkg/ipamd/datastore/data_store.go
// GetAllocatableENIs skips the primary ENI under custom networking and
// the trunk always: an m5.large with a trunk wires 9 ordinary pods.
func TestCustomNetworkingNodeWiresNinePods(t *testing.T) {
	s := cluster(t, sim.Config{CNI: cni.Config{CustomNetworking: true}}, "m5.large", 1)
	createPlain(t, s, 0, 30, 0)
	createWeb(t, s, 0, 12)
	require.NoError(t, s.Run())
	r := s.Report()
	assert.Equal(t, 9+9, r.Pods.Running, "9 ordinary and 9 branch pods")
	nodes := s.Nodes()
	require.Len(t, nodes, 1)
	assert.Equal(t, 9, nodes[0].PodIPs)
	assert.Equal(t, 29, nodes[0].MaxPods)
}

// Upstream (VPC CNI v1.23.2): pkg/ipamd/ipamd.go GetIPv4Limit (a /28 per
// address slot); eksctl/nodeadm's kubelet maxPods (amazon-eks-ami
// nodeadm/internal/kubelet/config.go) then decides: 27 ordinary pods at
// the default 29, 108 at 110.
func TestPrefixDelegationLeavesKubeletMaxPodsToBind(t *testing.T) {
	pd := sim.Config{CNI: cni.Config{PrefixDelegation: true}}
	assert.Equal(t, 27, runningOrdinary(t, pd, "m5.large", 0))
	assert.Equal(t, 108, runningOrdinary(t, pd, "m5.large", 110))
	assert.Equal(t, 18, runningOrdinary(t, sim.Config{}, "m5.large", 110), "without prefixes the IPs bind")
	old := sim.Config{CNI: cni.Config{PrefixDelegation: true, Version: cni.Version{Major: 1, Minor: 8, Patch: 0}}}
	assert.Equal(t, 27, runningOrdinary(t, old, "m5.large", 110), "before v1.9.0 no prefixes; before v1.16.4 the trunk keeps its IPs")
}

// Upstream: kubelet maxPods below the IP count binds (eksctl maxPodsPerNode).
func TestKubeletMaxPodsOverrideBinds(t *testing.T) {
	assert.Equal(t, 8, runningOrdinary(t, sim.Config{}, "m5.large", 10))
	s, err := sim.New(sim.Config{})
	require.NoError(t, err)
	err = s.AddNode(sim.NodeSpec{Name: "n0", InstanceType: "m5.large", MaxPods: -1})
	assert.ErrorIs(t, err, sim.ErrBadSpec)
	assert.Empty(t, s.Nodes(), "a refused node leaves nothing behind")
}

// Upstream: controller v1.8.2 webhooks/core/pod_webhook.go (WhichPod: a
// Windows nodeSelector makes a Windows pod, never given pod-eni) and
// pkg/provider/ip/provider.go getCapacity (IPv4PerInterface − 1 of the
// primary ENI's secondary IPs, vpc.amazonaws.com/PrivateIPv4Address);
// Linux pods never land on a Windows node.
func TestWindowsNodeTakesOnlyWindowsPods(t *testing.T) {
	s, err := sim.New(sim.Config{})
	require.NoError(t, err)
	require.NoError(t, s.AddPolicy(webPolicy()))
	require.NoError(t, s.AddNode(sim.NodeSpec{Name: "win", InstanceType: "m5.large", OS: limits.OSWindows}))
	createPlain(t, s, 0, 5, limits.OSLinux)
	for i := range 12 {
		require.NoError(t, s.CreatePod(sim.PodSpec{Namespace: "default", Name: fmt.Sprintf("winweb-%d", i),
			Labels: map[string]string{"app": "web"}, OS: limits.OSWindows}))
	}
	require.NoError(t, s.Run())
	r := s.Report()
	assert.Equal(t, 9, r.Pods.Running, "the primary ENI's 9 secondary IPs")
	assert.Equal(t, 5+3, r.Pods.Pending)
	assert.Zero(t, r.Pods.SecurityGroupPods, "Windows pods never ask for a branch")
	st, ok := s.Pod("default", "plain-0")
	require.True(t, ok)
	assert.Equal(t, "", st.Node, "a Linux pod stays unscheduled")
	st, ok = s.Pod("default", "winweb-11")
	require.True(t, ok)
	assert.Contains(t, st.Reason, "no Windows node")
	nodes := s.Nodes()
	assert.Equal(t, 9, nodes[0].MaxPods)
	assert.Equal(t, 9, nodes[0].PodIPs)

	assert.ErrorIs(t, s.CreatePod(sim.PodSpec{Namespace: "default", Name: "bad", OS: 7}), sim.ErrBadSpec)
}

// Upstream (VPC CNI v1.23.2): pkg/ipamd/ipamd.go isConfigValid: with
// IPv6 and custom networking aws-node exits, so the node wires no pod and
// never asks for a trunk; EKS supports no IPv6 Windows node either.
func TestAwsNodeRefusesIPv6WithCustomNetworking(t *testing.T) {
	s := cluster(t, sim.Config{CNI: cni.Config{IPFamily: cni.IPv6, CustomNetworking: true}}, "m5.large", 1)
	require.NoError(t, s.AddNode(sim.NodeSpec{Name: "win", InstanceType: "m5.large", OS: limits.OSWindows}))
	createPlain(t, s, 0, 3, 0)
	createPlain(t, s, 3, 3, limits.OSWindows)
	require.NoError(t, s.Run())
	r := s.Report()
	assert.Zero(t, r.Pods.Running)
	assert.Zero(t, r.Trunks.Created)
	assert.Equal(t, 2, r.Events["Unsupported"])
	for _, n := range s.Nodes() {
		assert.Contains(t, n.Ineligible, "so the node runs no pods", n.Name)
	}
}

// Properties: a node never runs more pods than kubelet's max pods, never
// more ordinary pods than the networking mode gives IPs, and custom
// networking never wires more than the same node without it.
func TestNetworkingModesProperties(t *testing.T) {
	types := []string{"m5.large", "c5.xlarge", "t3.large", "c6g.medium", "m4.large", "m5.metal"}
	rapid.Check(t, func(t *rapid.T) {
		typ := rapid.SampledFrom(types).Draw(t, "type")
		c := cni.Config{
			IPFamily:         rapid.SampledFrom([]cni.IPFamily{cni.IPv4, cni.IPv6}).Draw(t, "family"),
			PrefixDelegation: rapid.Bool().Draw(t, "prefixes"),
		}
		if rapid.Bool().Draw(t, "old") {
			c.Version = cni.Version{Major: 1, Minor: rapid.IntRange(7, 22).Draw(t, "minor"), Patch: 0}
		}
		maxPods := rapid.SampledFrom([]int{0, 0, 5, 110}).Draw(t, "maxPods")
		it, err := limits.Default().Lookup(typ)
		require.NoError(t, err)
		net := c.Networking(limits.OSLinux, maxPods)
		got := runningOrdinary(t, sim.Config{CNI: c}, typ, maxPods)
		if room := it.MaxPodsFor(net) - limits.HostNetworkPods; got > room {
			t.Fatalf("%s %+v: %d pods above max pods room %d", typ, c, got, room)
		}
		if ips := it.IPPodsFor(net, false); got > ips {
			t.Fatalf("%s %+v: %d pods above %d IPs", typ, c, got, ips)
		}
		if c.IPFamily == cni.IPv4 {
			cn := c
			cn.CustomNetworking = true
			if withCN := runningOrdinary(t, sim.Config{CNI: cn}, typ, maxPods); withCN > got {
				t.Fatalf("%s %+v: custom networking wires %d > %d", typ, c, withCN, got)
			}
		}
	})
}

// Upstream: controller v1.8.2 webhooks/core/pod_webhook.go WhichPod skips
// host-network pods, so they never ask for a branch; they use the node's
// address, so they take a kubelet pod slot (kubelet counts every pod) but
// no secondary IP: on an m5.large with a trunk, 18 ordinary pods and 9
// host-network ones fill the 27 slots.
func TestHostNetworkPodsTakeASlotButNoIP(t *testing.T) {
	s := cluster(t, sim.Config{}, "m5.large", 1)
	createPlain(t, s, 0, 30, 0)
	for i := range 12 {
		require.NoError(t, s.CreatePod(sim.PodSpec{Namespace: "default", Name: fmt.Sprintf("host-%d", i),
			Labels: map[string]string{"app": "web"}, HostNetwork: true}))
	}
	require.NoError(t, s.Run())
	r := s.Report()
	assert.Equal(t, 27, r.Pods.Running)
	assert.Zero(t, r.Pods.SecurityGroupPods, "the web policy matches, but host-network pods get no branch")
	assert.Zero(t, r.BranchENIs.Created)
	st, ok := s.Pod("default", "host-11")
	require.True(t, ok)
	assert.Contains(t, st.Reason, "no Linux node has a free pod slot")

	err := s.CreatePod(sim.PodSpec{Namespace: "default", Name: "hp", OS: limits.OSWindows, HostNetwork: true})
	assert.ErrorIs(t, err, sim.ErrBadSpec)
	err = s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "hw", OS: limits.OSWindows, HostNetwork: true, Replicas: 1})
	assert.ErrorIs(t, err, sim.ErrBadSpec)
}

// Upstream (VPC CNI v1.23.2): pkg/ipamd/ipamd.go tryEnableSecurityGroupsForPods
// only logs "No slot available for a trunk ENI to be attached." when the
// ENIs attached are not fewer than getMaxENI's MAX_ENI: the SecurityGroupsForPods
// feature is never added to the CNINode, the controller never manages the
// node (no trunk, no event; controllers/core/node_controller.go), its
// security-group pods stay Pending without pod-eni, and ordinary pods get
// the primary ENI's 9 addresses. MAX_ENI 2 leaves the slot, and the trunk.
func TestNoTrunkWhenMaxENILeavesNoSlot(t *testing.T) {
	run := func(maxENI int) (sim.Report, *sim.Sim) {
		s := cluster(t, sim.Config{CNI: cni.Config{MaxENI: maxENI}}, "m5.large", 1)
		createPlain(t, s, 0, 30, 0)
		createWeb(t, s, 0, 5)
		require.NoError(t, s.Run())
		return s.Report(), s
	}
	r, s := run(1)
	assert.Zero(t, r.Trunks.Created)
	assert.Zero(t, r.Trunks.Unsupported, "aws-node logs it; no Kubernetes event")
	assert.Zero(t, r.Events["Unsupported"])
	assert.Equal(t, 9, r.Pods.Running, "the primary ENI's 9 addresses, no branch pod")
	assert.Equal(t, 30-9+5, r.Pods.Pending)
	assert.Zero(t, r.EC2.Calls["CreateNetworkInterface"])
	assert.Equal(t, 9, s.Nodes()[0].PodIPs)
	assert.Contains(t, strings.Join(r.Warnings, "\n"), "no interface slot for a trunk: MAX_ENI 1")

	r, _ = run(2)
	assert.Equal(t, 1, r.Trunks.Created)
	assert.Equal(t, 9+5, r.Pods.Running, "the primary's 9 addresses and 5 branch pods")
}
