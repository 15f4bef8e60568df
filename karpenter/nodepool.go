package karpenter

import (
	"errors"
	"fmt"
	"time"

	"github.com/trunksim/trunksim/branch"
)

// Sentinel errors; each is wrapped with the object or field it is about.
var (
	// ErrBadNodePool is wrapped by a *NodePoolError.
	ErrBadNodePool = errors.New("invalid NodePool")
	// ErrBadInput is wrapped by the error Step returns for an input it
	// cannot take; the provisioner is left as it was.
	ErrBadInput = errors.New("invalid input")
	// ErrBadConfig is wrapped by a *ConfigError.
	ErrBadConfig = errors.New("invalid Karpenter configuration")
)

// NodePoolError names the NodePool or EC2NodeClass and the field that is
// wrong, as its manifest spells the field.
type NodePoolError struct {
	Kind  string // "NodePool" or "EC2NodeClass"
	Name  string
	Field string // such as "spec.template.spec.nodeClassRef.name"
	Err   error
}

func (e *NodePoolError) Error() string {
	return fmt.Sprintf("karpenter: %s %q: %s: %v", e.Kind, e.Name, e.Field, e.Err)
}

// Unwrap returns ErrBadNodePool and the cause.
func (e *NodePoolError) Unwrap() []error { return []error{ErrBadNodePool, e.Err} }

// ConfigError names a Config field and why its value is refused.
type ConfigError struct {
	Field string
	Value any
	Why   string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("karpenter: %s = %v: %s", e.Field, e.Value, e.Why)
}

// Unwrap returns ErrBadConfig.
func (e *ConfigError) Unwrap() error { return ErrBadConfig }

// Limit bounds one of a NodePool's totals (spec.limits). The zero Limit
// is no bound.
type Limit struct {
	max int64
	set bool
}

// LimitOf returns a bound of n.
func LimitOf(n int64) Limit { return Limit{max: n, set: true} }

// Max returns the bound and whether there is one.
func (l Limit) Max() (int64, bool) { return l.max, l.set }

// allows reports whether a total of n stays within the bound.
func (l Limit) allows(n int64) bool { return !l.set || n <= l.max }

// Limits are the parts of a NodePool's spec.limits the model enforces:
// the node count and the pods and vpc.amazonaws.com/pod-eni its nodes
// hold. CPU and memory limits are not among them, as the instance table
// holds no vCPU or memory figures; the caller says so.
type Limits struct {
	Nodes, Pods, PodENI Limit
}

// NodePool is a karpenter.sh/v1 NodePool as the provisioner uses it.
type NodePool struct {
	// Name is metadata.name.
	Name string
	// Weight is spec.weight, 0 to 100: NodePools are tried from the
	// highest weight, ties by name in reverse order, as Karpenter's
	// OrderByWeight sorts them (pkg/utils/nodepool/nodepool.go).
	Weight int
	// Requirements are spec.template.spec.requirements.
	Requirements Requirements
	// Labels are spec.template.metadata.labels, stamped on its nodes.
	Labels map[string]string
	// Tainted is set when spec.template.spec.taints has a NoSchedule or
	// NoExecute taint. The model's pods tolerate none, so such a
	// NodePool takes no pod.
	Tainted bool
	// NodeClass is spec.template.spec.nodeClassRef.name, an EC2NodeClass.
	NodeClass string
	// ExpireAfter is spec.template.spec.expireAfter: a node is deleted
	// this long after its launch, regardless of budgets
	// (pkg/controllers/nodeclaim/expiration/controller.go). Zero is Never;
	// Karpenter's default, 720h, is filled in by the scenario format.
	ExpireAfter time.Duration
	// Limits are spec.limits.
	Limits Limits
	// Consolidation is spec.disruption's consolidation; the zero value
	// consolidates nothing.
	Consolidation Consolidation
}

// ConsolidationPolicy is spec.disruption.consolidationPolicy.
type ConsolidationPolicy uint8

// Consolidation policies. Each consolidates empty nodes; the model does
// not move pods to empty an underutilized node.
const (
	WhenEmpty ConsolidationPolicy = 1 + iota
	WhenEmptyOrUnderutilized
	Balanced
)

var policyNames = [...]string{"", "WhenEmpty", "WhenEmptyOrUnderutilized", "Balanced"}

// String returns the policy as a manifest spells it.
func (c ConsolidationPolicy) String() string {
	if int(c) < len(policyNames) && c > 0 {
		return policyNames[c]
	}
	return fmt.Sprintf("ConsolidationPolicy(%d)", uint8(c))
}

// ParseConsolidationPolicy parses a manifest's spelling.
func ParseConsolidationPolicy(s string) (ConsolidationPolicy, error) {
	for i, n := range policyNames {
		if i > 0 && n == s {
			return ConsolidationPolicy(i), nil
		}
	}
	return 0, fmt.Errorf("karpenter: %w: consolidation policy %q", ErrBadNodePool, s)
}

// Consolidation is how a NodePool gives up nodes it no longer needs.
type Consolidation struct {
	// Policy is the consolidation policy; zero consolidates nothing, as
	// consolidateAfter: Never does.
	Policy ConsolidationPolicy
	// After is consolidateAfter: how long a node must have had no pod
	// change (CRD default 0s).
	After time.Duration
	// Budgets bound how many nodes are disrupted at once, the least of
	// those that apply to the reason; none means the CRD's default,
	// nodes: 10%.
	Budgets []Budget
}

// allowed is how many of n nodes the budgets let go at once for reason.
func (c Consolidation) allowed(n int, reason Reason) int {
	if len(c.Budgets) == 0 {
		return Budget{Nodes: DefaultBudgetPercent, Percent: true}.allowed(n)
	}
	least := n
	for _, b := range c.Budgets {
		if b.Reasons == 0 || b.Reasons&reason != 0 {
			least = min(least, b.allowed(n))
		}
	}
	return least
}

// Reason is a disruption reason a budget may be limited to, as a bit.
type Reason uint8

// Reasons of voluntary disruption (spec.disruption.budgets[].reasons).
const (
	ReasonEmpty Reason = 1 << iota
	ReasonUnderutilized
	ReasonDrifted
	ReasonUnhealthy
)

// Budget is one of a NodePool's disruption budgets: a count or a
// percentage of its nodes, for the reasons given (none: every reason). A
// budget with a schedule is taken as always active, the strictest
// reading.
type Budget struct {
	Nodes   int
	Percent bool
	Reasons Reason
}

// allowed is how many of n nodes the budget lets go at once: a
// percentage rounds up.
func (b Budget) allowed(n int) int {
	if b.Percent {
		return (b.Nodes*n + 99) / 100
	}
	return b.Nodes
}

// NodeClass is a karpenter.k8s.aws/v1 EC2NodeClass as the provisioner
// uses it.
type NodeClass struct {
	// Name is metadata.name.
	Name string
	// MaxPods is spec.kubelet.maxPods; zero means Karpenter's ENI-limited
	// figure (Config.ReservedENIs).
	MaxPods int
	// SecurityGroups are the IDs in spec.securityGroupSelectorTerms: the
	// instance's own groups, which the controller copies onto the trunk
	// and gives a branch no policy matches any more.
	SecurityGroups []branch.SecurityGroupID
}

// validate checks what the provisioner relies on; the scenario format
// checks the manifest's own rules before.
func (np *NodePool) validate(classes map[string]*NodeClass) error {
	bad := func(field string, err error) error {
		return &NodePoolError{Kind: "NodePool", Name: np.Name, Field: field, Err: err}
	}
	if np.Name == "" {
		return bad("metadata.name", errors.New("required"))
	}
	if np.Weight < 0 || np.Weight > 100 {
		return bad("spec.weight", fmt.Errorf("%d is outside 0 to 100", np.Weight))
	}
	if np.ExpireAfter < 0 {
		return bad("spec.template.spec.expireAfter", fmt.Errorf("negative %v", np.ExpireAfter))
	}
	if _, ok := classes[np.NodeClass]; !ok {
		return bad("spec.template.spec.nodeClassRef.name", fmt.Errorf("no EC2NodeClass %q", np.NodeClass))
	}
	for i, r := range np.Requirements {
		if err := r.Validate(); err != nil {
			return bad(fmt.Sprintf("spec.template.spec.requirements[%d]", i), err)
		}
	}
	for _, l := range []struct {
		field string
		l     Limit
	}{{"nodes", np.Limits.Nodes}, {"pods", np.Limits.Pods}, {"vpc.amazonaws.com/pod-eni", np.Limits.PodENI}} {
		if n, ok := l.l.Max(); ok && n < 0 {
			return bad("spec.limits."+l.field, fmt.Errorf("negative %d", n))
		}
	}
	return nil
}

func (nc *NodeClass) validate() error {
	bad := func(field string, err error) error {
		return &NodePoolError{Kind: "EC2NodeClass", Name: nc.Name, Field: field, Err: err}
	}
	if nc.Name == "" {
		return bad("metadata.name", errors.New("required"))
	}
	if nc.MaxPods < 0 {
		return bad("spec.kubelet.maxPods", fmt.Errorf("negative %d", nc.MaxPods))
	}
	for _, id := range nc.SecurityGroups {
		if !id.IsValid() {
			return bad("spec.securityGroupSelectorTerms", errors.New("the zero security group ID"))
		}
	}
	return nil
}
