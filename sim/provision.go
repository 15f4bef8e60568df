package sim

import (
	"fmt"
	"slices"
	"time"

	"github.com/trunksim/trunksim/autoscaler"

	"github.com/trunksim/trunksim/karpenter"
)

// UseKarpenter makes Karpenter provision the cluster's nodes with the
// NodePools and EC2NodeClasses given: pods kube-scheduler marks
// Unschedulable are batched, and the nodes it launches join after the
// launch, registration and start-up times of Config.Karpenter, then go
// through the controller's trunk set-up as any node does (package
// karpenter). It may be called once, before the run starts.
func (s *Sim) UseKarpenter(pools []karpenter.NodePool, classes []karpenter.NodeClass) error {
	if s.prov != nil {
		return &ObjectError{"karpenter", "", fmt.Errorf("%w: Karpenter is in use already", ErrDuplicate)}
	}
	cfg := s.cfg.Karpenter
	cfg.DaemonSetPods = s.cfg.HostNetworkPods
	cfg.Types = nil // Karpenter's own table: the newest release's
	p, err := karpenter.New(cfg, pools, classes, provCluster{s})
	if err != nil {
		return &ObjectError{"karpenter", "", fmt.Errorf("%w: %w", ErrBadSpec, err)}
	}
	s.prov = p
	s.evProvWake, s.evProvJoin = s.provWoke, s.provJoin
	return nil
}

// Karpenter returns the provisioner UseKarpenter started, or nil.
func (s *Sim) Karpenter() *karpenter.Provisioner { return s.prov }

// provCluster is the cluster as Karpenter reads it.
type provCluster struct{ s *Sim }

func (c provCluster) provisionable(p *pod) bool {
	return p.phase == Pending && p.node < 0 && p.toldUnfit && !p.windows
}

func (c provCluster) Provisionable(id karpenter.PodID) bool {
	return int(id) < len(c.s.pods) && c.provisionable(c.s.pods[id])
}

// AppendProvisionable merges the pending queues in creation order.
func (c provCluster) AppendProvisionable(dst []karpenter.Pod) []karpenter.Pod {
	s := c.s
	var at [podClasses]int
	for k := range s.pending {
		at[k] = s.pending[k].head
	}
	for {
		k, pi := -1, int32(0)
		for j := range s.pending {
			if q := &s.pending[j]; at[j] < len(q.pods) && (k < 0 || q.pods[at[j]] < pi) {
				k, pi = j, q.pods[at[j]]
			}
		}
		if k < 0 {
			return dst
		}
		at[k]++
		if p := s.pods[pi]; c.provisionable(p) {
			dst = append(dst, karpenter.Pod{ID: karpenter.PodID(pi), PodENI: p.needsBranch})
		}
	}
}

func (c provCluster) Node(id karpenter.ClaimID) karpenter.NodeState {
	s := c.s
	if int(id) >= len(s.claimNode) || s.claimNode[id] < 0 {
		return karpenter.NodeState{}
	}
	n := s.nodes[s.claimNode[id]]
	st := karpenter.NodeState{Joined: true, Pods: n.slots, UsedPods: n.pods, UsedPodENI: n.branchPods,
		LastPodEvent: max(n.podChanged, n.joined), FreeForPlainPods: max(0, min(n.slots-n.pods, s.ipSlots(n)-n.ipPods))}
	if n.advertises {
		st.PodENI = n.typ.BranchInterfaces
	}
	return st
}

// feedProv steps the provisioner and applies its effects. An effect may
// step it again (a node's deletion), so the buffer is not shared with
// such a nested step.
func (s *Sim) feedProv(in karpenter.Input) {
	out, err := s.prov.Step(s.Now(), in, s.provEffects[:0])
	if err != nil {
		s.fail(err)
	}
	s.provEffects = nil
	for i := range out {
		s.applyProv(&out[i])
	}
	s.provEffects = out[:0]
}

func (s *Sim) applyProv(e *karpenter.Effect) {
	switch e.Kind {
	case karpenter.Wake:
		s.after(e.At-s.Now(), s.evProvWake, uint64(e.Timer))
	case karpenter.WakeIdle:
		s.noteIdle(s.after(e.At-s.Now(), s.evProvWake, uint64(e.Timer)))
	case karpenter.Launch:
		c := s.prov.Claim(e.Claim)
		s.tr.rec(s.Now(), "NodeClaimLaunched", "nodeclaim/"+c.Name, c.Type.Name+" "+c.CapacityType.String())
		if int(e.Claim) >= len(s.claimNode) {
			s.claimNode = append(s.claimNode, make([]int32, int(e.Claim)+1-len(s.claimNode))...)
		}
		s.claimNode[e.Claim] = -1
		s.after(e.At-s.Now(), s.evProvJoin, uint64(e.Claim))
	case karpenter.Delete:
		c := s.prov.Claim(e.Claim)
		s.tr.rec(s.Now(), "NodeClaimDisrupted", "nodeclaim/"+c.Name, e.Reason)
		switch ni := s.claimNode[e.Claim]; {
		case ni < 0: // not joined yet: it never will
			s.feedProv(karpenter.Input{Kind: karpenter.NodeDeleted, Claim: e.Claim})
		case !s.nodes[ni].gone:
			if err := s.DeleteNode(c.Name); err != nil {
				s.fail(err)
			}
		}
	case karpenter.PodEvent:
		t := s.podEvent("Warning", e.Reason, s.pods[e.Pod])
		t.text(e.Message)
		t.end(true)
	}
}

func (s *Sim) provWoke(arg uint64) {
	s.feedProv(karpenter.Input{Kind: karpenter.Woke, Timer: karpenter.Timer(arg)})
}

// provJoin is the event of a launched node registering with aws-node up.
func (s *Sim) provJoin(arg uint64) {
	id := karpenter.ClaimID(arg)
	c := s.prov.Claim(id)
	if c.Deleted {
		return
	}
	err := s.addNode(NodeSpec{Name: c.Name, InstanceType: c.Type.Name, Labels: c.Labels, MaxPods: c.MaxPods,
		SecurityGroups: c.SecurityGroups}, int32(id)+1)
	if err != nil {
		s.fail(fmt.Errorf("karpenter: node %s: %w", c.Name, err))
		return
	}
	s.claimNode[id] = s.nodeIndex[c.Name]
	s.feedProv(karpenter.Input{Kind: karpenter.NodeJoined, Claim: id})
	if n := s.nodes[s.claimNode[id]]; n.advertises {
		s.feedProv(karpenter.Input{Kind: karpenter.PodENIAdvertised, Claim: id})
	}
}

// provNodeChanged tells Karpenter a node it launched advertises pod-eni.
func (s *Sim) provNodeChanged(n *node) {
	if n.claim > 0 && n.advertises && !n.gone {
		s.feedProv(karpenter.Input{Kind: karpenter.PodENIAdvertised, Claim: karpenter.ClaimID(n.claim - 1)})
	}
}

// provNodeGone tells Karpenter a node it launched was deleted.
func (s *Sim) provNodeGone(n *node) {
	if n.claim > 0 {
		s.feedProv(karpenter.Input{Kind: karpenter.NodeDeleted, Claim: karpenter.ClaimID(n.claim - 1)})
	}
}

// provUnfit tells Karpenter kube-scheduler found no node for the pod.
func (s *Sim) provUnfit(pi int32) {
	if (s.prov != nil || s.as != nil) && !s.firstUnfitSet && !s.pods[pi].windows {
		s.firstUnfit, s.firstUnfitSet = s.Now(), true
	}
	if s.as != nil && !s.pods[pi].windows {
		s.feedAS(autoscaler.Input{Kind: autoscaler.PodPending})
	}
	if s.prov != nil && !s.pods[pi].windows {
		s.feedProv(karpenter.Input{Kind: karpenter.PodUnschedulable, Pod: karpenter.PodID(pi)})
	}
}

// waits splits a pod's wait to be scheduled: how long its node had not
// joined yet, and, for a pod that asks for pod-eni, how long after that
// the node had no trunk advertised.
func (s *Sim) waits(p *pod) (node, trunk time.Duration) {
	if p.node < 0 {
		return 0, 0
	}
	n := s.nodes[p.node]
	from := p.created
	if n.joined > from {
		node = min(n.joined, p.bound) - from
		from = n.joined
	}
	if p.needsBranch && n.advertisedAt > from {
		trunk = min(n.advertisedAt, p.bound) - from
	}
	return node, trunk
}

// ProvisioningReport is what Karpenter did in a run.
type ProvisioningReport struct {
	// Batches counts the batching windows that closed, each with a solve.
	Batches int `json:"batches"`
	// NodesLaunched and NodesDeleted count Karpenter's nodes (deleted by
	// expiry or by a deleteNode event).
	NodesLaunched int `json:"nodesLaunched"`
	NodesDeleted  int `json:"nodesDeleted"`
	// NotInitialized counts nodes that joined but never became
	// initialized: sized for pods asking for pod-eni, they never
	// advertised it.
	NotInitialized int `json:"notInitialized"`
	// UnprovisionableEvents counts Karpenter's FailedScheduling events on
	// pods no NodePool could launch a node for.
	UnprovisionableEvents int `json:"unprovisionableEvents"`
	// FirstPendingToNodeReadySeconds is from the first pod kube-scheduler
	// could not place to the first of Karpenter's nodes initialized;
	// zero when none was.
	FirstPendingToNodeReadySeconds float64 `json:"firstPendingToNodeReadySeconds"`
	// LaunchToInitializedSeconds is over the nodes that initialized.
	LaunchToInitializedSeconds Percentiles `json:"launchToInitializedSeconds"`
	// HourlyCostUSD is what the nodes left at the end cost an hour.
	HourlyCostUSD float64 `json:"hourlyCostUSD"`
	// NodePools counts launches per NodePool and instance type.
	NodePools []NodePoolReport `json:"nodePools"`
}

// NodePoolReport is one NodePool's launches.
type NodePoolReport struct {
	Name          string         `json:"name"`
	Launched      int            `json:"launched"`
	InstanceTypes map[string]int `json:"instanceTypes"`
}

func (s *Sim) provisioningReport() *ProvisioningReport {
	if s.prov == nil {
		return nil
	}
	st := s.prov.Stats()
	r := &ProvisioningReport{Batches: st.Batches, UnprovisionableEvents: st.Unprovisionable, NodePools: []NodePoolReport{}}
	var initialized []time.Duration
	firstReady, cost := time.Duration(-1), 0.0
	byPool := map[string]int{}
	for i := range s.prov.Claims() {
		c := s.prov.Claim(karpenter.ClaimID(i))
		r.NodesLaunched++
		switch {
		case c.Deleted:
			r.NodesDeleted++
		case c.IsJoined && !c.IsInitialized:
			r.NotInitialized++
		}
		if !c.Deleted {
			cost += c.Price
		}
		if c.IsInitialized {
			initialized = append(initialized, c.Initialized-c.Launched)
			if firstReady < 0 || c.Initialized < firstReady {
				firstReady = c.Initialized
			}
		}
		j, ok := byPool[c.NodePool]
		if !ok {
			j = len(r.NodePools)
			byPool[c.NodePool] = j
			r.NodePools = append(r.NodePools, NodePoolReport{Name: c.NodePool, InstanceTypes: map[string]int{}})
		}
		r.NodePools[j].Launched++
		r.NodePools[j].InstanceTypes[c.Type.Name]++
	}
	slices.Sort(initialized)
	r.LaunchToInitializedSeconds = percentiles(initialized)
	if firstReady >= 0 && s.firstUnfitSet {
		r.FirstPendingToNodeReadySeconds = round3((firstReady - s.firstUnfit).Seconds())
	}
	r.HourlyCostUSD = round3(cost)
	return r
}

// provWarnings says what went wrong with Karpenter's nodes.
func (s *Sim) provWarnings() []string {
	w := []string{}
	if s.prov == nil {
		return w
	}
	var stuck []string
	for i := range s.prov.Claims() {
		if c := s.prov.Claim(karpenter.ClaimID(i)); c.IsJoined && !c.IsInitialized && !c.Deleted {
			stuck = append(stuck, c.Name)
		}
	}
	if len(stuck) > 0 {
		w = append(w, fmt.Sprintf("%d node(s) %s that Karpenter launched for pods asking for vpc.amazonaws.com/pod-eni never advertised it, so they never initialized: Karpenter counts their expected capacity and launches nothing more for those pods, and the nodes stay until expireAfter (karpenter pkg/controllers/nodeclaim/lifecycle/initialization.go)", len(stuck), names(stuck)))
	}
	return w
}
