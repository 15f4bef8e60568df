package autoscaler

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Sentinel errors; each is wrapped with what it is about.
var (
	// ErrBadGroup is wrapped by a *GroupError.
	ErrBadGroup = errors.New("invalid node group")
	// ErrBadInput is wrapped by the error Step returns for an input it
	// cannot take; the autoscaler is left as it was.
	ErrBadInput = errors.New("invalid input")
)

// GroupError names the node group and field that are wrong.
type GroupError struct {
	Group, Field string
	Err          error
}

func (e *GroupError) Error() string {
	return fmt.Sprintf("autoscaler: node group %q: %s: %v", e.Group, e.Field, e.Err)
}

// Unwrap returns ErrBadGroup and the cause.
func (e *GroupError) Unwrap() []error { return []error{ErrBadGroup, e.Err} }

// Config holds cluster-autoscaler's settings (config/flags/flags.go at
// cluster-autoscaler-1.36.1); zero fields mean the defaults.
type Config struct {
	// ScanInterval is --scan-interval: how often unschedulable pods are
	// looked at (10s).
	ScanInterval time.Duration
	// NodeStartup is how long a node the autoscaler asked for takes to
	// join with aws-node up. Assumption: 70s, what a user measured for a
	// node of a cluster-autoscaler group (aws/karpenter-provider-aws#3102).
	NodeStartup time.Duration
	// ScaleDownUnneeded is --scale-down-unneeded-time: how long a node
	// must have been unneeded before it is removed (10m).
	ScaleDownUnneeded time.Duration
	// ScaleDownDelayAfterAdd is --scale-down-delay-after-add: no scale-down
	// for this long after a scale-up (10m).
	ScaleDownDelayAfterAdd time.Duration
}

// Defaults.
const (
	DefaultScanInterval           = 10 * time.Second
	DefaultNodeStartup            = 70 * time.Second
	DefaultScaleDownUnneeded      = 10 * time.Minute
	DefaultScaleDownDelayAfterAdd = 10 * time.Minute
	// TemplatePods is the pods an ASG's template node holds when no real
	// node of the group is a template yet: hard-coded in
	// cloudprovider/aws/aws_manager.go buildNodeFromTemplate.
	TemplatePods = 110
	// TemplateStabilisation is how long a node must have been Ready to be
	// its group's template (processors/nodeinfosprovider/
	// mixed_nodeinfos_processor.go isNodeGoodTemplateCandidate).
	TemplateStabilisation = time.Minute
)

func (c Config) withDefaults() (Config, error) {
	for _, d := range []struct {
		field string
		v     *time.Duration
		def   time.Duration
	}{{"ScanInterval", &c.ScanInterval, DefaultScanInterval}, {"NodeStartup", &c.NodeStartup, DefaultNodeStartup},
		{"ScaleDownUnneeded", &c.ScaleDownUnneeded, DefaultScaleDownUnneeded},
		{"ScaleDownDelayAfterAdd", &c.ScaleDownDelayAfterAdd, DefaultScaleDownDelayAfterAdd}} {
		switch {
		case *d.v < 0:
			return c, fmt.Errorf("autoscaler: %w: %s %v is negative", ErrBadInput, d.field, *d.v)
		case *d.v == 0:
			*d.v = d.def
		}
	}
	return c, nil
}

// Group is an autoscaled node group: an Auto Scaling group of one
// instance type.
type Group struct {
	Name     string
	Min, Max int
	// Size is the group's desired capacity at the start, its nodes there
	// already; it must be within Min and Max.
	Size int
	// TemplatePodENI is the value of the group's
	// k8s.io/cluster-autoscaler/node-template/resources/vpc.amazonaws.com/pod-eni
	// tag, the only way the autoscaler learns a group's pod-eni before a
	// node of it is Ready (it has no knowledge of pod-eni of its own);
	// zero means no tag.
	TemplatePodENI int
}

// GroupID names a group by its index in New's list.
type GroupID int32

// NodeID names a node by the caller's number for it.
type NodeID int32

// Pod is an unschedulable pod: one pod slot and, when it asks, one
// vpc.amazonaws.com/pod-eni.
type Pod struct {
	PodENI bool
}

// Node is a node of a group as the cluster shows it.
type Node struct {
	ID     NodeID
	Joined time.Duration
	// Pods and PodENI are its allocatable pod slots (beyond DaemonSets)
	// and advertised pod-eni; UsedPods and UsedPodENI what its pods take.
	Pods, PodENI, UsedPods, UsedPodENI int
}

// Cluster is what the autoscaler reads of the cluster.
type Cluster interface {
	// AppendUnschedulable appends the pods kube-scheduler marked
	// Unschedulable that are still pending and unbound, oldest first.
	AppendUnschedulable(dst []Pod) []Pod
	// AppendNodes appends the group's nodes that have joined.
	AppendNodes(g GroupID, dst []Node) []Node
}

// InputKind says what happened.
type InputKind uint8

// Inputs.
const (
	// Woke: the scan's wake-up came.
	Woke InputKind = 1 + iota
	// NodeJoined: a node the autoscaler asked for joined (Input.Group).
	NodeJoined
	// NodeDeleted: a node of Input.Group was deleted.
	NodeDeleted
	// PodPending: kube-scheduler found no node for a pod, so the next
	// scan has work and keeps the run going.
	PodPending
)

// Input is one thing that happened.
type Input struct {
	Kind  InputKind
	Group GroupID
}

// EffectKind says what the autoscaler wants done.
type EffectKind uint8

// Effects.
const (
	// WakeIdle: step Woke at Effect.At; the wake-up alone does not keep a
	// run going.
	WakeIdle EffectKind = 1 + iota
	// Launch: a node of Effect.Group joins at Effect.At.
	Launch
	// Delete: delete node Effect.Node of Effect.Group now (scale-down).
	Delete
	// Wake: step Woke at Effect.At; the wake-up keeps a run going, as
	// the scan has pods to place that a group could take, or nodes are on
	// their way.
	Wake
)

// Effect is one thing the autoscaler wants done.
type Effect struct {
	Kind  EffectKind
	At    time.Duration
	Group GroupID
	Node  NodeID
}

// Stats counts what the autoscaler did.
type Stats struct {
	ScaleUps, NodesAdded, NodesRemoved int
	// NoScaleUp counts scans that left unschedulable pods with no group
	// to grow: every group at its maximum, or no group whose template
	// fits them (NotTriggerScaleUp).
	NoScaleUp int
}

// Autoscaler is cluster-autoscaler's main loop for the AWS provider as a
// state machine. It is not safe for concurrent use.
type Autoscaler struct {
	cfg      Config
	cluster  Cluster
	groups   []group
	now      time.Duration
	lastAdd  time.Duration
	added    bool
	stats    Stats
	out      []Effect
	podBuf   []Pod
	nodeBuf  []Node
	unneeded map[NodeID]time.Duration // since when an empty node was unneeded

	nextScan, lastScan time.Duration
	busyArmed          bool // the next scan's wake-up keeps the run going
}

func (a *Autoscaler) upcoming() int {
	n := 0
	for _, g := range a.groups {
		n += g.upcoming
	}
	return n
}

type group struct {
	Group
	target   int // desired capacity
	joined   int // nodes of it that have joined and are not deleted
	upcoming int // asked for, not joined yet
}

// New returns an autoscaler of the groups, which start at their Min; it
// asks for its first scan at now.
func New(cfg Config, groups []Group, cluster Cluster) (*Autoscaler, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	a := &Autoscaler{cfg: c, cluster: cluster, unneeded: map[NodeID]time.Duration{}}
	for _, g := range groups {
		switch {
		case g.Name == "":
			return nil, &GroupError{g.Name, "name", errors.New("required")}
		case g.Min < 0 || g.Max < g.Min || g.Max < 1:
			return nil, &GroupError{g.Name, "maxSize", fmt.Errorf("want 0 <= minSize <= maxSize and maxSize >= 1, got %d and %d", g.Min, g.Max)}
		case g.Size < g.Min || g.Size > g.Max:
			return nil, &GroupError{g.Name, "count", fmt.Errorf("%d is outside minSize %d and maxSize %d", g.Size, g.Min, g.Max)}
		case g.TemplatePodENI < 0:
			return nil, &GroupError{g.Name, "templatePodENI", errors.New("negative")}
		}
		a.groups = append(a.groups, group{Group: g, target: g.Size, joined: g.Size})
	}
	return a, nil
}

// Start returns the effect that arms the first scan.
func (a *Autoscaler) Start(now time.Duration, out []Effect) []Effect {
	a.now, a.nextScan = now, now+a.cfg.ScanInterval
	return append(out, Effect{Kind: WakeIdle, At: a.nextScan})
}

// wakeForScan asks for the next scan: one that keeps a run going while
// there is work for it (pods to place that a group could take, nodes on
// their way), and an idle one otherwise, so a run whose pods no group can
// take still ends.
func (a *Autoscaler) wakeForScan(busy bool) {
	kind := WakeIdle
	if busy {
		kind = Wake
		a.busyArmed = true
	}
	a.out = append(a.out, Effect{Kind: kind, At: a.nextScan})
}

// Stats returns what the autoscaler has done so far.
func (a *Autoscaler) Stats() Stats { return a.stats }

// Target returns a group's desired capacity.
func (a *Autoscaler) Target(g GroupID) int { return a.groups[g].target }

// Step tells the autoscaler what happened at now and appends what it
// wants done to out.
func (a *Autoscaler) Step(now time.Duration, in Input, out []Effect) ([]Effect, error) {
	switch {
	case now < a.now:
		return out, fmt.Errorf("autoscaler: %w: time %v is before %v", ErrBadInput, now, a.now)
	case (in.Kind == NodeJoined || in.Kind == NodeDeleted) && (in.Group < 0 || int(in.Group) >= len(a.groups)):
		return out, fmt.Errorf("autoscaler: %w: no group %d", ErrBadInput, in.Group)
	case in.Kind == NodeJoined && a.groups[in.Group].upcoming == 0:
		return out, fmt.Errorf("autoscaler: %w: group %s has no node coming", ErrBadInput, a.groups[in.Group].Name)
	case in.Kind < Woke || in.Kind > PodPending:
		return out, fmt.Errorf("autoscaler: %w: unknown input kind %d", ErrBadInput, in.Kind)
	}
	a.now, a.out = now, out
	switch in.Kind {
	case Woke:
		if now != a.nextScan || now == a.lastScan {
			break // the idle twin of a busy wake-up, or one from before
		}
		a.lastScan, a.nextScan, a.busyArmed = now, now+a.cfg.ScanInterval, false
		grew := a.scaleUp()
		a.scaleDown()
		a.wakeForScan(grew || a.upcoming() > 0)
	case PodPending:
		if !a.busyArmed {
			a.wakeForScan(true)
		}
	case NodeJoined:
		g := &a.groups[in.Group]
		g.upcoming--
		g.joined++
	case NodeDeleted:
		g := &a.groups[in.Group]
		g.joined--
		g.target = max(0, g.target-1)
	}
	out, a.out = a.out, nil
	return out, nil
}

func (a *Autoscaler) grow(g GroupID, n int) {
	gr := &a.groups[g]
	for range n {
		gr.target++
		gr.upcoming++
		a.out = append(a.out, Effect{Kind: Launch, Group: g, At: a.now + a.cfg.NodeStartup})
	}
}

// template is what the autoscaler takes a new node of the group to hold:
// a node of it Ready for TemplateStabilisation, as the cluster shows it
// (pod-eni as advertised, so 0 before its trunk), or else the ASG's
// template: 110 pods and the pod-eni tag.
func (a *Autoscaler) template(g GroupID, nodes []Node) (pods, podENI int) {
	for _, n := range nodes {
		if a.now-n.Joined >= TemplateStabilisation {
			return n.Pods, n.PodENI
		}
	}
	return TemplatePods, a.groups[g].TemplatePodENI
}

// scaleUp fits the unschedulable pods onto the nodes that are there and
// those coming (clusterstate.go GetUpcomingNodes: asked for, not yet
// Ready; a node stops being upcoming once it has joined, before its
// pod-eni appears), and grows a group for the rest by bin-packing them
// on its template (estimator/binpacking_estimator.go). Of the groups that
// can take them, the one that needs the fewest nodes is grown, ties by
// name: upstream's least-waste expander weighs idle CPU and memory,
// which the model's pods do not ask for.
func (a *Autoscaler) scaleUp() bool {
	pods := a.cluster.AppendUnschedulable(a.podBuf[:0])
	a.podBuf = pods
	if len(pods) == 0 {
		return false
	}
	type space struct{ pods, podENI int }
	var free []space
	tmpl := make([]space, len(a.groups))
	for i := range a.groups {
		nodes := a.cluster.AppendNodes(GroupID(i), a.nodeBuf[:0])
		a.nodeBuf = nodes
		for _, n := range nodes {
			free = append(free, space{n.Pods - n.UsedPods, n.PodENI - n.UsedPodENI})
		}
		p, e := a.template(GroupID(i), nodes)
		tmpl[i] = space{p, e}
		for range a.groups[i].upcoming {
			free = append(free, tmpl[i])
		}
	}
	var rest []Pod
	for _, p := range pods {
		placed := false
		for j := range free {
			if free[j].pods > 0 && (!p.PodENI || free[j].podENI > 0) {
				free[j].pods--
				if p.PodENI {
					free[j].podENI--
				}
				placed = true
				break
			}
		}
		if !placed {
			rest = append(rest, p)
		}
	}
	if len(rest) == 0 {
		return false
	}
	best, bestNodes := -1, 0
	for i := range a.groups {
		g := &a.groups[i]
		n, ok := binpack(rest, tmpl[i].pods, tmpl[i].podENI)
		if !ok || g.target >= g.Max {
			continue
		}
		n = min(n, g.Max-g.target)
		if best < 0 || n < bestNodes || (n == bestNodes && g.Name < a.groups[best].Name) {
			best, bestNodes = i, n
		}
	}
	if best < 0 {
		a.stats.NoScaleUp++
		return false
	}
	a.stats.ScaleUps++
	a.stats.NodesAdded += bestNodes
	a.lastAdd, a.added = a.now, true
	a.grow(GroupID(best), bestNodes)
	return true
}

// binpack counts the template nodes the pods need, or false if a pod
// fits none.
func binpack(pods []Pod, slots, eni int) (int, bool) {
	branch := 0
	for _, p := range pods {
		if p.PodENI {
			branch++
		}
	}
	if slots <= 0 || (branch > 0 && eni <= 0) {
		return 0, false
	}
	n := (len(pods) + slots - 1) / slots
	if branch > 0 {
		n = max(n, (branch+eni-1)/eni)
	}
	return n, true
}

// scaleDown removes a node that has had no pod for ScaleDownUnneeded, no
// sooner than ScaleDownDelayAfterAdd after a scale-up, and never below a
// group's Min (core/scaledown; an empty node is under any utilization
// threshold). One node a scan, as --max-drain-parallelism does not
// matter for empty nodes but keeps the order plain.
func (a *Autoscaler) scaleDown() {
	seen := map[NodeID]bool{}
	var victim *Node
	var victimGroup GroupID
	for i := range a.groups {
		nodes := a.cluster.AppendNodes(GroupID(i), a.nodeBuf[:0])
		a.nodeBuf = nodes
		for _, n := range nodes {
			seen[n.ID] = true
			if n.UsedPods > 0 {
				delete(a.unneeded, n.ID)
				continue
			}
			since, ok := a.unneeded[n.ID]
			if !ok {
				a.unneeded[n.ID] = a.now
				continue
			}
			g := &a.groups[i]
			if victim == nil && a.now-since >= a.cfg.ScaleDownUnneeded && g.target > g.Min &&
				(!a.added || a.now-a.lastAdd >= a.cfg.ScaleDownDelayAfterAdd) {
				n := n
				victim, victimGroup = &n, GroupID(i)
			}
		}
	}
	for id := range a.unneeded {
		if !seen[id] {
			delete(a.unneeded, id)
		}
	}
	if victim != nil {
		delete(a.unneeded, victim.ID)
		a.stats.NodesRemoved++
		a.out = append(a.out, Effect{Kind: Delete, Group: victimGroup, Node: victim.ID})
	}
}

// Name returns the name of the k-th node of a group (from 0), as the
// caller should name the nodes it adds.
func Name(g Group, k int) string { return g.Name + "-" + strconv.Itoa(k) }
