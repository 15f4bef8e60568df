// Package reach answers whether traffic gets through once pods carry
// security groups of their own: a pod with a branch ENI no longer carries
// its node's groups, and traffic to and from it is judged by its own
// groups alone. That is the most common way security groups for pods
// break clusters (DNS, kubelet probes, pods on the same node, the internet
// from public subnets), and the package says so before anything is
// deployed.
//
// # Security groups
//
// A [Group] holds allow rules ([Rule]): ingress and egress lists, each
// rule a protocol ([TCP], [UDP], [ICMP] or [AllProtocols]), a destination
// port range for TCP and UDP ([PortRange]), and a [Peer], an IPv4 CIDR
// block or a referenced group. The semantics are EC2's (Amazon VPC User
// Guide, "Security group rules"): there are no deny rules; groups are
// stateful, so replies to an allowed flow always get back; several groups
// on one interface apply as the union of their rules; a referenced-group
// peer matches the interfaces that carry the group and nothing else, and
// the referencing group gains none of its rules; a CIDR peer must cover
// every address the other end may use. [NewGroup] returns a group as EC2
// creates one: no inbound rules, one outbound rule allowing everything.
// DNS to the Amazon-provided resolver is never filtered. [Quotas] are the
// groups-per-interface (5, at most 16) and rules-per-group (60 per
// direction) quotas, whose product may not exceed 1,000.
//
// # Endpoints and paths
//
// An [Endpoint] is a pod with a branch ENI ([BranchPodOn]), an ordinary
// pod, whose secondary IP sits on a node ENI and so carries the node's
// groups ([PodOn]), the node itself, meaning the kubelet and host-network
// pods ([HostOf]), NodeLocal DNSCache ([NodeLocalDNSOn]), another
// host-network service on one of the node's link-local addresses, such as
// the EKS Pod Identity agent ([PodIdentityAgentOn], [LinkLocalOn]), the
// instance metadata service ([IMDSOf]), the VPC resolver ([Resolver]), an
// interface outside the cluster with its own groups ([VPCHost]), or an
// address outside the VPC ([InternetHost]).
//
// Which path a flow takes, and so what judges it, follows the VPC CNI's
// POD_SECURITY_GROUP_ENFORCING_MODE as its code routes packets
// (pkg/networkutils/network.go, cmd/routed-eni-cni-plugin/driver):
//
//   - Between different nodes, the sender's egress and the receiver's
//     ingress rules apply in either mode ([PathVPC]).
//   - On one node, strict mode (the default) still sends a branch pod's
//     traffic out through the trunk and back through the VPC, so groups
//     judge it; the kubelet's own TCP connections to its branch pods then
//     also need DISABLE_TCP_EARLY_DEMUX. Standard mode (CNI v1.11.0 and
//     later) keeps same-node traffic on the node, where no group applies
//     ([PathNode]).
//   - A service on the node's link-local addresses (169.254.0.0/16:
//     NodeLocal DNSCache, the EKS Pod Identity agent on 169.254.170.23)
//     cannot be reached from a branch pod in strict mode ([PathNone]): the
//     pod's VLAN table sends the packet out of the trunk, and no release
//     through v1.23.2 exempts link-local destinations (CNI#1384, #2797).
//     Standard mode reaches them on the node.
//   - The instance metadata service is reached in either mode
//     ([PathUnfiltered]). That the instance answers it on a branch ENI,
//     as on its own interfaces, and that no group filters it, are
//     assumptions: no upstream document says so for branch ENIs, and the
//     check's notes repeat it. IMDSv2's hop limit is not modelled.
//   - Leaving the VPC, strict mode never SNATs a branch pod, so its own
//     groups apply and a public subnet has no way out; standard mode
//     without AWS_VPC_K8S_CNI_EXTERNALSNAT SNATs it to the node's address,
//     and the node's groups apply instead ([PathSNAT]).
//
// Where upstream documents disagree with the code, the package follows the
// code; the cluster check's notes say where.
//
// # Questions
//
// [New] builds a [Model] from a [Config]; [Model.Reach] answers one
// question, "can this endpoint reach that one on this protocol and port",
// with a [Verdict] that names the rule that allowed the flow, or every
// check that failed, and the mode and path that decided it:
//
//	m, err := reach.New(reach.Config{Groups: groups})
//	v, err := m.Reach(reach.BranchPodOn("web", webGroups, node), reach.PodOn("coredns", other), reach.UDP, 53)
//	fmt.Print(v.Explain())
//
// [CheckCluster] asks every question a cluster needs answered: for each
// workload whose pods a SecurityGroupPolicy gives groups, can they resolve
// names, pass their probes, reach what they must (workloads, VPC hosts,
// the internet, their node's link-local services), and be reached by
// their callers. Its [Report] ranks the findings, each with the fixes: the rule
// to add, the mode to set, the environment variable to set.
//
// # Errors
//
// Every error message starts with "reach: ", or "branch: " for the group
// quota, which [branch.GroupSet.CheckQuota] judges. Sentinels
// ([ErrInvalidRule], [ErrRuleQuota], [ErrUnknownGroup],
// [ErrDuplicateGroup], [ErrInvalidEndpoint], [ErrInvalidConfig],
// [ErrUnsupported]) are wrapped in typed errors that name the offending
// group, rule, endpoint or field. A Model never changes once built; a
// failed call leaves nothing behind.
package reach
