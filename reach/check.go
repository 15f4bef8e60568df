package reach

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/cni"
)

// Upstream sources findings cite.
const (
	srcSGRules      = "Amazon VPC User Guide, security group rules: allow rules only, stateful, referenced groups match their members"
	srcExample      = "EKS User Guide, sg-pods-example-deployment: inbound from the node group for probes, TCP and UDP 53 to and from CoreDNS's group"
	srcDNSIssue     = "aws/amazon-vpc-cni-k8s#1695, #1211"
	srcProbeIssue   = "aws/amazon-vpc-cni-k8s PR #1212, issues #1260, #1269"
	srcDemuxReadme  = "VPC CNI README: DISABLE_TCP_EARLY_DEMUX (v1.7.3+), set on the aws-vpc-cni-init container"
	srcModeReadme   = "VPC CNI README: POD_SECURITY_GROUP_ENFORCING_MODE (v1.11.0+)"
	srcNodeLocal    = "aws/amazon-vpc-cni-k8s#1384"
	srcPodIdentity  = "aws/amazon-vpc-cni-k8s#2797 (PR #3148, unmerged, proposes a link-local exception); EKS User Guide, pod-id-agent-setup: the agent listens on 169.254.170.23 on the node"
	srcLinkLocal    = "pkg/networkutils/network.go (strict mode moves the local table to priority 20); cmd/routed-eni-cni-plugin/driver/driver.go (VLAN rules at priority 10)"
	srcIMDS         = "EC2 User Guide, configuring-instance-metadata-options: the metadata service at 169.254.169.254 runs locally on every instance"
	srcSNAT         = "VPC CNI README: AWS_VPC_K8S_CNI_EXTERNALSNAT; pkg/networkutils/network.go (SNAT rule skips vlan+)"
	srcPrivate      = "EKS User Guide, security-groups-for-pods: applies to private subnets"
	srcNotFound     = "EKS User Guide, security-groups-for-pods: a missing group fails with InvalidSecurityGroupID.NotFound"
	srcQuota        = "Amazon VPC quotas: 5 security groups per network interface by default, at most 16; resource controller PR #230"
	srcLimits       = "resource controller pkg/aws/vpc/limits.go (IsTrunkingCompatible, BranchInterface)"
	srcPodENI       = "VPC CNI README: ENABLE_POD_ENI"
	srcMalformed    = "EC2 API reference, error codes: InvalidGroupId.Malformed; the SecurityGroupPolicy CRD (v1.8.2 config/crd/bases) puts no pattern on groupIds"
	srcMatching     = "resource controller pkg/utils/helper.go (filterPodSecurityGroups); aws/amazon-vpc-cni-k8s#2163"
	srcChangelog    = "VPC CNI CHANGELOG v1.11.0 (PR #1907); pkg/sgpp/utils.go LoadEnforcingModeFromEnv"
	srcCalico       = "pkg/sgpp/utils.go BuildHostVethNamePrefix (strict mode names host veths vlan*, outside Calico's workload interfaces)"
	modeEnv         = "POD_SECURITY_GROUP_ENFORCING_MODE"
	demuxEnv        = "DISABLE_TCP_EARLY_DEMUX"
	snatEnv         = "AWS_VPC_K8S_CNI_EXTERNALSNAT"
	awsNode         = "aws-node"
	awsVPCCNIInit   = "aws-vpc-cni-init"
	coreDNSName     = "coredns"
	nodeLocalDNSTag = "NodeLocal DNSCache"
)

// node returns the i-th node of node group g.
func (k *checker) node(g, i int) Node {
	ng := k.c.NodeGroups[g]
	return Node{Name: ng.Name + "-" + strconv.Itoa(i), Groups: k.ngSets[g], Subnet: ng.Subnet}
}

// peerNode returns a node of group g other than the one a workload on
// group home occupies, so flows between the two cross the VPC.
func (k *checker) peerNode(g, home int) Node {
	if g == home {
		return k.node(g, 1)
	}
	return k.node(g, 0)
}

func (k *checker) endpoint(r *resolved, n Node) Endpoint {
	if r.groups != nil {
		return BranchPodOn(r.w.Name, r.set, n)
	}
	return PodOn(r.w.Name, n)
}

// flowSpec is one flow to judge and how to report it.
type flowSpec struct {
	code     Code
	severity Severity
	workload string
	peer     string
	key      string
	summary  string
	from, to Endpoint
	proto    Protocol
	port     uint16
	sameNode *[2]Endpoint // in standard mode, the same flow with both ends on one node
	sources  []string
}

func (k *checker) judge(f flowSpec) error {
	v, err := k.m.Reach(f.from, f.to, f.proto, f.port)
	if err != nil {
		return err
	}
	k.report.Flows++
	id := string(f.code) + "\x00" + f.workload + "\x00" + f.peer + "\x00" + f.key
	a, ok := k.aggs[id]
	if !ok {
		a = &aggregate{f: Finding{Severity: f.severity, Code: f.code, Workload: f.workload, Peer: f.peer,
			Summary: f.summary, Sources: f.sources}}
		k.aggs[id] = a
		k.order = append(k.order, id)
	}
	a.f.Placements++
	if v.Allowed {
		return nil
	}
	a.f.Failing++
	if a.f.Verdict == nil {
		a.f.Verdict = &v
	}
	fixes, alts := k.fixesFor(v)
	for _, fx := range fixes {
		if !slices.Contains(a.f.Fixes, fx) {
			a.f.Fixes = append(a.f.Fixes, fx)
		}
	}
	for _, alt := range alts {
		if !slices.ContainsFunc(a.f.Alternatives, func(have []Fix) bool { return slices.Equal(have, alt) }) {
			a.f.Alternatives = append(a.f.Alternatives, alt)
		}
	}
	if f.sameNode != nil {
		if w, err := k.m.Reach(f.sameNode[0], f.sameNode[1], f.proto, f.port); err == nil && w.Allowed {
			a.sameNodeOK = true
		}
	}
	return nil
}

// coreDNS returns CoreDNS's pods as placed against a workload on node
// group home, one per node group CoreDNS can run on.
func (k *checker) coreDNS(home int) []Endpoint {
	var out []Endpoint
	if name := k.c.DNS.CoreDNS; name != "" {
		r := k.byName[name]
		if !r.runs || r.unjudged {
			return nil
		}
		for _, g := range r.hosts {
			out = append(out, k.endpoint(r, k.peerNode(g, home)))
		}
		return out
	}
	for g := range k.c.NodeGroups {
		if k.linux(g) {
			out = append(out, PodOn(coreDNSName, k.peerNode(g, home)))
		}
	}
	return out
}

func (k *checker) judgeAll() error {
	for _, r := range k.wl {
		if r.groups == nil || !r.runs || r.unjudged {
			continue
		}
		for _, h := range r.hosts {
			if err := k.judgeWorkload(r, h); err != nil {
				return err
			}
		}
	}
	return nil
}

func (k *checker) judgeWorkload(r *resolved, h int) error {
	name := r.w.Name
	home := k.node(h, 0)
	self := k.endpoint(r, home)
	var specs []flowSpec

	if k.c.DNS.NodeLocal {
		specs = append(specs, flowSpec{code: CodeNodeLocalDNS, severity: Error, workload: name, peer: nodeLocalDNSTag,
			key: "udp 53", summary: name + " cannot resolve names: NodeLocal DNSCache on its node is unreachable on udp 53",
			from: self, to: NodeLocalDNSOn(home), proto: UDP, port: 53, sources: []string{srcNodeLocal, srcModeReadme}})
		for _, d := range k.coreDNS(h) {
			specs = append(specs, flowSpec{code: CodeNodeLocalDNS, severity: Error, workload: name, peer: d.Name,
				key: "upstream udp 53", summary: name + " cannot resolve names: NodeLocal DNSCache on its nodes cannot reach " + d.Name + " on udp 53",
				from: HostOf(home), to: d, proto: UDP, port: 53, sources: []string{srcExample}})
		}
	} else {
		for _, d := range k.coreDNS(h) {
			specs = append(specs,
				flowSpec{code: CodeDNS, severity: Error, workload: name, peer: d.Name, key: "udp 53",
					summary: name + " cannot resolve names: udp 53 to " + d.Name + " is denied",
					from:    self, to: d, proto: UDP, port: 53, sources: []string{srcExample, srcDNSIssue}},
				flowSpec{code: CodeDNSTCP, severity: Warning, workload: name, peer: d.Name, key: "tcp 53",
					summary: name + ": tcp 53 to " + d.Name + " is denied, so DNS answers too large for UDP fail",
					from:    self, to: d, proto: TCP, port: 53, sources: []string{srcExample}})
		}
	}
	for _, p := range r.w.Probes {
		specs = append(specs, flowSpec{code: CodeProbe, severity: Error, workload: name, peer: "kubelet",
			key: "tcp " + strconv.Itoa(int(p)), summary: "the kubelet's TCP probes of " + name + " on port " + strconv.Itoa(int(p)) + " fail",
			from: HostOf(home), to: self, proto: TCP, port: p, sources: []string{srcExample, srcDemuxReadme, srcProbeIssue}})
	}
	for _, t := range r.w.TalksTo {
		words := flowWords(t.Protocol, t.Port)
		switch {
		case t.Workload != "":
			target := k.byName[t.Workload]
			if !target.runs || target.unjudged {
				continue
			}
			for _, g := range target.hosts {
				spec := flowSpec{code: CodeTalk, severity: Error, workload: name, peer: t.Workload, key: words,
					summary: name + " cannot reach " + t.Workload + " on " + words,
					from:    self, to: k.endpoint(target, k.peerNode(g, h)), proto: t.Protocol, port: t.Port,
					sources: []string{srcSGRules}}
				if g == h && k.m.mode == cni.Standard {
					spec.sameNode = &[2]Endpoint{self, k.endpoint(target, home)}
				}
				specs = append(specs, spec)
			}
		case t.LinkLocal.IsValid():
			specs = append(specs, k.linkLocalSpec(name, self, home, t, words))
		case t.Group.IsValid():
			specs = append(specs, flowSpec{code: CodeTalk, severity: Error, workload: name, peer: t.Group.String(), key: words,
				summary: name + " cannot reach the hosts carrying " + k.groupName(t.Group) + " on " + words,
				from:    self, to: VPCHost(k.groupName(t.Group), branch.NewGroupSet(t.Group), netip.Prefix{}),
				proto: t.Protocol, port: t.Port, sources: []string{srcSGRules}})
		default:
			specs = append(specs, flowSpec{code: CodeInternet, severity: Error, workload: name, peer: t.CIDR.String(), key: words,
				summary: name + " cannot reach " + internetName(t.CIDR) + " on " + words,
				from:    self, to: InternetHost("", t.CIDR), proto: t.Protocol, port: t.Port,
				sources: []string{srcSNAT, srcPrivate, srcModeReadme}})
		}
	}
	for _, t := range r.w.ReceivesFrom {
		words := flowWords(t.Protocol, t.Port)
		from := InternetHost("", t.CIDR)
		peer := t.CIDR.String()
		if t.Group.IsValid() {
			from = VPCHost(k.groupName(t.Group), branch.NewGroupSet(t.Group), netip.Prefix{})
			peer = t.Group.String()
		}
		specs = append(specs, flowSpec{code: CodeReceive, severity: Error, workload: name, peer: peer, key: words,
			summary: from.Name + " cannot reach " + name + " on " + words,
			from:    from, to: self, proto: t.Protocol, port: t.Port, sources: []string{srcSGRules}})
	}
	for _, c := range k.wl {
		if c.groups != nil || !c.runs {
			continue
		}
		for _, t := range c.w.TalksTo {
			if t.Workload != name {
				continue
			}
			words := flowWords(t.Protocol, t.Port)
			for _, g := range c.hosts {
				spec := flowSpec{code: CodeCaller, severity: Error, workload: name, peer: c.w.Name, key: words,
					summary: c.w.Name + " cannot reach " + name + " on " + words,
					from:    k.endpoint(c, k.peerNode(g, h)), to: self, proto: t.Protocol, port: t.Port,
					sources: []string{srcSGRules}}
				if g == h && k.m.mode == cni.Standard {
					spec.sameNode = &[2]Endpoint{k.endpoint(c, home), self}
				}
				specs = append(specs, spec)
			}
		}
	}
	for _, s := range specs {
		if err := k.judge(s); err != nil {
			return err
		}
	}
	return nil
}

// linkLocalSpec is the flow from a workload's pod self on node home to
// the link-local address t names on that node.
func (k *checker) linkLocalSpec(name string, self Endpoint, home Node, t Traffic, words string) flowSpec {
	spec := flowSpec{code: CodeLinkLocal, severity: Error, workload: name, peer: t.LinkLocal.String(), key: words,
		from: self, proto: t.Protocol, port: t.Port, sources: []string{srcLinkLocal, srcModeReadme}}
	switch t.LinkLocal {
	case PodIdentityAgentAddr():
		spec.to = PodIdentityAgentOn(home)
		spec.summary = name + " cannot get AWS credentials from EKS Pod Identity: the agent on its node (" +
			t.LinkLocal.String() + ") is unreachable on " + words
		spec.sources = append([]string{srcPodIdentity}, spec.sources...)
	case IMDSAddr():
		spec.to = IMDSOf(home)
		spec.summary = name + " cannot reach the instance metadata service (" + t.LinkLocal.String() + ") on " + words
		spec.sources = []string{srcIMDS}
	case NodeLocalDNSAddr():
		spec.code, spec.peer, spec.to = CodeNodeLocalDNS, nodeLocalDNSTag, NodeLocalDNSOn(home)
		spec.summary = name + " cannot reach NodeLocal DNSCache on its node (" + t.LinkLocal.String() + ") on " + words
		spec.sources = []string{srcNodeLocal, srcModeReadme}
	default:
		spec.to = LinkLocalOn("", t.LinkLocal, home)
		spec.summary = name + " cannot reach " + t.LinkLocal.String() + " on its node on " + words
	}
	return spec
}

func internetName(p netip.Prefix) string {
	if p.Bits() == 0 {
		return "the internet"
	}
	return p.String()
}

// groupName returns "sg-… (name)" when the group has a name.
func (k *checker) groupName(id branch.SecurityGroupID) string {
	if g, ok := k.m.groups[id]; ok && g.Name != "" {
		return id.String() + " (" + g.Name + ")"
	}
	return id.String()
}

// ruleTarget returns the peer a fix's rule should name for endpoint e:
// its interface's primary group when it has one, its address otherwise.
func (k *checker) ruleTarget(e Endpoint) Peer {
	if set := e.groups(); set.Len() > 0 {
		return GroupPeer(k.primaryOf(set))
	}
	addr, _ := k.m.address(e)
	return CIDRPeer(addr)
}

// modeFix returns the fixes that switch to standard mode, with a CNI
// upgrade first when the release predates it.
func (k *checker) modeFix(why string) []Fix {
	var out []Fix
	if !k.c.CNIVersion.AtLeast(StandardModeVersion()) {
		out = append(out, upgradeFix(StandardModeVersion(), ", which first reads "+modeEnv))
	}
	return append(out, setEnvFix(awsNode, modeEnv, "standard", why+"; then recycle the security-group pods, since the mode applies to pods created afterwards"))
}

// fixesFor derives what removes a failed verdict: rules for failed group
// checks, settings for the rest.
func (k *checker) fixesFor(v Verdict) (fixes []Fix, alts [][]Fix) {
	rule := func(peer Peer) Rule {
		r := Rule{Protocol: v.Protocol, Peer: peer}
		if v.Protocol.hasPorts() {
			r.Ports = Port(v.Port)
		}
		return r
	}
	for _, c := range v.Failed() {
		switch c.Kind {
		case CheckEgress:
			if c.Groups.Len() == 0 {
				fixes = append(fixes, otherFix("give "+c.Interface+" a security group that allows "+flowWords(v.Protocol, v.Port)+" out"))
				continue
			}
			fixes = append(fixes, addRuleFix(k.primaryOf(c.Groups), Egress, rule(k.ruleTarget(v.To))))
		case CheckIngress:
			if c.Groups.Len() == 0 {
				fixes = append(fixes, otherFix("give "+c.Interface+" a security group that allows "+flowWords(v.Protocol, v.Port)+" in"))
				continue
			}
			fixes = append(fixes, addRuleFix(k.primaryOf(c.Groups), Ingress, rule(k.ruleTarget(v.From))))
		case CheckEarlyDemux:
			fixes = append(fixes, setEnvFix(awsVPCCNIInit, demuxEnv, "true", " (kernel 4.6 or later; the node's local TCP gets about 10-15 ms slower)"))
			alts = append(alts, k.modeFix(" so the kubelet reaches its pods on the node, with no group and no early demux in the way"))
		case CheckRoute:
			switch c.NoRoute {
			case NoRouteStrictLinkLocal:
				switch {
				case v.To.Kind == KindNodeLocalDNS:
					fixes = append(fixes, k.modeFix(" so the pods reach the node-local cache")...)
					alts = append(alts, []Fix{otherFix("point these pods at CoreDNS instead of NodeLocal DNSCache (dnsConfig), and allow udp and tcp 53 to it")})
				case v.To.Addr.Addr() == PodIdentityAgentAddr():
					fixes = append(fixes, k.modeFix(" so the pods reach the EKS Pod Identity agent on their node (no release exempts link-local addresses in strict mode)")...)
					alts = append(alts,
						[]Fix{otherFix("give these pods IAM roles for service accounts (IRSA) instead of an EKS Pod Identity association: " +
							"the SDK then calls AWS STS itself, through the VPC, where the pods' groups judge it")},
						[]Fix{notSGPFix()})
				default:
					fixes = append(fixes, k.modeFix(" so the pods reach "+v.To.Addr.Addr().String()+" on their node (no release exempts link-local addresses in strict mode)")...)
					alts = append(alts, []Fix{notSGPFix()})
				}
			case NoRoutePublicSubnet:
				snat := setEnvFix(awsNode, snatEnv, "false", " so the node SNATs the pods' traffic leaving the VPC to its public address; its groups then judge it")
				switch {
				case k.m.mode == cni.Standard:
					alts = append(alts, []Fix{snat})
				case k.c.ExternalSNAT:
					alts = append(alts, append(k.modeFix(" so the node SNATs the pods' traffic leaving the VPC"), snat))
				default:
					alts = append(alts, k.modeFix(" so the node SNATs the pods' traffic leaving the VPC to its own address; its groups then judge it"))
				}
				alts = append(alts, []Fix{otherFix("run the node group in private subnets whose route table sends 0.0.0.0/0 to a NAT gateway")})
			case NoRouteIsolatedSubnet:
				fixes = append(fixes, otherFix("route the node group's subnet to a NAT gateway (0.0.0.0/0), or reach the service through a VPC endpoint"))
			default:
				fixes = append(fixes, otherFix(c.Detail))
			}
		}
	}
	return fixes, alts
}

// notSGPFix is the fix that takes a workload out of security groups for
// pods.
func notSGPFix() Fix {
	return otherFix("run these pods without security groups of their own (narrow the SecurityGroupPolicy so it does not select them): " +
		"they then use the node's interfaces and reach its link-local addresses")
}

// configFindings reports problems that stop pods getting a network, and
// settings that do not do what they say.
func (k *checker) configFindings() {
	c := k.c
	var out []Finding
	sgWorkloads := 0
	for _, r := range k.wl {
		if r.groups == nil {
			continue
		}
		sgWorkloads++
		name := r.w.Name
		switch {
		case c.PodENIDisabled:
			r.runs = false
			out = append(out, Finding{Severity: Error, Code: CodePodENIDisabled, Workload: name,
				Summary: name + " matches " + strings.Join(r.policies, ", ") + " but ENABLE_POD_ENI is false: no node offers " +
					"vpc.amazonaws.com/pod-eni, so its pods stay Pending",
				Fixes:   []Fix{setEnvFix(awsNode, "ENABLE_POD_ENI", "true", " (nodes then ask the resource controller for a trunk ENI)")},
				Sources: []string{srcPodENI}})
		case k.malformedGroup(r) != "":
			// EC2 parses the IDs before it looks any up, so this comes
			// first whether or not the cluster declares its groups.
			r.runs = false
			text := k.malformedGroup(r)
			out = append(out, Finding{Severity: Error, Code: CodeGroupMalformed, Workload: name, Peer: text,
				Summary: name + ": security group ID " + strconv.Quote(text) + " (from " + strings.Join(r.policies, ", ") + ") is no ID; " +
					"CreateNetworkInterface fails with InvalidGroupId.Malformed and the pods stay ContainerCreating",
				Fixes:   []Fix{otherFix("replace " + strconv.Quote(text) + " in the policy with the group's ID (sg- and 17 hex digits, from aws ec2 describe-security-groups)")},
				Sources: []string{srcMalformed}})
		case len(k.m.groups) == 0:
			// A cluster that declares no groups says nothing of which
			// exist; `trunksim run` takes every group a policy names to
			// exist, and so does the check, but it has no rules to judge
			// the pods' flows by.
			r.unjudged = true
			out = append(out, Finding{Severity: Warning, Code: CodeGroupsNotDeclared, Workload: name,
				Summary: name + ": its security groups " + groupList(r.groups) + " (from " + strings.Join(r.policies, ", ") + ") are not declared, " +
					"so whether they exist and what its pods can reach are not checked",
				Fixes:   []Fix{otherFix("declare the VPC's security groups and their rules under securityGroups")},
				Sources: []string{srcNotFound}})
		case k.missingGroup(r) != (branch.SecurityGroupID{}):
			r.runs = false
			id := k.missingGroup(r)
			out = append(out, Finding{Severity: Error, Code: CodeGroupNotFound, Workload: name, Peer: id.String(),
				Summary: name + ": security group " + id.String() + " (from " + strings.Join(r.policies, ", ") + ") does not exist; " +
					"CreateNetworkInterface fails with InvalidSecurityGroupID.NotFound and the pods stay ContainerCreating",
				Fixes:   []Fix{otherFix("create " + id.String() + " in the cluster's VPC (declare it under securityGroups), or remove it from the policy")},
				Sources: []string{srcNotFound}})
		case r.set.CheckQuota(k.m.quotas.GroupsPerInterface) != nil:
			r.runs = false
			f := Finding{Severity: Error, Code: CodeTooManyGroups, Workload: name,
				Summary: fmt.Sprintf("%s: its policies (%s) give it %d security groups %v, more than the quota of %d per network interface; "+
					"CreateNetworkInterface fails and the pods stay ContainerCreating",
					name, strings.Join(r.policies, ", "), r.set.Len(), r.set, k.m.quotas.GroupsPerInterface),
				Fixes:   []Fix{otherFix("merge the groups or narrow the policies so that each pod matches at most " + strconv.Itoa(k.m.quotas.GroupsPerInterface) + " groups")},
				Sources: []string{srcQuota}}
			if r.set.Len() <= branch.MaxGroupsPerInterface {
				f.Alternatives = [][]Fix{{otherFix(fmt.Sprintf("raise the Amazon VPC quota \"Security groups per network interface\" to %d "+
					"(groups per interface × rules per group may not exceed %d)", r.set.Len(), MaxRulesPerInterface))}}
			}
			out = append(out, f)
		case len(r.hosts) == 0:
			r.runs = false
			out = append(out, Finding{Severity: Error, Code: CodeNoTrunkNode, Workload: name,
				Summary: name + " needs a branch ENI but no Linux node group can hold a trunk ENI; its pods stay Pending " +
					"(Insufficient vpc.amazonaws.com/pod-eni)",
				Fixes:   []Fix{otherFix("add a node group of a trunking-compatible Nitro type, such as m5.large (t-family and Xen types cannot hold a trunk)")},
				Sources: []string{srcLimits}})
		}
	}
	for _, p := range c.Policies {
		if err := p.Validate(); err != nil {
			why := err.Error()
			var pe *branch.PolicyError
			if errors.As(err, &pe) {
				why = pe.Field + ": " + pe.Why
			}
			out = append(out, Finding{Severity: Warning, Code: CodePolicyUnusable, Peer: p.Namespace + "/" + p.Name,
				Summary: "SecurityGroupPolicy " + p.Namespace + "/" + p.Name + " is stored but the controller cannot use it (" + why + "): it matches no pod",
				Fixes:   []Fix{otherFix("give the policy a podSelector or serviceAccountSelector of valid label keys, values and operators (In, NotIn, Exists, DoesNotExist), and at least one group ID")},
				Sources: []string{srcMatching}})
			continue
		}
		used := false
		for _, r := range k.wl {
			used = used || slices.Contains(r.policies, p.Namespace+"/"+p.Name)
		}
		if !used {
			out = append(out, Finding{Severity: Warning, Code: CodePolicyUnused, Peer: p.Namespace + "/" + p.Name,
				Summary: "SecurityGroupPolicy " + p.Namespace + "/" + p.Name + " selects no workload: pods meant for it get their node's groups instead",
				Fixes:   []Fix{otherFix("compare the policy's podSelector and serviceAccountSelector with the workloads' labels, namespace and service account; the policy must exist before the pods are created")},
				Sources: []string{srcMatching}})
		}
	}
	if sgWorkloads > 0 {
		if c.Mode == cni.Standard && k.m.mode == cni.Strict {
			out = append(out, Finding{Severity: Warning, Code: CodeStandardModeIgnored,
				Summary: modeEnv + "=standard is set, but CNI " + c.CNIVersion.String() + " predates it and runs every security-group pod in strict mode",
				Fixes:   []Fix{upgradeFix(StandardModeVersion(), "")},
				Sources: []string{srcChangelog}})
		}
		if c.Calico && k.m.mode == cni.Strict {
			out = append(out, Finding{Severity: Warning, Code: CodeCalicoStrict,
				Summary: "Calico network policies do not apply to security-group pods in strict mode: only their security groups filter them",
				Fixes:   k.modeFix(" so Calico manages the pods' host interfaces"),
				Sources: []string{srcCalico, srcModeReadme}})
		}
		for i, g := range c.NodeGroups {
			if len(g.Groups) == 0 && k.linux(i) {
				out = append(out, Finding{Severity: Warning, Code: CodeNodeGroupWithoutGroups, Peer: g.Name,
					Summary: "node group " + g.Name + " lists no security groups: flows to and from its nodes and ordinary pods are judged as if its ENIs carried none",
					Fixes:   []Fix{otherFix("list the node group's security groups (the cluster security group for managed node groups)")}})
			}
		}
	}
	k.report.Findings = append(k.report.Findings, out...)
}

// malformedGroup returns the text of the first of r's groups that stands
// for a malformed ID, or "".
func (k *checker) malformedGroup(r *resolved) string {
	if len(k.c.MalformedGroups) == 0 {
		return ""
	}
	if k.standIns == nil {
		k.standIns = make(map[branch.SecurityGroupID]string, len(k.c.MalformedGroups))
		for _, text := range k.c.MalformedGroups {
			k.standIns[branch.MalformedGroupID(text)] = text
		}
	}
	for _, id := range r.groups {
		if text, ok := k.standIns[id]; ok {
			return text
		}
	}
	return ""
}

// missingGroup returns the first of r's groups the model lacks, or the
// zero ID.
func (k *checker) missingGroup(r *resolved) branch.SecurityGroupID {
	for _, id := range r.groups {
		if _, ok := k.m.groups[id]; !ok {
			return id
		}
	}
	return branch.SecurityGroupID{}
}

// finish turns the flow aggregates into findings, ranks everything,
// fills in the workloads and writes the notes.
func (k *checker) finish() {
	for _, id := range k.order {
		a := k.aggs[id]
		f := a.f
		if f.Failing == 0 {
			continue
		}
		if f.Failing < f.Placements {
			f.Summary += fmt.Sprintf(" (%d of %d node-group placements)", f.Failing, f.Placements)
		}
		if a.sameNodeOK {
			f.Summary += "; it works only while both pods share a node, since standard mode keeps same-node traffic off the VPC"
		}
		k.report.Findings = append(k.report.Findings, f)
	}
	slices.SortStableFunc(k.report.Findings, compareFindings)
	for _, r := range k.wl {
		wr := WorkloadReport{Name: r.w.Name, Namespace: r.w.Namespace, Groups: r.groups, Policies: r.policies, Runs: r.runs}
		for _, g := range r.hosts {
			wr.NodeGroups = append(wr.NodeGroups, k.c.NodeGroups[g].Name)
		}
		for _, f := range k.report.Findings {
			if f.Workload != r.w.Name && !(f.Peer == r.w.Name && f.Verdict != nil) {
				continue
			}
			if f.Severity == Error {
				wr.Errors++
			} else {
				wr.Warnings++
			}
		}
		k.report.Workloads = append(k.report.Workloads, wr)
	}
	k.report.Notes = k.notes()
}

func (k *checker) notes() []string {
	c := k.c
	notes := []string{
		"Flows between pods are judged with the two pods on different nodes, for every pair of node groups they can run on; " +
			"in strict mode the same-node case gives the same verdict.",
		"Pods reach CoreDNS through its Service: kube-proxy rewrites the address on the sender's node, so groups see the " +
			"CoreDNS pod's own address.",
	}
	if k.m.mode == cni.Standard {
		notes = append(notes, "Upstream disagreement, standard mode on one node: the EKS User Guide says pods in different "+
			"security groups on the same node cannot talk (awsdocs/amazon-eks-user-guide#634, PR #637); the CNI routes them "+
			"directly through the main table (driver.go setupIPBasedContainerRouteRules, priority 512) and its README says "+
			"such traffic is not enforced. This check follows the code.")
		if !c.ExternalSNAT {
			notes = append(notes, "Upstream disagreement, standard mode leaving the VPC: the EKS best-practices guide says both "+
				"the primary ENI's and the pod's groups apply; the CNI README and code SNAT the traffic through eth0, so only "+
				"the node's groups apply. This check follows the code.")
		}
		notes = append(notes, "The CNI README asks for DISABLE_TCP_EARLY_DEMUX=true whenever ENABLE_POD_ENI is on (the text "+
			"predates enforcing modes); in standard mode the kubelet reaches its pods on the node, so the check requires it "+
			"in strict mode only.")
	}
	if k.talksToIMDS() {
		notes = append(notes, "Assumed, the instance metadata service: a branch pod's request leaves through the trunk "+
			"as the branch ENI's, and the check takes the instance's Nitro system to answer it there as on the node's own "+
			"interfaces, with no security group filtering it; no upstream document says so for branch ENIs. IMDSv2's "+
			"response hop limit (1 unless the launch template raises it) is not modelled.")
	}
	for _, g := range c.NodeGroups {
		if g.Subnet.kind() == Public {
			notes = append(notes, "Nodes in public subnets are assumed to have public IPv4 addresses.")
			break
		}
	}
	if !c.VPC.IsValid() {
		notes = append(notes, "No VPC CIDR given: addresses in the VPC are known only as far as their subnets are, and a CIDR "+
			"rule must cover them all to match.")
	}
	notes = append(notes, "Not modelled: network ACLs, route tables beyond the subnet kind, prefix-list rules, ICMP types, "+
		"IPv6, Fargate, custom networking, kube-proxy in ipvs mode, Kubernetes network policies.")
	return notes
}

// talksToIMDS reports whether a security-group workload that runs must
// reach the instance metadata service.
func (k *checker) talksToIMDS() bool {
	for _, r := range k.wl {
		if r.groups == nil || !r.runs || r.unjudged {
			continue
		}
		for _, t := range r.w.TalksTo {
			if t.LinkLocal == IMDSAddr() {
				return true
			}
		}
	}
	return false
}

// groupList writes groups as a run's report does, such as "[sg-1, sg-2]".
func groupList(ids []branch.SecurityGroupID) string {
	return branch.NewGroupSet(ids...).String()
}
