package reach

import (
	"net/netip"
	"strconv"

	"github.com/trunksim/trunksim/branch"
)

// Kind is what an [Endpoint] is. The zero value is not a kind.
type Kind uint8

const (
	// KindBranchPod is a pod with a branch ENI of its own: its traffic is
	// judged by its own groups alone, never by its node's.
	KindBranchPod Kind = 1 + iota
	// KindPod is an ordinary pod: its address is a secondary IP on one of
	// the node's ENIs, so it carries the node's groups.
	KindPod
	// KindNode is the node itself, from its primary ENI: the kubelet (and
	// so its probes) and host-network pods.
	KindNode
	// KindNodeLocalDNS is NodeLocal DNSCache on a node, listening on the
	// link-local 169.254.20.10, which exists only on that node.
	KindNodeLocalDNS
	// KindVPCResolver is the Amazon-provided DNS server at the VPC's base
	// address plus two, which security groups never filter.
	KindVPCResolver
	// KindVPCHost is an interface in the VPC outside the cluster, such as
	// a database or a load balancer, carrying its own groups.
	KindVPCHost
	// KindInternet is an address outside the VPC.
	KindInternet
	// KindLinkLocal is a host-network service listening on a link-local
	// address (169.254.0.0/16) of one node, such as the EKS Pod Identity
	// agent on 169.254.170.23 ([PodIdentityAgentOn]).
	KindLinkLocal
	// KindIMDS is the instance metadata service at 169.254.169.254, which
	// the instance's Nitro system answers, not a process on the node.
	KindIMDS
)

var kindNames = [...]string{KindBranchPod: "branch pod", KindPod: "pod", KindNode: "node",
	KindNodeLocalDNS: "NodeLocal DNSCache", KindVPCResolver: "VPC resolver", KindVPCHost: "VPC host", KindInternet: "internet",
	KindLinkLocal: "link-local service", KindIMDS: "instance metadata service"}

// String returns the kind in words, such as "branch pod".
func (k Kind) String() string {
	if k >= KindBranchPod && k <= KindIMDS {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// onNode reports whether endpoints of kind k live on a node (the
// instance metadata service belongs to the node's instance).
func (k Kind) onNode() bool {
	return k == KindBranchPod || k == KindPod || k == KindNode || k == KindNodeLocalDNS || k == KindLinkLocal || k == KindIMDS
}

// SubnetKind is how a subnet reaches outside the VPC. The zero value
// means [Private].
type SubnetKind uint8

const (
	// Private subnets route outbound traffic to a NAT gateway, which
	// translates any address in the VPC. The EKS guide requires them for
	// security-group pods in strict mode.
	Private SubnetKind = 1 + iota
	// Public subnets route to an internet gateway, which translates only
	// addresses that have a public IPv4 address associated: a node's
	// primary address (the model assumes nodes there get one), never a
	// branch ENI's or a secondary IP.
	Public
	// Isolated subnets have no route out of the VPC.
	Isolated
)

// String returns "private", "public" or "isolated".
func (k SubnetKind) String() string {
	switch k {
	case Private:
		return "private"
	case Public:
		return "public"
	case Isolated:
		return "isolated"
	}
	return "SubnetKind(" + strconv.Itoa(int(k)) + ")"
}

// ParseSubnetKind reads the spelling [SubnetKind.String] returns.
func ParseSubnetKind(s string) (SubnetKind, error) {
	for k := Private; k <= Isolated; k++ {
		if s == k.String() {
			return k, nil
		}
	}
	return 0, &ConfigError{Field: "Subnet.Kind", Why: strconv.Quote(s) + ": want private, public or isolated", Err: ErrInvalidConfig}
}

// MarshalText implements encoding.TextMarshaler; the zero value is
// written as "private", which it means.
func (k SubnetKind) MarshalText() ([]byte, error) {
	if k == 0 {
		k = Private
	}
	if k > Isolated {
		return nil, &ConfigError{Field: "Subnet.Kind", Why: k.String() + " is not a subnet kind", Err: ErrInvalidConfig}
	}
	return []byte(k.String()), nil
}

// Subnet is where a node and its pods get their addresses.
type Subnet struct {
	// Kind is how the subnet reaches the internet; zero means Private.
	Kind SubnetKind
	// CIDR is the subnet's IPv4 block. Zero means unknown: addresses are
	// then known only to lie in the VPC, and CIDR rules that do not cover
	// the whole VPC cannot be shown to match them.
	CIDR netip.Prefix
}

// kind returns the subnet's kind with the zero value read as Private.
func (s Subnet) kind() SubnetKind {
	if s.Kind == 0 {
		return Private
	}
	return s.Kind
}

// Node is a worker node as reachability sees it: the groups on its ENIs
// (the primary ENI and the ones holding ordinary pods' secondary IPs
// carry the same groups) and its subnet. Endpoints with equal node Names
// are on the same node.
type Node struct {
	// Name identifies the node.
	Name string
	// Groups are the node's security groups.
	Groups branch.GroupSet
	// Subnet is the node's subnet, which its pods share.
	Subnet Subnet
}

// Endpoint is one end of a flow. Build it with the constructors, which
// fill the fields its kind uses; the zero Endpoint is not valid.
type Endpoint struct {
	// Kind is what the endpoint is.
	Kind Kind
	// Name is for explanations.
	Name string
	// Node is the node a pod, a node, NodeLocal DNSCache or a link-local
	// service lives on, or whose instance the metadata service answers.
	Node Node
	// Groups are a branch pod's own groups, or a VPC host's.
	Groups branch.GroupSet
	// Addr is where a VPC host's or an internet host's address lies; zero
	// means anywhere (in the VPC, or on the internet). For a link-local
	// service and the metadata service it is the one address, a /32.
	Addr netip.Prefix
}

// BranchPodOn returns a pod with its own branch ENI carrying groups,
// running on node.
func BranchPodOn(name string, groups branch.GroupSet, node Node) Endpoint {
	return Endpoint{Kind: KindBranchPod, Name: name, Groups: groups, Node: node}
}

// PodOn returns an ordinary pod running on node.
func PodOn(name string, node Node) Endpoint {
	return Endpoint{Kind: KindPod, Name: name, Node: node}
}

// HostOf returns node itself: its kubelet and host-network pods.
func HostOf(node Node) Endpoint {
	return Endpoint{Kind: KindNode, Name: "node " + node.Name, Node: node}
}

// NodeLocalDNSOn returns NodeLocal DNSCache on node.
func NodeLocalDNSOn(node Node) Endpoint {
	return Endpoint{Kind: KindNodeLocalDNS, Name: "NodeLocal DNSCache on " + node.Name, Node: node}
}

// PodIdentityAgentOn returns the EKS Pod Identity agent on node: a
// host-network pod listening on 169.254.170.23 (TCP 80 for credentials,
// 2703 for its health probes; EKS User Guide, pod-id-agent-setup).
func PodIdentityAgentOn(node Node) Endpoint {
	return LinkLocalOn("the EKS Pod Identity agent on "+node.Name, PodIdentityAgentAddr(), node)
}

// LinkLocalOn returns a host-network service on node listening on addr,
// which must lie in 169.254.0.0/16.
func LinkLocalOn(name string, addr netip.Addr, node Node) Endpoint {
	if name == "" {
		name = addr.String() + " on " + node.Name
	}
	return Endpoint{Kind: KindLinkLocal, Name: name, Node: node, Addr: netip.PrefixFrom(addr, addr.BitLen())}
}

// IMDSOf returns the instance metadata service of node's instance.
func IMDSOf(node Node) Endpoint {
	return Endpoint{Kind: KindIMDS, Name: "the instance metadata service of " + node.Name, Node: node,
		Addr: netip.PrefixFrom(IMDSAddr(), 32)}
}

// Resolver returns the VPC's Amazon-provided DNS server.
func Resolver() Endpoint { return Endpoint{Kind: KindVPCResolver, Name: "the VPC resolver"} }

// VPCHost returns an interface in the VPC outside the cluster carrying
// groups, with its address in addr (zero: somewhere in the VPC).
func VPCHost(name string, groups branch.GroupSet, addr netip.Prefix) Endpoint {
	return Endpoint{Kind: KindVPCHost, Name: name, Groups: groups, Addr: addr}
}

// InternetHost returns an address outside the VPC in addr; the zero
// prefix means any address on the internet.
func InternetHost(name string, addr netip.Prefix) Endpoint {
	if name == "" {
		name = "the internet"
		if addr.IsValid() {
			name = addr.String()
		}
	}
	return Endpoint{Kind: KindInternet, Name: name, Addr: addr}
}

// String returns the endpoint's name.
func (e Endpoint) String() string { return e.Name }

// NodeLocalDNSAddr is the link-local address NodeLocal DNSCache listens
// on by default (kubernetes/dns nodelocaldns manifest).
func NodeLocalDNSAddr() netip.Addr { return netip.AddrFrom4([4]byte{169, 254, 20, 10}) }

// PodIdentityAgentAddr is the link-local address the EKS Pod Identity
// agent listens on in IPv4 clusters (EKS User Guide, pod-id-agent-setup;
// fd00:ec2::23 in IPv6 clusters, which the package does not model).
func PodIdentityAgentAddr() netip.Addr { return netip.AddrFrom4([4]byte{169, 254, 170, 23}) }

// IMDSAddr is the instance metadata service's IPv4 address (EC2 User
// Guide, configuring-instance-metadata-options).
func IMDSAddr() netip.Addr { return netip.AddrFrom4([4]byte{169, 254, 169, 254}) }

// LinkLocalBlock is 169.254.0.0/16, the IPv4 link-local block (RFC 3927):
// its addresses are never routed off the link they are on.
func LinkLocalBlock() netip.Prefix {
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{169, 254, 0, 0}), 16)
}

// groups returns the groups on the interface e sends and receives
// through; none for kinds without one.
func (e Endpoint) groups() branch.GroupSet {
	switch e.Kind {
	case KindBranchPod, KindVPCHost:
		return e.Groups
	case KindPod, KindNode:
		return e.Node.Groups
	}
	return branch.GroupSet{}
}

// iface names the interface whose groups judge e's traffic.
func (e Endpoint) iface() string {
	switch e.Kind {
	case KindBranchPod:
		return "branch ENI of " + e.Name
	case KindPod:
		return "ENI of node " + e.Node.Name + " holding " + e.Name + "'s secondary IP"
	case KindNode:
		return "primary ENI of node " + e.Node.Name
	case KindVPCHost:
		return "ENI of " + e.Name
	}
	return e.Name
}

// sameNode reports whether a and b run on one node.
func sameNode(a, b Endpoint) bool {
	return a.Kind.onNode() && b.Kind.onNode() && a.Node.Name == b.Node.Name
}
