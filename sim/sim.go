package sim

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/trunksim/trunksim/autoscaler"
	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/controller"
	"github.com/trunksim/trunksim/fakeec2"
	"github.com/trunksim/trunksim/karpenter"
	"github.com/trunksim/trunksim/limits"
	"github.com/trunksim/trunksim/scheduler"
	"github.com/trunksim/trunksim/trunk"
)

// Sentinel errors for bad calls; each is wrapped with the offending name.
var (
	ErrDuplicate    = errors.New("already exists")
	ErrNotFound     = errors.New("not found")
	ErrBadSpec      = errors.New("invalid spec")
	ErrEventLimit   = errors.New("event limit reached")
	ErrActionFailed = errors.New("scripted action failed")
	// ErrStopped is wrapped by the error Run and RunUntil return after
	// [Sim.Stop].
	ErrStopped = errors.New("stopped")
)

// ObjectError names the object a call was about.
type ObjectError struct {
	Kind string // "node", "pod", "policy", "service account"
	Name string
	Err  error
}

func (e *ObjectError) Error() string { return fmt.Sprintf("sim: %s %q: %v", e.Kind, e.Name, e.Err) }

// Unwrap returns the underlying error.
func (e *ObjectError) Unwrap() error { return e.Err }

// NodeSpec describes a node joining the cluster.
type NodeSpec struct {
	Name         string
	InstanceType string
	OS           limits.OS // zero means Linux
	Labels       map[string]string
	// MaxPods is kubelet's maxPods as the node group's bootstrap sets it
	// (eksctl maxPodsPerNode, nodeadm's kubelet config); zero means the
	// EKS default (limits.InstanceType.MaxPodsFor), or, for a type the
	// modelled controller release's table lacks, the VPC CNI's
	// eni-max-pods.txt figure (limits.CNIMaxPods).
	MaxPods int
	// TrunkAttached makes the node join with its trunk ENI attached
	// already, as a node of a running cluster has it (its CNINode has the
	// SecurityGroupsForPods feature and the node the
	// vpc.amazonaws.com/has-trunk-attached label): the fake EC2 holds the
	// trunk from the start and the controller rebuilds it rather than
	// creating one (controller.Join.Trunk), so no trunk is counted as
	// created. Pods running already (WorkloadSpec.Running) that need a
	// branch are placed on such nodes. Only a Linux node that asks for a
	// trunk and can hold one may have it.
	TrunkAttached bool
	// UnownedBranches, with TrunkAttached, are branch ENIs associated with
	// the node's trunk that no pod's annotation names, as a controller
	// that lost track of them leaves: its Init rebuilds them with the
	// rest, finds no pod for them and queues them for deletion, deleted
	// after the cool-down (pkg/provider/branch/trunk/trunk.go InitTrunk).
	// They take the lowest VLANs and count against the branch limit until
	// they go.
	UnownedBranches int
	// SecurityGroups are the instance's own groups, on its primary ENI. A
	// branch for a pod that no policy matches any more gets them (RC
	// pkg/provider/branch/trunk/trunk.go CreateAndAssociateBranchENIs);
	// none means the branch is made with no groups named.
	SecurityGroups []branch.SecurityGroupID
}

// PodSpec describes a pod being created.
type PodSpec struct {
	Namespace, Name string
	Labels          map[string]string
	ServiceAccount  string // zero means "default"
	// OS is the kubernetes.io/os of the pod's nodeSelector; zero means
	// Linux. A Windows pod runs only on Windows nodes, never asks for a
	// branch ENI (pod_webhook.go gives Windows pods no pod-eni) and takes
	// one of the primary ENI's secondary IPs.
	OS limits.OS
	// Lifetime, when positive, makes the pod complete (phase Succeeded)
	// this long after its network is ready, like a Job's pod.
	Lifetime time.Duration
	// HostNetwork is spec.hostNetwork: the pod uses the node's own
	// address, so it takes a kubelet pod slot but no pod IP, and the
	// webhook never gives it a branch ENI (pod_webhook.go WhichPod).
	// Only Linux host-network pods are modelled.
	HostNetwork bool
}

// Phase is a pod's lifecycle phase as the simulator tracks it.
type Phase uint8

// Pod phases.
const (
	Pending   Phase = 1 + iota // not yet running: unscheduled, or waiting for its network
	Running                    // network ready
	Succeeded                  // completed; its branch was released
	Deleted                    // deleted; its branch was released
)

var phaseNames = [...]string{"", "Pending", "Running", "Succeeded", "Deleted"}

// String returns the phase's name.
func (p Phase) String() string {
	if p > 0 && int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return fmt.Sprintf("Phase(%d)", uint8(p))
}

type node struct {
	name   string
	typ    limits.InstanceType
	os     limits.OS
	labels map[string]string
	groups branch.GroupSet // the instance's security groups
	joined time.Duration
	gone   bool

	ready      bool  // the controller advertises pod-eni for it (as of its last NodeChanged)
	advertises bool  // ready and not gone, as Sim.advertising counts it
	ineligible error // why the node cannot hold a trunk, as the CNI sees it
	askPending bool  // aws-node's next ask for a trunk is set (ordinaryPodLeft)
	// cniMaxPods is set when the node's max pods come from the VPC CNI's
	// eni-max-pods.txt because the release's table lacks its type.
	cniMaxPods bool
	net        limits.Networking
	noIPs      bool // aws-node refuses the networking mode, so no pod gets an IP

	claim        int32         // 1 + the Karpenter NodeClaim it is, or 0
	asGroup      int32         // 1 + the cluster-autoscaler group it is of, or 0
	advertisedAt time.Duration // when it first advertised pod-eni, if advertised
	advertised   bool          // it has advertised pod-eni at some time
	podChanged   time.Duration // when a pod was last bound to it or ended on it

	trunkAtJoin   bool   // the node joined with its trunk attached (NodeSpec.TrunkAttached)
	existingVLANs uint16 // VLANs given to the branches of pods running at its join, and to unowned ones
	unowned       uint16 // branches on its trunk at its join that no pod owns (NodeSpec.UnownedBranches)

	inUse, cooling int // last counts seen by noteTrunk
	slots          int // kubelet max pods less the host-network pods

	pods       int     // bound, not terminated pods (kubelet max pods)
	bound      []int32 // pods bound here, ended ones dropped now and then
	branchPods int     // bound pods requesting pod-eni (scheduler accounting)
	ipPods     int     // bound ordinary pods holding a secondary IP
}

type pod struct {
	key      string // namespace/name
	nsLen    int32  // the namespace is key[:nsLen]
	node     int32  // -1 when unbound
	labels   *labelSet
	sa       string
	lifetime time.Duration

	phase       Phase
	needsBranch bool
	windows     bool // the pod's nodeSelector asks for Windows
	hostNet     bool // spec.hostNetwork
	annotatedOK bool // the controller's annotation is there for the kubelet
	plainKey    bool // the key has nothing a JSON string escapes
	toldUnfit   bool // a FailedScheduling event was recorded for it
	existing    bool // running already when it was created (WorkloadSpec.Running)
	created     time.Duration
	bound       time.Duration
	ready       time.Duration

	workload int32 // owning workload, -1 if none
	revision int
	// scheduling and kubelet are the parts of its start-up latency that
	// are not the controller's (controller.Parts has those).
	scheduling, kubelet time.Duration
}

// ns and name return the pod's namespace and name, which share the
// storage of its key.
func (p *pod) ns() string { return p.key[:p.nsLen] }

// live reports whether the pod is pending or running, not yet ended.
func (p *pod) live() bool { return p.phase == Pending || p.phase == Running }

func (p *pod) name() string { return p.key[p.nsLen+1:] }

// Sim is one simulated cluster. It is not safe for concurrent use; run
// many Sims in parallel instead.
type Sim struct {
	cfg   Config
	sched *scheduler.Scheduler
	rngK  pcg // kubelet jitter
	ec2   *FakeEC2
	ctl   *controller.Controller

	nodes     []*node
	nodeIndex map[string]int32
	pods      []*pod
	podBlock  []pod // records not yet used by createPod
	podIndex  map[string]int32
	policies  []branch.Policy
	accounts  map[string]map[string]string // namespace/name -> labels
	// policyVersion counts changes to policies and accounts, which
	// invalidate lastResolved.
	policyVersion uint64
	lastResolved  resolution
	lastLabels    *labelSet // the labels internLabels gave last

	workloads     []*workload
	workloadIndex map[string]int32

	effects     []controller.Effect // the buffer of the controller's steps
	sweepTimers []scheduler.Timer   // by node: the sweep tick the controller may cancel
	idleTimers  []scheduler.Timer   // the resync's and the ENI cleaner's wake-ups
	// left holds the branch ENIs that deleted nodes left in EC2, and when
	// their node was deleted, until they are deleted.
	left    leftovers
	message []byte // scratch for an event's message

	pending     [podClasses]podQueue // pods kube-scheduler has not bound, by class
	fitBranch   fitTree              // where a pod needing a branch fits best
	fitIP       fitTree              // where an ordinary pod fits best
	fitWindows  fitTree              // where a Windows pod fits best
	windowsPods int                  // Windows pods ever created
	fitHost     fitTree              // where a host-network pod fits best, once there is one
	hostNetPods int                  // host-network pods ever created
	advertising int                  // nodes advertising pod-eni
	unscheduled [podClasses]string   // why the last pass placed no pod of each class
	untold      int                  // pending pods with no FailedScheduling event yet
	placePass   bool

	// prov is Karpenter's provisioner, when UseKarpenter started it;
	// claimNode maps its NodeClaims to nodes (-1 before they join).
	prov        *karpenter.Provisioner
	provEffects []karpenter.Effect
	claimNode   []int32
	// as is cluster-autoscaler, when UseClusterAutoscaler started it,
	// with its groups and, by group, their nodes and the next node's
	// number.
	as        *autoscaler.Autoscaler
	asGroups  []AutoscaledGroup
	asNodes   [][]int32
	asNext    []int
	asEffects []autoscaler.Effect

	// firstUnfit is when kube-scheduler first found no node for a pod
	// Karpenter would provision for, if ever (firstUnfitSet).
	firstUnfit    time.Duration
	firstUnfitSet bool

	warned []string // the caller's warnings (Warn), first in the report's

	failure error
	// coolDownAsked is a configured cool-down below the floor, which the
	// controller raised; the report says so.
	coolDownAsked time.Duration
	// podsBeforeChange is how many pods existed when the policies or
	// service accounts last changed; later pods got the groups of now.
	podsBeforeChange int
	// podENIEnabled is set once EnablePodENI turned ENABLE_POD_ENI on, at
	// podENIEnabledAt.
	podENIEnabled   bool
	podENIEnabledAt time.Duration
	// coolDownChanges are the cool-downs the ConfigMap set while running.
	coolDownChanges []coolDownChange
	progress        func(now time.Duration, events uint64)
	series          []Sample

	// Event handlers, made once so scheduling allocates nothing.
	evController, evAnswer, evKubelet, evComplete, evReplica, evPlace, evAskTrunk scheduler.Func
	evProvWake, evProvJoin, evASWake, evASJoin                                    scheduler.Func
	m                                                                             metrics
	tr                                                                            tracer
	acts                                                                          []func(*Sim) error
}

// New returns a simulation of an empty cluster at time zero.
func New(cfg Config) (*Sim, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Sim{
		cfg:       c,
		sched:     scheduler.New(),
		rngK:      pcg{c.Seed, 1},
		nodeIndex: make(map[string]int32),
		podIndex:  make(map[string]int32),
		accounts:  make(map[string]map[string]string),

		workloadIndex: make(map[string]int32),
	}
	if d := cfg.Controller.CoolDown; d > 0 && d < trunk.MinCoolDown {
		s.coolDownAsked = d
	}
	if s.ec2, err = fakeec2.New(c.EC2, rand.New(rand.NewPCG(c.Seed, 3))); err != nil {
		return nil, err
	}
	s.ctl, err = controller.New(c.Controller, controller.Options{
		MaxAttempts: c.EC2.MaxAttempts,
		Rand:        rand.New(rand.NewPCG(c.Seed, 2)),
		Lister:      lister{s},
	})
	if err != nil {
		return nil, err
	}
	s.tr.init()
	s.evController, s.evAnswer = s.wokeUp, s.answered
	s.evKubelet, s.evComplete, s.evReplica, s.evPlace, s.evAskTrunk = s.kubeletReady, s.complete, s.replicaEv, s.placeNow, s.askTrunkAgain
	s.applyStep(s.ctl.Start(0, nil), nil)
	return s, nil
}

// Warn adds a warning the report lists before its own, as a scenario
// file's reader does for what it accepted but a user should know.
func (s *Sim) Warn(msg string) { s.warned = append(s.warned, msg) }

// Now returns the virtual time since the simulation started.
func (s *Sim) Now() time.Duration { return s.sched.Now() }

// EventsRun returns how many events the simulation has run so far: the
// unit of its work, for measuring how fast it goes.
func (s *Sim) EventsRun() uint64 { return s.sched.Executed() }

// EC2 returns the simulation's fake EC2, for inspection.
func (s *Sim) EC2() *FakeEC2 { return s.ec2 }

// SetTrace makes the simulation write its trace to w as JSON lines, one
// per event, as it runs. The trace's SHA-256 is in the report either way.
func (s *Sim) SetTrace(w io.Writer) { s.tr.w = w }

// after schedules an event d from now. Every event but the resync keeps
// Run going (see busy).
func (s *Sim) after(d time.Duration, fn scheduler.Func, arg uint64) scheduler.Timer {
	t, err := s.sched.After(d, fn, arg)
	if err != nil {
		s.fail(err)
	}
	return t
}

func (s *Sim) cancel(t scheduler.Timer) { s.sched.Cancel(t) }

// busy reports whether anything is in flight: any pending event other
// than the periodic ones (the resync, the ENI cleaner's next run). A
// queued job needs no event of its own, as it waits for a worker whose
// job has one.
func (s *Sim) busy() bool {
	n := s.sched.Len()
	for _, t := range s.idleTimers {
		if s.sched.Pending(t) {
			n--
		}
	}
	return n > 0
}

// noteIdle keeps a periodic wake-up's timer, dropping those that have run.
func (s *Sim) noteIdle(t scheduler.Timer) {
	keep := s.idleTimers[:0]
	for _, u := range s.idleTimers {
		if s.sched.Pending(u) {
			keep = append(keep, u)
		}
	}
	s.idleTimers = append(keep, t)
}

func (s *Sim) fail(err error) {
	if s.failure == nil {
		s.failure = err
	}
}

// Schedule runs action at virtual time at; an error it returns stops the
// run and is returned by Run or RunUntil.
func (s *Sim) Schedule(at time.Duration, action func(*Sim) error) error {
	if action == nil {
		return &ObjectError{"action", "", fmt.Errorf("%w: nil action", ErrBadSpec)}
	}
	if at < s.Now() {
		return &ObjectError{"action", at.String(), fmt.Errorf("%w: time is before now (%v)", ErrBadSpec, s.Now())}
	}
	idx := len(s.acts)
	s.acts = append(s.acts, action)
	s.after(at-s.Now(), func(uint64) {
		if err := s.acts[idx](s); err != nil {
			s.fail(fmt.Errorf("%w at %v: %w", ErrActionFailed, s.Now(), err))
		}
		s.acts[idx] = nil
	}, 0)
	return nil
}

// AddServiceAccount records a service account's labels, which policies'
// serviceAccountSelector match.
func (s *Sim) AddServiceAccount(namespace, name string, labels map[string]string) error {
	key := namespace + "/" + name
	if namespace == "" || name == "" {
		return &ObjectError{"service account", key, fmt.Errorf("%w: namespace and name are required", ErrBadSpec)}
	}
	if _, ok := s.accounts[key]; ok {
		return &ObjectError{"service account", key, ErrDuplicate}
	}
	s.accounts[key] = maps.Clone(labels)
	s.policiesChanged()
	return nil
}

// AddPolicy adds a SecurityGroupPolicy. Pods created afterwards are
// matched against it; running pods are not changed (pod_webhook.go
// mutates at creation only). It takes any policy the API server stores
// ([branch.Policy.Admit]); one the controller cannot use (it fails
// [branch.Policy.Validate]: no selector, a selector that does not convert,
// no groups) is kept and never matches a pod, as upstream.
func (s *Sim) AddPolicy(p branch.Policy) error {
	key := p.Namespace + "/" + p.Name
	if err := p.Admit(); err != nil {
		return &ObjectError{"policy", key, err}
	}
	for _, q := range s.policies {
		if q.Namespace == p.Namespace && q.Name == p.Name {
			return &ObjectError{"policy", key, ErrDuplicate}
		}
	}
	s.policies = append(s.policies, p.Clone())
	s.policiesChanged()
	s.tr.rec(s.Now(), "PolicyAdded", "policy/"+key, "")
	return nil
}

// AddSecurityGroup declares a security group that exists in the VPC.
// Once any group is declared, EC2 answers CreateNetworkInterface for a
// group that is not with InvalidSecurityGroupID.NotFound, as it does for
// a group that does not exist: the controller retries, and the pod stays
// ContainerCreating. With no group declared, every group a policy names
// is taken to exist.
func (s *Sim) AddSecurityGroup(id branch.SecurityGroupID) error {
	if err := s.ec2.AddSecurityGroup(id); err != nil {
		return &ObjectError{"security group", id.String(), fmt.Errorf("%w: %w", ErrBadSpec, err)}
	}
	return nil
}

// DeleteSecurityGroup deletes a security group declared with
// AddSecurityGroup, as a user's `aws ec2 delete-security-group` does while
// the simulation runs. EC2 refuses while a network interface uses the
// group, a branch still cooling included (a *fakeec2.GroupError with
// DependencyViolation), so deleting a policy's group soon after the
// policy fails until its pods' branches are gone; the refusal changes
// nothing. Once deleted, a branch with the group fails
// CreateNetworkInterface with InvalidSecurityGroupID.NotFound and its pod
// stays ContainerCreating; running pods keep their branch.
func (s *Sim) DeleteSecurityGroup(id branch.SecurityGroupID) error {
	if err := s.ec2.DeleteSecurityGroup(id); err != nil {
		return &ObjectError{"security group", id.String(), err}
	}
	s.tr.rec(s.Now(), "SecurityGroupDeleted", "sg/"+id.String(), "")
	return nil
}

// SetServiceAccountLabels replaces the labels of a service account added
// with AddServiceAccount, as `kubectl label serviceaccount --overwrite`
// does. Pods created afterwards are matched with the new labels; running
// pods keep their branch and groups (the report lists those whose groups
// the policies no longer give).
func (s *Sim) SetServiceAccountLabels(namespace, name string, labels map[string]string) error {
	key := namespace + "/" + name
	if _, ok := s.accounts[key]; !ok {
		return &ObjectError{"service account", key, ErrNotFound}
	}
	s.accounts[key] = maps.Clone(labels)
	s.policiesChanged()
	s.tr.rec(s.Now(), "ServiceAccountLabeled", "serviceaccount/"+key, "")
	return nil
}

// AddMalformedGroup declares that policies may name text, a security
// group ID EC2 cannot parse (a placeholder such as "${POD_SG}" left in a
// manifest; the CRD puts no pattern on groupIds), and returns the ID that
// stands for it in a [branch.Policy]'s Groups: [branch.MalformedGroupID]
// of text. CreateNetworkInterface with it answers InvalidGroupId.Malformed,
// so a pod the policy matches stays ContainerCreating while the
// controller retries, and the report names the text. It fails, with
// nothing changed, for a well-formed ID.
func (s *Sim) AddMalformedGroup(text string) (branch.SecurityGroupID, error) {
	id, err := s.ec2.AddMalformedGroup(text)
	if err != nil {
		return id, &ObjectError{"security group", text, fmt.Errorf("%w: %w", ErrBadSpec, err)}
	}
	return id, nil
}

// policiesChanged marks the policies or service accounts changed: the
// cached resolution is stale, and pods made before now may hold groups
// the policies no longer give.
func (s *Sim) policiesChanged() {
	s.policyVersion++
	s.podsBeforeChange = len(s.pods)
}

// RemovePolicy deletes a SecurityGroupPolicy.
func (s *Sim) RemovePolicy(namespace, name string) error {
	for i, q := range s.policies {
		if q.Namespace == namespace && q.Name == name {
			s.policies = slices.Delete(s.policies, i, i+1)
			s.policiesChanged()
			s.tr.rec(s.Now(), "PolicyRemoved", "policy/"+namespace+"/"+name, "")
			return nil
		}
	}
	return &ObjectError{"policy", namespace + "/" + name, ErrNotFound}
}

// InjectFault adds an EC2 fault from now on.
func (s *Sim) InjectFault(f Fault) error {
	if err := s.ec2.InjectFault(f); err != nil {
		return &ObjectError{"fault", f.API.String(), fmt.Errorf("%w: %v", ErrBadSpec, err)}
	}
	return nil
}
