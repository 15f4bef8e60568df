package simtest

import (
	"strings"
	"time"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/sim"
)

// TracedPod is one pod as a trace tells its story: when it was created, where
// it was scheduled, what the controller decided for it and how it ended.
// A name used again after its pod was deleted starts a new TracedPod.
type TracedPod struct {
	Namespace, Name string
	// Created is when the pod was created; Ended when it was deleted or
	// completed (zero while it lives).
	Created, Ended time.Duration
	// Phase is the pod's phase at the end of the trace.
	Phase sim.Phase
	// NeedsBranch is set when a policy matched the pod at creation, so it
	// requested vpc.amazonaws.com/pod-eni.
	NeedsBranch bool
	// Node is the node the pod was bound to; empty while unscheduled.
	Node string
	// Requested is the group set the controller last resolved for the pod
	// (SecurityGroupRequested), at RequestedAt; InstanceGroups is set when
	// no policy matched then, so the branch carries the instance's groups.
	Requested      branch.GroupSet
	RequestedAt    time.Duration
	Requests       int
	InstanceGroups bool
	// ENI and VLAN are the branch ENI the controller annotated the pod
	// with (ResourceAllocated), at AllocatedAt.
	ENI         branch.ENIID
	VLAN        branch.VLAN
	AllocatedAt time.Duration
	// Warnings are the Warning events about the pod, oldest first.
	Warnings []TraceEvent
}

// Key returns "namespace/name".
func (p *TracedPod) Key() string { return p.Namespace + "/" + p.Name }

// Live reports whether the pod is pending or running.
func (p *TracedPod) Live() bool { return p.Phase == sim.Pending || p.Phase == sim.Running }

// TracedNode is one node as a trace tells its story.
type TracedNode struct {
	Name string
	// InstanceType is the node's type, as NodeAdded recorded it.
	InstanceType string
	// Added and Deleted are when the node joined and left (Deleted is zero
	// while it is in the cluster).
	Added, Deleted time.Duration
	Gone           bool
	// Trunk is the trunk ENI the controller last initialised (zero if
	// none).
	Trunk branch.ENIID
	// Ready is set while the controller has the node's trunk initialised:
	// from NodeTrunkInitiated until the node goes, its initialisation
	// fails, or the controller restarts.
	Ready bool
	// Explanations are the events that say why the node cannot serve
	// security-group pods for now: Unsupported, TrunkENICreationFailed,
	// NodeTrunkFailedInit, BranchENILeaked; oldest first.
	Explanations []TraceEvent
}

// View is a cluster's pods and nodes as a trace shows them, in the order
// they were created.
type View struct {
	Pods  []*TracedPod
	Nodes []*TracedNode
	// Leaked maps the branch ENIs the controller announced it gave up
	// deleting (BranchENILeaked) to the event.
	Leaked map[branch.ENIID]TraceEvent

	pods  map[string]*TracedPod
	nodes map[string]*TracedNode
}

// Pod returns the latest pod of that key ("namespace/name").
func (v *View) Pod(key string) (*TracedPod, bool) {
	p, ok := v.pods[key]
	return p, ok
}

// Node returns the node of that name.
func (v *View) Node(name string) (*TracedNode, bool) {
	n, ok := v.nodes[name]
	return n, ok
}

// NewView replays events into a view of the cluster. Events about
// objects it never saw created are ignored.
func NewView(events []TraceEvent) *View {
	v := &View{pods: map[string]*TracedPod{}, nodes: map[string]*TracedNode{}, Leaked: map[branch.ENIID]TraceEvent{}}
	for _, ev := range events {
		v.apply(ev)
	}
	return v
}

func (v *View) apply(ev TraceEvent) {
	kind, name, _ := strings.Cut(ev.Object, "/")
	switch kind {
	case "pod":
		v.applyPod(name, ev)
	case "node":
		v.applyNode(name, ev)
	case "controller":
		if ev.Event == "ControllerRestarted" {
			for _, n := range v.Nodes {
				n.Ready = false
			}
		}
	}
}

func (v *View) applyPod(key string, ev TraceEvent) {
	if ev.Event == "PodCreated" {
		ns, name, _ := strings.Cut(key, "/")
		p := &TracedPod{Namespace: ns, Name: name, Created: ev.At, Phase: sim.Pending, NeedsBranch: ev.Detail == "pod-eni requested"}
		v.Pods = append(v.Pods, p)
		v.pods[key] = p
		return
	}
	p, ok := v.pods[key]
	if !ok {
		return
	}
	if ev.Type() == "Warning" {
		p.Warnings = append(p.Warnings, ev)
	}
	switch ev.Event {
	case "PodScheduled":
		p.Node = ev.Detail
	case "PodRunning":
		p.Phase = sim.Running
	case "PodAlreadyRunning":
		// "on n0" or "on n0, eni eni-0123 vlan 7, security groups [sg-1]":
		// running from the start, on the branch its annotation names.
		p.Phase = sim.Running
		parts := strings.SplitN(strings.TrimPrefix(ev.Detail, "on "), ", ", 3)
		p.Node = parts[0]
		if len(parts) == 3 {
			if f := strings.Fields(parts[1]); len(f) == 4 && f[0] == "eni" && f[2] == "vlan" {
				p.ENI, _ = branch.ParseENIID(f[1])
				p.VLAN, _ = branch.ParseVLAN(f[3])
				p.AllocatedAt, p.RequestedAt = ev.At, ev.At
			}
			if list, ok := strings.CutPrefix(parts[2], "security groups "); ok {
				p.Requested = parseGroupList(list)
			}
		}
	case "PodDeleted":
		p.Phase, p.Ended = sim.Deleted, ev.At
	case "PodSucceeded":
		p.Phase, p.Ended = sim.Succeeded, ev.At
	case "SecurityGroupRequested":
		p.Requests++
		p.RequestedAt = ev.At
		p.InstanceGroups = ev.Type() == "Warning"
		p.Requested = branch.GroupSet{}
		if list, ok := strings.CutPrefix(ev.Message(), "will get security groups "); ok {
			p.Requested = parseGroupList(list)
		}
	case "ResourceAllocated":
		// "eni eni-0123 vlan 7"
		f := strings.Fields(ev.Message())
		if len(f) == 4 && f[0] == "eni" && f[2] == "vlan" {
			p.ENI, _ = branch.ParseENIID(f[1])
			p.VLAN, _ = branch.ParseVLAN(f[3])
			p.AllocatedAt = ev.At
		}
	}
}

func (v *View) applyNode(name string, ev TraceEvent) {
	if ev.Event == "NodeAdded" {
		typ, _, _ := strings.Cut(ev.Detail, " ")
		n := &TracedNode{Name: name, InstanceType: typ, Added: ev.At}
		v.Nodes = append(v.Nodes, n)
		v.nodes[name] = n
		return
	}
	n, ok := v.nodes[name]
	if !ok {
		return
	}
	switch ev.Event {
	case "NodeDeleted":
		n.Gone, n.Deleted, n.Ready = true, ev.At, false
	case "NodeTrunkInitiated":
		n.Ready = true
		// "trunk eni-0123; pod-eni capacity 9"
		if f := strings.Fields(ev.Message()); len(f) > 1 {
			n.Trunk, _ = branch.ParseENIID(strings.TrimSuffix(f[1], ";"))
		}
	case "NodeTrunkFailedInit":
		n.Ready = false
		n.Explanations = append(n.Explanations, ev)
	case "Unsupported", "TrunkENICreationFailed":
		n.Explanations = append(n.Explanations, ev)
	case "BranchENILeaked":
		n.Explanations = append(n.Explanations, ev)
		// "gave up deleting eni-0123 after 3 attempts; ..."
		if f := strings.Fields(ev.Message()); len(f) > 3 {
			if id, err := branch.ParseENIID(f[3]); err == nil {
				v.Leaked[id] = ev
			}
		}
	}
}

// parseGroupList reads GroupSet.String's "[sg-1, sg-2]".
func parseGroupList(s string) branch.GroupSet {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	var ids []branch.SecurityGroupID
	for _, part := range strings.Split(s, ", ") {
		id, err := branch.ParseSecurityGroupID(part)
		switch {
		case err == nil:
			ids = append(ids, id)
		case part != "":
			// A malformed ID the policy wrote, named by its text.
			ids = append(ids, branch.MalformedGroupID(part))
		}
	}
	return branch.NewGroupSet(ids...)
}
