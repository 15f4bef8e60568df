package controller

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/trunksim/trunksim/internal/bucket"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/fakeec2"
	"github.com/trunksim/trunksim/limits"
	"github.com/trunksim/trunksim/trunk"
)

// Lister is the controller's read-only view of the API server's objects,
// read when a job needs them as upstream reads its informer caches.
type Lister interface {
	// SecurityGroups returns the groups the SecurityGroupPolicies give
	// the pod now, their printed form, and whether any policy matched.
	SecurityGroups(pod PodID) (groups branch.GroupSet, names string, matched bool)
}

// NodePods is what a Lister may do besides: list the pods bound to a
// node, as upstream's rebuild of a trunk lists them from its informer's
// cache. A caller that keeps that list anyway spares the controller
// keeping one of its own; without it, the controller finds a node's pods
// by a pass over every pod it knows, at each rebuild.
type NodePods interface {
	// AppendPodsOn appends the pods bound to the node, in any order. It
	// may include pods that do not request pod-eni, and pods that ended.
	AppendPodsOn(n NodeID, dst []PodID) []PodID
}

// Options are what a Controller takes from its surroundings besides its
// settings.
type Options struct {
	// MaxAttempts is the AWS SDK standard retryer's attempts per EC2 call
	// (fakeec2.Config.MaxAttempts); zero means fakeec2.DefaultMaxAttempts.
	MaxAttempts int
	// Rand draws the SDK retryer's jitter; nil means a fixed seed.
	Rand *rand.Rand
	// Lister reads the policies' answer for a pod; required.
	Lister Lister
}

// Controller is the VPC resource controller's branch ENI provider and
// node manager as a state machine. It is not safe for concurrent use.
type Controller struct {
	cfg         Config
	maxAttempts int
	rng         *rand.Rand
	lister      Lister
	podsOn      NodePods // the lister's, when it can list a node's pods

	now    time.Duration
	out    []Effect
	events []Event // the events of this step's effects

	nodes                []node
	podAt                []int32 // by PodID: 1 + the index of its record, 0 for a pod never bound
	records              [][]pod // the pod records, in blocks of podBlockSize
	jobs                 []*job
	freeJobs             []int32
	branchPool, nodePool pool
	cleanPool            pool          // the cluster ENI cleaner's one goroutine
	clean                cleaner       // see cleaner.go
	user, instance       bucket.Bucket // the EC2 clients; instance is unused with SharedEC2Client
	clientset            bucket.Bucket // the Kubernetes clients' limiters (see events.go)
	podPatch, nodePatch  bucket.Bucket
	sink                 eventSink
	droppedPods          []PodID         // dropped after their retries since the last resync
	podErrs              map[PodID]error // why each pod's last attempt failed, for the few that did
	spareDel             []trunk.Branch
	generation           uint64
	stats                Stats
	broken               error           // the first inconsistency found, see must
	req                  fakeec2.Request // the request of this step's Call
	rollback             fakeec2.Request // a failed Init's DeleteNetworkInterface
}

// node is what the controller knows of a node.
type node struct {
	// What most steps read comes first, in the record's first cache line;
	// the instance type, read at join and Init, last.
	name       string
	trunk      *trunk.Trunk // nil until Init succeeds
	trunkID    branch.ENIID // what DescribeInstances shows once attached
	sweepAt    time.Duration
	known      bool
	gone       bool
	advertised bool // vpc.amazonaws.com/pod-eni advertised
	sweepSet   bool // a sweep tick is set
	sweeping   bool // its sweep job is queued or running
	wipeSet    bool // the wipe after its deletion is set
	retrySet   bool // a retry of its failed init on its next node event is set
	initing    bool
	unsynced   bool // its rebuild after a restart sees no pods (RestartSyncRace)
	wantsTrunk bool
	eligible   bool
	unlisted   error // the type is not in the release's table (Join.Unlisted)
	joined     time.Duration
	os         limits.OS
	typ        limits.InstanceType
}

// pod is what the controller knows of a pod that requests pod-eni. It is
// kept small and with few pointers: there is one per such pod of a run.
type pod struct {
	// What a pod's end and its job's stages read comes first, in the
	// record's first cache line; the latency parts, read when its job ends,
	// last.
	uid       string
	node      NodeID
	job       int32 // Create job in flight, noJob if none, jobQueued while queued
	failures  int32
	vlan      branch.VLAN
	wait      Wait
	ended     bool
	running   bool
	annotated bool
	dropped   bool
	waitCap   bool
	eni       branch.ENIID
	groups    branch.GroupSet
	mark      time.Duration
	parts     Parts
}

// podBlockSize is how many pod records a block holds.
const podBlockSize = 256

// pod returns the record of a pod known to the controller.
func (c *Controller) pod(pi PodID) *pod {
	r := c.podAt[pi] - 1
	return &c.records[r/podBlockSize][r%podBlockSize]
}

// pending reports whether the pod is bound and waiting for its sandbox.
func (p *pod) pending() bool { return !p.ended && !p.running }

// Wait says what a pending pod's last Create attempt ran into.
type Wait uint8

// Waits, as the controller last left them.
const (
	// WaitCapacity: requeued at the capacity gate (in use + cooling at
	// the node's branch limit).
	WaitCapacity Wait = 1 + iota
	// WaitFailed: the attempt failed (PodWait's error says why).
	WaitFailed
	// WaitDropped: the attempt failed and was the last before the resync.
	WaitDropped
	// WaitNode: requeued every second, as its node is not ready or not
	// managed (controllers/core/pod_controller.go PodRequeueRequest).
	WaitNode
)

// Parts is the controller's share of a pod's start-up latency, by part.
type Parts struct {
	Capacity   time.Duration // requeued at the capacity gate
	Queue      time.Duration // waiting for a branch worker, and back-offs
	ClientWait time.Duration // in the EC2 clients' rate limiters
	Calls      time.Duration // in EC2 calls
	Retries    time.Duration // the SDK retryer's back-offs
	APIServer  time.Duration // in the Kubernetes client's rate limiter
}

// Add adds q's parts to p's.
func (p *Parts) Add(q Parts) {
	p.Capacity += q.Capacity
	p.Queue += q.Queue
	p.ClientWait += q.ClientWait
	p.Calls += q.Calls
	p.Retries += q.Retries
	p.APIServer += q.APIServer
}

// Stats counts what the controller did.
type Stats struct {
	TrunksCreated    int
	Unsupported      int // nodes refused a trunk with an Unsupported event
	BranchesCreated  int
	BranchesDeleted  int
	CapacityRequeues int
	// CleanerDeleted counts the interfaces the cluster ENI cleaner
	// deleted (also counted in BranchesDeleted).
	CleanerDeleted int
	EC2Errors      int // EC2 answers that were errors, throttling included
	// EventsWritten counts the events the broadcaster wrote to the API
	// server, each through the clientset's rate limiter; EventsDropped
	// those it dropped with its queue full or lost at a restart (see
	// eventSink).
	EventsWritten, EventsDropped int
	// TrunkReady is, per trunk created, the time from its node joining to
	// pod-eni being advertised.
	TrunkReady []time.Duration
}

// New returns a controller with no nodes and no pods at time zero. It
// refuses settings it cannot run with; it fills in no defaults.
func New(cfg Config, opts Options) (*Controller, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if opts.Lister == nil {
		return nil, &InputError{Input: Configured, Why: "Options.Lister is required"}
	}
	c := &Controller{cfg: cfg, maxAttempts: opts.MaxAttempts, rng: opts.Rand, lister: opts.Lister}
	c.podsOn, _ = opts.Lister.(NodePods)
	if c.maxAttempts <= 0 {
		c.maxAttempts = fakeec2.DefaultMaxAttempts
	}
	if c.rng == nil {
		c.rng = rand.New(rand.NewPCG(0, 2))
	}
	c.user = bucket.New(cfg.UserClientQPS, cfg.UserClientBurst)
	if !cfg.SharedEC2Client {
		c.instance = bucket.New(cfg.InstanceClientQPS, cfg.InstanceClientBurst)
	}
	c.clientset = bucket.New(cfg.APIServerQPS, cfg.APIServerBurst)
	c.podPatch = bucket.New(cfg.APIServerQPS, cfg.APIServerBurst)
	c.nodePatch = bucket.New(cfg.APIServerQPS, cfg.APIServerBurst)
	c.branchPool.size = cfg.BranchWorkers
	c.nodePool.size = cfg.NodeWorkers
	c.cleanPool.size = 1
	c.clean.job = noJob
	return c, nil
}

// Start returns the effects of the controller starting: the first
// resync's wake-up. Call it once, before the first Step.
func (c *Controller) Start(now time.Duration, out []Effect) []Effect {
	c.begin(now, out)
	c.wakeIdle(c.cfg.Resync, timer(tResync, 0))
	c.startCleaner()
	return c.end()
}

// Step takes one input at virtual time now, which must not go backwards,
// and appends the effects it has to out. An input it cannot take (an
// unknown node, a pod bound twice) is refused with an *InputError and
// changes nothing.
func (c *Controller) Step(now time.Duration, in Input, out []Effect) ([]Effect, error) {
	if err := c.check(now, &in); err != nil {
		return out, err
	}
	c.begin(now, out)
	switch in.Kind {
	case NodeJoined:
		c.nodeJoined(NodeID(in.Node), in.Join)
	case NodeDeleted:
		c.nodes[in.Node].gone, c.nodes[in.Node].wipeSet = true, true
		c.wake(c.cfg.NodeDeleteDelay, timer(tWipe, int32(in.Node)))
	case PodBound:
		c.podBound(in.Pod, in.Node, in.UID, in.Annotation)
	case PodRunning:
		c.pod(in.Pod).running = true
	case PodEnded:
		c.podEnded(in.Pod)
	case Answered:
		c.answered(in.Timer.index())
	case WokeUp:
		c.wokeUp(in.Timer)
	case Restarted:
		c.restart()
	case Configured:
		c.configure(*in.Config)
	case TrunkRequested:
		c.trunkRequested(in.Node)
	}
	return c.end(), c.broken
}

// Wake is Step of a WokeUp input for t, without making the Input: the
// path most steps take.
func (c *Controller) Wake(now time.Duration, t Timer, out []Effect) ([]Effect, error) {
	if now < c.now || !c.timerSet(t) {
		return c.Step(now, Input{Kind: WokeUp, Timer: t}, out) // for its refusal
	}
	c.begin(now, out)
	c.wokeUp(t)
	return c.end(), c.broken
}

// Answer is Step of an Answered input for t, without making the Input.
func (c *Controller) Answer(now time.Duration, t Timer, out []Effect) ([]Effect, error) {
	if now < c.now || !c.callAwaited(now, t) {
		return c.Step(now, Input{Kind: Answered, Timer: t}, out) // for its refusal
	}
	c.begin(now, out)
	c.answered(t.index())
	return c.end(), c.broken
}

// must records err, which the controller's own records say cannot be,
// as an inconsistency Step reports.
func (c *Controller) must(err error) {
	if err != nil && c.broken == nil {
		c.broken = fmt.Errorf("%w: %w", ErrInconsistent, err)
	}
}

func (c *Controller) begin(now time.Duration, out []Effect) {
	c.now, c.out, c.events = now, out, c.events[:0]
}

func (c *Controller) end() []Effect {
	out := c.out
	c.out = nil
	return out
}

// check refuses what Step cannot take, before anything changes.
func (c *Controller) check(now time.Duration, in *Input) error {
	if now < c.now {
		return &InputError{Input: in.Kind, Why: "time went backwards"}
	}
	why := ""
	switch in.Kind {
	case WokeUp: // the commonest input, first
		if !c.timerSet(in.Timer) {
			why = "not a timer the controller set"
		}
	case Answered:
		if !c.callAwaited(now, in.Timer) {
			why = "no call awaits this answer"
		}
	case NodeJoined:
		switch {
		case in.Join == nil:
			why = "no Join"
		case in.Node < 0 || c.knownNode(in.Node):
			why = "node already known"
		case in.Join.Trunk.IsValid() && (!in.Join.WantsTrunk || in.Join.Unlisted != nil || in.Join.Type.CanTrunk(in.Join.OS) != nil):
			why = "a node that does not want or cannot hold a trunk joined with one"
		}
	case NodeDeleted:
		switch {
		case !c.knownNode(in.Node):
			why = "unknown node"
		case c.nodes[in.Node].gone:
			why = "node already deleted"
		}
	case PodBound:
		switch {
		case !c.knownNode(in.Node):
			why = "unknown node"
		case in.Pod < 0 || c.knownPod(in.Pod):
			why = "pod already bound"
		case in.Annotation != nil && (!in.Annotation.ENI.IsValid() || !in.Annotation.VLAN.IsValid()):
			why = "annotation without a valid ENI and VLAN"
		case in.Annotation != nil && c.nodes[in.Node].trunk != nil:
			why = "pod with a branch already bound to a node whose trunk is initialised"
		}
	case PodRunning, PodEnded:
		if !c.knownPod(in.Pod) {
			why = "unknown pod"
		}
	case Restarted:
	case TrunkRequested:
		switch {
		case !c.knownNode(in.Node):
			why = "unknown node"
		case c.nodes[in.Node].gone:
			why = "node already deleted"
		case c.nodes[in.Node].wantsTrunk:
			why = "node asked for a trunk already"
		}
	case Configured:
		if in.Config == nil {
			why = "no Config"
		} else if err := in.Config.validate(); err != nil {
			return err
		}
	default:
		why = "unknown input"
	}
	if why != "" {
		return &InputError{Input: in.Kind, Why: why}
	}
	return nil
}

// timerSet reports whether t names something a wake-up can be for: a
// job in flight, a known node, or the resync.
func (c *Controller) timerSet(t Timer) bool {
	i := t.index()
	switch t.kind() {
	case tStep, tSubmit, tCallStart, tRetryCall:
		return i >= 0 && int(i) < len(c.jobs) && c.jobs[i].kind != 0 && c.jobs[i].awaits == t
	case tSweep:
		return c.knownNode(NodeID(i)) && c.nodes[i].sweepSet
	case tWipe:
		return c.knownNode(NodeID(i)) && c.nodes[i].wipeSet
	case tNodeEvent:
		return c.knownNode(NodeID(i)) && c.nodes[i].retrySet
	case tResync, tClean:
		return i == 0
	case tEventSink:
		return i == 0 && c.sink.writing
	}
	return false
}

func (c *Controller) knownNode(n NodeID) bool {
	return n >= 0 && int(n) < len(c.nodes) && c.nodes[n].known
}

func (c *Controller) knownPod(p PodID) bool {
	return p >= 0 && int(p) < len(c.podAt) && c.podAt[p] != 0
}

// callAwaited reports whether t is the answer a job awaits, and its
// latency has passed by now.
func (c *Controller) callAwaited(now time.Duration, t Timer) bool {
	j := t.index()
	if t.kind() != tCallEnd || j < 0 || int(j) >= len(c.jobs) {
		return false
	}
	jb := c.jobs[j]
	return jb.kind != 0 && jb.calling && jb.awaits == t && now >= jb.callAt+jb.ans.Latency
}

// emit appends an effect. Every effect is appended here, kept out of
// line: inlined, each of the many call sites would carry its own copy of
// the append and its growth path, and the code the simulator runs per
// pod would outgrow the processor's instruction cache.
//
//go:noinline
func (c *Controller) emit(e Effect) { c.out = append(c.out, e) }

// wake asks to be woken d from now. A job awaits one wake-up or answer
// at a time, so Step can refuse any other.
func (c *Controller) wake(d time.Duration, t Timer) {
	if t.kind() <= tRetryCall {
		c.jobs[t.index()].awaits = t
	}
	c.emit(Effect{Kind: Wake, At: c.now + d, Timer: t})
}

func (c *Controller) wakeIdle(d time.Duration, t Timer) {
	c.emit(Effect{Kind: WakeIdle, At: c.now + d, Timer: t})
}

func (c *Controller) nodeChanged(n NodeID) { c.emit(Effect{Kind: NodeChanged, Node: n}) }

func (c *Controller) branchesChanged(n NodeID) {
	c.emit(Effect{Kind: BranchesChanged, Node: n})
}

func (c *Controller) podEvent(p PodID, ev Event) {
	c.emit(Effect{Kind: Emit, Pod: p, Event: c.event(ev)})
	c.sinkEvent()
}

func (c *Controller) nodeEvent(n NodeID, ev Event) {
	c.emit(Effect{Kind: Emit, Node: n, Event: c.event(ev)})
	c.sinkEvent()
}

// event keeps ev for the effects of this step. When the buffer is full a
// new one is made rather than grown, so that the events already pointed
// to stay where they are. It is kept out of line, as emit is.
//
//go:noinline
func (c *Controller) event(ev Event) *Event {
	if len(c.events) == cap(c.events) {
		c.events = make([]Event, 0, max(8, 2*cap(c.events)))
	}
	c.events = append(c.events, ev)
	return &c.events[len(c.events)-1]
}

// nodeJoined records a node; one whose aws-node asks for a trunk gets it
// if its type can hold one (provider.go IsInstanceSupported: Windows is
// refused without an event, other types with an Unsupported Warning).
func (c *Controller) nodeJoined(ni NodeID, j *Join) {
	if int(ni) >= len(c.nodes) {
		c.nodes = append(c.nodes, make([]node, int(ni)+1-len(c.nodes))...)
	}
	n := &c.nodes[ni]
	*n = node{name: j.Name, typ: j.Type, os: j.OS, joined: c.now, known: true, wantsTrunk: j.WantsTrunk, sweepAt: c.now, unlisted: j.Unlisted}
	if j.Trunk.IsValid() {
		// Met as a starting controller meets its nodes: Init rebuilds it.
		n.trunkID, n.unsynced = j.Trunk, c.cfg.RestartSyncRace
	}
	if j.WantsTrunk {
		c.trunkWanted(ni)
	}
}

// trunkRequested is a node's aws-node asking for a trunk after the node
// joined: the node reconciler now finds the CNINode's feature
// (canAttachTrunk, pkg/node/manager/manager.go) and hands the node to
// the branch provider as it would have at its join.
func (c *Controller) trunkRequested(ni NodeID) {
	c.nodes[ni].wantsTrunk = true
	c.trunkWanted(ni)
}

// trunkWanted starts the trunk of a node whose aws-node asked for one,
// if its type can hold one.
func (c *Controller) trunkWanted(ni NodeID) {
	n := &c.nodes[ni]
	err := n.typ.CanTrunk(n.os)
	if n.unlisted != nil && n.os != limits.OSWindows {
		err = n.unlisted
	}
	n.eligible = err == nil
	switch {
	case err == nil:
		c.startInit(ni)
	case n.os == limits.OSWindows:
	default:
		c.nodeEvent(ni, Event{Reason: Unsupported, Err: err})
		c.stats.Unsupported++
	}
}

// podBound hands a pod to the branch provider (pod_controller.go: a
// Create job for a bound pod that requests pod-eni). A pod annotated
// already gets none (provider.go CreateAndAnnotateResources skips it);
// its node's Init claims its branch.
func (c *Controller) podBound(pi PodID, ni NodeID, uid string, a *Annotation) {
	if int(pi) >= len(c.podAt) {
		c.podAt = append(c.podAt, make([]int32, int(pi)+1-len(c.podAt))...)
	}
	// Records are carved from blocks, found by an index rather than a
	// pointer each, so that the collector has no pointer per pod to
	// follow.
	b := len(c.records)
	if b == 0 || len(c.records[b-1]) == podBlockSize {
		c.records = append(c.records, make([]pod, 0, podBlockSize))
		b++
	}
	c.records[b-1] = append(c.records[b-1], pod{uid: uid, node: ni, job: noJob})
	c.podAt[pi] = int32((b-1)*podBlockSize + len(c.records[b-1]))
	if a != nil {
		p := c.pod(pi)
		p.annotated, p.eni, p.vlan, p.groups = true, a.ENI, a.VLAN, a.Groups
		return
	}
	c.enqueueCreate(pi, 0)
}

// podEnded releases a deleted or completed pod's branch to the cool-down
// queue (pod_controller.go: a Deleted job for both).
func (c *Controller) podEnded(pi PodID) {
	p := c.pod(pi)
	if p.ended {
		return
	}
	p.ended = true
	n := &c.nodes[p.node]
	if n.trunk == nil {
		return
	}
	if _, err := n.trunk.Release(p.uid, c.now); err == nil {
		c.branchesChanged(p.node)
		c.kickSweep(p.node)
	}
	// An error means the trunk holds no branch for the pod: its Create
	// job had not reserved one, or it was rebuilt without it. Nothing to
	// release, as upstream finds nothing in its cache.
}

// wokeUp runs what a timer was set for.
func (c *Controller) wokeUp(t Timer) {
	i := t.index()
	if t.kind() <= tRetryCall {
		c.jobs[i].awaits = 0 // delivered; the job sets its next one
	}
	switch t.kind() {
	case tStep:
		c.stepJob(i)
	case tSubmit:
		c.submit(i)
	case tCallStart:
		c.callStart(i)
	case tRetryCall:
		c.call(i, c.jobs[i].api)
	case tSweep:
		c.nodes[i].sweepSet = false
		c.sweepTick(NodeID(i))
	case tWipe:
		c.wipe(NodeID(i))
	case tResync:
		c.resync()
	case tClean:
		c.cleanerWoke()
	case tNodeEvent:
		c.nodeEventCame(NodeID(i))
	case tEventSink:
		c.eventWritten()
	}
}

// configure applies new settings to work from now on: the clients'
// limits change at once, as a restarted controller's would.
func (c *Controller) configure(cfg Config) {
	now := c.now
	c.user.SetLimit(now, cfg.UserClientQPS)
	c.user.SetBurst(now, cfg.UserClientBurst)
	if !c.cfg.SharedEC2Client {
		c.instance.SetLimit(now, cfg.InstanceClientQPS)
		c.instance.SetBurst(now, cfg.InstanceClientBurst)
	}
	for _, b := range []*bucket.Bucket{&c.clientset, &c.podPatch, &c.nodePatch} {
		b.SetLimit(now, cfg.APIServerQPS)
		b.SetBurst(now, cfg.APIServerBurst)
	}
	c.branchPool.size, c.nodePool.size = cfg.BranchWorkers, cfg.NodeWorkers
	cfg.SharedEC2Client = c.cfg.SharedEC2Client // the clients are made once
	was, coolDown := c.cleanerOn(), c.cfg.CoolDown
	c.cfg = cfg
	if !was && c.cleanerOn() {
		c.startCleaner() // as a process started with the new settings would
	}
	if cfg.CoolDown != coolDown {
		c.coolDownChanged()
	}
}

// coolDownChanged applies a new cool-down as the ConfigMap reconciler
// does (controllers/core/configmap_controller.go): the sweep reads the
// period each time it runs (trunk.go, deletionTimeStamp plus
// GetCoolDownPeriod), so branches cooling now are held for the new one,
// and each node's next useful sweep tick moves with it; and an event
// announces the period on every node (SendBroadcastNodeEvent).
func (c *Controller) coolDownChanged() {
	for i := range c.nodes {
		n := &c.nodes[i]
		if !n.known || n.gone {
			continue
		}
		if n.sweepSet && !n.sweeping {
			c.cancelSweep(NodeID(i))
			c.kickSweep(NodeID(i))
		}
		c.nodeEvent(NodeID(i), Event{Reason: BranchENICoolDownPeriodUpdated, Period: c.cfg.CoolDown})
	}
}

// Config returns the settings the controller runs with.
func (c *Controller) Config() Config { return c.cfg }

// Trunk returns the node's trunk as the controller's cache holds it, or
// nil when it has none. It is for inspection: do not change it.
func (c *Controller) Trunk(n NodeID) *trunk.Trunk {
	if !c.knownNode(n) {
		return nil
	}
	return c.nodes[n].trunk
}

// TrunkID returns the node's trunk ENI once attached, else the zero ID.
func (c *Controller) TrunkID(n NodeID) branch.ENIID {
	if !c.knownNode(n) {
		return branch.ENIID{}
	}
	return c.nodes[n].trunkID
}

// Advertised reports whether the node advertises vpc.amazonaws.com/pod-eni.
func (c *Controller) Advertised(n NodeID) bool { return c.knownNode(n) && c.nodes[n].advertised }

// Annotation returns the branch the controller annotated the pod with,
// and whether it did.
func (c *Controller) Annotation(p PodID) (eni branch.ENIID, vlan branch.VLAN, groups branch.GroupSet, ok bool) {
	if !c.knownPod(p) || !c.pod(p).annotated {
		return branch.ENIID{}, 0, branch.GroupSet{}, false
	}
	q := c.pod(p)
	return q.eni, q.vlan, q.groups, true
}

// Branch returns the branch the pod's trunk holds for it, if any.
func (c *Controller) Branch(p PodID) (trunk.Branch, bool) {
	if !c.knownPod(p) {
		return trunk.Branch{}, false
	}
	q := c.pod(p)
	if t := c.nodes[q.node].trunk; t != nil {
		return t.Pod(q.uid)
	}
	return trunk.Branch{}, false
}

// PodWait returns what the pod's last Create attempt ran into, with the
// error for WaitFailed and WaitDropped; zero when nothing did.
func (c *Controller) PodWait(p PodID) (Wait, error) {
	if !c.knownPod(p) {
		return 0, nil
	}
	return c.pod(p).wait, c.podErrs[p]
}

// Dropped reports whether the pod is out of retries until the resync.
func (c *Controller) Dropped(p PodID) bool { return c.knownPod(p) && c.pod(p).dropped }

// Parts returns the controller's share of the pod's start-up latency, as
// of the end of its last Create job.
func (c *Controller) Parts(p PodID) Parts {
	if !c.knownPod(p) {
		return Parts{}
	}
	return c.pod(p).parts
}

// Stats returns what the controller did so far.
func (c *Controller) Stats() Stats {
	s := c.stats
	s.TrunkReady = slices.Clone(s.TrunkReady)
	return s
}

// AppendKnownENIs appends every branch ENI the controller knows of: in
// its trunks' caches, in jobs making or deleting one, and in the
// annotations of pods that have not ended. A branch EC2 holds that is not
// among them is leaked.
func (c *Controller) AppendKnownENIs(dst []branch.ENIID) []branch.ENIID {
	var bs []trunk.Branch
	for i := range c.nodes {
		if t := c.nodes[i].trunk; t != nil {
			bs = t.AppendBranches(bs[:0])
			bs = t.AppendQueue(bs)
			for _, b := range bs {
				dst = append(dst, b.ENI)
			}
		}
	}
	for _, b := range c.records {
		for i := range b {
			if p := &b[i]; p.annotated && !p.ended {
				dst = append(dst, p.eni)
			}
		}
	}
	for _, jb := range c.jobs {
		if jb.kind != 0 && jb.eni.IsValid() {
			dst = append(dst, jb.eni)
		}
		if jb.kind != 0 && jb.calling && jb.ans.ENI.IsValid() {
			dst = append(dst, jb.ans.ENI) // made, its answer on the way
		}
		if jb.di < len(jb.del) {
			for _, b := range jb.del[jb.di:] {
				dst = append(dst, b.ENI)
			}
		}
	}
	return dst
}
