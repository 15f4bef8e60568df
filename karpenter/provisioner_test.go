package karpenter

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cluster is a Cluster for tests: pods by ID, and the nodes of claims.
type cluster struct {
	pods  []testPod
	nodes map[ClaimID]NodeState
	// bindOnSolve makes every pod a solve sees bound at once, as when
	// nodes have room, so it triggers no more batches.
	bindOnSolve bool
}

type testPod struct {
	podENI, provisionable bool
}

func (c *cluster) AppendProvisionable(dst []Pod) []Pod {
	for i, p := range c.pods {
		if p.provisionable {
			dst = append(dst, Pod{ID: PodID(i), PodENI: p.podENI})
			c.pods[i].provisionable = !c.bindOnSolve
		}
	}
	return dst
}

func (c *cluster) Provisionable(id PodID) bool { return c.pods[id].provisionable }

func (c *cluster) Node(id ClaimID) NodeState { return c.nodes[id] }

// driver steps a provisioner through its wake-ups, as a caller would.
type driver struct {
	t       *testing.T
	p       *Provisioner
	c       *cluster
	now     time.Duration
	wakes   []Effect
	effects []Effect        // every effect but wake-ups, in order
	batches []time.Duration // when each batch closed
}

func newDriver(t *testing.T, cfg Config, pools []NodePool, classes []NodeClass) *driver {
	t.Helper()
	c := &cluster{nodes: map[ClaimID]NodeState{}}
	p, err := New(cfg, pools, classes, c)
	require.NoError(t, err)
	return &driver{t: t, p: p, c: c}
}

func (d *driver) step(in Input) {
	d.t.Helper()
	out, err := d.p.Step(d.now, in, nil)
	require.NoError(d.t, err)
	for _, e := range out {
		if e.Kind == Wake || e.Kind == WakeIdle {
			d.wakes = append(d.wakes, e)
		} else {
			d.effects = append(d.effects, e)
		}
	}
}

// pod creates a pod kube-scheduler found no node for, now.
func (d *driver) pod(podENI bool) PodID {
	id := PodID(len(d.c.pods))
	d.c.pods = append(d.c.pods, testPod{podENI: podENI, provisionable: true})
	d.step(Input{Kind: PodUnschedulable, Pod: id})
	return id
}

// runUntil delivers the wake-ups due by t in time order.
func (d *driver) runUntil(t time.Duration) {
	for {
		slices.SortStableFunc(d.wakes, func(a, b Effect) int { return int(a.At - b.At) })
		if len(d.wakes) == 0 || d.wakes[0].At > t {
			d.now = t
			return
		}
		w := d.wakes[0]
		d.wakes = d.wakes[1:]
		d.now = w.At
		before := d.p.Stats().Batches
		d.step(Input{Kind: Woke, Timer: w.Timer})
		if d.p.Stats().Batches > before {
			d.batches = append(d.batches, d.now)
		}
	}
}

func (d *driver) launches() []Claim {
	var cs []Claim
	for _, e := range d.effects {
		if e.Kind == Launch {
			cs = append(cs, d.p.Claim(e.Claim))
		}
	}
	return cs
}

func nodePool(name string, reqs ...Requirement) NodePool {
	return NodePool{Name: name, NodeClass: "default", Requirements: reqs}
}

var defaultClass = []NodeClass{{Name: "default"}}

func in(key string, values ...string) Requirement {
	return Requirement{Key: key, Operator: In, Values: values}
}

func onDemand() Requirement { return in("karpenter.sh/capacity-type", "on-demand") }

func types(cs []Claim) []string {
	var names []string
	for _, c := range cs {
		names = append(names, c.Type.Name)
	}
	return names
}

// Karpenter's batcher (sigs.k8s.io/karpenter
// pkg/controllers/provisioning/batcher.go Wait): a window opens at the
// first trigger, each new pod holds it open for BATCH_IDLE_DURATION, and
// it closes at BATCH_MAX_DURATION after it opened at the latest.
func TestBatchWindowClosesWhenIdleOrAtItsMaximum(t *testing.T) {
	for _, tc := range []struct {
		name     string
		every    time.Duration
		for_     time.Duration
		closesAt []time.Duration
	}{
		{"pods every 0.5s for 5s: one batch, 1s after the last", 500 * time.Millisecond, 5 * time.Second, []time.Duration{5500 * time.Millisecond}},
		{"a steady stream every 0.5s for 30s: batches close every 10s", 500 * time.Millisecond, 30 * time.Second, []time.Duration{10 * time.Second, 20 * time.Second, 30 * time.Second}},
		{"pods 1.5s apart: a batch each", 1500 * time.Millisecond, 4 * time.Second, []time.Duration{time.Second, 2500 * time.Millisecond, 4 * time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDriver(t, Config{}, []NodePool{nodePool("default", in("node.kubernetes.io/instance-type", "m5.large"), onDemand())}, defaultClass)
			d.c.bindOnSolve = true
			for at := time.Duration(0); at < tc.for_; at += tc.every {
				d.runUntil(at)
				d.pod(true)
			}
			d.runUntil(time.Minute)
			assert.Equal(t, tc.closesAt, d.batches)
		})
	}
}

// karpenter-provider-aws pkg/providers/instancetype/suite_test.go "should
// not launch AWS Pod ENI on a t3": a t3.large has no
// vpc.amazonaws.com/pod-eni in Karpenter's view (types.go awsPodENI), so a
// pod that asks for one gets no NodeClaim and a FailedScheduling event.
func TestShouldNotLaunchPodENIOnAT3(t *testing.T) {
	d := newDriver(t, Config{}, []NodePool{nodePool("default", in("node.kubernetes.io/instance-type", "t3.large"))}, defaultClass)
	pod := d.pod(true)
	d.runUntil(time.Minute)
	assert.Empty(t, d.launches())
	require.NotEmpty(t, d.effects)
	e := d.effects[0]
	assert.Equal(t, PodEvent, e.Kind)
	assert.Equal(t, pod, e.Pod)
	assert.Equal(t, "FailedScheduling", e.Reason)
	assert.Contains(t, e.Message, "vpc.amazonaws.com/pod-eni")
	assert.Equal(t, 1, d.p.Stats().Unprovisionable, "the event is folded for 5 minutes (scheduling/events.go)")
}

// The same suite's "should launch vpc.amazonaws.com/pod-eni on a
// compatible instance type": with t3 and m5 allowed, a pod-eni pod goes
// to a trunk-compatible m5, and an ordinary pod alone to the cheapest t3
// (pricing: t3 sizes are cheaper).
func TestPodENILaunchesOnACompatibleInstanceType(t *testing.T) {
	np := nodePool("default", in("karpenter.k8s.aws/instance-family", "t3", "m5"), in("karpenter.k8s.aws/instance-size", "large"), onDemand())
	d := newDriver(t, Config{}, []NodePool{np}, defaultClass)
	d.pod(true)
	d.runUntil(time.Minute)
	assert.Equal(t, []string{"m5.large"}, types(d.launches()))
	assert.True(t, d.launches()[0].Type.TrunkingCompatible)
	assert.True(t, d.launches()[0].RequestedPodENI)

	d = newDriver(t, Config{}, []NodePool{np}, defaultClass)
	d.pod(false)
	d.runUntil(time.Minute)
	assert.Equal(t, []string{"t3.large"}, types(d.launches()))
}

// One batch with a plain and a pod-eni pod makes one NodeClaim: the
// second pod joins the claim the first opened, narrowing it to types that
// hold both (scheduling/scheduler.go add, scheduling/nodeclaim.go CanAdd).
func TestMixedBatchCollapsesOntoOneNode(t *testing.T) {
	np := nodePool("default", in("karpenter.k8s.aws/instance-family", "t3", "m5"), in("karpenter.k8s.aws/instance-size", "large"), onDemand())
	d := newDriver(t, Config{}, []NodePool{np}, defaultClass)
	d.pod(false)
	d.pod(true)
	d.runUntil(time.Minute)
	assert.Equal(t, []string{"m5.large"}, types(d.launches()))
}

// Branch capacity binds before pods: m5.large holds 9 branch ENIs and 29
// pods, so 10 pod-eni pods need two; allowing m5.xlarge (18) too, the
// tenth pod still joins the open claim, which narrows to m5.xlarge
// (scheduling/nodeclaim.go filterInstanceTypesByRequirements).
func TestBranchCapacityBindsBeforePodSlots(t *testing.T) {
	for _, tc := range []struct {
		allowed []string
		want    []string
	}{
		{[]string{"m5.large"}, []string{"m5.large", "m5.large"}},
		{[]string{"m5.large", "m5.xlarge"}, []string{"m5.xlarge"}},
	} {
		d := newDriver(t, Config{}, []NodePool{nodePool("default", in("node.kubernetes.io/instance-type", tc.allowed...), onDemand())}, defaultClass)
		for range 10 {
			d.pod(true)
		}
		d.runUntil(time.Minute)
		assert.Equal(t, tc.want, types(d.launches()), "%v", tc.allowed)
	}
}

// RESERVED_ENIS leaves interfaces out of the max pods Karpenter writes
// (karpenter-provider-aws pkg/providers/instancetype/types.go
// ENILimitedPods): m5.large has 29 at 0 and 20 at 1, so 25 plain pods
// beside 2 DaemonSet pods fit one node at 0 and need two at 1.
func TestReservedENIsLowerTheMaxPodsKarpenterWrites(t *testing.T) {
	for _, tc := range []struct {
		reserved, maxPods, nodes int
	}{{0, 29, 1}, {1, 20, 2}} {
		d := newDriver(t, Config{ReservedENIs: tc.reserved, DaemonSetPods: 2}, []NodePool{nodePool("default", in("node.kubernetes.io/instance-type", "m5.large"), onDemand())}, defaultClass)
		for range 25 {
			d.pod(false)
		}
		d.runUntil(time.Minute)
		cs := d.launches()
		require.Len(t, cs, tc.nodes, "RESERVED_ENIS=%d", tc.reserved)
		assert.Equal(t, tc.maxPods, cs[0].MaxPods)
	}
}

// While a NodeClaim is not initialized, Karpenter's cluster state counts
// the capacity it expects for what the node does not advertise yet
// (pkg/controllers/state/statenode.go Allocatable), so the pods waiting
// for a node's trunk do not get a second node at the next trigger; the
// claim initializes only once pod-eni is advertised
// (pkg/controllers/nodeclaim/lifecycle/initialization.go).
func TestUninitializedNodeCountsItsExpectedPodENI(t *testing.T) {
	d := newDriver(t, Config{}, []NodePool{nodePool("default", in("node.kubernetes.io/instance-type", "m5.large"), onDemand())}, defaultClass)
	for range 5 {
		d.pod(true)
	}
	d.runUntil(5 * time.Second)
	require.Len(t, d.launches(), 1)
	// The node joins with no pod-eni yet; the pods stay Pending and are
	// triggered again every 10s.
	d.c.nodes[0] = NodeState{Joined: true, Pods: 27}
	d.step(Input{Kind: NodeJoined, Claim: 0})
	assert.False(t, d.p.Claim(0).IsInitialized, "sized for pod-eni pods: not initialized before pod-eni")
	d.runUntil(2 * time.Minute)
	assert.Len(t, d.launches(), 1, "no second node while the first waits for its trunk")
	assert.Greater(t, d.p.Stats().Batches, 5, "the pods kept triggering batches")

	d.c.nodes[0] = NodeState{Joined: true, Pods: 27, PodENI: 9}
	d.step(Input{Kind: PodENIAdvertised, Claim: 0})
	assert.True(t, d.p.Claim(0).IsInitialized)
	assert.Equal(t, d.now, d.p.Claim(0).Initialized)
}

// A claim only for pods that do not ask for pod-eni initializes when the
// node joins, even on a trunk-compatible type.
func TestPlainClaimInitializesAtJoin(t *testing.T) {
	d := newDriver(t, Config{}, []NodePool{nodePool("default", in("node.kubernetes.io/instance-type", "m5.large"), onDemand())}, defaultClass)
	d.pod(false)
	d.runUntil(5 * time.Second)
	require.Len(t, d.launches(), 1)
	d.c.nodes[0] = NodeState{Joined: true, Pods: 27}
	d.step(Input{Kind: NodeJoined, Claim: 0})
	assert.True(t, d.p.Claim(0).IsInitialized)
}

// minValues with the Strict policy (pkg/cloudprovider/types.go
// SatisfiesMinValues, MIN_VALUES_POLICY): a pod-eni pod leaves only m5 of
// families t3 and m5, fewer than minValues 2, so nothing launches.
func TestMinValuesStrictRefusesWhatNarrowsBelowIt(t *testing.T) {
	fam := in("karpenter.k8s.aws/instance-family", "t3", "m5")
	fam.MinValues = 2
	d := newDriver(t, Config{}, []NodePool{nodePool("default", fam, onDemand())}, defaultClass)
	d.pod(true)
	d.runUntil(time.Minute)
	assert.Empty(t, d.launches())
	d = newDriver(t, Config{}, []NodePool{nodePool("default", fam, onDemand())}, defaultClass)
	d.pod(false)
	d.runUntil(time.Minute)
	assert.Len(t, d.launches(), 1, "a plain pod keeps both families")
}

// spec.limits.nodes bounds the NodePool's nodes (provisioner.go Create,
// Limits.ExceededBy); a full NodePool gives the next NodePool by weight
// its turn, and weights order NodePools highest first
// (pkg/utils/nodepool/nodepool.go OrderByWeight).
func TestLimitsAndWeights(t *testing.T) {
	small := nodePool("small", in("node.kubernetes.io/instance-type", "m5.large"), onDemand())
	small.Weight, small.Limits.Nodes = 50, LimitOf(1)
	big := nodePool("big", in("node.kubernetes.io/instance-type", "m5.xlarge"), onDemand())
	big.Weight = 10
	d := newDriver(t, Config{}, []NodePool{big, small}, defaultClass)
	for range 12 {
		d.pod(true)
	}
	d.runUntil(time.Minute)
	assert.Equal(t, []string{"m5.large", "m5.xlarge"}, types(d.launches()), "9 on the weightier pool's one node, 3 on the other")
}

// A NodePool whose template is tainted takes none of the model's pods,
// which tolerate nothing.
func TestTaintedNodePoolTakesNoPod(t *testing.T) {
	np := nodePool("gpu", in("node.kubernetes.io/instance-type", "m5.large"))
	np.Tainted = true
	d := newDriver(t, Config{}, []NodePool{np}, defaultClass)
	d.pod(false)
	d.runUntil(time.Minute)
	assert.Empty(t, d.launches())
	assert.Contains(t, d.effects[0].Message, "taint")
}

// expireAfter deletes a node that long after its launch
// (pkg/controllers/nodeclaim/expiration/controller.go), with a wake-up
// that does not keep a run going on its own.
func TestExpiredNodeIsDeleted(t *testing.T) {
	np := nodePool("default", in("node.kubernetes.io/instance-type", "m5.large"), onDemand())
	np.ExpireAfter = time.Hour
	d := newDriver(t, Config{}, []NodePool{np}, defaultClass)
	d.pod(false)
	d.runUntil(5 * time.Second)
	require.Len(t, d.launches(), 1)
	d.c.pods[0].provisionable = false
	deletes := func() (n int) {
		for _, e := range d.effects {
			if e.Kind == Delete {
				n++
			}
		}
		return n
	}
	d.runUntil(d.p.Claim(0).Launched + time.Hour - time.Millisecond)
	assert.Zero(t, deletes())
	d.runUntil(d.p.Claim(0).Launched + time.Hour)
	assert.Equal(t, 1, deletes())
}

// Spot is preferred to on-demand when a NodePool allows both, and a
// NodePool that says nothing of capacity type allows both
// (pkg/providers/instance/instance.go getCapacityType).
func TestSpotIsPreferredWhenAllowed(t *testing.T) {
	d := newDriver(t, Config{}, []NodePool{nodePool("default", in("node.kubernetes.io/instance-type", "m5.large"))}, defaultClass)
	d.pod(false)
	d.runUntil(time.Minute)
	require.Len(t, d.launches(), 1)
	assert.Equal(t, Spot, d.launches()[0].CapacityType)
}

// A scenario's prices choose among types: the cheapest that holds the
// pods is launched, as CreateFleet's lowest-price strategy picks.
func TestPricesChooseTheType(t *testing.T) {
	np := nodePool("default", in("node.kubernetes.io/instance-type", "m5.large", "c5.large"), onDemand())
	d := newDriver(t, Config{}, []NodePool{np}, defaultClass)
	d.pod(true)
	d.runUntil(time.Minute)
	assert.Equal(t, []string{"c5.large"}, types(d.launches()), "0.085 against 0.096")
	d = newDriver(t, Config{Prices: map[string]float64{"c5.large": 0.2}}, []NodePool{np}, defaultClass)
	d.pod(true)
	d.runUntil(time.Minute)
	assert.Equal(t, []string{"m5.large"}, types(d.launches()))
}

// Step refuses an input it cannot take and changes nothing.
func TestStepRefusesBadInput(t *testing.T) {
	d := newDriver(t, Config{}, []NodePool{nodePool("default", in("node.kubernetes.io/instance-type", "m5.large"))}, defaultClass)
	d.now = time.Minute
	d.step(Input{Kind: Woke, Timer: timerRequeue})
	for _, in := range []Input{
		{Kind: NodeJoined, Claim: 0},
		{Kind: PodENIAdvertised, Claim: -1},
		{Kind: Woke, Timer: 99},
		{Kind: 0},
		{Kind: PodUnschedulable, Pod: -1},
	} {
		_, err := d.p.Step(d.now, in, nil)
		assert.ErrorIs(t, err, ErrBadInput, "%+v", in)
	}
	_, err := d.p.Step(time.Second, Input{Kind: PodUnschedulable}, nil)
	assert.ErrorIs(t, err, ErrBadInput, "time going back")
	assert.Equal(t, Stats{}, d.p.Stats())
}

// New names the object and field that are wrong.
func TestNewRefusesBadNodePools(t *testing.T) {
	for _, tc := range []struct {
		pools   []NodePool
		classes []NodeClass
		field   string
	}{
		{[]NodePool{{Name: "a", NodeClass: "nope"}}, defaultClass, "spec.template.spec.nodeClassRef.name"},
		{[]NodePool{{Name: "a", NodeClass: "default", Weight: 101}}, defaultClass, "spec.weight"},
		{[]NodePool{{Name: "a", NodeClass: "default"}, {Name: "a", NodeClass: "default"}}, defaultClass, "metadata.name"},
		{nil, []NodeClass{{Name: "x", MaxPods: -1}}, "spec.kubelet.maxPods"},
		{[]NodePool{{Name: "a", NodeClass: "default", Requirements: Requirements{{Key: "karpenter.k8s.aws/instance-cpu", Operator: In, Values: []string{"4"}}}}}, defaultClass, "spec.template.spec.requirements[0]"},
	} {
		_, err := New(Config{}, tc.pools, tc.classes, &cluster{})
		var ne *NodePoolError
		require.ErrorAs(t, err, &ne, tc.field)
		assert.Equal(t, tc.field, ne.Field)
		assert.ErrorIs(t, err, ErrBadNodePool)
	}
	_, err := New(Config{BatchIdle: -1}, nil, nil, &cluster{})
	assert.ErrorIs(t, err, ErrBadConfig)
}

// Emptiness, which every consolidation policy runs (karpenter
// pkg/controllers/disruption/emptiness.go): an initialized node with no
// pods for consolidateAfter is deleted once the command is validated 15s
// later (consolidation.go commandValidationDelay), as many at once as
// the budget allows, a percentage rounding up over the NodePool's nodes
// (pkg/apis/v1/nodepool.go GetAllowedDisruptionsByReason).
func TestEmptyNodesAreConsolidatedWithinTheBudget(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cons    Consolidation
		deleted []int // deletions by pass, after the pods are gone
	}{
		{"default budget 10% of 3 rounds up to 1 a pass", Consolidation{Policy: WhenEmpty, After: 30 * time.Second}, []int{1, 1, 1}},
		{"budget of 2 nodes", Consolidation{Policy: WhenEmptyOrUnderutilized, Budgets: []Budget{{Nodes: 2}}}, []int{2, 1}},
		{"a zero budget blocks", Consolidation{Policy: WhenEmpty, Budgets: []Budget{{Nodes: 50, Percent: true}, {Nodes: 0}}}, nil},
		{"no consolidation", Consolidation{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			np := nodePool("default", in("node.kubernetes.io/instance-type", "m5.large"), onDemand())
			np.Consolidation = tc.cons
			d := newDriver(t, Config{}, []NodePool{np}, defaultClass)
			for range 3 * 27 { // three full m5.large
				d.pod(false)
			}
			d.runUntil(5 * time.Second)
			require.Len(t, d.launches(), 3)
			d.runUntil(40 * time.Second)
			for i := range 3 {
				d.c.nodes[ClaimID(i)] = NodeState{Joined: true, Pods: 27, UsedPods: 27, LastPodEvent: 40 * time.Second}
				d.step(Input{Kind: NodeJoined, Claim: ClaimID(i)})
			}
			for i := range d.c.pods {
				d.c.pods[i].provisionable = false
			}
			d.runUntil(5 * time.Minute)
			assert.Zero(t, d.p.Stats().Consolidated, "nodes with pods stay")
			// The pods go at 5m.
			for i := range 3 {
				d.c.nodes[ClaimID(i)] = NodeState{Joined: true, Pods: 27, LastPodEvent: 5 * time.Minute}
			}
			var perPass []int
			for at := 5*time.Minute + DisruptionPeriod; at < 10*time.Minute; at += DisruptionPeriod {
				before := len(d.effects)
				d.runUntil(at)
				n := 0
				for _, e := range d.effects[before:] {
					if e.Kind == Delete {
						assert.Equal(t, "Empty", e.Reason)
						d.step(Input{Kind: NodeDeleted, Claim: e.Claim})
						n++
					}
				}
				if n > 0 {
					perPass = append(perPass, n)
				}
			}
			assert.Equal(t, tc.deleted, perPass)
		})
	}
}

// Single-node consolidation (pkg/controllers/disruption/
// singlenodeconsolidation.go): under WhenEmptyOrUnderutilized the node
// with the fewest pods whose pods all fit on the other nodes is deleted,
// once validated 15s later and within the Underutilized budgets; pods
// asking for pod-eni need a free branch slot elsewhere; WhenEmpty never
// does this.
func TestUnderutilizedNodeIsConsolidatedWhenItsPodsFitElsewhere(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cons   Consolidation
		nodes  []NodeState
		delete []ClaimID
	}{
		{"the emptier node goes", Consolidation{Policy: WhenEmptyOrUnderutilized},
			[]NodeState{{Pods: 27, PodENI: 9, UsedPods: 5, UsedPodENI: 5}, {Pods: 27, PodENI: 9, UsedPods: 2, UsedPodENI: 2}}, []ClaimID{1}},
		{"branch pods that fit no free pod-eni stay", Consolidation{Policy: WhenEmptyOrUnderutilized},
			[]NodeState{{Pods: 27, PodENI: 9, UsedPods: 8, UsedPodENI: 8}, {Pods: 27, PodENI: 9, UsedPods: 8, UsedPodENI: 8}}, nil},
		{"plain pods fit where pod-eni is full", Consolidation{Policy: Balanced},
			[]NodeState{{Pods: 27, PodENI: 9, UsedPods: 9, UsedPodENI: 9, FreeForPlainPods: 18}, {Pods: 27, PodENI: 9, UsedPods: 3}}, []ClaimID{1}},
		{"plain pods stay where the others have no secondary IP left", Consolidation{Policy: Balanced},
			[]NodeState{{Pods: 27, PodENI: 9, UsedPods: 20, FreeForPlainPods: 2}, {Pods: 27, PodENI: 9, UsedPods: 3, FreeForPlainPods: 5}}, nil},
		{"WhenEmpty leaves them", Consolidation{Policy: WhenEmpty},
			[]NodeState{{Pods: 27, PodENI: 9, UsedPods: 5, UsedPodENI: 5}, {Pods: 27, PodENI: 9, UsedPods: 2, UsedPodENI: 2}}, nil},
		{"a budget only for Empty blocks it", Consolidation{Policy: WhenEmptyOrUnderutilized, Budgets: []Budget{{Nodes: 0, Reasons: ReasonUnderutilized}}},
			[]NodeState{{Pods: 27, PodENI: 9, UsedPods: 5, UsedPodENI: 5}, {Pods: 27, PodENI: 9, UsedPods: 2, UsedPodENI: 2}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			np := nodePool("default", in("node.kubernetes.io/instance-type", "m5.large"), onDemand())
			np.Consolidation = tc.cons
			d := newDriver(t, Config{}, []NodePool{np}, defaultClass)
			for range 2 * 27 {
				d.pod(false)
			}
			d.runUntil(5 * time.Second)
			require.Len(t, d.launches(), 2)
			for i := range d.c.pods {
				d.c.pods[i].provisionable = false
			}
			d.runUntil(40 * time.Second)
			for i, st := range tc.nodes {
				st.Joined = true
				d.c.nodes[ClaimID(i)] = st
				d.step(Input{Kind: NodeJoined, Claim: ClaimID(i)})
				d.step(Input{Kind: PodENIAdvertised, Claim: ClaimID(i)})
			}
			var deleted []ClaimID
			for at := 40*time.Second + DisruptionPeriod; at <= 3*time.Minute; at += DisruptionPeriod {
				before := len(d.effects)
				d.runUntil(at)
				for _, e := range d.effects[before:] {
					if e.Kind == Delete {
						assert.Equal(t, "Underutilized", e.Reason)
						deleted = append(deleted, e.Claim)
						d.step(Input{Kind: NodeDeleted, Claim: e.Claim})
					}
				}
			}
			assert.Equal(t, tc.delete, deleted)
		})
	}
}
