package importer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/trunksim/trunksim/sim"
)

// MaxBytes is the largest input the CLI hands to [Snapshot.Read]: kubectl
// prints a few kilobytes an object, so it holds some thousands of them.
const MaxBytes = 16 << 20

// ErrBadObject is wrapped by every error about an input object.
var ErrBadObject = errors.New("bad object")

// ObjectError locates a problem in an input: the file, the object and
// the field.
type ObjectError struct {
	File, Object, Field string
	Err                 error
}

func (e *ObjectError) Error() string {
	s := e.File
	if e.Object != "" {
		s += ": " + clip(e.Object)
	}
	if e.Field != "" {
		s += ": " + e.Field
	}
	return s + ": " + e.Err.Error()
}

// clip cuts a name from the input to a prefix fit for a message, so a
// 10 MB name gives a short error.
func clip(s string) string {
	const at = 100
	if len(s) <= at {
		return s
	}
	return s[:at] + "... (" + strconv.Itoa(len(s)) + " bytes)"
}

// Unwrap returns the cause and ErrBadObject.
func (e *ObjectError) Unwrap() []error { return []error{ErrBadObject, e.Err} }

// policy is a SecurityGroupPolicy as the CRD defines it
// (vpcresources.k8s.aws/v1beta1, config/crd/bases in the resource
// controller); fields outside its schema are dropped, as the API server
// prunes them.
type policy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		PodSelector            *metav1.LabelSelector `json:"podSelector,omitempty"`
		ServiceAccountSelector *metav1.LabelSelector `json:"serviceAccountSelector,omitempty"`
		SecurityGroups         struct {
			GroupIDs []string `json:"groupIds"`
		} `json:"securityGroups"`
	} `json:"spec"`
}

// cniNode is the resource controller's CNINode (vpcresources.k8s.aws/v1alpha1,
// apis/vpcresources/v1alpha1/cninode_types.go): aws-node adds the
// SecurityGroupsForPods feature when it wants a trunk, and the controller
// manages a trunk only on nodes that have it (pkg/node/manager,
// isSelectedForManagement).
type cniNode struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Features []cniFeature `json:"features"`
	} `json:"spec"`
}

type cniFeature struct {
	Name  string `json:"name"`
	Value string `json:"value,omitempty"`
}

// owned is a workload kind and its pod template's replica count.
type owned struct {
	kind, namespace, name string
	replicas              int
	file                  string
}

// Snapshot collects a cluster's objects from one or more inputs.
type Snapshot struct {
	nodes     []corev1.Node
	pods      []corev1.Pod
	policies  []policy
	owners    map[string]owned  // kind/namespace/name
	rsOwner   map[string]string // namespace/replicaset -> deployment key
	cni       map[string]string // aws-node env, the few that matter
	cniImage  string
	cooldown  string
	accounts  map[string]map[string]string // namespace/name -> labels, from ServiceAccount objects
	sources   []string
	warnings  []string // from reading
	noted     []string // from the last Scenario call
	podSource map[string]string
	ec2       ec2State
	cniNodes  map[string]bool // node name -> its CNINode lists SecurityGroupsForPods
	fargate   map[string]bool // Fargate nodes, left out of the scenario
	// nodePools and nodeClasses are Karpenter's objects as read, less
	// their status and server metadata, in input order.
	nodePools, nodeClasses []map[string]any
}

// New returns an empty snapshot.
func New() *Snapshot {
	return &Snapshot{owners: map[string]owned{}, rsOwner: map[string]string{}, cni: map[string]string{},
		podSource: map[string]string{}, accounts: map[string]map[string]string{}, ec2: newEC2State(), cniNodes: map[string]bool{}, fargate: map[string]bool{}}
}

// Warnings are the objects skipped and the guesses made, in input order,
// then what the last [Snapshot.Scenario] call found while writing.
func (s *Snapshot) Warnings() []string { return slices.Concat(s.warnings, s.noted) }

// Read adds the objects of one input, named name in errors: YAML or JSON,
// one or more documents, each an object or a List of them.
func (s *Snapshot) Read(name string, r io.Reader) error {
	dec := k8syaml.NewYAMLOrJSONDecoder(r, 4096)
	s.sources = append(s.sources, name)
	for doc := 1; ; doc++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err == io.EOF {
			return nil
		} else if err != nil {
			return &ObjectError{File: name, Object: fmt.Sprintf("document %d", doc), Err: err}
		}
		if len(bytes.TrimSpace(raw)) == 0 || string(raw) == "null" {
			continue
		}
		if err := s.add(name, raw); err != nil {
			return err
		}
	}
}

func (s *Snapshot) add(file string, raw json.RawMessage) error {
	var head struct {
		metav1.TypeMeta `json:",inline"`
		Metadata        struct{ Name, Namespace string } `json:"metadata"`
		Items           []json.RawMessage                `json:"items"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return &ObjectError{File: file, Err: fmt.Errorf("not a Kubernetes object: %w", err)}
	}
	obj := join(head.Metadata.Namespace, head.Metadata.Name)
	if head.Kind != "" {
		obj = strings.ToLower(head.Kind) + "/" + obj
	}
	bad := func(field string, err error) error {
		return &ObjectError{File: file, Object: obj, Field: field, Err: err}
	}
	decode := func(into any) error {
		if err := json.Unmarshal(raw, into); err != nil {
			return bad("", err)
		}
		return nil
	}
	switch {
	case head.Kind == "" && isEC2Output(raw):
		return s.addEC2(file, raw)
	case head.Kind == "":
		return bad("kind", errors.New("missing: want a Kubernetes object with apiVersion and kind, or what an aws ec2 describe command prints"))
	case strings.HasSuffix(head.Kind, "List"):
		for _, item := range head.Items {
			if err := s.add(file, item); err != nil {
				return err
			}
		}
		return nil
	}
	switch gk := head.APIVersion + " " + head.Kind; gk {
	case "v1 Node":
		var n corev1.Node
		if err := decode(&n); err != nil {
			return err
		}
		fargate := n.Labels[sim.LabelComputeType] == "fargate" // left out when writing; see leaveOutFargate
		if !fargate && n.Labels[corev1.LabelInstanceTypeStable] == "" && n.Labels[corev1.LabelInstanceType] == "" {
			return bad("metadata.labels", fmt.Errorf("no %s label: the instance type is unknown", corev1.LabelInstanceTypeStable))
		}
		s.nodes = append(s.nodes, n)
	case "v1 Pod":
		var p corev1.Pod
		if err := decode(&p); err != nil {
			return err
		}
		s.pods = append(s.pods, p)
		s.podSource[p.Namespace+"/"+p.Name] = file
	case "vpcresources.k8s.aws/v1beta1 SecurityGroupPolicy":
		var p policy
		if err := decode(&p); err != nil {
			return err
		}
		if len(p.Spec.SecurityGroups.GroupIDs) == 0 {
			return bad("spec.securityGroups.groupIds", errors.New("empty: the CRD wants at least one"))
		}
		s.policies = append(s.policies, p)
	case "apps/v1 Deployment", "apps/v1 StatefulSet", "apps/v1 ReplicaSet", "batch/v1 Job", "apps/v1 DaemonSet":
		return s.addOwner(file, gk, raw, bad)
	case "vpcresources.k8s.aws/v1alpha1 CNINode":
		var c cniNode
		if err := decode(&c); err != nil {
			return err
		}
		s.cniNodes[c.Name] = slices.ContainsFunc(c.Spec.Features, func(f cniFeature) bool { return f.Name == "SecurityGroupsForPods" })
	case "karpenter.sh/v1 NodePool", "karpenter.k8s.aws/v1 EC2NodeClass":
		var obj map[string]any
		if err := decode(&obj); err != nil {
			return err
		}
		delete(obj, "status")
		if meta, ok := obj["metadata"].(map[string]any); ok {
			for _, k := range []string{"managedFields", "uid", "resourceVersion", "generation", "creationTimestamp", "annotations", "finalizers", "selfLink"} {
				delete(meta, k)
			}
		}
		if head.Kind == "NodePool" {
			s.nodePools = append(s.nodePools, obj)
		} else {
			s.nodeClasses = append(s.nodeClasses, obj)
		}
	case "v1 ServiceAccount":
		var sa corev1.ServiceAccount
		if err := decode(&sa); err != nil {
			return err
		}
		s.accounts[orDefault(sa.Namespace)+"/"+sa.Name] = sa.Labels
	case "v1 ConfigMap":
		var cm corev1.ConfigMap
		if err := decode(&cm); err != nil {
			return err
		}
		if cm.Namespace == "kube-system" && cm.Name == "amazon-vpc-cni" {
			s.cooldown = cm.Data["branch-eni-cooldown"]
		} else {
			s.warnings = append(s.warnings, fmt.Sprintf("%s: %s skipped: only kube-system/amazon-vpc-cni is read", file, obj))
		}
	default:
		s.warnings = append(s.warnings, fmt.Sprintf("%s: %s (%s) skipped: not a kind the importer reads", file, obj, head.APIVersion))
	}
	return nil
}

func join(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

// addOwner records a workload controller: its replicas, and for aws-node
// the CNI settings.
func (s *Snapshot) addOwner(file, gk string, raw json.RawMessage, bad func(string, error) error) error {
	var replicas *int32
	var meta metav1.ObjectMeta
	var kind string
	switch gk {
	case "apps/v1 Deployment":
		var d appsv1.Deployment
		if err := json.Unmarshal(raw, &d); err != nil {
			return bad("", err)
		}
		meta, replicas, kind = d.ObjectMeta, d.Spec.Replicas, "Deployment"
	case "apps/v1 StatefulSet":
		var d appsv1.StatefulSet
		if err := json.Unmarshal(raw, &d); err != nil {
			return bad("", err)
		}
		meta, replicas, kind = d.ObjectMeta, d.Spec.Replicas, "StatefulSet"
	case "apps/v1 ReplicaSet":
		var d appsv1.ReplicaSet
		if err := json.Unmarshal(raw, &d); err != nil {
			return bad("", err)
		}
		meta, replicas, kind = d.ObjectMeta, d.Spec.Replicas, "ReplicaSet"
		for _, o := range d.OwnerReferences {
			if o.Kind == "Deployment" {
				s.rsOwner[d.Namespace+"/"+d.Name] = "Deployment/" + d.Namespace + "/" + o.Name
			}
		}
	case "batch/v1 Job":
		var d batchv1.Job
		if err := json.Unmarshal(raw, &d); err != nil {
			return bad("", err)
		}
		meta, replicas, kind = d.ObjectMeta, d.Spec.Parallelism, "Job"
	case "apps/v1 DaemonSet":
		var d appsv1.DaemonSet
		if err := json.Unmarshal(raw, &d); err != nil {
			return bad("", err)
		}
		if d.Namespace == "kube-system" && d.Name == "aws-node" {
			s.readAWSNode(d)
			return nil
		}
		meta, kind = d.ObjectMeta, "DaemonSet"
	}
	o := owned{kind: kind, namespace: meta.Namespace, name: meta.Name, replicas: -1, file: file}
	if replicas != nil {
		if *replicas < 0 {
			return bad("spec.replicas", fmt.Errorf("%d: must not be negative", *replicas))
		}
		o.replicas = int(*replicas)
	}
	s.owners[kind+"/"+meta.Namespace+"/"+meta.Name] = o
	return nil
}

// awsNodeEnv are the aws-node variables that change what the controller
// sees; every other variable is left behind.
var awsNodeEnv = []string{"ENABLE_POD_ENI", "POD_SECURITY_GROUP_ENFORCING_MODE", "DISABLE_TCP_EARLY_DEMUX",
	"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG", "ENABLE_PREFIX_DELEGATION", "ENABLE_IPv6", "MAX_ENI"}

func (s *Snapshot) readAWSNode(d appsv1.DaemonSet) {
	for _, c := range d.Spec.Template.Spec.Containers {
		if c.Name != "aws-node" {
			continue
		}
		if _, tag, ok := strings.Cut(c.Image, ":"); ok {
			s.cniImage = strings.SplitN(tag, "-", 2)[0]
		}
		for _, e := range c.Env {
			if slices.Contains(awsNodeEnv, e.Name) {
				s.cni[e.Name] = e.Value
			}
		}
	}
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func atoi(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	return n, err == nil
}
