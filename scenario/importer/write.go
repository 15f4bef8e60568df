package importer

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/trunksim/trunksim/scenario"
	"github.com/trunksim/trunksim/sim"
)

// groupLabels name a node's group, first match wins: the managed node
// group, the Karpenter NodePool.
var groupLabels = []string{"eks.amazonaws.com/nodegroup", "karpenter.sh/nodepool"}

// generatedLabels are the labels controllers add to their pods, which a
// policy's selector is not written against.
var generatedLabels = []string{"pod-template-hash", "controller-revision-hash", "statefulset.kubernetes.io/pod-name",
	"apps.kubernetes.io/pod-index", "controller-uid", "job-name", "batch.kubernetes.io/controller-uid",
	"batch.kubernetes.io/job-name", "batch.kubernetes.io/job-completion-index", "pod-template-generation"}

type nodeGroup struct {
	name, instanceType, os, groupLabel, groupValue string
	count                                          int
	trunks                                         int // nodes with their trunk attached today
	// unowned is, for each of those nodes, the in-use branch ENIs on its
	// trunk that no running pod's annotation names.
	unowned  []int
	autoMode bool // EKS Auto Mode nodes, which the controller skips
	// From describe-instances and describe-subnets, when given: the
	// nodes' subnet and their primary interface's groups.
	subnetID, subnetCIDR, zone string
	groups                     []string
}

type workload struct {
	name, namespace, owner, serviceAccount string
	labels                                 map[string]string
	replicas, seen                         int
	running, onBranch                      int // pods running today; of them, annotated with a branch
	source                                 string
}

// Scenario writes the scenario that starts from the snapshot, as YAML with
// comments saying where each part came from. It is checked with
// scenario.Parse before it is returned, so it always loads.
func (s *Snapshot) Scenario() ([]byte, error) {
	s.noted = nil
	s.leaveOutFargate()
	trunks, err := s.trunkNodes()
	if err != nil {
		return nil, err
	}
	groups, byNode, err := s.nodeGroups(trunks)
	if err != nil {
		return nil, err
	}
	unowned, err := s.unownedBranches(trunks)
	if err != nil {
		return nil, err
	}
	for _, n := range s.nodes {
		if g := byNode[n.Name]; g != nil && trunks[n.Name] {
			g.unowned = append(g.unowned, unowned[n.Name])
		}
	}
	workloads, err := s.workloads(byNode)
	if err != nil {
		return nil, err
	}
	b := &strings.Builder{}
	var names []string
	for _, src := range s.sources {
		names = append(names, filepath.Base(src))
	}
	fmt.Fprintf(b, "# Imported from %s by trunksim import.\n", strings.Join(names, ", "))
	b.WriteString("# Today's nodes and workloads start at time zero as they are now: the nodes' trunk ENIs\n" +
		"# attached, the running pods on their branch ENIs, which the controller rebuilds from the\n" +
		"# pods' pod-eni annotations as after a restart. Add events (rolloutRestart, deletePods,\n" +
		"# addNode, deleteNode) and run it.\nseed: 1\n")
	s.writeSettings(b)
	s.writeNetwork(b, groups)
	b.WriteString(s.interfaceSummary())
	if len(groups) > 0 {
		by := "instance type, OS and node group or NodePool label"
		if s.ec2.seen {
			by += ", subnet and security groups"
		}
		fmt.Fprintf(b, "# %d node(s), grouped by %s.\n", len(s.nodes), by)
		if len(trunks) > 0 {
			b.WriteString("# trunkAttached: nodes whose trunk ENI is attached today (the has-trunk-attached label,\n" +
				"# a trunk in describe-network-interfaces, or a running pod's pod-eni annotation).\n")
		}
		b.WriteString("nodeGroups:\n")
		for _, g := range groups {
			s.writeNodeGroup(b, g)
		}
	}
	s.writeAccounts(b, workloads)
	s.writeGroups(b, groups)
	if len(s.policies) > 0 {
		b.WriteString("# The SecurityGroupPolicies as written (status and server metadata dropped).\nsecurityGroupPolicies:\n")
		for _, p := range s.policies {
			if err := writePolicy(b, p); err != nil {
				return nil, err
			}
		}
	}
	if len(s.nodePools) > 0 {
		b.WriteString("# Karpenter's NodePools and EC2NodeClasses as read (status and server metadata dropped):\n" +
			"# pods no node fits make Karpenter launch nodes from them.\nnodePools:\n")
		for _, np := range s.nodePools {
			if err := writeObject(b, np); err != nil {
				return nil, err
			}
		}
		if len(s.nodeClasses) > 0 {
			b.WriteString("ec2NodeClasses:\n")
			for _, nc := range s.nodeClasses {
				if err := writeObject(b, nc); err != nil {
					return nil, err
				}
			}
		}
	}
	if len(workloads) > 0 {
		b.WriteString("# Workloads from the pods' owners, with their controllers' replica counts and the pods\n" +
			"# running today (running), those with a pod-eni annotation on the branch ENI it names.\nworkloads:\n")
		for _, w := range workloads {
			fmt.Fprintf(b, "  # %s, %d pod(s) seen in %s", w.owner, w.seen, filepath.Base(w.source))
			if w.running > 0 {
				fmt.Fprintf(b, ", %d running", w.running)
			}
			if w.onBranch > 0 {
				fmt.Fprintf(b, ", %d of them on a branch ENI", w.onBranch)
			}
			b.WriteString("\n")
			fmt.Fprintf(b, "  - name: %s\n    namespace: %s\n    replicas: %d\n", w.name, w.namespace, w.replicas)
			if w.running > 0 {
				fmt.Fprintf(b, "    running: %d\n", min(w.running, w.replicas))
			}
			if len(w.labels) > 0 {
				b.WriteString("    labels: " + flowMap(w.labels) + "\n")
			}
			if w.serviceAccount != "" && w.serviceAccount != "default" {
				fmt.Fprintf(b, "    serviceAccount: %s\n", w.serviceAccount)
			}
		}
	}
	out := []byte(b.String())
	if _, err := scenario.Parse("imported.yaml", out); err != nil {
		return out, fmt.Errorf("the imported scenario does not load: %w", err)
	}
	return out, nil
}

func (s *Snapshot) writeSettings(b *strings.Builder) {
	var cni []string
	if v, ok := s.cni["ENABLE_POD_ENI"]; ok {
		cni = append(cni, "enablePodENI: "+strconv.FormatBool(v == "true"))
	}
	if v := s.cni["POD_SECURITY_GROUP_ENFORCING_MODE"]; v != "" {
		cni = append(cni, "enforcingMode: "+strings.ToLower(v))
	}
	if s.cni["DISABLE_TCP_EARLY_DEMUX"] == "true" {
		cni = append(cni, "disableTCPEarlyDemux: true")
	}
	if s.cni["AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG"] == "true" {
		cni = append(cni, "customNetworking: true")
	}
	if s.cni["ENABLE_PREFIX_DELEGATION"] == "true" {
		cni = append(cni, "prefixDelegation: true")
	}
	if s.cni["ENABLE_IPv6"] == "true" {
		cni = append(cni, "ipFamily: ipv6")
	}
	if n, ok := atoi(s.cni["MAX_ENI"]); ok && n >= 1 { // below 1 the CNI takes it as unset
		cni = append(cni, "maxENI: "+strconv.Itoa(n))
	}
	if strings.HasPrefix(s.cniImage, "v") && strings.Count(s.cniImage, ".") == 2 {
		cni = append(cni, "version: "+s.cniImage)
	}
	if len(cni) > 0 {
		b.WriteString("# From the aws-node DaemonSet's environment and image tag.\ncni:\n")
		for _, l := range cni {
			b.WriteString("  " + l + "\n")
		}
	}
	if n, ok := atoi(s.cooldown); ok && n > 0 {
		fmt.Fprintf(b, "# From the amazon-vpc-cni ConfigMap's branch-eni-cooldown (seconds).\ncontroller:\n  cooldown: %ds\n", n)
	}
}

// nodeGroups groups the nodes and maps each node to its group.
func (s *Snapshot) nodeGroups(trunks map[string]bool) ([]*nodeGroup, map[string]*nodeGroup, error) {
	byKey := map[string]*nodeGroup{}
	byNode := map[string]*nodeGroup{}
	var order []*nodeGroup
	for _, n := range s.nodes {
		typ := n.Labels[corev1.LabelInstanceTypeStable]
		if typ == "" {
			typ = n.Labels[corev1.LabelInstanceType]
		}
		os := n.Labels[corev1.LabelOSStable]
		if os == "" {
			os = "linux"
		}
		g := &nodeGroup{instanceType: typ, os: os, autoMode: n.Labels[sim.LabelComputeType] == "auto"}
		for _, l := range groupLabels {
			if v := n.Labels[l]; v != "" {
				g.groupLabel, g.groupValue = l, v
				break
			}
		}
		if err := s.placeNode(n, g); err != nil {
			return nil, nil, err
		}
		key := g.groupLabel + "=" + g.groupValue + " " + typ + " " + os + " " + g.subnetID + " " + strings.Join(g.groups, ",") + " " + strconv.FormatBool(g.autoMode)
		if have, ok := byKey[key]; ok {
			g = have
		} else {
			byKey[key] = g
			order = append(order, g)
		}
		g.count++
		if trunks[n.Name] {
			g.trunks++
		}
		byNode[n.Name] = g
	}
	used := map[string]bool{}
	bases := map[string]int{}
	for _, g := range order {
		bases[g.base()]++
	}
	for _, g := range order {
		base := g.base()
		if bases[base] > 1 && g.zone != "" {
			base += "-" + g.zone
		}
		name := dnsName(base)
		for i := 2; used[name]; i++ {
			name = dnsName(base) + "-" + strconv.Itoa(i)
		}
		used[name] = true
		g.name = name
	}
	return order, byNode, nil
}

func (g *nodeGroup) base() string {
	if g.groupValue != "" {
		return g.groupValue
	}
	return strings.ReplaceAll(g.instanceType, ".", "-")
}

// placeNode fills in a node's subnet and security groups from the EC2
// input, when it has the node's instance. An instance of another type than
// the node's label is an inconsistent snapshot, reported, not guessed.
func (s *Snapshot) placeNode(n corev1.Node, g *nodeGroup) error {
	if len(s.ec2.instances) == 0 {
		return nil
	}
	in, ok := s.ec2.instanceOf(n.Spec.ProviderID)
	if !ok {
		s.noted = append(s.noted, fmt.Sprintf("node/%s: its instance (spec.providerID %q) is not in describe-instances: no subnet or security groups for it", n.Name, n.Spec.ProviderID))
		return nil
	}
	if in.InstanceType != "" && in.InstanceType != g.instanceType {
		return &ObjectError{File: s.ec2.instanceFile[in.InstanceID], Object: "instance " + in.InstanceID, Field: "InstanceType",
			Err: fmt.Errorf("%s, but node/%s's label says %s", in.InstanceType, n.Name, g.instanceType)}
	}
	for _, sg := range in.SecurityGroups {
		g.groups = append(g.groups, sg.GroupID)
	}
	slices.Sort(g.groups)
	g.subnetID = in.SubnetID
	if sn, ok := s.ec2.subnets[in.SubnetID]; ok {
		g.subnetCIDR, g.zone = sn.CidrBlock, sn.AvailabilityZone
	}
	return nil
}

func (s *Snapshot) writeNodeGroup(b *strings.Builder, g *nodeGroup) {
	fmt.Fprintf(b, "  - name: %s\n    instanceType: %s\n    count: %d\n", g.name, g.instanceType, g.count)
	if g.trunks > 0 {
		fmt.Fprintf(b, "    trunkAttached: %d\n", g.trunks)
	}
	// A group's attached nodes start alike, so each gets the fewest any
	// of them has; the rest are noted.
	if len(g.unowned) > 0 {
		least, total := slices.Min(g.unowned), 0
		for _, n := range g.unowned {
			total += n
		}
		if least > 0 {
			fmt.Fprintf(b, "    unownedBranches: %d    # per attached node: in-use branch ENIs no running pod's annotation names\n", least)
		}
		if extra := total - least*len(g.unowned); extra > 0 {
			s.noted = append(s.noted, fmt.Sprintf("node group %s: its attached nodes hold %v unowned branch ENIs; the run starts each with %d, leaving out %d",
				g.name, g.unowned, least, extra))
		}
	}
	if g.os != "linux" {
		fmt.Fprintf(b, "    os: %s\n", g.os)
	}
	var labels []string
	if g.groupLabel != "" {
		labels = append(labels, g.groupLabel+": "+quote(g.groupValue))
	}
	if g.autoMode {
		labels = append(labels, sim.LabelComputeType+": auto")
	}
	if len(labels) > 0 {
		fmt.Fprintf(b, "    labels: {%s}\n", strings.Join(labels, ", "))
	}
	if len(g.groups) > 0 {
		fmt.Fprintf(b, "    securityGroups: [%s]\n", strings.Join(g.groups, ", "))
	}
	if g.subnetCIDR != "" {
		fmt.Fprintf(b, "    subnet: {cidr: %s}  # %s; describe-subnets does not say private, public or isolated: private assumed\n", g.subnetCIDR, g.zone)
	}
}

// leaveOutFargate takes the Fargate nodes out of the snapshot, and notes
// them and the pods on Fargate, which workloads leaves out: Fargate gives
// each pod a node of its own and its security groups through the pod-sg
// annotation, and takes no branch ENI of the cluster's nodes (resource
// controller webhooks/core/pod_webhook.go HandleFargatePod), so the
// simulator, which does not model Fargate, has nothing to start for them.
func (s *Snapshot) leaveOutFargate() {
	kept := s.nodes[:0]
	for _, n := range s.nodes {
		if n.Labels[sim.LabelComputeType] == "fargate" {
			s.fargate[n.Name] = true
			continue
		}
		kept = append(kept, n)
	}
	s.nodes = kept
	pods := 0
	for _, p := range s.pods {
		if s.onFargate(p) {
			pods++
		}
	}
	if len(s.fargate) > 0 || pods > 0 {
		s.noted = append(s.noted, fmt.Sprintf("%d Fargate node(s) and %d pod(s) on Fargate left out: Fargate pods get their security groups from the fargate.amazonaws.com/pod-sg annotation and take no branch ENI of the cluster's nodes (webhooks/core/pod_webhook.go); Fargate is not modelled",
			len(s.fargate), pods))
	}
}

// onFargate reports whether the pod runs on Fargate: it carries the
// Fargate profile label, or it is bound to a Fargate node.
func (s *Snapshot) onFargate(p corev1.Pod) bool {
	_, labelled := p.Labels[sim.LabelFargateProfile]
	return labelled || s.fargate[p.Spec.NodeName]
}

// workloads groups the live pods by owner.
func (s *Snapshot) workloads(byNode map[string]*nodeGroup) ([]*workload, error) {
	byOwner := map[string]*workload{}
	var order []*workload
	for _, p := range s.pods {
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed || p.DeletionTimestamp != nil {
			continue
		}
		if s.onFargate(p) {
			continue // see leaveOutFargate
		}
		obj := "pod/" + p.Namespace + "/" + p.Name
		if p.Spec.NodeName != "" && len(s.nodes) > 0 && byNode[p.Spec.NodeName] == nil {
			return nil, &ObjectError{File: s.podSource[p.Namespace+"/"+p.Name], Object: obj, Field: "spec.nodeName",
				Err: fmt.Errorf("%q: no such node in the input; give the nodes too, or none", p.Spec.NodeName)}
		}
		if p.Spec.HostNetwork {
			continue // the simulator's host-network pods per node stand for these
		}
		key, kind, name := s.ownerOf(p)
		w, ok := byOwner[key]
		if !ok {
			w = &workload{name: name, namespace: p.Namespace, owner: kind + " " + p.Namespace + "/" + name,
				serviceAccount: p.Spec.ServiceAccountName, labels: ownLabels(p.Labels), replicas: -1,
				source: s.podSource[p.Namespace+"/"+p.Name]}
			if o, ok := s.owners[key]; ok && o.replicas >= 0 {
				w.replicas = o.replicas
			}
			byOwner[key] = w
			order = append(order, w)
		}
		w.seen++
		if running(p) {
			w.running++
			if bs, _ := s.podBranches(p); len(bs) > 0 { // checked by trunkNodes
				w.onBranch++
			}
		}
	}
	used := map[string]bool{}
	for _, w := range order {
		if w.replicas < 0 {
			w.replicas = w.seen
		}
		if w.running > w.replicas {
			s.noted = append(s.noted, fmt.Sprintf("%s: %d pods running, more than its %d replicas (scaling down?): the run starts with %d running",
				w.owner, w.running, w.replicas, w.replicas))
		}
		name := dnsName(w.name)
		if used[name] {
			name = dnsName(w.namespace + "-" + w.name)
		}
		for i := 2; used[name]; i++ {
			name = dnsName(w.namespace+"-"+w.name) + "-" + strconv.Itoa(i)
		}
		used[name] = true
		w.name = name
	}
	return order, nil
}

// ownerOf names the workload that keeps pod p: its Deployment through its
// ReplicaSet, its StatefulSet, DaemonSet or Job, or the pod itself.
func (s *Snapshot) ownerOf(p corev1.Pod) (key, kind, name string) {
	for _, o := range p.OwnerReferences {
		if o.Controller != nil && !*o.Controller {
			continue
		}
		switch o.Kind {
		case "ReplicaSet":
			if dep, ok := s.rsOwner[p.Namespace+"/"+o.Name]; ok {
				return dep, "Deployment", dep[strings.LastIndex(dep, "/")+1:]
			}
			// Without the ReplicaSet, its name less the template hash.
			if i := strings.LastIndex(o.Name, "-"); i > 0 && p.Labels["pod-template-hash"] == o.Name[i+1:] {
				dep := o.Name[:i]
				return "Deployment/" + p.Namespace + "/" + dep, "Deployment", dep
			}
			return "ReplicaSet/" + p.Namespace + "/" + o.Name, "ReplicaSet", o.Name
		case "StatefulSet", "DaemonSet", "Job":
			return o.Kind + "/" + p.Namespace + "/" + o.Name, o.Kind, o.Name
		}
	}
	return "Pod/" + p.Namespace + "/" + p.Name, "Pod", p.Name
}

func ownLabels(labels map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range labels {
		if !slices.Contains(generatedLabels, k) {
			out[k] = v
		}
	}
	return out
}

// dnsName makes s a DNS subdomain name, as scenario names must be.
func dnsName(s string) string {
	s = strings.ToLower(s)
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	out := strings.Trim(b.String(), "-.")
	if out == "" {
		out = "imported"
	}
	return out
}

func quote(s string) string {
	b, _ := yaml.Marshal(s)
	return strings.TrimSpace(string(b))
}

func flowMap(m map[string]string) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, quote(k)+": "+quote(m[k]))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// writePolicy writes a policy as the API server stores it.
func writePolicy(b *strings.Builder, p policy) error {
	doc := map[string]any{
		"apiVersion": p.APIVersion, "kind": p.Kind,
		"metadata": map[string]any{"name": p.Name, "namespace": orDefault(p.Namespace)},
	}
	spec := map[string]any{"securityGroups": map[string]any{"groupIds": p.Spec.SecurityGroups.GroupIDs}}
	if p.Spec.PodSelector != nil {
		spec["podSelector"] = selector(p.Spec.PodSelector)
	}
	if p.Spec.ServiceAccountSelector != nil {
		spec["serviceAccountSelector"] = selector(p.Spec.ServiceAccountSelector)
	}
	doc["spec"] = spec
	return writeObject(b, doc)
}

// writeObject writes an object as an item of a list under a top-level
// key, its keys sorted.
func writeObject(b *strings.Builder, doc map[string]any) error {
	var buf strings.Builder
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return errors.New("writing an object: " + err.Error())
	}
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	for i, l := range lines {
		if i == 0 {
			b.WriteString("  - " + l + "\n")
		} else {
			b.WriteString("    " + l + "\n")
		}
	}
	return nil
}

func orDefault(ns string) string {
	if ns == "" {
		return "default"
	}
	return ns
}

func selector(s *metav1.LabelSelector) map[string]any {
	out := map[string]any{}
	if len(s.MatchLabels) > 0 {
		out["matchLabels"] = s.MatchLabels
	}
	if len(s.MatchExpressions) > 0 {
		var exprs []map[string]any
		for _, e := range s.MatchExpressions {
			x := map[string]any{"key": e.Key, "operator": string(e.Operator)}
			if len(e.Values) > 0 {
				x["values"] = e.Values
			}
			exprs = append(exprs, x)
		}
		out["matchExpressions"] = exprs
	}
	return out
}

// writeAccounts declares the service accounts the workloads run as, with
// their labels when the input had the ServiceAccount (a policy's
// serviceAccountSelector matches them).
func (s *Snapshot) writeAccounts(b *strings.Builder, workloads []*workload) {
	seen := map[string]bool{}
	var lines []string
	for _, w := range workloads {
		if w.serviceAccount == "" || w.serviceAccount == "default" {
			continue
		}
		key := w.namespace + "/" + w.serviceAccount
		if seen[key] {
			continue
		}
		seen[key] = true
		line := fmt.Sprintf("  - {name: %s, namespace: %s", w.serviceAccount, w.namespace)
		labels, ok := s.accounts[key]
		if len(labels) > 0 {
			line += ", labels: " + flowMap(labels)
		}
		line += "}"
		if !ok {
			line += "  # not in the input: no labels"
		}
		lines = append(lines, line)
	}
	if len(lines) > 0 {
		b.WriteString("# The service accounts the workloads run as.\nserviceAccounts:\n" + strings.Join(lines, "\n") + "\n")
	}
}
