package sim

import (
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/controller"
	"github.com/trunksim/trunksim/fakeec2"
	"github.com/trunksim/trunksim/limits"
	"github.com/trunksim/trunksim/trunk"
)

type metrics struct {
	nodes           int
	created, sgPods int
	ready           []time.Duration // start-up latency of pods that needed a branch
	readyOrdinary   int
	partSum         parts
	trunksDeleted   int
	inUse, cooling  int
	running, ended  int // pods running now; pods completed or deleted
	sgRunning       int // of them, pods with security groups of their own
	sgEnded         int
	peakInUse       int
	peakCooling     int
	sandboxFailures int
	lastReady       time.Duration
	alreadyRunning  int // pods running at their creation (WorkloadSpec.Running)
	fromExisting    int // of them, pods on a branch EC2 held from the start
}

// parts is the start-up latency of security-group pods summed by part.
// Scheduling is the wait to be bound less the parts of it that were a
// wait for the pod's node to join (node) and for its trunk (trunk).
type parts struct {
	scheduling, kubelet time.Duration
	controller.Parts
	node, trunk time.Duration
}

// mean returns the parts divided by n, in seconds to the millisecond.
func (ps parts) mean(n float64) Breakdown {
	mean := func(d time.Duration) float64 { return round3(d.Seconds() / n) }
	return Breakdown{mean(ps.scheduling - ps.node - ps.trunk), mean(ps.Capacity), mean(ps.Queue),
		mean(ps.ClientWait), mean(ps.Calls), mean(ps.Retries), mean(ps.APIServer), mean(ps.kubelet),
		mean(ps.node), mean(ps.trunk)}
}

func (m *metrics) noteReady(p *pod, cp controller.Parts, node, trunk time.Duration) {
	if p.existing {
		return // started before the run
	}
	m.lastReady = max(m.lastReady, p.ready)
	if !p.needsBranch {
		m.readyOrdinary++
		return
	}
	m.ready = append(m.ready, p.ready-p.created)
	ps := &m.partSum
	ps.scheduling += p.scheduling
	ps.Parts.Add(cp)
	ps.kubelet += p.kubelet
	ps.node += node
	ps.trunk += trunk
}

// noteTrunk brings the cluster-wide counts of branches in use and cooling
// up to date after node n's trunk changed, and records their peaks.
func (s *Sim) noteTrunk(n *node, t *trunk.Trunk) {
	inUse, cooling := 0, 0
	if t != nil {
		// Branch ENIs in use are the ones bound to pods: a reservation
		// whose CreateNetworkInterface fails never had an ENI.
		inUse, cooling = t.Bound(), t.Cooling()
	}
	m := &s.m
	m.inUse += inUse - n.inUse
	m.cooling += cooling - n.cooling
	n.inUse, n.cooling = inUse, cooling
	m.peakInUse = max(m.peakInUse, m.inUse)
	m.peakCooling = max(m.peakCooling, m.cooling)
	s.sample()
}

// Report is a run's outcome. Its JSON form is the stable contract of the
// `trunksim run -o json` command.
type Report struct {
	Seed             uint64  `json:"seed"`
	SimulatedSeconds float64 `json:"simulatedSeconds"`
	// LastReadySeconds is when the last pod's network became ready.
	LastReadySeconds float64   `json:"lastReadySeconds"`
	Pods             PodCounts `json:"pods"`
	// StartupLatencySeconds is over pods that needed a branch ENI and whose
	// network became ready: creation to CNI ADD success.
	StartupLatencySeconds Percentiles `json:"startupLatencySeconds"`
	// StartupBreakdownSeconds is the mean of each part of that latency.
	StartupBreakdownSeconds Breakdown    `json:"startupBreakdownSeconds"`
	EC2                     EC2Report    `json:"ec2"`
	BranchENIs              BranchReport `json:"branchENIs"`
	Trunks                  TrunkReport  `json:"trunks"`
	// NodeDeletion is what node deletions left in EC2; absent when they
	// left nothing.
	NodeDeletion *NodeDeletionReport `json:"nodeDeletion,omitempty"`
	// Provisioning is what Karpenter did; absent without NodePools.
	Provisioning *ProvisioningReport `json:"provisioning,omitempty"`
	// ClusterAutoscaler is what cluster-autoscaler did; absent without
	// autoscaled node groups.
	ClusterAutoscaler *AutoscalerReport `json:"clusterAutoscaler,omitempty"`
	Events            map[string]int    `json:"events"`
	PendingReasons    map[string]int    `json:"pendingReasons,omitempty"`
	Warnings          []string          `json:"warnings"`
	Assumptions       []string          `json:"assumptions"`
	TraceSHA256       string            `json:"traceSHA256"`
}

// PodCounts counts pods: Created over the run, the others at its end.
type PodCounts struct {
	Created           int `json:"created"`
	SecurityGroupPods int `json:"securityGroupPods"`
	Running           int `json:"running"`
	Pending           int `json:"pending"`
	// Failed is kept for the report's contract and is always zero: no
	// pod reaches phase Failed in the model, and one whose branch
	// allocation was dropped until the resync is Pending.
	Failed    int `json:"failed"`
	Succeeded int `json:"succeeded"`
	// AlreadyRunning counts the pods that were running when the run
	// began (WorkloadSpec.Running), counted in Created too. Their start
	// came before the run, so start-up latency leaves them out.
	AlreadyRunning int `json:"alreadyRunning,omitempty"`
	// FromExistingBranches counts those of them that run on a branch ENI
	// made before the run, which the controller rebuilt from their
	// pod-eni annotations rather than created.
	FromExistingBranches int `json:"fromExistingBranches,omitempty"`
	// StaleGroups counts the running pods whose groups are not those the
	// policies give them now: a policy or service account changed after
	// they started, and upstream never updates a running pod's branch
	// (the webhook mutates pods at creation only; resource controller
	// #11, #373). The report's warnings name them by workload.
	StaleGroups int `json:"staleGroups,omitempty"`
}

// Percentiles of a distribution in seconds.
type Percentiles struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Breakdown is the mean start-up latency of security-group pods by part.
type Breakdown struct {
	Scheduling         float64 `json:"scheduling"`
	WaitingForCapacity float64 `json:"waitingForCapacity"`
	ControllerQueue    float64 `json:"controllerQueue"`
	EC2ClientWait      float64 `json:"ec2ClientWait"`
	EC2Calls           float64 `json:"ec2Calls"`
	ThrottlingRetries  float64 `json:"throttlingRetries"`
	APIServerWait      float64 `json:"apiServerWait"`
	KubeletRetry       float64 `json:"kubeletRetry"`
	// WaitingForNode is the part of the wait to be scheduled before the
	// node the pod went to had joined, as when Karpenter launched it for
	// the pod; WaitingForTrunk the part after, until that node first
	// advertised pod-eni. Scheduling is the rest of that wait.
	WaitingForNode  float64 `json:"waitingForNode,omitempty"`
	WaitingForTrunk float64 `json:"waitingForTrunk,omitempty"`
}

// EC2Report counts EC2 calls.
type EC2Report struct {
	Calls     map[string]int `json:"calls"`
	Throttled int            `json:"throttled"`
	Errors    int            `json:"errors"`
}

// BranchReport describes branch ENIs.
type BranchReport struct {
	Created     int `json:"created"`
	Deleted     int `json:"deleted"`
	PeakInUse   int `json:"peakInUse"`
	PeakCooling int `json:"peakCooling"`
	// Leaked are branch ENIs in EC2 that no trunk tracks at the end.
	Leaked int `json:"leaked"`
	// CapacityRequeues counts Create jobs requeued at the capacity gate.
	CapacityRequeues int `json:"capacityRequeues"`
}

// TrunkReport describes trunk ENIs.
type TrunkReport struct {
	Created             int         `json:"created"`
	Deleted             int         `json:"deleted"`
	Unsupported         int         `json:"unsupportedNodes"`
	ReadyLatencySeconds Percentiles `json:"readyLatencySeconds"`
}

// Report summarises the run so far.
func (s *Sim) Report() Report {
	r := Report{Seed: s.cfg.Seed, SimulatedSeconds: s.Now().Seconds(), LastReadySeconds: s.m.lastReady.Seconds()}
	r.Pods.Created, r.Pods.SecurityGroupPods = s.m.created, s.m.sgPods
	r.Pods.AlreadyRunning, r.Pods.FromExistingBranches = s.m.alreadyRunning, s.m.fromExisting
	r.PendingReasons = map[string]int{}
	for pi, p := range s.pods {
		switch p.phase {
		case Running:
			r.Pods.Running++
		case Succeeded:
			r.Pods.Succeeded++
		case Pending:
			// A pod whose attempts were dropped is still Pending,
			// ContainerCreating, and the resync retries it
			// (pkg/worker/worker.go): it has not failed.
			r.Pods.Pending++
			r.PendingReasons[s.reasonOf(int32(pi))]++
		}
	}
	r.StartupLatencySeconds = percentiles(s.m.ready)
	if n := float64(len(s.m.ready)); n > 0 {
		r.StartupBreakdownSeconds = s.m.partSum.mean(n)
	}
	r.EC2 = EC2Report{Calls: s.ec2.Calls(), Throttled: s.ec2.Throttled(), Errors: s.ec2.Errors()}
	cs := s.ctl.Stats()
	leaked := s.leakedCount()
	r.BranchENIs = BranchReport{Created: cs.BranchesCreated, Deleted: cs.BranchesDeleted,
		PeakInUse: s.m.peakInUse, PeakCooling: s.m.peakCooling, Leaked: leaked,
		CapacityRequeues: cs.CapacityRequeues}
	r.Trunks = TrunkReport{Created: cs.TrunksCreated, Deleted: s.m.trunksDeleted, Unsupported: cs.Unsupported,
		ReadyLatencySeconds: percentiles(cs.TrunkReady)}
	r.NodeDeletion = s.nodeDeletionReport()
	r.Provisioning = s.provisioningReport()
	r.ClusterAutoscaler = s.autoscalerReport()
	r.Events = s.tr.reasons()
	r.Warnings = s.warnings(leaked, &r.Pods)
	r.Assumptions = s.assumptions()
	r.TraceSHA256 = hex.EncodeToString(s.tr.sum())
	return r
}

func (s *Sim) warnings(leaked int, pods *PodCounts) []string {
	w := append(slices.Clone(s.warned), s.provWarnings()...)
	reasons := map[string][]string{}
	for _, n := range s.nodes {
		if n.ineligible != nil && !n.gone && !s.cfg.CNI.DisablePodENI {
			reasons[whyNoTrunk(n.ineligible)] = append(reasons[whyNoTrunk(n.ineligible)], n.name)
		}
	}
	keys := make([]string, 0, len(reasons))
	for k := range reasons {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		w = append(w, fmt.Sprintf("%d node(s) %s: %s", len(reasons[k]), names(reasons[k]), k))
	}
	var fromCNI []string
	for _, n := range s.nodes {
		if n.cniMaxPods && !n.gone {
			fromCNI = append(fromCNI, n.name)
		}
	}
	if len(fromCNI) > 0 {
		w = append(w, fmt.Sprintf("%d node(s) %s: max pods from the VPC CNI's %s, as %s lacks their type", len(fromCNI), names(fromCNI), limits.CNIMaxPodsSource(), s.tableName()))
	}
	if d := s.coolDownAsked; d > 0 {
		w = append(w, fmt.Sprintf("controller.cooldown %v is below the controller's floor: it applies %v, as upstream clamps branch-eni-cooldown (pkg/provider/branch/cooldown/cooldown.go)", d, s.cfg.Controller.CoolDown))
	}
	if s.podENIEnabled {
		w = append(w, fmt.Sprintf("ENABLE_POD_ENI turned on at %v: aws-node asked for a trunk on the nodes with an interface slot free; nodes whose ordinary pods held every interface waited for pods to leave (CNI pkg/ipamd/ipamd.go tryEnableSecurityGroupsForPods)", s.podENIEnabledAt))
	}
	for _, c := range s.coolDownChanges {
		clamped := ""
		if c.asked != c.applied {
			clamped = fmt.Sprintf(" (clamped from %v, as upstream reads it)", c.asked)
		}
		w = append(w, fmt.Sprintf("branch-eni-cooldown changed at %v from %v to %v%s: branches cooling then and released after were held that long (configmap_controller.go)",
			c.at, c.from, c.applied, clamped))
	}
	if s.cfg.CNI.DisablePodENI {
		w = append(w, "ENABLE_POD_ENI is false: no node asks for a trunk, so no pod gets a security group of its own")
	}
	if n := leaked; n > 0 {
		w = append(w, fmt.Sprintf("%d branch ENI(s) left in EC2 that no trunk tracks (leaked; upstream's cluster cleaner deletes them 30-60 min later)", n))
	}
	if n := s.ctl.Stats().EventsDropped; n > 0 {
		w = append(w, fmt.Sprintf("%d Kubernetes event(s) dropped: the controller's event broadcaster had %d waiting on the clientset's rate limiter, which the pod reads share, or a restart lost its queue (client-go tools/record/event.go); they are in the trace but never reached the API server", n, controller.MaxQueuedEvents))
	}
	w = append(w, s.missingGroupWarnings()...)
	w = append(w, s.staleGroupWarnings(pods)...)
	if s.m.sandboxFailures > 0 {
		w = append(w, fmt.Sprintf("%d FailedCreatePodSandBox attempts while pods waited for their branch ENI annotation (normal in small numbers)", s.m.sandboxFailures))
	}
	return w
}

func names(ns []string) string {
	if len(ns) <= 3 {
		return fmt.Sprint(ns)
	}
	return fmt.Sprintf("[%s %s %s ...]", ns[0], ns[1], ns[2])
}

// assumptions lists what a result rests on: the lines the settings table
// writes from the run's configuration, and the model's own.
func (s *Sim) assumptions() []string {
	lines := modelAssumptions
	for i := range settingTable {
		if st := &settingTable[i]; st.line != 0 && s.sectionInUse(st.Section) {
			lines[st.line] = st.say(&s.cfg)
		}
	}
	return slices.DeleteFunc(lines[1:], func(l string) bool { return l == "" })
}

// sectionInUse reports whether a section's settings matter to the run:
// Karpenter's and cluster-autoscaler's only when they are in use.
func (s *Sim) sectionInUse(sec Section) bool {
	switch sec {
	case SectionKarpenter:
		return s.prov != nil
	case SectionClusterAutoscaler:
		return s.as != nil
	}
	return true
}

// reportLine is one line of a report's assumptions, which are printed in
// this order. The settings table says which setting writes which line.
type reportLine uint8

const (
	lineEC2Latency reportLine = 1 + iota
	lineAttachDelay
	lineKubeletRetry
	lineAPIServer
	lineScheduling
	lineAccountThrottling
	lineController
	lineKarpenter
	lineAutoscaler
)

// modelAssumptions holds the lines no setting changes, what the model
// takes for granted; it is never written.
var modelAssumptions = [lineAutoscaler + 1]string{
	lineAPIServer:  "API server calls take no time beyond the client's rate limit (assumption)",
	lineScheduling: "kube-scheduler binds a pod the moment a node fits it (assumption)",
}

// leakedENIs returns branch ENIs that exist in EC2 but that no live trunk
// tracks (in use, cooling or deleting) and no create job is making.
func (s *Sim) leakedENIs() []Interface {
	var out []Interface
	s.eachLeakedENI(func(e Interface) { out = append(out, e) })
	return out // in ID order
}

// eachLeakedENI calls f with each branch interface in EC2 that the
// controller does not track, in ID order. The controller's ENIs are
// sorted and merged against EC2's listing, which is in ID order too, so
// no set of them is built.
func (s *Sim) eachLeakedENI(f func(Interface)) {
	known := s.ctl.AppendKnownENIs(make([]branch.ENIID, 0, s.ec2.Len()))
	slices.SortFunc(known, branch.ENIID.Compare)
	k := 0
	for e := range s.ec2.All() {
		for k < len(known) && known[k].Compare(e.ID) < 0 {
			k++
		}
		if e.Kind == BranchInterface && (k == len(known) || known[k] != e.ID) {
			f(e)
		}
	}
}

// leakedCount is len(s.leakedENIs()) without the list.
func (s *Sim) leakedCount() int {
	n := 0
	s.eachLeakedENI(func(Interface) { n++ })
	return n
}

func percentiles(ds []time.Duration) Percentiles {
	if len(ds) == 0 {
		return Percentiles{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(q float64) float64 {
		// nearest rank
		i := int(q*float64(len(s))+0.999999) - 1
		i = max(0, min(i, len(s)-1))
		return round3(s[i].Seconds())
	}
	return Percentiles{P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: round3(s[len(s)-1].Seconds())}
}

func round3(x float64) float64 {
	return float64(int64(x*1000+0.5)) / 1000
}

// staleGroupWarnings counts, in pods, the running pods whose groups
// differ from what the policies give them now, and says so for each
// workload (or lone pod) in creation order: a pod with a branch keeps the
// groups it was made with, and an ordinary pod that a policy matches now
// keeps its node's groups, until it is replaced.
func (s *Sim) staleGroupWarnings(pods *PodCounts) []string {
	type stale struct {
		name        string
		count       int
		example     string
		had, wanted string
	}
	var out []*stale
	byOwner := map[int32]*stale{}
	for pi, p := range s.pods[:s.podsBeforeChange] {
		if p.phase != Running || p.windows || p.hostNet {
			continue
		}
		now := s.resolve(p)
		had := "its node's groups"
		if p.needsBranch {
			_, _, groups, ok := s.ctl.Annotation(controller.PodID(pi))
			if !ok || groups == now.set {
				continue
			}
			if groups.Len() > 0 {
				// Empty is the instance's groups, which a branch gets
				// when no policy matched by the time it was made.
				had = s.groupNames(groups)
			}
		} else if now.ids == nil {
			continue
		}
		wanted := "its node's groups"
		if now.ids != nil {
			wanted = now.names
		}
		pods.StaleGroups++
		st := byOwner[p.workload]
		if st == nil || p.workload < 0 {
			name := "pod " + p.key
			if p.workload >= 0 {
				name = "workload " + s.workloads[p.workload].spec.Namespace + "/" + s.workloads[p.workload].spec.Name
			}
			st = &stale{name: name, example: p.key, had: had, wanted: wanted}
			out = append(out, st)
			if p.workload >= 0 {
				byOwner[p.workload] = st
			}
		}
		st.count++
	}
	lines := make([]string, 0, len(out))
	for _, st := range out {
		lines = append(lines, fmt.Sprintf("%s: %d running pod(s) keep %s (such as %s) where the policies now give %s; a running pod's branch is never updated (resource controller #11, #373): restart them to apply",
			st.name, st.count, st.had, st.example, st.wanted))
	}
	return lines
}

// missingGroupWarnings says, for each security group EC2 refused because
// its ID is malformed or it does not exist, which policies name it and how
// many pods wait on it, in group order.
func (s *Sim) missingGroupWarnings() []string {
	waiting := map[branch.SecurityGroupID]int{}
	malformed := map[branch.SecurityGroupID]string{}
	for pi, p := range s.pods {
		if p.phase != Pending || p.node < 0 || !p.needsBranch {
			continue
		}
		_, err := s.ctl.PodWait(controller.PodID(pi))
		ae := fakeec2.AsAPIError(err)
		if ae == nil {
			continue
		}
		if id, ok := ae.MissingGroup(); ok {
			waiting[id]++
		}
		if text, ok := ae.MalformedGroup(); ok {
			id := branch.MalformedGroupID(text)
			waiting[id]++
			malformed[id] = text
		}
	}
	ids := slices.SortedFunc(maps.Keys(waiting), branch.SecurityGroupID.Compare)
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		var named []string
		for _, q := range s.policies {
			if slices.Contains(q.Groups, id) {
				named = append(named, q.Namespace+"/"+q.Name)
			}
		}
		by := "named by policy " + strings.Join(named, ", ")
		if len(named) == 0 {
			by = "an instance's group, given to pods no policy matches"
		}
		if text, ok := malformed[id]; ok {
			out = append(out, fmt.Sprintf("security group ID %q, %s, is no ID (sg- and 8 or 17 hex digits): CreateNetworkInterface fails with %s and %d pod(s) stay ContainerCreating",
				text, by, fakeec2.CodeGroupIDMalformed, waiting[id]))
			continue
		}
		out = append(out, fmt.Sprintf("security group %v, %s, does not exist: CreateNetworkInterface fails with %s and %d pod(s) stay ContainerCreating",
			id, by, fakeec2.CodeSecurityGroupNotFound, waiting[id]))
	}
	return out
}
