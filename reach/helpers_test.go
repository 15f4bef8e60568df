package reach_test

import (
	"net/netip"

	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/cni"
	"github.com/trunksim/trunksim/reach"
)

// Groups the tests share: the nodes' group, two pods' groups, a
// database's, and one nothing carries.
var (
	sgNode  = branch.MustParseSecurityGroupID("sg-0000000a")
	sgWeb   = branch.MustParseSecurityGroupID("sg-0000000b")
	sgDB    = branch.MustParseSecurityGroupID("sg-0000000c")
	sgRDS   = branch.MustParseSecurityGroupID("sg-0000000d")
	sgOther = branch.MustParseSecurityGroupID("sg-0000000e")
)

func set(ids ...branch.SecurityGroupID) branch.GroupSet { return branch.NewGroupSet(ids...) }

func cidr(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func rule(p reach.Protocol, ports reach.PortRange, peer reach.Peer) reach.Rule {
	return reach.Rule{Protocol: p, Ports: ports, Peer: peer}
}

func tcp(port uint16, peer reach.Peer) reach.Rule { return rule(reach.TCP, reach.Port(port), peer) }

func udp(port uint16, peer reach.Peer) reach.Rule { return rule(reach.UDP, reach.Port(port), peer) }

func all(peer reach.Peer) reach.Rule { return reach.Rule{Protocol: reach.AllProtocols, Peer: peer} }

func group(id branch.SecurityGroupID) reach.Peer { return reach.GroupPeer(id) }

func block(s string) reach.Peer { return reach.CIDRPeer(cidr(s)) }

// node returns a node named name in subnet 10.0.1.0/24 carrying groups.
func node(name string, groups ...branch.SecurityGroupID) reach.Node {
	return reach.Node{Name: name, Groups: set(groups...), Subnet: reach.Subnet{Kind: reach.Private, CIDR: cidr("10.0.1.0/24")}}
}

// baseGroups are the groups most tests start from: the node group admits
// its own members; web and db are new groups (no ingress, all egress).
func baseGroups() []reach.Group {
	n := reach.NewGroup(sgNode, "node")
	n.Ingress = []reach.Rule{all(group(sgNode))}
	return []reach.Group{n, reach.NewGroup(sgWeb, "web"), reach.NewGroup(sgDB, "db"), reach.NewGroup(sgRDS, "rds"), reach.NewGroup(sgOther, "other")}
}

// withRules returns groups with extra ingress and egress rules on id.
func withRules(groups []reach.Group, id branch.SecurityGroupID, ingress, egress []reach.Rule) []reach.Group {
	out := make([]reach.Group, len(groups))
	for i, g := range groups {
		if g.ID == id {
			g.Ingress = append(append([]reach.Rule(nil), g.Ingress...), ingress...)
			g.Egress = append(append([]reach.Rule(nil), g.Egress...), egress...)
		}
		out[i] = g
	}
	return out
}

// tb is what the helpers need of a test, so rapid's T serves too.
type tb interface {
	require.TestingT
	Helper()
}

func newModel(t tb, mode cni.EnforcingMode, groups []reach.Group, opts ...func(*reach.Config)) *reach.Model {
	t.Helper()
	cfg := reach.Config{Mode: mode, VPC: cidr("10.0.0.0/16"), Groups: groups}
	for _, o := range opts {
		o(&cfg)
	}
	m, err := reach.New(cfg)
	require.NoError(t, err)
	return m
}

func mustReach(t tb, m *reach.Model, from, to reach.Endpoint, p reach.Protocol, port uint16) reach.Verdict {
	t.Helper()
	v, err := m.Reach(from, to, p, port)
	require.NoError(t, err)
	return v
}

// failedKinds lists the kinds of a verdict's failed checks.
func failedKinds(v reach.Verdict) []reach.CheckKind {
	var out []reach.CheckKind
	for _, c := range v.Failed() {
		out = append(out, c.Kind)
	}
	return out
}
