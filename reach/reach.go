package reach

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/cni"
)

// Path is how a flow travels, which decides what judges it. The zero
// value is not a path.
type Path uint8

const (
	// PathVPC crosses the VPC: the sender's outbound rules and the
	// receiver's inbound rules judge it.
	PathVPC Path = 1 + iota
	// PathNode stays on one node and never reaches an ENI: no group
	// judges it.
	PathNode
	// PathSNAT leaves the VPC through the node's primary ENI with its
	// source rewritten to the node's address: the node's groups judge it,
	// not the pod's.
	PathSNAT
	// PathUnfiltered reaches a service that groups do not filter: the
	// VPC resolver, or (an assumption) the instance metadata service.
	PathUnfiltered
	// PathNone has no route: the packet cannot arrive whatever the rules.
	PathNone
)

var pathNames = [...]string{PathVPC: "vpc", PathNode: "node", PathSNAT: "snat", PathUnfiltered: "unfiltered", PathNone: "none"}

// String returns "vpc", "node", "snat", "unfiltered" or "none".
func (p Path) String() string {
	if p >= PathVPC && p <= PathNone {
		return pathNames[p]
	}
	return "Path(" + strconv.Itoa(int(p)) + ")"
}

// MarshalText implements encoding.TextMarshaler.
func (p Path) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// CheckKind is what a [Check] examined. The zero value is not a kind.
type CheckKind uint8

const (
	// CheckEgress is the sender's outbound rules.
	CheckEgress CheckKind = 1 + iota
	// CheckIngress is the receiver's inbound rules.
	CheckIngress
	// CheckEarlyDemux is the node's TCP early demux setting, which decides
	// whether its own TCP connections to a branch pod survive in strict
	// mode.
	CheckEarlyDemux
	// CheckRoute is whether a route exists at all.
	CheckRoute
)

var checkNames = [...]string{CheckEgress: "egress", CheckIngress: "ingress", CheckEarlyDemux: "early-demux", CheckRoute: "route"}

// String returns "egress", "ingress", "early-demux" or "route".
func (k CheckKind) String() string {
	if k >= CheckEgress && k <= CheckRoute {
		return checkNames[k]
	}
	return "CheckKind(" + strconv.Itoa(int(k)) + ")"
}

// MarshalText implements encoding.TextMarshaler.
func (k CheckKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// NoRoute says why a flow has no route. The zero value means it has one.
type NoRoute uint8

const (
	// NoRouteStrictLinkLocal: in strict mode a branch pod's traffic uses
	// its VLAN route table even to link-local addresses, so it leaves
	// through the trunk and never reaches NodeLocal DNSCache, the EKS Pod
	// Identity agent or any other service on the node's link-local
	// addresses.
	NoRouteStrictLinkLocal NoRoute = 1 + iota
	// NoRouteOtherNode: a link-local address exists only on its own node.
	NoRouteOtherNode
	// NoRoutePublicSubnet: a private address without SNAT cannot use a
	// public subnet's internet gateway.
	NoRoutePublicSubnet
	// NoRouteIsolatedSubnet: the subnet has no route out of the VPC.
	NoRouteIsolatedSubnet
	// NoRouteNotDNS: the VPC resolver answers DNS on port 53 only.
	NoRouteNotDNS
	// NoRouteOutsideVPC: the VPC resolver answers only inside the VPC.
	NoRouteOutsideVPC
	// NoRouteNotIMDS: the instance metadata service answers HTTP on TCP
	// port 80 only.
	NoRouteNotIMDS
)

var noRouteNames = [...]string{NoRouteStrictLinkLocal: "strict-link-local", NoRouteOtherNode: "other-node",
	NoRoutePublicSubnet: "public-subnet", NoRouteIsolatedSubnet: "isolated-subnet", NoRouteNotDNS: "not-dns", NoRouteOutsideVPC: "outside-vpc",
	NoRouteNotIMDS: "not-imds"}

// String returns a short name such as "public-subnet"; "" for the zero value.
func (n NoRoute) String() string {
	if n >= NoRouteStrictLinkLocal && n <= NoRouteNotIMDS {
		return noRouteNames[n]
	}
	if n == 0 {
		return ""
	}
	return "NoRoute(" + strconv.Itoa(int(n)) + ")"
}

// MarshalText implements encoding.TextMarshaler.
func (n NoRoute) MarshalText() ([]byte, error) { return []byte(n.String()), nil }

// detail says in a few words why there is no route; the verdict's Route
// gives the whole reason.
func (n NoRoute) detail() string {
	switch n {
	case NoRouteStrictLinkLocal:
		return "no route: strict mode sends the branch pod's traffic for the link-local address out through the trunk"
	case NoRouteOtherNode:
		return "no route: the link-local address exists only on its own node"
	case NoRoutePublicSubnet:
		return "no route: a pod's own address cannot leave through a public subnet's internet gateway"
	case NoRouteIsolatedSubnet:
		return "no route: the subnet has no route out of the VPC"
	case NoRouteNotDNS:
		return "no route: the VPC resolver answers DNS on port 53 only"
	case NoRouteOutsideVPC:
		return "no route: the VPC resolver answers only inside the VPC"
	case NoRouteNotIMDS:
		return "no route: the instance metadata service answers http on tcp 80 only"
	}
	return "no route"
}

// Match locates one rule: the group, the direction and the position in
// that group's list, from 0.
type Match struct {
	Group     branch.SecurityGroupID
	Direction Direction
	Index     int
	Rule      Rule
}

// String reads, for example, "sg-0123abcd ingress[2]: tcp 5432 from sg-0456cdef".
func (m Match) String() string {
	return m.Group.String() + " " + m.Direction.String() + "[" + strconv.Itoa(m.Index) + "]: " + m.Rule.describe(m.Direction)
}

// Check is one thing a [Verdict] examined, with its outcome.
type Check struct {
	// Kind is what was examined.
	Kind CheckKind
	// Passed reports the outcome.
	Passed bool
	// Interface names the ENI (or node) examined, such as "branch ENI of web".
	Interface string
	// Groups are the groups whose rules were read, for egress and
	// ingress checks.
	Groups branch.GroupSet
	// Match is the rule that allowed the flow, for a passed egress or
	// ingress check: the first in canonical group order, then list order.
	Match Match
	// NearMisses are, for a failed egress or ingress check, rules that
	// allow the protocol and port but not this peer (at most three).
	NearMisses []Match
	// NoRoute says why there is no route, for a failed route check.
	NoRoute NoRoute
	// Detail says what was found, in words.
	Detail string
}

// Verdict is the answer to "can From reach To on Protocol/Port", with
// everything that decided it.
type Verdict struct {
	// Allowed reports whether the flow gets through. Replies to an allowed
	// flow always get back: groups are stateful.
	Allowed bool
	// From, To, Protocol and Port are the flow judged.
	From, To Endpoint
	Protocol Protocol
	Port     uint16
	// Mode is the enforcing mode in force.
	Mode cni.EnforcingMode
	// ModeMatters reports whether the other mode would send the flow
	// along another path, so the mode decided the verdict.
	ModeMatters bool
	// Path is how the flow travels.
	Path Path
	// Route explains the path, naming the setting and the upstream
	// behaviour behind it.
	Route string
	// Checks are every check made, in order; a denied verdict's failed
	// checks are all of its reasons.
	Checks []Check
}

// Failed returns the checks that did not pass.
func (v Verdict) Failed() []Check {
	var out []Check
	for _, c := range v.Checks {
		if !c.Passed {
			out = append(out, c)
		}
	}
	return out
}

// Flow returns the flow in words, such as "web → db tcp 5432".
func (v Verdict) Flow() string {
	s := v.From.Name + " → " + v.To.Name + " " + v.Protocol.String()
	if v.Protocol.hasPorts() {
		s += " " + strconv.Itoa(int(v.Port))
	}
	return s
}

// String returns the flow and the outcome on one line.
func (v Verdict) String() string {
	if v.Allowed {
		return v.Flow() + ": allowed"
	}
	return v.Flow() + ": denied"
}

// Explain returns the verdict on several lines: the outcome, the mode and
// path with why, then each check.
func (v Verdict) Explain() string {
	var b strings.Builder
	b.WriteString(v.String())
	b.WriteString("\n  mode: " + v.Mode.String())
	if v.ModeMatters {
		b.WriteString(" (this decided the path)")
	} else {
		b.WriteString(" (either mode gives this path)")
	}
	b.WriteString("\n  path: " + v.Path.String() + ": " + v.Route + "\n")
	for _, c := range v.Checks {
		mark := "[pass]"
		if !c.Passed {
			mark = "[FAIL]"
		}
		b.WriteString("  " + mark + " " + c.String() + "\n")
		for _, nm := range c.NearMisses {
			b.WriteString("         near miss: " + nm.String() + "\n")
		}
	}
	return b.String()
}

// String returns the check on one line, without its near misses.
func (c Check) String() string {
	switch c.Kind {
	case CheckEgress, CheckIngress:
		s := c.Kind.String() + " of " + c.Interface + " " + c.Groups.String() + ": "
		if c.Passed {
			return s + "allowed by " + c.Match.String()
		}
		return s + c.Detail
	}
	return c.Kind.String() + ": " + c.Detail
}

// Reach reports whether from can open a flow to to on proto and port
// (a destination port for TCP and UDP, 0 for ICMP), and why. It fails
// with an [*EndpointError] for an endpoint or flow that cannot exist, a
// [*GroupError] for a group the model does not hold, and a
// [*branch.QuotaError] for an interface with more groups than the quota.
func (m *Model) Reach(from, to Endpoint, proto Protocol, port uint16) (Verdict, error) {
	if err := m.checkFlow(from, to, proto, port); err != nil {
		return Verdict{}, err
	}
	return m.evaluate(from, to, proto, port), nil
}

// plan is the route a flow takes and what must be checked on it.
type plan struct {
	path    Path
	why     string
	noRoute NoRoute
	// sender is whose interface the egress rules are read from (the node
	// for SNATed traffic); zero Kind means no egress check.
	sender Endpoint
	// ingress is set when the receiver's inbound rules apply.
	ingress bool
	// earlyDemux is set when the node's own TCP connection to a branch
	// pod returns through the trunk.
	earlyDemux bool
}

func (m *Model) route(from, to Endpoint, proto Protocol, port uint16, mode cni.EnforcingMode) plan {
	none := func(n NoRoute, why string) plan { return plan{path: PathNone, noRoute: n, why: why} }
	switch {
	case to.Kind == KindVPCResolver:
		if from.Kind == KindInternet {
			return none(NoRouteOutsideVPC, "the Amazon-provided resolver answers only inside the VPC")
		}
		if proto == ICMP || port != 53 {
			return none(NoRouteNotDNS, "the Amazon-provided resolver answers DNS on port 53 only")
		}
		return plan{path: PathUnfiltered, why: "DNS to the Amazon-provided resolver (the VPC base address plus two) is never filtered by security groups"}
	case to.Kind == KindNodeLocalDNS:
		if !sameNode(from, to) {
			return none(NoRouteOtherNode, "NodeLocal DNSCache listens on a link-local address that exists only on its own node")
		}
		if from.Kind == KindBranchPod && mode == cni.Strict {
			return none(NoRouteStrictLinkLocal, "strict mode routes everything from a branch pod, link-local addresses included, "+
				"through its VLAN table and out of the trunk (the local table is moved below the VLAN rules, "+
				"pkg/networkutils/network.go), so the node's link-local cache is unreachable; standard mode (CNI v1.11.0+) "+
				"is required (CNI#1384)")
		}
		why := "the link-local address is on this node; no security group applies"
		if from.Kind == KindBranchPod {
			why = "standard mode keeps the local route table first, so the pod reaches the node's link-local cache " +
				"without leaving the node; no security group applies"
		}
		return plan{path: PathNode, why: why}
	case to.Kind == KindLinkLocal:
		return routeLinkLocal(from, to, mode)
	case to.Kind == KindIMDS:
		return m.routeIMDS(from, to, proto, port, mode)
	case from.Kind == KindInternet:
		return plan{path: PathVPC, ingress: true, why: "from outside the VPC (through a load balancer that keeps the client's " +
			"address): only the receiver's inbound rules apply"}
	case to.Kind == KindInternet:
		return m.routeOut(from, mode)
	case sameNode(from, to):
		branchPod := from.Kind == KindBranchPod || to.Kind == KindBranchPod
		switch {
		case branchPod && mode == cni.Strict:
			p := plan{path: PathVPC, sender: from, ingress: true,
				why: "strict mode sends a branch pod's traffic out through the trunk ENI and back through the VPC even on " +
					"its own node, so groups judge it (VLAN rules at priority 10 come before the local table at 20, " +
					"pkg/networkutils/network.go)"}
			p.earlyDemux = from.Kind == KindNode && to.Kind == KindBranchPod && proto == TCP
			return p
		case branchPod:
			return plan{path: PathNode, why: "standard mode routes traffic between a branch pod and its own node " +
				"(its pods, kubelet, host network) on the node: the pod's route is in the main table " +
				"(rule priority 512, cmd/routed-eni-cni-plugin/driver/driver.go), and no security group applies"}
		}
		return plan{path: PathNode, why: "ordinary pods and their node share the host's routes; same-node traffic never " +
			"reaches an ENI and no security group applies"}
	}
	why := "traffic between different hosts crosses the VPC in either mode: the sender's outbound and the " +
		"receiver's inbound rules apply"
	if from.Kind == KindVPCHost || to.Kind == KindVPCHost {
		why = "through the VPC: the sender's outbound and the receiver's inbound rules apply"
	}
	return plan{path: PathVPC, sender: from, ingress: true, why: why}
}

// routeLinkLocal plans a flow to a host-network service on a node's
// link-local address, such as the EKS Pod Identity agent.
func routeLinkLocal(from, to Endpoint, mode cni.EnforcingMode) plan {
	addr := to.Addr.Addr().String()
	if !sameNode(from, to) {
		return plan{path: PathNone, noRoute: NoRouteOtherNode,
			why: to.Name + " listens on the link-local " + addr + ", which exists only on its own node"}
	}
	if from.Kind == KindBranchPod && mode == cni.Strict {
		return plan{path: PathNone, noRoute: NoRouteStrictLinkLocal,
			why: "strict mode routes everything from a branch pod, link-local addresses included, through its VLAN table " +
				"and out of the trunk (rules at priority 10 send the pod's host veth to the VLAN table, whose default route " +
				"is the subnet gateway; the local table is moved to priority 20, pkg/networkutils/network.go, " +
				"cmd/routed-eni-cni-plugin/driver/driver.go), and a link-local packet is never routed back to the node, so " +
				to.Name + " on " + addr + " is unreachable; no CNI release through v1.23.2 makes an exception for " +
				"link-local addresses (PR #3148 proposes one); standard mode (CNI v1.11.0+) is required (CNI#2797)"}
	}
	why := "the link-local address is on this node; no security group applies"
	if from.Kind == KindBranchPod {
		why = "standard mode keeps the local route table first (priority 0), so the pod reaches " + addr +
			" on its node without leaving it; no security group applies"
	}
	return plan{path: PathNode, why: why}
}

// routeIMDS plans a flow to the instance metadata service. That the
// Nitro system answers it on a branch ENI, and that groups do not filter
// it, are the model's assumptions: no upstream document says either for
// branch ENIs.
func (m *Model) routeIMDS(from, to Endpoint, proto Protocol, port uint16, mode cni.EnforcingMode) plan {
	if !sameNode(from, to) {
		return plan{path: PathNone, noRoute: NoRouteOtherNode,
			why: "the instance metadata service at " + IMDSAddr().String() + " answers only its own instance's interfaces"}
	}
	if proto != TCP || port != 80 {
		return plan{path: PathNone, noRoute: NoRouteNotIMDS, why: "the instance metadata service answers http on tcp 80 only"}
	}
	const assumed = "; assumed (no upstream document says so for branch ENIs): the instance's Nitro system answers " +
		"the metadata service on every interface of the instance, and security groups do not filter it, as they do " +
		"not filter the VPC resolver"
	switch {
	case from.Kind != KindBranchPod:
		return plan{path: PathUnfiltered, why: "the request leaves from the node's own interfaces to its instance's " +
			"metadata service; security groups do not filter it (an assumption)"}
	case mode == cni.Standard && !m.cfg.ExternalSNAT:
		return plan{path: PathUnfiltered, why: "standard mode with AWS_VPC_K8S_CNI_EXTERNALSNAT=false: the address is " +
			"outside the VPC, so the request is connmarked, routed out of eth0 and SNATed to the node's primary address " +
			"(pkg/networkutils/network.go)" + assumed}
	case mode == cni.Standard:
		return plan{path: PathUnfiltered, why: "standard mode with AWS_VPC_K8S_CNI_EXTERNALSNAT=true: the pod's rule at " +
			"priority 1536 sends the request out through its VLAN and the trunk as the branch ENI's " +
			"(cmd/routed-eni-cni-plugin/driver/driver.go)" + assumed}
	}
	return plan{path: PathUnfiltered, why: "strict mode sends the request out through the pod's VLAN and the trunk as " +
		"the branch ENI's, like the rest of its traffic (VLAN rules at priority 10, pkg/networkutils/network.go)" + assumed}
}

// routeOut plans a flow from inside the VPC to the internet.
func (m *Model) routeOut(from Endpoint, mode cni.EnforcingMode) plan {
	if from.Kind == KindVPCHost {
		return plan{path: PathVPC, sender: from, why: "leaves the VPC from the host's own ENI (its subnet is not modelled; " +
			"it is assumed to have a way out): its outbound rules apply"}
	}
	p := plan{path: PathVPC, sender: from}
	ownAddress := true
	switch {
	case from.Kind == KindNode:
		ownAddress = false
		p.why = "the node's own traffic leaves from its primary ENI"
	case from.Kind == KindPod && !m.cfg.ExternalSNAT:
		p.path, p.sender, ownAddress = PathSNAT, HostOf(from.Node), false
		p.why = "the CNI SNATs an ordinary pod's traffic leaving the VPC to the node's primary address, " +
			"so the primary ENI's groups apply"
	case from.Kind == KindPod:
		p.why = "AWS_VPC_K8S_CNI_EXTERNALSNAT=true: the pod's own address leaves the node unchanged"
	case mode == cni.Standard && !m.cfg.ExternalSNAT:
		p.path, p.sender, ownAddress = PathSNAT, HostOf(from.Node), false
		p.why = "standard mode with AWS_VPC_K8S_CNI_EXTERNALSNAT=false: traffic leaving the VPC is connmarked, " +
			"routed out of eth0 and SNATed to the node's primary address, so only the primary ENI's groups apply, " +
			"not the pod's (CNI README; pkg/networkutils/network.go)"
	case mode == cni.Standard:
		p.why = "AWS_VPC_K8S_CNI_EXTERNALSNAT=true: nothing on the node SNATs it, so the pod's own address leaves " +
			"through its branch ENI, whose groups apply"
	default:
		p.why = "strict mode: the SNAT rule skips vlan interfaces (! -o vlan+, pkg/networkutils/network.go), so the " +
			"pod's own address leaves through the trunk and its branch ENI's groups apply"
	}
	switch kind := from.Node.Subnet.kind(); {
	case kind == Isolated:
		return plan{path: PathNone, noRoute: NoRouteIsolatedSubnet,
			why: "the node's subnet " + subnetName(from.Node) + " has no route out of the VPC"}
	case kind == Public && ownAddress:
		return plan{path: PathNone, noRoute: NoRoutePublicSubnet,
			why: p.why + "; but the subnet " + subnetName(from.Node) + " is public: its internet gateway translates " +
				"only addresses with a public IPv4 address, which a pod's address never has (the EKS guide: " +
				"security-group pods in strict mode need private subnets with a NAT gateway)"}
	case kind == Public:
		p.why += "; the internet gateway translates the node's public address"
	default:
		p.why += "; the private subnet's NAT gateway takes it out"
	}
	return p
}

func subnetName(n Node) string {
	if n.Subnet.CIDR.IsValid() {
		return n.Subnet.CIDR.String()
	}
	return "of node " + n.Name
}

func (m *Model) evaluate(from, to Endpoint, proto Protocol, port uint16) Verdict {
	p := m.route(from, to, proto, port, m.mode)
	other := cni.Standard
	if m.mode == cni.Standard {
		other = cni.Strict
	}
	q := m.route(from, to, proto, port, other)
	v := Verdict{From: from, To: to, Protocol: proto, Port: port, Mode: m.mode, Path: p.path, Route: p.why,
		ModeMatters: q.path != p.path || q.sender.Kind != p.sender.Kind || q.earlyDemux != p.earlyDemux}
	if p.path == PathNone {
		v.Checks = []Check{{Kind: CheckRoute, NoRoute: p.noRoute, Detail: p.noRoute.detail()}}
		return v
	}
	if p.sender.Kind != 0 {
		v.Checks = append(v.Checks, m.judge(Egress, p.sender, to, proto, port))
	}
	if p.ingress {
		v.Checks = append(v.Checks, m.judge(Ingress, to, from, proto, port))
	}
	if p.earlyDemux {
		c := Check{Kind: CheckEarlyDemux, Passed: m.cfg.DisableTCPEarlyDemux, Interface: "node " + from.Node.Name}
		if c.Passed {
			c.Detail = "DISABLE_TCP_EARLY_DEMUX=true: the node's TCP packets that come back through the trunk are delivered"
		} else {
			c.Detail = "DISABLE_TCP_EARLY_DEMUX is not set: in strict mode the node's TCP connections to its own " +
				"branch pods go out through eth0 and come back through the trunk, and TCP early demux drops them, " +
				"so TCP and HTTP probes fail (CNI PR #1212, issues #1260 and #1269)"
		}
		v.Checks = append(v.Checks, c)
	}
	v.Allowed = true
	for _, c := range v.Checks {
		v.Allowed = v.Allowed && c.Passed
	}
	return v
}

// judge reads holder's rules in direction d for a flow whose other end is
// peer.
func (m *Model) judge(d Direction, holder, peer Endpoint, proto Protocol, port uint16) Check {
	kind := CheckIngress
	if d == Egress {
		kind = CheckEgress
	}
	groups := holder.groups()
	c := Check{Kind: kind, Interface: holder.iface(), Groups: groups}
	peerGroups := peer.groups()
	addr, known := m.address(peer)
	for id := range groups.All() {
		g := m.groups[id]
		for i, r := range g.Rules(d) {
			if !r.allows(proto, port) {
				continue
			}
			if peerMatches(r.Peer, peerGroups, addr) {
				c.Passed, c.Match = true, Match{Group: id, Direction: d, Index: i, Rule: r}
				return c
			}
			if len(c.NearMisses) < 3 {
				c.NearMisses = append(c.NearMisses, Match{Group: id, Direction: d, Index: i, Rule: r})
			}
		}
	}
	if groups.Len() == 0 {
		c.Detail = "the interface carries no security groups, so nothing is allowed"
		return c
	}
	toFrom := " to "
	if d == Ingress {
		toFrom = " from "
	}
	what := proto.String()
	if proto.hasPorts() {
		what += " " + strconv.Itoa(int(port))
	}
	c.Detail = "no rule allows " + what + toFrom + describePeer(peer, peerGroups, addr, known)
	return c
}

// peerMatches reports whether a rule's peer covers every address the
// other end may use: a group peer matches interfaces carrying the group;
// a CIDR peer must contain the whole range the address lies in.
func peerMatches(p Peer, groups branch.GroupSet, addr netip.Prefix) bool {
	if p.IsGroup() {
		return groups.Contains(p.group)
	}
	return p.cidr.Bits() <= addr.Bits() && p.cidr.Contains(addr.Addr())
}

func describePeer(e Endpoint, groups branch.GroupSet, addr netip.Prefix, known bool) string {
	s := e.Name
	if groups.Len() > 0 {
		s += " " + groups.String()
	}
	switch {
	case known:
		s += " at " + addr.String()
	case e.Kind == KindInternet:
		s += " (any address)"
	default:
		s += " (address unknown: give the subnet or VPC CIDR, or only 0.0.0.0/0 covers it)"
	}
	return s
}
