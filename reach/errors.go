package reach

import (
	"errors"
	"strconv"

	"github.com/trunksim/trunksim/branch"
)

var (
	// ErrInvalidRule means a security-group rule EC2 would refuse: an
	// unknown protocol, a port range on a protocol that has none, a
	// missing or malformed peer, or a repeated rule. Returned wrapped in a
	// [*RuleError].
	ErrInvalidRule = errors.New("reach: invalid security-group rule")
	// ErrRuleQuota means a group holds more inbound or more outbound rules
	// than the rules-per-group quota. Returned wrapped in a
	// [*RuleQuotaError].
	ErrRuleQuota = errors.New("reach: too many rules in one security group")
	// ErrUnknownGroup means an interface carries a group the model does
	// not hold, so its rules cannot be judged; EC2 itself refuses such an
	// interface with InvalidSecurityGroupID.NotFound. Returned wrapped in
	// a [*GroupError].
	ErrUnknownGroup = errors.New("reach: unknown security group")
	// ErrDuplicateGroup means two groups share an ID. Returned wrapped in
	// a [*GroupError].
	ErrDuplicateGroup = errors.New("reach: duplicate security group")
	// ErrInvalidEndpoint means an [Endpoint] or a flow that cannot exist:
	// a zero Kind, a branch pod without groups, a pod without a node, a
	// source that only answers, a port on ICMP. Returned wrapped in an
	// [*EndpointError].
	ErrInvalidEndpoint = errors.New("reach: invalid endpoint or flow")
	// ErrInvalidConfig means a [Config] or [Cluster] setting outside what
	// EC2 or the CNI allows. Returned wrapped in a [*ConfigError].
	ErrInvalidConfig = errors.New("reach: invalid configuration")
	// ErrUnsupported means a setup the model does not cover, such as an
	// IPv6 cluster. Returned wrapped in a [*ConfigError].
	ErrUnsupported = errors.New("reach: not modelled")
)

// RuleError reports a rule EC2 would refuse.
type RuleError struct {
	// Group is the group holding the rule.
	Group branch.SecurityGroupID
	// Direction says which list the rule is in.
	Direction Direction
	// Index is the rule's position in that list, from 0.
	Index int
	// Why says what is wrong.
	Why string
}

// Error reads, for example,
// `reach: invalid security-group rule: sg-0123abcd ingress[2]: tcp needs a port range`.
func (e *RuleError) Error() string {
	return ErrInvalidRule.Error() + ": " + e.Group.String() + " " + e.Direction.String() +
		"[" + strconv.Itoa(e.Index) + "]: " + e.Why
}

// Unwrap returns [ErrInvalidRule].
func (e *RuleError) Unwrap() error { return ErrInvalidRule }

// RuleQuotaError reports a group with more rules in one direction than
// the quota allows.
type RuleQuotaError struct {
	// Group is the offending group.
	Group branch.SecurityGroupID
	// Direction is the list that is too long.
	Direction Direction
	// Rules is how many rules the list holds.
	Rules int
	// Limit is the rules-per-group quota.
	Limit int
}

// Error reads, for example,
// `reach: too many rules in one security group: sg-0123abcd has 61 ingress rules; the quota is 60 per direction`.
func (e *RuleQuotaError) Error() string {
	return ErrRuleQuota.Error() + ": " + e.Group.String() + " has " + strconv.Itoa(e.Rules) + " " +
		e.Direction.String() + " rules; the quota is " + strconv.Itoa(e.Limit) + " per direction"
}

// Unwrap returns [ErrRuleQuota].
func (e *RuleQuotaError) Unwrap() error { return ErrRuleQuota }

// GroupError reports a group that is unknown or declared twice.
type GroupError struct {
	// ID is the group.
	ID branch.SecurityGroupID
	// Where names what refers to the group, such as "branch ENI of web";
	// empty when the group itself is the problem.
	Where string
	// Err is [ErrUnknownGroup] or [ErrDuplicateGroup].
	Err error
}

// Error reads, for example, `reach: unknown security group: sg-0123abcd (on branch ENI of web)`.
func (e *GroupError) Error() string {
	s := e.Err.Error() + ": " + e.ID.String()
	if e.Where != "" {
		s += " (on " + e.Where + ")"
	}
	return s
}

// Unwrap returns Err.
func (e *GroupError) Unwrap() error { return e.Err }

// EndpointError reports an endpoint or a flow that cannot exist.
type EndpointError struct {
	// Endpoint names the offending endpoint, or the flow.
	Endpoint string
	// Why says what is wrong.
	Why string
}

// Error reads, for example, `reach: invalid endpoint or flow: web: a branch pod needs at least one security group`.
func (e *EndpointError) Error() string {
	return ErrInvalidEndpoint.Error() + ": " + e.Endpoint + ": " + e.Why
}

// Unwrap returns [ErrInvalidEndpoint].
func (e *EndpointError) Unwrap() error { return ErrInvalidEndpoint }

// ConfigError reports a setting the model refuses.
type ConfigError struct {
	// Field names the setting, such as "Quotas.RulesPerGroup" or
	// "NodeGroups[1].Subnet.CIDR".
	Field string
	// Why says what is wrong.
	Why string
	// Err is [ErrInvalidConfig] or [ErrUnsupported].
	Err error
}

// Error reads, for example, `reach: invalid configuration: VPC: 10.0.0.1/16 has host bits set`.
func (e *ConfigError) Error() string { return e.Err.Error() + ": " + e.Field + ": " + e.Why }

// Unwrap returns Err.
func (e *ConfigError) Unwrap() error { return e.Err }
