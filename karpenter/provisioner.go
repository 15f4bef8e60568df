package karpenter

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/limits"
)

// Config holds Karpenter's settings and the times the model gives each
// step of a node's start. Zero values mean the defaults, filled in by
// [New]: upstream's where it has one, else a stated assumption.
type Config struct {
	// BatchIdle is BATCH_IDLE_DURATION: a batching window closes once no
	// new pod has triggered it for this long (1s,
	// pkg/operator/options/options.go).
	BatchIdle time.Duration
	// BatchMax is BATCH_MAX_DURATION: a window closes this long after it
	// opened however many pods keep coming (10s).
	BatchMax time.Duration
	// ReservedENIs is RESERVED_ENIS of karpenter-provider-aws: interfaces
	// left out of the max-pods figure Karpenter computes and writes into
	// the kubelet's configuration (0; the docs advise 1 with security
	// groups for pods). Negative is refused.
	ReservedENIs int
	// Launch is how long after a batch closes its NodeClaims are launched
	// (CreateFleet answered). Assumption: 1s, as a maintainer reports a
	// launch about a second after the pod was seen
	// (aws/karpenter-provider-aws#6128).
	Launch time.Duration
	// Registration is how long after launch the node registers.
	// Assumption: 22s, the Launched-to-Registered time of the NodeClaim
	// example in Karpenter's docs (website/.../concepts/nodeclaims.md).
	Registration time.Duration
	// Startup is how long after registration aws-node is up and asks for
	// a trunk, when the node joins the simulation. Assumption: 12s, the
	// example's Registered-to-Initialized time.
	Startup time.Duration
	// DaemonSetPods is the pods every node runs for its DaemonSets, which
	// Karpenter counts as overhead against max pods.
	DaemonSetPods int
	// Prices are on-demand prices in USD an hour by instance type, over
	// the built-in us-east-1 table; a type with no price is never
	// launched, as Karpenter treats an unpriced offering as unavailable.
	Prices map[string]float64
	// Types is Karpenter's instance table, whose pod-eni figures it uses
	// to size nodes; nil means limits.Default(), the newest controller
	// release's table, from which karpenter-provider-aws generates its own
	// (hack/code/vpc_limits_gen).
	Types *limits.Table
}

// Defaults of the settings upstream fixes, and of the assumed times.
const (
	DefaultBatchIdle    = time.Second
	DefaultBatchMax     = 10 * time.Second
	DefaultLaunch       = time.Second
	DefaultRegistration = 22 * time.Second
	DefaultStartup      = 12 * time.Second
	// RequeuePeriod is how often Karpenter's pod trigger controller
	// triggers a batch again for a pod that stays provisionable
	// (pkg/controllers/provisioning/controller.go).
	RequeuePeriod = 10 * time.Second
	// EventDedupe is how long a pod's FailedScheduling event from
	// Karpenter is folded into the last one
	// (pkg/controllers/provisioning/scheduling/events.go).
	EventDedupe = 5 * time.Minute
)

// WithDefaults returns c with zero fields set to their defaults, or a
// *ConfigError for a value upstream would refuse.
func (c Config) WithDefaults() (Config, error) {
	for _, d := range []struct {
		field string
		v     *time.Duration
		def   time.Duration
	}{{"BatchIdle", &c.BatchIdle, DefaultBatchIdle}, {"BatchMax", &c.BatchMax, DefaultBatchMax},
		{"Launch", &c.Launch, DefaultLaunch}, {"Registration", &c.Registration, DefaultRegistration},
		{"Startup", &c.Startup, DefaultStartup}} {
		switch {
		case *d.v < 0:
			return c, &ConfigError{d.field, *d.v, "want a duration of zero or more"}
		case *d.v == 0:
			*d.v = d.def
		}
	}
	if c.ReservedENIs < 0 {
		return c, &ConfigError{"ReservedENIs", c.ReservedENIs, "want a count of zero or more"}
	}
	if c.DaemonSetPods < 0 {
		return c, &ConfigError{"DaemonSetPods", c.DaemonSetPods, "want a count of zero or more"}
	}
	for name, p := range c.Prices {
		if !(p > 0) || p > 1e6 {
			return c, &ConfigError{"Prices[" + name + "]", p, "want a price above zero in USD an hour"}
		}
	}
	if c.Types == nil {
		c.Types = limits.Default()
	}
	return c, nil
}

// PodID names a pod by the caller's number for it.
type PodID int32

// ClaimID names a NodeClaim by its launch order, from zero.
type ClaimID int32

// Pod is a pending pod as the provisioner sees it: the model's pods ask
// for no CPU or memory, so a pod is one pod slot and, when it requests
// it, one vpc.amazonaws.com/pod-eni.
type Pod struct {
	ID     PodID
	PodENI bool
}

// NodeState is a launched claim's node as the cluster shows it.
type NodeState struct {
	// Joined reports that the node has registered and joined.
	Joined bool
	// Pods is the pod slots its kubelet gives pods beyond the
	// DaemonSets'; PodENI the vpc.amazonaws.com/pod-eni it advertises.
	Pods, PodENI int
	// UsedPods and UsedPodENI are what the pods bound to it take.
	UsedPods, UsedPodENI int
	// LastPodEvent is when a pod was last bound to it or ended on it, or
	// when it joined.
	LastPodEvent time.Duration
	// FreeForPlainPods is how many more pods that ask for no pod-eni
	// kube-scheduler would bind to it (fewer than Pods-UsedPods where
	// secondary IPs run out first); consolidation moves pods only where
	// they would land. Karpenter itself knows max pods, not IPs; the
	// model's kube-scheduler places by IPs where a real cluster would let
	// the CNI fail, and without this consolidation would move pods onto a
	// node they never reach, launch again and consolidate again.
	FreeForPlainPods int
}

// Cluster is what the provisioner reads of the cluster: the pods
// kube-scheduler could not place, and the nodes it launched.
type Cluster interface {
	// AppendProvisionable appends, oldest first, the pods that are
	// pending, unbound and marked Unschedulable by kube-scheduler, and
	// that Karpenter would consider (pkg/utils/pod/scheduling.go
	// IsProvisionable).
	AppendProvisionable(dst []Pod) []Pod
	// Provisionable reports whether the pod is still one of those.
	Provisionable(p PodID) bool
	// Node returns the claim's node; before it joins, the zero NodeState.
	Node(c ClaimID) NodeState
}

// InputKind says what happened.
type InputKind uint8

// Inputs.
const (
	// PodUnschedulable: kube-scheduler marked Input.Pod Unschedulable.
	PodUnschedulable InputKind = 1 + iota
	// Woke: a wake-up the provisioner asked for came (Input.Timer).
	Woke
	// NodeJoined: Input.Claim's node registered and joined.
	NodeJoined
	// PodENIAdvertised: the controller advertised pod-eni on the claim's
	// node.
	PodENIAdvertised
	// NodeDeleted: the claim's node was deleted.
	NodeDeleted
)

// Input is one thing that happened.
type Input struct {
	Kind  InputKind
	Pod   PodID
	Claim ClaimID
	Timer Timer
}

// Timer names a wake-up the provisioner asked for.
type Timer uint64

const (
	timerBatch Timer = 1 + iota
	timerRequeue
	timerExpire // plus ClaimID << 8
	timerDisrupt
)

func expireTimer(c ClaimID) Timer { return timerExpire | Timer(c)<<8 }

// EffectKind says what the provisioner wants done.
type EffectKind uint8

// Effects.
const (
	// Wake: step Woke with Effect.Timer at Effect.At.
	Wake EffectKind = 1 + iota
	// WakeIdle: the same, but the wake-up alone does not keep a run
	// going, as the pod trigger's requeue and a node's expiry do not.
	WakeIdle
	// Launch: Effect.Claim was launched; its node joins at Effect.At
	// ([Provisioner.Claim] says what it is).
	Launch
	// Delete: delete Effect.Claim's node now, for Effect.Reason:
	// Expired, or Empty (consolidation).
	Delete
	// PodEvent: record the Kubernetes event Effect.Reason with
	// Effect.Message on Effect.Pod.
	PodEvent
)

// Effect is one thing the provisioner wants done.
type Effect struct {
	Kind            EffectKind
	At              time.Duration
	Timer           Timer
	Claim           ClaimID
	Pod             PodID
	Reason, Message string
}

// Claim is a NodeClaim the provisioner launched.
type Claim struct {
	// Name is the node's name: the NodePool's name and a number.
	Name     string
	NodePool string
	Type     limits.InstanceType
	// CapacityType is the offering launched: spot when the NodePool
	// allows it, as Karpenter prefers spot to on-demand
	// (pkg/providers/instance/instance.go getCapacityType).
	CapacityType CapacityType
	// Price is what the offering costs, USD an hour.
	Price float64
	// MaxPods is the kubelet max pods Karpenter writes for it; PodENI the
	// branch ENIs Karpenter expects it to advertise.
	MaxPods, PodENI int
	// RequestedPodENI reports that a pod it was sized for asked for
	// pod-eni, so it is initialized only once the node advertises it
	// (pkg/controllers/nodeclaim/lifecycle/initialization.go).
	RequestedPodENI bool
	// Labels are the node's labels: the NodePool's, the single-valued
	// custom requirements, and the well-known ones Karpenter stamps.
	Labels         map[string]string
	SecurityGroups []branch.SecurityGroupID
	// Launched, Joined and Initialized are when it reached each state;
	// Joined and Initialized are valid once IsJoined and IsInitialized.
	Launched, Joined, Initialized time.Duration
	IsJoined, IsInitialized       bool
	Deleted                       bool

	pool int // its NodePool's index in the provisioner's order
}

// Stats counts what the provisioner did.
type Stats struct {
	// Batches counts batching windows closed, each followed by a solve.
	Batches int
	// Unprovisionable counts FailedScheduling events: a pod no NodePool
	// could launch a node for.
	Unprovisionable int
	// Consolidated counts nodes deleted because they were empty.
	Consolidated int
}

// Provisioner is Karpenter's provisioning loop as a state machine. It is
// not safe for concurrent use.
type Provisioner struct {
	cfg     Config
	cluster Cluster
	pools   []pool
	claims  []Claim
	stats   Stats
	now     time.Duration
	out     []Effect

	// The batching window (pkg/controllers/provisioning/batcher.go).
	open          bool
	idleAt, maxAt time.Duration
	armed         bool // a batch wake-up is pending
	armedAt       time.Duration
	window        uint32   // numbers windows, so seen needs no clearing
	seen          []uint32 // by pod: the window it last triggered
	toldAt        []time.Duration

	// requeue holds the pods to trigger again, in time order.
	requeue      []requeued
	requeueHead  int
	requeueArmed bool

	podBuf  []Pod
	exBuf   []slot
	openBuf []opened

	// The disruption loop, armed while a NodePool that consolidates has
	// a node.
	disruptArmed bool
	validating   map[ClaimID]time.Duration // empty nodes awaiting the command's validation, since when
	validatingU  map[ClaimID]time.Duration // the same for an underutilized node
}

type requeued struct {
	pod PodID
	at  time.Duration
}

// pool is a NodePool with the offerings it allows, cheapest first, and
// the totals its live claims hold.
type pool struct {
	NodePool
	class       *NodeClass
	cands       []cand
	minValues   bool
	reasonPlain string // why it takes no pod, or ""
	reasonENI   string // why it takes no pod-eni pod, or ""
	nodes       int64
	pods, eni   int64
	launched    int
}

// cand is one instance type a NodePool may launch, with what Karpenter
// expects it to hold.
type cand struct {
	typ          *limits.InstanceType
	ct           CapacityType
	maxPods      int
	pods, podENI int
	price        float64
}

// slot is a live claim's free capacity in a solve.
type slot struct {
	claim        ClaimID
	pods, podENI int
}

// opened is a NodeClaim a solve is filling.
type opened struct {
	pool         int
	pods, podENI int
	cands        []cand
	full         [2]bool // by whether the pod asks for pod-eni: it takes no more
}

// New returns a provisioner for the NodePools and EC2NodeClasses, or the
// first error found in them or in cfg.
func New(cfg Config, pools []NodePool, classes []NodeClass, cluster Cluster) (*Provisioner, error) {
	c, err := cfg.WithDefaults()
	if err != nil {
		return nil, err
	}
	byName := make(map[string]*NodeClass, len(classes))
	for i := range classes {
		nc := &classes[i]
		if err := nc.validate(); err != nil {
			return nil, err
		}
		if _, dup := byName[nc.Name]; dup {
			return nil, &NodePoolError{Kind: "EC2NodeClass", Name: nc.Name, Field: "metadata.name", Err: fmt.Errorf("defined twice")}
		}
		own := *nc
		own.SecurityGroups = slices.Clone(nc.SecurityGroups)
		byName[nc.Name] = &own
	}
	p := &Provisioner{cfg: c, cluster: cluster}
	seen := map[string]bool{}
	for _, np := range pools {
		if err := np.validate(byName); err != nil {
			return nil, err
		}
		if seen[np.Name] {
			return nil, &NodePoolError{Kind: "NodePool", Name: np.Name, Field: "metadata.name", Err: fmt.Errorf("defined twice")}
		}
		seen[np.Name] = true
		p.pools = append(p.pools, p.offerings(np, byName[np.NodeClass]))
	}
	// OrderByWeight: the highest weight first, ties by name descending.
	slices.SortStableFunc(p.pools, func(a, b pool) int {
		if a.Weight != b.Weight {
			return cmp.Compare(b.Weight, a.Weight)
		}
		return strings.Compare(b.Name, a.Name)
	})
	return p, nil
}

// offerings lists what a NodePool may launch, cheapest first, ties by
// name, as Karpenter orders a NodeClaim's instance types
// (pkg/cloudprovider/types.go OrderByPrice; upstream's sort is not
// stable, so the tie-break is the model's).
func (p *Provisioner) offerings(np NodePool, nc *NodeClass) pool {
	np.Requirements = slices.Clone(np.Requirements)
	pl := pool{NodePool: np, class: nc}
	for _, r := range np.Requirements {
		if r.MinValues > 0 {
			pl.minValues = true
		}
	}
	cts := np.Requirements.CapacityTypes()
	types := p.cfg.Types.All()
	for i := range types {
		it := &types[i]
		for _, ct := range cts {
			if !np.Requirements.Allows(Offering{Type: *it, CapacityType: ct}) {
				continue
			}
			price, ok := p.price(it.Name, ct)
			if !ok {
				continue
			}
			maxPods := p.maxPods(it, nc)
			if pods := maxPods - p.cfg.DaemonSetPods; pods > 0 {
				pl.cands = append(pl.cands, cand{typ: it, ct: ct, maxPods: maxPods, pods: pods, podENI: it.BranchPods(), price: price})
			}
			break
		}
	}
	slices.SortStableFunc(pl.cands, func(a, b cand) int {
		if c := cmp.Compare(a.price, b.price); c != 0 {
			return c
		}
		return strings.Compare(a.typ.Name, b.typ.Name)
	})
	switch {
	case np.Tainted:
		pl.reasonPlain = "its template has a taint the pod does not tolerate"
	case len(pl.cands) == 0:
		pl.reasonPlain = "its requirements leave no priced instance type with pod slots to spare"
	}
	pl.reasonENI = pl.reasonPlain
	if pl.reasonENI == "" && !slices.ContainsFunc(pl.cands, func(c cand) bool { return c.podENI > 0 }) {
		pl.reasonENI = "no instance type its requirements allow has vpc.amazonaws.com/pod-eni (none can hold a trunk)"
	}
	return pl
}

// price is the offering's price: the scenario's, else the built-in table.
func (p *Provisioner) price(name string, ct CapacityType) (float64, bool) {
	if od, ok := p.cfg.Prices[name]; ok {
		switch ct {
		case Reserved:
			return od / 1e7, true
		default:
			return od, true
		}
	}
	return Price(name, ct)
}

// maxPods is the kubelet max pods Karpenter writes for the type: the
// EC2NodeClass's kubelet.maxPods, or the ENI-limited figure with
// RESERVED_ENIS interfaces left out (pkg/providers/instancetype/types.go
// ENILimitedPods).
func (p *Provisioner) maxPods(it *limits.InstanceType, nc *NodeClass) int {
	if nc.MaxPods > 0 {
		return nc.MaxPods
	}
	enis := it.DefaultCardInterfaces() - p.cfg.ReservedENIs
	if enis <= 0 {
		return 0
	}
	return enis*max(0, it.IPv4PerInterface-1) + limits.HostNetworkPods
}

// Claim returns the NodeClaim launched as c.
func (p *Provisioner) Claim(c ClaimID) Claim { return p.claims[c] }

// Claims returns how many NodeClaims have been launched.
func (p *Provisioner) Claims() int { return len(p.claims) }

// Stats returns what the provisioner has done so far.
func (p *Provisioner) Stats() Stats { return p.stats }

// Step tells the provisioner what happened at now and appends what it
// wants done to out. An input it cannot take is refused with an error
// wrapping ErrBadInput, and nothing changes.
func (p *Provisioner) Step(now time.Duration, in Input, out []Effect) ([]Effect, error) {
	if err := p.check(now, in); err != nil {
		return out, err
	}
	p.now, p.out = now, out
	switch in.Kind {
	case PodUnschedulable:
		p.trigger(in.Pod)
		p.requeueLater(in.Pod)
	case Woke:
		p.woke(in.Timer)
	case NodeJoined:
		c := &p.claims[in.Claim]
		c.IsJoined, c.Joined = true, now
		if !c.RequestedPodENI {
			c.IsInitialized, c.Initialized = true, now
		}
	case PodENIAdvertised:
		if c := &p.claims[in.Claim]; c.IsJoined && !c.IsInitialized {
			c.IsInitialized, c.Initialized = true, now
		}
	case NodeDeleted:
		c := &p.claims[in.Claim]
		c.Deleted = true
		pl := p.poolOf(c)
		pl.nodes--
		pl.pods -= int64(c.MaxPods)
		pl.eni -= int64(c.PodENI)
	}
	out = p.out
	p.out = nil
	return out, nil
}

func (p *Provisioner) check(now time.Duration, in Input) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("karpenter: %w: %s", ErrBadInput, fmt.Sprintf(format, args...))
	}
	switch {
	case now < p.now:
		return bad("time %v is before %v", now, p.now)
	case in.Kind == PodUnschedulable && in.Pod < 0:
		return bad("pod %d", in.Pod)
	case in.Kind == NodeJoined || in.Kind == PodENIAdvertised || in.Kind == NodeDeleted:
		if in.Claim < 0 || int(in.Claim) >= len(p.claims) || p.claims[in.Claim].Deleted {
			return bad("no live NodeClaim %d", in.Claim)
		}
		if in.Kind == NodeJoined && p.claims[in.Claim].IsJoined {
			return bad("NodeClaim %s joined twice", p.claims[in.Claim].Name)
		}
	case in.Kind == Woke:
		switch t := in.Timer; {
		case t == timerBatch, t == timerRequeue, t == timerDisrupt:
		case t&0xff == timerExpire && int(t>>8) < len(p.claims):
		default:
			return bad("unknown timer %d", t)
		}
	case in.Kind < PodUnschedulable || in.Kind > NodeDeleted:
		return bad("unknown input kind %d", in.Kind)
	}
	return nil
}

func (p *Provisioner) poolOf(c *Claim) *pool { return &p.pools[c.pool] }

// trigger adds a pod to the batching window, opening one or holding it
// open for another BatchIdle; a pod seen in this window already changes
// nothing (Batcher.Trigger).
func (p *Provisioner) trigger(pod PodID) {
	if int(pod) >= len(p.seen) {
		p.seen = append(p.seen, make([]uint32, int(pod)+1-len(p.seen))...)
	}
	if p.open && p.seen[pod] == p.window {
		return
	}
	if !p.open {
		p.open, p.window = true, p.window+1
		p.maxAt = p.now + p.cfg.BatchMax
	}
	p.seen[pod] = p.window
	p.idleAt = p.now + p.cfg.BatchIdle
	p.arm()
}

// arm keeps one batch wake-up pending, at or before the window's close;
// one that comes early arms the next.
func (p *Provisioner) arm() {
	at := min(p.idleAt, p.maxAt)
	if p.armed && p.armedAt <= at {
		return
	}
	p.armed, p.armedAt = true, at
	p.out = append(p.out, Effect{Kind: Wake, At: at, Timer: timerBatch})
}

func (p *Provisioner) requeueLater(pod PodID) {
	p.requeue = append(p.requeue, requeued{pod, p.now + RequeuePeriod})
	if !p.requeueArmed {
		p.requeueArmed = true
		p.out = append(p.out, Effect{Kind: WakeIdle, At: p.requeue[p.requeueHead].at, Timer: timerRequeue})
	}
}

func (p *Provisioner) woke(t Timer) {
	switch {
	case t == timerBatch:
		if p.armedAt != p.now {
			return // a wake-up from before the window was held open
		}
		p.armed = false
		if !p.open {
			return
		}
		if at := min(p.idleAt, p.maxAt); at > p.now {
			p.arm()
			return
		}
		p.open = false
		p.stats.Batches++
		p.solve()
	case t == timerRequeue:
		p.requeueArmed = false
		n := len(p.requeue)
		for p.requeueHead < n && p.requeue[p.requeueHead].at <= p.now {
			r := p.requeue[p.requeueHead]
			p.requeueHead++
			if p.cluster.Provisionable(r.pod) {
				p.trigger(r.pod)
				p.requeue = append(p.requeue, requeued{r.pod, p.now + RequeuePeriod})
			}
		}
		if p.requeueHead > 64 && 2*p.requeueHead > len(p.requeue) {
			p.requeue = p.requeue[:copy(p.requeue, p.requeue[p.requeueHead:])]
			p.requeueHead = 0
		}
		if p.requeueHead < len(p.requeue) {
			p.requeueArmed = true
			p.out = append(p.out, Effect{Kind: WakeIdle, At: p.requeue[p.requeueHead].at, Timer: timerRequeue})
		}
	case t == timerDisrupt:
		p.disruptArmed = false
		p.disrupt()
	default: // expiry
		c := ClaimID(t >> 8)
		if !p.claims[c].Deleted {
			p.out = append(p.out, Effect{Kind: Delete, Claim: c, Reason: "Expired"})
		}
	}
}

// solve places every provisionable pod, as Karpenter's scheduler does
// after a batch (pkg/controllers/provisioning/scheduling/scheduler.go):
// pods in order (by CPU and memory, which the model's pods do not ask
// for, then by creation), each on the first node it fits, initialized
// nodes first, counting a node not yet initialized at what its NodeClaim
// expects (pkg/controllers/state/statenode.go); else on a NodeClaim this
// solve opened, the one with the fewest pods first, narrowing its
// instance types to those that hold all its pods; else on a new
// NodeClaim of the first NodePool by weight that can take it. Each
// NodeClaim is then launched as the cheapest type left, which is what
// CreateFleet's lowest-price strategy picks from the list.
func (p *Provisioner) solve() {
	pods := p.cluster.AppendProvisionable(p.podBuf[:0])
	p.podBuf = pods
	if len(pods) == 0 {
		return
	}
	ex := p.exBuf[:0]
	for pass := range 2 { // initialized nodes first
		for i := range p.claims {
			c := &p.claims[i]
			if c.Deleted || c.IsInitialized != (pass == 0) {
				continue
			}
			st := p.cluster.Node(ClaimID(i))
			free, freeENI := c.MaxPods-p.cfg.DaemonSetPods-st.UsedPods, c.PodENI-st.UsedPodENI
			if st.Joined && st.Pods > 0 {
				free = st.Pods - st.UsedPods
			}
			if c.IsInitialized {
				freeENI = st.PodENI - st.UsedPodENI
			}
			ex = append(ex, slot{ClaimID(i), free, freeENI})
		}
	}
	p.exBuf = ex
	open := p.openBuf[:0]
	var at [2]int // per kind of pod, the first slot that may still take one
	for _, pod := range pods {
		k := 0
		if pod.PodENI {
			k = 1
		}
		for at[k] < len(ex) && !(ex[at[k]].pods > 0 && (k == 0 || ex[at[k]].podENI > 0)) {
			at[k]++
		}
		if at[k] < len(ex) {
			ex[at[k]].pods--
			if pod.PodENI {
				ex[at[k]].podENI--
			}
			continue
		}
		if p.addToOpened(open, pod) {
			continue
		}
		var ok bool
		if open, ok = p.openClaim(open, pod); !ok {
			p.unprovisionable(pod)
		}
	}
	for i := range open {
		p.launch(&open[i])
	}
	clear(open)
	p.openBuf = open[:0]
}

// addToOpened puts the pod on the opened NodeClaim with the fewest pods
// that some instance type left can still hold it on.
func (p *Provisioner) addToOpened(open []opened, pod Pod) bool {
	k := 0
	if pod.PodENI {
		k = 1
	}
	for {
		best := -1
		for i := range open {
			if !open[i].full[k] && (best < 0 || open[i].pods < open[best].pods) {
				best = i
			}
		}
		if best < 0 {
			return false
		}
		o := &open[best]
		if p.narrow(o, o.pods+1, o.podENI+k) {
			o.pods, o.podENI = o.pods+1, o.podENI+k
			return true
		}
		o.full[k] = true
		if k == 0 {
			o.full[1] = true // a pod-eni pod needs a slot too
		}
	}
}

// narrow keeps the opened claim's instance types that hold pods and
// podENI, if any are left and they still meet the NodePool's minValues
// (pkg/cloudprovider/types.go SatisfiesMinValues); else it changes
// nothing and reports false.
func (p *Provisioner) narrow(o *opened, pods, podENI int) bool {
	n := 0
	for _, c := range o.cands {
		if c.pods >= pods && c.podENI >= podENI {
			n++
		}
	}
	if n == 0 {
		return false
	}
	pl := &p.pools[o.pool]
	if n < len(o.cands) && pl.minValues {
		types := make([]limits.InstanceType, 0, n)
		for _, c := range o.cands {
			if c.pods >= pods && c.podENI >= podENI {
				types = append(types, *c.typ)
			}
		}
		if _, ok := SatisfiesMinValues(types, pl.Requirements); !ok {
			return false
		}
	}
	if n < len(o.cands) {
		keep := o.cands[:0]
		for _, c := range o.cands {
			if c.pods >= pods && c.podENI >= podENI {
				keep = append(keep, c)
			}
		}
		o.cands = keep
	}
	return true
}

// openClaim opens a NodeClaim for the pod on the first NodePool that can
// take it within its limits (provisioner.go NewScheduler; limits are
// checked against the largest type the claim may become, subtractMax).
func (p *Provisioner) openClaim(open []opened, pod Pod) ([]opened, bool) {
	need := 0
	if pod.PodENI {
		need = 1
	}
	for i := range p.pools {
		pl := &p.pools[i]
		if pl.Tainted {
			continue
		}
		nodes, pods, eni := pl.nodes, pl.pods, pl.eni
		for _, o := range open {
			if o.pool == i {
				nodes++
				pods += int64(slices.MaxFunc(o.cands, func(a, b cand) int { return cmp.Compare(a.maxPods, b.maxPods) }).maxPods)
				eni += int64(slices.MaxFunc(o.cands, func(a, b cand) int { return cmp.Compare(a.podENI, b.podENI) }).podENI)
			}
		}
		if !pl.Limits.Nodes.allows(nodes + 1) {
			continue
		}
		var cands []cand
		for _, c := range pl.cands {
			if c.pods >= 1 && c.podENI >= need &&
				pl.Limits.Pods.allows(pods+int64(c.maxPods)) && pl.Limits.PodENI.allows(eni+int64(c.podENI)) {
				cands = append(cands, c)
			}
		}
		if len(cands) == 0 {
			continue
		}
		o := opened{pool: i, cands: cands}
		if pl.minValues {
			types := make([]limits.InstanceType, len(cands))
			for j, c := range cands {
				types[j] = *c.typ
			}
			if _, ok := SatisfiesMinValues(types, pl.Requirements); !ok {
				continue
			}
		}
		o.pods, o.podENI = 1, need
		return append(open, o), true
	}
	return open, false
}

// unprovisionable records Karpenter's FailedScheduling event on a pod no
// NodePool can take, at most once per EventDedupe.
func (p *Provisioner) unprovisionable(pod Pod) {
	if int(pod.ID) >= len(p.toldAt) {
		p.toldAt = append(p.toldAt, make([]time.Duration, int(pod.ID)+1-len(p.toldAt))...)
	}
	if t := p.toldAt[pod.ID]; t != 0 && p.now+1 < t+EventDedupe {
		return
	}
	p.toldAt[pod.ID] = p.now + 1 // +1: zero means never
	p.stats.Unprovisionable++
	p.out = append(p.out, Effect{Kind: PodEvent, Pod: pod.ID, Reason: "FailedScheduling", Message: p.whyNot(pod)})
}

func (p *Provisioner) whyNot(pod Pod) string {
	if len(p.pools) == 0 {
		return "Failed to schedule pod, no NodePool"
	}
	var b strings.Builder
	b.WriteString("Failed to schedule pod")
	for i := range p.pools {
		pl := &p.pools[i]
		why := pl.reasonPlain
		if pod.PodENI {
			why = pl.reasonENI
		}
		if why == "" {
			why = "its limits are reached"
			if n, ok := pl.Limits.Nodes.Max(); ok && pl.nodes >= n {
				why = "its limits are reached (nodes: " + strconv.FormatInt(n, 10) + ")"
			}
		}
		fmt.Fprintf(&b, ", incompatible with nodepool %q: %s", pl.Name, why)
	}
	return b.String()
}

// launch makes an opened NodeClaim a launched one, of the cheapest type
// left, and says when its node joins.
func (p *Provisioner) launch(o *opened) {
	pl := &p.pools[o.pool]
	c := o.cands[0]
	id := ClaimID(len(p.claims))
	pl.launched++
	labels := map[string]string{}
	for k, v := range pl.Requirements.NodeLabels() {
		labels[k] = v
	}
	for k, v := range pl.Labels {
		labels[k] = v
	}
	labels["karpenter.sh/nodepool"] = pl.Name
	labels["karpenter.sh/capacity-type"] = c.ct.String()
	labels["node.kubernetes.io/instance-type"] = c.typ.Name
	claim := Claim{
		Name: pl.Name + "-" + strconv.Itoa(pl.launched), NodePool: pl.Name, Type: *c.typ, CapacityType: c.ct,
		Price: c.price, MaxPods: c.maxPods, PodENI: c.podENI, RequestedPodENI: o.podENI > 0,
		Labels: labels, SecurityGroups: pl.class.SecurityGroups, Launched: p.now + p.cfg.Launch, pool: o.pool,
	}
	p.claims = append(p.claims, claim)
	pl.nodes++
	pl.pods += int64(c.maxPods)
	pl.eni += int64(c.podENI)
	p.out = append(p.out, Effect{Kind: Launch, Claim: id, At: claim.Launched + p.cfg.Registration + p.cfg.Startup})
	if pl.ExpireAfter > 0 {
		p.out = append(p.out, Effect{Kind: WakeIdle, At: claim.Launched + pl.ExpireAfter, Timer: expireTimer(id)})
	}
	if pl.Consolidation.Policy != 0 {
		p.armDisruption()
	}
}

// Disruption's pass period and the delay before a consolidation command
// is carried out, once validated again (karpenter
// pkg/controllers/disruption/controller.go, consolidation.go
// commandValidationDelay).
const (
	DisruptionPeriod     = 10 * time.Second
	ValidationDelay      = 15 * time.Second
	DefaultBudgetPercent = 10 // a NodePool's default budget, nodes: 10%
)

func (p *Provisioner) armDisruption() {
	if !p.disruptArmed {
		p.disruptArmed = true
		p.out = append(p.out, Effect{Kind: WakeIdle, At: p.now + DisruptionPeriod, Timer: timerDisrupt})
	}
}

// disrupt is one pass of the disruption loop's emptiness method, which
// every consolidation policy runs: an initialized node with no pods that
// has had none for consolidateAfter is a candidate
// (pkg/controllers/nodeclaim/disruption/consolidation.go); a candidate
// still empty ValidationDelay later is deleted, as many at a time as the
// NodePool's budget allows (pkg/apis/v1/nodepool.go
// GetAllowedDisruptionsByReason: a percentage rounds up over its
// initialized nodes). The underutilized part of WhenEmptyOrUnderutilized
// (moving pods to make a node empty) is not modelled.
func (p *Provisioner) disrupt() {
	if p.validating == nil {
		p.validating = map[ClaimID]time.Duration{}
	}
	live, emptied := false, false
	for i := range p.pools {
		pl := &p.pools[i]
		cons := pl.Consolidation
		if cons.Policy == 0 {
			continue
		}
		initialized := 0
		for j := range p.claims {
			if c := &p.claims[j]; !c.Deleted && c.pool == i && c.IsInitialized {
				initialized++
			}
		}
		allowed := cons.allowed(initialized, ReasonEmpty)
		for j := range p.claims {
			c := &p.claims[j]
			if c.Deleted || c.pool != i {
				continue
			}
			live = true
			id := ClaimID(j)
			st := p.cluster.Node(id)
			if !c.IsInitialized || st.UsedPods > 0 || p.now-st.LastPodEvent < cons.After {
				delete(p.validating, id)
				continue
			}
			since, ok := p.validating[id]
			switch {
			case !ok:
				p.validating[id] = p.now
			case p.now-since >= ValidationDelay && allowed > 0:
				allowed--
				delete(p.validating, id)
				p.stats.Consolidated++
				emptied = true
				p.out = append(p.out, Effect{Kind: Delete, Claim: id, Reason: "Empty"})
			}
		}
	}
	// One command a pass: the underutilized method runs only when
	// emptiness found nothing (disruption/controller.go NewMethods order).
	if !emptied {
		p.underutilized()
	}
	if live {
		p.armDisruption()
	}
}

// underutilized is single-node consolidation without a replacement
// (pkg/controllers/disruption/singlenodeconsolidation.go): of the nodes
// of NodePools whose policy consolidates underutilized nodes, the one
// with the fewest pods whose pods all fit on the other nodes Karpenter
// launched is deleted, once still so ValidationDelay later, within the
// budgets for Underutilized. Its pods are evicted and their workloads
// recreate them elsewhere. Replacing a node with a cheaper one is not
// modelled, as the model's pods ask for no CPU or memory.
func (p *Provisioner) underutilized() {
	if p.validatingU == nil {
		p.validatingU = map[ClaimID]time.Duration{}
	}
	// Free capacity of every live, initialized node.
	type free struct{ pods, eni, plain int }
	frees := make([]free, len(p.claims))
	initialized := make([]int, len(p.pools))
	for j := range p.claims {
		c := &p.claims[j]
		if c.Deleted || !c.IsInitialized {
			continue
		}
		st := p.cluster.Node(ClaimID(j))
		frees[j] = free{max(0, st.Pods-st.UsedPods), max(0, st.PodENI-st.UsedPodENI), max(0, st.FreeForPlainPods)}
		initialized[c.pool]++
	}
	best, bestPods := ClaimID(-1), 0
	for j := range p.claims {
		c := &p.claims[j]
		id := ClaimID(j)
		cons := p.pools[c.pool].Consolidation
		if c.Deleted || !c.IsInitialized || (cons.Policy != WhenEmptyOrUnderutilized && cons.Policy != Balanced) {
			delete(p.validatingU, id)
			continue
		}
		st := p.cluster.Node(id)
		if st.UsedPods == 0 || p.now-st.LastPodEvent < cons.After || cons.allowed(initialized[c.pool], ReasonUnderutilized) == 0 {
			delete(p.validatingU, id)
			continue
		}
		// The branch pods need a slot and a pod-eni each, the rest a slot
		// where kube-scheduler would bind them.
		slots, eniSlots, plainSlots := 0, 0, 0
		for k := range frees {
			if ClaimID(k) != id {
				slots += frees[k].pods
				eniSlots += min(frees[k].pods, frees[k].eni)
				plainSlots += min(frees[k].pods, frees[k].plain)
			}
		}
		if eniSlots < st.UsedPodENI || slots < st.UsedPods || plainSlots < st.UsedPods-st.UsedPodENI {
			delete(p.validatingU, id)
			continue
		}
		if best < 0 || st.UsedPods < bestPods {
			best, bestPods = id, st.UsedPods
		}
	}
	if best < 0 {
		return
	}
	since, ok := p.validatingU[best]
	switch {
	case !ok:
		p.validatingU[best] = p.now
	case p.now-since >= ValidationDelay:
		delete(p.validatingU, best)
		p.stats.Consolidated++
		p.out = append(p.out, Effect{Kind: Delete, Claim: best, Reason: "Underutilized"})
	}
}
