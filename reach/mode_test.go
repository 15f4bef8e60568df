package reach_test

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/cni"
	"github.com/trunksim/trunksim/reach"
)

// modeCase is one flow judged in both enforcing modes.
type modeCase struct {
	name             string
	from, to         reach.Endpoint
	proto            reach.Protocol
	port             uint16
	strict, standard want
}

// want is what a mode should make of a flow.
type want struct {
	allowed bool
	path    reach.Path
	failed  []reach.CheckKind
}

func runModeCases(t *testing.T, groups []reach.Group, cases []modeCase, opts ...func(*reach.Config)) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			for _, mw := range []struct {
				mode cni.EnforcingMode
				w    want
			}{{cni.Strict, tt.strict}, {cni.Standard, tt.standard}} {
				v := mustReach(t, newModel(t, mw.mode, groups, opts...), tt.from, tt.to, tt.proto, tt.port)
				assert.Equal(t, mw.w.allowed, v.Allowed, "%v:\n%s", mw.mode, v.Explain())
				assert.Equal(t, mw.w.path, v.Path, "%v:\n%s", mw.mode, v.Explain())
				assert.Equal(t, mw.w.failed, failedKinds(v), "%v:\n%s", mw.mode, v.Explain())
				assert.Equal(t, mw.mode, v.Mode)
				assert.Equal(t, tt.strict.path != tt.standard.path, v.ModeMatters, "ModeMatters says whether the other mode routes it otherwise")
			}
		})
	}
}

var (
	n1    = node("n1", sgNode)
	n2    = node("n2", sgNode)
	web1  = reach.BranchPodOn("web", set(sgWeb), n1)
	db1   = reach.BranchPodOn("db", set(sgDB), n1)
	db2   = reach.BranchPodOn("db", set(sgDB), n2)
	plain = reach.PodOn("frontend", n1)
	host1 = reach.HostOf(n1)

	judged  = want{false, reach.PathVPC, []reach.CheckKind{reach.CheckIngress}}
	local   = want{true, reach.PathNode, nil}
	passes  = want{true, reach.PathVPC, nil}
	noRoute = want{false, reach.PathNone, []reach.CheckKind{reach.CheckRoute}}
)

// Upstream: CNI README (POD_SECURITY_GROUP_ENFORCING_MODE: in standard
// mode "inbound/outbound traffic from another pod on the same host ...
// won't be enforced by security group rules"); pkg/networkutils/network.go
// (strict mode moves the local table below the VLAN rules);
// cmd/routed-eni-cni-plugin/driver/driver.go (standard mode routes to the
// pod through the main table at priority 512).
func TestSameNodeTrafficIsJudgedOnlyInStrictMode(t *testing.T) {
	runModeCases(t, baseGroups(), []modeCase{
		{"branch pod to branch pod", web1, db1, reach.TCP, 5432, judged, local},
		{"ordinary pod to branch pod", plain, db1, reach.TCP, 5432, judged, local},
		{"branch pod to ordinary pod", web1, reach.PodOn("cache", n1), reach.TCP, 6379,
			want{false, reach.PathVPC, []reach.CheckKind{reach.CheckIngress}}, local},
		{"ordinary pods never leave the node", plain, reach.PodOn("cache", n1), reach.TCP, 6379, local, local},
		{"branch pods on different nodes", web1, db2, reach.TCP, 5432, judged, judged},
	})
}

// Upstream: CNI README (DISABLE_TCP_EARLY_DEMUX, v1.7.3+: needed for the
// kubelet's TCP probes to pods with their own groups); PR #1212 and issues
// #1260, #1269; EKS User Guide sg-pods-example-deployment (the pod's group
// must admit the node group for probes).
func TestKubeletProbesInEachMode(t *testing.T) {
	admitsNode := withRules(baseGroups(), sgWeb, []reach.Rule{tcp(8080, group(sgNode))}, nil)
	probe := func(name string, groups []reach.Group, demux bool, strict want) {
		t.Run(name, func(t *testing.T) {
			runModeCases(t, groups, []modeCase{{"kubelet to its own pod", host1, web1, reach.TCP, 8080, strict, local}},
				func(c *reach.Config) { c.DisableTCPEarlyDemux = demux })
		})
	}
	probe("no rule, early demux on", baseGroups(), false,
		want{false, reach.PathVPC, []reach.CheckKind{reach.CheckIngress, reach.CheckEarlyDemux}})
	probe("rule, early demux on", admitsNode, false, want{false, reach.PathVPC, []reach.CheckKind{reach.CheckEarlyDemux}})
	probe("no rule, early demux off", baseGroups(), true, want{false, reach.PathVPC, []reach.CheckKind{reach.CheckIngress}})
	probe("rule, early demux off", admitsNode, true, passes)

	// Early demux concerns the node's own TCP to its own branch pods only.
	for _, mode := range []cni.EnforcingMode{cni.Strict, cni.Standard} {
		m := newModel(t, mode, withRules(baseGroups(), sgWeb, []reach.Rule{all(group(sgNode))}, nil))
		assert.True(t, mustReach(t, m, reach.HostOf(n2), web1, reach.TCP, 8080).Allowed, "another node's kubelet")
		assert.True(t, mustReach(t, m, host1, web1, reach.UDP, 8080).Allowed, "udp has no early demux")
	}
}

// Upstream: aws/amazon-vpc-cni-k8s#1384 (NodeLocal DNSCache unreachable
// from security-group pods), fixed by standard mode (CNI README; EKS User
// Guide: NodeLocal DNSCache needs standard mode).
func TestNodeLocalDNSNeedsStandardMode(t *testing.T) {
	cache := reach.NodeLocalDNSOn(n1)
	runModeCases(t, baseGroups(), []modeCase{
		{"branch pod on the cache's node", web1, cache, reach.UDP, 53, noRoute, local},
		{"ordinary pod", plain, cache, reach.UDP, 53, local, local},
		{"the node itself", host1, cache, reach.UDP, 53, local, local},
		{"a pod on another node", db2, cache, reach.UDP, 53, noRoute, noRoute},
	})
	v := mustReach(t, newModel(t, cni.Strict, baseGroups()), web1, cache, reach.UDP, 53)
	assert.Equal(t, reach.NoRouteStrictLinkLocal, v.Checks[0].NoRoute)
	assert.Contains(t, v.Route, "CNI#1384")
}

// Upstream: CNI README (AWS_VPC_K8S_CNI_EXTERNALSNAT; in standard mode,
// traffic leaving the VPC "will be SNATed via eth0, thus will only be
// enforced by the security group associated with eth0");
// pkg/networkutils/network.go (the SNAT rule skips vlan+ interfaces); EKS
// User Guide ("Applies to: private subnets").
func TestTrafficLeavingTheVPC(t *testing.T) {
	internet := reach.InternetHost("", netip.Prefix{})
	// The pod's group may send only inside the VPC; the node's anywhere.
	g := baseGroups()
	for i := range g {
		if g[i].ID == sgWeb {
			g[i].Egress = []reach.Rule{all(block("10.0.0.0/16"))}
		}
	}
	snat := want{true, reach.PathSNAT, nil}
	podDenied := want{false, reach.PathVPC, []reach.CheckKind{reach.CheckEgress}}
	in := func(kind reach.SubnetKind) reach.Node {
		n := node("n1", sgNode)
		n.Subnet.Kind = kind
		return n
	}
	t.Run("private subnet, node SNAT", func(t *testing.T) {
		runModeCases(t, g, []modeCase{
			{"branch pod", reach.BranchPodOn("web", set(sgWeb), in(reach.Private)), internet, reach.TCP, 443, podDenied, snat},
			{"ordinary pod", reach.PodOn("p", in(reach.Private)), internet, reach.TCP, 443, snat, snat},
			{"the node", reach.HostOf(in(reach.Private)), internet, reach.TCP, 443, passes, passes},
		})
	})
	t.Run("public subnet, node SNAT", func(t *testing.T) {
		runModeCases(t, g, []modeCase{
			{"branch pod", reach.BranchPodOn("web", set(sgWeb), in(reach.Public)), internet, reach.TCP, 443, noRoute, snat},
			{"ordinary pod", reach.PodOn("p", in(reach.Public)), internet, reach.TCP, 443, snat, snat},
			{"the node", reach.HostOf(in(reach.Public)), internet, reach.TCP, 443, passes, passes},
		})
	})
	t.Run("external SNAT", func(t *testing.T) {
		ext := func(c *reach.Config) { c.ExternalSNAT = true }
		runModeCases(t, g, []modeCase{
			{"branch pod, private", reach.BranchPodOn("web", set(sgWeb), in(reach.Private)), internet, reach.TCP, 443, podDenied, podDenied},
			{"branch pod, public", reach.BranchPodOn("web", set(sgWeb), in(reach.Public)), internet, reach.TCP, 443, noRoute, noRoute},
			{"ordinary pod, public", reach.PodOn("p", in(reach.Public)), internet, reach.TCP, 443, noRoute, noRoute},
			{"ordinary pod, private", reach.PodOn("p", in(reach.Private)), internet, reach.TCP, 443, passes, passes},
		}, ext)
	})
	t.Run("isolated subnet", func(t *testing.T) {
		runModeCases(t, g, []modeCase{
			{"branch pod", reach.BranchPodOn("web", set(sgWeb), in(reach.Isolated)), internet, reach.TCP, 443, noRoute, noRoute},
			{"the node", reach.HostOf(in(reach.Isolated)), internet, reach.TCP, 443, noRoute, noRoute},
		})
	})
	// SNATed traffic is judged by the node's groups: take away the
	// node's egress and the standard-mode path fails on it.
	closed := withRules(g, sgNode, nil, nil)
	for i := range closed {
		if closed[i].ID == sgNode {
			closed[i].Egress = []reach.Rule{all(block("10.0.0.0/16"))}
		}
	}
	v := mustReach(t, newModel(t, cni.Standard, closed), reach.BranchPodOn("web", set(sgWeb), in(reach.Private)), internet, reach.TCP, 443)
	assert.False(t, v.Allowed)
	assert.Equal(t, reach.PathSNAT, v.Path)
	assert.Equal(t, "primary ENI of node n1", v.Checks[0].Interface)
	assert.Equal(t, set(sgNode), v.Checks[0].Groups)
}

// Upstream: CNI CHANGELOG v1.11.0 (PR #1907 adds standard mode);
// pkg/sgpp/utils.go LoadEnforcingModeFromEnv (unset or unknown values
// mean strict).
func TestModeInForce(t *testing.T) {
	for _, tt := range []struct {
		name    string
		mode    cni.EnforcingMode
		version cni.Version
		want    cni.EnforcingMode
	}{
		{"unset means strict", 0, cni.Version{}, cni.Strict},
		{"standard on the newest CNI", cni.Standard, cni.Version{}, cni.Standard},
		{"standard on v1.11.0", cni.Standard, cni.Version{Major: 1, Minor: 11}, cni.Standard},
		{"standard on v1.10.3 is strict", cni.Standard, cni.Version{Major: 1, Minor: 10, Patch: 3}, cni.Strict},
		{"strict stays strict", cni.Strict, cni.Version{Major: 1, Minor: 7}, cni.Strict},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, err := reach.New(reach.Config{Mode: tt.mode, CNIVersion: tt.version, Groups: baseGroups()})
			if assert.NoError(t, err) {
				assert.Equal(t, tt.want, m.Mode())
				v := mustReach(t, m, web1, db1, reach.TCP, 5432)
				assert.Equal(t, tt.want, v.Mode, "the verdict names the mode that decided it")
			}
		})
	}
}

func TestFromOutsideTheVPCOnlyTheReceiverJudges(t *testing.T) {
	client := reach.InternetHost("clients", cidr("203.0.113.0/24"))
	g := withRules(baseGroups(), sgWeb, []reach.Rule{tcp(443, block("203.0.0.0/8"))}, nil)
	runModeCases(t, g, []modeCase{
		{"covered", client, web1, reach.TCP, 443, passes, passes},
		{"other port", client, web1, reach.TCP, 80, judged, judged},
	})
	v := mustReach(t, newModel(t, cni.Strict, g), client, web1, reach.TCP, 443)
	assert.Len(t, v.Checks, 1, "an internet host has no groups of its own")
}

// Upstream: aws/amazon-vpc-cni-k8s#2797 (security-group pods cannot reach
// the Pod Identity agent); EKS User Guide, pod-id-agent-setup (the agent
// listens on 169.254.170.23 on the node); pkg/networkutils/network.go
// (strict mode moves the local table to priority 20, below the VLAN
// rules at 10) and cmd/routed-eni-cni-plugin/driver/driver.go
// (setupIIFBasedContainerRouteRules: the pod's host veth looks up the
// VLAN table, whose default route is the subnet gateway; standard mode's
// setupIPBasedContainerRouteRules leaves the local table at priority 0).
func TestPodIdentityAgentNeedsStandardMode(t *testing.T) {
	agent := reach.PodIdentityAgentOn(n1)
	runModeCases(t, baseGroups(), []modeCase{
		{"branch pod on the agent's node", web1, agent, reach.TCP, 80, noRoute, local},
		{"branch pod, the agent's health port", web1, agent, reach.TCP, 2703, noRoute, local},
		{"ordinary pod", plain, agent, reach.TCP, 80, local, local},
		{"the node itself", host1, agent, reach.TCP, 80, local, local},
		{"a pod on another node", db2, agent, reach.TCP, 80, noRoute, noRoute},
	})
	v := mustReach(t, newModel(t, cni.Strict, baseGroups()), web1, agent, reach.TCP, 80)
	assert.Equal(t, reach.NoRouteStrictLinkLocal, v.Checks[0].NoRoute)
	assert.Contains(t, v.Route, "CNI#2797")
	assert.Equal(t, netip.MustParsePrefix("169.254.170.23/32"), agent.Addr)

	// No group can open the path: groups are not what stops it.
	open := withRules(baseGroups(), sgWeb, nil, []reach.Rule{all(block("169.254.0.0/16"))})
	assert.False(t, mustReach(t, newModel(t, cni.Strict, open), web1, agent, reach.TCP, 80).Allowed)
}

// Upstream: pkg/networkutils/network.go and
// cmd/routed-eni-cni-plugin/driver/driver.go at v1.23.2 and at the
// repository's head (b5218838): strict mode has no rule that sends
// link-local destinations to the local table (only the IPv6 gateway's
// ICMPv6, createIPv6GatewayRule); PR #3148, which would add one, is not
// merged. So every release that has standard mode needs it for any
// service on the node's link-local addresses, and older ones cannot help.
func TestNoReleaseExemptsLinkLocalAddressesInStrictMode(t *testing.T) {
	svc := reach.LinkLocalOn("istio probe SNAT", netip.MustParseAddr("169.254.7.127"), n1)
	for _, tt := range []struct {
		name    string
		mode    cni.EnforcingMode
		version cni.Version
		allowed bool
	}{
		{"newest, strict", cni.Strict, cni.Version{}, false},
		{"v1.23.2, strict", cni.Strict, cni.Version{Major: 1, Minor: 23, Patch: 2}, false},
		{"v1.23.2, standard", cni.Standard, cni.Version{Major: 1, Minor: 23, Patch: 2}, true},
		{"v1.11.0, standard", cni.Standard, cni.Version{Major: 1, Minor: 11}, true},
		{"v1.10.1 ignores standard", cni.Standard, cni.Version{Major: 1, Minor: 10, Patch: 1}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := newModel(t, tt.mode, baseGroups(), func(c *reach.Config) { c.CNIVersion = tt.version })
			for _, to := range []reach.Endpoint{svc, reach.PodIdentityAgentOn(n1), reach.NodeLocalDNSOn(n1)} {
				v := mustReach(t, m, web1, to, reach.TCP, 80)
				assert.Equal(t, tt.allowed, v.Allowed, "%s", v.Explain())
			}
		})
	}
}

// Upstream: EC2 User Guide, configuring-instance-metadata-options (the
// metadata service runs locally on every instance, at 169.254.169.254);
// pkg/networkutils/network.go (strict mode: VLAN rules first, so the
// request leaves through the trunk; standard mode without external SNAT:
// connmarked and SNATed through eth0). That the Nitro system answers the
// metadata service on a branch ENI, and that groups do not filter it, is
// the model's assumption (the package doc and the check's notes say so):
// no upstream document states it for branch ENIs.
func TestInstanceMetadataServiceIsAnsweredInEitherMode(t *testing.T) {
	imds := reach.IMDSOf(n1)
	unfiltered := want{true, reach.PathUnfiltered, nil}
	noEgress := withRules(baseGroups(), sgWeb, nil, nil)
	noEgress[1].Egress = nil
	cases := []modeCase{
		{"branch pod", web1, imds, reach.TCP, 80, unfiltered, unfiltered},
		{"ordinary pod", plain, imds, reach.TCP, 80, unfiltered, unfiltered},
		{"the node itself", host1, imds, reach.TCP, 80, unfiltered, unfiltered},
		{"another node's instance", db2, imds, reach.TCP, 80, noRoute, noRoute},
		{"not http", web1, imds, reach.TCP, 443, noRoute, noRoute},
	}
	runModeCases(t, noEgress, cases)
	runModeCases(t, noEgress, cases, func(c *reach.Config) { c.ExternalSNAT = true })

	m := newModel(t, cni.Strict, noEgress)
	v := mustReach(t, m, web1, imds, reach.TCP, 80)
	assert.Contains(t, v.Route, "assumed")
	assert.Equal(t, reach.NoRouteNotIMDS, mustReach(t, m, web1, imds, reach.UDP, 80).Checks[0].NoRoute)
	assert.Equal(t, reach.NoRouteOtherNode, mustReach(t, m, db2, imds, reach.TCP, 80).Checks[0].NoRoute)
}

func TestLinkLocalEndpointsAreChecked(t *testing.T) {
	m := newModel(t, cni.Strict, baseGroups())
	for _, tt := range []struct {
		name     string
		from, to reach.Endpoint
		why      string
	}{
		{"address outside 169.254.0.0/16", web1, reach.LinkLocalOn("x", netip.MustParseAddr("10.0.0.1"), n1), "needs one address in 169.254.0.0/16"},
		{"no address", web1, reach.Endpoint{Kind: reach.KindLinkLocal, Name: "x", Node: n1}, "needs one address"},
		{"no node", web1, reach.PodIdentityAgentOn(reach.Node{}), "needs the node it runs on"},
		{"metadata service elsewhere", web1, reach.Endpoint{Kind: reach.KindIMDS, Name: "imds", Node: n1}, "is at 169.254.169.254"},
		{"agent opens a flow", reach.PodIdentityAgentOn(n1), web1, "only answers"},
		{"metadata service opens a flow", reach.IMDSOf(n1), web1, "only answers"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := m.Reach(tt.from, tt.to, reach.TCP, 80)
			var e *reach.EndpointError
			require.ErrorAs(t, err, &e)
			assert.ErrorIs(t, err, reach.ErrInvalidEndpoint)
			assert.Contains(t, err.Error(), tt.why)
		})
	}
	assert.Equal(t, "the EKS Pod Identity agent on n1", reach.PodIdentityAgentOn(n1).String())
	assert.Equal(t, "169.254.1.1 on n1", reach.LinkLocalOn("", netip.MustParseAddr("169.254.1.1"), n1).String())
	assert.Equal(t, "instance metadata service", reach.KindIMDS.String())
}
