package sim

import (
	"errors"
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/cni"
	"github.com/trunksim/trunksim/controller"
	"github.com/trunksim/trunksim/limits"
)

// AddNode adds a node that joins the cluster now. With ENABLE_POD_ENI on,
// its CNI asks for a trunk (the CNINode feature SecurityGroupsForPods) and
// the controller initialises one if the node can hold it.
func (s *Sim) AddNode(spec NodeSpec) error { return s.addNode(spec, 0) }

// addNode adds a node; claim is 1 + the Karpenter NodeClaim it is, or 0.
func (s *Sim) addNode(spec NodeSpec, claim int32) error {
	if spec.Name == "" {
		return &ObjectError{"node", spec.Name, fmt.Errorf("%w: name is required", ErrBadSpec)}
	}
	if _, ok := s.nodeIndex[spec.Name]; ok {
		return &ObjectError{"node", spec.Name, ErrDuplicate}
	}
	if spec.MaxPods < 0 {
		return &ObjectError{"node", spec.Name, fmt.Errorf("%w: negative max pods %d", ErrBadSpec, spec.MaxPods)}
	}
	typ, err := s.cfg.Limits.Lookup(spec.InstanceType)
	var unlisted error
	maxPods := spec.MaxPods // kubelet's override; zero means the EKS default for the mode
	if err != nil {
		if typ, maxPods, unlisted, err = s.unlistedType(spec); err != nil {
			return &ObjectError{"node", spec.Name, err}
		}
	}
	os := spec.OS
	if os == 0 {
		os = limits.OSLinux
	}
	if os != limits.OSLinux && os != limits.OSWindows {
		return &ObjectError{"node", spec.Name, fmt.Errorf("%w: unknown OS %d", ErrBadSpec, os)}
	}
	for _, id := range spec.SecurityGroups {
		if !id.IsValid() {
			return &ObjectError{"node", spec.Name, fmt.Errorf("%w: the zero security group ID", ErrBadSpec)}
		}
	}
	net := s.cfg.CNI.Networking(os, maxPods)
	if spec.TrunkAttached {
		if err := s.attachedTrunkErr(typ, os, net, unlisted); err != nil {
			return &ObjectError{"node", spec.Name, fmt.Errorf("%w: TrunkAttached: %w", ErrBadSpec, err)}
		}
	}
	switch u := spec.UnownedBranches; {
	case u < 0:
		return &ObjectError{"node", spec.Name, fmt.Errorf("%w: UnownedBranches: negative count %d", ErrBadSpec, u)}
	case u > 0 && !spec.TrunkAttached:
		return &ObjectError{"node", spec.Name, fmt.Errorf("%w: UnownedBranches: %d branches need the trunk attached (TrunkAttached)", ErrBadSpec, u)}
	case u > typ.BranchInterfaces:
		return &ObjectError{"node", spec.Name, fmt.Errorf("%w: UnownedBranches: %d, more than the %d branches a %s trunk takes", ErrBadSpec, u, typ.BranchInterfaces, typ.Name)}
	}
	n := &node{name: spec.Name, typ: typ, os: os, labels: maps.Clone(spec.Labels), joined: s.Now(),
		net: net, slots: s.podSlots(typ, net), cniMaxPods: unlisted != nil && spec.MaxPods == 0,
		groups: branch.NewGroupSet(spec.SecurityGroups...), claim: claim}
	ni := int32(len(s.nodes))
	s.nodes = append(s.nodes, n)
	s.nodeIndex[n.name] = ni
	s.tr.rec(s.Now(), "NodeAdded", "node/"+n.name, typ.Name+" "+os.String())
	s.m.nodes++

	n.ineligible = typ.CanTrunk(os)
	if unlisted != nil && os == limits.OSLinux {
		n.ineligible = unlisted
	}
	wants := !s.cfg.CNI.DisablePodENI // else aws-node never adds the SecurityGroupsForPods feature
	if err := net.Validate(); err != nil {
		// pkg/ipamd/ipamd.go isConfigValid: aws-node exits, so the node
		// neither wires pods nor asks for a trunk.
		wants, n.noIPs = false, true
		n.ineligible = refusedMode(os, err)
		s.event("Warning", "Unsupported", "node/"+n.name, whyNoTrunk(n.ineligible))
	} else if wants {
		wants = s.asksForTrunk(n)
	}
	join := &controller.Join{Name: n.name, Type: typ, OS: os, WantsTrunk: wants, Unlisted: unlisted}
	if spec.TrunkAttached {
		if join.Trunk, err = s.ec2.AddTrunk(n.name, n.groups); err != nil {
			s.fail(err) // cannot be: the node has a name
		}
		n.trunkAtJoin = true
		for range spec.UnownedBranches {
			n.existingVLANs++
			if _, _, err := s.ec2.AddBranch(join.Trunk, n.groups, branch.VLAN(n.existingVLANs)); err != nil {
				s.fail(err) // cannot be: the trunk was just added, and the VLANs stay below its limit
			}
		}
		n.unowned = uint16(spec.UnownedBranches)
		if u := spec.UnownedBranches; u > 0 {
			s.tr.rec(s.Now(), "UnownedBranchesAdded", "node/"+n.name, strconv.Itoa(u))
		}
	}
	s.feed(controller.Input{Kind: controller.NodeJoined, Node: controller.NodeID(ni), Join: join})
	s.refit(ni)
	s.place()
	return nil
}

// unlistedType handles a node whose instance type the modelled release's
// table lacks. As upstream, such a node still joins: its EC2 figures
// (interfaces, addresses) are those of the newest release's table that
// has the type, it can never hold a trunk, and its max pods are
// spec.MaxPods or else the VPC CNI's eni-max-pods.txt figure. A type no
// release knows stays an unknown type, as a misspelt name is.
func (s *Sim) unlistedType(spec NodeSpec) (typ limits.InstanceType, maxPods int, unlisted, err error) {
	_, lookupErr := s.cfg.Limits.Lookup(spec.InstanceType)
	newest, ok := limits.NewestReleaseWith(spec.InstanceType)
	if !ok {
		return typ, 0, nil, lookupErr
	}
	tbl, err := limits.ForRelease(newest)
	if err != nil {
		return typ, 0, nil, err
	}
	if typ, err = tbl.Lookup(spec.InstanceType); err != nil {
		return typ, 0, nil, err
	}
	typ.TrunkingCompatible, typ.BranchInterfaces = false, 0
	maxPods = spec.MaxPods
	if maxPods == 0 {
		if maxPods, ok = limits.CNIMaxPods(typ.Name); !ok {
			return typ, 0, nil, fmt.Errorf("%w: MaxPods: instance type %s is not in the instance table of %s, and the VPC CNI's %s does not list it either; give the node's max pods (scenario: maxPods) or use controller release %s",
				ErrBadSpec, typ.Name, s.tableName(), limits.CNIMaxPodsSource(), newest)
		}
	}
	if maxPods < s.cfg.HostNetworkPods {
		return typ, 0, nil, fmt.Errorf("%w: MaxPods is %d, fewer than the %d host-network pods", ErrBadSpec, maxPods, s.cfg.HostNetworkPods)
	}
	unlisted = &limits.NotInReleaseError{Type: typ.Name, Release: s.cfg.Limits.Release(), Newest: newest}
	return typ, maxPods, unlisted, nil
}

// tableName names the instance table the run uses, for messages.
func (s *Sim) tableName() string {
	if r := s.cfg.Limits.Release(); r != "" {
		return "controller release " + r
	}
	return "the given table"
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
	s.left.note(s.ec2, n.name, s.Now())
	if s.ctl.Trunk(controller.NodeID(ni)) != nil {
		s.m.trunksDeleted++
	}
	s.feed(controller.Input{Kind: controller.NodeDeleted, Node: controller.NodeID(ni)})
	if s.prov != nil {
		s.provNodeGone(n)
	}
	if s.as != nil {
		s.asNodeGone(n)
	}
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

// ipPoolInterval is how often ipamd reconciles its pool and, while a node
// has no trunk, asks for one again (pkg/ipamd/ipamd.go
// ipPoolMonitorInterval, 5 s; updateIPPoolIfRequired).
const ipPoolInterval = 5 * time.Second

// EnablePodENI turns ENABLE_POD_ENI on in the aws-node DaemonSet while the
// simulation runs. aws-node restarts on every node, all at once (an
// assumption: the DaemonSet rolls 10% of its pods at a time), and asks for
// a trunk where it finds an interface slot free: on a node whose ordinary
// pods' addresses and warm pool hold every interface it may use
// ([limits.InstanceType.ENIsHeld]) it asks nothing (pkg/ipamd/ipamd.go
// tryEnableSecurityGroupsForPods) and asks again, from its pool loop every
// 5 s, once enough of those pods have left for an interface to be freed.
// Until then that node gets no trunk and no security-group pod; the
// report names such nodes. It fails, changing nothing, when ENABLE_POD_ENI
// is on already.
func (s *Sim) EnablePodENI() error {
	if !s.cfg.CNI.DisablePodENI {
		return &ObjectError{"aws-node", "ENABLE_POD_ENI", fmt.Errorf("%w: it is on already", ErrBadSpec)}
	}
	s.cfg.CNI.DisablePodENI = false
	s.podENIEnabled, s.podENIEnabledAt = true, s.Now()
	s.tr.rec(s.Now(), "PodENIEnabled", "daemonset/kube-system/aws-node", "ENABLE_POD_ENI=true")
	for ni, n := range s.nodes {
		if n.gone || n.noIPs || n.os != limits.OSLinux {
			continue
		}
		if s.asksForTrunk(n) {
			s.feed(controller.Input{Kind: controller.TrunkRequested, Node: controller.NodeID(ni)})
		}
		s.refit(int32(ni))
	}
	s.place()
	return nil
}

// ordinaryPodLeft gives aws-node on node ni, which found no slot for a
// trunk, its next look: ipPoolInterval after the interface it needs is
// freed.
func (s *Sim) ordinaryPodLeft(ni int32) {
	n := s.nodes[ni]
	var slot *noTrunkSlotError
	if !errors.As(n.ineligible, &slot) || slot.pods == 0 || n.askPending || !n.typ.TrunkSlotAt(n.net, n.ipPods) {
		return
	}
	n.askPending = true
	s.after(ipPoolInterval, s.evAskTrunk, uint64(ni))
}

// askTrunkAgain is aws-node's pool loop on node ni finding the slot free.
func (s *Sim) askTrunkAgain(arg uint64) {
	ni := int32(arg)
	n := s.nodes[ni]
	n.askPending = false
	if n.gone || !n.typ.TrunkSlotAt(n.net, n.ipPods) {
		return // pods came back first; the next departure looks again
	}
	n.ineligible = nil
	if s.asksForTrunk(n) {
		s.tr.rec(s.Now(), "TrunkRequested", "node/"+n.name, "an interface slot is free")
		s.feed(controller.Input{Kind: controller.TrunkRequested, Node: controller.NodeID(ni)})
	}
	s.refit(ni)
	s.place()
}

// asksForTrunk reports whether aws-node, starting with ENABLE_POD_ENI on,
// asks for a trunk on node n and the controller takes the node, and says
// why not in n.ineligible: at a join the node runs no pod, later its
// ordinary pods hold addresses on interfaces that may leave no slot.
func (s *Sim) asksForTrunk(n *node) bool {
	switch {
	case s.cfg.CNI.IPFamily == cni.IPv6 && !s.cfg.CNI.Version.Has(cni.FeatureIPv6Branches):
		n.ineligible = fmt.Errorf("CNI %v does not support security groups for pods in IPv6 clusters (from v1.16.0)", s.cfg.CNI.Version)
		s.event("Warning", "Unsupported", "node/"+n.name, whyNoTrunk(n.ineligible))
		return false
	case n.labels[LabelComputeType] == "auto":
		// The node reconciler returns before the node manager sees it, so
		// the node gets no trunk and no event.
		n.ineligible = errAutoMode
		return false
	case n.ineligible == nil && !n.typ.TrunkSlotAt(n.net, n.ipPods):
		// aws-node only logs "No slot available for a trunk ENI to be
		// attached." and never adds the feature, so the controller never
		// manages the node and records no event.
		n.ineligible = &noTrunkSlotError{maxENI: n.net.MaxENI, held: n.typ.ENIsHeld(n.net, n.ipPods), pods: n.ipPods}
		return false
	}
	return true
}

// errAutoMode is why an EKS Auto Mode node gets no trunk.
var errAutoMode = errors.New("EKS Auto Mode node (" + LabelComputeType + "=auto): the resource controller's node reconciler skips it (controllers/core/node_controller.go)")

// noTrunkSlotError is why a node's aws-node does not ask for a trunk:
// MAX_ENI leaves it only the primary ENI, or its ordinary pods' addresses
// hold every interface it may use.
type noTrunkSlotError struct{ maxENI, held, pods int }

func (e *noTrunkSlotError) Error() string {
	if e.pods > 0 {
		return fmt.Sprintf("aws-node finds no interface slot for a trunk: its %d ordinary pods' addresses and the warm pool hold all %d interfaces (CNI pkg/ipamd/ipamd.go tryEnableSecurityGroupsForPods; it asks again once pods leave and an interface is freed)", e.pods, e.held)
	}
	return fmt.Sprintf("aws-node finds no interface slot for a trunk: MAX_ENI %d leaves only the primary ENI (CNI pkg/ipamd/ipamd.go tryEnableSecurityGroupsForPods)", e.maxENI)
}

// whyNoTrunk says in plain words why a node cannot hold a trunk, without
// the package prefix an error carries.
func whyNoTrunk(err error) string { return controller.WhyNoTrunk(err) }
