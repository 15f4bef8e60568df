package trunk

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/trunksim/trunksim/branch"
)

var (
	// ErrNoCapacity means the pods in use plus the delete queue already
	// fill the node's branch limit (trunk.go canCreateMore; upstream
	// ErrCurrentlyAtMaxCapacity). Upstream requeues the pod after one
	// cool-down. Returned wrapped in a [*CapacityError].
	ErrNoCapacity = errors.New("trunk: no branch capacity left")
	// ErrNoFreeVLAN means every VLAN ID in 1..120 is held. The capacity
	// gate keeps this from happening unless VLANs leaked
	// ([Trunk.DeleteFailed]). Returned wrapped in an [*OpError].
	ErrNoFreeVLAN = errors.New("trunk: no free VLAN ID")
	// ErrPodHasBranch means the pod already holds a reserved or bound
	// branch, or claims two. Upstream refuses a second creation for a UID
	// that still has cached branches. Returned wrapped in an [*OpError] or
	// a [*ClaimError].
	ErrPodHasBranch = errors.New("trunk: pod already has a branch")
	// ErrUnknownPod means the trunk holds no branch for the pod. Returned
	// wrapped in an [*OpError].
	ErrUnknownPod = errors.New("trunk: unknown pod")
	// ErrNotBound means the pod holds a reservation but no ENI yet. It
	// matches [ErrUnknownPod] as well, because upstream caches a pod only
	// once its branch has been created and associated. Returned wrapped in
	// an [*OpError].
	ErrNotBound error = &chainedError{msg: "trunk: pod's branch has no ENI yet", parent: ErrUnknownPod}
	// ErrUnknownENI means the ENI is not where the call needs it: not being
	// deleted, for [Trunk.Deleted] and [Trunk.DeleteFailed]; not the pod's
	// ENI, for [Trunk.Abort]. Returned wrapped in an [*OpError].
	ErrUnknownENI = errors.New("trunk: unknown ENI")
	// ErrENIConflict means the ENI already belongs to another branch of
	// this trunk. Returned wrapped in an [*OpError] or a [*ClaimError].
	ErrENIConflict = errors.New("trunk: ENI already tracked")
	// ErrVLANConflict means two claims name the same VLAN ID. Returned
	// wrapped in a [*ClaimError].
	ErrVLANConflict = errors.New("trunk: VLAN ID claimed twice")
	// ErrInvalidVLAN means a VLAN ID outside [branch.MinVLAN] ..
	// [branch.MaxVLAN]. Returned wrapped in a [*ClaimError].
	ErrInvalidVLAN = errors.New("trunk: VLAN ID out of range")
	// ErrInvalidENI means the zero [branch.ENIID]. Returned wrapped in an
	// [*OpError] or a [*ClaimError].
	ErrInvalidENI = errors.New("trunk: invalid ENI ID")
	// ErrInvalidPod means an empty pod UID. Returned wrapped in an
	// [*OpError] or a [*ClaimError].
	ErrInvalidPod = errors.New("trunk: empty pod UID")
	// ErrInvalidNode means an empty node name. Returned wrapped in an
	// [*OpError].
	ErrInvalidNode = errors.New("trunk: empty node name")
	// ErrNotEmpty means [Trunk.Restore] was called on a trunk that already
	// tracks branches. Returned wrapped in an [*OpError].
	ErrNotEmpty = errors.New("trunk: trunk is not empty")
	// ErrTimeBackwards means a time earlier than one the trunk has already
	// seen, or negative. The delete queue relies on time order. Returned
	// wrapped in a [*TimeError].
	ErrTimeBackwards = errors.New("trunk: time went backwards")
	// ErrInvariant means [Trunk.Check] found the state inconsistent.
	// Returned wrapped in an [*InvariantError].
	ErrInvariant = errors.New("trunk: invariant violated")
)

// chainedError is a sentinel that also matches a broader sentinel.
type chainedError struct {
	msg    string
	parent error
}

func (e *chainedError) Error() string { return e.msg }
func (e *chainedError) Unwrap() error { return e.parent }

// detail strips the package prefix from a sentinel's text for use inside
// a message that already carries it.
func detail(err error) string {
	return strings.TrimPrefix(err.Error(), "trunk: ")
}

// nodePrefix starts every message about a node.
func nodePrefix(node string) string {
	return "trunk: node " + strconv.Quote(node) + ": "
}

// OpError reports a refused call, naming the operation and its inputs.
type OpError struct {
	// Op is the method that failed, such as "Bind".
	Op string
	// Node is the trunk's node.
	Node string
	// Pod is the pod UID given, empty when the call takes none.
	Pod string
	// ENI is the ENI given, the zero value when the call takes none.
	ENI branch.ENIID
	// Err is the sentinel, or for [New] the error from package limits.
	Err error
}

// Error reads, for example,
// `trunk: node "ip-10-0-1-7": Bind pod "p1" eni-00000000000000002: ENI already tracked`.
func (e *OpError) Error() string {
	var b strings.Builder
	b.WriteString(nodePrefix(e.Node))
	b.WriteString(e.Op)
	if e.Pod != "" {
		b.WriteString(" pod ")
		b.WriteString(strconv.Quote(e.Pod))
	}
	if e.ENI.IsValid() {
		b.WriteByte(' ')
		b.WriteString(e.ENI.String())
	}
	b.WriteString(": ")
	b.WriteString(detail(e.Err))
	return b.String()
}

// Unwrap returns Err.
func (e *OpError) Unwrap() error { return e.Err }

// CapacityError reports the capacity gate refusing a branch: InUse +
// Cooling has reached Limit.
type CapacityError struct {
	// Node is the trunk's node.
	Node string
	// Pod is the pod that asked, empty for [Trunk.Restore].
	Pod string
	// InUse counts reserved and bound branches (for Restore: claims).
	InUse int
	// Cooling counts the delete queue (for Restore: orphans).
	Cooling int
	// Limit is the node's branch limit.
	Limit int
}

// Error reads, for example,
// `trunk: node "ip-10-0-1-7": pod "p10": no branch capacity left: 7 in use + 2 cooling, limit 9`.
func (e *CapacityError) Error() string {
	msg := nodePrefix(e.Node)
	if e.Pod != "" {
		msg += "pod " + strconv.Quote(e.Pod) + ": "
	}
	return msg + detail(ErrNoCapacity) + ": " + strconv.Itoa(e.InUse) + " in use + " +
		strconv.Itoa(e.Cooling) + " cooling, limit " + strconv.Itoa(e.Limit)
}

// Unwrap returns [ErrNoCapacity].
func (e *CapacityError) Unwrap() error { return ErrNoCapacity }

// ClaimError reports a claim or orphan that [Trunk.Restore] refused, and
// the earlier entry it collides with, if any.
type ClaimError struct {
	// Node is the trunk's node.
	Node string
	// Pod is the claiming pod's UID; empty for an orphan.
	Pod string
	// ENI and VLAN are the refused entry's.
	ENI  branch.ENIID
	VLAN branch.VLAN
	// HolderPod and HolderENI identify the earlier entry that already took
	// the VLAN, ENI or pod; HolderENI is the zero value when the entry is
	// refused on its own (an out-of-range VLAN, say), and HolderPod is
	// empty when the holder is an orphan.
	HolderPod string
	HolderENI branch.ENIID
	// Err is the sentinel: [ErrVLANConflict], [ErrENIConflict],
	// [ErrPodHasBranch], [ErrInvalidVLAN], [ErrInvalidENI] or
	// [ErrInvalidPod].
	Err error
}

// Error reads, for example,
// `trunk: node "n1": restore: pod "b" (eni-00000000000000002, VLAN 3) conflicts with pod "a" (eni-00000000000000001): VLAN ID claimed twice`.
func (e *ClaimError) Error() string {
	msg := nodePrefix(e.Node) + "restore: " + describeEntry(e.Pod, e.ENI) + ", VLAN " + strconv.Itoa(int(e.VLAN)) + ")"
	if e.HolderENI.IsValid() {
		msg += " conflicts with " + describeEntry(e.HolderPod, e.HolderENI) + ")"
	}
	return msg + ": " + detail(e.Err)
}

// describeEntry names a claim or an orphan, leaving the parenthesis open
// for more detail.
func describeEntry(pod string, eni branch.ENIID) string {
	if pod == "" {
		return "orphan (" + eni.String()
	}
	return "pod " + strconv.Quote(pod) + " (" + eni.String()
}

// Unwrap returns Err.
func (e *ClaimError) Unwrap() error { return e.Err }

// TimeError reports a time earlier than the latest one the trunk has seen.
type TimeError struct {
	// Op is the method that failed.
	Op string
	// Node is the trunk's node.
	Node string
	// Now is the time given; Latest is the latest time seen before.
	Now, Latest time.Duration
}

// Error reads, for example,
// `trunk: node "n1": Release at 10s: time went backwards (latest 1m0s)`.
func (e *TimeError) Error() string {
	return nodePrefix(e.Node) + e.Op + " at " + e.Now.String() + ": " + detail(ErrTimeBackwards) +
		" (latest " + e.Latest.String() + ")"
}

// Unwrap returns [ErrTimeBackwards].
func (e *TimeError) Unwrap() error { return ErrTimeBackwards }

// InvariantError reports the first inconsistency [Trunk.Check] found.
type InvariantError struct {
	// Node is the trunk's node.
	Node string
	// Problem describes the inconsistency.
	Problem string
}

// Error reads, for example,
// `trunk: node "n1": invariant violated: VLAN 3 held by two branches`.
func (e *InvariantError) Error() string {
	return nodePrefix(e.Node) + detail(ErrInvariant) + ": " + e.Problem
}

// Unwrap returns [ErrInvariant].
func (e *InvariantError) Unwrap() error { return ErrInvariant }
