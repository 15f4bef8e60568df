package reach_test

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/cni"
	"github.com/trunksim/trunksim/reach"
)

// flowCase is a flow between two branch pods on different nodes, judged
// with a set of groups; each semantic rule gets its own rows.
type flowCase struct {
	name    string
	groups  []reach.Group
	from    reach.Endpoint
	to      reach.Endpoint
	proto   reach.Protocol
	port    uint16
	allowed bool
	failed  []reach.CheckKind
}

func runFlowCases(t *testing.T, cases []flowCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			for _, mode := range []cni.EnforcingMode{cni.Strict, cni.Standard} {
				m := newModel(t, mode, tt.groups)
				v := mustReach(t, m, tt.from, tt.to, tt.proto, tt.port)
				assert.Equal(t, tt.allowed, v.Allowed, "%v mode:\n%s", mode, v.Explain())
				assert.Equal(t, tt.failed, failedKinds(v), "%v mode:\n%s", mode, v.Explain())
				assert.Equal(t, reach.PathVPC, v.Path, "different nodes always cross the VPC")
				again := mustReach(t, m, tt.from, tt.to, tt.proto, tt.port)
				assert.Equal(t, v, again, "judging is pure")
			}
		})
	}
}

var (
	webPod = reach.BranchPodOn("web", set(sgWeb), node("n1", sgNode))
	dbPod  = reach.BranchPodOn("db", set(sgDB), node("n2", sgNode))
)

// Upstream: Amazon VPC User Guide, security-group-rules.md ("Security
// group rules are always permissive; you can't create rules that deny
// access").
func TestOnlyAllowRulesLetTrafficThrough(t *testing.T) {
	g := baseGroups()
	runFlowCases(t, []flowCase{
		{"no inbound rule", g, webPod, dbPod, reach.TCP, 5432, false, []reach.CheckKind{reach.CheckIngress}},
		{"an inbound rule", withRules(g, sgDB, []reach.Rule{tcp(5432, group(sgWeb))}, nil), webPod, dbPod, reach.TCP, 5432, true, nil},
		{"no outbound rule either", withRules(withRules(g, sgDB, nil, nil), sgWeb, nil, nil), reach.BranchPodOn("web", set(sgOther), node("n1", sgNode)),
			reach.BranchPodOn("db", set(sgOther), node("n2", sgNode)), reach.TCP, 5432, false, []reach.CheckKind{reach.CheckIngress}},
	})
}

// Upstream: Amazon VPC User Guide, VPC_SecurityGroups.md ("Security
// groups are stateful ... responses to allowed inbound traffic are
// allowed to flow out, regardless of outbound rules").
func TestRepliesNeedNoRule(t *testing.T) {
	g := withRules(baseGroups(), sgDB, []reach.Rule{tcp(5432, group(sgWeb))}, nil)
	// db keeps no outbound rule at all, and web no inbound one: the
	// reply still returns, so only the opening direction is judged.
	for i := range g {
		if g[i].ID == sgDB {
			g[i].Egress = nil
		}
	}
	m := newModel(t, cni.Strict, g)
	v := mustReach(t, m, webPod, dbPod, reach.TCP, 5432)
	assert.True(t, v.Allowed, v.Explain())
	require.Len(t, v.Checks, 2, "one egress and one ingress check; no reply check")
	back := mustReach(t, m, dbPod, webPod, reach.TCP, 5432)
	assert.False(t, back.Allowed, "stateful is not symmetric: db cannot open a flow to web")
}

// Upstream: Amazon VPC User Guide, VPC_SecurityGroups.md (a new group has
// no inbound rules and allows all outbound traffic; a group without
// outbound rules allows none).
func TestNewGroupsSendEverywhereAndReceiveNothing(t *testing.T) {
	g := baseGroups()
	noEgress := withRules(g, sgWeb, nil, nil)
	for i := range noEgress {
		if noEgress[i].ID == sgWeb {
			noEgress[i].Egress = nil
		}
	}
	open := withRules(g, sgDB, []reach.Rule{all(block("0.0.0.0/0"))}, nil)
	noEgressOpen := withRules(noEgress, sgDB, []reach.Rule{all(block("0.0.0.0/0"))}, nil)
	runFlowCases(t, []flowCase{
		{"default egress sends", open, webPod, dbPod, reach.UDP, 9999, true, nil},
		{"default ingress receives nothing", g, webPod, dbPod, reach.UDP, 9999, false, []reach.CheckKind{reach.CheckIngress}},
		{"no egress rules send nothing", noEgressOpen, webPod, dbPod, reach.UDP, 9999, false, []reach.CheckKind{reach.CheckEgress}},
	})
}

// Upstream: Amazon VPC User Guide, VPC_SecurityGroups.md ("If you
// associate multiple security groups with a resource, the rules from each
// security group are effectively aggregated").
func TestGroupsOnOneInterfaceApplyAsAUnion(t *testing.T) {
	g := withRules(baseGroups(), sgOther, []reach.Rule{tcp(5432, group(sgWeb))}, nil)
	withOther := reach.BranchPodOn("db", set(sgDB, sgOther), node("n2", sgNode))
	runFlowCases(t, []flowCase{
		{"neither group alone", g, webPod, dbPod, reach.TCP, 5432, false, []reach.CheckKind{reach.CheckIngress}},
		{"one of two groups allows it", g, webPod, withOther, reach.TCP, 5432, true, nil},
	})
	v := mustReach(t, newModel(t, cni.Strict, g), webPod, withOther, reach.TCP, 5432)
	assert.Equal(t, reach.Match{Group: sgOther, Direction: reach.Ingress, Index: 0, Rule: tcp(5432, group(sgWeb))}, v.Checks[1].Match,
		"the verdict names the rule that allowed it")
}

// Upstream: Amazon VPC User Guide, security-group-rules.md (a referenced
// group as the source admits "the private IP addresses of the resources
// associated with the specified security group"; the referencing group
// gains none of the referenced group's rules).
func TestReferencedGroupMatchesOnlyItsMembers(t *testing.T) {
	g := withRules(baseGroups(), sgDB, []reach.Rule{tcp(5432, group(sgWeb))}, nil)
	// sgOther admits everything from anyone, but being allowed by a
	// group does not make a pod a member of it.
	g = withRules(g, sgOther, []reach.Rule{all(block("0.0.0.0/0"))}, nil)
	other := reach.BranchPodOn("other", set(sgOther), node("n3", sgNode))
	both := reach.BranchPodOn("both", set(sgOther, sgWeb), node("n3", sgNode))
	runFlowCases(t, []flowCase{
		{"member", g, webPod, dbPod, reach.TCP, 5432, true, nil},
		{"non-member", g, other, dbPod, reach.TCP, 5432, false, []reach.CheckKind{reach.CheckIngress}},
		{"member among others", g, both, dbPod, reach.TCP, 5432, true, nil},
		{"the node's group is not the pod's", withRules(baseGroups(), sgDB, []reach.Rule{tcp(5432, group(sgNode))}, nil), webPod, dbPod, reach.TCP, 5432, false, []reach.CheckKind{reach.CheckIngress}},
	})
}

// Upstream: Amazon VPC User Guide, security-group-rules.md (an ENI's
// secondary IPs carry the ENI's groups); EKS User Guide,
// security-groups-for-pods.adoc (a pod with its own groups no longer uses
// the node's).
func TestOrdinaryPodsCarryTheNodesGroups(t *testing.T) {
	g := withRules(baseGroups(), sgDB, []reach.Rule{tcp(5432, group(sgNode))}, nil)
	plain := reach.PodOn("frontend", node("n1", sgNode))
	host := reach.HostOf(node("n1", sgNode))
	runFlowCases(t, []flowCase{
		{"ordinary pod matches the node's group", g, plain, dbPod, reach.TCP, 5432, true, nil},
		{"the node itself matches it", g, host, dbPod, reach.TCP, 5432, true, nil},
		{"a branch pod on that node does not", g, webPod, dbPod, reach.TCP, 5432, false, []reach.CheckKind{reach.CheckIngress}},
	})
}

// Upstream: Amazon VPC User Guide, security-group-rules.md (a CIDR source
// admits the addresses in the block; a single address is a /32).
func TestCIDRRulesMustCoverEveryAddressTheOtherEndMayUse(t *testing.T) {
	inSubnet := reach.Node{Name: "n1", Subnet: reach.Subnet{CIDR: cidr("10.0.1.0/24")}}
	noSubnet := reach.Node{Name: "n1"}
	from := func(n reach.Node) reach.Endpoint { return reach.BranchPodOn("web", set(sgWeb), n) }
	cases := []struct {
		name    string
		block   string
		vpc     netip.Prefix
		node    reach.Node
		allowed bool
	}{
		{"the VPC block covers the subnet", "10.0.0.0/16", cidr("10.0.0.0/16"), inSubnet, true},
		{"the subnet's own block", "10.0.1.0/24", cidr("10.0.0.0/16"), inSubnet, true},
		{"half the subnet is not enough", "10.0.1.0/25", cidr("10.0.0.0/16"), inSubnet, false},
		{"another subnet", "10.0.2.0/24", cidr("10.0.0.0/16"), inSubnet, false},
		{"subnet unknown: the VPC block covers the VPC", "10.0.0.0/16", cidr("10.0.0.0/16"), noSubnet, true},
		{"subnet unknown: a subnet block does not", "10.0.1.0/24", cidr("10.0.0.0/16"), noSubnet, false},
		{"nothing known: only 0.0.0.0/0", "10.0.0.0/8", netip.Prefix{}, noSubnet, false},
		{"nothing known: 0.0.0.0/0 covers all", "0.0.0.0/0", netip.Prefix{}, noSubnet, true},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			g := withRules(baseGroups(), sgDB, []reach.Rule{tcp(5432, block(tt.block))}, nil)
			m, err := reach.New(reach.Config{VPC: tt.vpc, Groups: g})
			require.NoError(t, err)
			v := mustReach(t, m, from(tt.node), dbPod, reach.TCP, 5432)
			assert.Equal(t, tt.allowed, v.Allowed, v.Explain())
			if !tt.allowed {
				require.Len(t, v.Failed(), 1)
				assert.Equal(t, []reach.Match{{Group: sgDB, Direction: reach.Ingress, Rule: tcp(5432, block(tt.block))}}, v.Failed()[0].NearMisses,
					"a rule for the right port with the wrong peer is a near miss")
			}
		})
	}
}

// Upstream: Amazon VPC User Guide, security-group-rules.md (protocol and
// destination port range; -1 means all protocols and ports; ICMP rules
// here allow every type).
func TestProtocolAndPortMatching(t *testing.T) {
	in := func(r reach.Rule) []reach.Group { return withRules(baseGroups(), sgDB, []reach.Rule{r}, nil) }
	web := group(sgWeb)
	runFlowCases(t, []flowCase{
		{"tcp rule, tcp flow", in(tcp(80, web)), webPod, dbPod, reach.TCP, 80, true, nil},
		{"tcp rule, udp flow", in(tcp(80, web)), webPod, dbPod, reach.UDP, 80, false, []reach.CheckKind{reach.CheckIngress}},
		{"tcp rule, other port", in(tcp(80, web)), webPod, dbPod, reach.TCP, 81, false, []reach.CheckKind{reach.CheckIngress}},
		{"range, low edge", in(rule(reach.TCP, reach.PortRange{From: 8000, To: 8100}, web)), webPod, dbPod, reach.TCP, 8000, true, nil},
		{"range, high edge", in(rule(reach.TCP, reach.PortRange{From: 8000, To: 8100}, web)), webPod, dbPod, reach.TCP, 8100, true, nil},
		{"range, just past", in(rule(reach.TCP, reach.PortRange{From: 8000, To: 8100}, web)), webPod, dbPod, reach.TCP, 8101, false, []reach.CheckKind{reach.CheckIngress}},
		{"all ports", in(rule(reach.UDP, reach.AllPorts(), web)), webPod, dbPod, reach.UDP, 65535, true, nil},
		{"all protocols, tcp", in(all(web)), webPod, dbPod, reach.TCP, 1, true, nil},
		{"all protocols, icmp", in(all(web)), webPod, dbPod, reach.ICMP, 0, true, nil},
		{"icmp rule, icmp flow", in(reach.Rule{Protocol: reach.ICMP, Peer: web}), webPod, dbPod, reach.ICMP, 0, true, nil},
		{"icmp rule, tcp flow", in(reach.Rule{Protocol: reach.ICMP, Peer: web}), webPod, dbPod, reach.TCP, 80, false, []reach.CheckKind{reach.CheckIngress}},
	})
}

// Upstream: Amazon VPC User Guide, security-group-rules.md ("Amazon DNS
// server ... security groups can't filter traffic to or from it").
func TestTheVPCResolverIsNeverFiltered(t *testing.T) {
	g := baseGroups()
	for i := range g {
		g[i].Egress = nil // nothing may leave any interface
	}
	for _, mode := range []cni.EnforcingMode{cni.Strict, cni.Standard} {
		m := newModel(t, mode, g)
		for _, p := range []reach.Protocol{reach.UDP, reach.TCP} {
			v := mustReach(t, m, webPod, reach.Resolver(), p, 53)
			assert.True(t, v.Allowed, v.Explain())
			assert.Equal(t, reach.PathUnfiltered, v.Path)
			assert.Empty(t, v.Checks)
		}
		v := mustReach(t, m, webPod, reach.Resolver(), reach.TCP, 443)
		assert.False(t, v.Allowed, "it answers DNS only")
		assert.Equal(t, reach.NoRouteNotDNS, v.Checks[0].NoRoute)
		v = mustReach(t, m, reach.InternetHost("", netip.Prefix{}), reach.Resolver(), reach.UDP, 53)
		assert.Equal(t, reach.NoRouteOutsideVPC, v.Checks[0].NoRoute)
	}
}

// Upstream: EKS User Guide, security-groups-for-pods.adoc (a policy naming
// a group that does not exist fails with InvalidSecurityGroupID.NotFound).
func TestInterfacesMustCarryKnownGroups(t *testing.T) {
	m := newModel(t, cni.Strict, baseGroups())
	ghost := branch.MustParseSecurityGroupID("sg-00000099")
	_, err := m.Reach(reach.BranchPodOn("web", set(sgWeb, ghost), node("n1", sgNode)), dbPod, reach.TCP, 1)
	var ge *reach.GroupError
	require.True(t, errors.As(err, &ge), "%v", err)
	assert.Equal(t, ghost, ge.ID)
	assert.Equal(t, "branch ENI of web", ge.Where)
	assert.ErrorIs(t, err, reach.ErrUnknownGroup)
	_, err = m.Reach(webPod, reach.PodOn("p", node("n9", ghost)), reach.TCP, 1)
	assert.ErrorIs(t, err, reach.ErrUnknownGroup)
}

func TestReachRefusesFlowsThatCannotExist(t *testing.T) {
	m := newModel(t, cni.Strict, baseGroups())
	for _, tt := range []struct {
		name     string
		from, to reach.Endpoint
		proto    reach.Protocol
		port     uint16
	}{
		{"zero endpoint", reach.Endpoint{}, dbPod, reach.TCP, 1},
		{"branch pod without groups", reach.BranchPodOn("web", set(), node("n1")), dbPod, reach.TCP, 1},
		{"pod without a node", reach.PodOn("p", reach.Node{}), dbPod, reach.TCP, 1},
		{"VPC host without groups", reach.VPCHost("rds", set(), netip.Prefix{}), dbPod, reach.TCP, 1},
		{"tcp without a port", webPod, dbPod, reach.TCP, 0},
		{"icmp with a port", webPod, dbPod, reach.ICMP, 8},
		{"protocol all", webPod, dbPod, reach.AllProtocols, 0},
		{"the resolver as a source", reach.Resolver(), dbPod, reach.UDP, 53},
		{"NodeLocal DNSCache as a source", reach.NodeLocalDNSOn(node("n1")), dbPod, reach.UDP, 53},
		{"internet to internet", reach.InternetHost("", netip.Prefix{}), reach.InternetHost("", netip.Prefix{}), reach.TCP, 1},
		{"internet host inside the VPC", webPod, reach.InternetHost("x", cidr("10.0.9.0/24")), reach.TCP, 1},
		{"subnet in IPv6", reach.BranchPodOn("web", set(sgWeb), reach.Node{Name: "n", Subnet: reach.Subnet{CIDR: cidr("fd00::/64")}}), dbPod, reach.TCP, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v, err := m.Reach(tt.from, tt.to, tt.proto, tt.port)
			assert.ErrorIs(t, err, reach.ErrInvalidEndpoint)
			assert.Zero(t, v)
		})
	}
}

func TestVerdictExplainsEveryFailedCheck(t *testing.T) {
	g := withRules(baseGroups(), sgDB, []reach.Rule{tcp(5432, block("192.168.0.0/16"))}, nil)
	for i := range g {
		if g[i].ID == sgWeb {
			g[i].Egress = []reach.Rule{tcp(443, block("0.0.0.0/0"))}
		}
	}
	v := mustReach(t, newModel(t, cni.Strict, g), webPod, dbPod, reach.TCP, 5432)
	assert.False(t, v.Allowed)
	assert.Equal(t, []reach.CheckKind{reach.CheckEgress, reach.CheckIngress}, failedKinds(v), "both sides are reported, not just the first")
	assert.Equal(t, "web → db tcp 5432: denied", v.String())
	assert.Equal(t, `web → db tcp 5432: denied
  mode: strict (either mode gives this path)
  path: vpc: traffic between different hosts crosses the VPC in either mode: the sender's outbound and the receiver's inbound rules apply
  [FAIL] egress of branch ENI of web [sg-0000000b]: no rule allows tcp 5432 to db [sg-0000000c] at 10.0.1.0/24
  [FAIL] ingress of branch ENI of db [sg-0000000c]: no rule allows tcp 5432 from web [sg-0000000b] at 10.0.1.0/24
         near miss: sg-0000000c ingress[0]: tcp 5432 from 192.168.0.0/16
`, v.Explain())
}
