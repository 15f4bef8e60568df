package reach

import (
	"net/netip"
	"slices"
	"strconv"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/cni"
)

// StandardModeVersion returns the first CNI release that reads
// POD_SECURITY_GROUP_ENFORCING_MODE (CHANGELOG v1.11.0, PR #1907). Older
// releases behave as strict whatever the variable says. It is
// [cni.FeatureStandardMode]'s release, kept here for callers of this
// package.
func StandardModeVersion() cni.Version { return cni.FeatureStandardMode.Since() }

// Config is what a [Model] judges flows with: the security groups and the
// aws-node settings that decide which path traffic takes. Zero fields
// mean upstream's defaults. Build literals with field names: the blank
// last field rules out positional ones, so fields can be added.
type Config struct {
	// Mode is POD_SECURITY_GROUP_ENFORCING_MODE; zero means strict, the
	// CNI's default (pkg/sgpp/constants.go DefaultEnforcingMode).
	Mode cni.EnforcingMode
	// CNIVersion is the aws-node release; zero means the newest. Before
	// [StandardModeVersion] standard mode does not exist and the model
	// uses strict, as such a release does.
	CNIVersion cni.Version
	// DisableTCPEarlyDemux is DISABLE_TCP_EARLY_DEMUX on the
	// aws-vpc-cni-init container.
	DisableTCPEarlyDemux bool
	// ExternalSNAT is AWS_VPC_K8S_CNI_EXTERNALSNAT: when true the node
	// does not SNAT pod traffic leaving the VPC.
	ExternalSNAT bool
	// VPC is the VPC's IPv4 CIDR block; zero means unknown, and then only
	// 0.0.0.0/0 rules can be shown to cover addresses in the VPC whose
	// subnet is not given either.
	VPC netip.Prefix
	// Groups are the security groups endpoints may carry.
	Groups []Group
	// Quotas are the security-group quotas; zero fields mean EC2's
	// defaults.
	Quotas Quotas

	_ struct{}
}

// Model judges flows between endpoints. It is immutable once built, so it
// is safe for concurrent use, and holds its own copy of the groups.
type Model struct {
	cfg    Config
	mode   cni.EnforcingMode
	quotas Quotas
	groups map[branch.SecurityGroupID]*Group
}

// New validates cfg and returns a model of it. It fails with a
// [*ConfigError] for a setting out of range (wrapping [ErrInvalidConfig]),
// a [*GroupError] for a repeated group ID, a [*RuleError] for a rule EC2
// would refuse, and a [*RuleQuotaError] for a group over the
// rules-per-group quota.
func New(cfg Config) (*Model, error) {
	if cfg.Mode > cni.Standard {
		return nil, &ConfigError{Field: "Mode", Why: cfg.Mode.String() + ": want strict or standard", Err: ErrInvalidConfig}
	}
	if cfg.VPC.IsValid() {
		if why := cidrProblem(cfg.VPC); why != "" {
			return nil, &ConfigError{Field: "VPC", Why: why, Err: ErrInvalidConfig}
		}
	} else if cfg.VPC != (netip.Prefix{}) {
		return nil, &ConfigError{Field: "VPC", Why: "not a valid CIDR block", Err: ErrInvalidConfig}
	}
	q, err := cfg.Quotas.withDefaults()
	if err != nil {
		return nil, err
	}
	m := &Model{cfg: cfg, quotas: q, groups: make(map[branch.SecurityGroupID]*Group, len(cfg.Groups))}
	m.cfg.Groups = make([]Group, len(cfg.Groups))
	for i, g := range cfg.Groups {
		if err := g.Validate(); err != nil {
			return nil, err
		}
		if err := q.CheckGroup(g); err != nil {
			return nil, err
		}
		if _, dup := m.groups[g.ID]; dup {
			return nil, &GroupError{ID: g.ID, Err: ErrDuplicateGroup}
		}
		m.cfg.Groups[i] = g.clone()
		m.groups[g.ID] = &m.cfg.Groups[i]
	}
	m.mode = cfg.Mode
	if m.mode == 0 || !cfg.CNIVersion.AtLeast(StandardModeVersion()) {
		m.mode = cni.Strict
	}
	return m, nil
}

// Mode returns the enforcing mode the CNI actually runs: the configured
// one, or strict when none is set or the release predates standard mode.
func (m *Model) Mode() cni.EnforcingMode { return m.mode }

// Quotas returns the quotas in force, defaults filled in.
func (m *Model) Quotas() Quotas { return m.quotas }

// Group returns a copy of the group with id.
func (m *Model) Group(id branch.SecurityGroupID) (Group, bool) {
	g, ok := m.groups[id]
	if !ok {
		return Group{}, false
	}
	return g.clone(), true
}

// GroupIDs returns the IDs of the model's groups in canonical order.
func (m *Model) GroupIDs() []branch.SecurityGroupID {
	ids := make([]branch.SecurityGroupID, 0, len(m.groups))
	for id := range m.groups {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, branch.SecurityGroupID.Compare)
	return ids
}

// WithRule returns a new model in which group id also holds r in
// direction d; m is unchanged. It fails as [New] does when the rule or
// the grown group is refused, and with a [*GroupError] when id is
// unknown.
func (m *Model) WithRule(id branch.SecurityGroupID, d Direction, r Rule) (*Model, error) {
	if _, ok := m.groups[id]; !ok {
		return nil, &GroupError{ID: id, Err: ErrUnknownGroup}
	}
	cfg := m.cfg
	cfg.Groups = make([]Group, len(m.cfg.Groups))
	for i, g := range m.cfg.Groups {
		g = g.clone()
		if g.ID == id {
			if d == Ingress {
				g.Ingress = append(g.Ingress, r)
			} else {
				g.Egress = append(g.Egress, r)
			}
		}
		cfg.Groups[i] = g
	}
	return New(cfg)
}

// checkGroups reports groups the model lacks, and sets over the quota.
func (m *Model) checkGroups(set branch.GroupSet, iface string) error {
	for id := range set.All() {
		if _, ok := m.groups[id]; !ok {
			return &GroupError{ID: id, Where: iface, Err: ErrUnknownGroup}
		}
	}
	if err := set.CheckQuota(m.quotas.GroupsPerInterface); err != nil {
		return err
	}
	return nil
}

// checkEndpoint validates e as a flow's end.
func (m *Model) checkEndpoint(e Endpoint) error {
	bad := func(why string) error {
		name := e.Name
		if name == "" {
			name = "unnamed " + e.Kind.String()
		}
		return &EndpointError{Endpoint: name, Why: why}
	}
	if e.Kind < KindBranchPod || e.Kind > KindIMDS {
		return bad("kind " + e.Kind.String() + " is not an endpoint kind")
	}
	if e.Kind.onNode() {
		if e.Node.Name == "" {
			return bad("a " + e.Kind.String() + " needs the node it runs on")
		}
		s := e.Node.Subnet
		if s.Kind > Isolated {
			return bad("node " + e.Node.Name + ": " + s.Kind.String() + " is not a subnet kind")
		}
		if s.CIDR != (netip.Prefix{}) {
			if why := cidrProblem(s.CIDR); why != "" {
				return bad("node " + e.Node.Name + " subnet: " + why)
			}
		}
		if err := m.checkGroups(e.Node.Groups, "node "+e.Node.Name); err != nil {
			return err
		}
	}
	switch e.Kind {
	case KindBranchPod:
		if e.Groups.Len() == 0 {
			return bad("a branch pod needs at least one security group")
		}
		return m.checkGroups(e.Groups, e.iface())
	case KindVPCHost:
		if e.Groups.Len() == 0 {
			return bad("a VPC host needs at least one security group")
		}
		if err := m.checkGroups(e.Groups, e.iface()); err != nil {
			return err
		}
	case KindLinkLocal:
		if !e.Addr.IsValid() || e.Addr.Bits() != 32 || !LinkLocalBlock().Contains(e.Addr.Addr()) {
			return bad("a link-local service needs one address in " + LinkLocalBlock().String() + ", got " + e.Addr.String())
		}
	case KindIMDS:
		if e.Addr != netip.PrefixFrom(IMDSAddr(), 32) {
			return bad("the instance metadata service is at " + IMDSAddr().String() + ", got " + e.Addr.String())
		}
	}
	if e.Addr != (netip.Prefix{}) {
		if why := cidrProblem(e.Addr); why != "" {
			return bad("address " + why)
		}
		if e.Kind == KindInternet && m.cfg.VPC.IsValid() && e.Addr.Bits() > 0 && e.Addr.Overlaps(m.cfg.VPC) {
			return bad(e.Addr.String() + " overlaps the VPC " + m.cfg.VPC.String() + "; an internet host lies outside it")
		}
	}
	return nil
}

// checkFlow validates a flow before it is judged.
func (m *Model) checkFlow(from, to Endpoint, proto Protocol, port uint16) error {
	if err := m.checkEndpoint(from); err != nil {
		return err
	}
	if err := m.checkEndpoint(to); err != nil {
		return err
	}
	flow := from.Name + " → " + to.Name
	switch {
	case proto != TCP && proto != UDP && proto != ICMP:
		return &EndpointError{Endpoint: flow, Why: "protocol " + proto.String() + ": a flow is tcp, udp or icmp"}
	case proto.hasPorts() && port == 0:
		return &EndpointError{Endpoint: flow, Why: proto.String() + " needs a destination port from 1 to 65535"}
	case !proto.hasPorts() && port != 0:
		return &EndpointError{Endpoint: flow, Why: "icmp has no port, got " + strconv.Itoa(int(port))}
	case from.Kind == KindVPCResolver || from.Kind == KindNodeLocalDNS || from.Kind == KindLinkLocal || from.Kind == KindIMDS:
		return &EndpointError{Endpoint: flow, Why: from.Kind.String() + " only answers; it starts no flows the model judges"}
	case from.Kind == KindInternet && to.Kind == KindInternet:
		return &EndpointError{Endpoint: flow, Why: "both ends are outside the VPC"}
	}
	return nil
}

// address returns where e's address lies and whether that is known more
// precisely than "anywhere".
func (m *Model) address(e Endpoint) (netip.Prefix, bool) {
	anywhere := netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	switch e.Kind {
	case KindBranchPod, KindPod, KindNode:
		if e.Node.Subnet.CIDR.IsValid() {
			return e.Node.Subnet.CIDR, true
		}
		if m.cfg.VPC.IsValid() {
			return m.cfg.VPC, true
		}
	case KindVPCHost:
		if e.Addr.IsValid() {
			return e.Addr, true
		}
		if m.cfg.VPC.IsValid() {
			return m.cfg.VPC, true
		}
	case KindInternet:
		if e.Addr.IsValid() {
			return e.Addr, true
		}
	case KindNodeLocalDNS:
		return netip.PrefixFrom(NodeLocalDNSAddr(), 32), true
	case KindLinkLocal, KindIMDS:
		return e.Addr, true
	case KindVPCResolver:
		if m.cfg.VPC.IsValid() {
			a := m.cfg.VPC.Addr().As4()
			a[3] += 2
			return netip.PrefixFrom(netip.AddrFrom4(a), 32), true
		}
	}
	return anywhere, false
}
