// Package branch holds the value types of branch ENIs and the rules that
// decide which security groups a pod's branch ENI gets.
//
// # Identifiers
//
// [SecurityGroupID], [ENIID] and [VLAN] are small comparable values in the
// manner of net/netip: == works, they serve as map keys, the zero value is
// invalid (IsValid reports false), and each has a strict Parse function, a
// String method that round-trips through it, and text marshaling. IDs store
// their number, not their text, so comparing and copying cost nothing and
// String allocates once. The simulator mints ENI IDs from a counter with
// [ENIIDFromUint64]; nothing here is random.
//
// # Group sets
//
// A [GroupSet] is the set of security groups one network interface carries,
// in canonical order: built from the same IDs in any order, with any
// repetition, two sets are == and print alike. [GroupSet.CheckQuota]
// applies EC2's security groups per network interface quota
// ([DefaultGroupsPerInterface], at most [MaxGroupsPerInterface]).
//
// # Policies
//
// [Policy] models a SecurityGroupPolicy and [LabelSelector] a Kubernetes
// label selector, with the semantics of k8s.io/apimachinery/pkg/labels.
// [Resolve] computes a pod's groups from a list of policies exactly as the
// controller does (pkg/utils/helper.go); [PolicySet] does the same from an
// index with compiled selectors, for simulations with many pods.
//
// Three meanings of "no selector" must be kept apart: in a [Policy], a nil
// selector is "not set" and does not constrain the pod; a nil
// *LabelSelector on its own matches nothing (labels.Nothing, as
// metav1.LabelSelectorAsSelector(nil)); and the empty selector {} matches
// everything.
//
// # Errors
//
// Every error message starts with "branch: ". Sentinels ([ErrMalformedID],
// [ErrTooManyGroups], [ErrInvalidQuota], [ErrInvalidSelector],
// [ErrInvalidPolicy], [ErrDuplicatePolicy], [ErrPolicyNotFound]) are
// wrapped in typed errors that name the offending input and, for
// selectors and policies, the offending field, so callers use errors.Is and
// errors.As rather than matching text. A failed call changes nothing.
package branch
