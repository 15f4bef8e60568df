package scenario

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/limits"
	"github.com/trunksim/trunksim/reach"
)

// This file reads the keys only the reachability check uses: security
// group rules, the nodes' groups and subnets, the VPC, DNS, and the
// traffic workloads must send and receive.

// network decodes the network key.
func (d *decoder) network(n *yaml.Node, path string) error {
	nw := &d.sc.Network
	_, err := d.object(n, path, []field{
		{key: "vpcCIDR", decode: d.cidr(&nw.VPCCIDR)},
		{key: "rulesPerGroup", decode: func(n *yaml.Node, p string) error {
			v, err := d.integer(n, p, 1, reach.MaxRulesPerInterface)
			nw.RulesPerGroup = int(v)
			return err
		}},
		{key: "calico", decode: d.boolean(&nw.Calico)},
	})
	return err
}

// dns decodes the dns key.
func (d *decoder) dns(n *yaml.Node, path string) error {
	dns := &d.sc.DNS
	_, err := d.object(n, path, []field{
		{key: "coreDNS", decode: d.setName(&dns.CoreDNS, checkDNSSubdomain)},
		{key: "nodeLocalDNS", decode: d.boolean(&dns.NodeLocal)},
	})
	return err
}

// cidr decodes an IPv4 CIDR block such as 10.0.0.0/16.
func (d *decoder) cidr(dst *netip.Prefix) func(*yaml.Node, string) error {
	return func(n *yaml.Node, p string) error {
		s, err := d.str(n, p)
		if err != nil {
			return err
		}
		if *dst, err = reach.ParseCIDR(s); err != nil {
			n, _ = d.resolve(n, p)
			return d.invalid(n, p, err, "%s", strings.TrimPrefix(err.Error(), reach.ErrInvalidRule.Error()+": "))
		}
		return nil
	}
}

// linkLocalNames are the names linkLocal takes for the addresses of
// services a node is known to answer on, in the order errors list them.
var linkLocalNames = []struct {
	name string
	addr netip.Addr
}{
	{"podIdentityAgent", reach.PodIdentityAgentAddr()},
	{"imds", reach.IMDSAddr()},
	{"nodeLocalDNS", reach.NodeLocalDNSAddr()},
}

// linkLocalName returns the name linkLocal writes for addr, or its
// address.
func linkLocalName(addr netip.Addr) string {
	for _, n := range linkLocalNames {
		if n.addr == addr {
			return n.name
		}
	}
	return addr.String()
}

// linkLocal decodes a link-local address on the pods' node: a name of
// linkLocalNames or an IPv4 address in 169.254.0.0/16.
func (d *decoder) linkLocal(dst *netip.Addr) func(*yaml.Node, string) error {
	return func(n *yaml.Node, p string) error {
		s, err := d.str(n, p)
		if err != nil {
			return err
		}
		for _, ln := range linkLocalNames {
			if s == ln.name {
				*dst = ln.addr
				return nil
			}
		}
		a, perr := netip.ParseAddr(s)
		if perr != nil || !a.Is4() || !reach.LinkLocalBlock().Contains(a) {
			n, _ = d.resolve(n, p)
			return d.invalid(n, p, nil, "%q: want podIdentityAgent (%v), imds (%v), nodeLocalDNS (%v) or another IPv4 address in %v",
				s, reach.PodIdentityAgentAddr(), reach.IMDSAddr(), reach.NodeLocalDNSAddr(), reach.LinkLocalBlock())
		}
		*dst = a
		return nil
	}
}

// port decodes a port number in [lo, 65535].
func (d *decoder) port(dst *uint16, lo int64) func(*yaml.Node, string) error {
	return func(n *yaml.Node, p string) error {
		v, err := d.integer(n, p, lo, 65535)
		*dst = uint16(v)
		return err
	}
}

func (d *decoder) protocol(dst *reach.Protocol, flow bool) func(*yaml.Node, string) error {
	return func(n *yaml.Node, p string) error {
		// EC2's numbers (6, 17, 1, -1 for all) are accepted too, and YAML
		// reads them as integers.
		n, err := d.scalar(n, p, "a protocol such as tcp", "!!str", "!!int")
		if err != nil {
			return err
		}
		s := n.Value
		proto, perr := reach.ParseProtocol(s)
		switch {
		case perr != nil && flow:
			return d.invalid(n, p, perr, "%q: want tcp, udp or icmp", s)
		case perr != nil:
			return d.invalid(n, p, perr, "%q: want tcp, udp, icmp or all", s)
		case flow && proto == reach.AllProtocols:
			return d.invalid(n, p, nil, "%q: a flow has one protocol; want tcp, udp or icmp", s)
		}
		*dst = proto
		return nil
	}
}

// groupIDs decodes a list of distinct security-group IDs.
func (d *decoder) groupIDs(dst *[]branch.SecurityGroupID) func(*yaml.Node, string) error {
	return func(n *yaml.Node, path string) error {
		first := map[branch.SecurityGroupID]int{}
		return d.list(n, path, func(i int, item *yaml.Node, p string) error {
			var id branch.SecurityGroupID
			if err := d.groupID(&id)(item, p); err != nil {
				return err
			}
			if j, dup := first[id]; dup {
				return d.fail(item, p, fmt.Errorf("%w group %s (first at %s[%d])", ErrDuplicate, id, path, j))
			}
			first[id] = i
			*dst = append(*dst, id)
			return nil
		})
	}
}

// subnet decodes a node group's subnet.
func (d *decoder) subnet(dst *reach.Subnet) func(*yaml.Node, string) error {
	return func(n *yaml.Node, path string) error {
		_, err := d.object(n, path, []field{
			{key: "kind", decode: func(n *yaml.Node, p string) error {
				s, err := d.str(n, p)
				if err != nil {
					return err
				}
				if dst.Kind, err = reach.ParseSubnetKind(s); err != nil {
					n, _ = d.resolve(n, p)
					return d.invalid(n, p, err, "%q: want private (a NAT gateway), public (an internet gateway) or isolated", s)
				}
				return nil
			}},
			{key: "cidr", decode: d.cidr(&dst.CIDR)},
		})
		return err
	}
}

// rules decodes a list of security-group rules.
func (d *decoder) rules(dst *[]reach.Rule) func(*yaml.Node, string) error {
	return func(n *yaml.Node, path string) error {
		return d.list(n, path, func(_ int, item *yaml.Node, p string) error {
			r, err := d.rule(item, p)
			if err != nil {
				return err
			}
			for j, o := range *dst {
				if o.Protocol == r.Protocol && o.Ports == r.Ports && o.Peer == r.Peer {
					return d.fail(&yaml.Node{Line: d.sc.lines[p]}, p,
						fmt.Errorf("%w rule (first at %s[%d], line %d); EC2 refuses it with InvalidPermission.Duplicate", ErrDuplicate, path, j, d.sc.lines[fmt.Sprintf("%s[%d]", path, j)]))
				}
			}
			*dst = append(*dst, r)
			return nil
		})
	}
}

func (d *decoder) rule(n *yaml.Node, path string) (reach.Rule, error) {
	var r reach.Rule
	var port, from, to uint16
	var cidr netip.Prefix
	var group branch.SecurityGroupID
	seen, err := d.object(n, path, []field{
		{key: "protocol", required: true, decode: d.protocol(&r.Protocol, false)},
		{key: "port", decode: d.port(&port, 1)},
		{key: "fromPort", decode: d.port(&from, 0)},
		{key: "toPort", decode: d.port(&to, 0)},
		{key: "cidr", decode: d.cidr(&cidr)},
		{key: "securityGroup", decode: d.groupID(&group)},
		{key: "description", decode: func(n *yaml.Node, p string) (err error) {
			r.Description, err = d.str(n, p)
			return err
		}},
	})
	if err != nil {
		return r, err
	}
	hasPorts := r.Protocol == reach.TCP || r.Protocol == reach.UDP
	switch {
	case seen["cidr"] && seen["securityGroup"]:
		return r, d.invalidAt(join(path, "securityGroup"), "%s: give cidr or securityGroup, not both", group)
	case !seen["cidr"] && !seen["securityGroup"]:
		return r, d.fail(&yaml.Node{Line: d.sc.lines[path]}, join(path, "cidr"), fmt.Errorf("%w: a rule needs cidr or securityGroup", ErrMissingField))
	case !hasPorts && (seen["port"] || seen["fromPort"] || seen["toPort"]):
		key := "port"
		for _, k := range []string{"port", "fromPort", "toPort"} {
			if seen[k] {
				key = k
				break
			}
		}
		return r, d.fail(&yaml.Node{Line: d.sc.lines[join(path, key)]}, join(path, key),
			fmt.Errorf("%w for protocol %s (it has no ports; ICMP types are not modelled)", ErrUnknownField, r.Protocol))
	case hasPorts && seen["port"] && (seen["fromPort"] || seen["toPort"]):
		return r, d.invalidAt(join(path, "port"), "%d: give port, or fromPort and toPort, not both", port)
	case hasPorts && !seen["port"] && !(seen["fromPort"] && seen["toPort"]):
		missing := "port"
		if seen["fromPort"] {
			missing = "toPort"
		} else if seen["toPort"] {
			missing = "fromPort"
		}
		return r, d.fail(&yaml.Node{Line: d.sc.lines[path]}, join(path, missing),
			fmt.Errorf("%w: %s needs port, or fromPort and toPort", ErrMissingField, r.Protocol))
	case hasPorts && seen["fromPort"] && from > to:
		return r, d.invalidAt(join(path, "toPort"), "%d: must not be below fromPort (%d)", to, from)
	case hasPorts && seen["fromPort"] && to == 0:
		return r, d.invalidAt(join(path, "toPort"), "0: a range must include a port above 0")
	}
	switch {
	case seen["port"]:
		r.Ports = reach.Port(port)
	case hasPorts:
		r.Ports = reach.PortRange{From: from, To: to}
	}
	if seen["cidr"] {
		r.Peer = reach.CIDRPeer(cidr)
	} else {
		r.Peer = reach.GroupPeer(group)
	}
	return r, nil
}

// probes decodes a list of distinct TCP ports.
func (d *decoder) probes(dst *[]uint16) func(*yaml.Node, string) error {
	return func(n *yaml.Node, path string) error {
		return d.list(n, path, func(_ int, item *yaml.Node, p string) error {
			var v uint16
			if err := d.port(&v, 1)(item, p); err != nil {
				return err
			}
			for j, o := range *dst {
				if o == v {
					item, _ = d.resolve(item, p)
					return d.fail(item, p, fmt.Errorf("%w port %d (first at %s[%d])", ErrDuplicate, v, path, j))
				}
			}
			*dst = append(*dst, v)
			return nil
		})
	}
}

// traffic decodes talksTo (withWorkload) or receivesFrom.
func (d *decoder) traffic(dst *[]reach.Traffic, withWorkload bool) func(*yaml.Node, string) error {
	return func(n *yaml.Node, path string) error {
		return d.list(n, path, func(_ int, item *yaml.Node, p string) error {
			t := reach.Traffic{Protocol: reach.TCP}
			fields := []field{
				{key: "securityGroup", decode: d.groupID(&t.Group)},
				{key: "cidr", decode: d.cidr(&t.CIDR)},
				{key: "protocol", decode: d.protocol(&t.Protocol, true)},
				{key: "port", decode: d.port(&t.Port, 1)},
			}
			targets := []string{"securityGroup", "cidr"}
			if withWorkload {
				fields = append([]field{{key: "workload", decode: d.setName(&t.Workload, checkDNSSubdomain)}}, fields...)
				fields = append(fields, field{key: "linkLocal", decode: d.linkLocal(&t.LinkLocal)})
				targets = append([]string{"workload"}, append(targets, "linkLocal")...)
			}
			seen, err := d.object(item, p, fields)
			if err != nil {
				return err
			}
			given := 0
			for _, k := range targets {
				if seen[k] {
					given++
				}
			}
			hasPorts := t.Protocol == reach.TCP || t.Protocol == reach.UDP
			switch {
			case given == 0:
				return d.fail(&yaml.Node{Line: d.sc.lines[p]}, join(p, targets[0]), fmt.Errorf("%w: name the other end with %s", ErrMissingField, orList(targets)))
			case given > 1:
				return d.invalidAt(p, "name the other end with one of %s, not several", orList(targets))
			case hasPorts && !seen["port"]:
				return d.fail(&yaml.Node{Line: d.sc.lines[p]}, join(p, "port"), fmt.Errorf("%w: %s needs a port", ErrMissingField, t.Protocol))
			case !hasPorts && seen["port"]:
				return d.fail(&yaml.Node{Line: d.sc.lines[join(p, "port")]}, join(p, "port"), fmt.Errorf("%w for protocol %s (it has no ports)", ErrUnknownField, t.Protocol))
			case seen["cidr"] && t.CIDR.Bits() >= reach.LinkLocalBlock().Bits() && reach.LinkLocalBlock().Contains(t.CIDR.Addr()):
				how := "name the address on the pods' node with linkLocal, such as linkLocal: " + linkLocalName(t.CIDR.Addr())
				if t.CIDR.Bits() != 32 {
					how = "name each address on the pods' node with linkLocal (podIdentityAgent, imds, nodeLocalDNS or an address)"
				}
				if !withWorkload {
					how = "a node's link-local services only answer; they open no flows to pods"
				}
				return d.invalidAt(join(p, "cidr"), "%v: link-local addresses are never routed off their node, so they are not outside the VPC; "+how, t.CIDR)
			}
			*dst = append(*dst, t)
			return nil
		})
	}
}

// reachCheck checks the reachability keys across sections: declared
// groups, known workloads, addresses inside or outside the VPC, quotas.
func (d *decoder) reachCheck(workloads map[string]int) error {
	sc := d.sc
	declared := map[branch.SecurityGroupID]bool{}
	for _, g := range sc.SecurityGroups {
		declared[g.ID] = true
	}
	undeclared := func(path string, id branch.SecurityGroupID) error {
		return d.invalidAt(path, "%s: no such security group (declare it under securityGroups)", id)
	}
	vpc := sc.Network.VPCCIDR
	inside := func(p netip.Prefix) bool { return vpc.Bits() <= p.Bits() && vpc.Contains(p.Addr()) }
	groupsPerInterface := sc.Controller.GroupsPerInterface
	if groupsPerInterface == 0 {
		groupsPerInterface = branch.DefaultGroupsPerInterface
	}
	rulesPerGroup := sc.Network.RulesPerGroup
	if rulesPerGroup == 0 {
		rulesPerGroup = reach.DefaultRulesPerGroup
	}
	if sc.Network.RulesPerGroup != 0 && groupsPerInterface*rulesPerGroup > reach.MaxRulesPerInterface {
		return d.invalidAt("network.rulesPerGroup", "%d: with %d groups per interface (controller.groupsPerInterface) that makes %d rules per interface; EC2 allows at most %d",
			rulesPerGroup, groupsPerInterface, groupsPerInterface*rulesPerGroup, reach.MaxRulesPerInterface)
	}
	for i, g := range sc.SecurityGroups {
		for _, dir := range []struct {
			key   string
			rules []reach.Rule
		}{{"ingress", g.Ingress}, {"egress", g.Egress}} {
			path := fmt.Sprintf("securityGroups[%d].%s", i, dir.key)
			if len(dir.rules) > rulesPerGroup {
				return d.invalidNear(path, "%d rules: more than the quota of %d %s rules per security group (network.rulesPerGroup)", len(dir.rules), rulesPerGroup, dir.key)
			}
			for j, r := range dir.rules {
				if r.Peer.IsGroup() && !declared[r.Peer.Group()] {
					return undeclared(fmt.Sprintf("%s[%d].securityGroup", path, j), r.Peer.Group())
				}
			}
		}
	}
	for i, g := range sc.NodeGroups {
		for j, id := range g.SecurityGroups {
			if !declared[id] {
				return undeclared(fmt.Sprintf("nodeGroups[%d].securityGroups[%d]", i, j), id)
			}
		}
		if len(g.SecurityGroups) > groupsPerInterface {
			return d.invalidNear(fmt.Sprintf("nodeGroups[%d].securityGroups", i), "%d groups: more than the quota of %d per network interface (controller.groupsPerInterface)", len(g.SecurityGroups), groupsPerInterface)
		}
		if c := g.Subnet.CIDR; c.IsValid() && vpc.IsValid() && !inside(c) {
			return d.invalidNear(fmt.Sprintf("nodeGroups[%d].subnet.cidr", i), "%v: not inside the VPC %v (network.vpcCIDR)", c, vpc)
		}
		if err := d.checkMaxPods(sc, i, g); err != nil {
			return err
		}
	}
	if err := d.checkEventTypes(sc); err != nil {
		return err
	}
	for i, w := range sc.Workloads {
		for _, list := range []struct {
			key     string
			traffic []reach.Traffic
		}{{"talksTo", w.TalksTo}, {"receivesFrom", w.ReceivesFrom}} {
			for j, t := range list.traffic {
				path := fmt.Sprintf("workloads[%d].%s[%d]", i, list.key, j)
				switch {
				case t.Workload != "":
					if _, ok := workloads[t.Workload]; !ok {
						return d.invalidNear(join(path, "workload"), "%q: no such workload", t.Workload)
					}
				case t.Group.IsValid():
					if !declared[t.Group] {
						return undeclared(join(path, "securityGroup"), t.Group)
					}
				case vpc.IsValid() && t.CIDR.Bits() > 0 && t.CIDR.Overlaps(vpc):
					return d.invalidNear(join(path, "cidr"), "%v: overlaps the VPC %v; name the workload or securityGroup inside it", t.CIDR, vpc)
				}
			}
		}
	}
	if name := sc.DNS.CoreDNS; name != "" {
		if _, ok := workloads[name]; !ok {
			return d.invalidNear("dns.coreDNS", "%q: no such workload", name)
		}
	}
	return nil
}

// Cluster returns what the reachability check reads from the scenario:
// the CNI settings, security groups, node groups, policies, workloads
// (with their service accounts' labels) and DNS.
func (sc *Scenario) Cluster() reach.Cluster {
	c := reach.Cluster{
		Config: reach.Config{
			Mode:                 sc.CNI.EnforcingMode,
			CNIVersion:           sc.CNI.Version,
			DisableTCPEarlyDemux: sc.CNI.DisableTCPEarlyDemux,
			ExternalSNAT:         sc.Network.ExternalSNAT,
			VPC:                  sc.Network.VPCCIDR,
			Quotas:               reach.Quotas{GroupsPerInterface: sc.Controller.GroupsPerInterface, RulesPerGroup: sc.Network.RulesPerGroup},
		},
		PodENIDisabled:  sc.CNI.DisablePodENI,
		IPFamily:        sc.CNI.IPFamily,
		Calico:          sc.Network.Calico,
		Policies:        append([]branch.Policy(nil), sc.SecurityGroupPolicies...),
		MalformedGroups: slices.Clone(sc.MalformedGroups),
		DNS:             sc.DNS,
	}
	// The check judges with the table the run uses.
	c.Limits = releaseTable(sc)
	for _, g := range sc.SecurityGroups {
		c.Groups = append(c.Groups, reach.Group{ID: g.ID, Name: g.Name,
			Ingress: append([]reach.Rule(nil), g.Ingress...), Egress: append([]reach.Rule(nil), g.Egress...)})
	}
	for _, g := range sc.NodeGroups {
		c.NodeGroups = append(c.NodeGroups, reach.NodeGroup{Name: g.Name, InstanceType: g.InstanceType, OS: g.OS,
			Groups: append([]branch.SecurityGroupID(nil), g.SecurityGroups...), Subnet: g.Subnet})
	}
	accounts := map[string]map[string]string{}
	for _, a := range sc.ServiceAccounts {
		accounts[a.Namespace+"/"+a.Name] = a.Labels
	}
	for _, w := range sc.Workloads {
		account := w.ServiceAccount
		if account == "" {
			account = "default"
		}
		c.Workloads = append(c.Workloads, reach.Workload{Name: w.Name, Namespace: w.Namespace, Labels: w.Labels,
			ServiceAccount: account, ServiceAccountLabels: accounts[w.Namespace+"/"+account],
			Probes:  append([]uint16(nil), w.Probes...),
			TalksTo: append([]reach.Traffic(nil), w.TalksTo...), ReceivesFrom: append([]reach.Traffic(nil), w.ReceivesFrom...)})
	}
	return c
}

// checkMaxPods judges a node group's type against the modelled release's
// table, as the simulator will, so that run and check judge the file
// alike: a type the table lacks needs the VPC CNI's figure or maxPods.
func (d *decoder) checkMaxPods(sc *Scenario, i int, g NodeGroup) error {
	tbl := releaseTable(sc)
	if _, err := tbl.Lookup(g.InstanceType); err == nil || g.MaxPods != 0 {
		return nil
	}
	return d.needCNIMaxPods(fmt.Sprintf("nodeGroups[%d].instanceType", i), tbl, g.InstanceType, " or give the group's maxPods")
}

// checkEventTypes applies the same rule to addNode events that name a
// type other than their group's, which maxPods does not cover.
func (d *decoder) checkEventTypes(sc *Scenario) error {
	tbl := releaseTable(sc)
	groups := map[string]NodeGroup{}
	for _, g := range sc.NodeGroups {
		groups[g.Name] = g
	}
	for i, e := range sc.Events {
		if e.Action != AddNode || e.InstanceType == "" {
			continue
		}
		if g, ok := groups[e.NodeGroup]; ok && g.InstanceType == e.InstanceType {
			continue
		}
		if _, err := tbl.Lookup(e.InstanceType); err == nil {
			continue
		}
		if err := d.needCNIMaxPods(fmt.Sprintf("events[%d].instanceType", i), tbl, e.InstanceType, ""); err != nil {
			return err
		}
	}
	return nil
}

// needCNIMaxPods refuses a type the table lacks when the VPC CNI's
// eni-max-pods.txt does not list it either: nothing gives its max pods.
func (d *decoder) needCNIMaxPods(path string, tbl *limits.Table, typ, orMaxPods string) error {
	if _, ok := limits.CNIMaxPods(typ); ok {
		return nil
	}
	newest, _ := limits.NewestReleaseWith(typ)
	return d.invalidNear(path, "%q: not in the instance table of controller release %s, and the VPC CNI's %s gives no max pods for it; set controller.version: %s%s",
		typ, tbl.Release(), limits.CNIMaxPodsSource(), newest, orMaxPods)
}

// releaseTable is the instance table of the release the scenario models.
func releaseTable(sc *Scenario) *limits.Table {
	if sc.Controller.Release.IsValid() {
		if tbl, err := limits.ForRelease(sc.Controller.Release.String()); err == nil {
			return tbl
		}
	}
	return limits.Default()
}
