package fakeec2

import (
	"errors"
	"fmt"

	"github.com/trunksim/trunksim/branch"
)

// ErrExisting is wrapped by every *ExistingError.
var ErrExisting = errors.New("cannot add the interface")

// ExistingError is why [EC2.AddTrunk] or [EC2.AddBranch] refused an
// interface, naming the interface or instance it was about.
type ExistingError struct {
	Object string // "instance i-1" or "trunk eni-..."
	Why    string
}

func (e *ExistingError) Error() string {
	return fmt.Sprintf("fakeec2: %s: %v: %s", e.Object, ErrExisting, e.Why)
}

// Unwrap returns ErrExisting.
func (e *ExistingError) Unwrap() error { return ErrExisting }

// AddTrunk adds an attached trunk interface for instance with the given
// groups, as one made before the run: no call is counted or throttled,
// and DescribeNetworkInterfaces finds it attached at once. An instance
// has at most one trunk.
func (e *EC2) AddTrunk(instance string, groups branch.GroupSet) (branch.ENIID, error) {
	if instance == "" {
		return branch.ENIID{}, &ExistingError{Object: "instance", Why: "no instance named"}
	}
	for _, r := range e.enis.ofInstance(instance) {
		if r.Kind == TrunkInterface {
			return branch.ENIID{}, &ExistingError{Object: "instance " + instance, Why: "already has trunk " + r.ID.String()}
		}
	}
	r := e.record(TrunkInterface, instance, branch.ENIID{}, groups, 0)
	r.Attached = true
	return r.ID, nil
}

// AddBranch adds a branch interface with the given groups, associated
// with trunk on vlan, as one the controller made before the run (tagged
// with the trunk's ID and the VLAN, as upstream tags its branches): no
// call is counted or throttled. Keeping VLANs unique on a trunk is the
// caller's, as it is the controller's; the controller's rebuild refuses
// two branches on one VLAN.
func (e *EC2) AddBranch(trunk branch.ENIID, groups branch.GroupSet, vlan branch.VLAN) (branch.ENIID, string, error) {
	t := e.enis.find(trunk)
	if t == nil || t.Kind != TrunkInterface {
		return branch.ENIID{}, "", &ExistingError{Object: "trunk " + trunk.String(), Why: "no such trunk interface"}
	}
	if !vlan.IsValid() {
		return branch.ENIID{}, "", &ExistingError{Object: "trunk " + trunk.String(), Why: fmt.Sprintf("VLAN %d is out of range", vlan)}
	}
	r := e.record(BranchInterface, t.Instance, trunk, groups, vlan)
	var buf [len(assocPrefix) + 17]byte
	r.Association = string(AppendENIDigits(append(buf[:0], assocPrefix...), r.num))
	return r.ID, r.Association, nil
}

// AddAvailableBranch adds a branch interface no trunk holds, in state
// "available", as a deleted node leaves one behind: tagged by the
// controller, so the cluster ENI cleaner lists it, and associated with
// nothing (resource controller pkg/aws/ec2/api/cleanup/eni_cleanup.go
// lists the available interfaces with the controller's tags). No call is
// counted or throttled.
func (e *EC2) AddAvailableBranch(groups branch.GroupSet) branch.ENIID {
	return e.record(BranchInterface, "", branch.ENIID{}, groups, 0).ID
}

// record stores a new interface with the next ID.
func (e *EC2) record(kind InterfaceKind, instance string, trunk branch.ENIID, groups branch.GroupSet, vlan branch.VLAN) *eniRecord {
	e.next++
	// Records are carved from blocks; a block goes once all its
	// interfaces are deleted, which happens about in creation order.
	if len(e.block) == 0 {
		e.block = make([]eniRecord, 64)
	}
	r := &e.block[0]
	e.block = e.block[1:]
	*r = eniRecord{Interface{ID: branch.ENIIDFromUint64(e.next), Kind: kind, Instance: instance, Trunk: trunk, Groups: groups, VLAN: vlan}, e.next}
	e.enis.add(r)
	return r
}
