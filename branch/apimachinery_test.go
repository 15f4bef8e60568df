package branch_test

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"pgregory.net/rapid"

	"github.com/trunksim/trunksim/branch"
)

// The selector is held to k8s.io/apimachinery's own, which the controller
// uses (pkg/k8s/pod/... through metav1.LabelSelectorAsSelector), on drawn
// selectors and label sets: both refuse the same selectors, and of those
// both accept, both match the same sets, compiled or not.
func TestPropertySelectorAgreesWithApimachinery(t *testing.T) {
	keys := []string{"app", "tier", "example.com/team", "a", "Z_9", "-bad", "x/y/z", ""}
	values := []string{"web", "db", "", "v1.2", "-", "a_b", "UPPER", "with space"}
	ops := []branch.Operator{branch.OpIn, branch.OpNotIn, branch.OpExists, branch.OpDoesNotExist}
	rapid.Check(t, func(t *rapid.T) {
		sel := &branch.LabelSelector{}
		api := &metav1.LabelSelector{}
		if rapid.Bool().Draw(t, "matchLabels") {
			sel.MatchLabels, api.MatchLabels = map[string]string{}, map[string]string{}
			for range rapid.IntRange(0, 3).Draw(t, "labels") {
				k, v := rapid.SampledFrom(keys).Draw(t, "key"), rapid.SampledFrom(values).Draw(t, "value")
				sel.MatchLabels[k], api.MatchLabels[k] = v, v
			}
		}
		for range rapid.IntRange(0, 3).Draw(t, "expressions") {
			op := rapid.SampledFrom(ops).Draw(t, "op")
			vs := rapid.SliceOfN(rapid.SampledFrom(values), 0, 3).Draw(t, "values")
			k := rapid.SampledFrom(keys).Draw(t, "exprKey")
			sel.MatchExpressions = append(sel.MatchExpressions, branch.Requirement{Key: k, Operator: op, Values: vs})
			api.MatchExpressions = append(api.MatchExpressions, metav1.LabelSelectorRequirement{Key: k,
				Operator: metav1.LabelSelectorOperator(op.String()), Values: vs})
		}
		want, apiErr := metav1.LabelSelectorAsSelector(api)
		ourErr := sel.Validate()
		if (apiErr == nil) != (ourErr == nil) {
			t.Fatalf("validity differs for %+v: apimachinery %v, ours %v", api, apiErr, ourErr)
		}
		if apiErr != nil {
			return
		}
		compiled, err := sel.Compile()
		if err != nil {
			t.Fatalf("Compile refused what Validate took: %v", err)
		}
		for range 8 {
			set := map[string]string{}
			for range rapid.IntRange(0, 4).Draw(t, "setSize") {
				set[rapid.SampledFrom(keys).Draw(t, "setKey")] = rapid.SampledFrom(values).Draw(t, "setValue")
			}
			w := want.Matches(labels.Set(set))
			if got := sel.Matches(set); got != w {
				t.Fatalf("%v on %v: apimachinery %v, ours %v", want, set, w, got)
			}
			if got := compiled.Matches(set); got != w {
				t.Fatalf("%v on %v: apimachinery %v, compiled %v", want, set, w, got)
			}
		}
	})
}
