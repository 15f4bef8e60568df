package sim

import (
	"errors"
	"fmt"
	"maps"

	"github.com/trunksim/trunksim/cni"
	"github.com/trunksim/trunksim/controller"
	"github.com/trunksim/trunksim/limits"
)

// AddNode adds a node that joins the cluster now. With ENABLE_POD_ENI on,
// its CNI asks for a trunk (the CNINode feature SecurityGroupsForPods) and
// the controller initialises one if the node can hold it.
func (s *Sim) AddNode(spec NodeSpec) error {
	if spec.Name == "" {
		return &ObjectError{"node", spec.Name, fmt.Errorf("%w: name is required", ErrBadSpec)}
	}
	if _, ok := s.nodeIndex[spec.Name]; ok {
		return &ObjectError{"node", spec.Name, ErrDuplicate}
	}
	typ, err := s.cfg.Limits.Lookup(spec.InstanceType)
	if err != nil {
		return &ObjectError{"node", spec.Name, err}
	}
	os := spec.OS
	if os == 0 {
		os = limits.OSLinux
	}
	if os != limits.OSLinux && os != limits.OSWindows {
		return &ObjectError{"node", spec.Name, fmt.Errorf("%w: unknown OS %d", ErrBadSpec, os)}
	}
	if spec.MaxPods < 0 {
		return &ObjectError{"node", spec.Name, fmt.Errorf("%w: negative max pods %d", ErrBadSpec, spec.MaxPods)}
	}
	net := s.cfg.CNI.Networking(os, spec.MaxPods)
	n := &node{name: spec.Name, typ: typ, os: os, labels: maps.Clone(spec.Labels), joined: s.Now(),
		net: net, slots: s.podSlots(typ, net)}
	ni := int32(len(s.nodes))
	s.nodes = append(s.nodes, n)
	s.nodeIndex[n.name] = ni
	s.tr.rec(s.Now(), "NodeAdded", "node/"+n.name, typ.Name+" "+os.String())
	s.m.nodes++

	n.ineligible = typ.CanTrunk(os)
	wants := !s.cfg.CNI.DisablePodENI // else aws-node never adds the SecurityGroupsForPods feature
	if err := net.Validate(); err != nil {
		// pkg/ipamd/ipamd.go isConfigValid: aws-node exits, so the node
		// neither wires pods nor asks for a trunk.
		wants, n.noIPs = false, true
		n.ineligible = refusedMode(os, err)
		s.event("Warning", "Unsupported", "node/"+n.name, whyNoTrunk(n.ineligible))
	} else if wants && s.cfg.CNI.IPFamily == cni.IPv6 && !s.cfg.CNI.Version.Has(cni.FeatureIPv6Branches) {
		wants = false
		n.ineligible = fmt.Errorf("CNI %v does not support security groups for pods in IPv6 clusters (from v1.16.0)", s.cfg.CNI.Version)
		s.event("Warning", "Unsupported", "node/"+n.name, whyNoTrunk(n.ineligible))
	}
	s.feed(controller.Input{Kind: controller.NodeJoined, Node: controller.NodeID(ni),
		Join: &controller.Join{Name: n.name, Type: typ, OS: os, WantsTrunk: wants}})
	s.refit(ni)
	s.place()
	return nil
}

// DeleteNode removes a node: its pods are deleted (their branches go to
// the cool-down queue), EC2 terminates the instance, and the controller
// wipes what is left on its trunk (controller.NodeDeleted).
func (s *Sim) DeleteNode(name string) error {
	ni, ok := s.nodeIndex[name]
	if !ok || s.nodes[ni].gone {
		return &ObjectError{"node", name, ErrNotFound}
	}
	n := s.nodes[ni]
	n.gone = true
	s.refit(ni)
	delete(s.nodeIndex, name)
	s.tr.rec(s.Now(), "NodeDeleted", "node/"+name, "")
	for _, pi := range s.boundPods(ni) {
		if p := s.pods[pi]; p.phase == Pending || p.phase == Running {
			s.terminate(pi, Deleted, endNodeDeleted)
		}
	}
	s.ec2.TerminateInstance(n.name)
	if s.ctl.Trunk(controller.NodeID(ni)) != nil {
		s.m.trunksDeleted++
	}
	s.feed(controller.Input{Kind: controller.NodeDeleted, Node: controller.NodeID(ni)})
	s.place()
	return nil
}

// refusedMode words why a node's networking mode leaves it without pods
// (aws-node refuses it on Linux; EKS does not support it on Windows),
// without the limits package's prefix.
func refusedMode(os limits.OS, err error) error {
	who := "aws-node does not start, so the node runs no pods"
	if os == limits.OSWindows {
		who = "EKS does not support the mode on Windows, so the node runs no pods"
	}
	var ve *limits.ValueError
	if errors.As(err, &ve) {
		return fmt.Errorf("%s: %s (want %s)", who, ve.Input, ve.Valid)
	}
	return fmt.Errorf("%s: %w", who, err)
}

// podSlots is kubelet's max pods for a node of type typ under net, less
// the host-network pods, which Windows nodes do not run.
func (s *Sim) podSlots(typ limits.InstanceType, net limits.Networking) int {
	host := s.cfg.HostNetworkPods
	if net.OS == limits.OSWindows {
		host = 0
	}
	return max(0, typ.MaxPodsFor(net)-host)
}

// whyNoTrunk says in plain words why a node cannot hold a trunk, without
// the package prefix an error carries.
func whyNoTrunk(err error) string { return controller.WhyNoTrunk(err) }
