package sim

import (
	"errors"
	"fmt"
	"github.com/trunksim/trunksim/branch"
	"maps"
	"time"

	"github.com/trunksim/trunksim/cni"
	"github.com/trunksim/trunksim/limits"
	"github.com/trunksim/trunksim/trunk"
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
	n := &node{name: spec.Name, typ: typ, os: os, labels: maps.Clone(spec.Labels), joined: s.Now(), sweepAt: s.Now(),
		slots: typ.MaxPods() - s.cfg.HostNetworkPods}
	ni := int32(len(s.nodes))
	s.nodes = append(s.nodes, n)
	s.nodeIndex[n.name] = ni
	s.tr.rec(s.Now(), "NodeAdded", "node/"+n.name, typ.Name+" "+os.String())
	s.m.nodes++

	n.ineligible = typ.CanTrunk(os)
	switch {
	case s.cfg.CNI.DisablePodENI:
		// aws-node never adds the SecurityGroupsForPods feature.
	case s.cfg.CNI.IPFamily == cni.IPv6 && !s.cfg.CNI.Version.Has(cni.FeatureIPv6Branches):
		n.ineligible = fmt.Errorf("CNI %v does not support security groups for pods in IPv6 clusters (from v1.16.0)", s.cfg.CNI.Version)
		s.event("Warning", "Unsupported", "node/"+n.name, whyNoTrunk(n.ineligible))
	case errors.Is(n.ineligible, limits.ErrWindows):
		// provider.go IsInstanceSupported: Windows is refused without an event.
	case n.ineligible != nil:
		// provider.go IsInstanceSupported: a Warning on every Init and update.
		s.event("Warning", "Unsupported", "node/"+n.name, whyNoTrunk(n.ineligible))
		s.m.unsupported++
	default:
		s.startInit(ni)
	}
	s.refit(ni)
	s.place()
	return nil
}

// DeleteNode removes a node: its pods are deleted (their branches go to
// the cool-down queue), and NodeDeleteDelay later every branch left on
// its trunk is deleted, cool-down or not (manager.go DeleteNode,
// provider.go DeleteNode, trunk.go DeleteAllBranchENIs).
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
			s.terminate(pi, Deleted, "evicted: node deleted")
		}
	}
	s.ec2.terminate(n.name)
	if n.trunk != nil {
		s.m.trunksDeleted++
	}
	s.after(s.cfg.Controller.NodeDeleteDelay, s.evWipe, uint64(ni))
	s.place()
	return nil
}

// wipe is the NodeDelete job's start: every branch left on the trunk.
func (s *Sim) wipe(arg uint64) {
	n := s.nodes[arg]
	if n.trunk == nil {
		return
	}
	left := n.trunk.Wipe()
	n.trunk, n.ready = nil, false
	s.refit(int32(arg))
	s.noteTrunk(n)
	s.cancel(n.sweepTimer)
	n.sweeping = false
	if len(left) > 0 {
		s.submit(s.newJob(job{kind: jobWipe, node: int32(arg), pool: &s.branchPool, del: left}))
	}
}

func (s *Sim) startInit(ni int32) {
	n := s.nodes[ni]
	n.initing = true
	j := s.newJob(job{kind: jobInit, node: ni, pool: &s.nodePool})
	s.submit(j)
}

// Stages of a node Init (instance.go LoadDetails, trunk.go InitTrunk,
// helper.go CreateAndAttachNetworkInterface): DescribeInstances,
// DescribeSubnets, DescribeInstances for the interfaces, then a new trunk:
// Create, Permission, Attach, Modify (DeleteOnTermination), and
// DescribeNetworkInterfaces polls until attached.
const (
	iStart uint8 = iota
	iDescribed
	iSubnets
	iInterfaces
	iCreated
	iPermitted
	iAttached
	iModified
	iPolled
	iAdvertised
)

func (s *Sim) stepInit(j int32) {
	jb := s.jobs[j]
	n := s.nodes[jb.node]
	if n.gone {
		s.endInit(j, nil)
		return
	}
	if jb.err != nil && jb.stage > iStart {
		s.endInit(j, jb.err)
		return
	}
	switch jb.stage {
	case iStart:
		s.call(j, DescribeInstances)
	case iDescribed:
		s.call(j, DescribeSubnets)
	case iSubnets:
		s.call(j, DescribeInstances)
	case iInterfaces:
		if n.trunkID.IsValid() {
			// The trunk survived a controller restart: check it is
			// attached, then rebuild its branches.
			jb.existing = true
			jb.stage = iModified
			s.call(j, DescribeNetworkInterfaces)
			return
		}
		s.call(j, CreateNetworkInterface)
	case iCreated:
		s.call(j, CreateNetworkInterfacePermission)
	case iPermitted:
		s.call(j, AttachNetworkInterface)
	case iAttached:
		jb.mark = s.Now()  // attachment begins
		n.trunkID = jb.eni // from now on DescribeInstances shows it
		s.call(j, ModifyNetworkInterfaceAttribute)
	case iModified:
		s.call(j, DescribeNetworkInterfaces)
	case iPolled:
		if !jb.existing && s.Now()-jb.mark < s.cfg.EC2.AttachDelay {
			// helper.go waitForENIAttachment: 1 s doubling, 7 steps.
			if jb.polls >= 6 {
				s.endInit(j, errors.New("trunk ENI did not reach attached"))
				return
			}
			delay := time.Second << jb.polls
			jb.polls++
			jb.stage = iModified
			s.after(delay, s.ev, uint64(j))
			return
		}
		if jb.existing && !jb.listed {
			// helper.go GetBranchNetworkInterface: DescribeNetworkInterfaces
			// filtered by the trunk's tag lists its branches.
			jb.listed = true
			jb.stage = iModified
			s.call(j, DescribeNetworkInterfaces)
			return
		}
		t, err := trunk.New(n.name, n.typ, n.os)
		if err != nil {
			s.endInit(j, err)
			return
		}
		if jb.existing {
			if err := s.restoreTrunk(jb.node, t); err != nil {
				s.endInit(j, err)
				return
			}
		}
		n.trunk = t
		s.refit(jb.node)
		s.noteTrunk(n)
		n.sweepAt = s.Now()
		s.apiCall(j) // advertise vpc.amazonaws.com/pod-eni
	case iAdvertised:
		n.ready = true
		s.refit(jb.node)
		if !jb.existing {
			s.m.trunksCreated++
			s.m.trunkReady = append(s.m.trunkReady, s.Now()-n.joined)
		}
		s.event("Normal", "NodeTrunkInitiated", "node/"+n.name, fmt.Sprintf("trunk %v; pod-eni capacity %d", n.trunkID, n.typ.BranchInterfaces))
		ni := jb.node
		s.endInit(j, nil) // clears *jb
		s.kickSweep(ni)
		s.place()
		for _, pi := range s.boundPods(ni) {
			if p := s.pods[pi]; p.needsBranch && p.phase == Pending {
				s.enqueueCreate(pi, 0)
			}
		}
	}
}

func (s *Sim) endInit(j int32, err error) {
	jb := s.jobs[j]
	n := s.nodes[jb.node]
	n.initing = false
	if err != nil {
		if jb.eni.IsValid() && !jb.existing {
			// helper.go rolls back a half-made trunk.
			_ = s.ec2.DeleteNetworkInterface(s.Now(), jb.eni)
			n.trunkID = branch.ENIID{}
		}
		var ae *APIError
		if errors.As(err, &ae) {
			s.event("Warning", "TrunkENICreationFailed", "node/"+n.name, err.Error())
		}
		s.event("Normal", "NodeTrunkFailedInit", "node/"+n.name, err.Error())
		// manager.go performAsyncOperation: no requeue; the next resync retries.
	}
	s.finish(j)
}

// whyNoTrunk says in plain words why a node cannot hold a trunk, without
// the package prefix an error carries.
func whyNoTrunk(err error) string {
	var ie *limits.IneligibleError
	if errors.As(err, &ie) {
		return ie.Type + " cannot hold a trunk ENI: " + ie.Detail()
	}
	return err.Error()
}
