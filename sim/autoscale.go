package sim

import (
	"fmt"

	"github.com/trunksim/trunksim/autoscaler"
)

// AutoscaledGroup is a node group cluster-autoscaler grows and shrinks:
// its Auto Scaling group's sizes and node-template tag, and the spec its
// nodes join with (Node.Name is ignored: they are named <group>-<k>).
type AutoscaledGroup struct {
	autoscaler.Group
	Node NodeSpec
}

// UseClusterAutoscaler makes cluster-autoscaler manage the groups (package
// autoscaler) with the settings of Config.ClusterAutoscaler: each group's
// Size nodes join now, and every scan grows a group for the pods
// kube-scheduler cannot place, its nodes joining NodeStartup later. It
// may be called once, before the run starts.
func (s *Sim) UseClusterAutoscaler(groups []AutoscaledGroup) error {
	if s.as != nil {
		return &ObjectError{"cluster-autoscaler", "", fmt.Errorf("%w: cluster-autoscaler is in use already", ErrDuplicate)}
	}
	gs := make([]autoscaler.Group, len(groups))
	for i, g := range groups {
		gs[i] = g.Group
	}
	a, err := autoscaler.New(s.cfg.ClusterAutoscaler, gs, asCluster{s})
	if err != nil {
		return &ObjectError{"cluster-autoscaler", "", fmt.Errorf("%w: %w", ErrBadSpec, err)}
	}
	s.as, s.asGroups = a, groups
	s.asNodes, s.asNext = make([][]int32, len(groups)), make([]int, len(groups))
	s.evASWake, s.evASJoin = s.asWoke, s.asJoin
	for i, g := range groups {
		for range g.Size {
			if err := s.asAddNode(int32(i)); err != nil {
				return err
			}
		}
	}
	s.applyAS(a.Start(s.Now(), nil))
	return nil
}

// asAddNode adds the next node of group g.
func (s *Sim) asAddNode(g int32) error {
	spec := s.asGroups[g].Node
	spec.Name = autoscaler.Name(s.asGroups[g].Group, s.asNext[g])
	s.asNext[g]++
	if err := s.addNode(spec, 0); err != nil {
		return err
	}
	ni := s.nodeIndex[spec.Name]
	s.nodes[ni].asGroup = g + 1
	s.asNodes[g] = append(s.asNodes[g], ni)
	return nil
}

// asCluster is the cluster as cluster-autoscaler reads it.
type asCluster struct{ s *Sim }

func (c asCluster) AppendUnschedulable(dst []autoscaler.Pod) []autoscaler.Pod {
	for _, p := range provCluster(c).AppendProvisionable(nil) {
		dst = append(dst, autoscaler.Pod{PodENI: p.PodENI})
	}
	return dst
}

func (c asCluster) AppendNodes(g autoscaler.GroupID, dst []autoscaler.Node) []autoscaler.Node {
	s := c.s
	keep := s.asNodes[g][:0]
	for _, ni := range s.asNodes[g] {
		n := s.nodes[ni]
		if n.gone {
			continue
		}
		keep = append(keep, ni)
		st := autoscaler.Node{ID: autoscaler.NodeID(ni), Joined: n.joined, Pods: n.slots, UsedPods: n.pods, UsedPodENI: n.branchPods}
		if n.advertises {
			st.PodENI = n.typ.BranchInterfaces
		}
		dst = append(dst, st)
	}
	s.asNodes[g] = keep
	return dst
}

func (s *Sim) feedAS(in autoscaler.Input) {
	out, err := s.as.Step(s.Now(), in, s.asEffects[:0])
	if err != nil {
		s.fail(err)
	}
	s.asEffects = nil
	s.applyAS(out)
	s.asEffects = out[:0]
}

func (s *Sim) applyAS(out []autoscaler.Effect) {
	for _, e := range out {
		switch e.Kind {
		case autoscaler.WakeIdle:
			s.noteIdle(s.after(e.At-s.Now(), s.evASWake, 0))
		case autoscaler.Wake:
			s.after(e.At-s.Now(), s.evASWake, 0)
		case autoscaler.Launch:
			s.tr.rec(s.Now(), "ScaledUp", "nodegroup/"+s.asGroups[e.Group].Name, "")
			s.after(e.At-s.Now(), s.evASJoin, uint64(e.Group))
		case autoscaler.Delete:
			n := s.nodes[e.Node]
			s.tr.rec(s.Now(), "ScaleDown", "node/"+n.name, "empty")
			if err := s.DeleteNode(n.name); err != nil {
				s.fail(err)
			}
		}
	}
}

func (s *Sim) asWoke(uint64) { s.feedAS(autoscaler.Input{Kind: autoscaler.Woke}) }

func (s *Sim) asJoin(arg uint64) {
	g := int32(arg)
	if err := s.asAddNode(g); err != nil {
		s.fail(fmt.Errorf("cluster-autoscaler: %w", err))
		return
	}
	s.feedAS(autoscaler.Input{Kind: autoscaler.NodeJoined, Group: autoscaler.GroupID(g)})
}

// asNodeGone tells cluster-autoscaler a node of its group was deleted.
func (s *Sim) asNodeGone(n *node) {
	if n.asGroup > 0 {
		s.feedAS(autoscaler.Input{Kind: autoscaler.NodeDeleted, Group: autoscaler.GroupID(n.asGroup - 1)})
	}
}

// AutoscalerReport is what cluster-autoscaler did in a run.
type AutoscalerReport struct {
	ScaleUps     int `json:"scaleUps"`
	NodesAdded   int `json:"nodesAdded"`
	NodesRemoved int `json:"nodesRemoved"`
	// NoScaleUpScans counts scans that left unschedulable pods with no
	// group to grow (every group at its maximum, or none whose template
	// fits them).
	NoScaleUpScans int `json:"noScaleUpScans"`
	// FirstPendingToNodeReadySeconds is from the first pod kube-scheduler
	// could not place to the first node the autoscaler added advertising
	// pod-eni, or joining when it has none to advertise; zero when none.
	FirstPendingToNodeReadySeconds float64 `json:"firstPendingToNodeReadySeconds"`
	// Groups are the groups' sizes at the end.
	Groups []AutoscaledGroupReport `json:"groups"`
}

// AutoscaledGroupReport is one group's size at the end.
type AutoscaledGroupReport struct {
	Name string `json:"name"`
	Size int    `json:"size"`
}

func (s *Sim) autoscalerReport() *AutoscalerReport {
	if s.as == nil {
		return nil
	}
	st := s.as.Stats()
	r := &AutoscalerReport{ScaleUps: st.ScaleUps, NodesAdded: st.NodesAdded, NodesRemoved: st.NodesRemoved,
		NoScaleUpScans: st.NoScaleUp, Groups: []AutoscaledGroupReport{}}
	first := -1.0
	for i, g := range s.asGroups {
		r.Groups = append(r.Groups, AutoscaledGroupReport{g.Name, s.as.Target(autoscaler.GroupID(i))})
	}
	for _, n := range s.nodes {
		if n.asGroup == 0 || n.joined == 0 || !s.firstUnfitSet {
			continue
		}
		ready := n.joined
		if n.ineligible == nil && !s.cfg.CNI.DisablePodENI {
			if !n.advertised {
				continue
			}
			ready = n.advertisedAt
		}
		if d := (ready - s.firstUnfit).Seconds(); ready >= s.firstUnfit && (first < 0 || d < first) {
			first = d
		}
	}
	if first > 0 {
		r.FirstPendingToNodeReadySeconds = round3(first)
	}
	return r
}
