package reach_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/cni"
	"github.com/trunksim/trunksim/limits"
	"github.com/trunksim/trunksim/reach"
)

func policy(name string, labels map[string]string, groups ...branch.SecurityGroupID) branch.Policy {
	return branch.Policy{Namespace: "default", Name: name, PodSelector: &branch.LabelSelector{MatchLabels: labels}, Groups: groups}
}

// cluster is web (groups sgWeb) talking to db (sgDB) on 5432 and called
// by frontend (ordinary) on 8080, on one m5.large group with sgNode.
func cluster() reach.Cluster {
	g := withRules(baseGroups(), sgNode, []reach.Rule{udp(53, group(sgWeb)), udp(53, group(sgDB)),
		tcp(53, group(sgWeb)), tcp(53, group(sgDB))}, nil)
	g = withRules(g, sgWeb, []reach.Rule{tcp(8080, group(sgNode))}, nil)
	g = withRules(g, sgDB, []reach.Rule{tcp(5432, group(sgWeb))}, nil)
	return reach.Cluster{
		Config:     reach.Config{Mode: cni.Standard, VPC: cidr("10.0.0.0/16"), Groups: g},
		NodeGroups: []reach.NodeGroup{{Name: "ng", InstanceType: "m5.large", Groups: []branch.SecurityGroupID{sgNode}}},
		Policies:   []branch.Policy{policy("web", map[string]string{"app": "web"}, sgWeb), policy("db", map[string]string{"app": "db"}, sgDB)},
		Workloads: []reach.Workload{
			{Name: "frontend", Namespace: "default", Labels: map[string]string{"app": "frontend"},
				TalksTo: []reach.Traffic{{Workload: "web", Protocol: reach.TCP, Port: 8080}}},
			{Name: "web", Namespace: "default", Labels: map[string]string{"app": "web"}, Probes: []uint16{8080},
				TalksTo: []reach.Traffic{{Workload: "db", Protocol: reach.TCP, Port: 5432}}},
			{Name: "db", Namespace: "default", Labels: map[string]string{"app": "db"}},
		},
	}
}

func mustCheck(t *testing.T, c reach.Cluster) reach.Report {
	t.Helper()
	r, err := reach.CheckCluster(c)
	require.NoError(t, err)
	return r
}

func codes(r reach.Report) []reach.Code {
	var out []reach.Code
	for _, f := range r.Findings {
		out = append(out, f.Code)
	}
	return out
}

func TestCheckClusterPassesAWorkingCluster(t *testing.T) {
	r := mustCheck(t, cluster())
	assert.Empty(t, r.Findings)
	assert.Equal(t, cni.Standard, r.Mode)
	assert.Equal(t, []reach.WorkloadReport{
		{Name: "frontend", Namespace: "default", NodeGroups: []string{"ng"}, Runs: true},
		{Name: "web", Namespace: "default", Groups: []branch.SecurityGroupID{sgWeb}, Policies: []string{"default/web"}, NodeGroups: []string{"ng"}, Runs: true},
		{Name: "db", Namespace: "default", Groups: []branch.SecurityGroupID{sgDB}, Policies: []string{"default/db"}, NodeGroups: []string{"ng"}, Runs: true},
	}, r.Workloads)
	// web: 2 DNS, 1 probe, 1 to db, 1 from frontend; db: 2 DNS.
	assert.Equal(t, 7, r.Flows)
}

func TestCheckClusterRefusesInputThatIsNotACluster(t *testing.T) {
	edit := func(f func(*reach.Cluster)) reach.Cluster {
		c := cluster()
		f(&c)
		return c
	}
	for _, tt := range []struct {
		name  string
		c     reach.Cluster
		is    error
		field string
	}{
		{"IPv6", edit(func(c *reach.Cluster) { c.IPFamily = cni.IPv6 }), reach.ErrUnsupported, "IPFamily"},
		{"unknown instance type", edit(func(c *reach.Cluster) { c.NodeGroups[0].InstanceType = "m5.huge" }), reach.ErrInvalidConfig, "NodeGroups[0].InstanceType"},
		{"duplicate node group", edit(func(c *reach.Cluster) { c.NodeGroups = append(c.NodeGroups, c.NodeGroups[0]) }), reach.ErrInvalidConfig, "NodeGroups[1].Name"},
		{"node group repeats a group", edit(func(c *reach.Cluster) { c.NodeGroups[0].Groups = []branch.SecurityGroupID{sgNode, sgNode} }), reach.ErrInvalidConfig, "NodeGroups[0].Groups"},
		{"subnet outside the VPC", edit(func(c *reach.Cluster) { c.NodeGroups[0].Subnet.CIDR = cidr("10.9.0.0/24"); c.VPC = cidr("10.0.0.0/16") }), reach.ErrInvalidConfig, "NodeGroups[0].Subnet.CIDR"},
		{"policy the API server refuses", edit(func(c *reach.Cluster) { c.Policies[0].Name = "Web" }), reach.ErrInvalidConfig, "Policies[0]"},
		{"duplicate workload", edit(func(c *reach.Cluster) { c.Workloads[2].Name = "web" }), reach.ErrInvalidConfig, "Workloads"},
		{"probe port 0", edit(func(c *reach.Cluster) { c.Workloads[1].Probes = []uint16{0} }), reach.ErrInvalidConfig, "Workloads[1].Probes[0]"},
		{"talks to nobody", edit(func(c *reach.Cluster) { c.Workloads[1].TalksTo[0].Workload = "" }), reach.ErrInvalidConfig, "Workloads[1].TalksTo[0]"},
		{"talks to an unknown workload", edit(func(c *reach.Cluster) { c.Workloads[1].TalksTo[0].Workload = "cache" }), reach.ErrInvalidConfig, "Workloads[1].TalksTo[0].Workload"},
		{"receives from a workload", edit(func(c *reach.Cluster) { c.Workloads[1].ReceivesFrom = c.Workloads[0].TalksTo }), reach.ErrInvalidConfig, "Workloads[1].ReceivesFrom[0].Workload"},
		{"a CIDR inside the VPC", edit(func(c *reach.Cluster) {
			c.Workloads[1].TalksTo[0] = reach.Traffic{CIDR: cidr("10.0.3.0/24"), Protocol: reach.TCP, Port: 1}
		}), reach.ErrInvalidConfig, "Workloads[1].TalksTo[0].CIDR"},
		{"a link-local CIDR", edit(func(c *reach.Cluster) {
			c.Workloads[1].TalksTo[0] = reach.Traffic{CIDR: cidr("169.254.170.23/32"), Protocol: reach.TCP, Port: 80}
		}), reach.ErrInvalidConfig, "Workloads[1].TalksTo[0].CIDR"},
		{"a link-local address outside the block", edit(func(c *reach.Cluster) {
			c.Workloads[1].TalksTo[0] = reach.Traffic{LinkLocal: netip.MustParseAddr("10.0.0.10"), Protocol: reach.TCP, Port: 80}
		}), reach.ErrInvalidConfig, "Workloads[1].TalksTo[0].LinkLocal"},
		{"receives from a link-local address", edit(func(c *reach.Cluster) {
			c.Workloads[1].ReceivesFrom = []reach.Traffic{{LinkLocal: reach.IMDSAddr(), Protocol: reach.TCP, Port: 80}}
		}), reach.ErrInvalidConfig, "Workloads[1].ReceivesFrom[0].LinkLocal"},
		{"a workload and a link-local address", edit(func(c *reach.Cluster) { c.Workloads[1].TalksTo[0].LinkLocal = reach.IMDSAddr() }), reach.ErrInvalidConfig, "Workloads[1].TalksTo[0]"},
		{"protocol all", edit(func(c *reach.Cluster) { c.Workloads[1].TalksTo[0].Protocol = reach.AllProtocols }), reach.ErrInvalidConfig, "Workloads[1].TalksTo[0].Protocol"},
		{"tcp without a port", edit(func(c *reach.Cluster) { c.Workloads[1].TalksTo[0].Port = 0 }), reach.ErrInvalidConfig, "Workloads[1].TalksTo[0].Port"},
		{"unknown CoreDNS workload", edit(func(c *reach.Cluster) { c.DNS.CoreDNS = "kube-dns" }), reach.ErrInvalidConfig, "DNS.CoreDNS"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := reach.CheckCluster(tt.c)
			assert.Zero(t, r)
			require.ErrorIs(t, err, tt.is)
			var ce *reach.ConfigError
			require.True(t, errors.As(err, &ce), "%v", err)
			assert.Equal(t, tt.field, ce.Field)
		})
	}
	c := cluster()
	c.NodeGroups[0].Groups = []branch.SecurityGroupID{branch.MustParseSecurityGroupID("sg-00000099")}
	_, err := reach.CheckCluster(c)
	assert.ErrorIs(t, err, reach.ErrUnknownGroup, "a node group's groups must be known to judge its nodes")
}

// Upstream: resource controller pkg/utils/helper.go
// (filterPodSecurityGroups merges every matching policy's groups in
// order, repeats removed).
func TestCheckClusterResolvesGroupsAsTheController(t *testing.T) {
	c := cluster()
	c.Policies = append(c.Policies, policy("shared", map[string]string{}, sgOther, sgWeb))
	r := mustCheck(t, c)
	assert.Equal(t, []branch.SecurityGroupID{sgWeb, sgOther}, r.Workloads[1].Groups)
	assert.Equal(t, []string{"default/web", "default/shared"}, r.Workloads[1].Policies)
	assert.Equal(t, []branch.SecurityGroupID{sgOther, sgWeb}, r.Workloads[0].Groups, "the empty selector catches frontend too")
}

func TestCheckClusterFindsBrokenFlowsBetweenWorkloads(t *testing.T) {
	c := cluster()
	c.Mode = cni.Strict
	c.DisableTCPEarlyDemux = true
	c.Groups = withRules(baseGroups(), sgNode, []reach.Rule{all(group(sgWeb)), all(group(sgDB))}, nil)
	r := mustCheck(t, c)
	// web admits nothing (frontend's calls, probes) and db admits nothing
	// from web.
	assert.Equal(t, []reach.Code{reach.CodeProbe, reach.CodeTalk, reach.CodeCaller}, codes(r))
	talk := r.Findings[1]
	assert.Equal(t, "web", talk.Workload)
	assert.Equal(t, "db", talk.Peer)
	assert.Equal(t, "web cannot reach db on tcp 5432", talk.Summary)
	assert.Equal(t, []string{"add to sg-0000000c ingress: tcp 5432 from sg-0000000b"}, texts(talk.Fixes))
	caller := r.Findings[2]
	assert.Equal(t, "frontend cannot reach web on tcp 8080", caller.Summary)
	assert.Equal(t, []string{"add to sg-0000000b ingress: tcp 8080 from sg-0000000a"}, texts(caller.Fixes),
		"an ordinary caller is named by its node's group")
	assert.Equal(t, 3, r.Workloads[1].Errors, "web is named by its probe, its call to db and frontend's call")
	assert.Equal(t, 1, r.Workloads[2].Errors, "db is the peer of web's call")
}

// Upstream: EKS User Guide, security-groups-pods-deployment.adoc (standard
// mode: same-node traffic is not enforced); CNI README.
func TestCheckClusterSaysWhenAFlowWorksOnlyOnOneNode(t *testing.T) {
	c := cluster()
	c.Groups = withRules(c.Groups, sgDB, nil, nil)
	for i := range c.Groups {
		if c.Groups[i].ID == sgDB {
			c.Groups[i].Ingress = []reach.Rule{udp(53, group(sgNode))}
		}
	}
	r := mustCheck(t, c)
	f := r.Findings[0]
	assert.Equal(t, reach.CodeTalk, f.Code)
	assert.Contains(t, f.Summary, "it works only while both pods share a node")
	assert.Contains(t, strings.Join(r.Notes, "\n"), "awsdocs/amazon-eks-user-guide#634", "the disagreement is reported")
}

func TestCheckClusterJudgesEveryNodeGroupPair(t *testing.T) {
	c := cluster()
	c.Mode = cni.Strict
	c.DisableTCPEarlyDemux = true
	c.Groups = withRules(c.Groups, sgOther, []reach.Rule{all(group(sgOther)), udp(53, group(sgWeb)), tcp(53, group(sgWeb)), udp(53, group(sgDB)), tcp(53, group(sgDB))}, nil)
	c.NodeGroups = append(c.NodeGroups, reach.NodeGroup{Name: "other", InstanceType: "c5.xlarge", Groups: []branch.SecurityGroupID{sgOther}})
	r := mustCheck(t, c)
	// web admits probes and frontend from sgNode only: nodes of "other"
	// fail, nodes of "ng" pass.
	assert.Equal(t, []reach.Code{reach.CodeProbe, reach.CodeCaller}, codes(r))
	assert.Equal(t, 1, r.Findings[0].Failing)
	assert.Equal(t, 2, r.Findings[0].Placements)
	assert.Contains(t, r.Findings[0].Summary, "(1 of 2 node-group placements)")
	assert.Equal(t, 2, r.Findings[1].Failing)
	assert.Equal(t, 4, r.Findings[1].Placements, "frontend on either group calling web on either group")
	assert.Equal(t, []string{"add to sg-0000000b ingress: tcp 8080 from sg-0000000e"}, texts(r.Findings[0].Fixes))
}

func TestCheckClusterTrafficOutsideTheCluster(t *testing.T) {
	c := cluster()
	c.Mode = cni.Strict
	c.DisableTCPEarlyDemux = true
	c.Workloads[1].TalksTo = append(c.Workloads[1].TalksTo,
		reach.Traffic{Group: sgRDS, Protocol: reach.TCP, Port: 3306},
		reach.Traffic{CIDR: cidr("0.0.0.0/0"), Protocol: reach.ICMP})
	c.Workloads[1].ReceivesFrom = []reach.Traffic{
		{Group: sgOther, Protocol: reach.TCP, Port: 8080},
		{CIDR: cidr("203.0.113.0/24"), Protocol: reach.TCP, Port: 443},
	}
	r := mustCheck(t, c)
	assert.Equal(t, []reach.Code{reach.CodeTalk, reach.CodeReceive, reach.CodeReceive}, codes(r))
	assert.Equal(t, "web cannot reach the hosts carrying sg-0000000d (rds) on tcp 3306", r.Findings[0].Summary)
	assert.Equal(t, []string{"add to sg-0000000d ingress: tcp 3306 from sg-0000000b"}, texts(r.Findings[0].Fixes))
	assert.Equal(t, "203.0.113.0/24 cannot reach web on tcp 443", r.Findings[1].Summary)
	assert.Equal(t, []string{"add to sg-0000000b ingress: tcp 443 from 203.0.113.0/24"}, texts(r.Findings[1].Fixes))
	assert.Equal(t, "sg-0000000e (other) cannot reach web on tcp 8080", r.Findings[2].Summary)
}

func TestCheckClusterWithCoreDNSAsAWorkloadAndNodeLocalDNSCache(t *testing.T) {
	c := cluster()
	c.Workloads = append(c.Workloads, reach.Workload{Name: "coredns", Namespace: "default", Labels: map[string]string{"app": "dns"}})
	c.Policies = append(c.Policies, policy("dns", map[string]string{"app": "dns"}, sgRDS))
	c.DNS.CoreDNS = "coredns"
	r := mustCheck(t, c)
	// CoreDNS now has its own group, which admits nobody on 53.
	assert.Equal(t, []reach.Code{reach.CodeDNS, reach.CodeDNS, reach.CodeDNS, reach.CodeDNSTCP, reach.CodeDNSTCP, reach.CodeDNSTCP}, codes(r))
	assert.Equal(t, "coredns", r.Findings[0].Peer)

	c.DNS.NodeLocal = true
	r = mustCheck(t, c)
	// The node-local cache answers on the node (standard mode) and asks
	// CoreDNS from the node's own address.
	require.NotEmpty(t, r.Findings)
	for _, f := range r.Findings {
		assert.Equal(t, reach.CodeNodeLocalDNS, f.Code)
		assert.Contains(t, f.Summary, "NodeLocal DNSCache on its nodes cannot reach coredns")
		assert.Equal(t, "node ng-0", f.Verdict.From.Name)
	}
}

func TestCheckClusterConfigurationFindings(t *testing.T) {
	t.Run("ENABLE_POD_ENI off", func(t *testing.T) {
		c := cluster()
		c.PodENIDisabled = true
		r := mustCheck(t, c)
		assert.Equal(t, []reach.Code{reach.CodePodENIDisabled, reach.CodePodENIDisabled}, codes(r))
		assert.False(t, r.Workloads[1].Runs)
		assert.Equal(t, "ENABLE_POD_ENI", r.Findings[0].Fixes[0].Env)
	})
	t.Run("standard mode on an old CNI", func(t *testing.T) {
		c := cluster()
		c.CNIVersion = cni.Version{Major: 1, Minor: 10, Patch: 4}
		c.DisableTCPEarlyDemux = true
		r := mustCheck(t, c)
		assert.Equal(t, cni.Strict, r.Mode, "the check judges the mode the CNI really runs")
		assert.Contains(t, codes(r), reach.CodeStandardModeIgnored)
		assert.NotContains(t, strings.Join(r.Notes, "\n"), "#634", "no standard-mode notes when strict is in force")
	})
	t.Run("Calico in strict mode", func(t *testing.T) {
		c := cluster()
		c.Mode, c.DisableTCPEarlyDemux, c.Calico = cni.Strict, true, true
		f := only(t, mustCheck(t, c), reach.CodeCalicoStrict)
		assert.Equal(t, reach.Warning, f.Severity)
		c.Mode = cni.Standard
		assert.NotContains(t, codes(mustCheck(t, c)), reach.CodeCalicoStrict)
	})
	t.Run("node group without groups", func(t *testing.T) {
		c := cluster()
		c.NodeGroups = append(c.NodeGroups, reach.NodeGroup{Name: "bare", InstanceType: "m5.large"})
		r := mustCheck(t, c)
		f := only(t, r, reach.CodeNodeGroupWithoutGroups)
		assert.Equal(t, "bare", f.Peer)
	})
	t.Run("Windows nodes host nothing", func(t *testing.T) {
		c := cluster()
		c.NodeGroups[0].OS = limits.OSWindows
		r := mustCheck(t, c)
		assert.Equal(t, []reach.Code{reach.CodeNoTrunkNode, reach.CodeNoTrunkNode}, codes(r))
	})
	t.Run("ranking", func(t *testing.T) {
		c := cluster()
		c.Mode, c.Calico = cni.Strict, true
		c.Policies = append(c.Policies, policy("unused", map[string]string{"app": "nothing"}, sgOther))
		r := mustCheck(t, c)
		assert.Equal(t, []reach.Code{reach.CodeProbe, reach.CodeCalicoStrict, reach.CodePolicyUnused}, codes(r))
		assert.Equal(t, 1, r.Count(reach.Error))
		assert.Equal(t, 2, r.Count(reach.Warning))
	})
}

func TestFixCommands(t *testing.T) {
	for _, tt := range []struct {
		name string
		fix  reach.Fix
		want string
	}{
		{"all protocols", reach.Fix{Kind: reach.FixAddRule, Group: sgWeb, Direction: reach.Egress, Rule: all(block("0.0.0.0/0"))},
			"aws ec2 authorize-security-group-egress --group-id sg-0000000b --ip-permissions 'IpProtocol=-1,IpRanges=[{CidrIp=0.0.0.0/0}]'"},
		{"icmp", reach.Fix{Kind: reach.FixAddRule, Group: sgWeb, Direction: reach.Ingress, Rule: reach.Rule{Protocol: reach.ICMP, Peer: group(sgNode)}},
			"aws ec2 authorize-security-group-ingress --group-id sg-0000000b --ip-permissions 'IpProtocol=icmp,FromPort=-1,ToPort=-1,UserIdGroupPairs=[{GroupId=sg-0000000a}]'"},
		{"udp range", reach.Fix{Kind: reach.FixAddRule, Group: sgWeb, Direction: reach.Ingress, Rule: rule(reach.UDP, reach.PortRange{From: 1, To: 9}, block("10.0.0.0/8"))},
			"aws ec2 authorize-security-group-ingress --group-id sg-0000000b --ip-permissions 'IpProtocol=udp,FromPort=1,ToPort=9,IpRanges=[{CidrIp=10.0.0.0/8}]'"},
		{"aws-node variable", reach.Fix{Kind: reach.FixSetEnv, Container: "aws-node", Env: "ENABLE_POD_ENI", Value: "true"},
			"kubectl set env daemonset aws-node -n kube-system -c aws-node ENABLE_POD_ENI=true"},
		{"init container variable", reach.Fix{Kind: reach.FixSetEnv, Container: "aws-vpc-cni-init", Env: "DISABLE_TCP_EARLY_DEMUX", Value: "true"},
			`kubectl patch daemonset aws-node -n kube-system -p '{"spec":{"template":{"spec":{"initContainers":[{"name":"aws-vpc-cni-init","env":[{"name":"DISABLE_TCP_EARLY_DEMUX","value":"true"}]}]}}}}'`},
		{"upgrade", reach.Fix{Kind: reach.FixUpgradeCNI, Version: cni.Version{Major: 1, Minor: 11}}, ""},
	} {
		assert.Equal(t, tt.want, tt.fix.Command(), tt.name)
	}
}
