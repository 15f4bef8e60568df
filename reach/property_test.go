package reach_test

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/cni"
	"github.com/trunksim/trunksim/reach"
)

// propGroups is the pool of groups the properties draw from.
var propGroups = []branch.SecurityGroupID{sgNode, sgWeb, sgDB, sgRDS}

var propBlocks = []string{"0.0.0.0/0", "10.0.0.0/16", "10.0.1.0/24", "10.0.2.0/24", "203.0.113.0/24", "192.168.0.0/16"}

func genGroupSet(min int) *rapid.Generator[branch.GroupSet] {
	return rapid.Custom(func(t *rapid.T) branch.GroupSet {
		return set(rapid.SliceOfNDistinct(rapid.SampledFrom(propGroups), min, 3, branch.SecurityGroupID.String).Draw(t, "groups")...)
	})
}

func genRule() *rapid.Generator[reach.Rule] {
	return rapid.Custom(func(t *rapid.T) reach.Rule {
		r := reach.Rule{Protocol: rapid.SampledFrom([]reach.Protocol{reach.TCP, reach.UDP, reach.ICMP, reach.AllProtocols}).Draw(t, "protocol")}
		if r.Protocol == reach.TCP || r.Protocol == reach.UDP {
			r.Ports = rapid.SampledFrom([]reach.PortRange{reach.Port(53), reach.Port(443), reach.Port(5432),
				{From: 8000, To: 8100}, reach.AllPorts()}).Draw(t, "ports")
		}
		if rapid.Bool().Draw(t, "groupPeer") {
			r.Peer = group(rapid.SampledFrom(propGroups).Draw(t, "peer"))
		} else {
			r.Peer = block(rapid.SampledFrom(propBlocks).Draw(t, "block"))
		}
		return r
	})
}

// genRules draws up to four rules, none repeating another.
func genRules(t *rapid.T, label string) []reach.Rule {
	var out []reach.Rule
	for _, r := range rapid.SliceOfN(genRule(), 0, 4).Draw(t, label) {
		dup := false
		for _, o := range out {
			dup = dup || (o.Protocol == r.Protocol && o.Ports == r.Ports && o.Peer == r.Peer)
		}
		if !dup {
			out = append(out, r)
		}
	}
	return out
}

func genConfig(t *rapid.T, mode cni.EnforcingMode) reach.Config {
	cfg := reach.Config{Mode: mode, DisableTCPEarlyDemux: rapid.Bool().Draw(t, "demux"), ExternalSNAT: rapid.Bool().Draw(t, "externalSNAT")}
	if rapid.Bool().Draw(t, "vpc?") {
		cfg.VPC = cidr("10.0.0.0/16")
	}
	for _, id := range propGroups {
		cfg.Groups = append(cfg.Groups, reach.Group{ID: id, Ingress: genRules(t, "ingress"), Egress: genRules(t, "egress")})
	}
	return cfg
}

func genSubnet(t *rapid.T) reach.Subnet {
	s := reach.Subnet{Kind: rapid.SampledFrom([]reach.SubnetKind{0, reach.Private, reach.Public, reach.Isolated}).Draw(t, "subnetKind")}
	if rapid.Bool().Draw(t, "subnetCIDR?") {
		s.CIDR = cidr(rapid.SampledFrom([]string{"10.0.1.0/24", "10.0.2.0/24"}).Draw(t, "subnetCIDR"))
	}
	return s
}

// genEndpoints draws every kind of endpoint over three nodes, the
// link-local ones included.
func genEndpoints(t *rapid.T) []reach.Endpoint {
	var out []reach.Endpoint
	for i := range 3 {
		n := reach.Node{Name: fmt.Sprint("n", i), Groups: genGroupSet(0).Draw(t, "nodeGroups"), Subnet: genSubnet(t)}
		out = append(out, reach.BranchPodOn(fmt.Sprint("branch", i), genGroupSet(1).Draw(t, "podGroups"), n),
			reach.PodOn(fmt.Sprint("pod", i), n), reach.HostOf(n), reach.NodeLocalDNSOn(n),
			reach.PodIdentityAgentOn(n), reach.IMDSOf(n))
	}
	internet := netip.Prefix{}
	if rapid.Bool().Draw(t, "internetBlock?") {
		internet = cidr("203.0.113.0/24")
	}
	return append(out, reach.Resolver(), reach.VPCHost("host", genGroupSet(1).Draw(t, "hostGroups"), netip.Prefix{}),
		reach.InternetHost("", internet))
}

type flow struct {
	from, to reach.Endpoint
	proto    reach.Protocol
	port     uint16
}

var flowPorts = []struct {
	proto reach.Protocol
	port  uint16
}{{reach.TCP, 53}, {reach.UDP, 53}, {reach.TCP, 80}, {reach.TCP, 443}, {reach.TCP, 5432}, {reach.TCP, 8080}, {reach.UDP, 8050}, {reach.ICMP, 0}}

// genFlows draws flows between the endpoints, keeping the ones that can
// exist.
func genFlows(t *rapid.T, m *reach.Model, eps []reach.Endpoint) []flow {
	var out []flow
	for range rapid.IntRange(1, 25).Draw(t, "flows") {
		fp := rapid.SampledFrom(flowPorts).Draw(t, "port")
		f := flow{rapid.SampledFrom(eps).Draw(t, "from"), rapid.SampledFrom(eps).Draw(t, "to"), fp.proto, fp.port}
		if _, err := m.Reach(f.from, f.to, f.proto, f.port); err == nil {
			out = append(out, f)
		}
	}
	return out
}

// Security groups are allow-only (Amazon VPC User Guide,
// security-group-rules.md), so a rule added anywhere can only let more
// through: no flow that was allowed is denied afterwards, in either mode.
func TestPropertyAddingAnAllowRuleNeverRemovesReachability(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		mode := rapid.SampledFrom([]cni.EnforcingMode{cni.Strict, cni.Standard}).Draw(t, "mode")
		m, err := reach.New(genConfig(t, mode))
		require.NoError(t, err)
		eps := genEndpoints(t)
		flows := genFlows(t, m, eps)
		dir := rapid.SampledFrom([]reach.Direction{reach.Ingress, reach.Egress}).Draw(t, "direction")
		grown, err := m.WithRule(rapid.SampledFrom(propGroups).Draw(t, "group"), dir, genRule().Draw(t, "rule"))
		if err != nil {
			require.ErrorIs(t, err, reach.ErrInvalidRule, "only a repeated rule is refused")
			return
		}
		for _, f := range flows {
			before := mustReach(t, m, f.from, f.to, f.proto, f.port)
			after := mustReach(t, grown, f.from, f.to, f.proto, f.port)
			if before.Allowed {
				require.True(t, after.Allowed, "before:\n%s\nafter:\n%s", before.Explain(), after.Explain())
			}
			require.Equal(t, before.Path, after.Path, "rules never change the route")
		}
	})
}

// The same holds for the whole-cluster check: a rule added never adds an
// error, and every error left was there before.
func TestPropertyAddingAnAllowRuleNeverAddsAnError(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := cluster()
		c.Mode = rapid.SampledFrom([]cni.EnforcingMode{cni.Strict, cni.Standard}).Draw(t, "mode")
		c.DisableTCPEarlyDemux = rapid.Bool().Draw(t, "demux")
		c.Groups = genConfig(t, c.Mode).Groups
		before, err := reach.CheckCluster(c)
		require.NoError(t, err)
		id := rapid.SampledFrom(propGroups).Draw(t, "group")
		r := genRule().Draw(t, "rule")
		if rapid.Bool().Draw(t, "ingress") {
			c.Groups = withRules(c.Groups, id, []reach.Rule{r}, nil)
		} else {
			c.Groups = withRules(c.Groups, id, nil, []reach.Rule{r})
		}
		after, err := reach.CheckCluster(c)
		if err != nil {
			require.ErrorIs(t, err, reach.ErrInvalidRule)
			return
		}
		require.LessOrEqual(t, after.Count(reach.Error), before.Count(reach.Error))
		seen := map[string]bool{}
		for _, f := range before.Findings {
			seen[string(f.Code)+"/"+f.Workload+"/"+f.Peer] = true
		}
		for _, f := range after.Findings {
			require.True(t, seen[string(f.Code)+"/"+f.Workload+"/"+f.Peer], "new finding %q", f.Summary)
		}
	})
}

// In strict mode every packet of a branch pod crosses its branch ENI
// (pkg/networkutils/network.go), so its verdicts depend on its own groups
// alone: moving it to another node, one whose groups differ, or onto the
// other end's node changes nothing. (The subnet is held fixed: it decides
// the way out of the VPC. The pod's own node is left out as a peer: its
// kubelet's TCP also meets early demux.)
func TestPropertyStrictVerdictsDependOnlyOnThePodsGroups(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg := genConfig(t, cni.Strict)
		m, err := reach.New(cfg)
		require.NoError(t, err)
		subnet := genSubnet(t)
		groups := genGroupSet(1).Draw(t, "podGroups")
		peerNode := reach.Node{Name: "peer", Groups: genGroupSet(0).Draw(t, "peerNodeGroups"), Subnet: subnet}
		peers := []reach.Endpoint{
			reach.BranchPodOn("other", genGroupSet(1).Draw(t, "otherGroups"), peerNode),
			reach.PodOn("plain", peerNode),
			reach.HostOf(reach.Node{Name: "elsewhere", Groups: genGroupSet(0).Draw(t, "elsewhereGroups"), Subnet: subnet}),
			reach.VPCHost("host", genGroupSet(1).Draw(t, "hostGroups"), netip.Prefix{}),
			reach.InternetHost("", netip.Prefix{}),
			reach.Resolver(),
		}
		peer := rapid.SampledFrom(peers).Draw(t, "peer")
		placements := []reach.Node{
			{Name: "a", Groups: genGroupSet(0).Draw(t, "aGroups"), Subnet: subnet},
			{Name: "b", Groups: genGroupSet(0).Draw(t, "bGroups"), Subnet: subnet},
		}
		if peer.Kind == reach.KindBranchPod || peer.Kind == reach.KindPod {
			placements = append(placements, peerNode)
		}
		fp := rapid.SampledFrom(flowPorts).Draw(t, "port")
		type outcome struct {
			Allowed bool
			Path    reach.Path
			Checks  []reach.Check
		}
		var first []outcome
		for i, n := range placements {
			pod := reach.BranchPodOn("pod", groups, n)
			var got []outcome
			for _, ends := range [][2]reach.Endpoint{{pod, peer}, {peer, pod}} {
				v, err := m.Reach(ends[0], ends[1], fp.proto, fp.port)
				if err != nil {
					got = append(got, outcome{})
					continue
				}
				require.Equal(t, cni.Strict, v.Mode)
				got = append(got, outcome{v.Allowed, v.Path, v.Checks})
			}
			if i == 0 {
				first = got
				continue
			}
			require.Equal(t, first, got, "pod on %s vs on %s", placements[0].Name, n.Name)
		}
	})
}

// In standard mode the CNI routes traffic between a node's own pods and
// the node itself on the node (driver.go, priority-512 rule): no group is
// consulted, whatever the rules say.
func TestPropertyStandardSameNodeTrafficIgnoresGroups(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m, err := reach.New(genConfig(t, cni.Standard))
		require.NoError(t, err)
		n := reach.Node{Name: "n", Groups: genGroupSet(0).Draw(t, "nodeGroups"), Subnet: genSubnet(t)}
		local := []reach.Endpoint{reach.BranchPodOn("a", genGroupSet(1).Draw(t, "a"), n),
			reach.BranchPodOn("b", genGroupSet(1).Draw(t, "b"), n), reach.PodOn("c", n), reach.HostOf(n)}
		from, to := rapid.SampledFrom(local).Draw(t, "from"), rapid.SampledFrom(local).Draw(t, "to")
		fp := rapid.SampledFrom(flowPorts).Draw(t, "port")
		v := mustReach(t, m, from, to, fp.proto, fp.port)
		require.True(t, v.Allowed, v.Explain())
		require.Equal(t, reach.PathNode, v.Path)
		require.Empty(t, v.Checks)
	})
}
