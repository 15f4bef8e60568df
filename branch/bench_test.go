package branch_test

import (
	"fmt"
	"testing"

	"github.com/trunksim/trunksim/branch"
)

var (
	sinkID     branch.SecurityGroupID
	sinkSet    branch.GroupSet
	sinkGroups []branch.SecurityGroupID
	sinkBool   bool
)

func BenchmarkParseSecurityGroupID(b *testing.B) {
	for _, in := range []string{"sg-0123abcd", "sg-0123456789abcdef0"} {
		b.Run(fmt.Sprintf("%d-digits", len(in)-3), func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				id, err := branch.ParseSecurityGroupID(in)
				if err != nil {
					b.Fatal(err)
				}
				sinkID = id
			}
		})
	}
}

func BenchmarkSecurityGroupIDString(b *testing.B) {
	id := branch.MustParseSecurityGroupID("sg-0123456789abcdef0")
	b.ReportAllocs()
	for range b.N {
		sinkString = id.String()
	}
}

func BenchmarkNewGroupSet(b *testing.B) {
	for _, n := range []int{1, branch.DefaultGroupsPerInterface, branch.MaxGroupsPerInterface} {
		ids := groupsN(n)
		// Reverse and repeat so the set has sorting and removing to do.
		in := make([]branch.SecurityGroupID, 0, 2*n)
		for i := n - 1; i >= 0; i-- {
			in = append(in, ids[i], ids[i])
		}
		b.Run(fmt.Sprintf("groups=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				sinkSet = branch.NewGroupSet(in...)
			}
		})
	}
}

// benchPolicies builds 50 policies in one namespace, a mix of pod-only,
// account-only and combined selectors; the pod matches every fifth, and
// the matching policies share groups, as real ones tend to.
func benchPolicies() ([]branch.Policy, branch.Pod) {
	var policies []branch.Policy
	for i := range 50 {
		p := branch.Policy{
			Namespace: "shop",
			Name:      fmt.Sprintf("policy-%02d", i),
			Groups:    []branch.SecurityGroupID{branch.SecurityGroupIDFromUint64(uint64(i % 7)), branch.SecurityGroupIDFromUint64(uint64(100 + i%4))},
		}
		app := fmt.Sprintf("app-%d", i%5)
		sel := &branch.LabelSelector{
			MatchLabels: map[string]string{"app": app, "app.kubernetes.io/part-of": "shop"},
			MatchExpressions: []branch.Requirement{
				{Key: "env", Operator: branch.OpIn, Values: []string{"prod", "staging"}},
				{Key: "legacy", Operator: branch.OpDoesNotExist},
			},
		}
		switch i % 3 {
		case 0:
			p.PodSelector = sel
		case 1:
			p.ServiceAccountSelector = &branch.LabelSelector{MatchLabels: map[string]string{"team": app}}
		default:
			p.PodSelector = sel
			p.ServiceAccountSelector = &branch.LabelSelector{}
		}
		policies = append(policies, p)
	}
	pod := branch.Pod{
		Namespace:            "shop",
		Labels:               map[string]string{"app": "app-0", "app.kubernetes.io/part-of": "shop", "env": "prod", "pod-template-hash": "7d9f8c"},
		ServiceAccount:       "checkout",
		ServiceAccountLabels: map[string]string{"team": "app-0"},
	}
	return policies, pod
}

func BenchmarkResolve(b *testing.B) {
	policies, pod := benchPolicies()
	if got := branch.Resolve(pod, policies); len(got) == 0 {
		b.Fatal("benchmark pod matches nothing")
	}
	b.Run("slice/policies=50", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			sinkGroups = branch.Resolve(pod, policies)
		}
		b.ReportMetric(float64(len(sinkGroups)), "groups")
	})
	var set branch.PolicySet
	for _, p := range policies {
		if err := set.Add(p); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("policyset/policies=50", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			sinkGroups = set.Resolve(pod)
		}
		b.ReportMetric(float64(len(sinkGroups)), "groups")
	})
}

func BenchmarkSelectorMatches(b *testing.B) {
	policies, pod := benchPolicies()
	sel := policies[0].PodSelector
	compiled, err := sel.Compile()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("LabelSelector", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			sinkBool = sel.Matches(pod.Labels)
		}
	})
	b.Run("Selector", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			sinkBool = compiled.Matches(pod.Labels)
		}
	})
}
