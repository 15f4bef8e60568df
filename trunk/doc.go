// Package trunk models one node's trunk ENI as the Amazon VPC resource
// controller keeps it (pkg/provider/branch/trunk/trunk.go): which pod holds
// which branch ENI and VLAN ID, which branch ENIs wait in the delete queue,
// and which are being deleted.
//
// A [Trunk] is a pure state machine. It reads no clock, draws no random
// numbers, starts no goroutines and makes no EC2 calls. The caller passes
// time in as a [time.Duration] since the start of its simulation, makes the
// EC2 calls itself, and reports their outcome back. A Trunk is not safe for
// concurrent use; the simulator owns it.
//
// # Creating a branch
//
// Upstream creates a branch in one locked call that spans three EC2 calls.
// Here the call is split so that virtual time can pass in between:
//
//  1. [Trunk.Reserve] applies the capacity gate (in use + cooling < limit)
//     and assigns the lowest free VLAN ID in 1..120.
//  2. The caller calls CreateNetworkInterface. On failure,
//     [Trunk.Unreserve] frees the VLAN at once.
//  3. The caller grants the permission and associates the branch with the
//     trunk. On failure, [Trunk.Abort] puts the new ENI at the head of the
//     delete queue with no cool-down.
//  4. [Trunk.Bind] records the ENI and its association: the pod's branch is
//     now in use. If annotating the pod then fails, [Trunk.Abort] applies as
//     well.
//
// A reservation counts as in use, so parallel creations cannot overshoot
// the limit.
//
// # Deleting a branch
//
// [Trunk.Release] moves a pod's branch to the tail of the delete queue with
// the current time. [Trunk.Sweep] walks the queue from its head and hands
// out every entry that needs no cool-down or whose cool-down has passed,
// stopping at the first that has not. The caller deletes each and reports
// [Trunk.Deleted], which frees the VLAN, or [Trunk.DeleteFailed], which puts
// the ENI back at the head; after [MaxDeleteRetries] failures the ENI is
// forgotten and its VLAN stays in use ([Trunk.Leaked]). Cool-down values go
// through [ClampCoolDown].
//
// While queued, an ENI counts against the limit and keeps its VLAN. While
// being deleted it keeps its VLAN but, as upstream, no longer counts against
// the limit; if its deletion then fails it counts again, which can briefly
// take the node over its limit (see [Trunk.Check]).
//
// [Trunk.Reconcile] queues the branches of pods that vanished without a
// release, as the controller's periodic leak check does.
//
// # Time
//
// Methods that take the current time ([Trunk.Release], [Trunk.Sweep],
// [Trunk.Reconcile], [Trunk.Restore]) remember the latest one. An earlier
// or negative time is refused with a [*TimeError], because the sweep's
// early stop relies on the queue being in time order. [Trunk.Abort] takes
// no time: its entries need no cool-down.
//
// # Node deletion and restart
//
// [Trunk.Wipe] hands out every branch ENI the trunk tracks, ignoring the
// cool-down, and leaves the trunk empty. [Trunk.Restore] rebuilds an empty
// trunk from the pods' annotations ([Claim]) and the unclaimed branch ENIs
// EC2 still holds, which are queued for deletion with the cool-down.
//
// # Cost
//
// A trunk keeps its branches in a table indexed by VLAN ID, which grows to
// the highest ID used (to the branch limit at first), with the ENIs and
// hashed pod UIDs in arrays beside it. A call looks a pod or an ENI up by
// scanning those arrays, at most 121 entries. Once the table has grown,
// Reserve, Bind, Unreserve, Abort, Release, AppendSweep, Deleted and
// DeleteFailed allocate nothing but their errors. A large cluster has thousands of trunks, each touched now and then, so a
// few adjacent cache lines serve better than maps.
//
// # Errors
//
// Every method that fails leaves the trunk exactly as it was. Errors are
// typed ([*OpError], [*CapacityError], [*ClaimError], [*TimeError],
// [*InvariantError]) and wrap exported sentinels such as [ErrNoCapacity]
// and [ErrUnknownPod], so callers use errors.Is and errors.As. Every message
// starts with "trunk: ".
package trunk
