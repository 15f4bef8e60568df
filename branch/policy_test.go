package branch_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/trunksim/trunksim/branch"
)

// The fixtures follow pkg/utils/setup_test.go upstream: a pod labelled
// role=db, environment=qa, app=test_app whose service account is labelled
// role=db, environment=qa, and selectors requiring role=db and environment
// in (qa, production). Upstream's namespace "test_namespace" and groups
// "sg-00001" would not pass validation here (nor, for the namespace, in a
// real cluster), so valid equivalents stand in for them.
const testNamespace = "test-namespace"

var (
	sgOne   = branch.MustParseSecurityGroupID("sg-00000001")
	sgTwo   = branch.MustParseSecurityGroupID("sg-00000002")
	sgThree = branch.MustParseSecurityGroupID("sg-00000003")
	sgFour  = branch.MustParseSecurityGroupID("sg-00000004")
	sgFive  = branch.MustParseSecurityGroupID("sg-00000005")

	testGroups = []branch.SecurityGroupID{sgOne, sgTwo}
)

func testPod() branch.Pod {
	return branch.Pod{
		Namespace:            testNamespace,
		Labels:               map[string]string{"role": "db", "environment": "qa", "app": "test_app"},
		ServiceAccount:       "test-sa",
		ServiceAccountLabels: map[string]string{"role": "db", "environment": "qa"},
	}
}

func roleAndEnvironment() *branch.LabelSelector {
	return &branch.LabelSelector{
		MatchLabels:      map[string]string{"role": "db"},
		MatchExpressions: []branch.Requirement{{Key: "environment", Operator: branch.OpIn, Values: []string{"qa", "production"}}},
	}
}

func matchLabelsOnly() *branch.LabelSelector {
	return &branch.LabelSelector{MatchLabels: map[string]string{"role": "db"}}
}

func matchExpressionsOnly() *branch.LabelSelector {
	return &branch.LabelSelector{MatchExpressions: []branch.Requirement{{Key: "environment", Operator: branch.OpIn, Values: []string{"qa", "production"}}}}
}

func policy(name string, pod, sa *branch.LabelSelector, groups ...branch.SecurityGroupID) branch.Policy {
	return branch.Policy{Namespace: testNamespace, Name: name, PodSelector: pod, ServiceAccountSelector: sa, Groups: groups}
}

// resolve runs Resolve and checks that a PolicySet holding the same
// policies (those it accepts) yields the same set of groups.
func resolve(t *testing.T, pod branch.Pod, policies ...branch.Policy) []branch.SecurityGroupID {
	t.Helper()
	got := branch.Resolve(pod, policies)
	var set branch.PolicySet
	for _, p := range policies {
		_ = set.Add(p) // invalid policies are refused here and skipped by Resolve
	}
	assert.Equal(t, branch.NewGroupSet(got...), branch.NewGroupSet(set.Resolve(pod)...), "PolicySet agrees with Resolve")
	return got
}

// Upstream: pkg/utils/helper.go (filterPodSecurityGroups);
// helper_test.go TestCanInjectENI_PodSelectors.
func TestResolvePodSelectorOnly(t *testing.T) {
	got := resolve(t, testPod(), policy("test", roleAndEnvironment(), nil, testGroups...))
	assert.Equal(t, testGroups, got)
}

// Upstream: pkg/utils/helper.go (filterPodSecurityGroups);
// helper_test.go TestCanInjectENI_SASelectors.
func TestResolveServiceAccountSelectorOnly(t *testing.T) {
	got := resolve(t, testPod(), policy("test", nil, roleAndEnvironment(), testGroups...))
	assert.Equal(t, testGroups, got)
}

// Upstream: pkg/utils/helper.go (filterPodSecurityGroups: a nil selector
// sets hasPodSelector/hasSASelector false, so it is not consulted).
func TestResolveUnsetSelectorDoesNotConstrain(t *testing.T) {
	pod := testPod()
	pod.ServiceAccountLabels = nil
	assert.Equal(t, testGroups, resolve(t, pod, policy("pod-only", roleAndEnvironment(), nil, testGroups...)),
		"an unset serviceAccountSelector ignores the account's labels")
	pod = testPod()
	pod.Labels = nil
	assert.Equal(t, testGroups, resolve(t, pod, policy("sa-only", nil, roleAndEnvironment(), testGroups...)),
		"an unset podSelector ignores the pod's labels")
}

// Upstream: pkg/utils/helper.go (filterPodSecurityGroups);
// helper_test.go TestCanInjectENI_CombinedSelectors.
func TestResolveCombinedSelectorsMatch(t *testing.T) {
	got := resolve(t, testPod(), policy("test", roleAndEnvironment(), roleAndEnvironment(), testGroups...))
	assert.Equal(t, testGroups, got)
}

// Upstream: pkg/utils/helper.go (filterPodSecurityGroups: skip when
// hasPodSelector && !podMatched or hasSASelector && !saMatched).
func TestResolveCombinedSelectorsAreANDed(t *testing.T) {
	p := policy("test", roleAndEnvironment(), roleAndEnvironment(), testGroups...)

	podMismatch := testPod()
	podMismatch.Labels["role"] = "cache"
	assert.Nil(t, resolve(t, podMismatch, p), "pod side fails")

	saMismatch := testPod()
	saMismatch.ServiceAccountLabels["role"] = "cache"
	assert.Nil(t, resolve(t, saMismatch, p), "account side fails")
}

// Upstream: pkg/utils/helper.go (filterPodSecurityGroups, RemoveDuplicatedSg);
// helper_test.go TestCanInjectENI_Multi_SGPs.
func TestResolveMultiplePoliciesUnion(t *testing.T) {
	got := resolve(t, testPod(),
		policy("test-a", nil, roleAndEnvironment(), sgOne),
		policy("test-b", roleAndEnvironment(), nil, sgTwo),
	)
	assert.Equal(t, []branch.SecurityGroupID{sgOne, sgTwo}, got)
}

// Upstream: helper_test.go TestCanInjectENI_EmptyPodSelector;
// metav1.LabelSelectorAsSelector turns {} into labels.Everything().
func TestResolveEmptyPodSelectorMatchesEveryPod(t *testing.T) {
	empty := &branch.LabelSelector{MatchLabels: map[string]string{}, MatchExpressions: []branch.Requirement{}}
	assert.Equal(t, testGroups, resolve(t, testPod(), policy("test", empty, nil, testGroups...)))
	unlabelled := testPod()
	unlabelled.Labels = nil
	assert.Equal(t, testGroups, resolve(t, unlabelled, policy("test", empty, nil, testGroups...)))
}

// Upstream: helper_test.go TestCanInjectENI_EmptySASelector.
func TestResolveEmptyServiceAccountSelectorMatchesEveryAccount(t *testing.T) {
	empty := &branch.LabelSelector{}
	assert.Equal(t, testGroups, resolve(t, testPod(), policy("test", nil, empty, testGroups...)))
	unlabelled := testPod()
	unlabelled.ServiceAccountLabels = nil
	assert.Equal(t, testGroups, resolve(t, unlabelled, policy("test", nil, empty, testGroups...)))
}

// Upstream: helper_test.go TestCanInjectENI_MatchLabelPodSelector.
func TestResolvePodMatchLabels(t *testing.T) {
	assert.Equal(t, testGroups, resolve(t, testPod(), policy("test", matchLabelsOnly(), nil, testGroups...)))
}

// Upstream: helper_test.go TestCanInjectENI_MatchExpressionsPodSelector.
func TestResolvePodMatchExpressions(t *testing.T) {
	assert.Equal(t, testGroups, resolve(t, testPod(), policy("test", matchExpressionsOnly(), nil, testGroups...)))
}

// Upstream: helper_test.go TestCanInjectENI_MatchLabelSASelector.
func TestResolveServiceAccountMatchLabels(t *testing.T) {
	assert.Equal(t, testGroups, resolve(t, testPod(), policy("test", nil, matchLabelsOnly(), testGroups...)))
}

// Upstream: helper_test.go TestCanInjectENI_MatchExpressionsSASelector.
func TestResolveServiceAccountMatchExpressions(t *testing.T) {
	assert.Equal(t, testGroups, resolve(t, testPod(), policy("test", nil, matchExpressionsOnly(), testGroups...)))
}

// Upstream: helper_test.go TestCanInjectENI_MismatchedSASelector (the
// account relabelled environment=dev).
func TestResolveMismatchedServiceAccount(t *testing.T) {
	pod := testPod()
	pod.ServiceAccountLabels["environment"] = "dev"
	assert.Nil(t, resolve(t, pod, policy("test", nil, roleAndEnvironment(), testGroups...)))
}

// Upstream: pkg/utils/helper.go (filterPodSecurityGroups: hasSecurityGroup
// false skips the policy); helper_test.go TestEmptySecurityGroupInSGP.
func TestResolveSkipsPolicyWithoutGroups(t *testing.T) {
	assert.Nil(t, resolve(t, testPod(), policy("test", roleAndEnvironment(), nil)))
	assert.Nil(t, resolve(t, testPod(), policy("test", roleAndEnvironment(), nil, []branch.SecurityGroupID{}...)))
}

// Upstream: pkg/utils/helper.go (filterPodSecurityGroups: both selectors
// nil makes the policy invalid, and it is skipped rather than matching
// every pod).
func TestResolveSkipsPolicyWithoutSelectors(t *testing.T) {
	assert.Nil(t, resolve(t, testPod(), policy("test", nil, nil, testGroups...)))
}

// Upstream: pkg/utils/helper.go (RemoveDuplicatedSg keeps the first
// occurrence); helper_test.go TestRemoveDuplicatedSg.
func TestResolveRemovesDuplicatesKeepingFirst(t *testing.T) {
	got := resolve(t, testPod(),
		policy("test-a", matchLabelsOnly(), nil, sgOne, sgTwo, sgThree, sgOne),
		policy("test-b", matchExpressionsOnly(), nil, sgFour, sgTwo, sgFive),
	)
	assert.Equal(t, []branch.SecurityGroupID{sgOne, sgTwo, sgThree, sgFour, sgFive}, got)
}

// Upstream: pkg/utils/helper.go (GetMatchingSecurityGroupForPods lists
// policies with ListOptions{Namespace: pod.Namespace});
// helper_test.go TestShouldAddENILimits (pod in another namespace).
func TestResolveIgnoresOtherNamespaces(t *testing.T) {
	elsewhere := policy("test", &branch.LabelSelector{}, nil, sgThree)
	elsewhere.Namespace = "other"
	got := resolve(t, testPod(), elsewhere, policy("test", matchLabelsOnly(), nil, sgOne))
	assert.Equal(t, []branch.SecurityGroupID{sgOne}, got)
}

// Upstream: pkg/utils/helper.go (a LabelSelectorAsSelector error leaves
// podMatched/saMatched false, so the policy does not apply).
func TestResolveInvalidSelectorMatchesNothing(t *testing.T) {
	broken := &branch.LabelSelector{MatchExpressions: []branch.Requirement{{Key: "role", Operator: branch.OpIn}}}
	assert.Nil(t, resolve(t, testPod(), policy("test", broken, nil, testGroups...)))
	assert.Nil(t, resolve(t, testPod(), policy("test", &branch.LabelSelector{}, broken, testGroups...)))
}

func TestResolveReturnsNilWhenNothingMatches(t *testing.T) {
	assert.Nil(t, branch.Resolve(testPod(), nil))
	assert.Nil(t, resolve(t, testPod(), policy("test", &branch.LabelSelector{MatchLabels: map[string]string{"role": "web"}}, nil, sgOne)))
}

func TestResolveFollowsPolicyOrder(t *testing.T) {
	a := policy("a", matchLabelsOnly(), nil, sgTwo)
	b := policy("b", matchLabelsOnly(), nil, sgOne)
	assert.Equal(t, []branch.SecurityGroupID{sgTwo, sgOne}, branch.Resolve(testPod(), []branch.Policy{a, b}))
	assert.Equal(t, []branch.SecurityGroupID{sgOne, sgTwo}, branch.Resolve(testPod(), []branch.Policy{b, a}))
}

func TestPolicyValidateNamesPolicyAndField(t *testing.T) {
	valid := func() branch.Policy { return policy("web", matchLabelsOnly(), nil, sgOne) }
	tests := []struct {
		name   string
		edit   func(*branch.Policy)
		field  string
		phrase string
	}{
		{"missing namespace", func(p *branch.Policy) { p.Namespace = "" }, "metadata.namespace", "must be non-empty"},
		{"underscore in namespace", func(p *branch.Policy) { p.Namespace = "test_namespace" }, "metadata.namespace", `"test_namespace"`},
		{"namespace too long", func(p *branch.Policy) { p.Namespace = strings.Repeat("n", 64) }, "metadata.namespace", "no more than 63"},
		{"dotted namespace", func(p *branch.Policy) { p.Namespace = "a.b" }, "metadata.namespace", "lowercase"},
		{"missing name", func(p *branch.Policy) { p.Name = "" }, "metadata.name", "must be non-empty"},
		{"upper-case name", func(p *branch.Policy) { p.Name = "Web" }, "metadata.name", `"Web"`},
		{"name too long", func(p *branch.Policy) { p.Name = strings.Repeat("n", 254) }, "metadata.name", "no more than 253"},
		{"no selectors", func(p *branch.Policy) { p.PodSelector = nil }, "spec", "podSelector, serviceAccountSelector or both"},
		{"bad pod selector", func(p *branch.Policy) {
			p.PodSelector = &branch.LabelSelector{MatchExpressions: []branch.Requirement{
				{Key: "a", Operator: branch.OpExists}, {Key: "b", Operator: branch.OpNotIn},
			}}
		}, "spec.podSelector.matchExpressions[1].values", "non-empty"},
		{"bad account selector", func(p *branch.Policy) {
			p.ServiceAccountSelector = &branch.LabelSelector{MatchLabels: map[string]string{"team": "a b"}}
		}, `spec.serviceAccountSelector.matchLabels["team"]`, `value "a b"`},
		{"no groups", func(p *branch.Policy) { p.Groups = nil }, "spec.securityGroups.groupIds", "at least one"},
		{"zero group", func(p *branch.Policy) { p.Groups = append(p.Groups, branch.SecurityGroupID{}) }, "spec.securityGroups.groupIds[1]", "zero SecurityGroupID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := valid()
			require.NoError(t, p.Validate())
			tt.edit(&p)
			err := p.Validate()
			require.Error(t, err)
			assert.ErrorIs(t, err, branch.ErrInvalidPolicy)
			var pe *branch.PolicyError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tt.field, pe.Field)
			assert.Contains(t, pe.Why, tt.phrase)
			assert.Contains(t, err.Error(), fmt.Sprintf("%q", p.Namespace+"/"+p.Name), "the error names the policy")
			assert.Contains(t, err.Error(), tt.field)
		})
	}
}

func TestPolicySelectorErrorsWrapSelectorError(t *testing.T) {
	p := policy("web", expr("env", branch.OpIn), nil, sgOne)
	err := p.Validate()
	assert.ErrorIs(t, err, branch.ErrInvalidPolicy)
	assert.ErrorIs(t, err, branch.ErrInvalidSelector)
	var se *branch.SelectorError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "matchExpressions[0].values", se.Field)
}

func TestPolicyValidateAllowsRepeatedAndManyGroups(t *testing.T) {
	p := policy("web", matchLabelsOnly(), nil, groupsN(branch.MaxGroupsPerInterface+4)...)
	p.Groups = append(p.Groups, p.Groups[0])
	assert.NoError(t, p.Validate(), "the controller sets no cap; the EC2 quota applies to the merged set")
}

func TestPolicySetAddRejectsDuplicatesAndKeepsState(t *testing.T) {
	var set branch.PolicySet
	require.NoError(t, set.Add(policy("web", matchLabelsOnly(), nil, sgOne)))
	err := set.Add(policy("web", matchLabelsOnly(), nil, sgTwo))
	assert.ErrorIs(t, err, branch.ErrDuplicatePolicy)
	assert.Contains(t, err.Error(), `"test-namespace/web"`)
	assert.Equal(t, 1, set.Len())
	assert.Equal(t, []branch.SecurityGroupID{sgOne}, set.Resolve(testPod()), "the failed Add changed nothing")

	err = set.Add(policy("bad", nil, nil, sgTwo))
	assert.ErrorIs(t, err, branch.ErrInvalidPolicy)
	assert.Equal(t, 1, set.Len())
}

func TestPolicySetUpdateAndRemove(t *testing.T) {
	var set branch.PolicySet
	assert.ErrorIs(t, set.Update(policy("web", matchLabelsOnly(), nil, sgOne)), branch.ErrPolicyNotFound)
	assert.ErrorIs(t, set.Remove(testNamespace, "web"), branch.ErrPolicyNotFound)

	require.NoError(t, set.Add(policy("web", matchLabelsOnly(), nil, sgOne)))
	require.NoError(t, set.Update(policy("web", matchLabelsOnly(), nil, sgTwo)))
	assert.Equal(t, []branch.SecurityGroupID{sgTwo}, set.Resolve(testPod()))

	assert.ErrorIs(t, set.Update(policy("web", nil, nil, sgThree)), branch.ErrInvalidPolicy)
	assert.Equal(t, []branch.SecurityGroupID{sgTwo}, set.Resolve(testPod()), "the failed Update changed nothing")

	require.NoError(t, set.Remove(testNamespace, "web"))
	assert.Equal(t, 0, set.Len())
	assert.Nil(t, set.Resolve(testPod()))
	_, ok := set.Get(testNamespace, "web")
	assert.False(t, ok)
}

func TestPolicySetStoresCopies(t *testing.T) {
	var set branch.PolicySet
	p := policy("web", matchLabelsOnly(), nil, sgOne)
	require.NoError(t, set.Add(p))
	p.PodSelector.MatchLabels["role"] = "cache"
	p.Groups[0] = sgTwo
	assert.Equal(t, []branch.SecurityGroupID{sgOne}, set.Resolve(testPod()), "changing the caller's policy does not reach the set")

	got, ok := set.Get(testNamespace, "web")
	require.True(t, ok)
	got.PodSelector.MatchLabels["role"] = "cache"
	got.Groups[0] = sgThree
	assert.Equal(t, []branch.SecurityGroupID{sgOne}, set.Resolve(testPod()), "changing a returned policy does not reach the set")
}

func TestPolicySetOrdersByName(t *testing.T) {
	var set branch.PolicySet
	for _, p := range []branch.Policy{
		policy("zeta", matchLabelsOnly(), nil, sgThree),
		policy("alpha", matchLabelsOnly(), nil, sgOne),
		policy("mid", matchLabelsOnly(), nil, sgTwo, sgOne),
	} {
		require.NoError(t, set.Add(p))
	}
	other := policy("aaa", matchLabelsOnly(), nil, sgFour)
	other.Namespace = "another"
	require.NoError(t, set.Add(other))

	assert.Equal(t, []branch.SecurityGroupID{sgOne, sgTwo, sgThree}, set.Resolve(testPod()), "visited in name order whatever the insertion order")
	var names []string
	for _, p := range set.Policies() {
		names = append(names, p.Namespace+"/"+p.Name)
	}
	assert.Equal(t, []string{"another/aaa", "test-namespace/alpha", "test-namespace/mid", "test-namespace/zeta"}, names)
}

// policyGen draws policies over a small vocabulary so that matches,
// repeats and invalid policies are all common.
var policyGen = rapid.Custom(func(t *rapid.T) branch.Policy {
	return branch.Policy{
		Namespace:              rapid.SampledFrom([]string{"a", "b"}).Draw(t, "namespace"),
		Name:                   rapid.StringMatching(`[a-z]{1,3}`).Draw(t, "name"),
		PodSelector:            labelSelectorGen.Draw(t, "podSelector"),
		ServiceAccountSelector: labelSelectorGen.Draw(t, "saSelector"),
		Groups:                 rapid.SliceOfN(smallGroupPool, 0, 4).Draw(t, "groups"),
	}
})

var podGen = rapid.Custom(func(t *rapid.T) branch.Pod {
	return branch.Pod{
		Namespace:            rapid.SampledFrom([]string{"a", "b"}).Draw(t, "namespace"),
		Labels:               labelSetGen.Draw(t, "labels"),
		ServiceAccountLabels: labelSetGen.Draw(t, "saLabels"),
	}
})

// applies is the upstream rule, written out independently.
func applies(p branch.Policy, pod branch.Pod) bool {
	if p.Namespace != pod.Namespace || len(p.Groups) == 0 {
		return false
	}
	if p.PodSelector == nil && p.ServiceAccountSelector == nil {
		return false
	}
	podOK := p.PodSelector == nil || refMatches(p.PodSelector, pod.Labels)
	saOK := p.ServiceAccountSelector == nil || refMatches(p.ServiceAccountSelector, pod.ServiceAccountLabels)
	return podOK && saOK
}

func TestResolveProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		policies := rapid.SliceOfN(policyGen, 0, 8).Draw(t, "policies")
		pod := podGen.Draw(t, "pod")
		got := branch.Resolve(pod, policies)

		assert.Len(t, slices.Compact(slices.Clone(got)), len(got), "no duplicates")
		seen := map[branch.SecurityGroupID]bool{}
		for _, id := range got {
			assert.False(t, seen[id], "no duplicates")
			seen[id] = true
			assert.True(t, slices.ContainsFunc(policies, func(p branch.Policy) bool {
				return applies(p, pod) && slices.Contains(p.Groups, id)
			}), "%v comes from a matching policy", id)
		}
		var want []branch.SecurityGroupID
		for _, p := range policies {
			if applies(p, pod) {
				for _, id := range p.Groups {
					if !slices.Contains(want, id) {
						want = append(want, id)
					}
				}
			}
		}
		assert.Equal(t, want, got, "concatenated in policy order, first occurrence kept")
		if len(got) == 0 {
			assert.Nil(t, got)
		}
	})
}

func TestResolveOtherNamespacesNeverContribute(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		policies := rapid.SliceOfN(policyGen, 0, 8).Draw(t, "policies")
		pod := podGen.Draw(t, "pod")
		own := slices.DeleteFunc(slices.Clone(policies), func(p branch.Policy) bool { return p.Namespace != pod.Namespace })
		assert.Equal(t, branch.Resolve(pod, own), branch.Resolve(pod, policies))

		// Make every foreign policy as permissive as possible: still nothing.
		for i := range policies {
			if policies[i].Namespace != pod.Namespace {
				policies[i].PodSelector = &branch.LabelSelector{}
				policies[i].Groups = append(policies[i].Groups, sgFive)
			}
		}
		assert.Equal(t, branch.Resolve(pod, own), branch.Resolve(pod, policies))
	})
}

func TestPolicySetAgreesWithResolve(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		policies := rapid.SliceOfN(policyGen, 0, 10).Draw(t, "policies")
		pod := podGen.Draw(t, "pod")
		var set branch.PolicySet
		byKey := map[string]branch.Policy{}
		for _, p := range policies {
			if err := set.Add(p); err == nil {
				byKey[p.Namespace+"/"+p.Name] = p
			}
		}
		assert.Equal(t, len(byKey), set.Len())
		// The set visits policies in name order; Resolve over the same
		// policies in that order must give the identical slice.
		var accepted []branch.Policy
		for _, k := range slices.Sorted(maps.Keys(byKey)) {
			accepted = append(accepted, byKey[k])
		}
		assert.Equal(t, branch.Resolve(pod, accepted), set.Resolve(pod))
	})
}
