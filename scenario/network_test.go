package scenario

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/cni"
	"github.com/trunksim/trunksim/reach"
)

// groupsYAML declares two groups; rule and flow tests append to it.
const groupsYAML = `securityGroups:
  - id: sg-0000000a
  - id: sg-0000000b
`

func TestParseReachabilityErrorsNameFileLineAndField(t *testing.T) {
	rule := func(r string) string {
		return "securityGroups:\n  - id: sg-0000000a\n    ingress:\n      - " + r + "\n"
	}
	flow := func(key, f string) string {
		return groupsYAML + "workloads:\n  - name: w\n    replicas: 1\n    " + key + ":\n      - " + f + "\n"
	}
	tests := []struct {
		name  string
		yaml  string
		line  int
		field string
		is    error
		text  string
	}{
		// Rules.
		{"unknown protocol", rule("{protocol: sctp, port: 1, cidr: 10.0.0.0/8}"), 4, "securityGroups[0].ingress[0].protocol", ErrInvalidValue, "want tcp, udp, icmp or all"},
		{"protocol a list", rule("{protocol: [tcp], port: 1, cidr: 10.0.0.0/8}"), 4, "securityGroups[0].ingress[0].protocol", ErrWrongType, "a protocol such as tcp"},
		{"missing protocol", rule("{port: 1, cidr: 10.0.0.0/8}"), 4, "securityGroups[0].ingress[0].protocol", ErrMissingField, ""},
		{"tcp without port", rule("{protocol: tcp, cidr: 10.0.0.0/8}"), 4, "securityGroups[0].ingress[0].port", ErrMissingField, "tcp needs port, or fromPort and toPort"},
		{"fromPort without toPort", rule("{protocol: udp, fromPort: 1, cidr: 10.0.0.0/8}"), 4, "securityGroups[0].ingress[0].toPort", ErrMissingField, ""},
		{"port and a range", rule("{protocol: tcp, port: 5, fromPort: 1, toPort: 9, cidr: 10.0.0.0/8}"), 4, "securityGroups[0].ingress[0].port", ErrInvalidValue, "not both"},
		{"range backwards", rule("{protocol: tcp, fromPort: 9, toPort: 1, cidr: 10.0.0.0/8}"), 4, "securityGroups[0].ingress[0].toPort", ErrInvalidValue, "below fromPort (9)"},
		{"range of port 0", rule("{protocol: tcp, fromPort: 0, toPort: 0, cidr: 10.0.0.0/8}"), 4, "securityGroups[0].ingress[0].toPort", ErrInvalidValue, "above 0"},
		{"port 0", rule("{protocol: tcp, port: 0, cidr: 10.0.0.0/8}"), 4, "securityGroups[0].ingress[0].port", ErrInvalidValue, "at least 1"},
		{"port too large", rule("{protocol: tcp, port: 70000, cidr: 10.0.0.0/8}"), 4, "securityGroups[0].ingress[0].port", ErrInvalidValue, "at most 65535"},
		{"icmp with a port", rule("{protocol: icmp, port: 8, cidr: 10.0.0.0/8}"), 4, "securityGroups[0].ingress[0].port", ErrUnknownField, "ICMP types are not modelled"},
		{"all with a range", rule("{protocol: all, fromPort: 0, toPort: 9, cidr: 10.0.0.0/8}"), 4, "securityGroups[0].ingress[0].fromPort", ErrUnknownField, "for protocol all"},
		{"no peer", rule("{protocol: tcp, port: 1}"), 4, "securityGroups[0].ingress[0].cidr", ErrMissingField, "cidr or securityGroup"},
		{"two peers", rule("{protocol: tcp, port: 1, cidr: 10.0.0.0/8, securityGroup: sg-0000000a}"), 4, "securityGroups[0].ingress[0].securityGroup", ErrInvalidValue, "not both"},
		{"IPv6 block", rule("{protocol: tcp, port: 1, cidr: \"::/0\"}"), 4, "securityGroups[0].ingress[0].cidr", ErrInvalidValue, "not IPv4"},
		{"host bits set", rule("{protocol: tcp, port: 1, cidr: 10.0.0.1/8}"), 4, "securityGroups[0].ingress[0].cidr", ErrInvalidValue, "want 10.0.0.0/8"},
		{"bare address", rule("{protocol: tcp, port: 1, cidr: 10.0.0.1}"), 4, "securityGroups[0].ingress[0].cidr", ErrInvalidValue, "not a CIDR block"},
		{"undeclared group peer", rule("{protocol: tcp, port: 1, securityGroup: sg-0000000c}"), 4, "securityGroups[0].ingress[0].securityGroup", ErrInvalidValue, "declare it under securityGroups"},
		{"unknown rule key", rule("{protocol: tcp, port: 1, cidr: 10.0.0.0/8, action: deny}"), 4, "securityGroups[0].ingress[0].action", ErrUnknownField, "want protocol, port"},
		{"duplicate rule", "securityGroups:\n  - id: sg-0000000a\n    egress:\n      - {protocol: tcp, port: 1, cidr: 10.0.0.0/8}\n      - {protocol: tcp, port: 1, cidr: 10.0.0.0/8, description: again}\n", 5, "securityGroups[0].egress[1]", ErrDuplicate, "InvalidPermission.Duplicate"},
		{"rules over the quota", "network: {rulesPerGroup: 1}\nsecurityGroups:\n  - id: sg-0000000a\n    ingress:\n      - {protocol: tcp, port: 1, cidr: 10.0.0.0/8}\n      - {protocol: tcp, port: 2, cidr: 10.0.0.0/8}\n", 4, "securityGroups[0].ingress", ErrInvalidValue, "more than the quota of 1 ingress rules"},
		{"rules per interface over 1000", "controller: {groupsPerInterface: 16}\nnetwork: {rulesPerGroup: 100}\n", 2, "network.rulesPerGroup", ErrInvalidValue, "1600 rules per interface"},
		{"rulesPerGroup above 1000", "network: {rulesPerGroup: 1001}\n", 1, "network.rulesPerGroup", ErrInvalidValue, "at most 1000"},

		// Network and DNS.
		{"unknown network key", "network: {natGateway: true}\n", 1, "network.natGateway", ErrUnknownField, "want vpcCIDR, rulesPerGroup or calico"},
		{"VPC block malformed", "network: {vpcCIDR: 10.0.0.0/33}\n", 1, "network.vpcCIDR", ErrInvalidValue, "not a CIDR block"},
		{"externalSNAT a string", "cni: {externalSNAT: \"true\"}\n", 1, "cni.externalSNAT", ErrWrongType, "want true or false"},
		{"unknown DNS key", "dns: {kubeDNS: true}\n", 1, "dns.kubeDNS", ErrUnknownField, "want coreDNS or nodeLocalDNS"},
		{"CoreDNS workload missing", "dns: {coreDNS: coredns}\n", 1, "dns.coreDNS", ErrInvalidValue, "no such workload"},

		// Node groups.
		{"undeclared node group", groupsYAML + "nodeGroups:\n  - {name: a, instanceType: m5.large, count: 1, securityGroups: [sg-0000000a, sg-0000000c]}\n", 5, "nodeGroups[0].securityGroups[1]", ErrInvalidValue, "no such security group"},
		{"node group lists a group twice", groupsYAML + "nodeGroups:\n  - {name: a, instanceType: m5.large, count: 1, securityGroups: [sg-0000000a, sg-0000000a]}\n", 5, "nodeGroups[0].securityGroups[1]", ErrDuplicate, "first at nodeGroups[0].securityGroups[0]"},
		{"node group over the groups quota", groupsYAML + "controller: {groupsPerInterface: 1}\nnodeGroups:\n  - {name: a, instanceType: m5.large, count: 1, securityGroups: [sg-0000000a, sg-0000000b]}\n", 6, "nodeGroups[0].securityGroups", ErrInvalidValue, "more than the quota of 1"},
		{"unknown subnet kind", "nodeGroups:\n  - {name: a, instanceType: m5.large, count: 1, subnet: {kind: dmz}}\n", 2, "nodeGroups[0].subnet.kind", ErrInvalidValue, "private (a NAT gateway), public"},
		{"subnet outside the VPC", "network: {vpcCIDR: 10.0.0.0/16}\nnodeGroups:\n  - name: a\n    instanceType: m5.large\n    count: 1\n    subnet: {cidr: 10.1.0.0/24}\n", 6, "nodeGroups[0].subnet.cidr", ErrInvalidValue, "not inside the VPC 10.0.0.0/16"},

		// Workloads.
		{"probe port 0", "workloads:\n  - {name: w, replicas: 1, probes: [8080, 0]}\n", 2, "workloads[0].probes[1]", ErrInvalidValue, "at least 1"},
		{"probe repeated", "workloads:\n  - {name: w, replicas: 1, probes: [8080, 8080]}\n", 2, "workloads[0].probes[1]", ErrDuplicate, "port 8080"},
		{"probe a string", "workloads:\n  - {name: w, replicas: 1, probes: [http]}\n", 2, "workloads[0].probes[0]", ErrWrongType, "want an integer"},
		{"talks to nobody", flow("talksTo", "{port: 80}"), 8, "workloads[0].talksTo[0].workload", ErrMissingField, "workload, securityGroup, cidr or linkLocal"},
		{"talks to two ends", flow("talksTo", "{workload: w, cidr: 0.0.0.0/0, port: 80}"), 8, "workloads[0].talksTo[0]", ErrInvalidValue, "not several"},
		{"talks to an unknown workload", flow("talksTo", "{workload: db, port: 5432}"), 8, "workloads[0].talksTo[0].workload", ErrInvalidValue, `"db": no such workload`},
		{"talks to an undeclared group", flow("talksTo", "{securityGroup: sg-0000000c, port: 5432}"), 8, "workloads[0].talksTo[0].securityGroup", ErrInvalidValue, "no such security group"},
		{"tcp flow without port", flow("talksTo", "{workload: w}"), 8, "workloads[0].talksTo[0].port", ErrMissingField, "tcp needs a port"},
		{"icmp flow with port", flow("talksTo", "{cidr: 0.0.0.0/0, protocol: icmp, port: 8}"), 8, "workloads[0].talksTo[0].port", ErrUnknownField, "no ports"},
		{"flow with protocol all", flow("talksTo", "{cidr: 0.0.0.0/0, protocol: all}"), 8, "workloads[0].talksTo[0].protocol", ErrInvalidValue, "a flow has one protocol"},
		{"flow into the VPC by CIDR", "network: {vpcCIDR: 10.0.0.0/16}\n" + flow("talksTo", "{cidr: 10.0.5.0/24, port: 80}"), 9, "workloads[0].talksTo[0].cidr", ErrInvalidValue, "overlaps the VPC"},
		{"receives from a workload", flow("receivesFrom", "{workload: w, port: 80}"), 8, "workloads[0].receivesFrom[0].workload", ErrUnknownField, "want securityGroup, cidr, protocol or port"},
		{"link-local name unknown", flow("talksTo", "{linkLocal: ecsAgent, port: 51678}"), 8, "workloads[0].talksTo[0].linkLocal", ErrInvalidValue, `"ecsAgent": want podIdentityAgent (169.254.170.23), imds (169.254.169.254), nodeLocalDNS (169.254.20.10) or another IPv4 address in 169.254.0.0/16`},
		{"link-local address outside the block", flow("talksTo", "{linkLocal: 10.0.0.10, port: 80}"), 8, "workloads[0].talksTo[0].linkLocal", ErrInvalidValue, `"10.0.0.10": want podIdentityAgent`},
		{"link-local and a workload", flow("talksTo", "{workload: w, linkLocal: imds, port: 80}"), 8, "workloads[0].talksTo[0]", ErrInvalidValue, "not several"},
		{"link-local CIDR to talk to", flow("talksTo", "{cidr: 169.254.170.23/32, port: 80}"), 8, "workloads[0].talksTo[0].cidr", ErrInvalidValue, "169.254.170.23/32: link-local addresses are never routed off their node, so they are not outside the VPC; name the address on the pods' node with linkLocal, such as linkLocal: podIdentityAgent"},
		{"link-local CIDR block", flow("talksTo", "{cidr: 169.254.0.0/16, port: 80}"), 8, "workloads[0].talksTo[0].cidr", ErrInvalidValue, "name each address on the pods' node with linkLocal (podIdentityAgent, imds, nodeLocalDNS or an address)"},
		{"link-local CIDR to receive from", flow("receivesFrom", "{cidr: 169.254.169.254/32, port: 80}"), 8, "workloads[0].receivesFrom[0].cidr", ErrInvalidValue, "link-local services only answer"},
		{"receives from a link-local address", flow("receivesFrom", "{linkLocal: imds, port: 80}"), 8, "workloads[0].receivesFrom[0].linkLocal", ErrUnknownField, "want securityGroup, cidr, protocol or port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := Parse("bad.yaml", []byte(tt.yaml))
			require.Error(t, err)
			assert.Nil(t, sc)
			var e *Error
			require.True(t, errors.As(err, &e), "want *Error, got %T: %v", err, err)
			assert.Equal(t, tt.line, e.Line, "line of: %v", err)
			assert.Equal(t, tt.field, e.Field, "field of: %v", err)
			assert.ErrorIs(t, err, tt.is)
			prefix := "bad.yaml:" + strconv.Itoa(tt.line) + ": " + tt.field + ": "
			assert.True(t, strings.HasPrefix(err.Error(), prefix), "%q does not start with %q", err.Error(), prefix)
			assert.Contains(t, err.Error(), tt.text)
		})
	}
}

// Upstream: Amazon VPC User Guide, security group rules ("when you create
// a security group, it has no inbound rules ... an outbound rule that
// allows all outbound traffic").
func TestParseGivesAGroupWithoutEgressEC2sDefaultRule(t *testing.T) {
	sc, err := Parse("g.yaml", []byte(`securityGroups:
  - id: sg-0000000a
  - id: sg-0000000b
    egress: []
  - id: sg-0000000c
    egress:
      - {protocol: udp, port: 53, securityGroup: sg-0000000a}
`))
	require.NoError(t, err)
	assert.Nil(t, sc.SecurityGroups[0].Ingress)
	assert.Equal(t, []reach.Rule{reach.AllowAllEgress()}, sc.SecurityGroups[0].Egress)
	assert.Nil(t, sc.SecurityGroups[1].Egress, "an empty list written out means no egress at all")
	assert.Len(t, sc.SecurityGroups[2].Egress, 1, "rules written replace the default")

	out, err := sc.Marshal()
	require.NoError(t, err)
	assert.Contains(t, string(out), "egress: []")
	back, err := Parse("g.yaml", out)
	require.NoError(t, err)
	assert.Equal(t, plain(sc), plain(back))
}

// Upstream: EC2 AuthorizeSecurityGroupIngress (IpProtocol takes a name or
// a number; -1 means all protocols).
func TestParseAcceptsEC2ProtocolNumbers(t *testing.T) {
	sc, err := Parse("p.yaml", []byte(`securityGroups:
  - id: sg-0000000a
    ingress:
      - {protocol: 6, port: 443, cidr: 0.0.0.0/0}
      - {protocol: "17", fromPort: 0, toPort: 65535, cidr: 10.0.0.0/8}
      - {protocol: -1, securityGroup: sg-0000000a}
      - {protocol: "1", cidr: 10.0.0.0/8}
`))
	require.NoError(t, err)
	in := sc.SecurityGroups[0].Ingress
	assert.Equal(t, []reach.Protocol{reach.TCP, reach.UDP, reach.AllProtocols, reach.ICMP},
		[]reach.Protocol{in[0].Protocol, in[1].Protocol, in[2].Protocol, in[3].Protocol})
	assert.Equal(t, reach.AllPorts(), in[1].Ports)
}

func TestParseTrafficDefaultsToTCP(t *testing.T) {
	sc, err := Parse("t.yaml", []byte(`workloads:
  - name: web
    replicas: 1
    talksTo:
      - {workload: web, port: 8080}
      - {cidr: 0.0.0.0/0, protocol: udp, port: 123}
`))
	require.NoError(t, err)
	assert.Equal(t, []reach.Traffic{
		{Workload: "web", Protocol: reach.TCP, Port: 8080},
		{CIDR: netip.MustParsePrefix("0.0.0.0/0"), Protocol: reach.UDP, Port: 123},
	}, sc.Workloads[0].TalksTo)
}

// Upstream: EKS User Guide, pod-id-agent-setup (the Pod Identity agent
// listens on 169.254.170.23); EC2 User Guide,
// configuring-instance-metadata-options (the metadata service's IPv4
// endpoint is 169.254.169.254); kubernetes/dns nodelocaldns (169.254.20.10).
func TestParseLinkLocalTakesNamesOrAddressesAndWritesNamesBack(t *testing.T) {
	sc, err := Parse("t.yaml", []byte(`workloads:
  - name: web
    replicas: 1
    talksTo:
      - {linkLocal: podIdentityAgent, port: 80}
      - {linkLocal: imds, port: 80}
      - {linkLocal: nodeLocalDNS, protocol: udp, port: 53}
      - {linkLocal: 169.254.170.23, port: 2703}
      - {linkLocal: 169.254.1.1, protocol: icmp}
`))
	require.NoError(t, err)
	addr := netip.MustParseAddr
	assert.Equal(t, []reach.Traffic{
		{LinkLocal: addr("169.254.170.23"), Protocol: reach.TCP, Port: 80},
		{LinkLocal: addr("169.254.169.254"), Protocol: reach.TCP, Port: 80},
		{LinkLocal: addr("169.254.20.10"), Protocol: reach.UDP, Port: 53},
		{LinkLocal: addr("169.254.170.23"), Protocol: reach.TCP, Port: 2703},
		{LinkLocal: addr("169.254.1.1"), Protocol: reach.ICMP},
	}, sc.Workloads[0].TalksTo)
	assert.Equal(t, sc.Workloads[0].TalksTo, sc.Cluster().Workloads[0].TalksTo)

	text, err := sc.Marshal()
	require.NoError(t, err)
	for _, want := range []string{"linkLocal: podIdentityAgent", "linkLocal: imds", "linkLocal: nodeLocalDNS", "linkLocal: 169.254.1.1"} {
		assert.Contains(t, string(text), want)
	}
	again, err := Parse("again.yaml", text)
	require.NoError(t, err)
	assert.Equal(t, sc.Workloads[0].TalksTo, again.Workloads[0].TalksTo)
}

func TestClusterCarriesWhatTheCheckNeeds(t *testing.T) {
	sc, err := Parse("c.yaml", []byte(`cni: {enforcingMode: standard, externalSNAT: true, disableTCPEarlyDemux: true, version: v1.18.0}
controller: {groupsPerInterface: 7}
network: {vpcCIDR: 10.0.0.0/16, rulesPerGroup: 100, calico: true}
dns: {nodeLocalDNS: true, coreDNS: dns}
securityGroups:
  - {id: sg-0000000a, name: node}
nodeGroups:
  - {name: ng, instanceType: m5.large, count: 2, securityGroups: [sg-0000000a], subnet: {kind: public}}
serviceAccounts:
  - {name: builder, labels: {team: ci}}
  - {name: default, namespace: other, labels: {team: none}}
workloads:
  - {name: dns, replicas: 2}
  - {name: ci, replicas: 1, serviceAccount: builder, probes: [8080]}
  - {name: other, namespace: other, replicas: 1}
`))
	require.NoError(t, err)
	c := sc.Cluster()
	assert.Equal(t, cni.Standard, c.Mode)
	assert.True(t, c.ExternalSNAT)
	assert.True(t, c.DisableTCPEarlyDemux)
	assert.True(t, c.Calico)
	assert.Equal(t, cni.Version{Major: 1, Minor: 18}, c.CNIVersion)
	assert.Equal(t, netip.MustParsePrefix("10.0.0.0/16"), c.VPC)
	assert.Equal(t, reach.Quotas{GroupsPerInterface: 7, RulesPerGroup: 100}, c.Quotas)
	assert.Equal(t, reach.DNS{CoreDNS: "dns", NodeLocal: true}, c.DNS)
	require.Len(t, c.Groups, 1)
	assert.Equal(t, "node", c.Groups[0].Name)
	assert.Equal(t, []reach.NodeGroup{{Name: "ng", InstanceType: "m5.large", OS: sc.NodeGroups[0].OS,
		Groups: []branch.SecurityGroupID{branch.MustParseSecurityGroupID("sg-0000000a")}, Subnet: reach.Subnet{Kind: reach.Public}}}, c.NodeGroups)
	require.Len(t, c.Workloads, 3)
	assert.Equal(t, map[string]string{"team": "ci"}, c.Workloads[1].ServiceAccountLabels)
	assert.Equal(t, []uint16{8080}, c.Workloads[1].Probes)
	assert.Equal(t, "default", c.Workloads[2].ServiceAccount, "no service account means the namespace's default one")
	assert.Equal(t, map[string]string{"team": "none"}, c.Workloads[2].ServiceAccountLabels)

	// The cluster is the check's own copy.
	c.Workloads[1].Probes[0] = 1
	assert.Equal(t, []uint16{8080}, sc.Workloads[1].Probes)
}
