package reach

import (
	"fmt"
	"net/netip"
	"strconv"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/cni"
	"github.com/trunksim/trunksim/limits"
)

// NodeGroup is a set of identical nodes as the cluster check sees them.
type NodeGroup struct {
	// Name names the group; its nodes are <name>-0, <name>-1, ...
	Name string
	// InstanceType decides whether the nodes can hold a trunk ENI.
	InstanceType string
	// OS is the nodes' operating system; zero means Linux.
	OS limits.OS
	// Groups are the security groups on the nodes' ENIs, in the order
	// given; fixes that widen the node's groups name the first.
	Groups []branch.SecurityGroupID
	// Subnet is the nodes' subnet.
	Subnet Subnet
}

// Traffic is a flow a workload must be able to open (TalksTo) or accept
// (ReceivesFrom). Exactly one of Workload, Group, CIDR and LinkLocal
// names the other end.
type Traffic struct {
	// Workload names another workload of the cluster (TalksTo only).
	Workload string
	// Group names an interface in the VPC outside the cluster carrying
	// this group, such as a database or a load balancer.
	Group branch.SecurityGroupID
	// CIDR is a block of addresses outside the VPC; 0.0.0.0/0 is the
	// internet at large. A block inside 169.254.0.0/16 is refused: name
	// the address with LinkLocal.
	CIDR netip.Prefix
	// LinkLocal is an address in 169.254.0.0/16 on the pods' own node
	// (TalksTo only): [PodIdentityAgentAddr] is the EKS Pod Identity
	// agent, [IMDSAddr] the instance metadata service,
	// [NodeLocalDNSAddr] NodeLocal DNSCache, and any other a host-network
	// service listening there.
	LinkLocal netip.Addr
	// Protocol is TCP, UDP or ICMP.
	Protocol Protocol
	// Port is the destination port, for TCP and UDP.
	Port uint16
}

// flow returns "tcp 5432" or "icmp".
func flowWords(proto Protocol, port uint16) string {
	if proto.hasPorts() {
		return proto.String() + " " + strconv.Itoa(int(port))
	}
	return proto.String()
}

// Workload is a set of identical pods, as the cluster check sees them.
type Workload struct {
	// Name identifies the workload; Namespace is where its pods run.
	Name, Namespace string
	// Labels are the pods' labels, which policies' podSelector matches.
	Labels map[string]string
	// ServiceAccount and ServiceAccountLabels describe the pods' service
	// account, which policies' serviceAccountSelector matches.
	ServiceAccount       string
	ServiceAccountLabels map[string]string
	// Probes are the TCP ports of the pods' liveness, readiness and
	// startup probes (httpGet, tcpSocket and grpc probes are all TCP from
	// the kubelet; exec probes need no network).
	Probes []uint16
	// TalksTo are the flows the pods must be able to open.
	TalksTo []Traffic
	// ReceivesFrom are the flows from outside the cluster the pods must
	// accept; flows from other workloads are their TalksTo.
	ReceivesFrom []Traffic
}

// DNS is how the cluster's pods resolve names.
type DNS struct {
	// CoreDNS names the workload that is CoreDNS; empty means CoreDNS runs
	// as ordinary pods on any Linux node group, as EKS installs it.
	CoreDNS string
	// NodeLocal reports NodeLocal DNSCache on every node: pods ask the
	// node-local cache, which asks CoreDNS from the node's own address.
	NodeLocal bool
}

// Cluster is what [CheckCluster] reads: the model's configuration plus the
// nodes, policies and workloads. Build literals with field names.
type Cluster struct {
	Config
	// PodENIDisabled models ENABLE_POD_ENI=false: no node offers branch
	// ENIs.
	PodENIDisabled bool
	// IPFamily is the cluster's IP family; zero means IPv4. IPv6 is not
	// modelled.
	IPFamily cni.IPFamily
	// Calico reports Calico network policy in the cluster.
	Calico bool
	// Limits is the instance-type table; nil means limits.Default().
	Limits *limits.Table
	// NodeGroups are where pods can run.
	NodeGroups []NodeGroup
	// Policies are the SecurityGroupPolicy objects: any the API server
	// stores ([branch.Policy.Admit]); one the controller cannot use is
	// reported and matches no workload.
	Policies []branch.Policy
	// MalformedGroups are group IDs, as written in Policies, that are no
	// IDs (the CRD puts no pattern on groupIds); a policy names each by
	// [branch.MalformedGroupID]. A workload given one cannot get a branch
	// ENI: EC2 answers InvalidGroupId.Malformed.
	MalformedGroups []string
	// Workloads are the cluster's workloads.
	Workloads []Workload
	// DNS is the name service setup.
	DNS DNS

	_ struct{}
}

// resolved is a workload with what the check worked out about it.
type resolved struct {
	w        Workload
	groups   []branch.SecurityGroupID // merged policy order; nil for ordinary pods
	set      branch.GroupSet
	policies []string
	hosts    []int // node group indices
	runs     bool
	// unjudged is set when the pods run but their flows cannot be
	// judged: the cluster declares no groups (CodeGroupsNotDeclared).
	unjudged bool
}

// aggregate collects the placements of one flow finding.
type aggregate struct {
	f          Finding
	sameNodeOK bool
}

type checker struct {
	c       Cluster
	m       *Model
	table   *limits.Table
	ngSets  []branch.GroupSet
	wl      []*resolved
	byName  map[string]*resolved
	primary map[branch.GroupSet]branch.SecurityGroupID
	aggs    map[string]*aggregate
	order   []string
	report  Report
	// standIns maps the stand-ins of c.MalformedGroups to their text.
	standIns map[branch.SecurityGroupID]string
}

// CheckCluster judges every path a security-group workload of c needs: can its
// pods resolve names (CoreDNS on UDP and TCP 53, or NodeLocal DNSCache),
// pass their probes, reach what they talk to, and be reached by their
// callers. Each pod's groups come from [branch.Resolve] over c.Policies;
// pods no policy matches are ordinary pods with their node's groups.
// Flows between pods are judged for every pair of node groups they can
// run on, with the pods on different nodes. The report ranks the
// findings, each with a fix.
//
// CheckCluster fails, before judging anything, on input that cannot
// describe a cluster: a [*ConfigError] (an IPv6 cluster wraps
// [ErrUnsupported]), a [*GroupError] for a node group or traffic naming a
// group c.Groups lacks, or an error [New] returns for c.Config.
func CheckCluster(c Cluster) (Report, error) {
	m, err := New(c.Config)
	if err != nil {
		return Report{}, err
	}
	k := &checker{c: c, m: m, table: c.Limits, byName: map[string]*resolved{},
		primary: map[branch.GroupSet]branch.SecurityGroupID{}, aggs: map[string]*aggregate{}}
	if k.table == nil {
		k.table = limits.Default()
	}
	if err := k.validate(); err != nil {
		return Report{}, err
	}
	k.report.Mode = m.Mode()
	k.resolve()
	k.configFindings()
	if err := k.judgeAll(); err != nil {
		return Report{}, err
	}
	k.finish()
	return k.report, nil
}

func configErr(field, format string, args ...any) error {
	return &ConfigError{Field: field, Why: fmt.Sprintf(format, args...), Err: ErrInvalidConfig}
}

func (k *checker) validate() error {
	c := k.c
	if c.IPFamily == cni.IPv6 {
		return &ConfigError{Field: "IPFamily", Why: "IPv6 clusters are not modelled (their pods are never SNATed and rules would need IPv6 blocks)", Err: ErrUnsupported}
	}
	if c.IPFamily > cni.IPv6 {
		return configErr("IPFamily", "%v: want IPv4", c.IPFamily)
	}
	seen := map[string]bool{}
	for i, g := range c.NodeGroups {
		field := "NodeGroups[" + strconv.Itoa(i) + "]"
		if g.Name == "" || seen[g.Name] {
			return configErr(field+".Name", "%q: want a unique, non-empty name", g.Name)
		}
		seen[g.Name] = true
		// A type the table lacks but a newer release has joins without a
		// trunk, as in the simulator; only a type no release has is bad.
		if _, err := k.table.Lookup(g.InstanceType); err != nil && !knownToARelease(g.InstanceType) {
			return &ConfigError{Field: field + ".InstanceType", Why: err.Error(), Err: ErrInvalidConfig}
		}
		if g.OS != 0 && !g.OS.IsValid() {
			return configErr(field+".OS", "%v: want linux or windows", g.OS)
		}
		for _, id := range g.Groups {
			if _, ok := k.m.groups[id]; !ok {
				return &GroupError{ID: id, Where: "node group " + g.Name, Err: ErrUnknownGroup}
			}
		}
		set := branch.NewGroupSet(g.Groups...)
		if set.Len() != len(g.Groups) {
			return configErr(field+".Groups", "%v lists a group twice", g.Groups)
		}
		if err := set.CheckQuota(k.m.quotas.GroupsPerInterface); err != nil {
			return err
		}
		if g.Subnet.Kind > Isolated {
			return configErr(field+".Subnet.Kind", "%v: want private, public or isolated", g.Subnet.Kind)
		}
		if g.Subnet.CIDR != (netip.Prefix{}) {
			if why := cidrProblem(g.Subnet.CIDR); why != "" {
				return configErr(field+".Subnet.CIDR", "%s", why)
			}
			if v := c.VPC; v.IsValid() && !(v.Bits() <= g.Subnet.CIDR.Bits() && v.Contains(g.Subnet.CIDR.Addr())) {
				return configErr(field+".Subnet.CIDR", "%v is not inside the VPC %v", g.Subnet.CIDR, v)
			}
		}
		k.ngSets = append(k.ngSets, set)
	}
	for i, p := range c.Policies {
		// Policies the controller cannot use are stored all the same and
		// match no pod (branch.Resolve).
		if err := p.Admit(); err != nil {
			return &ConfigError{Field: "Policies[" + strconv.Itoa(i) + "]", Why: err.Error(), Err: ErrInvalidConfig}
		}
	}
	names := map[string]bool{}
	for _, w := range c.Workloads {
		names[w.Name] = true
	}
	if len(names) != len(c.Workloads) || names[""] {
		return configErr("Workloads", "workload names must be unique and non-empty")
	}
	for i, w := range c.Workloads {
		field := "Workloads[" + strconv.Itoa(i) + "]"
		for j, p := range w.Probes {
			if p == 0 {
				return configErr(field+".Probes["+strconv.Itoa(j)+"]", "0: want a port from 1 to 65535")
			}
		}
		for j, t := range w.TalksTo {
			if err := k.checkTraffic(field+".TalksTo["+strconv.Itoa(j)+"]", t, names, true); err != nil {
				return err
			}
		}
		for j, t := range w.ReceivesFrom {
			if err := k.checkTraffic(field+".ReceivesFrom["+strconv.Itoa(j)+"]", t, names, false); err != nil {
				return err
			}
		}
	}
	if c.DNS.CoreDNS != "" && !names[c.DNS.CoreDNS] {
		return configErr("DNS.CoreDNS", "%q: no such workload", c.DNS.CoreDNS)
	}
	return nil
}

func (k *checker) checkTraffic(field string, t Traffic, workloads map[string]bool, talk bool) error {
	targets := 0
	for _, set := range []bool{t.Workload != "", t.Group != (branch.SecurityGroupID{}), t.CIDR != (netip.Prefix{}), t.LinkLocal != (netip.Addr{})} {
		if set {
			targets++
		}
	}
	switch {
	case targets != 1:
		return configErr(field, "name exactly one of a workload, a security group, a CIDR block or a link-local address")
	case t.LinkLocal != (netip.Addr{}) && !talk:
		return configErr(field+".LinkLocal", "%v: a node's link-local services only answer; they open no flows to pods", t.LinkLocal)
	case t.LinkLocal != (netip.Addr{}) && !(t.LinkLocal.Is4() && LinkLocalBlock().Contains(t.LinkLocal)):
		return configErr(field+".LinkLocal", "%v: want an IPv4 address in %v", t.LinkLocal, LinkLocalBlock())
	case t.Workload != "" && !talk:
		return configErr(field+".Workload", "%q: flows from other workloads belong in their TalksTo", t.Workload)
	case t.Workload != "" && !workloads[t.Workload]:
		return configErr(field+".Workload", "%q: no such workload", t.Workload)
	case t.Group != (branch.SecurityGroupID{}):
		if _, ok := k.m.groups[t.Group]; !ok {
			return &GroupError{ID: t.Group, Where: field, Err: ErrUnknownGroup}
		}
	case t.CIDR != (netip.Prefix{}):
		if why := cidrProblem(t.CIDR); why != "" {
			return configErr(field+".CIDR", "%s", why)
		}
		if ll := LinkLocalBlock(); t.CIDR.Bits() >= ll.Bits() && ll.Contains(t.CIDR.Addr()) {
			return configErr(field+".CIDR", "%v is link-local: it is never routed off its node, so it is not outside the VPC; name the address with LinkLocal", t.CIDR)
		}
		if v := k.c.VPC; v.IsValid() && t.CIDR.Overlaps(v) && t.CIDR.Bits() > 0 {
			return configErr(field+".CIDR", "%v overlaps the VPC %v; name the workload or security group inside it", t.CIDR, v)
		}
	}
	switch {
	case t.Protocol != TCP && t.Protocol != UDP && t.Protocol != ICMP:
		return configErr(field+".Protocol", "%v: want tcp, udp or icmp", t.Protocol)
	case t.Protocol.hasPorts() && t.Port == 0:
		return configErr(field+".Port", "%v needs a port from 1 to 65535", t.Protocol)
	case !t.Protocol.hasPorts() && t.Port != 0:
		return configErr(field+".Port", "%d: icmp has no port", t.Port)
	}
	return nil
}

// linux reports whether node group i runs Linux, where pods of the
// scenario run.
func (k *checker) linux(i int) bool {
	os := k.c.NodeGroups[i].OS
	return os == 0 || os == limits.OSLinux
}

func (k *checker) resolve() {
	for _, w := range k.c.Workloads {
		pod := branch.Pod{Namespace: w.Namespace, Labels: w.Labels, ServiceAccount: w.ServiceAccount, ServiceAccountLabels: w.ServiceAccountLabels}
		r := &resolved{w: w, groups: branch.Resolve(pod, k.c.Policies), runs: true}
		for _, p := range k.c.Policies {
			if branch.Resolve(pod, []branch.Policy{p}) != nil {
				r.policies = append(r.policies, p.Namespace+"/"+p.Name)
			}
		}
		r.set = branch.NewGroupSet(r.groups...)
		for i, g := range k.c.NodeGroups {
			if !k.linux(i) {
				continue
			}
			if r.groups != nil {
				if _, err := k.table.CanTrunk(g.InstanceType, limits.OSLinux); err != nil {
					continue
				}
			}
			r.hosts = append(r.hosts, i)
		}
		if len(r.groups) > 0 {
			k.setPrimary(r.set, r.groups[0])
		}
		k.wl = append(k.wl, r)
		k.byName[w.Name] = r
	}
	for i, g := range k.c.NodeGroups {
		if len(g.Groups) > 0 {
			k.setPrimary(k.ngSets[i], g.Groups[0])
		}
	}
}

// setPrimary records the group fixes should widen on an interface
// carrying set. The first caller wins, so a workload's own groups are
// preferred to a node group that happens to carry the same set.
func (k *checker) setPrimary(set branch.GroupSet, id branch.SecurityGroupID) {
	if _, ok := k.primary[set]; !ok {
		k.primary[set] = id
	}
}

// primaryOf returns the group to widen on an interface carrying set.
func (k *checker) primaryOf(set branch.GroupSet) branch.SecurityGroupID {
	if id, ok := k.primary[set]; ok {
		return id
	}
	return set.At(0)
}

func knownToARelease(name string) bool {
	_, ok := limits.NewestReleaseWith(name)
	return ok
}
