package reach_test

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/reach"
)

// Upstream: EC2 API AuthorizeSecurityGroupIngress, IpProtocol ("tcp",
// "udp", "icmp" or their numbers; -1 for all).
func TestProtocolParsesNamesAndEC2Numbers(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want reach.Protocol
	}{{"tcp", reach.TCP}, {"6", reach.TCP}, {"udp", reach.UDP}, {"17", reach.UDP},
		{"icmp", reach.ICMP}, {"1", reach.ICMP}, {"all", reach.AllProtocols}, {"-1", reach.AllProtocols}} {
		got, err := reach.ParseProtocol(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
		back, err := reach.ParseProtocol(got.String())
		require.NoError(t, err)
		assert.Equal(t, got, back, "String round-trips")
	}
	for _, bad := range []string{"", "TCP", "sctp", "58", "any"} {
		_, err := reach.ParseProtocol(bad)
		assert.ErrorIs(t, err, reach.ErrInvalidRule, bad)
	}
	assert.Equal(t, "Protocol(0)", reach.Protocol(0).String())
	assert.False(t, reach.Protocol(0).IsValid())
	_, err := reach.Protocol(0).MarshalText()
	assert.Error(t, err)
}

func TestPortRange(t *testing.T) {
	assert.False(t, reach.PortRange{}.IsValid(), "the zero range is not a range")
	assert.False(t, reach.PortRange{From: 9, To: 1}.IsValid())
	assert.True(t, reach.AllPorts().IsValid())
	assert.True(t, reach.PortRange{From: 8000, To: 8100}.Contains(8000))
	assert.True(t, reach.PortRange{From: 8000, To: 8100}.Contains(8100), "ranges are inclusive")
	assert.False(t, reach.PortRange{From: 8000, To: 8100}.Contains(8101))
	assert.Equal(t, "443", reach.Port(443).String())
	assert.Equal(t, "8000-8100", reach.PortRange{From: 8000, To: 8100}.String())
	assert.Equal(t, "all ports", reach.AllPorts().String())
}

func TestParsePeer(t *testing.T) {
	p, err := reach.ParsePeer("10.0.0.0/16")
	require.NoError(t, err)
	assert.False(t, p.IsGroup())
	assert.Equal(t, netip.MustParsePrefix("10.0.0.0/16"), p.CIDR())
	assert.Equal(t, "10.0.0.0/16", p.String())

	p, err = reach.ParsePeer("sg-0000000a")
	require.NoError(t, err)
	assert.True(t, p.IsGroup())
	assert.Equal(t, sgNode, p.Group())
	text, err := p.MarshalText()
	require.NoError(t, err)
	assert.Equal(t, "sg-0000000a", string(text))

	for _, tt := range []struct{ in, why string }{
		{"10.0.0.1/16", "host bits set; want 10.0.0.0/16"},
		{"::/0", "not IPv4"},
		{"10.0.0.1", "not a CIDR block"},
		{"sg-XYZ", "malformed"},
	} {
		_, err := reach.ParsePeer(tt.in)
		assert.ErrorIs(t, err, reach.ErrInvalidRule, tt.in)
		assert.ErrorContains(t, err, tt.why, tt.in)
	}
	assert.False(t, reach.Peer{}.IsValid())
	assert.Equal(t, "invalid Peer", reach.Peer{}.String())
}

// Upstream: Amazon VPC User Guide, security-group-rules.md (a rule has a
// protocol, a port range for TCP and UDP, and one source or destination;
// EC2 refuses a rule that repeats another, InvalidPermission.Duplicate).
func TestGroupValidateRefusesWhatEC2Refuses(t *testing.T) {
	for _, tt := range []struct {
		name string
		r    reach.Rule
		why  string
	}{
		{"zero protocol", reach.Rule{Peer: block("0.0.0.0/0")}, "want tcp, udp, icmp or all"},
		{"tcp without ports", reach.Rule{Protocol: reach.TCP, Peer: block("0.0.0.0/0")}, "tcp needs a port range"},
		{"udp range backwards", rule(reach.UDP, reach.PortRange{From: 9, To: 1}, block("0.0.0.0/0")), "udp needs a port range"},
		{"icmp with ports", rule(reach.ICMP, reach.Port(8), block("0.0.0.0/0")), "take no port range"},
		{"all with ports", rule(reach.AllProtocols, reach.AllPorts(), block("0.0.0.0/0")), "take no port range"},
		{"no peer", tcp(80, reach.Peer{}), "needs exactly one peer"},
		{"host bits", tcp(80, reach.CIDRPeer(netip.MustParsePrefix("10.0.0.1/8"))), "host bits set"},
		{"IPv6 peer", tcp(80, reach.CIDRPeer(netip.MustParsePrefix("::/0"))), "not IPv4"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g := reach.Group{ID: sgWeb, Ingress: []reach.Rule{tcp(443, block("0.0.0.0/0")), tt.r}}
			err := g.Validate()
			var re *reach.RuleError
			require.True(t, errors.As(err, &re), "%v", err)
			assert.Equal(t, sgWeb, re.Group)
			assert.Equal(t, reach.Ingress, re.Direction)
			assert.Equal(t, 1, re.Index)
			assert.ErrorIs(t, err, reach.ErrInvalidRule)
			assert.Contains(t, err.Error(), tt.why)
			assert.Contains(t, err.Error(), "sg-0000000b ingress[1]")
		})
	}
	dup := reach.Group{ID: sgWeb, Egress: []reach.Rule{tcp(443, group(sgDB)), {Protocol: reach.TCP, Ports: reach.Port(443), Peer: group(sgDB), Description: "again"}}}
	assert.ErrorContains(t, dup.Validate(), "repeats rule 0")
	assert.ErrorIs(t, reach.Group{}.Validate(), reach.ErrUnknownGroup, "the zero ID is not a group")
}

// Upstream: Amazon VPC User Guide, VPC_SecurityGroups.md ("When you
// create a security group, it has no inbound rules ... it includes an
// outbound rule that allows all outbound traffic").
func TestNewGroupHasEC2sDefaults(t *testing.T) {
	g := reach.NewGroup(sgWeb, "web")
	assert.Empty(t, g.Ingress)
	require.Len(t, g.Egress, 1)
	assert.Equal(t, reach.AllProtocols, g.Egress[0].Protocol)
	assert.Equal(t, "0.0.0.0/0", g.Egress[0].Peer.String())
	assert.Equal(t, reach.AllowAllEgress(), g.Egress[0])
	assert.NoError(t, g.Validate())
}

// Upstream: Amazon VPC User Guide, amazon-vpc-limits.md (security groups
// per network interface 5, adjustable to 16; inbound or outbound rules per
// security group 60, counted per direction; the product at most 1,000).
func TestQuotas(t *testing.T) {
	many := func(n int) []reach.Rule {
		rules := make([]reach.Rule, n)
		for i := range rules {
			rules[i] = tcp(uint16(i+1), block("0.0.0.0/0"))
		}
		return rules
	}
	q := reach.Quotas{}
	assert.NoError(t, q.CheckGroup(reach.Group{ID: sgWeb, Ingress: many(60), Egress: many(60)}), "60 each way is the default quota")
	err := q.CheckGroup(reach.Group{ID: sgWeb, Ingress: many(61)})
	var qe *reach.RuleQuotaError
	require.True(t, errors.As(err, &qe))
	assert.Equal(t, reach.RuleQuotaError{Group: sgWeb, Direction: reach.Ingress, Rules: 61, Limit: 60}, *qe)
	assert.ErrorIs(t, err, reach.ErrRuleQuota)
	assert.EqualError(t, err, "reach: too many rules in one security group: sg-0000000b has 61 ingress rules; the quota is 60 per direction")

	assert.NoError(t, reach.Quotas{GroupsPerInterface: 16, RulesPerGroup: 62}.CheckGroup(reach.Group{ID: sgWeb, Egress: many(62)}))
	for _, bad := range []reach.Quotas{{GroupsPerInterface: 17}, {GroupsPerInterface: -1}, {RulesPerGroup: 1001}, {GroupsPerInterface: 16, RulesPerGroup: 63}} {
		err := bad.CheckGroup(reach.Group{ID: sgWeb})
		assert.ErrorIs(t, err, reach.ErrInvalidConfig, "%+v", bad)
	}

	// The model applies both quotas: rules when it is built, groups when
	// an interface is judged.
	_, err = reach.New(reach.Config{Groups: []reach.Group{{ID: sgWeb, Egress: many(61)}}})
	assert.ErrorIs(t, err, reach.ErrRuleQuota)
	groups := []reach.Group{reach.NewGroup(sgNode, ""), reach.NewGroup(sgWeb, ""), reach.NewGroup(sgDB, ""),
		reach.NewGroup(sgRDS, ""), reach.NewGroup(sgOther, ""), reach.NewGroup(branch.MustParseSecurityGroupID("sg-0000000f"), "")}
	six := set(sgNode, sgWeb, sgDB, sgRDS, sgOther, branch.MustParseSecurityGroupID("sg-0000000f"))
	m, err := reach.New(reach.Config{Groups: groups})
	require.NoError(t, err)
	_, err = m.Reach(reach.BranchPodOn("web", six, node("n1")), reach.InternetHost("", netip.Prefix{}), reach.TCP, 443)
	assert.ErrorIs(t, err, branch.ErrTooManyGroups)
	m, err = reach.New(reach.Config{Groups: groups, Quotas: reach.Quotas{GroupsPerInterface: 16}})
	require.NoError(t, err)
	_, err = m.Reach(reach.BranchPodOn("web", six, node("n1")), reach.InternetHost("", netip.Prefix{}), reach.TCP, 443)
	assert.NoError(t, err, "a raised quota admits six groups")
}

func TestNewRefusesBadConfig(t *testing.T) {
	for _, tt := range []struct {
		name string
		cfg  reach.Config
		is   error
	}{
		{"duplicate group", reach.Config{Groups: []reach.Group{reach.NewGroup(sgWeb, "a"), reach.NewGroup(sgWeb, "b")}}, reach.ErrDuplicateGroup},
		{"bad rule", reach.Config{Groups: []reach.Group{{ID: sgWeb, Ingress: []reach.Rule{{Protocol: reach.TCP, Peer: group(sgWeb)}}}}}, reach.ErrInvalidRule},
		{"VPC with host bits", reach.Config{VPC: netip.MustParsePrefix("10.0.0.1/16")}, reach.ErrInvalidConfig},
		{"VPC in IPv6", reach.Config{VPC: netip.MustParsePrefix("fd00::/56")}, reach.ErrInvalidConfig},
		{"unknown mode", reach.Config{Mode: 9}, reach.ErrInvalidConfig},
		{"quota out of range", reach.Config{Quotas: reach.Quotas{GroupsPerInterface: 17}}, reach.ErrInvalidConfig},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, err := reach.New(tt.cfg)
			assert.Nil(t, m)
			assert.ErrorIs(t, err, tt.is)
		})
	}
}

func TestModelKeepsItsOwnCopy(t *testing.T) {
	groups := baseGroups()
	m := newModel(t, 0, groups)
	groups[1].Egress[0] = tcp(1, block("0.0.0.0/0"))
	g, ok := m.Group(sgWeb)
	require.True(t, ok)
	assert.Equal(t, reach.AllowAllEgress(), g.Egress[0], "changing the caller's groups changes nothing")
	g.Egress[0] = tcp(2, block("0.0.0.0/0"))
	again, _ := m.Group(sgWeb)
	assert.Equal(t, reach.AllowAllEgress(), again.Egress[0], "nor does changing a returned copy")
	_, ok = m.Group(branch.MustParseSecurityGroupID("sg-00000099"))
	assert.False(t, ok)
	assert.Equal(t, []branch.SecurityGroupID{sgNode, sgWeb, sgDB, sgRDS, sgOther}, m.GroupIDs())

	grown, err := m.WithRule(sgWeb, reach.Ingress, tcp(80, group(sgNode)))
	require.NoError(t, err)
	g, _ = grown.Group(sgWeb)
	assert.Len(t, g.Ingress, 1)
	g, _ = m.Group(sgWeb)
	assert.Empty(t, g.Ingress, "WithRule leaves the receiver as it was")
	_, err = m.WithRule(branch.MustParseSecurityGroupID("sg-00000099"), reach.Ingress, tcp(80, group(sgNode)))
	assert.ErrorIs(t, err, reach.ErrUnknownGroup)
	_, err = m.WithRule(sgWeb, reach.Egress, reach.AllowAllEgress())
	assert.ErrorIs(t, err, reach.ErrInvalidRule, "a duplicate rule is refused")
}
