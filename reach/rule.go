package reach

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/trunksim/trunksim/branch"
)

// Protocol is an IP protocol as a security-group rule names it. The zero
// value is not a protocol.
type Protocol uint8

const (
	// TCP is IP protocol 6.
	TCP Protocol = 1 + iota
	// UDP is IP protocol 17.
	UDP
	// ICMP is IP protocol 1. Rules for it allow every ICMP type and code:
	// the model does not filter by type.
	ICMP
	// AllProtocols is EC2's protocol "-1": a rule for it allows every
	// protocol on every port. It names rules only; a flow has one real
	// protocol.
	AllProtocols
)

var protocolNames = [...]string{TCP: "tcp", UDP: "udp", ICMP: "icmp", AllProtocols: "all"}

// String returns "tcp", "udp", "icmp" or "all".
func (p Protocol) String() string {
	if p >= TCP && p <= AllProtocols {
		return protocolNames[p]
	}
	return "Protocol(" + strconv.Itoa(int(p)) + ")"
}

// IsValid reports whether p is one of the four protocols.
func (p Protocol) IsValid() bool { return p >= TCP && p <= AllProtocols }

// Number returns the protocol as EC2's IpProtocol field spells it: "6",
// "17", "1" or "-1".
func (p Protocol) Number() string {
	switch p {
	case TCP:
		return "6"
	case UDP:
		return "17"
	case ICMP:
		return "1"
	case AllProtocols:
		return "-1"
	}
	return ""
}

// hasPorts reports whether rules for p carry a port range.
func (p Protocol) hasPorts() bool { return p == TCP || p == UDP }

// ParseProtocol accepts the names [Protocol.String] returns and the
// numbers EC2 uses for them ("6", "17", "1", "-1").
func ParseProtocol(s string) (Protocol, error) {
	for p := TCP; p <= AllProtocols; p++ {
		if s == p.String() || s == p.Number() {
			return p, nil
		}
	}
	return 0, fmt.Errorf("%w: unknown protocol %q (want tcp, udp, icmp or all)", ErrInvalidRule, s)
}

// MarshalText implements encoding.TextMarshaler.
func (p Protocol) MarshalText() ([]byte, error) {
	if !p.IsValid() {
		return nil, fmt.Errorf("%w: cannot marshal %v", ErrInvalidRule, p)
	}
	return []byte(p.String()), nil
}

// PortRange is an inclusive range of destination ports, as a TCP or UDP
// rule carries one (EC2 filters on destination ports only). The zero
// PortRange is not a range; [AllPorts] is 0-65535.
type PortRange struct {
	From, To uint16
}

// AllPorts returns the range EC2 writes for "all ports", 0-65535.
func AllPorts() PortRange { return PortRange{0, 65535} }

// Port returns the range holding only p.
func Port(p uint16) PortRange { return PortRange{p, p} }

// IsValid reports whether r is a range: From at most To, and not the
// zero value.
func (r PortRange) IsValid() bool { return r.From <= r.To && r.To > 0 }

// Contains reports whether p lies in r.
func (r PortRange) Contains(p uint16) bool { return r.From <= p && p <= r.To }

// String returns "5432", "8000-8100" or "all ports".
func (r PortRange) String() string {
	switch {
	case r == AllPorts():
		return "all ports"
	case r.From == r.To:
		return strconv.Itoa(int(r.From))
	}
	return strconv.Itoa(int(r.From)) + "-" + strconv.Itoa(int(r.To))
}

// Direction says whether a rule admits traffic into or out of an
// interface. The zero value is not a direction.
type Direction uint8

const (
	// Ingress rules admit traffic arriving at the interface.
	Ingress Direction = 1 + iota
	// Egress rules admit traffic leaving it.
	Egress
)

// String returns "ingress" or "egress".
func (d Direction) String() string {
	switch d {
	case Ingress:
		return "ingress"
	case Egress:
		return "egress"
	}
	return "Direction(" + strconv.Itoa(int(d)) + ")"
}

// MarshalText implements encoding.TextMarshaler.
func (d Direction) MarshalText() ([]byte, error) {
	if d != Ingress && d != Egress {
		return nil, fmt.Errorf("%w: cannot marshal %v", ErrInvalidRule, d)
	}
	return []byte(d.String()), nil
}

// Peer is the other end a rule names: an IPv4 CIDR block or a referenced
// security group. A group peer matches traffic from or to the private
// addresses of interfaces that carry the group, and nothing else: the
// referencing group gains none of the referenced group's rules. The zero
// Peer is not valid.
type Peer struct {
	cidr  netip.Prefix
	group branch.SecurityGroupID
}

// CIDRPeer returns the peer for the addresses in p. It is valid when p is
// a valid IPv4 prefix with no host bits set, as EC2 requires.
func CIDRPeer(p netip.Prefix) Peer { return Peer{cidr: p} }

// GroupPeer returns the peer for the interfaces carrying id.
func GroupPeer(id branch.SecurityGroupID) Peer { return Peer{group: id} }

// ParsePeer reads "10.0.0.0/16" or "sg-0123456789abcdef0".
func ParsePeer(s string) (Peer, error) {
	if strings.HasPrefix(s, "sg-") {
		id, err := branch.ParseSecurityGroupID(s)
		if err != nil {
			return Peer{}, fmt.Errorf("%w: %v", ErrInvalidRule, err)
		}
		return GroupPeer(id), nil
	}
	p, err := ParseCIDR(s)
	if err != nil {
		return Peer{}, err
	}
	return CIDRPeer(p), nil
}

// ParseCIDR reads an IPv4 CIDR block such as "10.0.0.0/16" and refuses
// what EC2 refuses: IPv6, a bare address, host bits set.
func ParseCIDR(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%w: %q is not a CIDR block such as 10.0.0.0/16", ErrInvalidRule, s)
	}
	if why := cidrProblem(p); why != "" {
		return netip.Prefix{}, fmt.Errorf("%w: %s", ErrInvalidRule, why)
	}
	return p, nil
}

// cidrProblem says why p is not an IPv4 CIDR block EC2 accepts; "" if it
// is one.
func cidrProblem(p netip.Prefix) string {
	switch {
	case !p.IsValid():
		return "not a CIDR block"
	case !p.Addr().Is4():
		return p.String() + " is not IPv4 (IPv6 rules are not modelled)"
	case p.Masked() != p:
		return p.String() + " has host bits set; want " + p.Masked().String()
	}
	return ""
}

// IsValid reports whether p names exactly one valid CIDR block or group.
func (p Peer) IsValid() bool {
	if p.group.IsValid() {
		return !p.cidr.IsValid()
	}
	return cidrProblem(p.cidr) == ""
}

// IsGroup reports whether p names a security group.
func (p Peer) IsGroup() bool { return p.group.IsValid() }

// Group returns the referenced group; the zero ID for a CIDR peer.
func (p Peer) Group() branch.SecurityGroupID { return p.group }

// CIDR returns the CIDR block; the zero Prefix for a group peer.
func (p Peer) CIDR() netip.Prefix { return p.cidr }

// String returns the CIDR block or the group ID, or "invalid Peer".
func (p Peer) String() string {
	switch {
	case !p.IsValid():
		return "invalid Peer"
	case p.IsGroup():
		return p.group.String()
	}
	return p.cidr.String()
}

// MarshalText implements encoding.TextMarshaler.
func (p Peer) MarshalText() ([]byte, error) {
	if !p.IsValid() {
		return nil, fmt.Errorf("%w: cannot marshal an invalid Peer", ErrInvalidRule)
	}
	return []byte(p.String()), nil
}

// Rule is one allow rule of a security group. There are no deny rules:
// traffic that no rule allows is dropped.
type Rule struct {
	// Protocol is the protocol the rule allows.
	Protocol Protocol
	// Ports is the destination port range, for TCP and UDP only; it must
	// be the zero PortRange for ICMP and AllProtocols.
	Ports PortRange
	// Peer is the source of an ingress rule or the destination of an
	// egress rule.
	Peer Peer
	// Description is free text for people, as EC2 keeps it.
	Description string
}

// AllowAllEgress returns the rule EC2 puts in every new group's outbound
// list: every protocol to 0.0.0.0/0.
func AllowAllEgress() Rule {
	return Rule{Protocol: AllProtocols, Peer: CIDRPeer(netip.PrefixFrom(netip.IPv4Unspecified(), 0))}
}

// problem says why EC2 would refuse r; "" when it would not.
func (r Rule) problem() string {
	switch {
	case !r.Protocol.IsValid():
		return "protocol " + r.Protocol.String() + ": want tcp, udp, icmp or all"
	case r.Protocol.hasPorts() && !r.Ports.IsValid():
		return r.Protocol.String() + " needs a port range such as 443 or 8000-8100"
	case !r.Protocol.hasPorts() && r.Ports != (PortRange{}):
		return r.Protocol.String() + " rules take no port range (ICMP types are not modelled)"
	case !r.Peer.IsValid():
		if r.Peer.cidr.IsValid() && !r.Peer.group.IsValid() {
			return cidrProblem(r.Peer.cidr)
		}
		return "needs exactly one peer: a CIDR block or a security group"
	}
	return ""
}

// allows reports whether r admits proto to port, whoever the peer.
func (r Rule) allows(proto Protocol, port uint16) bool {
	switch {
	case r.Protocol == AllProtocols:
		return true
	case r.Protocol != proto:
		return false
	case proto.hasPorts():
		return r.Ports.Contains(port)
	}
	return true
}

// String returns the rule without its direction, such as
// "tcp 5432 sg-0123abcd" or "all 0.0.0.0/0".
func (r Rule) String() string {
	s := r.Protocol.String()
	if r.Protocol.hasPorts() {
		s += " " + r.Ports.String()
	}
	return s + " " + r.Peer.String()
}

// describe returns the rule as read from its direction: "tcp 5432 from
// sg-0123abcd" for ingress, "... to ..." for egress.
func (r Rule) describe(d Direction) string {
	s := r.Protocol.String()
	if r.Protocol.hasPorts() {
		s += " " + r.Ports.String()
	}
	if d == Ingress {
		return s + " from " + r.Peer.String()
	}
	return s + " to " + r.Peer.String()
}

// sameEffect reports whether EC2 would call a and b the same rule, which
// it refuses to hold twice (InvalidPermission.Duplicate); the description
// does not count.
func (r Rule) sameEffect(o Rule) bool {
	return r.Protocol == o.Protocol && r.Ports == o.Ports && r.Peer == o.Peer
}

// Group is a security group: an ID, a name for people, and its inbound
// and outbound allow rules. Several groups on one interface apply as the
// union of their rules.
type Group struct {
	// ID is the group's ID.
	ID branch.SecurityGroupID
	// Name is for people; it may be empty.
	Name string
	// Ingress and Egress are the inbound and outbound rules.
	Ingress, Egress []Rule
}

// NewGroup returns a group as EC2 creates it: no inbound rules and one
// outbound rule allowing everything ([AllowAllEgress]). (A VPC's default
// group also admits its own members; that is a rule a caller adds.)
func NewGroup(id branch.SecurityGroupID, name string) Group {
	return Group{ID: id, Name: name, Egress: []Rule{AllowAllEgress()}}
}

// Rules returns the list for d.
func (g Group) Rules(d Direction) []Rule {
	if d == Ingress {
		return g.Ingress
	}
	return g.Egress
}

// Validate checks the group as EC2 would: a valid ID, and rules that
// pass each check of [Rule] with none repeated. The quota is checked by
// [Quotas.CheckGroup]. The error is a [*RuleError] or a [*GroupError].
func (g Group) Validate() error {
	if !g.ID.IsValid() {
		return &GroupError{ID: g.ID, Err: ErrUnknownGroup, Where: "a group with the zero ID"}
	}
	for _, d := range [...]Direction{Ingress, Egress} {
		rules := g.Rules(d)
		for i, r := range rules {
			if why := r.problem(); why != "" {
				return &RuleError{Group: g.ID, Direction: d, Index: i, Why: why}
			}
			for j := range i {
				if rules[j].sameEffect(r) {
					return &RuleError{Group: g.ID, Direction: d, Index: i,
						Why: "repeats rule " + strconv.Itoa(j) + " (" + r.describe(d) + "); EC2 refuses duplicates"}
				}
			}
		}
	}
	return nil
}

// clone returns g with its own rule slices.
func (g Group) clone() Group {
	g.Ingress = append([]Rule(nil), g.Ingress...)
	g.Egress = append([]Rule(nil), g.Egress...)
	return g
}

// Quota defaults and bounds (Amazon VPC User Guide, "Amazon VPC quotas",
// security groups section).
const (
	// DefaultRulesPerGroup is the default quota of inbound, and separately
	// outbound, rules per security group.
	DefaultRulesPerGroup = 60
	// MaxRulesPerInterface bounds groups per interface times rules per
	// group; the two quotas can only be raised together within it.
	MaxRulesPerInterface = 1000
)

// Quotas are the account's security-group quotas. Zero fields take the
// defaults: [branch.DefaultGroupsPerInterface] and [DefaultRulesPerGroup].
type Quotas struct {
	// GroupsPerInterface is the security groups per network interface
	// quota, 1 to [branch.MaxGroupsPerInterface].
	GroupsPerInterface int
	// RulesPerGroup is the inbound or outbound rules per security group
	// quota; each direction is counted on its own.
	RulesPerGroup int
}

// withDefaults fills zero fields and checks the result.
func (q Quotas) withDefaults() (Quotas, error) {
	if q.GroupsPerInterface == 0 {
		q.GroupsPerInterface = branch.DefaultGroupsPerInterface
	}
	if q.RulesPerGroup == 0 {
		q.RulesPerGroup = DefaultRulesPerGroup
	}
	switch {
	case q.GroupsPerInterface < 1 || q.GroupsPerInterface > branch.MaxGroupsPerInterface:
		return q, &ConfigError{Field: "Quotas.GroupsPerInterface", Err: ErrInvalidConfig,
			Why: strconv.Itoa(q.GroupsPerInterface) + " is outside 1.." + strconv.Itoa(branch.MaxGroupsPerInterface)}
	case q.RulesPerGroup < 1 || q.RulesPerGroup > MaxRulesPerInterface:
		return q, &ConfigError{Field: "Quotas.RulesPerGroup", Err: ErrInvalidConfig,
			Why: strconv.Itoa(q.RulesPerGroup) + " is outside 1.." + strconv.Itoa(MaxRulesPerInterface)}
	case q.GroupsPerInterface*q.RulesPerGroup > MaxRulesPerInterface:
		return q, &ConfigError{Field: "Quotas", Err: ErrInvalidConfig,
			Why: fmt.Sprintf("%d groups per interface × %d rules per group exceeds EC2's limit of %d rules per interface",
				q.GroupsPerInterface, q.RulesPerGroup, MaxRulesPerInterface)}
	}
	return q, nil
}

// CheckGroup returns a [*RuleQuotaError] when g holds more inbound or
// more outbound rules than the quota (zero fields of q meaning the
// defaults), or a [*ConfigError] when q itself is out of range.
func (q Quotas) CheckGroup(g Group) error {
	q, err := q.withDefaults()
	if err != nil {
		return err
	}
	for _, d := range [...]Direction{Ingress, Egress} {
		if n := len(g.Rules(d)); n > q.RulesPerGroup {
			return &RuleQuotaError{Group: g.ID, Direction: d, Rules: n, Limit: q.RulesPerGroup}
		}
	}
	return nil
}
