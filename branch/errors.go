package branch

import (
	"errors"
	"strconv"
)

var (
	// ErrMalformedID means text is not a well-formed security group ID,
	// ENI ID or VLAN ID. Returned wrapped in a [*ParseError].
	ErrMalformedID = errors.New("branch: malformed ID")
	// ErrTooManyGroups means a group set is larger than the security groups
	// per network interface quota; EC2 refuses such an interface. Returned
	// wrapped in a [*QuotaError].
	ErrTooManyGroups = errors.New("branch: too many security groups for one network interface")
	// ErrInvalidQuota means a security groups per network interface quota
	// lies outside 1..[MaxGroupsPerInterface]. Returned wrapped in an
	// [*InvalidQuotaError].
	ErrInvalidQuota = errors.New("branch: invalid security groups per interface quota")
	// ErrInvalidSelector means a label selector breaks the Kubernetes
	// label selector rules. Returned wrapped in a [*SelectorError].
	ErrInvalidSelector = errors.New("branch: invalid label selector")
	// ErrInvalidPolicy means a SecurityGroupPolicy breaks a rule of
	// [Policy.Validate]. Returned wrapped in a [*PolicyError].
	ErrInvalidPolicy = errors.New("branch: invalid SecurityGroupPolicy")
	// ErrDuplicatePolicy means a [PolicySet] already holds a policy with
	// that namespace and name. Returned wrapped in a [*PolicyError].
	ErrDuplicatePolicy = errors.New("branch: SecurityGroupPolicy already exists")
	// ErrPolicyNotFound means a [PolicySet] holds no policy with that
	// namespace and name. Returned wrapped in a [*PolicyError].
	ErrPolicyNotFound = errors.New("branch: SecurityGroupPolicy not found")
)

// ParseError reports text that is not a well-formed ID of some kind.
type ParseError struct {
	// Kind is what the text should have been: "security group ID",
	// "ENI ID" or "VLAN ID".
	Kind string
	// Input is the text given, exactly as given.
	Input string
	// Why says what is wrong with Input.
	Why string
}

// Error reads, for example,
// `branch: malformed security group ID "sg-12AB34CD": character 'A' at offset 5 is uppercase; want lowercase hex`.
func (e *ParseError) Error() string {
	return "branch: malformed " + e.Kind + " " + strconv.Quote(e.Input) + ": " + e.Why
}

// Unwrap returns [ErrMalformedID].
func (e *ParseError) Unwrap() error { return ErrMalformedID }

// QuotaError reports a group set larger than the quota it was checked
// against.
type QuotaError struct {
	// Groups is the offending set, in canonical order.
	Groups GroupSet
	// Limit is the quota the set was checked against.
	Limit int
}

// Error reads, for example,
// `branch: 6 security groups [sg-…, …] exceed the limit of 5 per network interface`.
func (e *QuotaError) Error() string {
	return "branch: " + strconv.Itoa(e.Groups.Len()) + " security groups " + e.Groups.String() +
		" exceed the limit of " + strconv.Itoa(e.Limit) + " per network interface"
}

// Unwrap returns [ErrTooManyGroups].
func (e *QuotaError) Unwrap() error { return ErrTooManyGroups }

// InvalidQuotaError reports a security groups per network interface quota
// that EC2 cannot have.
type InvalidQuotaError struct {
	// Limit is the quota given.
	Limit int
}

// Error reads, for example,
// `branch: security groups per interface quota 17 is outside 1..16`.
func (e *InvalidQuotaError) Error() string {
	return "branch: security groups per interface quota " + strconv.Itoa(e.Limit) +
		" is outside 1.." + strconv.Itoa(MaxGroupsPerInterface)
}

// Unwrap returns [ErrInvalidQuota].
func (e *InvalidQuotaError) Unwrap() error { return ErrInvalidQuota }

// SelectorError reports the first rule a label selector breaks.
type SelectorError struct {
	// Field is the path of the offending field inside the selector, such
	// as `matchLabels` or `matchExpressions[1].values`.
	Field string
	// Why says what is wrong, naming the offending key or value.
	Why string
}

// Error reads, for example,
// `branch: invalid label selector: matchExpressions[1].values: must be non-empty for In and NotIn`.
func (e *SelectorError) Error() string {
	return "branch: invalid label selector: " + e.Field + ": " + e.Why
}

// Unwrap returns [ErrInvalidSelector].
func (e *SelectorError) Unwrap() error { return ErrInvalidSelector }

// PolicyError reports a SecurityGroupPolicy that is malformed, or that a
// [PolicySet] cannot add, update or remove.
type PolicyError struct {
	// Namespace and Name identify the policy, exactly as given.
	Namespace, Name string
	// Field is the path of the offending field in the CRD's terms, such
	// as "metadata.name" or "spec.podSelector.matchExpressions[0].key";
	// empty when the policy as a whole is the problem.
	Field string
	// Why says what is wrong.
	Why string
	// Err is the sentinel: [ErrInvalidPolicy], [ErrDuplicatePolicy] or
	// [ErrPolicyNotFound].
	Err error
	// Cause is the underlying error, such as a [*SelectorError]; nil when
	// there is none.
	Cause error
}

// Error reads, for example,
// `branch: SecurityGroupPolicy "default/web": spec.securityGroups.groupIds: must list at least one group`.
func (e *PolicyError) Error() string {
	msg := "branch: SecurityGroupPolicy " + strconv.Quote(e.Namespace+"/"+e.Name) + ": "
	if e.Field != "" {
		msg += e.Field + ": "
	}
	return msg + e.Why
}

// Unwrap returns Err and, when set, Cause, so errors.Is matches both the
// policy sentinel and, for example, [ErrInvalidSelector].
func (e *PolicyError) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Cause}
}
