package branch

import (
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Policy is a SecurityGroupPolicy (CRD vpcresources.k8s.aws/v1beta1,
// apis/vpcresources/v1beta1/securitygrouppolicy_types.go): pods in
// Namespace that its selectors pick get Groups on their branch ENI.
// Groups stands for spec.securityGroups.groupIds.
type Policy struct {
	// Namespace is the policy's namespace; it applies only to pods there.
	Namespace string `json:"namespace" yaml:"namespace"`
	// Name is the policy's name, unique within Namespace.
	Name string `json:"name" yaml:"name"`
	// PodSelector, when set, must match the pod's labels.
	PodSelector *LabelSelector `json:"podSelector,omitempty" yaml:"podSelector,omitempty"`
	// ServiceAccountSelector, when set, must match the labels of the
	// pod's service account.
	ServiceAccountSelector *LabelSelector `json:"serviceAccountSelector,omitempty" yaml:"serviceAccountSelector,omitempty"`
	// Groups are the security groups a matching pod gets.
	Groups []SecurityGroupID `json:"groups" yaml:"groups"`
}

// Admit checks what the API server refuses when the policy is created:
// Namespace must be an RFC 1123 label (at most 63 characters) and Name an
// RFC 1123 subdomain (at most 253), as for any namespaced custom
// resource, and Groups must hold no zero SecurityGroupID (the zero value
// is a program's mistake, never input). Nothing else: the CRD's schema
// (v1.8.2 config/crd/bases/vpcresources.k8s.aws_securitygrouppolicies.yaml)
// requires no selector and no groups, and puts no pattern on label keys,
// operators or group IDs. A policy that passes Admit and fails
// [Policy.Validate] is stored, and the controller cannot use it:
// [Resolve] skips it, or its broken selector matches nothing. An empty
// Groups stands for an absent securityGroups; the CRD's minItems: 1
// refuses a present, empty groupIds, which a decoder must check, since a
// Policy cannot tell the two apart.
//
// The error is a [*PolicyError] wrapping [ErrInvalidPolicy], as
// Validate's.
func (p Policy) Admit() error {
	fail := func(field, why string) error {
		return &PolicyError{Namespace: p.Namespace, Name: p.Name, Field: field, Why: why, Err: ErrInvalidPolicy}
	}
	if why := dnsLabelProblem(p.Namespace); why != "" {
		return fail("metadata.namespace", strconv.Quote(p.Namespace)+" "+why)
	}
	if why := dnsSubdomainProblem(p.Name); why != "" {
		return fail("metadata.name", strconv.Quote(p.Name)+" "+why)
	}
	for i, id := range p.Groups {
		if !id.IsValid() {
			return fail("spec.securityGroups.groupIds["+strconv.Itoa(i)+"]", "is the zero SecurityGroupID")
		}
	}
	return nil
}

// Validate checks that the controller can use the policy, beyond what
// [Policy.Admit] checks: at least one selector must be set, since the
// controller skips a policy with neither; each set selector must pass
// [LabelSelector.Validate], since one that does not converts to no
// selector and matches nothing; Groups must hold at least one ID.
// Repeated groups are allowed; the merge removes them. There is no upper
// bound on Groups: the controller sets none, and the EC2 quota
// ([GroupSet.CheckQuota]) applies to the merged set of a pod, not to one
// policy.
//
// The error is a [*PolicyError] wrapping [ErrInvalidPolicy], whose Field
// uses the CRD's paths, such as "metadata.name" or
// "spec.podSelector.matchExpressions[1].values"; a selector problem also
// wraps the [*SelectorError].
func (p Policy) Validate() error {
	if err := p.Admit(); err != nil {
		return err
	}
	fail := func(field, why string, cause error) error {
		return &PolicyError{Namespace: p.Namespace, Name: p.Name, Field: field, Why: why, Err: ErrInvalidPolicy, Cause: cause}
	}
	if p.PodSelector == nil && p.ServiceAccountSelector == nil {
		return fail("spec", "must set podSelector, serviceAccountSelector or both", nil)
	}
	for _, sel := range [...]struct {
		field string
		s     *LabelSelector
	}{{"spec.podSelector", p.PodSelector}, {"spec.serviceAccountSelector", p.ServiceAccountSelector}} {
		if err := sel.s.Validate(); err != nil {
			var se *SelectorError
			if errors.As(err, &se) {
				return fail(sel.field+"."+se.Field, se.Why, se)
			}
			return fail(sel.field, err.Error(), err)
		}
	}
	if len(p.Groups) == 0 {
		return fail("spec.securityGroups.groupIds", "must list at least one group", nil)
	}
	return nil
}

// Clone returns a deep copy of p, sharing no maps or slices with it.
func (p Policy) Clone() Policy {
	p.PodSelector = p.PodSelector.clone()
	p.ServiceAccountSelector = p.ServiceAccountSelector.clone()
	p.Groups = slices.Clone(p.Groups)
	return p
}

func (s *LabelSelector) clone() *LabelSelector {
	if s == nil {
		return nil
	}
	c := &LabelSelector{MatchLabels: maps.Clone(s.MatchLabels), MatchExpressions: slices.Clone(s.MatchExpressions)}
	for i := range c.MatchExpressions {
		c.MatchExpressions[i].Values = slices.Clone(c.MatchExpressions[i].Values)
	}
	return c
}

// Pod is what policy matching reads about a pod.
type Pod struct {
	// Namespace is the pod's namespace.
	Namespace string
	// Labels are the pod's labels.
	Labels map[string]string
	// ServiceAccount is spec.serviceAccountName. Matching never reads it:
	// the CRD's matchNames field is not part of the spec the controller
	// evaluates. It is carried so callers can look up the account.
	ServiceAccount string
	// ServiceAccountLabels are the labels of that service account; nil
	// for an account without labels. (Upstream, failing to fetch the
	// account denies the pod at admission; that is the caller's concern.)
	ServiceAccountLabels map[string]string
}

// Resolve returns the security groups pod gets from policies, exactly as
// the controller computes them (pkg/utils/helper.go,
// filterPodSecurityGroups):
//
//   - only policies in the pod's namespace count;
//   - a policy with neither selector set, or with no groups, is skipped;
//   - a set selector must match: PodSelector against pod.Labels,
//     ServiceAccountSelector against pod.ServiceAccountLabels, both when
//     both are set; a nil selector is "not set" and constrains nothing, {}
//     matches everything, and a selector that fails
//     [LabelSelector.Validate] matches nothing;
//   - the groups of every matching policy are concatenated in policy order
//     and repeats removed, keeping the first (RemoveDuplicatedSg).
//
// Resolve checks nothing else: names and group IDs pass through unchecked,
// as upstream. It returns nil when no policy matches. The order of the
// result follows the order of policies; upstream that is the informer
// cache's list order, which is not defined, so callers that need a
// canonical answer should build a [GroupSet].
func Resolve(pod Pod, policies []Policy) []SecurityGroupID {
	var buf [MaxGroupsPerInterface]SecurityGroupID
	groups := buf[:0]
	for i := range policies {
		p := &policies[i]
		if p.Namespace != pod.Namespace || (p.PodSelector == nil && p.ServiceAccountSelector == nil) || len(p.Groups) == 0 {
			continue
		}
		if p.PodSelector != nil && !p.PodSelector.Matches(pod.Labels) {
			continue
		}
		if p.ServiceAccountSelector != nil && !p.ServiceAccountSelector.Matches(pod.ServiceAccountLabels) {
			continue
		}
		groups = appendNew(groups, p.Groups)
	}
	return exactCopy(groups)
}

// exactCopy moves the merged list off the stack buffer into a slice of
// exactly its length, since callers keep results for the life of a pod;
// nil when empty.
func exactCopy(groups []SecurityGroupID) []SecurityGroupID {
	if len(groups) == 0 {
		return nil
	}
	return append([]SecurityGroupID(nil), groups...)
}

// appendNew appends the ids not already in dst. Merged lists are a few
// dozen IDs at most, where a scan beats building a map.
func appendNew(dst, ids []SecurityGroupID) []SecurityGroupID {
	for _, id := range ids {
		if !slices.Contains(dst, id) {
			dst = append(dst, id)
		}
	}
	return dst
}

// PolicySet holds validated policies indexed by namespace, with their
// selectors compiled, so resolving a pod touches only its namespace's
// policies and never re-validates. Within a namespace, policies are kept
// sorted by name, and [PolicySet.Resolve] visits them in that order: the
// controller's order is its cache's list order, which is not defined, so
// the set picks one that does not depend on history. The zero PolicySet is
// empty and ready to use. A PolicySet is not safe for concurrent
// mutation.
type PolicySet struct {
	byNamespace map[string][]compiledPolicy
	count       int
}

type compiledPolicy struct {
	policy        Policy // private deep copy
	pod, sa       Selector
	hasPod, hasSA bool
}

func compilePolicy(p Policy) (compiledPolicy, error) {
	if err := p.Validate(); err != nil {
		return compiledPolicy{}, err
	}
	c := compiledPolicy{policy: p.Clone(), hasPod: p.PodSelector != nil, hasSA: p.ServiceAccountSelector != nil}
	// Validate has already accepted both selectors, so Compile cannot fail.
	c.pod, _ = c.policy.PodSelector.Compile()
	c.sa, _ = c.policy.ServiceAccountSelector.Compile()
	return c, nil
}

func (ps *PolicySet) find(namespace, name string) (int, bool) {
	return slices.BinarySearchFunc(ps.byNamespace[namespace], name, func(c compiledPolicy, name string) int {
		return strings.Compare(c.policy.Name, name)
	})
}

// Add stores a deep copy of p. It fails with a [*PolicyError] wrapping
// [ErrInvalidPolicy] when p fails [Policy.Validate], or [ErrDuplicatePolicy]
// when the set already holds p's namespace and name; on failure the set is
// unchanged.
func (ps *PolicySet) Add(p Policy) error {
	c, err := compilePolicy(p)
	if err != nil {
		return err
	}
	i, found := ps.find(p.Namespace, p.Name)
	if found {
		return &PolicyError{Namespace: p.Namespace, Name: p.Name, Why: "already exists", Err: ErrDuplicatePolicy}
	}
	if ps.byNamespace == nil {
		ps.byNamespace = make(map[string][]compiledPolicy)
	}
	ps.byNamespace[p.Namespace] = slices.Insert(ps.byNamespace[p.Namespace], i, c)
	ps.count++
	return nil
}

// Update replaces the stored policy with p's namespace and name by a deep
// copy of p. It fails with a [*PolicyError] wrapping [ErrInvalidPolicy]
// or [ErrPolicyNotFound]; on failure the set is unchanged. As upstream,
// an update affects only pods resolved afterwards.
func (ps *PolicySet) Update(p Policy) error {
	c, err := compilePolicy(p)
	if err != nil {
		return err
	}
	i, found := ps.find(p.Namespace, p.Name)
	if !found {
		return &PolicyError{Namespace: p.Namespace, Name: p.Name, Why: "not found", Err: ErrPolicyNotFound}
	}
	ps.byNamespace[p.Namespace][i] = c
	return nil
}

// Remove deletes the policy namespace/name, or fails with a
// [*PolicyError] wrapping [ErrPolicyNotFound].
func (ps *PolicySet) Remove(namespace, name string) error {
	i, found := ps.find(namespace, name)
	if !found {
		return &PolicyError{Namespace: namespace, Name: name, Why: "not found", Err: ErrPolicyNotFound}
	}
	list := slices.Delete(ps.byNamespace[namespace], i, i+1)
	if len(list) == 0 {
		delete(ps.byNamespace, namespace)
	} else {
		ps.byNamespace[namespace] = list
	}
	ps.count--
	return nil
}

// Get returns a deep copy of the policy namespace/name.
func (ps *PolicySet) Get(namespace, name string) (Policy, bool) {
	i, found := ps.find(namespace, name)
	if !found {
		return Policy{}, false
	}
	return ps.byNamespace[namespace][i].policy.Clone(), true
}

// Len returns the number of policies in the set.
func (ps *PolicySet) Len() int { return ps.count }

// Policies returns deep copies of all policies, sorted by namespace then
// name.
func (ps *PolicySet) Policies() []Policy {
	out := make([]Policy, 0, ps.count)
	for _, ns := range slices.Sorted(maps.Keys(ps.byNamespace)) {
		for _, c := range ps.byNamespace[ns] {
			out = append(out, c.policy.Clone())
		}
	}
	return out
}

// Resolve returns the security groups pod gets, with the rules of the
// package-level [Resolve] applied to the set's policies in name order. It
// returns nil when nothing matches. Up to [MaxGroupsPerInterface] merged
// groups, the result is its only allocation.
func (ps *PolicySet) Resolve(pod Pod) []SecurityGroupID {
	var buf [MaxGroupsPerInterface]SecurityGroupID
	groups := buf[:0]
	list := ps.byNamespace[pod.Namespace]
	for i := range list {
		c := &list[i]
		if c.hasPod && !c.pod.Matches(pod.Labels) {
			continue
		}
		if c.hasSA && !c.sa.Matches(pod.ServiceAccountLabels) {
			continue
		}
		groups = appendNew(groups, c.policy.Groups)
	}
	return exactCopy(groups)
}
