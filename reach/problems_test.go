package reach_test

// One test per user problem of the reference notes (cni-spec section 6)
// that reachability answers: a scenario that reproduces it, the finding
// the check gives, and the same scenario passing once the finding's fix
// is applied. Problems about capacity and timing (1, 3, 4, 8, 12-15) are
// the simulator's, not this package's.

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/cni"
	"github.com/trunksim/trunksim/reach"
	"github.com/trunksim/trunksim/scenario"
)

// healthy is a cluster that passes the check: one security-group
// workload, web, whose group admits the kubelet's probes; the cluster
// group admits web (so DNS works); early demux is off for strict mode;
// the nodes sit in a private subnet. Each problem breaks it one way.
const healthy = `cni: {disableTCPEarlyDemux: true}
network: {vpcCIDR: 10.0.0.0/16}
nodeGroups:
  - {name: ng, instanceType: m5.large, count: 2, securityGroups: [sg-0000000a], subnet: {kind: private, cidr: 10.0.1.0/24}}
securityGroups:
  - id: sg-0000000a
    name: cluster
    ingress:
      - {protocol: all, securityGroup: sg-0000000a}
      - {protocol: all, securityGroup: sg-0000000b}
  - id: sg-0000000b
    name: web
    ingress:
      - {protocol: tcp, port: 8080, securityGroup: sg-0000000a}
securityGroupPolicies:
  - apiVersion: vpcresources.k8s.aws/v1beta1
    kind: SecurityGroupPolicy
    metadata: {name: web}
    spec:
      podSelector: {matchLabels: {app: web}}
      securityGroups: {groupIds: [sg-0000000b]}
workloads:
  - name: web
    labels: {app: web}
    replicas: 2
    probes: [8080]
    talksTo:
      - {cidr: 0.0.0.0/0, port: 443}
`

// broken returns healthy with each pair of old and new text replaced;
// every old text must occur.
func broken(t *testing.T, pairs ...string) string {
	t.Helper()
	s := healthy
	for i := 0; i+1 < len(pairs); i += 2 {
		require.Contains(t, s, pairs[i])
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return s
}

func parse(t *testing.T, doc string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse("problem.yaml", []byte(doc))
	require.NoError(t, err)
	return sc
}

func check(t *testing.T, sc *scenario.Scenario) reach.Report {
	t.Helper()
	r, err := reach.CheckCluster(sc.Cluster())
	require.NoError(t, err)
	again, err := reach.CheckCluster(sc.Cluster())
	require.NoError(t, err)
	require.Equal(t, r, again, "the check is deterministic")
	return r
}

// only returns the report's single finding with code, failing the test
// when there is not exactly one.
func only(t *testing.T, r reach.Report, code reach.Code) reach.Finding {
	t.Helper()
	var found []reach.Finding
	for _, f := range r.Findings {
		if f.Code == code {
			found = append(found, f)
		}
	}
	require.Len(t, found, 1, "findings: %+v", r.Findings)
	return found[0]
}

// apply makes the changes fixes describe in a copy of sc, then checks the
// copy still writes and parses back, as a user's edited file would.
func apply(t *testing.T, orig *scenario.Scenario, fixes ...reach.Fix) *scenario.Scenario {
	t.Helper()
	text, err := orig.Marshal()
	require.NoError(t, err)
	sc := parse(t, string(text))
	for _, f := range fixes {
		switch f.Kind {
		case reach.FixAddRule:
			found := false
			for i := range sc.SecurityGroups {
				g := &sc.SecurityGroups[i]
				if g.ID != f.Group {
					continue
				}
				found = true
				if f.Direction == reach.Ingress {
					g.Ingress = append(g.Ingress, f.Rule)
				} else {
					g.Egress = append(g.Egress, f.Rule)
				}
			}
			require.True(t, found, "fix names an undeclared group: %v", f)
		case reach.FixSetEnv:
			switch f.Env + "=" + f.Value {
			case "POD_SECURITY_GROUP_ENFORCING_MODE=standard":
				sc.CNI.EnforcingMode = cni.Standard
			case "DISABLE_TCP_EARLY_DEMUX=true":
				sc.CNI.DisableTCPEarlyDemux = true
			case "AWS_VPC_K8S_CNI_EXTERNALSNAT=false":
				sc.Network.ExternalSNAT = false
			case "ENABLE_POD_ENI=true":
				sc.CNI.DisablePodENI = false
			default:
				t.Fatalf("fix sets an unknown variable: %v", f)
			}
		case reach.FixUpgradeCNI:
			sc.CNI.Version = f.Version
		default:
			t.Fatalf("fix cannot be applied mechanically: %v", f)
		}
	}
	out, err := sc.Marshal()
	require.NoError(t, err)
	return parse(t, string(out))
}

func TestHealthyClusterPasses(t *testing.T) {
	r := check(t, parse(t, healthy))
	assert.Empty(t, r.Findings)
	assert.True(t, r.OK())
	assert.Equal(t, cni.Strict, r.Mode)
	// DNS over UDP and TCP to CoreDNS, one probe, the internet.
	assert.Equal(t, 4, r.Flows)
	require.Len(t, r.Workloads, 1)
	assert.Equal(t, reach.WorkloadReport{Name: "web", Namespace: "default", Groups: []branch.SecurityGroupID{sgWeb},
		Policies: []string{"default/web"}, NodeGroups: []string{"ng"}, Runs: true}, r.Workloads[0])
}

// Problem 5, TCP liveness and readiness probes fail: strict mode sends the
// kubelet's packets around through the VPC, where the pod's group must
// admit the node's group and early demux must be off.
// Threads: aws/amazon-vpc-cni-k8s#1269, #1260, PR #1212, #1241.
func TestProblemProbesFailInStrictMode(t *testing.T) {
	sc := parse(t, broken(t,
		"cni: {disableTCPEarlyDemux: true}", "cni: {enforcingMode: strict}",
		"      - {protocol: tcp, port: 8080, securityGroup: sg-0000000a}\n", ""))
	r := check(t, sc)
	f := only(t, r, reach.CodeProbe)
	assert.Equal(t, reach.Error, f.Severity)
	assert.Equal(t, "web", f.Workload)
	assert.Equal(t, "the kubelet's TCP probes of web on port 8080 fail", f.Summary)
	require.NotNil(t, f.Verdict)
	assert.Equal(t, []reach.CheckKind{reach.CheckIngress, reach.CheckEarlyDemux}, failedKinds(*f.Verdict))
	assert.Equal(t, "primary ENI of node ng-0", f.Verdict.Checks[0].Interface, "the probe comes from the node's own address")
	require.Len(t, f.Fixes, 2)
	assert.Equal(t, "add to sg-0000000b ingress: tcp 8080 from sg-0000000a", f.Fixes[0].Text)
	assert.Equal(t, "aws ec2 authorize-security-group-ingress --group-id sg-0000000b --ip-permissions "+
		"'IpProtocol=tcp,FromPort=8080,ToPort=8080,UserIdGroupPairs=[{GroupId=sg-0000000a}]'", f.Fixes[0].Command())
	assert.Equal(t, reach.Fix{Kind: reach.FixSetEnv, Container: "aws-vpc-cni-init", Env: "DISABLE_TCP_EARLY_DEMUX", Value: "true",
		Text: f.Fixes[1].Text}, f.Fixes[1])
	assert.False(t, r.OK())

	fixed := check(t, apply(t, sc, f.Fixes...))
	assert.Empty(t, fixed.Findings, "the fixes the check gave are enough")
	// Standard mode, the alternative, fixes it on its own.
	require.NotEmpty(t, f.Alternatives)
	standard := check(t, apply(t, parse(t, broken(t,
		"cni: {disableTCPEarlyDemux: true}", "cni: {enforcingMode: strict}",
		"      - {protocol: tcp, port: 8080, securityGroup: sg-0000000a}\n", "")), f.Alternatives[0]...))
	assert.Empty(t, standard.Findings)
}

// Problem 6, DNS fails from security-group pods: the pod's group lacks
// egress 53 to CoreDNS's group, or CoreDNS's group lacks ingress 53 from
// the pod's. Threads: aws/amazon-vpc-cni-k8s#1695, #1211; awsdocs#474.
func TestProblemDNSFailsFromSecurityGroupPods(t *testing.T) {
	doc := broken(t,
		"      - {protocol: all, securityGroup: sg-0000000b}\n", "",
		"      - {protocol: tcp, port: 8080, securityGroup: sg-0000000a}\n",
		"      - {protocol: tcp, port: 8080, securityGroup: sg-0000000a}\n    egress:\n      - {protocol: tcp, port: 443, cidr: 0.0.0.0/0}\n")
	sc := parse(t, doc)
	r := check(t, sc)
	f := only(t, r, reach.CodeDNS)
	assert.Equal(t, "web cannot resolve names: udp 53 to coredns is denied", f.Summary)
	assert.Equal(t, []reach.CheckKind{reach.CheckEgress, reach.CheckIngress}, failedKinds(*f.Verdict), "both directions are missing")
	assert.Equal(t, []string{
		"add to sg-0000000b egress: udp 53 to sg-0000000a",
		"add to sg-0000000a ingress: udp 53 from sg-0000000b",
	}, texts(f.Fixes))
	tcpDNS := only(t, r, reach.CodeDNSTCP)
	assert.Equal(t, reach.Warning, tcpDNS.Severity)
	assert.Less(t, indexOf(r, reach.CodeDNS), indexOf(r, reach.CodeDNSTCP), "errors rank before warnings")

	fixed := check(t, apply(t, sc, append(f.Fixes, tcpDNS.Fixes...)...))
	assert.Empty(t, fixed.Findings)

	// The common workaround, adding the node's group to the policy, works
	// too, by making the pods members of the cluster group.
	widened := check(t, parse(t, strings.Replace(doc, "groupIds: [sg-0000000b]", "groupIds: [sg-0000000b, sg-0000000a]", 1)))
	assert.Empty(t, widened.Findings)
}

// Problem 7, DNS fails with NodeLocal DNSCache: in strict mode a pod's
// traffic to the node-local link-local address leaves through the trunk.
// Fixed by standard mode (CNI v1.11.0+). Thread: aws/amazon-vpc-cni-k8s#1384.
func TestProblemNodeLocalDNSCacheInStrictMode(t *testing.T) {
	doc := broken(t, "network: {vpcCIDR: 10.0.0.0/16}\n", "network: {vpcCIDR: 10.0.0.0/16}\ndns: {nodeLocalDNS: true}\n",
		"cni: {disableTCPEarlyDemux: true}", "cni: {disableTCPEarlyDemux: true, version: v1.10.1}")
	sc := parse(t, doc)
	r := check(t, sc)
	f := only(t, r, reach.CodeNodeLocalDNS)
	assert.Equal(t, "web cannot resolve names: NodeLocal DNSCache on its node is unreachable on udp 53", f.Summary)
	assert.Equal(t, reach.PathNone, f.Verdict.Path)
	assert.Equal(t, reach.NoRouteStrictLinkLocal, f.Verdict.Checks[0].NoRoute)
	assert.True(t, f.Verdict.ModeMatters)
	require.Len(t, f.Fixes, 2, "this CNI predates standard mode, so the fix upgrades it first")
	assert.Equal(t, reach.FixUpgradeCNI, f.Fixes[0].Kind)
	assert.Equal(t, cni.Version{Major: 1, Minor: 11}, f.Fixes[0].Version)
	assert.Equal(t, "POD_SECURITY_GROUP_ENFORCING_MODE", f.Fixes[1].Env)
	assert.Equal(t, "kubectl set env daemonset aws-node -n kube-system -c aws-node POD_SECURITY_GROUP_ENFORCING_MODE=standard", f.Fixes[1].Command())

	fixed := check(t, apply(t, sc, f.Fixes...))
	assert.Empty(t, fixed.Findings)
	assert.Equal(t, cni.Standard, fixed.Mode)

	// Naming the cache's address in talksTo gives the same finding.
	named := parse(t, broken(t, "      - {cidr: 0.0.0.0/0, port: 443}\n", "      - {cidr: 0.0.0.0/0, port: 443}\n      - {linkLocal: nodeLocalDNS, protocol: udp, port: 53}\n"))
	f = only(t, check(t, named), reach.CodeNodeLocalDNS)
	assert.Equal(t, reach.NoRouteStrictLinkLocal, f.Verdict.Checks[0].NoRoute)
	assert.Empty(t, check(t, apply(t, named, f.Fixes...)).Findings)
}

// Pods that get AWS credentials from EKS Pod Identity fail once a policy
// gives them groups: in strict mode their request to the agent's
// link-local 169.254.170.23 leaves through the trunk and never reaches
// the node, whatever the groups allow. Fixed by standard mode (CNI
// v1.11.0+); no release exempts link-local traffic in strict mode (PR
// #3148 is not merged). Threads: aws/amazon-vpc-cni-k8s#2797,
// aws/amazon-vpc-resource-controller-k8s#618.
func TestProblemPodIdentityAgentInStrictMode(t *testing.T) {
	doc := broken(t, "      - {cidr: 0.0.0.0/0, port: 443}\n", "      - {cidr: 0.0.0.0/0, port: 443}\n      - {linkLocal: podIdentityAgent, port: 80}\n")
	sc := parse(t, doc)
	r := check(t, sc)
	f := only(t, r, reach.CodeLinkLocal)
	assert.Equal(t, reach.Error, f.Severity)
	assert.Equal(t, "web cannot get AWS credentials from EKS Pod Identity: the agent on its node (169.254.170.23) is unreachable on tcp 80", f.Summary)
	assert.Equal(t, "169.254.170.23", f.Peer)
	assert.Equal(t, reach.NoRouteStrictLinkLocal, f.Verdict.Checks[0].NoRoute)
	assert.True(t, f.Verdict.ModeMatters)
	require.Len(t, f.Fixes, 1)
	assert.Equal(t, "POD_SECURITY_GROUP_ENFORCING_MODE", f.Fixes[0].Env)
	require.Len(t, f.Alternatives, 2)
	assert.Contains(t, f.Alternatives[0][0].Text, "IAM roles for service accounts (IRSA)")
	assert.Contains(t, f.Alternatives[1][0].Text, "without security groups of their own")
	assert.Contains(t, strings.Join(f.Sources, "\n"), "aws/amazon-vpc-cni-k8s#2797")

	fixed := check(t, apply(t, sc, f.Fixes...))
	assert.Empty(t, fixed.Findings)

	// A release before standard mode needs the upgrade first.
	old := parse(t, strings.Replace(doc, "cni: {disableTCPEarlyDemux: true}", "cni: {disableTCPEarlyDemux: true, version: v1.10.1}", 1))
	f = only(t, check(t, old), reach.CodeLinkLocal)
	require.Len(t, f.Fixes, 2)
	assert.Equal(t, reach.FixUpgradeCNI, f.Fixes[0].Kind)
	assert.Empty(t, check(t, apply(t, old, f.Fixes...)).Findings)

	// Any other service on a link-local address of the node fails alike.
	other := parse(t, broken(t, "      - {cidr: 0.0.0.0/0, port: 443}\n", "      - {cidr: 0.0.0.0/0, port: 443}\n      - {linkLocal: 169.254.7.127, port: 15021}\n"))
	f = only(t, check(t, other), reach.CodeLinkLocal)
	assert.Equal(t, "web cannot reach 169.254.7.127 on its node on tcp 15021", f.Summary)
	require.Len(t, f.Alternatives, 1)
	assert.Empty(t, check(t, apply(t, other, f.Fixes...)).Findings)
}

// The instance metadata service is reached in either mode (an assumption
// the report states): a branch pod's request leaves through the trunk in
// strict mode, and the instance's Nitro system is taken to answer it as
// on the node's own interfaces, unfiltered. Upstream: EC2 User Guide,
// configuring-instance-metadata-options; pkg/networkutils/network.go.
func TestInstanceMetadataServiceNeedsNoFixButIsANote(t *testing.T) {
	sc := parse(t, broken(t, "      - {cidr: 0.0.0.0/0, port: 443}\n", "      - {cidr: 0.0.0.0/0, port: 443}\n      - {linkLocal: imds, port: 80}\n"))
	r := check(t, sc)
	assert.Empty(t, r.Findings)
	assert.Contains(t, strings.Join(r.Notes, "\n"), "Assumed, the instance metadata service")
	assert.NotContains(t, strings.Join(check(t, parse(t, healthy)).Notes, "\n"), "instance metadata")

	wrongPort := parse(t, broken(t, "      - {cidr: 0.0.0.0/0, port: 443}\n", "      - {cidr: 0.0.0.0/0, port: 443}\n      - {linkLocal: imds, port: 443}\n"))
	f := only(t, check(t, wrongPort), reach.CodeLinkLocal)
	assert.Equal(t, reach.NoRouteNotIMDS, f.Verdict.Checks[0].NoRoute)
}

// Problem 9, no internet from security-group pods: strict mode does not
// SNAT, so pods in public subnets have no way out; in standard mode
// without external SNAT the node's group governs egress instead. Threads:
// aws/amazon-vpc-cni-k8s#1211; EKS best-practices guide.
func TestProblemNoInternetFromPublicSubnets(t *testing.T) {
	sc := parse(t, broken(t, "subnet: {kind: private, ", "subnet: {kind: public, "))
	r := check(t, sc)
	f := only(t, r, reach.CodeInternet)
	assert.Equal(t, "web cannot reach the internet on tcp 443", f.Summary)
	assert.Equal(t, reach.NoRoutePublicSubnet, f.Verdict.Checks[0].NoRoute)
	assert.Empty(t, f.Fixes)
	require.Len(t, f.Alternatives, 2)
	require.Len(t, f.Alternatives[0], 1)
	assert.Equal(t, "POD_SECURITY_GROUP_ENFORCING_MODE", f.Alternatives[0][0].Env)
	assert.Contains(t, f.Alternatives[1][0].Text, "private subnets")

	// Question: which group and which source address does the flow present?
	// In standard mode it leaves SNATed, judged by the node's group.
	fixed := apply(t, sc, f.Alternatives[0]...)
	assert.Empty(t, check(t, fixed).Findings)
	m, err := reach.New(fixed.Cluster().Config)
	require.NoError(t, err)
	n := reach.Node{Name: "ng-0", Groups: set(sgNode), Subnet: reach.Subnet{Kind: reach.Public, CIDR: cidr("10.0.1.0/24")}}
	v := mustReach(t, m, reach.BranchPodOn("web", set(sgWeb), n), reach.InternetHost("", cidr("0.0.0.0/0")), reach.TCP, 443)
	assert.Equal(t, reach.PathSNAT, v.Path)
	assert.Equal(t, "primary ENI of node ng-0", v.Checks[0].Interface)

	// With external SNAT on, standard mode alone does not help; the check
	// says to turn it off as well.
	ext := parse(t, broken(t, "subnet: {kind: private, ", "subnet: {kind: public, ",
		"cni: {disableTCPEarlyDemux: true}", "cni: {disableTCPEarlyDemux: true, externalSNAT: true}"))
	g := only(t, check(t, ext), reach.CodeInternet)
	require.Len(t, g.Alternatives[0], 2)
	assert.Equal(t, "POD_SECURITY_GROUP_ENFORCING_MODE", g.Alternatives[0][0].Env)
	assert.Equal(t, "AWS_VPC_K8S_CNI_EXTERNALSNAT", g.Alternatives[0][1].Env)
	assert.Empty(t, check(t, apply(t, ext, g.Alternatives[0]...)).Findings)
	standardExt := apply(t, ext, g.Alternatives[0][0])
	h := only(t, check(t, standardExt), reach.CodeInternet)
	assert.Equal(t, [][]reach.Fix{{h.Alternatives[0][0]}, h.Alternatives[1]}, h.Alternatives, "in standard mode, turning external SNAT off is enough")
	assert.Equal(t, "AWS_VPC_K8S_CNI_EXTERNALSNAT", h.Alternatives[0][0].Env)
	assert.Empty(t, check(t, apply(t, standardExt, h.Alternatives[0]...)).Findings)
}

// Problem 10, a pod gets the wrong groups or none: a label or
// service-account mismatch leaves the policy selecting nothing, and the
// pods get their node's groups. Threads: aws/amazon-vpc-cni-k8s#2163, #1505.
func TestProblemPolicySelectsNothing(t *testing.T) {
	sc := parse(t, broken(t, "podSelector: {matchLabels: {app: web}}", "podSelector: {matchLabels: {app: webapp}}"))
	r := check(t, sc)
	f := only(t, r, reach.CodePolicyUnused)
	assert.Equal(t, reach.Warning, f.Severity)
	assert.Equal(t, "default/web", f.Peer)
	assert.Nil(t, r.Workloads[0].Groups, "web's pods carry the node's groups")
	assert.Empty(t, r.Workloads[0].Policies)
	assert.True(t, r.OK(), "a warning does not fail the check")

	fixed := check(t, parse(t, healthy))
	assert.Empty(t, fixed.Findings)
	assert.Equal(t, []branch.SecurityGroupID{sgWeb}, fixed.Workloads[0].Groups)
}

// Problem 11, a group that does not exist, or more groups than the
// interface quota: CreateNetworkInterface fails and the pod stays in
// ContainerCreating. Threads: EKS User Guide (InvalidSecurityGroupID.NotFound);
// resource controller PR #230 (more than five groups needs a quota increase).
func TestProblemMissingGroupOrTooManyGroups(t *testing.T) {
	t.Run("missing", func(t *testing.T) {
		r := check(t, parse(t, broken(t, "groupIds: [sg-0000000b]", "groupIds: [sg-0000000b, sg-00000099]")))
		f := only(t, r, reach.CodeGroupNotFound)
		assert.Contains(t, f.Summary, "sg-00000099")
		assert.Contains(t, f.Summary, "InvalidSecurityGroupID.NotFound")
		assert.False(t, r.Workloads[0].Runs)
		assert.Len(t, r.Findings, 1, "a pod that never gets its ENI has no flows to judge")
		assert.Empty(t, check(t, parse(t, healthy)).Findings)
	})
	t.Run("too many", func(t *testing.T) {
		extra := "  - id: sg-00000011\n  - id: sg-00000012\n  - id: sg-00000013\n  - id: sg-00000014\n  - id: sg-00000015\nsecurityGroupPolicies:"
		doc := broken(t, "securityGroupPolicies:", extra,
			"groupIds: [sg-0000000b]", "groupIds: [sg-0000000b, sg-00000011, sg-00000012, sg-00000013, sg-00000014, sg-00000015]")
		r := check(t, parse(t, doc))
		f := only(t, r, reach.CodeTooManyGroups)
		assert.Contains(t, f.Summary, "6 security groups")
		assert.Contains(t, f.Summary, "quota of 5")
		require.Len(t, f.Alternatives, 1)
		assert.Contains(t, f.Alternatives[0][0].Text, "to 6")
		raised := check(t, parse(t, "controller: {groupsPerInterface: 6}\n"+doc))
		assert.Empty(t, raised.Findings)
	})
}

// Problem 2, security-group pods stay Pending: no node group can hold a
// trunk (t3 and other burstable or Xen types). Thread: EKS User Guide
// example page; aws/amazon-vpc-cni-k8s#1363.
func TestProblemNoNodeCanHoldATrunk(t *testing.T) {
	r := check(t, parse(t, broken(t, "instanceType: m5.large", "instanceType: t3.large")))
	f := only(t, r, reach.CodeNoTrunkNode)
	assert.Contains(t, f.Summary, "Insufficient vpc.amazonaws.com/pod-eni")
	assert.Empty(t, r.Workloads[0].NodeGroups)
	assert.Empty(t, check(t, parse(t, healthy)).Findings)
}

func texts(fixes []reach.Fix) []string {
	var out []string
	for _, f := range fixes {
		out = append(out, f.Text)
	}
	return out
}

func indexOf(r reach.Report, c reach.Code) int {
	for i, f := range r.Findings {
		if f.Code == c {
			return i
		}
	}
	return -1
}
