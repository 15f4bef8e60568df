package sim

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/trunksim/trunksim/cni"
	"github.com/trunksim/trunksim/controller"
	"github.com/trunksim/trunksim/limits"
	"github.com/trunksim/trunksim/trunk"
)

// CreatePod creates a pod now. The webhook matches it against the
// policies in its namespace; a match adds the vpc.amazonaws.com/pod-eni
// request (pod_webhook.go), so the pod needs a branch ENI.
func (s *Sim) CreatePod(spec PodSpec) error {
	key := spec.Namespace + "/" + spec.Name
	if spec.Namespace == "" || spec.Name == "" {
		return &ObjectError{"pod", key, fmt.Errorf("%w: namespace and name are required", ErrBadSpec)}
	}
	if spec.Lifetime < 0 {
		return &ObjectError{"pod", key, fmt.Errorf("%w: negative lifetime %v", ErrBadSpec, spec.Lifetime)}
	}
	if err := checkPodKind(spec.OS, spec.HostNetwork, spec.Labels); err != nil {
		return &ObjectError{"pod", key, err}
	}
	if _, ok := s.podIndex[key]; ok {
		return &ObjectError{"pod", key, ErrDuplicate}
	}
	s.createPod(key, len(spec.Namespace), s.internLabels(spec.Labels), spec.ServiceAccount, spec.Lifetime, podKind{windows: spec.OS == limits.OSWindows, hostNet: spec.HostNetwork})
	return nil
}

// podKind is what a pod's spec says about where it runs and how it is
// wired, besides its labels.
type podKind struct{ windows, hostNet bool }

// The labels the controller reads to leave a pod or node alone.
const (
	// LabelFargateProfile marks a pod EKS runs on Fargate. The pod webhook
	// gives such a pod no vpc.amazonaws.com/pod-eni but the
	// fargate.amazonaws.com/pod-sg annotation, and Fargate, not a node of
	// the cluster, gives it its groups (webhooks/core/pod_webhook.go
	// FargatePodIdentifierLabelKey, HandleFargatePod).
	LabelFargateProfile = "eks.amazonaws.com/fargate-profile"
	// LabelComputeType is "auto" on an EKS Auto Mode node, which the
	// controller's node reconciler skips: it never gets a trunk from it
	// (controllers/core/node_controller.go Reconcile).
	LabelComputeType = "eks.amazonaws.com/compute-type"
)

// checkPodKind refuses an undeclared OS, a Windows host-network pod and a
// Fargate pod, which are not modelled.
func checkPodKind(os limits.OS, hostNet bool, labels map[string]string) error {
	if _, ok := labels[LabelFargateProfile]; ok {
		return fmt.Errorf("%w: label %s: the pod runs on Fargate, outside the cluster's nodes, which is not modelled; it would take no branch ENI of theirs (pod_webhook.go gives it the fargate.amazonaws.com/pod-sg annotation instead of pod-eni)", ErrBadSpec, LabelFargateProfile)
	}
	switch {
	case os != 0 && !os.IsValid():
		return fmt.Errorf("%w: unknown OS %d", ErrBadSpec, os)
	case os == limits.OSWindows && hostNet:
		return fmt.Errorf("%w: Windows host-network (HostProcess) pods are not modelled", ErrBadSpec)
	}
	return nil
}

// podBlockSize is the most pod records allocated at once.
const podBlockSize = 256

// createPod creates a valid pod whose key, namespace/name with the
// namespace key[:nsLen], is not taken, with interned labels, and returns
// its index. A Windows or host-network pod never asks for a branch: the
// webhook sorts them out before matching policies (pod_webhook.go
// WhichPod).
func (s *Sim) createPod(key string, nsLen int, labels *labelSet, sa string, lifetime time.Duration, kind podKind) int32 {
	if sa == "" {
		sa = "default"
	}
	// Pods are kept for the whole run, so they are carved from blocks
	// rather than allocated one by one; small runs get small blocks.
	if len(s.podBlock) == 0 {
		s.podBlock = make([]pod, min(podBlockSize, max(16, len(s.pods))))
	}
	p := &s.podBlock[0]
	s.podBlock = s.podBlock[1:]
	*p = pod{key: key, nsLen: int32(nsLen), labels: labels, sa: sa, lifetime: lifetime, windows: kind.windows, hostNet: kind.hostNet,
		phase: Pending, node: -1, workload: -1, created: s.Now(), plainKey: plain(key)}
	pi := int32(len(s.pods))
	s.pods = append(s.pods, p)
	s.podIndex[key] = pi
	s.m.created++
	defer s.sample()
	p.needsBranch = !kind.windows && !kind.hostNet && s.resolve(p).ids != nil
	if p.needsBranch {
		s.m.sgPods++
	}
	created := boolWord(p.needsBranch, "pod-eni requested", "ordinary")
	switch {
	case kind.hostNet:
		created = "host network"
		if s.hostNetPods++; s.hostNetPods == 1 {
			for ni := range s.nodes {
				s.refit(int32(ni)) // the host-network tree starts now
			}
		}
	case kind.windows:
		s.windowsPods++
		created = "windows"
	}
	s.recPod("PodCreated", p, created)
	q := &s.pending[p.class()]
	q.pods = append(q.pods, pi)
	s.untold++
	s.place()
	return pi
}

// DeletePod deletes a pod; its branch ENI, if any, enters the cool-down.
func (s *Sim) DeletePod(namespace, name string) error {
	key := namespace + "/" + name
	pi, ok := s.podIndex[key]
	if !ok {
		return &ObjectError{"pod", key, ErrNotFound}
	}
	s.terminate(pi, Deleted, endDeleted)
	return nil
}

// endReason is why a pod ended, as its trace line says.
type endReason uint8

const (
	endDeleted       endReason = 1 + iota // DeletePod
	endNodeDeleted                        // its node was deleted
	endRollingUpdate                      // a rolling update replaced it
	endCompleted                          // it ran its lifetime, as a Job's pod
	endScaledDown                         // its workload's replicas were lowered
)

var endReasonText = [...]string{"", "deleted", "evicted: node deleted", "rolling update", "completed", "scaled down"}

func (r endReason) String() string { return endReasonText[r] }

// terminate ends a pod: deleted or completed pods release their branch
// the same way (pod_controller.go: Deleted job for deleted pods and for
// phase Succeeded or Failed).
func (s *Sim) terminate(pi int32, phase Phase, why endReason) {
	p := s.pods[pi]
	if p.phase == Deleted || p.phase == Succeeded {
		if phase == Deleted {
			delete(s.podIndex, p.key)
			p.phase = Deleted
		}
		return
	}
	s.recPod(phaseEvent(phase), p, why.String())
	if p.live() {
		s.workloadCount(p, -1, p.phase == Running)
	}
	if p.phase == Running {
		s.m.running--
		if p.needsBranch {
			s.m.sgRunning--
		}
	}
	s.m.ended++
	if p.needsBranch {
		s.m.sgEnded++
	}
	defer s.sample()
	p.phase = phase
	if phase == Deleted {
		delete(s.podIndex, p.key)
	}
	// A workload replaces a pod that was deleted, unless the rolling
	// update that deleted it makes the replacement itself or a scale-down
	// deleted it.
	defer s.workloadChanged(pi, phase == Deleted && why != endRollingUpdate && why != endScaledDown)
	if p.node < 0 && !p.toldUnfit {
		s.untold-- // never scheduled, never told
	}
	if p.node < 0 {
		return
	}
	n := s.nodes[p.node]
	n.pods--
	n.podChanged = s.Now()
	if len(n.bound) > 2*n.pods+16 {
		n.bound = slices.DeleteFunc(n.bound, func(pi int32) bool {
			ph := s.pods[pi].phase
			return ph != Pending && ph != Running
		})
	}
	switch p.class() {
	case classBranch:
		n.branchPods--
	case classIP, classWindows:
		n.ipPods--
		s.ordinaryPodLeft(p.node)
	}
	s.refit(p.node)
	if p.needsBranch {
		s.feed(controller.Input{Kind: controller.PodEnded, Pod: controller.PodID(pi)})
	}
	s.place()
}

// place runs a scheduling pass for pending pods at the current time,
// once however many changes asked for one.
func (s *Sim) place() {
	if s.placePass {
		return
	}
	s.placePass = true
	s.after(0, s.evPlace, 0)
}

// placeNow binds pending pods to nodes, in creation order, as
// kube-scheduler would: a pod needing a branch only where pod-eni is
// advertised and free; every pod within kubelet max pods; an ordinary pod
// only where a secondary IP is left once the trunk took its interface.
//
// Whether a pod fits depends only on its class, and binding only takes
// capacity; so once a pod of a class has failed, every later one of that
// class fails too. A pass therefore stops trying a class at its first
// failure and, of the pods behind it, visits only those no pass has seen,
// to record their FailedScheduling event: a pass costs what it binds and
// what is new, not the length of the queue. The classes are visited
// merged in creation order, so binds and events come in the order one
// queue in creation order would give.
func (s *Sim) placeNow(uint64) {
	s.placePass = false
	// Binding can create pods (a workload replacing one that completed at
	// once): they join the queues behind end and get a pass of their own.
	var at, end [podClasses]int
	var failed [podClasses]bool
	for c := range s.pending {
		at[c], end[c] = s.pending[c].head, len(s.pending[c].pods)
	}
	for {
		c, pi := -1, int32(0)
		for k := range s.pending {
			if at[k] < end[k] && (c < 0 || s.pending[k].pods[at[k]] < pi) {
				c, pi = k, s.pending[k].pods[at[k]]
			}
		}
		if c < 0 {
			break
		}
		q := &s.pending[c]
		at[c]++
		p := s.pods[pi]
		switch {
		case p.phase != Pending: // deleted while it waited
			continue
		case failed[c]:
			s.tellUnfit(pi)
			continue
		}
		ni, why := s.pickNode(p)
		if ni < 0 {
			failed[c] = true
			s.unscheduled[c] = why
			q.head = at[c] - 1
			s.tellUnfit(pi)
			at[c] = max(at[c], q.seen) // the pods behind it were told before
			continue
		}
		if !p.toldUnfit {
			s.untold--
		}
		s.bind(pi, ni)
	}
	for c := range s.pending {
		q := &s.pending[c]
		if !failed[c] {
			q.head = end[c]
		}
		q.seen = end[c]
		q.compact()
	}
}

// podQueue is one class's pending pods in creation order. Those before
// seen have been through a pass that found no node for their class, and
// were told so; those from seen on are new since the last pass.
type podQueue struct {
	pods []int32 // from head on; entries may be pods deleted since
	head int
	seen int
}

// compact drops the bound entries before head once they are most of the
// slice, so a queue holds what is pending, amortized.
func (q *podQueue) compact() {
	if q.head < 64 || 2*q.head < len(q.pods) {
		return
	}
	n := copy(q.pods, q.pods[q.head:])
	q.pods = q.pods[:n]
	q.seen -= q.head
	q.head = 0
}

// tellUnfit records kube-scheduler's FailedScheduling event the first
// time a pod does not fit; later passes stay quiet, as the API server
// folds repeats of an event into one.
func (s *Sim) tellUnfit(pi int32) {
	p := s.pods[pi]
	if p.toldUnfit {
		return
	}
	p.toldUnfit = true
	s.untold--
	t := s.podEvent("Warning", "FailedScheduling", p)
	t.text(s.unscheduled[p.class()])
	t.end(true)
	s.provUnfit(pi)
}

// reasonOf says why a pending pod is not running: for an unscheduled pod,
// what the last scheduling pass found for pods of its kind; for a pod
// waiting for its branch, what the controller's last attempt ran into.
func (s *Sim) reasonOf(pi int32) string {
	p := s.pods[pi]
	switch {
	case p.phase != Pending:
		return ""
	case p.node < 0:
		return s.unscheduled[p.class()]
	case !p.needsBranch:
		return "" // an ordinary pod runs as soon as it is bound
	}
	wait, err := s.ctl.PodWait(controller.PodID(pi))
	switch wait {
	case controller.WaitCapacity:
		return "waiting for a branch ENI slot on " + s.nodes[p.node].name + " (in use + cooling at the limit)"
	case controller.WaitFailed:
		return "branch allocation failed: " + err.Error()
	case controller.WaitNode:
		return "waiting for node " + s.nodes[p.node].name + " to hold a trunk (the controller requeues the pod every second)"
	case controller.WaitDropped:
		return "branch allocation failed: " + err.Error() + " (dropped after retries; next try at the resync)"
	}
	return "waiting for the controller to annotate the branch ENI (FailedCreatePodSandBox until then)"
}

// pickNode returns the node a pending pod goes to, or -1 and why none
// fits. Among the nodes that fit, LeastAllocated takes the one with the
// most free slots for the pod, MostAllocated the one with the fewest, and
// ties go to the node added first (see fitTree).
func (s *Sim) pickNode(p *pod) (int32, string) {
	t := &s.fitIP
	switch p.class() {
	case classBranch:
		t = &s.fitBranch
	case classWindows:
		t = &s.fitWindows
	case classHost:
		t = &s.fitHost
	}
	if ni := t.best(); ni >= 0 {
		return ni, ""
	}
	anyBranch := s.advertising > 0
	switch {
	case p.needsBranch && s.cfg.CNI.DisablePodENI:
		return -1, "Insufficient vpc.amazonaws.com/pod-eni: no node advertises it because ENABLE_POD_ENI is false on aws-node; set it to true"
	case p.needsBranch && !anyBranch:
		return -1, "Insufficient vpc.amazonaws.com/pod-eni: no node has a trunk ENI yet (or none can hold one)"
	case p.needsBranch:
		return -1, "Insufficient vpc.amazonaws.com/pod-eni: every node's branch slots are taken"
	}
	switch p.class() {
	case classWindows:
		return -1, "no Windows node has a free pod slot and secondary IP"
	case classHost:
		return -1, "no Linux node has a free pod slot"
	}
	return -1, "no node has a free pod slot and secondary IP"
}

// The classes of pods the scheduler places, each in a tree of its own.
const (
	classIP      = iota // an ordinary Linux pod, which needs a secondary IP
	classBranch         // a pod asking for pod-eni
	classWindows        // a Windows pod, which needs one of the primary ENI's IPs
	classHost           // a Linux host-network pod, which needs only a pod slot
	podClasses
)

// class returns the pod's class.
func (p *pod) class() int {
	switch {
	case p.hostNet:
		return classHost
	case p.windows:
		return classWindows
	case p.needsBranch:
		return classBranch
	}
	return classIP
}

// ipSlots is how many IPs the node gives ordinary pods under its
// networking mode, as limits.InstanceType.IPPodsOn counts them over the
// interfaces that carry pod IPs, less one for the trunk when it costs
// one; none when aws-node refuses the mode.
func (s *Sim) ipSlots(n *node) int {
	if n.noIPs {
		return 0
	}
	enis := n.typ.PodENIs(n.net, false)
	if s.trunkTakesIPs(n) && n.typ.TrunkSlotFor(n.net) {
		enis-- // the slot held for the trunk; with MAX_ENI 1 there is none to hold
	}
	return n.typ.IPPodsOn(n.net, enis)
}

// trunkTakesIPs reports whether one of the node's interfaces is lost to
// ordinary pods' secondary IPs because of the trunk:
//   - before CNI v1.16.4 the trunk itself carried secondary IPs, so nothing
//     is lost (PR #2801, pkg/ipamd/datastore/data_store.go);
//   - with a trunk attached, its interface carries none;
//   - while a trunk is awaited, ipamd holds the slot back for it
//     (pkg/ipamd/ipamd.go hasRoomForEni); before v1.20.4 it did so even on
//     types that can never hold a trunk (issue #3094, fixed by PR #3250).
func (s *Sim) trunkTakesIPs(n *node) bool {
	v := s.cfg.CNI.Version
	switch {
	case s.cfg.CNI.DisablePodENI || n.os != limits.OSLinux || !v.Has(cni.FeatureTrunkExcluded):
		return false
	case n.ineligible == nil: // a node with a trunk is one of these
		return true
	}
	return !v.Has(cni.FeatureTrunkSlotHeld)
}

func (s *Sim) bind(pi, ni int32) {
	p, n := s.pods[pi], s.nodes[ni]
	p.node, p.bound = ni, s.Now()
	p.scheduling = p.bound - p.created
	n.pods++
	n.podChanged = s.Now()
	n.bound = append(n.bound, pi)
	switch p.class() {
	case classBranch:
		n.branchPods++
	case classIP, classWindows:
		n.ipPods++
	}
	s.refit(ni)
	s.recPod("PodScheduled", p, n.name)
	if p.existing {
		s.startExisting(pi, ni)
		return
	}
	if !p.needsBranch {
		s.ready(pi)
		return
	}
	// Pods are numbered in creation order from 1, as s.pods holds them.
	var buf [24]byte
	uid := string(strconv.AppendInt(append(buf[:0], "uid-"...), int64(pi)+1, 10))
	s.feed(controller.Input{Kind: controller.PodBound, Pod: controller.PodID(pi), Node: controller.NodeID(ni), UID: uid})
}

// kubeletAfterAnnotation, called as the pod is annotated, finds the
// kubelet's first sandbox attempt that succeeds: one at or after aws-node
// sees the annotation, AWSNodeLag after the patch. Before then the CNI's
// ADD fails at once (pkg/ipamd/rpc_handler.go) and the pod worker tries
// again RetryPeriod stretched by up to RetryJitter later (kubernetes
// pkg/kubelet/pod_workers.go completeWork). The failed attempts are
// counted, not scheduled, as they change nothing else.
func (s *Sim) kubeletAfterAnnotation(pi int32) {
	p := s.pods[pi]
	k := s.cfg.Kubelet
	annotated := s.Now()
	seen := annotated + k.AWSNodeLag
	// The simulator's tightest loop: one draw per failed attempt.
	at, failed := s.rngK.retriesUntil(p.bound, seen, float64(k.RetryPeriod), k.RetryJitter)
	if !k.BackOffOnly {
		at, failed = s.kubeletWakes(p, annotated, seen)
	}
	s.m.sandboxFailures += failed
	p.kubelet = at - annotated
	s.after(at-s.Now(), s.evKubelet, uint64(pi))
}

// kubeletWakes returns the first sandbox attempt that succeeds when the
// patch wakes the pod worker and how many failed before it. The patch is
// a pod update (kubernetes pkg/kubelet/config/config.go
// podsDifferSemantically compares annotations) and UpdatePod
// (pkg/kubelet/pod_workers.go) wakes the idle worker at once, so the
// kubelet tries at the patch; the back-off retry it had queued is drawn
// but never runs. If aws-node has not seen the annotation yet, that
// attempt fails too, and its failure queues a fresh back-off from the
// patch (pkg/kubelet/util/queue/work_queue.go Enqueue replaces the pod's
// entry): nothing wakes the kubelet when aws-node's cache catches up.
func (s *Sim) kubeletWakes(p *pod, annotated, seen time.Duration) (time.Duration, int) {
	k := s.cfg.Kubelet
	_, failed := s.rngK.retriesUntil(p.bound, annotated, float64(k.RetryPeriod), k.RetryJitter)
	if annotated >= seen {
		return annotated, failed
	}
	at, more := s.rngK.retriesUntil(annotated, seen, float64(k.RetryPeriod), k.RetryJitter)
	return at, failed + more
}

// kubeletReady is the sandbox attempt that finds the annotation.
func (s *Sim) kubeletReady(arg uint64) {
	if p := s.pods[arg]; p.phase == Pending && p.annotatedOK {
		s.ready(int32(arg))
	}
}

func (s *Sim) complete(arg uint64) { s.terminate(int32(arg), Succeeded, endCompleted) }

// ready marks the pod's network ready: it is Running.
func (s *Sim) ready(pi int32) {
	p := s.pods[pi]
	p.phase, p.ready = Running, s.Now()
	s.workloadCount(p, +1, false)
	s.m.running++
	if p.needsBranch {
		s.m.sgRunning++
	}
	defer s.sample()
	if p.needsBranch {
		s.feed(controller.Input{Kind: controller.PodRunning, Pod: controller.PodID(pi)})
	}
	node, trunk := s.waits(p)
	s.m.noteReady(p, s.ctl.Parts(controller.PodID(pi)), node, trunk)
	s.recPod("PodRunning", p, "")
	if p.lifetime > 0 {
		s.after(p.lifetime, s.evComplete, uint64(pi))
	}
	s.workloadChanged(pi, false)
}

// RestartController restarts the resource controller: work in flight is
// lost, and every node is initialised again, rebuilding each trunk from
// the pods' annotations and the ENIs EC2 holds (controller.Restarted).
func (s *Sim) RestartController() error {
	s.tr.rec(s.Now(), "ControllerRestarted", "controller", "")
	s.feed(controller.Input{Kind: controller.Restarted})
	return nil
}

// SetBranchENICooldown changes the amazon-vpc-cni ConfigMap's
// branch-eni-cooldown to d while the simulation runs, as `kubectl edit`
// does. The controller's ConfigMap reconciler applies it at once
// (controllers/core/configmap_controller.go), clamped to at least 30 s as
// it is read (pkg/provider/branch/cooldown/cooldown.go GetCoolDownPeriod:
// a value of 0 or below gives 30 s too), to the branches cooling now as
// well as those released later, and announces the period with a
// BranchENICoolDownPeriodUpdated event on every node, which queue behind
// the clientset's rate limiter as every event does. A value whose
// clamped period is the one in force changes nothing; upstream compares
// the period in force with the value as written, so a value below 30 s
// announces 30 s again each time, which is not modelled. The report
// lists each change.
func (s *Sim) SetBranchENICooldown(d time.Duration) error {
	cfg := s.ctl.Config()
	applied := max(d, trunk.MinCoolDown)
	s.tr.rec(s.Now(), "ConfigMapChanged", "configmap/kube-system/amazon-vpc-cni", "branch-eni-cooldown "+d.String())
	s.coolDownChanges = append(s.coolDownChanges, coolDownChange{at: s.Now(), asked: d, from: cfg.CoolDown, applied: applied})
	if applied == cfg.CoolDown {
		return nil
	}
	cfg.CoolDown = applied
	s.feed(controller.Input{Kind: controller.Configured, Config: &cfg})
	return nil
}

// coolDownChange is one SetBranchENICooldown, for the report.
type coolDownChange struct {
	at, asked, from, applied time.Duration
}

// boundPods returns, in creation order, the pods bound to node ni that
// have not ended, and perhaps some that have: callers check the phase.
// It is a copy, so callers may end pods as they go.
func (s *Sim) boundPods(ni int32) []int32 {
	out := slices.Clone(s.nodes[ni].bound)
	slices.Sort(out)
	return out
}

// recPod records a line about pod p; an empty detail is left out.
func (s *Sim) recPod(event string, p *pod, detail string) {
	s.tr.begin(s.Now(), event)
	s.tr.objectPod(p)
	if detail != "" {
		s.tr.detail()
		s.tr.text(detail)
	}
	s.tr.end(detail != "")
}

// phaseEvent names the trace event of a pod reaching phase.
func phaseEvent(phase Phase) string {
	switch phase {
	case Succeeded:
		return "PodSucceeded"
	case Deleted:
		return "PodDeleted"
	}
	return "Pod" + phase.String()
}

func boolWord(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}
