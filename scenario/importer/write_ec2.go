package importer

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/trunksim/trunksim/reach"
)

// rule is one scenario rule line; EC2 writes a permission with many
// peers, a scenario one peer a rule.
type rule struct {
	protocol reach.Protocol
	ports    reach.PortRange
	peer     string // "cidr: ..." or "securityGroup: ..."
}

func (r rule) String() string {
	s := "{protocol: " + r.protocol.String()
	switch {
	case r.protocol != reach.TCP && r.protocol != reach.UDP:
	case r.ports.From == r.ports.To:
		s += ", port: " + strconv.Itoa(int(r.ports.From))
	default:
		s += fmt.Sprintf(", fromPort: %d, toPort: %d", r.ports.From, r.ports.To)
	}
	return s + ", " + r.peer + "}"
}

// rules turns a group's permissions into scenario rules, with a note for
// each part the reachability model does not hold (IPv6 ranges, prefix
// lists, ICMP types, other protocols), and the groups they name.
func rules(perms []ec2Permission) (out []rule, notes []string, named []string) {
	for _, p := range perms {
		proto, ok := ec2Protocol(p.IPProtocol)
		if !ok {
			notes = append(notes, fmt.Sprintf("protocol %s left out: only tcp, udp, icmp and all are modelled", p.IPProtocol))
			continue
		}
		var ports reach.PortRange
		switch proto {
		case reach.TCP, reach.UDP:
			ports = reach.AllPorts()
			if p.FromPort != nil && p.ToPort != nil && *p.FromPort >= 0 {
				ports = reach.PortRange{From: uint16(*p.FromPort), To: uint16(*p.ToPort)}
			}
			if ports.To == 0 {
				notes = append(notes, proto.String()+" port 0 left out: a rule needs a port above 0")
				continue
			}
		case reach.ICMP:
			if p.FromPort != nil && *p.FromPort >= 0 {
				notes = append(notes, fmt.Sprintf("ICMP type %d widened to all ICMP: types are not modelled", *p.FromPort))
			}
		}
		add := func(peer string) {
			r := rule{proto, ports, peer}
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
		for _, c := range p.IPRanges {
			if _, err := reach.ParseCIDR(c.CidrIP); err != nil {
				notes = append(notes, fmt.Sprintf("CIDR %q left out: %v", c.CidrIP, err))
				continue
			}
			add("cidr: " + c.CidrIP)
		}
		for _, g := range p.GroupPairs {
			add("securityGroup: " + g.GroupID)
			if !slices.Contains(named, g.GroupID) {
				named = append(named, g.GroupID)
			}
		}
		if n := len(p.IPv6Ranges); n > 0 {
			notes = append(notes, fmt.Sprintf("%d IPv6 range(s) left out: IPv6 rules are not modelled", n))
		}
		if n := len(p.PrefixListIDs); n > 0 {
			notes = append(notes, fmt.Sprintf("%d prefix list(s) left out: prefix lists are not modelled", n))
		}
	}
	return out, notes, named
}

// ec2Protocol reads EC2's IpProtocol: a name or a protocol number, -1
// for all.
func ec2Protocol(s string) (reach.Protocol, bool) {
	if s == "-1" {
		return reach.AllProtocols, true
	}
	p, err := reach.ParseProtocol(strings.ToLower(s))
	return p, err == nil
}

// writeGroups writes the described security groups with their rules, then
// an empty declaration for each group that a rule or a node names but the
// input did not describe, so the scenario loads; and warns of policies
// that name a group the input lacks.
func (s *Snapshot) writeGroups(b *strings.Builder, nodeGroups []*nodeGroup) {
	e := &s.ec2
	if len(e.groups) == 0 {
		return
	}
	b.WriteString("# Security groups and their rules, from describe-security-groups (one line a peer).\nsecurityGroups:\n")
	var named []string
	for _, g := range e.groups {
		// The name is left behind with the other fields a run does not
		// need: it often holds the cluster's or the account's name.
		fmt.Fprintf(b, "  - id: %s\n", g.GroupID)
		for _, dir := range []struct {
			key   string
			perms []ec2Permission
		}{{"ingress", g.IPPermissions}, {"egress", g.IPPermissionsOut}} {
			rs, notes, refs := rules(dir.perms)
			for _, n := range notes {
				fmt.Fprintf(b, "    # %s: %s\n", dir.key, n)
			}
			if len(rs) == 0 {
				fmt.Fprintf(b, "    %s: []\n", dir.key)
			} else {
				fmt.Fprintf(b, "    %s:\n", dir.key)
				for _, r := range rs {
					fmt.Fprintf(b, "      - %s\n", r)
				}
			}
			named = append(named, refs...)
		}
	}
	for _, g := range nodeGroups {
		named = append(named, g.groups...)
	}
	var missing []string
	for _, id := range named {
		if _, ok := e.group(id); !ok && !slices.Contains(missing, id) {
			missing = append(missing, id)
		}
	}
	for _, id := range missing {
		fmt.Fprintf(b, "  - {id: %s, ingress: [], egress: []}  # named by a rule or a node but not in the input: no rules known\n", id)
	}
	for _, p := range s.policies {
		for _, id := range p.Spec.SecurityGroups.GroupIDs {
			if _, ok := e.group(id); !ok {
				s.noted = append(s.noted, fmt.Sprintf("securitygrouppolicy/%s/%s names %s, which describe-security-groups does not list: "+
					"its pods' branch ENIs fail with InvalidSecurityGroupID.NotFound, as EC2 fails them for a deleted group; describe every group if it exists",
					orDefault(p.Namespace), p.Name, id))
			}
		}
	}
}

// mostRules is the most rules any described group holds in one
// direction: above EC2's default quota, the account's must be raised, and
// the scenario says so.
func (s *Snapshot) mostRules() int {
	most := 0
	for _, g := range s.ec2.groups {
		in, _, _ := rules(g.IPPermissions)
		out, _, _ := rules(g.IPPermissionsOut)
		most = max(most, len(in), len(out))
	}
	return most
}

// writeNetwork writes the network section: the VPC's block and a raised
// rules quota, where the input shows them.
func (s *Snapshot) writeNetwork(b *strings.Builder, nodeGroups []*nodeGroup) {
	cidr, most := s.vpcCIDR(nodeGroups), s.mostRules()
	if cidr == "" && most <= reach.DefaultRulesPerGroup {
		return
	}
	b.WriteString("network:\n")
	if cidr != "" {
		fmt.Fprintf(b, "  vpcCIDR: %s  # from describe-vpcs\n", cidr)
	}
	if most > reach.DefaultRulesPerGroup {
		fmt.Fprintf(b, "  rulesPerGroup: %d  # a described group holds this many rules in one direction\n", most)
	}
}

// vpcCIDR returns the CIDR block of the one VPC the nodes' subnets are
// in, if the input described it.
func (s *Snapshot) vpcCIDR(nodeGroups []*nodeGroup) string {
	e := &s.ec2
	var vpcs []string
	for _, g := range nodeGroups {
		if sn, ok := e.subnets[g.subnetID]; ok && !slices.Contains(vpcs, sn.VpcID) {
			vpcs = append(vpcs, sn.VpcID)
		}
	}
	if len(vpcs) == 0 && len(e.vpcs) == 1 {
		for id := range e.vpcs {
			vpcs = append(vpcs, id)
		}
	}
	if len(vpcs) != 1 {
		return ""
	}
	return e.vpcs[vpcs[0]].CidrBlock
}

// interfaceSummary is the comment on what the cluster's trunk and branch
// ENIs are today, which the run does not start from.
func (s *Snapshot) interfaceSummary() string {
	e := &s.ec2
	var b strings.Builder
	if len(s.cniNodes) > 0 {
		with := 0
		for _, n := range s.nodes {
			switch {
			case s.cniNodes[n.Name]:
				with++
			case s.cni["ENABLE_POD_ENI"] == "true":
				s.noted = append(s.noted, fmt.Sprintf("node/%s: its CNINode lacks the SecurityGroupsForPods feature, so the controller "+
					"manages no trunk on it today (aws-node has not asked: not yet ready, or no free interface slot); the run gives it one at time zero", n.Name))
			}
		}
		fmt.Fprintf(&b, "# CNINodes: %d of %d node(s) have the SecurityGroupsForPods feature (the controller manages their trunk).\n", with, len(s.nodes))
	}
	trunks := 0
	for _, n := range e.trunks {
		trunks += n
	}
	if trunks > 0 || len(e.branches) > 0 {
		fmt.Fprintf(&b, "# describe-network-interfaces: %d trunk ENI(s); branch ENIs %d in use, %d available.\n",
			trunks, e.branches["in-use"], e.branches["available"])
		if n := e.branches["available"]; n > 0 {
			fmt.Fprintf(&b, "# An available branch ENI is one no pod holds: the cluster cleaner deletes it once it\n# has seen it available on two passes 30 minutes apart. The run starts with them.\nec2:\n  availableBranches: %d\n", n)
		}
	}
	return b.String()
}
