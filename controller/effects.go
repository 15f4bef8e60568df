package controller

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/fakeec2"
	"github.com/trunksim/trunksim/limits"
	"github.com/trunksim/trunksim/trunk"
)

// NodeID names a node: the caller's own index for it, dense from zero.
type NodeID int32

// PodID names a pod: the caller's own index for it, dense from zero, in
// creation order (the restart rebuild takes pods in this order).
type PodID int32

// InputKind says what an Input tells the controller.
type InputKind uint8

// The inputs.
const (
	// NodeJoined: a node joined (Node, Join).
	NodeJoined InputKind = 1 + iota
	// NodeDeleted: a node was deleted (Node); a NodeDeleteDelay later its
	// trunk leaves the cache, and with NodeDeletionWipe its branches are
	// wiped.
	NodeDeleted
	// PodBound: a pod that requests vpc.amazonaws.com/pod-eni was bound
	// to a node (Pod, Node, UID, and Annotation for a pod that has its
	// branch already).
	PodBound
	// PodRunning: such a pod's sandbox is up.
	PodRunning
	// PodEnded: such a pod was deleted or completed (Pod).
	PodEnded
	// Answered: the answer to the Call effect with this Timer, which the
	// caller wrote to the effect's Answer, has arrived (Timer).
	Answered
	// WokeUp: the time of a Wake effect came (Timer).
	WokeUp
	// Restarted: the controller process restarted; its memory is lost
	// but for what EC2 and the API server hold.
	Restarted
	// Configured: the settings changed (Config), for work from now on;
	// a new CoolDown, as the amazon-vpc-cni ConfigMap changes it, also
	// holds the branches already cooling and is announced on every node
	// (BranchENICoolDownPeriodUpdated).
	Configured
	// TrunkRequested: aws-node on a node that joined without asking for
	// a trunk has asked since, by adding the SecurityGroupsForPods
	// feature to the node's CNINode (ENABLE_POD_ENI turned on, and an
	// interface slot free), which the node reconciler sees (Node).
	TrunkRequested
)

var inputNames = [...]string{"", "NodeJoined", "NodeDeleted", "PodBound", "PodRunning", "PodEnded",
	"Answered", "WokeUp", "Restarted", "Configured", "TrunkRequested"}

// String returns the input kind's name.
func (k InputKind) String() string {
	if k > 0 && int(k) < len(inputNames) {
		return inputNames[k]
	}
	return "InputKind(" + strconv.Itoa(int(k)) + ")"
}

// Join describes a node that joined.
type Join struct {
	Name string
	Type limits.InstanceType
	OS   limits.OS
	// WantsTrunk is set when aws-node asked for a trunk: ENABLE_POD_ENI
	// is on and the CNI supports the cluster's IP family, so it added the
	// SecurityGroupsForPods feature to the node's CNINode.
	WantsTrunk bool
	// Trunk, when valid, is the trunk ENI the node already has, attached
	// before the controller met the node (its CNINode asked for it and a
	// controller made it; the node carries the
	// vpc.amazonaws.com/has-trunk-attached label). The node's Init then
	// finds it through DescribeInstances and rebuilds it, as after a
	// restart, instead of making one (trunk.go InitTrunk): the trunk is
	// not counted in Stats.TrunksCreated. As for a restart, with
	// Config.RestartSyncRace the rebuild sees none of the node's pods.
	// Only a node that can hold a trunk and wants one may have it.
	Trunk branch.ENIID
	// Unlisted, when set, says that the controller's instance table lacks
	// the node's type (a [*limits.NotInReleaseError]): as upstream's
	// IsInstanceSupported finds no limits for it, a Linux node gets an
	// Unsupported event with this error and never a trunk. Type then
	// holds the instance's EC2 figures from a newer release's table.
	Unlisted error
}

// Input is one thing that happened, for Step. Which fields matter
// depends on Kind (see the InputKind constants).
type Input struct {
	Kind   InputKind
	Node   NodeID
	Pod    PodID
	UID    string
	Timer  Timer
	Join   *Join
	Config *Config
	// Annotation, for PodBound, is the pod's vpc.amazonaws.com/pod-eni
	// annotation when it has one already: a pod that was running with its
	// branch before the controller met its node. The branch provider
	// skips a pod so annotated (provider.go CreateAndAnnotateResources),
	// and the node's Init claims the branch for it from the annotation
	// when EC2 lists it on the trunk (trunk.go InitTrunk). Such a pod can
	// be bound only before the node's trunk is initialised.
	Annotation *Annotation
}

// Annotation is the branch a pod's vpc.amazonaws.com/pod-eni annotation
// names (upstream writes a JSON list of its ENI ID, VLAN ID, addresses and
// subnet; one branch per pod is modelled).
type Annotation struct {
	ENI    branch.ENIID
	VLAN   branch.VLAN
	Groups branch.GroupSet
}

// Timer names a wake-up the controller asked for; the caller hands it
// back unchanged in the Input that answers the Effect. The zero Timer is
// never used, so a Call with the zero Timer wants no answer.
type Timer uint64

// timerKind is what a Timer wakes.
type timerKind uint8

const (
	tStep      timerKind = 1 + iota // a job's next stage
	tSubmit                         // a job, back from a per-item back-off, to the workers
	tCallStart                      // a job's EC2 call, out of its client's rate limiter
	tCallEnd                        // a job's EC2 answer arrives
	tRetryCall                      // a job's EC2 call, made again after a back-off
	tSweep                          // a node's ProcessDeleteQueue tick
	tWipe                           // a deleted node's branches are wiped
	tResync                         // the informers' periodic resync
	tClean                          // the cluster ENI cleaner's next run
	tNodeEvent                      // a node's next status update, which retries a failed trunk init
	tEventSink                      // the event broadcaster's write, out of the clientset's limiter
)

func timer(k timerKind, i int32) Timer { return Timer(uint64(k)<<32 | uint64(uint32(i))) }

func (t Timer) kind() timerKind { return timerKind(t >> 32) }
func (t Timer) index() int32    { return int32(uint32(t)) }

// Cancellable reports whether the controller may Cancel the wake-up, so
// that a caller needs to keep a handle only for those: a node's sweep
// tick, at most one per node, whose Wake and Cancel name the node.
func (t Timer) Cancellable() bool { return t.kind() == tSweep }

// String names the wake-up, for traces and tests.
func (t Timer) String() string {
	names := [...]string{"", "step", "submit", "call", "answer", "retry", "sweep", "wipe", "resync", "clean", "node-event", "event-sink"}
	if k := t.kind(); k > 0 && int(k) < len(names) {
		return names[k] + "/" + strconv.Itoa(int(t.index()))
	}
	return "Timer(" + strconv.FormatUint(uint64(t), 10) + ")"
}

// EffectKind says what an Effect asks the caller to do.
type EffectKind uint8

// The effects. The caller applies a Step's effects in order, at once: an
// effect's own follow-up (the answer of a Call) is stepped before the
// next effect is applied, as the controller's own synchronous code would
// have it.
const (
	// Call: make Request on EC2 now, on Client; write the answer to
	// Answer and step Answered with Timer once Answer.Latency has passed.
	// A Call with a nil Answer wants none (the rollback of a failed trunk).
	Call EffectKind = 1 + iota
	// Wake: step WokeUp with Timer at At.
	Wake
	// WakeIdle: as Wake, but the wake-up alone does not mean work is in
	// flight (the periodic resync).
	WakeIdle
	// Cancel: the Wake with Timer is not wanted any more.
	Cancel
	// Annotate: the controller wrote the pod's vpc.amazonaws.com/pod-eni
	// annotation (Pod); Controller.Annotation reads it.
	Annotate
	// NodeChanged: the node's trunk, its counts or its advertised
	// vpc.amazonaws.com/pod-eni changed (Node).
	NodeChanged
	// BranchesChanged: only the counts of the node's trunk (branches in
	// use and cooling) changed (Node).
	BranchesChanged
	// Reschedule: capacity a pending pod may wait for changed; run a
	// scheduling pass.
	Reschedule
	// Emit: record the Kubernetes event Event.
	Emit
	// Resynced: the periodic resync ran.
	Resynced
)

var effectNames = [...]string{"", "Call", "Wake", "WakeIdle", "Cancel", "Annotate", "NodeChanged",
	"BranchesChanged", "Reschedule", "Emit", "Resynced"}

// String returns the effect kind's name.
func (k EffectKind) String() string {
	if k > 0 && int(k) < len(effectNames) {
		return effectNames[k]
	}
	return "EffectKind(" + strconv.Itoa(int(k)) + ")"
}

// Client is one of the controller's rate-limited clients.
type Client uint8

// The clients (main.go: the EC2 user and instance clients, and the
// Kubernetes client).
const (
	UserClient Client = 1 + iota
	InstanceClient
	APIServerClient
)

// String returns the client's name.
func (c Client) String() string {
	switch c {
	case UserClient:
		return "user"
	case InstanceClient:
		return "instance"
	case APIServerClient:
		return "apiserver"
	}
	return "Client(" + strconv.Itoa(int(c)) + ")"
}

// Effect is one thing the controller wants done. Which fields matter
// depends on Kind (see the EffectKind constants). Request and Event point
// into the controller and are valid until the next Step; Answer points
// into the job that awaits it. They keep an Effect small, as most are
// wake-ups. Pod is -1 for a call no pod waits on.
type Effect struct {
	Kind    EffectKind
	Client  Client
	Node    NodeID
	Pod     PodID
	Timer   Timer
	At      time.Duration
	Request *fakeec2.Request
	Answer  *fakeec2.Answer
	Event   *Event
}

// Reason is a Kubernetes event's reason, as upstream spells it.
type Reason uint8

// The events the controller records.
const (
	// SecurityGroupRequested (Normal): the groups a branch will get.
	SecurityGroupRequested Reason = 1 + iota
	// NoPolicyMatched is SecurityGroupRequested as a Warning: no policy
	// matches the pod any more, so the branch gets the instance's groups.
	NoPolicyMatched
	// ResourceAllocated (Normal): the branch is made and annotated.
	ResourceAllocated
	// BranchAllocationFailed (Warning): an attempt failed (Err).
	BranchAllocationFailed
	// BranchENIAnnotationFailed (Warning): the pod went while its branch
	// was being made.
	BranchENIAnnotationFailed
	// BranchENILeaked (Warning): deleting ENI failed too often; its VLAN
	// stays in use.
	BranchENILeaked
	// Unsupported (Warning): the node cannot hold a trunk (Err).
	Unsupported
	// NodeTrunkInitiated (Normal): the trunk is ready (ENI, Capacity).
	NodeTrunkInitiated
	// TrunkENICreationFailed (Warning): EC2 refused the trunk (Err).
	TrunkENICreationFailed
	// NodeTrunkFailedInit (Normal): the node's Init failed (Err).
	NodeTrunkFailedInit
	// BranchENICoolDownPeriodUpdated (Normal), on every node: the
	// amazon-vpc-cni ConfigMap changed the cool-down to Period
	// (controllers/core/configmap_controller.go, SendBroadcastNodeEvent).
	BranchENICoolDownPeriodUpdated
)

var reasonNames = [...]string{"", "SecurityGroupRequested", "SecurityGroupRequested", "ResourceAllocated",
	"BranchAllocationFailed", "BranchENIAnnotationFailed", "BranchENILeaked", "Unsupported",
	"NodeTrunkInitiated", "TrunkENICreationFailed", "NodeTrunkFailedInit", "BranchENICoolDownPeriodUpdated"}

// String returns the reason as upstream spells it.
func (r Reason) String() string {
	if r > 0 && int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "Reason(" + strconv.Itoa(int(r)) + ")"
}

// Warning reports whether the event is of type Warning rather than Normal.
func (r Reason) Warning() bool {
	switch r {
	case SecurityGroupRequested, ResourceAllocated, NodeTrunkInitiated, NodeTrunkFailedInit, BranchENICoolDownPeriodUpdated:
		return false
	}
	return true
}

// OnPod reports whether the event is about a pod rather than a node.
func (r Reason) OnPod() bool { return r <= BranchENIAnnotationFailed }

// Event is a Kubernetes event the controller records, about Effect.Pod
// or Effect.Node (see Reason.OnPod).
type Event struct {
	Reason Reason
	// ENI and VLAN are the branch or trunk the event is about.
	ENI  branch.ENIID
	VLAN branch.VLAN
	// Capacity is the pod-eni capacity a NodeTrunkInitiated advertises.
	Capacity int
	// Period is the cool-down a BranchENICoolDownPeriodUpdated announces.
	Period time.Duration
	// Groups is the groups' printed form, for SecurityGroupRequested.
	Groups string
	// Err is why, for the failures.
	Err error
}

// AppendMessage appends the event's message, unescaped.
func (e *Event) AppendMessage(b []byte) []byte {
	switch e.Reason {
	case SecurityGroupRequested:
		return append(append(b, "will get security groups "...), e.Groups...)
	case NoPolicyMatched:
		return append(b, "no SecurityGroupPolicy matches; using the instance's security groups"...)
	case ResourceAllocated:
		b = append(b, "eni "...)
		b = appendENI(b, e.ENI)
		b = append(b, " vlan "...)
		return strconv.AppendInt(b, int64(e.VLAN), 10)
	case BranchAllocationFailed:
		return append(append(b, "failed to allocate branch ENI to pod: "...), e.Err.Error()...)
	case BranchENIAnnotationFailed:
		return append(b, "pod no longer exists"...)
	case BranchENILeaked:
		return fmt.Appendf(b, "gave up deleting %v after %d attempts; its VLAN stays in use", e.ENI, trunk.MaxDeleteRetries)
	case Unsupported:
		return append(b, WhyNoTrunk(e.Err)...)
	case NodeTrunkInitiated:
		return fmt.Appendf(b, "trunk %v; pod-eni capacity %d", e.ENI, e.Capacity)
	case TrunkENICreationFailed, NodeTrunkFailedInit:
		return append(b, e.Err.Error()...)
	case BranchENICoolDownPeriodUpdated:
		return append(append(b, "Branch ENI cool down period has been updated to "...), e.Period.String()...)
	}
	return b
}

// appendENI appends an ENI ID as its String does, without making a string
// for the IDs the fake EC2 hands out.
func appendENI(b []byte, id branch.ENIID) []byte {
	if n, ok := id.Uint64(); ok {
		return fakeec2.AppendENIDigits(append(b, "eni-"...), n)
	}
	return append(b, id.String()...)
}

// WhyNoTrunk says in plain words why a node cannot hold a trunk, without
// the package prefix an error carries.
func WhyNoTrunk(err error) string {
	var ie *limits.IneligibleError
	if errors.As(err, &ie) {
		return ie.Type + " cannot hold a trunk ENI: " + ie.Detail()
	}
	var nr *limits.NotInReleaseError
	if errors.As(err, &nr) {
		return nr.Type + " cannot hold a trunk ENI: " + nr.Message()
	}
	return err.Error()
}
