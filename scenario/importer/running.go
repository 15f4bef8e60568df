package importer

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/trunksim/trunksim/limits"
)

// The state the written scenario starts from: which nodes have their
// trunk ENI attached today (nodeGroups[].trunkAttached) and which pods are
// running (workloads[].running), those with a vpc.amazonaws.com/pod-eni
// annotation on the branch it names. The run then begins as the
// controller rebuilds those trunks from the annotations, as after a
// restart (pkg/provider/branch/trunk/trunk.go InitTrunk).

// podENIAnnotation is the annotation the controller writes on a pod once
// its branch is associated (pkg/config/type.go ResourceNamePodENI) and
// that InitTrunk reads back.
const podENIAnnotation = "vpc.amazonaws.com/pod-eni"

// hasTrunkAttachedLabel is the node label older aws-node releases set,
// "true" once the trunk is attached (pkg/config/type.go
// HasTrunkAttachedLabel).
const hasTrunkAttachedLabel = "vpc.amazonaws.com/has-trunk-attached"

// annotatedBranch is one entry of the pod-eni annotation, as upstream
// writes it (pkg/provider/branch/trunk ENIDetails); only the fields that
// say the branch is there are read.
type annotatedBranch struct {
	ID     string `json:"eniId"`
	VLANID int    `json:"vlanId"`
}

// running reports whether a pod runs today: bound, phase Running and not
// being deleted.
func running(p corev1.Pod) bool {
	return p.Spec.NodeName != "" && p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil
}

// podBranches returns the branches a pod's pod-eni annotation names; an
// annotation that is not the controller's JSON is an error naming it.
func (s *Snapshot) podBranches(p corev1.Pod) ([]annotatedBranch, error) {
	v, ok := p.Annotations[podENIAnnotation]
	if !ok {
		return nil, nil
	}
	var bs []annotatedBranch
	if err := json.Unmarshal([]byte(v), &bs); err != nil {
		return nil, &ObjectError{File: s.podSource[p.Namespace+"/"+p.Name], Object: "pod/" + p.Namespace + "/" + p.Name,
			Field: "metadata.annotations[" + podENIAnnotation + "]", Err: fmt.Errorf("not the controller's list of branch ENIs: %w", err)}
	}
	for i, b := range bs {
		if !strings.HasPrefix(b.ID, "eni-") || b.VLANID < 1 {
			return nil, &ObjectError{File: s.podSource[p.Namespace+"/"+p.Name], Object: "pod/" + p.Namespace + "/" + p.Name,
				Field: fmt.Sprintf("metadata.annotations[%s][%d]", podENIAnnotation, i), Err: fmt.Errorf("want an eniId and a vlanId of at least 1")}
		}
	}
	return bs, nil
}

// eachRunningBranches calls fn with each running pod and the branches its
// pod-eni annotation names, or stops at the first annotation that is not
// the controller's.
func (s *Snapshot) eachRunningBranches(fn func(corev1.Pod, []annotatedBranch)) error {
	for _, p := range s.pods {
		if !running(p) {
			continue
		}
		bs, err := s.podBranches(p)
		if err != nil {
			return err
		}
		fn(p, bs)
	}
	return nil
}

// trunkNodes returns the nodes whose trunk is attached today, and why each
// is taken to have one: the has-trunk-attached label, a trunk attached to
// its instance in describe-network-interfaces, or a running pod on it
// annotated with a branch, which a trunk carries. Only a node the run can
// give a trunk counts (Linux, a type that holds one, ENABLE_POD_ENI not
// off); the others are noted.
func (s *Snapshot) trunkNodes() (map[string]bool, error) {
	why := map[string]string{}
	for _, n := range s.nodes {
		switch {
		case n.Labels[hasTrunkAttachedLabel] == "true":
			why[n.Name] = "label"
		case s.ec2.trunks[instanceID(n.Spec.ProviderID)] > 0:
			why[n.Name] = "describe-network-interfaces"
		}
	}
	if err := s.eachRunningBranches(func(p corev1.Pod, bs []annotatedBranch) {
		if len(bs) > 0 && why[p.Spec.NodeName] == "" {
			why[p.Spec.NodeName] = "annotation"
		}
	}); err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, n := range s.nodes {
		if why[n.Name] == "" {
			continue
		}
		if s.cni["ENABLE_POD_ENI"] == "false" {
			s.noted = append(s.noted, fmt.Sprintf("node/%s has a trunk ENI, but aws-node's ENABLE_POD_ENI is false: the run starts it without one", n.Name))
			continue
		}
		if err := canTrunk(n); err != nil {
			s.noted = append(s.noted, fmt.Sprintf("node/%s has a trunk ENI, but %v: the run starts it without one", n.Name, err))
			continue
		}
		out[n.Name] = true
	}
	return out, nil
}

// canTrunk says why the run cannot give node n a trunk, or nil.
func canTrunk(n corev1.Node) error {
	typ, err := limits.Default().Lookup(nodeType(n))
	if err != nil {
		return fmt.Errorf("the controller's instance table lacks its type")
	}
	os := limits.OSLinux
	if n.Labels[corev1.LabelOSStable] == "windows" {
		os = limits.OSWindows
	}
	return typ.CanTrunk(os)
}

// nodeType is the node's instance type label.
func nodeType(n corev1.Node) string {
	if t := n.Labels[corev1.LabelInstanceTypeStable]; t != "" {
		return t
	}
	return n.Labels[corev1.LabelInstanceType]
}

// instanceID is the instance a spec.providerID (aws:///zone/i-...) names.
func instanceID(providerID string) string {
	if providerID == "" {
		return ""
	}
	return providerID[strings.LastIndex(providerID, "/")+1:]
}

// unownedBranches returns, for each node whose trunk is attached, how
// many in-use branch ENIs on its trunk no running pod's pod-eni
// annotation on the node names: the ones the controller's rebuild finds
// unclaimed and deletes after the cool-down (trunk.go InitTrunk). A
// branch is placed by its trunk-eni-id tag and the trunk's attachment;
// one without the tag, or on a trunk describe-network-interfaces does not
// attach to a node, is noted and left out.
func (s *Snapshot) unownedBranches(trunks map[string]bool) (map[string]int, error) {
	owned := map[string]bool{}
	if err := s.eachRunningBranches(func(p corev1.Pod, bs []annotatedBranch) {
		for _, b := range bs {
			owned[p.Spec.NodeName+" "+b.ID] = true
		}
	}); err != nil {
		return nil, err
	}
	nodeOf := map[string]string{}
	for _, n := range s.nodes {
		nodeOf[instanceID(n.Spec.ProviderID)] = n.Name
	}
	out := map[string]int{}
	placed := 0
	for _, trunk := range slices.Sorted(maps.Keys(s.ec2.onTrunk)) {
		node := nodeOf[s.ec2.trunkOf[trunk]]
		if node == "" || !trunks[node] {
			continue
		}
		for _, id := range s.ec2.onTrunk[trunk] {
			placed++
			if !owned[node+" "+id] {
				out[node]++
			}
		}
	}
	all := 0
	for _, ids := range s.ec2.onTrunk {
		all += len(ids)
	}
	if left := all + s.ec2.untagged - placed; left > 0 {
		s.noted = append(s.noted, fmt.Sprintf("%d in-use branch ENI(s) with no %s tag, or on a trunk of no node the run starts with a trunk: not placed on a node, so not in any unownedBranches", left, trunkTag))
	}
	return out, nil
}
