package scenario

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/limits"
	"github.com/trunksim/trunksim/reach"
	"github.com/trunksim/trunksim/sim"
)

// Marshal writes the scenario in the file format, fields in the order the
// format documents them and zero values left out, so that Parse of the
// result gives back an equal Scenario. It refuses a Scenario that Parse
// would refuse, with the error Parse gives for the text it would write.
func (sc *Scenario) Marshal() ([]byte, error) {
	cfg, settings := sc.simConfig(sc.Seed), sim.Settings()
	standIns := sc.standIns()
	root := sc.settingsNode(sim.SectionTop, &cfg, settings)
	for _, section := range fileSections {
		root.addMapping(section.String(), sc.settingsNode(section, &cfg, settings))
	}
	nw := mapping()
	if sc.Network.VPCCIDR.IsValid() {
		nw.add("vpcCIDR", str(sc.Network.VPCCIDR.String()))
	}
	nw.count("rulesPerGroup", sc.Network.RulesPerGroup)
	nw.boolean("calico", sc.Network.Calico)
	root.addMapping("network", nw)
	dns := mapping()
	if sc.DNS.CoreDNS != "" {
		dns.add("coreDNS", str(sc.DNS.CoreDNS))
	}
	dns.boolean("nodeLocalDNS", sc.DNS.NodeLocal)
	root.addMapping("dns", dns)

	var groups []*yaml.Node
	for _, g := range sc.NodeGroups {
		m := mapping()
		m.add("name", str(g.Name))
		m.add("instanceType", str(g.InstanceType))
		m.add("count", integer(g.Count))
		m.count("trunkAttached", g.TrunkAttached)
		m.count("unownedBranches", g.UnownedBranches)
		if g.OS != 0 && g.OS != limits.OSLinux {
			m.add("os", str(g.OS.String()))
		}
		if g.MaxPods != 0 {
			m.add("maxPods", integer(g.MaxPods))
		}
		m.labels("labels", g.Labels)
		m.groupIDs("securityGroups", g.SecurityGroups)
		if a := g.Autoscaling; a != nil {
			am := mapping()
			am.count("minSize", a.MinSize)
			am.add("maxSize", integer(a.MaxSize))
			am.count("templatePodENI", a.TemplatePodENI)
			m.add("autoscaling", am.Node)
		}
		sub := mapping()
		if g.Subnet.Kind != 0 {
			sub.add("kind", str(g.Subnet.Kind.String()))
		}
		if g.Subnet.CIDR.IsValid() {
			sub.add("cidr", str(g.Subnet.CIDR.String()))
		}
		m.addMapping("subnet", sub)
		groups = append(groups, m.Node)
	}
	root.list("nodeGroups", groups)

	var accounts []*yaml.Node
	for _, a := range sc.ServiceAccounts {
		m := mapping()
		m.add("name", str(a.Name))
		m.namespace(a.Namespace)
		m.labels("labels", a.Labels)
		accounts = append(accounts, m.Node)
	}
	root.list("serviceAccounts", accounts)

	var policies []*yaml.Node
	for _, p := range sc.SecurityGroupPolicies {
		policies = append(policies, policyNode(p, standIns))
	}
	root.list("securityGroupPolicies", policies)

	var sgs []*yaml.Node
	for _, g := range sc.SecurityGroups {
		m := mapping()
		m.add("id", str(g.ID.String()))
		if g.Name != "" {
			m.add("name", str(g.Name))
		}
		m.list("ingress", rulesNodes(g.Ingress))
		switch {
		case len(g.Egress) == 0:
			m.add("egress", &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle})
		case len(g.Egress) == 1 && g.Egress[0] == reach.AllowAllEgress():
			// Parse puts EC2's default outbound rule back.
		default:
			m.list("egress", rulesNodes(g.Egress))
		}
		sgs = append(sgs, m.Node)
	}
	root.list("securityGroups", sgs)

	var workloads []*yaml.Node
	for _, w := range sc.Workloads {
		m := mapping()
		m.add("name", str(w.Name))
		m.namespace(w.Namespace)
		m.labels("labels", w.Labels)
		if w.ServiceAccount != "" {
			m.add("serviceAccount", str(w.ServiceAccount))
		}
		m.add("replicas", integer(w.Replicas))
		m.count("running", w.Running)
		m.duration("at", w.At)
		m.duration("interval", w.Interval)
		m.duration("lifetime", w.Lifetime)
		if len(w.Probes) > 0 {
			var ports []*yaml.Node
			for _, port := range w.Probes {
				ports = append(ports, integer(int(port)))
			}
			m.add("probes", &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle, Content: ports})
		}
		m.list("talksTo", trafficNodes(w.TalksTo))
		m.list("receivesFrom", trafficNodes(w.ReceivesFrom))
		workloads = append(workloads, m.Node)
	}
	root.list("workloads", workloads)
	var pools, classes []*yaml.Node
	for _, np := range sc.NodePools {
		pools = append(pools, nodePoolNode(np))
	}
	for _, nc := range sc.NodeClasses {
		classes = append(classes, nodeClassNode(nc))
	}
	root.list("nodePools", pools)
	root.list("ec2NodeClasses", classes)

	var events []*yaml.Node
	for _, e := range sc.Events {
		m := mapping()
		m.add("at", str(e.At.String()))
		m.add("action", str(e.Action.String()))
		for _, f := range []struct{ key, value string }{{"node", e.Node}, {"nodeGroup", e.NodeGroup}, {"workload", e.Workload}, {"instanceType", e.InstanceType}} {
			if f.value != "" {
				m.add(f.key, str(f.value))
			}
		}
		m.count("count", e.Count)
		if e.MaxSurge != 0 || e.MaxUnavailable != 0 {
			m.add("maxSurge", integer(e.MaxSurge))
			m.add("maxUnavailable", integer(e.MaxUnavailable))
		}
		switch e.Action {
		case Scale:
			m.add("replicas", integer(e.Replicas))
		case ApplyPolicy:
			m.add("policy", policyNode(e.Policy, standIns))
		case DeletePolicy:
			m.add("policyName", str(e.Policy.Namespace+"/"+e.Policy.Name))
		case SetBranchENICooldown:
			m.add("cooldown", str(e.Cooldown.String()))
		case DeleteSecurityGroup:
			m.add("securityGroup", str(e.SecurityGroup.String()))
		case LabelServiceAccount:
			m.add("serviceAccount", str(e.ServiceAccount.Namespace+"/"+e.ServiceAccount.Name))
			m.labels("labels", e.ServiceAccount.Labels)
		}
		events = append(events, m.Node)
	}
	root.list("events", events)

	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root.Node); err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	if _, err := Parse(sc.File, buf.Bytes()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func faultNodes(faults []sim.Fault) []*yaml.Node {
	var out []*yaml.Node
	for _, f := range faults {
		m := mapping()
		m.add("api", str(f.API.String()))
		if f.Code != "" {
			m.add("code", str(f.Code))
		}
		m.add("probability", float(f.Probability))
		m.duration("from", f.From)
		m.duration("until", f.Until)
		m.duration("delay", f.Delay)
		out = append(out, m.Node)
	}
	return out
}

func rulesNodes(rules []reach.Rule) []*yaml.Node {
	var out []*yaml.Node
	for _, r := range rules {
		m := flowMapping()
		m.add("protocol", str(r.Protocol.String()))
		switch {
		case r.Ports == (reach.PortRange{}):
		case r.Ports.From == r.Ports.To:
			m.add("port", integer(int(r.Ports.From)))
		default:
			m.add("fromPort", integer(int(r.Ports.From)))
			m.add("toPort", integer(int(r.Ports.To)))
		}
		if r.Peer.IsGroup() {
			m.add("securityGroup", str(r.Peer.Group().String()))
		} else {
			m.add("cidr", str(r.Peer.CIDR().String()))
		}
		if r.Description != "" {
			m.add("description", str(r.Description))
		}
		out = append(out, m.Node)
	}
	return out
}

func trafficNodes(traffic []reach.Traffic) []*yaml.Node {
	var out []*yaml.Node
	for _, t := range traffic {
		m := flowMapping()
		switch {
		case t.Workload != "":
			m.add("workload", str(t.Workload))
		case t.Group.IsValid():
			m.add("securityGroup", str(t.Group.String()))
		case t.LinkLocal.IsValid():
			m.add("linkLocal", str(linkLocalName(t.LinkLocal)))
		default:
			m.add("cidr", str(t.CIDR.String()))
		}
		m.add("protocol", str(t.Protocol.String()))
		if t.Port != 0 {
			m.add("port", integer(int(t.Port)))
		}
		out = append(out, m.Node)
	}
	return out
}

// standIns maps each stand-in of sc.MalformedGroups to its text.
func (sc *Scenario) standIns() map[branch.SecurityGroupID]string {
	m := make(map[branch.SecurityGroupID]string, len(sc.MalformedGroups))
	for _, text := range sc.MalformedGroups {
		m[branch.MalformedGroupID(text)] = text
	}
	return m
}

// policyNode writes a policy as kubectl would print it: a group that
// stands for a malformed ID as the text it stands for, securityGroups
// only when the policy has groups.
func policyNode(p branch.Policy, standIns map[branch.SecurityGroupID]string) *yaml.Node {
	m := mapping()
	m.add("apiVersion", str(PolicyAPIVersion))
	m.add("kind", str(PolicyKind))
	meta := mapping()
	meta.add("name", str(p.Name))
	meta.namespace(p.Namespace)
	m.add("metadata", meta.Node)
	spec := mapping()
	if p.PodSelector != nil {
		spec.add("podSelector", selectorNode(p.PodSelector))
	}
	if p.ServiceAccountSelector != nil {
		spec.add("serviceAccountSelector", selectorNode(p.ServiceAccountSelector))
	}
	var ids []*yaml.Node
	for _, g := range p.Groups {
		text, ok := standIns[g]
		if !ok {
			text = g.String()
		}
		ids = append(ids, str(text))
	}
	if len(ids) > 0 {
		groups := mapping()
		groups.add("groupIds", &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: ids})
		spec.add("securityGroups", groups.Node)
	}
	m.add("spec", spec.Node)
	return m.Node
}

func selectorNode(sel *branch.LabelSelector) *yaml.Node {
	m := mapping()
	m.labels("matchLabels", sel.MatchLabels)
	var reqs []*yaml.Node
	for _, r := range sel.MatchExpressions {
		rm := mapping()
		rm.add("key", str(r.Key))
		// An operator the controller does not know was parsed as the
		// zero Operator; "" is one too, and fails alike.
		op := ""
		if r.Operator.IsValid() {
			op = r.Operator.String()
		}
		rm.add("operator", str(op))
		if len(r.Values) > 0 {
			var vs []*yaml.Node
			for _, v := range r.Values {
				vs = append(vs, str(v))
			}
			rm.add("values", &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: vs})
		}
		reqs = append(reqs, rm.Node)
	}
	m.list("matchExpressions", reqs)
	return m.Node
}

// node builds a YAML mapping, leaving zero values out.
type node struct{ *yaml.Node }

func mapping() node { return node{&yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}} }

// flowMapping is a mapping written on one line, {a: 1, b: 2}, for list
// items with a few short fields.
func flowMapping() node {
	return node{&yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: yaml.FlowStyle}}
}

// groupIDs writes a list of security-group IDs on one line.
func (m node) groupIDs(key string, ids []branch.SecurityGroupID) {
	if len(ids) == 0 {
		return
	}
	var items []*yaml.Node
	for _, id := range ids {
		items = append(items, str(id.String()))
	}
	m.add(key, &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle, Content: items})
}

// prices writes a price table, types in name order.
func (m node) prices(key string, prices map[string]float64) {
	if len(prices) == 0 {
		return
	}
	p := mapping()
	for _, name := range slices.Sorted(maps.Keys(prices)) {
		p.add(name, float(prices[name]))
	}
	m.addMapping(key, p)
}

func (m node) add(key string, v *yaml.Node) { m.Content = append(m.Content, str(key), v) }

func (m node) addMapping(key string, v node) {
	if len(v.Content) > 0 {
		m.add(key, v.Node)
	}
}

func (m node) list(key string, items []*yaml.Node) {
	if len(items) > 0 {
		m.add(key, &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: items})
	}
}

func (m node) duration(key string, d time.Duration) {
	if d != 0 {
		m.add(key, str(d.String()))
	}
}

func (m node) count(key string, v int) {
	if v != 0 {
		m.add(key, integer(v))
	}
}

func (m node) boolean(key string, v bool) {
	if v {
		m.add(key, scalar("!!bool", "true"))
	}
}

func (m node) namespace(ns string) {
	if ns != "" && ns != "default" {
		m.add("namespace", str(ns))
	}
}

// labels writes a string map in sorted key order, so output is stable.
func (m node) labels(key string, labels map[string]string) {
	if len(labels) == 0 {
		return
	}
	lm := mapping()
	for _, k := range sortedKeys(labels) {
		lm.add(k, str(labels[k]))
	}
	m.add(key, lm.Node)
}

func scalar(tag, value string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
}

func str(s string) *yaml.Node { return scalar("!!str", s) }

func integer(v int) *yaml.Node { return scalar("!!int", strconv.Itoa(v)) }

func float(v float64) *yaml.Node {
	s := strconv.FormatFloat(v, 'g', -1, 64)
	if _, err := strconv.Atoi(s); err == nil {
		return scalar("!!int", s)
	}
	return scalar("!!float", s)
}
