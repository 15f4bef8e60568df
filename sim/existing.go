package sim

import (
	"fmt"
	"strconv"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/cni"
	"github.com/trunksim/trunksim/controller"
	"github.com/trunksim/trunksim/limits"
)

// A cluster can start from the state it is in: nodes whose trunk is
// attached already (NodeSpec.TrunkAttached) and pods running already
// (WorkloadSpec.Running), those that need a branch each on a branch ENI
// associated with its node's trunk and named by its pod-eni annotation.
// The fake EC2 holds those interfaces from the start, made by no call;
// the controller meets such a node as a controller starting meets its
// nodes: the node's Init finds the trunk and rebuilds it from EC2's
// listing and the annotations of the pods bound to it (upstream's
// InitTrunk), creating nothing.

// attachedTrunkErr says why a node of type typ under net cannot join with
// its trunk attached, or nil when it can: it must be a Linux node that
// asks for a trunk and whose type holds one.
func (s *Sim) attachedTrunkErr(typ limits.InstanceType, os limits.OS, net limits.Networking, unlisted error) error {
	switch {
	case s.cfg.CNI.DisablePodENI:
		return fmt.Errorf("ENABLE_POD_ENI is false, so aws-node asks for no trunk")
	case net.Validate() != nil:
		return fmt.Errorf("aws-node refuses the node's networking mode: %v", net.Validate())
	case s.cfg.CNI.IPFamily == cni.IPv6 && !s.cfg.CNI.Version.Has(cni.FeatureIPv6Branches):
		return fmt.Errorf("CNI %v does not support security groups for pods in IPv6 clusters", s.cfg.CNI.Version)
	case unlisted != nil && os == limits.OSLinux:
		return fmt.Errorf("%s", whyNoTrunk(unlisted))
	}
	if err := typ.CanTrunk(os); err != nil {
		return fmt.Errorf("%s", whyNoTrunk(err))
	}
	return nil
}

// addRunning adds count pods of workload wi that are running already.
// Each is made as every replica is (newReplica) and bound at once where
// kube-scheduler would have put it: a pod that needs a branch on a node
// whose trunk was attached at its join and is not rebuilt yet, with a
// free branch slot (bind then starts it as running, startExisting).
// runningFits has checked that those fit, and their groups; a pod without
// a branch that fits nowhere stops it, left pending as a pod created now.
func (s *Sim) addRunning(wi int32, count int) error {
	w := s.workloads[wi]
	var attached fitTree // nodes a pod with a branch can be running on
	for ni := range s.nodes {
		attached.set(int32(ni), s.attachedScore(int32(ni)))
	}
	for range count {
		made := len(w.pods)
		s.newReplica(wi)
		if len(w.pods) == made {
			return s.failure // newReplica failed, and said why
		}
		pi := w.pods[made]
		p := s.pods[pi]
		ni, why := attached.best(), "no node with its trunk attached (NodeSpec.TrunkAttached) has a free branch slot"
		if !p.needsBranch {
			ni, why = s.pickNode(p)
		}
		if ni < 0 {
			return &ObjectError{"pod", p.key, fmt.Errorf("%w: already running, but %s", ErrBadSpec, why)}
		}
		p.existing = true
		if !p.toldUnfit {
			s.untold-- // bound before any pass could tell it
		}
		s.bind(pi, ni)
		attached.set(ni, s.attachedScore(ni))
	}
	return nil
}

// runningFits refuses, before anything is made, a workload whose pods
// running already need branches that the nodes with their trunk attached
// cannot hold, so that the refusal leaves the simulator as it was. Such
// pods all resolve alike and each takes one of a node's free pod and
// branch slots, so counting them is exact; other pods are placed one by
// one (addRunning).
func (s *Sim) runningFits(spec WorkloadSpec, labels *labelSet) error {
	if spec.Running == 0 || spec.OS == limits.OSWindows || spec.HostNetwork {
		return nil
	}
	sa := spec.ServiceAccount
	if sa == "" {
		sa = "default"
	}
	probe := pod{key: spec.Namespace + "/", nsLen: int32(len(spec.Namespace)), labels: labels, sa: sa}
	r := s.resolve(&probe)
	if r.ids == nil {
		return nil
	}
	if q := s.cfg.Controller.GroupsPerInterface; r.set.Len() > q {
		return fmt.Errorf("%w: already running, but with %d security groups, more than the %d an interface takes", ErrBadSpec, r.set.Len(), q)
	}
	room := 0
	for ni := range s.nodes {
		room += s.attachedRoom(int32(ni))
	}
	if spec.Running > room {
		return fmt.Errorf("%w: already running, but no node with its trunk attached (NodeSpec.TrunkAttached) has a free branch slot for %d of the %d pods that need one (%d free)", ErrBadSpec, spec.Running-room, spec.Running, room)
	}
	return nil
}

// attachedScore is node ni's fit for a pod running with its branch
// already: its trunk attached at its join, not rebuilt yet, a free pod
// slot and a free branch slot.
func (s *Sim) attachedScore(ni int32) uint64 {
	room := s.attachedRoom(ni)
	if room == 0 {
		return 0
	}
	return fitScore(s.cfg.Placement, ni, room)
}

// attachedRoom is how many more pods running with their branch already
// node ni holds: none unless its trunk was attached at its join and is
// not rebuilt yet, else the least of its free pod slots and its branch
// slots that neither running pods nor unowned branches take.
func (s *Sim) attachedRoom(ni int32) int {
	n := s.nodes[ni]
	free, branches := n.slots-n.pods, n.typ.BranchInterfaces-n.branchPods-int(n.unowned)
	if !n.trunkAtJoin || n.gone || free <= 0 || branches <= 0 || s.ctl.Trunk(controller.NodeID(ni)) != nil {
		return 0
	}
	return min(free, branches)
}

// startExisting starts a pod that runs already, just bound to node ni: one
// that needs a branch gets it in EC2, on the node's trunk at the lowest
// VLAN its running pods leave free, and the controller learns it from the
// pod's annotation. Its start is before the run, so it is no part of the
// start-up latency (metrics.noteReady).
func (s *Sim) startExisting(pi, ni int32) {
	p, n := s.pods[pi], s.nodes[ni]
	s.m.alreadyRunning++
	if !p.needsBranch {
		s.recPod("PodAlreadyRunning", p, "on "+n.name)
		s.ready(pi)
		return
	}
	r := s.resolve(p)
	n.existingVLANs++
	vlan := branch.VLAN(n.existingVLANs)
	eni, _, err := s.ec2.AddBranch(s.ctl.TrunkID(controller.NodeID(ni)), r.set, vlan)
	if err != nil {
		s.fail(&ObjectError{"pod", p.key, fmt.Errorf("%w: %w", ErrBadSpec, err)})
		return
	}
	var buf [24]byte // pods are numbered in creation order from 1, as bind numbers them
	uid := string(strconv.AppendInt(append(buf[:0], "uid-"...), int64(pi)+1, 10))
	s.feed(controller.Input{Kind: controller.PodBound, Pod: controller.PodID(pi), Node: controller.NodeID(ni), UID: uid,
		Annotation: &controller.Annotation{ENI: eni, VLAN: vlan, Groups: r.set}})
	s.m.fromExisting++
	t := &s.tr
	t.begin(s.Now(), "PodAlreadyRunning")
	t.objectPod(p)
	t.detail()
	t.text("on " + n.name + ", eni " + eni.String() + " vlan " + vlan.String() + ", security groups " + r.names)
	t.end(true)
	p.annotatedOK = true
	s.ready(pi)
}

// AddAvailableBranches puts n branch ENIs in EC2 that no trunk holds, in
// state "available", as deleted nodes leave them: the controller tracks
// none of them, the report counts them as leaked until they go, and the
// cluster ENI cleaner deletes them on its second sighting, 30 minutes
// after its first (pkg/aws/ec2/api/cleanup/eni_cleanup.go; with
// NodeDeletionWipe, master's preset, no cleaner runs and they stay). It
// refuses a negative n.
func (s *Sim) AddAvailableBranches(n int) error {
	if n < 0 {
		return &ObjectError{"ec2", "availableBranches", fmt.Errorf("%w: negative count %d", ErrBadSpec, n)}
	}
	if n == 0 {
		return nil
	}
	for range n {
		s.ec2.AddAvailableBranch(branch.GroupSet{})
	}
	s.tr.rec(s.Now(), "AvailableBranchesAdded", "ec2", strconv.Itoa(n))
	return nil
}
