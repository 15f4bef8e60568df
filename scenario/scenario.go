package scenario

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/trunksim/trunksim/autoscaler"
	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/cni"
	"github.com/trunksim/trunksim/karpenter"
	"github.com/trunksim/trunksim/limits"
	"github.com/trunksim/trunksim/reach"
	"github.com/trunksim/trunksim/sim"
)

// Scenario is a parsed scenario file: a cluster's configuration, what it
// starts with, and what happens to it over time. Parse fills in the
// defaults the format documents (namespace "default", OS linux), so a
// Scenario says exactly what will be simulated. Zero values in the sim
// configuration structs mean upstream's defaults, as they do for sim.New.
type Scenario struct {
	// File is the name errors and reports use for the scenario.
	File string
	// Seed feeds every random choice of the run.
	Seed uint64
	// Until caps simulated time; zero runs until nothing is in flight.
	Until time.Duration
	// Placement is how the scheduler spreads pods; zero means
	// least-allocated.
	Placement sim.Placement

	// Controller, EC2, Kubelet and CNI are the controller, fake EC2, kubelet
	// and aws-node settings of the controller, ec2, kubelet and cni keys.
	// ec2.accountThrottling and cni.enablePodENI, true by default, are
	// held negated as sim holds them (NoAccountThrottling, DisablePodENI).
	Controller sim.Controller
	EC2        sim.EC2
	Kubelet    sim.Kubelet
	CNI        cni.Config
	// Network holds what the reachability check reads beyond the
	// simulator's settings: the network key, and cni.externalSNAT.
	Network Network
	// DNS is how pods resolve names, from the dns key.
	DNS reach.DNS

	// AvailableBranches is ec2.availableBranches: branch ENIs in EC2 at
	// time zero that no trunk holds, as deleted nodes leave them, for the
	// cluster ENI cleaner to delete (sim.Sim.AddAvailableBranches).
	AvailableBranches int

	// NodeGroups join the cluster at time zero, in file order.
	NodeGroups []NodeGroup
	// ServiceAccounts exist from time zero.
	ServiceAccounts []ServiceAccount
	// SecurityGroupPolicies are the SecurityGroupPolicy objects, in file
	// order: any the API server stores. One the controller cannot use (no
	// selector, a selector that does not convert, no groups) is kept and
	// matches no pod, with a warning.
	SecurityGroupPolicies []branch.Policy
	// MalformedGroups are the group IDs, as written in the policies
	// (including those of applyPolicy events), that are no IDs, in the
	// order first read. A policy names each by [branch.MalformedGroupID];
	// Build declares them ([sim.Sim.AddMalformedGroup]), so the pods they
	// reach fail with InvalidGroupId.Malformed, and Marshal writes them
	// back as written.
	MalformedGroups []string
	// SecurityGroups lists the VPC's security groups by ID, for checks
	// that need to know which groups exist.
	SecurityGroups []SecurityGroup
	// Workloads are created at their At times.
	Workloads []Workload
	// NodePools and NodeClasses are Karpenter's NodePool and EC2NodeClass
	// objects, from the nodePools and ec2NodeClasses keys; with any
	// NodePool, Karpenter provisions nodes for pods kube-scheduler cannot
	// place ([sim.Sim.UseKarpenter]), with the settings of the karpenter
	// key (Karpenter).
	NodePools   []karpenter.NodePool
	NodeClasses []karpenter.NodeClass
	// Karpenter holds the karpenter key's settings, prices among them.
	Karpenter karpenter.Config
	// ClusterAutoscaler holds the clusterAutoscaler key's settings.
	ClusterAutoscaler autoscaler.Config
	// Warnings are what Parse accepted as a cluster would but a user
	// should know, such as a field the API server prunes; Build passes
	// them to the report (sim.Sim.Warn).
	Warnings []string
	// Events are scripted changes, in file order; events at the same time
	// run in that order, after the workloads created at that time.
	Events []Event

	// lines maps a field path such as "events[2]" to its line, so errors
	// found while running can point into the file.
	lines map[string]int
	// policyPaths is where each of SecurityGroupPolicies was read, such
	// as "securityGroupPolicies[2]" or "documents[1].items[0]".
	policyPaths []string
}

// NodeGroup is a set of identical nodes that join at time zero, named
// <name>-0, <name>-1, ...
type NodeGroup struct {
	// Name names the group and prefixes its nodes' names.
	Name string
	// InstanceType is an EC2 instance type in some controller release's
	// table (limits.NewestReleaseWith); one the modelled release lacks
	// joins without a trunk.
	InstanceType string
	// Count is how many nodes join at time zero; it may be 0 for a group
	// that only addNode events fill.
	Count int
	// OS is the nodes' operating system; Parse sets linux when omitted.
	OS limits.OS
	// MaxPods is kubelet's maxPods as the group's bootstrap sets it
	// (eksctl maxPodsPerNode, nodeadm's kubelet config); zero means the
	// EKS default for the type and networking mode, or, for a type the
	// modelled controller release's table lacks, the VPC CNI's
	// eni-max-pods.txt figure (sim.NodeSpec.MaxPods).
	MaxPods int
	// Labels are the nodes' labels.
	Labels map[string]string
	// SecurityGroups are the groups on the nodes' ENIs, which ordinary
	// pods share; each must be declared under securityGroups.
	SecurityGroups []branch.SecurityGroupID
	// Subnet is the nodes' subnet; a zero Kind means private.
	Subnet reach.Subnet
	// TrunkAttached is how many of the Count nodes, the first ones, have
	// their trunk ENI attached already at time zero, as in a running
	// cluster (sim.NodeSpec.TrunkAttached): the controller rebuilds their
	// trunks instead of creating them. It is at most Count, on Linux.
	TrunkAttached int
	// UnownedBranches is how many branch ENIs each of those nodes' trunks
	// holds that no pod owns (sim.NodeSpec.UnownedBranches): the rebuild
	// queues them for deletion after the cool-down. It needs
	// TrunkAttached.
	UnownedBranches int
	// Autoscaling, when set, makes cluster-autoscaler manage the group
	// (sim.Sim.UseClusterAutoscaler): Count is its desired capacity at
	// time zero, within MinSize and MaxSize, and addNode and deleteNode
	// events may not name it.
	Autoscaling *Autoscaling
}

// Autoscaling is an Auto Scaling group's sizes and node-template tag, as
// cluster-autoscaler reads them.
type Autoscaling struct {
	MinSize, MaxSize int
	// TemplatePodENI is the group's
	// k8s.io/cluster-autoscaler/node-template/resources/vpc.amazonaws.com/pod-eni
	// tag; zero means none.
	TemplatePodENI int
}

// Network is the VPC and the settings that decide how traffic leaves it.
type Network struct {
	// VPCCIDR is the VPC's IPv4 CIDR block; zero means not given.
	VPCCIDR netip.Prefix
	// RulesPerGroup is the inbound or outbound rules per security group
	// quota; zero means EC2's default of 60.
	RulesPerGroup int
	// ExternalSNAT is the CNI's AWS_VPC_K8S_CNI_EXTERNALSNAT, written as
	// cni.externalSNAT; the simulator does not model SNAT, so it lives here.
	ExternalSNAT bool
	// Calico reports Calico network policy in the cluster.
	Calico bool
}

// ServiceAccount gives a service account the labels that policies'
// serviceAccountSelector match.
type ServiceAccount struct {
	// Name and Namespace identify the account; Parse sets namespace
	// "default" when omitted.
	Name, Namespace string
	// Labels are what serviceAccountSelector matches.
	Labels map[string]string
}

// SecurityGroup is one of the VPC's security groups.
type SecurityGroup struct {
	// ID is the group's ID, such as sg-0123456789abcdef0.
	ID branch.SecurityGroupID
	// Name is a label for people; it may be empty.
	Name string
	// Ingress and Egress are the group's allow rules. Parse fills Egress
	// with reach.AllowAllEgress when the egress key is omitted, as EC2
	// does for a new group; an empty list written out means none.
	Ingress, Egress []reach.Rule
}

// Workload is a Deployment-like set of identical pods created at At and
// kept at Replicas: a pod that is deleted is replaced.
type Workload struct {
	// Name is unique in the scenario and prefixes the pods' names; Parse
	// sets Namespace "default" when omitted.
	Name, Namespace string
	// Labels are the pods' labels, which podSelector matches.
	Labels map[string]string
	// ServiceAccount is the pods' service account; empty means "default".
	ServiceAccount string
	// Replicas is how many pods the workload keeps.
	Replicas int
	// At is when the workload is created.
	At time.Duration
	// Interval is the gap between successive pod creations; zero creates
	// them all at At.
	Interval time.Duration
	// Lifetime, when positive, makes each pod complete this long after it
	// runs, as a Job's pods do; completed pods are not replaced.
	Lifetime time.Duration
	// Probes are the TCP ports the kubelet probes (httpGet, tcpSocket and
	// grpc probes; exec probes need no network).
	Probes []uint16
	// TalksTo are the flows the pods must be able to open, and
	// ReceivesFrom those from outside the cluster they must accept.
	// Parse sets Protocol to TCP when it is omitted.
	TalksTo, ReceivesFrom []reach.Traffic
	// Running is how many of the Replicas pods are running already at
	// time zero (sim.WorkloadSpec.Running): those that need a branch ENI
	// run on one of their own on a node group's node with its trunk
	// attached (NodeGroup.TrunkAttached), which the controller learns
	// from their pod-eni annotations. It is at most Replicas, and only
	// for a workload created at time zero.
	Running int
}

// Event is a scripted change at a point in simulated time. Which of the
// other fields an action uses is listed on the action.
type Event struct {
	// At is when the event happens.
	At time.Duration
	// Action is what happens.
	Action Action
	// Node names one node.
	Node string
	// NodeGroup names a node group.
	NodeGroup string
	// Count is how many nodes or pods the action affects; zero means the
	// action's default.
	Count int
	// Workload names a workload (names are unique within a scenario).
	Workload string
	// InstanceType is the type of nodes added.
	InstanceType string
	// MaxSurge and MaxUnavailable shape a rollout restart; both zero means
	// the Deployment defaults of 25% each.
	MaxSurge, MaxUnavailable int
	// Replicas is the count a scale sets, zero included.
	Replicas int
	// Policy is the SecurityGroupPolicy an applyPolicy creates or
	// replaces, and whose namespace and name a deletePolicy names.
	Policy branch.Policy
	// Cooldown is the branch-eni-cooldown a setBranchENICooldown writes
	// into the amazon-vpc-cni ConfigMap (at least 30 s applies).
	Cooldown time.Duration
	// SecurityGroup is the group a deleteSecurityGroup deletes.
	SecurityGroup branch.SecurityGroupID
	// ServiceAccount names the account a labelServiceAccount relabels,
	// with its new labels.
	ServiceAccount ServiceAccount
}

// Action is what an [Event] does. The zero value is not an action.
type Action uint8

const (
	// AddNode adds Count nodes (default 1) to NodeGroup, named after it and
	// of its type unless InstanceType is given; or, without NodeGroup, one
	// node named Node of type InstanceType.
	AddNode Action = 1 + iota
	// DeleteNode deletes the node named Node, or the Count oldest nodes
	// (default 1) still in NodeGroup. The node's pods are deleted, and
	// their workloads replace them.
	DeleteNode
	// DeletePods deletes Count of Workload's pods (default all of them),
	// newest first, as a ReplicaSet scaling down does; completed pods
	// count. The workload replaces the running and pending ones. When
	// fewer pods exist than Count, those there are are deleted.
	DeletePods
	// RolloutRestart replaces every pod of Workload with a new one,
	// keeping at most Replicas+MaxSurge pods and at least
	// Replicas-MaxUnavailable running, as `kubectl rollout restart` does.
	RolloutRestart
	// RestartController restarts the VPC resource controller: its
	// in-memory state is rebuilt from EC2 and the cluster.
	RestartController
	// Scale sets Workload's replicas to Replicas, as `kubectl scale`
	// does: more are created at once; for fewer, the ReplicaSet's
	// victims (unscheduled, then pending, then on the most crowded node,
	// then the most recently ready, then the newest) are deleted and not
	// replaced.
	Scale
	// ApplyPolicy creates Policy, or replaces the policy of its namespace
	// and name, as `kubectl apply` does. Pods created from then on are
	// matched against it; running pods keep their branch and groups, as
	// the webhook mutates pods at creation only (pod_webhook.go).
	ApplyPolicy
	// DeletePolicy deletes the policy Policy names; running pods keep
	// their branch.
	DeletePolicy
	// SetBranchENICooldown sets the amazon-vpc-cni ConfigMap's
	// branch-eni-cooldown to Cooldown, which the controller applies at
	// once, to branches cooling then too ([sim.Sim.SetBranchENICooldown]).
	SetBranchENICooldown
	// DeleteSecurityGroup deletes SecurityGroup from the VPC, as `aws ec2
	// delete-security-group` does; EC2 refuses while an interface uses
	// it, and the report says so ([sim.Sim.DeleteSecurityGroup]).
	DeleteSecurityGroup
	// LabelServiceAccount replaces the labels of ServiceAccount with its
	// Labels, as `kubectl label serviceaccount --overwrite` does; pods
	// created afterwards are matched with them.
	LabelServiceAccount
	// EnablePodENI turns ENABLE_POD_ENI on in the aws-node DaemonSet
	// (cni.enablePodENI false before it): aws-node asks for a trunk on
	// each node with an interface slot free, and on the others once pods
	// leave ([sim.Sim.EnablePodENI]).
	EnablePodENI
)

var actionNames = [...]string{
	AddNode:           "addNode",
	DeleteNode:        "deleteNode",
	DeletePods:        "deletePods",
	RolloutRestart:    "rolloutRestart",
	RestartController: "restartController",
	Scale:             "scale",
	ApplyPolicy:       "applyPolicy",
	DeletePolicy:      "deletePolicy",

	SetBranchENICooldown: "setBranchENICooldown",
	DeleteSecurityGroup:  "deleteSecurityGroup",
	LabelServiceAccount:  "labelServiceAccount",
	EnablePodENI:         "enablePodENI",
}

// String returns the action as scenario files spell it, such as
// "deleteNode".
func (a Action) String() string {
	if a >= AddNode && int(a) < len(actionNames) {
		return actionNames[a]
	}
	return fmt.Sprintf("Action(%d)", uint8(a))
}

// ParseAction parses the spelling [Action.String] returns.
func ParseAction(s string) (Action, error) {
	for a := AddNode; int(a) < len(actionNames); a++ {
		if actionNames[a] == s {
			return a, nil
		}
	}
	return 0, fmt.Errorf("%w: unknown action %q (want one of %s)", ErrInvalidValue, s, orList(actionNames[1:]))
}

// policyPath is where policy i was read; a Scenario built in a program
// has none, and its policies are named by their index.
func (sc *Scenario) policyPath(i int) string {
	if i < len(sc.policyPaths) {
		return sc.policyPaths[i]
	}
	return fmt.Sprintf("securityGroupPolicies[%d]", i)
}
