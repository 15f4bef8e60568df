package sim

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/trunksim/trunksim/limits"
)

// WorkloadSpec describes a Deployment-like set of identical pods.
type WorkloadSpec struct {
	Namespace, Name string
	Labels          map[string]string
	ServiceAccount  string
	Replicas        int
	// Interval spaces the initial pod creations; zero creates them all now.
	Interval time.Duration
	// Lifetime, when positive, makes each pod complete this long after it
	// runs (a Job's pods); completed pods are not replaced.
	Lifetime time.Duration
	// OS is the kubernetes.io/os of the pods' nodeSelector, as
	// PodSpec.OS; zero means Linux.
	OS limits.OS
	// HostNetwork gives the pods spec.hostNetwork, as PodSpec.HostNetwork.
	HostNetwork bool
	// Running is how many of the Replicas pods are running already when
	// the workload is added, as in a cluster the run starts from: they
	// are bound at once where kube-scheduler would have put them, and
	// those that need a branch run on one that the fake EC2 holds,
	// associated with the trunk of a node that joined with it attached
	// (NodeSpec.TrunkAttached), and that their pod-eni annotation names;
	// the controller learns them when it rebuilds the node's trunk
	// (controller.Input.Annotation). They make no EC2 call, and their
	// start, before the run, is no part of the start-up latency
	// (Report.Pods.AlreadyRunning). The rest of Replicas are created as
	// usual. It is for setting up the cluster before its nodes' trunks
	// are rebuilt, at time zero.
	Running int
}

type workload struct {
	spec     WorkloadSpec
	labels   *labelSet // spec.Labels, as its pods share them
	revision int
	next     int // suffix of the next pod name
	// pods is every pod the workload made, in creation order, so the
	// current revision's are the ones from firstNew on; those before
	// oldAt have ended.
	pods            []int32
	oldAt, firstNew int
	// live and running count the pods pending or running, and running,
	// of the old revisions and of the current one (index revNew).
	live, running [2]int
	// rolling update in progress
	rolling        bool
	surge, unavail int
	oldPending     bool // the old revisions may have pending pods: the update has just begun
	reconciling    bool // a pass is running: changes it makes are not new triggers
}

// Indexes of workload.live and workload.running.
const (
	revOld = 0
	revNew = 1
)

// rev is the index of a pod's revision in workload.live and running.
func (w *workload) rev(p *pod) int {
	if p.revision == w.revision {
		return revNew
	}
	return revOld
}

// AddWorkload creates spec.Replicas pods, spaced by spec.Interval, and
// keeps that many: a pod deleted by DeletePod or by its node's deletion is
// replaced, as a ReplicaSet does. Pods are named <name>-<n>.
func (s *Sim) AddWorkload(spec WorkloadSpec) error {
	key := spec.Namespace + "/" + spec.Name
	switch {
	case spec.Namespace == "" || spec.Name == "":
		return &ObjectError{"workload", key, fmt.Errorf("%w: namespace and name are required", ErrBadSpec)}
	case spec.Replicas < 0:
		return &ObjectError{"workload", key, fmt.Errorf("%w: negative replicas %d", ErrBadSpec, spec.Replicas)}
	case spec.Running < 0 || spec.Running > spec.Replicas:
		return &ObjectError{"workload", key, fmt.Errorf("%w: running %d must be from 0 to replicas (%d)", ErrBadSpec, spec.Running, spec.Replicas)}
	case spec.Interval < 0 || spec.Lifetime < 0:
		return &ObjectError{"workload", key, fmt.Errorf("%w: negative interval or lifetime", ErrBadSpec)}
	}
	if err := checkPodKind(spec.OS, spec.HostNetwork, spec.Labels); err != nil {
		return &ObjectError{"workload", key, err}
	}
	if _, ok := s.workloadIndex[key]; ok {
		return &ObjectError{"workload", key, ErrDuplicate}
	}
	spec.Labels = maps.Clone(spec.Labels)
	labels := s.internLabels(spec.Labels)
	if err := s.runningFits(spec, labels); err != nil {
		return &ObjectError{"workload", key, err}
	}
	wi := int32(len(s.workloads))
	s.workloads = append(s.workloads, &workload{spec: spec, labels: labels})
	s.workloadIndex[key] = wi
	if err := s.addRunning(wi, spec.Running); err != nil {
		return &ObjectError{"workload", key, err}
	}
	for i := range spec.Replicas - spec.Running {
		if spec.Interval == 0 || i == 0 {
			s.newReplica(wi)
			continue
		}
		s.after(time.Duration(i)*spec.Interval, s.evReplica, uint64(wi))
	}
	return nil
}

// RollWorkload replaces every pod of a workload with a new revision,
// keeping at most Replicas+maxSurge pods and at least
// Replicas-maxUnavailable running, as a Deployment's rolling update does.
// A workload whose pods complete (a Lifetime, as a Job's) is refused.
func (s *Sim) RollWorkload(namespace, name string, maxSurge, maxUnavailable int) error {
	key := namespace + "/" + name
	wi, ok := s.workloadIndex[key]
	if !ok {
		return &ObjectError{"workload", key, ErrNotFound}
	}
	if maxSurge < 0 || maxUnavailable < 0 || maxSurge+maxUnavailable == 0 {
		return &ObjectError{"workload", key, fmt.Errorf("%w: maxSurge %d and maxUnavailable %d must not be negative nor both zero", ErrBadSpec, maxSurge, maxUnavailable)}
	}
	w := s.workloads[wi]
	if w.spec.Lifetime > 0 {
		// Its completed pods would count against the new revision's
		// running ones, and the update would replace them for ever.
		return &ObjectError{"workload", key, fmt.Errorf("%w: its pods complete, as a Job's do; only a Deployment-like workload has a rolling update", ErrBadSpec)}
	}
	w.pods = slices.DeleteFunc(w.pods, func(pi int32) bool { return !s.pods[pi].live() })
	w.revision++
	w.oldAt, w.firstNew = 0, len(w.pods)
	for _, c := range []*[2]int{&w.live, &w.running} {
		c[revOld], c[revNew] = c[revOld]+c[revNew], 0
	}
	w.rolling, w.surge, w.unavail, w.oldPending = true, maxSurge, maxUnavailable, true
	s.tr.rec(s.Now(), "RolloutStarted", "workload/"+key, "revision "+strconv.Itoa(w.revision))
	s.reconcileWorkload(wi)
	return nil
}

// ScaleWorkload sets a workload's replicas, as `kubectl scale` does. More
// are created now; for fewer, the ReplicaSet controller's choice of pods
// to delete is followed: unscheduled before scheduled, pending before
// running, those on nodes that hold more of the workload's pods first,
// then the most recently ready, then the newest. During a rolling update
// the new revision's pods above the count are deleted, and the update
// goes on towards it.
func (s *Sim) ScaleWorkload(namespace, name string, replicas int) error {
	key := namespace + "/" + name
	wi, ok := s.workloadIndex[key]
	switch {
	case !ok:
		return &ObjectError{"workload", key, ErrNotFound}
	case replicas < 0:
		return &ObjectError{"workload", key, fmt.Errorf("%w: negative replicas %d", ErrBadSpec, replicas)}
	}
	w := s.workloads[wi]
	if w.spec.Lifetime > 0 {
		return &ObjectError{"workload", key, fmt.Errorf("%w: its pods complete, as a Job's do; only a Deployment-like workload scales", ErrBadSpec)}
	}
	s.tr.rec(s.Now(), "WorkloadScaled", "workload/"+key, strconv.Itoa(w.spec.Replicas)+" to "+strconv.Itoa(replicas))
	w.spec.Replicas = replicas
	if w.rolling {
		// The update makes what is missing; it only needs the surplus of
		// the new revision gone.
		defer s.reconcileWorkload(wi)
	}
	w.reconciling = true
	defer func() { w.reconciling = false }()
	// Outside an update every live pod is of the current revision.
	if n := w.live[revNew]; n < replicas && !w.rolling {
		for range replicas - n {
			s.newReplica(wi)
		}
	}
	for _, pi := range s.scaleDownOrder(w)[:max(0, w.live[revNew]-replicas)] {
		s.terminate(pi, Deleted, endScaledDown)
	}
	return nil
}

// scaleDownOrder returns the workload's live pods of the current revision
// in the order a ReplicaSet deletes them (kubernetes pkg/controller/controller_utils.go ActivePodsWithRanks,
// less the ranks the simulator has no notion of: deletion cost and
// restarts).
func (s *Sim) scaleDownOrder(w *workload) []int32 {
	var pods []int32
	onNode := map[int32]int{}
	for _, pi := range w.pods[w.firstNew:] {
		if p := s.pods[pi]; p.live() {
			pods = append(pods, pi)
			onNode[p.node]++
		}
	}
	slices.SortStableFunc(pods, func(a, b int32) int {
		pa, pb := s.pods[a], s.pods[b]
		switch {
		case (pa.node < 0) != (pb.node < 0):
			return cmpBool(pa.node >= 0, pb.node >= 0)
		case (pa.phase == Running) != (pb.phase == Running):
			return cmpBool(pa.phase == Running, pb.phase == Running)
		case pa.node >= 0 && onNode[pa.node] != onNode[pb.node]:
			return onNode[pb.node] - onNode[pa.node]
		case pa.phase == Running && pa.ready != pb.ready:
			return cmp.Compare(pb.ready, pa.ready)
		}
		return cmp.Compare(b, a) // newer first
	})
	return pods
}

// cmpBool orders false before true.
func cmpBool(a, b bool) int { return boolInt(a) - boolInt(b) }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *Sim) replicaEv(arg uint64) { s.newReplica(int32(arg)) }

func (s *Sim) newReplica(wi int32) {
	w := s.workloads[wi]
	// The key, namespace/name-n, is spelt once; the pod's namespace and
	// name are slices of it.
	var buf [64]byte
	b := append(buf[:0], w.spec.Namespace...)
	b = append(b, '/')
	b = append(b, w.spec.Name...)
	b = append(b, '-')
	key := string(strconv.AppendInt(b, int64(w.next), 10))
	w.next++
	if _, ok := s.podIndex[key]; ok {
		s.fail(&ObjectError{"pod", key, ErrDuplicate})
		return
	}
	pi := s.createPod(key, len(w.spec.Namespace), w.labels, w.spec.ServiceAccount, w.spec.Lifetime, podKind{windows: w.spec.OS == limits.OSWindows, hostNet: w.spec.HostNetwork})
	s.pods[pi].workload, s.pods[pi].revision = wi, w.revision
	w.pods = append(w.pods, pi)
	w.live[revNew]++
}

// workloadCount keeps a workload's counts as one of its pods runs (+1) or
// ends (-1, wasRunning telling from which phase).
func (s *Sim) workloadCount(p *pod, delta int, wasRunning bool) {
	if p.workload < 0 {
		return
	}
	w := s.workloads[p.workload]
	r := w.rev(p)
	if delta > 0 {
		w.running[r]++
		return
	}
	w.live[r]--
	if wasRunning {
		w.running[r]--
	}
}

// workloadChanged is called when one of the workload's pods became ready
// or ended.
func (s *Sim) workloadChanged(pi int32, replace bool) {
	p := s.pods[pi]
	if p.workload < 0 {
		return
	}
	w := s.workloads[p.workload]
	if w.reconciling {
		return
	}
	if replace && !w.rolling && p.revision == w.revision {
		s.newReplica(p.workload)
		return
	}
	if w.rolling {
		s.reconcileWorkload(p.workload)
	}
}

// reconcileWorkload advances a rolling update as far as it can now.
func (s *Sim) reconcileWorkload(wi int32) {
	w := s.workloads[wi]
	w.reconciling = true
	for s.rollPass(wi) {
	}
	w.reconciling = false
}

// rollPass makes one round of a rolling update's creations and
// deletions and reports whether it changed anything. It costs what it
// changes: the counts say how many pods to make, and the pods to delete
// are the oldest of the old revisions, found from oldAt on.
func (s *Sim) rollPass(wi int32) bool {
	w := s.workloads[wi]
	want := w.spec.Replicas
	changed := false
	for n := w.live[revNew]; n+w.live[revOld] < want+w.surge && n < want; n++ {
		s.newReplica(wi)
		changed = true
	}
	avail := w.running[revOld] + w.running[revNew]
	// Not-ready old pods go first; they cost no availability. Pods never
	// return to pending, so only the update's first pass finds any.
	if w.oldPending {
		w.oldPending = false
		for _, pi := range w.pods[w.oldAt:w.firstNew] {
			if s.pods[pi].phase == Pending {
				s.terminate(pi, Deleted, endRollingUpdate)
				changed = true
			}
		}
	}
	for ; w.oldAt < w.firstNew; w.oldAt++ {
		p := s.pods[w.pods[w.oldAt]]
		if p.phase != Running {
			continue
		}
		if avail-1 < want-w.unavail {
			break
		}
		avail--
		s.terminate(w.pods[w.oldAt], Deleted, endRollingUpdate)
		changed = true
	}
	if changed {
		return true
	}
	if w.live[revOld] == 0 && w.running[revNew] == w.live[revNew] {
		w.rolling = false
		s.tr.rec(s.Now(), "RolloutComplete", "workload/"+w.spec.Namespace+"/"+w.spec.Name, "revision "+strconv.Itoa(w.revision))
	}
	return false
}

// WorkloadPods returns the names of a workload's pods that are pending or
// running, oldest first.
func (s *Sim) WorkloadPods(namespace, name string) ([]string, error) {
	key := namespace + "/" + name
	wi, ok := s.workloadIndex[key]
	if !ok {
		return nil, &ObjectError{"workload", key, ErrNotFound}
	}
	var out []string
	for _, pi := range s.workloads[wi].pods {
		if p := s.pods[pi]; p.live() {
			out = append(out, p.name())
		}
	}
	return out, nil
}
