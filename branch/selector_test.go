package branch_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/trunksim/trunksim/branch"
)

func TestOperatorStringAndParse(t *testing.T) {
	for op, name := range map[branch.Operator]string{
		branch.OpIn: "In", branch.OpNotIn: "NotIn", branch.OpExists: "Exists", branch.OpDoesNotExist: "DoesNotExist",
	} {
		assert.Equal(t, name, op.String())
		parsed, err := branch.ParseOperator(name)
		require.NoError(t, err)
		assert.Equal(t, op, parsed)
		text, err := op.MarshalText()
		require.NoError(t, err)
		var back branch.Operator
		require.NoError(t, back.UnmarshalText(text))
		assert.Equal(t, op, back)
	}
	assert.False(t, branch.Operator(0).IsValid(), "the zero Operator is invalid")
	assert.Equal(t, "Operator(0)", branch.Operator(0).String())
	_, err := branch.Operator(0).MarshalText()
	assert.ErrorIs(t, err, branch.ErrInvalidSelector)
}

// Upstream: k8s.io/apimachinery/pkg/apis/meta/v1/helpers.go
// (LabelSelectorAsSelector) matches operator names exactly.
func TestParseOperatorIsCaseSensitive(t *testing.T) {
	for _, s := range []string{"in", "notin", "IN", "exists", "", "=", "Gt"} {
		_, err := branch.ParseOperator(s)
		assert.ErrorIs(t, err, branch.ErrInvalidSelector, s)
	}
}

// Upstream: k8s.io/apimachinery/pkg/labels/selector.go (Requirement.Matches).
func TestSelectorSemantics(t *testing.T) {
	labels := map[string]string{"app": "web", "env": "prod", "empty": ""}
	tests := []struct {
		name string
		sel  *branch.LabelSelector
		want bool
	}{
		{"nil selector matches nothing", nil, false},
		{"empty selector matches everything", &branch.LabelSelector{}, true},
		{"empty non-nil fields match everything", &branch.LabelSelector{MatchLabels: map[string]string{}, MatchExpressions: []branch.Requirement{}}, true},
		{"matchLabels equal", &branch.LabelSelector{MatchLabels: map[string]string{"app": "web"}}, true},
		{"matchLabels different value", &branch.LabelSelector{MatchLabels: map[string]string{"app": "db"}}, false},
		{"matchLabels missing key", &branch.LabelSelector{MatchLabels: map[string]string{"tier": "front"}}, false},
		{"matchLabels empty value needs the key", &branch.LabelSelector{MatchLabels: map[string]string{"empty": ""}}, true},
		{"matchLabels empty value, key absent", &branch.LabelSelector{MatchLabels: map[string]string{"tier": ""}}, false},
		{"In listed", expr("env", branch.OpIn, "qa", "prod"), true},
		{"In not listed", expr("env", branch.OpIn, "qa"), false},
		{"In key absent", expr("tier", branch.OpIn, "front"), false},
		{"NotIn listed", expr("env", branch.OpNotIn, "prod"), false},
		{"NotIn not listed", expr("env", branch.OpNotIn, "qa"), true},
		{"NotIn key absent matches", expr("tier", branch.OpNotIn, "front"), true},
		{"Exists present", expr("app", branch.OpExists), true},
		{"Exists present with empty value", expr("empty", branch.OpExists), true},
		{"Exists absent", expr("tier", branch.OpExists), false},
		{"DoesNotExist absent", expr("tier", branch.OpDoesNotExist), true},
		{"DoesNotExist present", expr("app", branch.OpDoesNotExist), false},
		{"matchLabels and expressions are ANDed, both hold", &branch.LabelSelector{
			MatchLabels:      map[string]string{"app": "web"},
			MatchExpressions: []branch.Requirement{{Key: "env", Operator: branch.OpIn, Values: []string{"prod"}}},
		}, true},
		{"matchLabels and expressions are ANDed, one fails", &branch.LabelSelector{
			MatchLabels:      map[string]string{"app": "web"},
			MatchExpressions: []branch.Requirement{{Key: "env", Operator: branch.OpIn, Values: []string{"qa"}}},
		}, false},
		{"invalid selector matches nothing", expr("env", branch.OpIn), false},
		{"invalid key matches nothing", &branch.LabelSelector{MatchLabels: map[string]string{"bad key": "web"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.sel.Matches(labels))
			compiled, err := tt.sel.Compile()
			if err != nil {
				assert.False(t, tt.want, "only invalid selectors fail to compile")
				return
			}
			assert.Equal(t, tt.want, compiled.Matches(labels))
		})
	}
}

func expr(key string, op branch.Operator, values ...string) *branch.LabelSelector {
	return &branch.LabelSelector{MatchExpressions: []branch.Requirement{{Key: key, Operator: op, Values: values}}}
}

func TestEmptySelectorMatchesNilLabels(t *testing.T) {
	assert.True(t, (&branch.LabelSelector{}).Matches(nil))
	assert.True(t, expr("app", branch.OpNotIn, "web").Matches(nil))
	assert.True(t, expr("app", branch.OpDoesNotExist).Matches(nil))
	assert.False(t, expr("app", branch.OpExists).Matches(nil))
}

// Upstream: k8s.io/apimachinery/pkg/labels/selector.go (NewRequirement) and
// pkg/api/validate/content (IsLabelKey, IsLabelValue).
func TestSelectorValidationNamesTheField(t *testing.T) {
	long := strings.Repeat("a", 64)
	tests := []struct {
		name      string
		sel       branch.LabelSelector
		field     string
		whyPhrase string
	}{
		{"In without values", branch.LabelSelector{MatchExpressions: []branch.Requirement{
			{Key: "app", Operator: branch.OpExists},
			{Key: "env", Operator: branch.OpIn},
		}}, "matchExpressions[1].values", "non-empty for In and NotIn"},
		{"NotIn without values", branch.LabelSelector{MatchExpressions: []branch.Requirement{
			{Key: "env", Operator: branch.OpNotIn, Values: []string{}},
		}}, "matchExpressions[0].values", "non-empty"},
		{"Exists with values", branch.LabelSelector{MatchExpressions: []branch.Requirement{
			{Key: "env", Operator: branch.OpExists, Values: []string{"x"}},
		}}, "matchExpressions[0].values", `must be empty for Exists and DoesNotExist, got ["x"]`},
		{"DoesNotExist with values", branch.LabelSelector{MatchExpressions: []branch.Requirement{
			{Key: "env", Operator: branch.OpDoesNotExist, Values: []string{"x"}},
		}}, "matchExpressions[0].values", "must be empty"},
		{"zero operator", branch.LabelSelector{MatchExpressions: []branch.Requirement{
			{Key: "env", Values: []string{"x"}},
		}}, "matchExpressions[0].operator", "Operator(0) is not In"},
		{"bad expression key", branch.LabelSelector{MatchExpressions: []branch.Requirement{
			{Key: "-env", Operator: branch.OpExists},
		}}, "matchExpressions[0].key", `key "-env"`},
		{"bad expression value", branch.LabelSelector{MatchExpressions: []branch.Requirement{
			{Key: "env", Operator: branch.OpIn, Values: []string{"ok", "not ok"}},
		}}, "matchExpressions[0].values[1]", `value "not ok"`},
		{"empty key", branch.LabelSelector{MatchLabels: map[string]string{"": "x"}}, "matchLabels", "name part must be non-empty"},
		{"two slashes", branch.LabelSelector{MatchLabels: map[string]string{"a/b/c": "x"}}, "matchLabels", "at most one '/'"},
		{"empty prefix", branch.LabelSelector{MatchLabels: map[string]string{"/app": "x"}}, "matchLabels", "prefix part must be non-empty"},
		{"upper-case prefix", branch.LabelSelector{MatchLabels: map[string]string{"Example.com/app": "x"}}, "matchLabels", "prefix part must consist of lowercase"},
		{"prefix too long", branch.LabelSelector{MatchLabels: map[string]string{strings.Repeat("a.", 127) + "a/app": "x"}}, "matchLabels", "prefix part must be no more than 253"},
		{"empty name after prefix", branch.LabelSelector{MatchLabels: map[string]string{"example.com/": "x"}}, "matchLabels", "name part must be non-empty"},
		{"name too long", branch.LabelSelector{MatchLabels: map[string]string{long: "x"}}, "matchLabels", "no more than 63"},
		{"name ends with dot", branch.LabelSelector{MatchLabels: map[string]string{"app.": "x"}}, "matchLabels", "start and end with an alphanumeric"},
		{"value too long", branch.LabelSelector{MatchLabels: map[string]string{"app": long}}, `matchLabels["app"]`, "no more than 63"},
		{"value with slash", branch.LabelSelector{MatchLabels: map[string]string{"app": "a/b"}}, `matchLabels["app"]`, `value "a/b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.sel.Validate()
			require.Error(t, err)
			assert.ErrorIs(t, err, branch.ErrInvalidSelector)
			var se *branch.SelectorError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tt.field, se.Field)
			assert.Contains(t, se.Why, tt.whyPhrase)
			assert.Contains(t, err.Error(), tt.field)
			_, cerr := tt.sel.Compile()
			assert.Equal(t, err, cerr, "Compile reports what Validate reports")
			assert.False(t, tt.sel.Matches(map[string]string{}), "an invalid selector matches nothing")
		})
	}
}

func TestSelectorValidationAcceptsKubernetesSyntax(t *testing.T) {
	name63 := strings.Repeat("a", 63)
	sel := branch.LabelSelector{
		MatchLabels: map[string]string{
			"app":                    "web",
			"app.kubernetes.io/name": "My_Value-1.0",
			"example.com/" + name63:  name63,
			"a":                      "",
			"A-b_c.D":                "x",
			"1-2.3":                  "9",
		},
		MatchExpressions: []branch.Requirement{
			{Key: "env", Operator: branch.OpIn, Values: []string{"prod", ""}},
			{Key: "sub.example.com/tier", Operator: branch.OpNotIn, Values: []string{"x"}},
			{Key: "legacy", Operator: branch.OpDoesNotExist},
			{Key: "zone", Operator: branch.OpExists, Values: []string{}},
		},
	}
	assert.NoError(t, sel.Validate())
	var nilSel *branch.LabelSelector
	assert.NoError(t, nilSel.Validate(), "a nil selector has nothing wrong with it")
}

func TestSelectorValidationIsDeterministic(t *testing.T) {
	sel := branch.LabelSelector{MatchLabels: map[string]string{"z z": "x", "b b": "x", "m m": "x", "a a": "x"}}
	first := sel.Validate()
	require.Error(t, first)
	assert.Contains(t, first.Error(), `key "a a"`, "the smallest bad key is reported")
	for range 50 {
		assert.Equal(t, first, sel.Validate())
	}
}

func TestSelectorString(t *testing.T) {
	sel := branch.LabelSelector{
		MatchLabels: map[string]string{"app": "web"},
		MatchExpressions: []branch.Requirement{
			{Key: "zone", Operator: branch.OpNotIn, Values: []string{"b", "a", "b"}},
			{Key: "legacy", Operator: branch.OpDoesNotExist},
			{Key: "env", Operator: branch.OpIn, Values: []string{"qa", "prod"}},
			{Key: "tier", Operator: branch.OpExists},
		},
	}
	compiled, err := sel.Compile()
	require.NoError(t, err)
	assert.Equal(t, "app=web,env in (prod,qa),!legacy,tier,zone notin (a,b)", compiled.String())

	everything, err := (&branch.LabelSelector{}).Compile()
	require.NoError(t, err)
	assert.Equal(t, "<all>", everything.String())
	assert.True(t, everything.MatchesEverything())

	var nilSel *branch.LabelSelector
	nothing, err := nilSel.Compile()
	require.NoError(t, err)
	assert.Equal(t, "<none>", nothing.String())
	assert.True(t, nothing.MatchesNothing())
	assert.False(t, nothing.Matches(map[string]string{}))
	assert.False(t, branch.Selector{}.Matches(nil), "the zero Selector matches nothing")
}

// labelKeys mixes valid keys with one invalid key so generated selectors
// are sometimes invalid.
var (
	labelKeys   = rapid.SampledFrom([]string{"app", "env", "example.com/tier", "bad key"})
	labelValues = rapid.SampledFrom([]string{"a", "b", "", "bad value"})
)

// anySelectorGen draws selectors that are often invalid: bad keys and
// values, the zero operator, wrong value counts.
var anySelectorGen = rapid.Custom(func(t *rapid.T) *branch.LabelSelector {
	sel := &branch.LabelSelector{}
	if rapid.Bool().Draw(t, "hasMatchLabels") {
		sel.MatchLabels = rapid.MapOfN(labelKeys, labelValues, 0, 2).Draw(t, "matchLabels")
	}
	for range rapid.IntRange(0, 3).Draw(t, "expressions") {
		sel.MatchExpressions = append(sel.MatchExpressions, branch.Requirement{
			Key:      labelKeys.Draw(t, "key"),
			Operator: branch.Operator(rapid.IntRange(0, 4).Draw(t, "op")),
			Values:   rapid.SliceOfN(labelValues, 0, 2).Draw(t, "values"),
		})
	}
	return sel
})

// validSelectorGen draws valid selectors with few requirements, so that
// generated label sets match them often.
var validSelectorGen = rapid.Custom(func(t *rapid.T) *branch.LabelSelector {
	keys := rapid.SampledFrom([]string{"app", "env", "example.com/tier"})
	values := rapid.SampledFrom([]string{"a", "b", ""})
	sel := &branch.LabelSelector{}
	if rapid.Bool().Draw(t, "hasMatchLabels") {
		sel.MatchLabels = rapid.MapOfN(keys, values, 0, 1).Draw(t, "matchLabels")
	}
	for range rapid.IntRange(0, 2).Draw(t, "expressions") {
		r := branch.Requirement{Key: keys.Draw(t, "key"), Operator: branch.Operator(rapid.IntRange(1, 4).Draw(t, "op"))}
		if r.Operator == branch.OpIn || r.Operator == branch.OpNotIn {
			r.Values = rapid.SliceOfN(values, 1, 2).Draw(t, "values")
		}
		sel.MatchExpressions = append(sel.MatchExpressions, r)
	}
	return sel
})

// labelSelectorGen is mostly valid selectors, sometimes nil, sometimes
// anything.
var labelSelectorGen = rapid.OneOf(
	validSelectorGen, validSelectorGen, validSelectorGen, validSelectorGen,
	anySelectorGen, rapid.Just[*branch.LabelSelector](nil),
)

var labelSetGen = rapid.MapOfN(
	rapid.SampledFrom([]string{"app", "env", "example.com/tier", "other"}),
	rapid.SampledFrom([]string{"a", "b", ""}), 0, 4)

// refMatches is a deliberately plain reading of the Kubernetes rules:
// build the requirement list, then check each.
func refMatches(sel *branch.LabelSelector, labels map[string]string) bool {
	if sel == nil || sel.Validate() != nil {
		return false
	}
	type req struct {
		key    string
		op     branch.Operator
		values []string
	}
	var reqs []req
	for k, v := range sel.MatchLabels {
		reqs = append(reqs, req{k, branch.OpIn, []string{v}})
	}
	for _, r := range sel.MatchExpressions {
		reqs = append(reqs, req{r.Key, r.Operator, r.Values})
	}
	for _, r := range reqs {
		v, has := labels[r.key]
		listed := has && slices.Contains(r.values, v)
		ok := map[branch.Operator]bool{
			branch.OpIn:           listed,
			branch.OpNotIn:        !listed,
			branch.OpExists:       has,
			branch.OpDoesNotExist: !has,
		}[r.op]
		if !ok {
			return false
		}
	}
	return true
}

func TestCompiledSelectorAgreesWithLabelSelector(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sel := labelSelectorGen.Draw(t, "selector")
		labels := labelSetGen.Draw(t, "labels")
		want := refMatches(sel, labels)
		assert.Equal(t, want, sel.Matches(labels))
		compiled, err := sel.Compile()
		assert.Equal(t, sel.Validate(), err)
		if err == nil {
			assert.Equal(t, want, compiled.Matches(labels))
		} else {
			assert.True(t, errors.Is(err, branch.ErrInvalidSelector))
		}
	})
}

func TestSelectorMatchingDoesNotAllocate(t *testing.T) {
	sel := &branch.LabelSelector{
		MatchLabels:      map[string]string{"app": "web", "example.com/team": "payments"},
		MatchExpressions: []branch.Requirement{{Key: "env", Operator: branch.OpIn, Values: []string{"qa", "prod"}}},
	}
	labels := map[string]string{"app": "web", "example.com/team": "payments", "env": "prod"}
	compiled, err := sel.Compile()
	require.NoError(t, err)
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = sel.Matches(labels) }))
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = compiled.Matches(labels) }))
}
