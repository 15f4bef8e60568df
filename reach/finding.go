package reach

import (
	"cmp"
	"strconv"
	"strings"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/cni"
)

// Severity ranks a [Finding]. Lower values are worse; the zero value is
// not a severity.
type Severity uint8

const (
	// Error means something a workload needs does not work, or its pods
	// never get a network at all. A check with errors should fail CI.
	Error Severity = 1 + iota
	// Warning means something degraded or probably unintended: DNS over
	// TCP, a policy that selects nothing, a setting that is ignored.
	Warning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "Severity(" + strconv.Itoa(int(s)) + ")"
}

// MarshalText implements encoding.TextMarshaler.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Code names the kind of a [Finding], stable across releases so tools can
// match on it. The constants are listed in ranking order: within a
// severity, findings sort by code in this order.
type Code string

// Finding codes.
const (
	// CodePodENIDisabled: pods match a policy but ENABLE_POD_ENI is off,
	// so no node offers branch ENIs and they stay Pending.
	CodePodENIDisabled Code = "pod-eni-disabled"
	// CodeNoTrunkNode: no node group can hold a trunk ENI for the pods.
	CodeNoTrunkNode Code = "no-trunk-node"
	// CodeGroupMalformed: a policy names a group ID that is no ID, so
	// CreateNetworkInterface fails with InvalidGroupId.Malformed and the
	// pods stay ContainerCreating.
	CodeGroupMalformed Code = "group-malformed"
	// CodeGroupNotFound: a policy names a group that does not exist, so
	// CreateNetworkInterface fails and the pods stay ContainerCreating.
	CodeGroupNotFound Code = "group-not-found"
	// CodeTooManyGroups: the pods' merged groups exceed the groups per
	// interface quota.
	CodeTooManyGroups Code = "too-many-groups"
	// CodeGroupsNotDeclared: the cluster declares no security groups, so
	// neither whether the pods' groups exist nor their flows can be
	// judged; a run takes the groups to exist, and so does the check.
	CodeGroupsNotDeclared Code = "groups-not-declared"
	// CodeDNS: the pods cannot reach CoreDNS on UDP 53.
	CodeDNS Code = "dns"
	// CodeNodeLocalDNS: the pods cannot reach NodeLocal DNSCache, or it
	// cannot reach CoreDNS.
	CodeNodeLocalDNS Code = "nodelocal-dns"
	// CodeLinkLocal: the pods cannot reach a service on their node's
	// link-local address, such as the EKS Pod Identity agent.
	CodeLinkLocal Code = "link-local"
	// CodeProbe: the kubelet's TCP probes cannot reach the pods.
	CodeProbe Code = "probe"
	// CodeTalk: the pods cannot reach a workload or VPC host they must.
	CodeTalk Code = "talk"
	// CodeCaller: an ordinary workload cannot reach the pods.
	CodeCaller Code = "caller"
	// CodeReceive: a declared outside source cannot reach the pods.
	CodeReceive Code = "receive"
	// CodeInternet: the pods cannot reach an address outside the VPC.
	CodeInternet Code = "internet"
	// CodeDNSTCP: the pods cannot reach CoreDNS on TCP 53, so answers too
	// large for UDP fail.
	CodeDNSTCP Code = "dns-tcp"
	// CodeStandardModeIgnored: standard mode is set but the CNI release
	// predates it, so pods run strict.
	CodeStandardModeIgnored Code = "standard-mode-ignored"
	// CodeCalicoStrict: Calico network policies do not apply to
	// security-group pods in strict mode.
	CodeCalicoStrict Code = "calico-strict"
	// CodeNodeGroupWithoutGroups: a node group lists no security groups,
	// so paths through its nodes are judged as if it carried none.
	CodeNodeGroupWithoutGroups Code = "node-group-without-groups"
	// CodePolicyUnusable: the API server stored a policy the controller
	// cannot use (no selector, a selector that does not convert, no
	// groups), so it matches no pod.
	CodePolicyUnusable Code = "policy-unusable"
	// CodePolicyUnused: a policy selects no workload, often a label typo.
	CodePolicyUnused Code = "policy-unused"
)

// rank orders codes as their constants are listed.
func (c Code) rank() int {
	switch c {
	case CodePodENIDisabled:
		return 0
	case CodeNoTrunkNode:
		return 1
	case CodeGroupMalformed:
		return 2
	case CodeGroupNotFound:
		return 3
	case CodeTooManyGroups:
		return 4
	case CodeGroupsNotDeclared:
		return 5
	case CodeDNS:
		return 6
	case CodeNodeLocalDNS:
		return 7
	case CodeLinkLocal:
		return 8
	case CodeProbe:
		return 9
	case CodeTalk:
		return 10
	case CodeCaller:
		return 11
	case CodeReceive:
		return 12
	case CodeInternet:
		return 13
	case CodeDNSTCP:
		return 14
	case CodeStandardModeIgnored:
		return 15
	case CodeCalicoStrict:
		return 16
	case CodeNodeGroupWithoutGroups:
		return 17
	case CodePolicyUnusable:
		return 18
	case CodePolicyUnused:
		return 19
	}
	return 20
}

// FixKind is what a [Fix] changes. The zero value is not a kind.
type FixKind uint8

const (
	// FixAddRule adds Rule to Group's Direction list.
	FixAddRule FixKind = 1 + iota
	// FixSetEnv sets environment variable Env to Value on Container of the
	// aws-node DaemonSet.
	FixSetEnv
	// FixUpgradeCNI moves aws-node to Version or later.
	FixUpgradeCNI
	// FixOther is a change described only by Text.
	FixOther
)

var fixNames = [...]string{FixAddRule: "add-rule", FixSetEnv: "set-env", FixUpgradeCNI: "upgrade-cni", FixOther: "other"}

// String returns "add-rule", "set-env", "upgrade-cni" or "other".
func (k FixKind) String() string {
	if k >= FixAddRule && k <= FixOther {
		return fixNames[k]
	}
	return "FixKind(" + strconv.Itoa(int(k)) + ")"
}

// MarshalText implements encoding.TextMarshaler.
func (k FixKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Fix is one change that (with the others of its finding) removes a
// finding.
type Fix struct {
	// Kind is what the fix changes.
	Kind FixKind
	// Group, Direction and Rule are the rule to add, for FixAddRule.
	Group     branch.SecurityGroupID
	Direction Direction
	Rule      Rule
	// Container, Env and Value are the variable to set, for FixSetEnv.
	Container, Env, Value string
	// Version is the release to move to, for FixUpgradeCNI.
	Version cni.Version
	// Text says what to do, in words.
	Text string
}

// String returns the fix in words.
func (f Fix) String() string { return f.Text }

// Command returns a command that applies the fix (an AWS CLI or kubectl
// command line), or "" when there is none.
func (f Fix) Command() string {
	switch f.Kind {
	case FixAddRule:
		perm := "IpProtocol=" + f.Rule.Protocol.String()
		switch f.Rule.Protocol {
		case AllProtocols:
			perm = "IpProtocol=-1"
		case ICMP:
			perm += ",FromPort=-1,ToPort=-1"
		default:
			perm += ",FromPort=" + strconv.Itoa(int(f.Rule.Ports.From)) + ",ToPort=" + strconv.Itoa(int(f.Rule.Ports.To))
		}
		if f.Rule.Peer.IsGroup() {
			perm += ",UserIdGroupPairs=[{GroupId=" + f.Rule.Peer.Group().String() + "}]"
		} else {
			perm += ",IpRanges=[{CidrIp=" + f.Rule.Peer.CIDR().String() + "}]"
		}
		return "aws ec2 authorize-security-group-" + f.Direction.String() + " --group-id " + f.Group.String() +
			" --ip-permissions '" + perm + "'"
	case FixSetEnv:
		if f.Container == "aws-vpc-cni-init" {
			return `kubectl patch daemonset aws-node -n kube-system -p '{"spec":{"template":{"spec":{"initContainers":[{"name":"aws-vpc-cni-init","env":[{"name":"` +
				f.Env + `","value":"` + f.Value + `"}]}]}}}}'`
		}
		return "kubectl set env daemonset aws-node -n kube-system -c " + f.Container + " " + f.Env + "=" + f.Value
	}
	return ""
}

// addRuleFix builds the fix that adds r to group id's list d.
func addRuleFix(id branch.SecurityGroupID, d Direction, r Rule) Fix {
	return Fix{Kind: FixAddRule, Group: id, Direction: d, Rule: r,
		Text: "add to " + id.String() + " " + d.String() + ": " + r.describe(d)}
}

func setEnvFix(container, env, value, why string) Fix {
	return Fix{Kind: FixSetEnv, Container: container, Env: env, Value: value,
		Text: "set " + env + "=" + value + " on the " + container + " container of the aws-node DaemonSet" + why}
}

func upgradeFix(v cni.Version, why string) Fix {
	return Fix{Kind: FixUpgradeCNI, Version: v, Text: "upgrade the VPC CNI to " + v.String() + " or later" + why}
}

func otherFix(text string) Fix { return Fix{Kind: FixOther, Text: text} }

// Finding is one problem the cluster check found, with what to do.
type Finding struct {
	// Severity ranks the finding.
	Severity Severity
	// Code names its kind.
	Code Code
	// Workload is the security-group workload concerned; empty for a
	// finding about the cluster as a whole.
	Workload string
	// Peer is the other end of the flow, or the policy or node group
	// concerned; empty when there is none.
	Peer string
	// Summary says what breaks, on one line.
	Summary string
	// Verdict is the first failing flow behind the finding; nil for
	// findings about configuration.
	Verdict *Verdict
	// Placements is how many node-group placements of the flow were
	// judged, and Failing how many of them failed.
	Placements, Failing int
	// Fixes together remove the finding.
	Fixes []Fix
	// Alternatives are other sets of fixes; each set on its own removes
	// the finding instead of Fixes.
	Alternatives [][]Fix
	// Sources are the upstream documents, code and threads behind it.
	Sources []string
}

// compareFindings ranks by severity, code, workload, peer, summary.
func compareFindings(a, b Finding) int {
	return cmp.Or(cmp.Compare(a.Severity, b.Severity), cmp.Compare(a.Code.rank(), b.Code.rank()),
		strings.Compare(a.Workload, b.Workload), strings.Compare(a.Peer, b.Peer), strings.Compare(a.Summary, b.Summary))
}

// WorkloadReport is how the check sees one workload's pods.
type WorkloadReport struct {
	// Name and Namespace identify the workload.
	Name, Namespace string
	// Groups are the pods' own groups in the order the controller merges
	// them; nil for ordinary pods, which use their node's groups.
	Groups []branch.SecurityGroupID
	// Policies name the matching policies as namespace/name.
	Policies []string
	// NodeGroups are where the pods can run.
	NodeGroups []string
	// Runs is false when the pods can never get a network (see the
	// findings); their flows are then not judged.
	Runs bool
	// Errors and Warnings count the findings that name the workload.
	Errors, Warnings int
}

// Report is the result of [CheckCluster].
type Report struct {
	// Mode is the enforcing mode in force.
	Mode cni.EnforcingMode
	// Workloads are the cluster's workloads in input order.
	Workloads []WorkloadReport
	// Findings are ranked worst first.
	Findings []Finding
	// Flows is how many flows were judged.
	Flows int
	// Notes are the assumptions the check made and the places where
	// upstream documentation and code disagree, as they bear on this
	// cluster.
	Notes []string
}

// Count returns how many findings have severity s.
func (r Report) Count(s Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == s {
			n++
		}
	}
	return n
}

// OK reports whether the check found no errors.
func (r Report) OK() bool { return r.Count(Error) == 0 }
