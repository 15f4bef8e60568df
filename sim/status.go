package sim

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/cni"
	"github.com/trunksim/trunksim/controller"
)

// PodStatus is what the simulation knows of one pod.
type PodStatus struct {
	Namespace, Name string
	Phase           Phase
	Node            string // "" while unscheduled
	// NeedsBranch is set when the webhook added the pod-eni request.
	NeedsBranch bool
	// Reason says why a pending pod is not running yet.
	Reason string
	// Annotation is the vpc.amazonaws.com/pod-eni annotation the
	// controller wrote, "" until then.
	Annotation string
	// Created is when the pod was created, Scheduled when it was bound
	// to Node, and Ready when its network became ready (the CNI's ADD
	// succeeded); Scheduled and Ready are zero until then, which Node and
	// NetworkReady tell apart from an instant zero.
	Created, Scheduled, Ready time.Duration
	NetworkReady              bool
	// AlreadyRunning is set for a pod that was running when it was
	// created, before the run (WorkloadSpec.Running): its start-up is no
	// part of the run, and Startup is zero.
	AlreadyRunning bool
	// Startup is a running security-group pod's start-up latency, Ready -
	// Created, by part; its parts add up to that latency. It is zero for
	// other pods, and for pods whose controller record is gone (deleted).
	Startup Breakdown
}

// ENIDetails is one entry of the vpc.amazonaws.com/pod-eni annotation,
// with the keys the controller writes (pkg/provider/branch/trunk/trunk.go,
// ENIDetails): every key always present.
type ENIDetails struct {
	ENIID        string `json:"eniId"`
	IfAddress    string `json:"ifAddress"`
	PrivateIP    string `json:"privateIp"`
	IPv6Addr     string `json:"ipv6Addr"`
	VLANID       int    `json:"vlanId"`
	SubnetCIDR   string `json:"subnetCidr"`
	SubnetV6CIDR string `json:"subnetV6Cidr"`
	Association  string `json:"associationID"`
}

// The subnet the simulated nodes and branches live in. Addresses and MACs
// are derived from ENI numbers, so they are deterministic; they are
// placeholders, not a model of IP allocation.
var (
	simSubnet   = netip.MustParsePrefix("10.0.0.0/16")
	simSubnetV6 = netip.MustParsePrefix("2600:1f14:0:1::/64")
)

// Pod returns a pod's status; ok is false for a pod never created or
// already deleted.
func (s *Sim) Pod(namespace, name string) (PodStatus, bool) {
	pi, ok := s.podIndex[namespace+"/"+name]
	if !ok {
		return PodStatus{}, false
	}
	return s.podStatus(pi), true
}

// Pods returns every pod not deleted, in creation order.
func (s *Sim) Pods() []PodStatus {
	out := make([]PodStatus, 0, len(s.podIndex))
	for pi, p := range s.pods {
		if p.phase != Deleted {
			out = append(out, s.podStatus(int32(pi)))
		}
	}
	return out
}

func (s *Sim) podStatus(pi int32) PodStatus {
	p := s.pods[pi]
	st := PodStatus{Namespace: p.ns(), Name: p.name(), Phase: p.phase, NeedsBranch: p.needsBranch, Reason: s.reasonOf(pi), Created: p.created}
	if p.node >= 0 {
		st.Node, st.Scheduled = s.nodes[p.node].name, p.bound
	}
	if p.phase == Running || p.phase == Succeeded {
		st.Ready, st.NetworkReady = p.ready, true
		st.AlreadyRunning = p.existing
		if p.needsBranch && p.phase == Running && !p.existing {
			node, trunk := s.waits(p)
			st.Startup = parts{p.scheduling, p.kubelet, s.ctl.Parts(controller.PodID(pi)), node, trunk}.mean(1)
		}
	}
	if eni, vlan, _, ok := s.ctl.Annotation(controller.PodID(pi)); ok && p.annotatedOK {
		st.Annotation = s.annotation(eni, vlan)
	}
	return st
}

// annotation renders the pod-eni annotation for a branch.
func (s *Sim) annotation(eni branch.ENIID, vlan branch.VLAN) string {
	n := eniNumber(eni)
	d := ENIDetails{
		ENIID:      eni.String(),
		IfAddress:  fmt.Sprintf("02:00:%02x:%02x:%02x:%02x", byte(n>>24), byte(n>>16), byte(n>>8), byte(n)),
		PrivateIP:  addrAt(simSubnet, n).String(),
		VLANID:     int(vlan),
		SubnetCIDR: simSubnet.String(),
	}
	if s.cfg.CNI.IPFamily == cni.IPv6 {
		d.IPv6Addr = addrAt(simSubnetV6, n).String()
		d.SubnetV6CIDR = simSubnetV6.String()
	}
	if e, ok := s.ec2.Lookup(eni); ok {
		d.Association = e.Association
	}
	b, _ := json.Marshal([]ENIDetails{d}) // cannot fail: plain strings and ints
	return string(b)
}

// eniNumber recovers the counter an ENI ID was made from.
func eniNumber(id branch.ENIID) uint64 {
	var n uint64
	for _, c := range id.String()[len("eni-"):] {
		n <<= 4
		switch {
		case c >= '0' && c <= '9':
			n |= uint64(c - '0')
		default:
			n |= uint64(c-'a') + 10
		}
	}
	return n
}

// addrAt returns the n-th host address of p, skipping the network
// address and the VPC's reserved first addresses.
func addrAt(p netip.Prefix, n uint64) netip.Addr {
	b := p.Addr().AsSlice()
	n += 10
	for i := len(b) - 1; i >= 0 && n > 0; i-- {
		sum := uint64(b[i]) + n&0xff
		b[i] = byte(sum)
		n = n>>8 + sum>>8
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// NodeStatus is what the simulation knows of one node.
type NodeStatus struct {
	Name, InstanceType string
	// Trunk is the trunk ENI, "" while the node has none.
	Trunk string
	// PodENICapacity is the advertised vpc.amazonaws.com/pod-eni: the
	// type's branch interfaces once the trunk is ready, else 0.
	PodENICapacity int
	// BranchesInUse and BranchesCooling count the trunk's branch ENIs.
	BranchesInUse, BranchesCooling int
	// Pods bound to the node and not ended.
	Pods int
	// MaxPods is kubelet's max pods for the node under its networking
	// mode (limits.InstanceType.MaxPodsFor), and PodIPs how many of its
	// pods can get an IP now that its trunk is attached or awaited
	// (limits.IPv6PrefixAddresses in an IPv6 cluster).
	MaxPods, PodIPs int
	// Ineligible says why the node cannot hold a trunk, "" if it can.
	Ineligible string
}

// Nodes returns every node that has not been deleted, sorted by name.
func (s *Sim) Nodes() []NodeStatus {
	var out []NodeStatus
	for ni, n := range s.nodes {
		if n.gone {
			continue
		}
		id := controller.NodeID(ni)
		st := NodeStatus{Name: n.name, InstanceType: n.typ.Name, Pods: n.pods,
			MaxPods: n.typ.MaxPodsFor(n.net), PodIPs: s.ipSlots(n)}
		if s.ctl.Advertised(id) {
			st.Trunk = s.ctl.TrunkID(id).String()
			st.PodENICapacity = n.typ.BranchInterfaces
		}
		if t := s.ctl.Trunk(id); t != nil {
			st.BranchesInUse, st.BranchesCooling = t.InUse(), t.Cooling()
		}
		if n.ineligible != nil {
			st.Ineligible = whyNoTrunk(n.ineligible)
		}
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b NodeStatus) int { return strings.Compare(a.Name, b.Name) })
	return out
}
