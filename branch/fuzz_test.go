package branch_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/branch"
)

// slowMatches is the reference the selector's matching is checked
// against: the label-selector rules written out as plainly as possible,
// with no compiled form and no shortcuts.
func slowMatches(sel *branch.LabelSelector, labels map[string]string) bool {
	if sel == nil || sel.Validate() != nil {
		return false
	}
	for k, v := range sel.MatchLabels {
		got, ok := labels[k]
		if !ok || got != v {
			return false
		}
	}
	for _, r := range sel.MatchExpressions {
		got, ok := labels[r.Key]
		listed := false
		for _, v := range r.Values {
			if ok && v == got {
				listed = true
			}
		}
		switch r.Operator {
		case branch.OpIn:
			if !listed {
				return false
			}
		case branch.OpNotIn:
			if listed {
				return false
			}
		case branch.OpExists:
			if !ok {
				return false
			}
		case branch.OpDoesNotExist:
			if ok {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// labelSetsFor derives label sets that exercise sel: the labels it asks
// for, each of its keys missing or changed in turn, each listed value,
// and the extra set the fuzzer supplied.
func labelSetsFor(sel *branch.LabelSelector, extra map[string]string) []map[string]string {
	base := map[string]string{}
	for k, v := range sel.MatchLabels {
		base[k] = v
	}
	for _, r := range sel.MatchExpressions {
		if len(r.Values) > 0 {
			base[r.Key] = r.Values[0]
		} else if r.Operator == branch.OpExists {
			base[r.Key] = "x"
		}
	}
	sets := []map[string]string{nil, {}, base, extra}
	for k := range base {
		without := map[string]string{}
		changed := map[string]string{}
		for k2, v2 := range base {
			if k2 != k {
				without[k2] = v2
			}
			changed[k2] = v2
		}
		changed[k] = base[k] + "-other"
		sets = append(sets, without, changed)
	}
	for _, r := range sel.MatchExpressions {
		for _, v := range r.Values {
			m := map[string]string{}
			for k2, v2 := range base {
				m[k2] = v2
			}
			m[r.Key] = v
			sets = append(sets, m)
		}
	}
	return sets
}

// cloneSelector deep-copies sel, to show that checking it changes nothing.
func cloneSelector(sel *branch.LabelSelector) *branch.LabelSelector {
	c := &branch.LabelSelector{}
	if sel.MatchLabels != nil {
		c.MatchLabels = map[string]string{}
		for k, v := range sel.MatchLabels {
			c.MatchLabels[k] = v
		}
	}
	if sel.MatchExpressions != nil {
		c.MatchExpressions = make([]branch.Requirement, 0, len(sel.MatchExpressions))
	}
	for _, r := range sel.MatchExpressions {
		r.Values = slices.Clone(r.Values)
		c.MatchExpressions = append(c.MatchExpressions, r)
	}
	return c
}

// FuzzLabelSelector decodes a selector and a label set from JSON and
// checks that Validate and Compile agree, that an invalid selector is a
// *SelectorError and matches nothing, that the selector, its compiled form
// and a slow reference all match the same label sets, and that compiling
// is deterministic and leaves the selector as it was.
func FuzzLabelSelector(f *testing.F) {
	f.Add(`{"matchLabels":{"app":"web"}}`, `{"app":"web"}`)
	f.Add(`{"matchExpressions":[{"key":"tier","operator":"NotIn","values":["db","api"]}]}`, `{"tier":"web"}`)
	f.Add(`{"matchExpressions":[{"key":"example.com/team","operator":"Exists"}]}`, `{}`)
	f.Add(`{}`, `{"a":"b"}`)
	f.Fuzz(func(t *testing.T, selJSON, labelsJSON string) {
		var sel branch.LabelSelector
		if err := json.Unmarshal([]byte(selJSON), &sel); err != nil {
			return
		}
		var extra map[string]string
		_ = json.Unmarshal([]byte(labelsJSON), &extra)
		before := cloneSelector(&sel)

		verr := sel.Validate()
		compiled, cerr := sel.Compile()
		require.Equal(t, verr == nil, cerr == nil, "Validate %v, Compile %v", verr, cerr)
		if verr != nil {
			var se *branch.SelectorError
			require.ErrorAs(t, verr, &se)
			require.ErrorIs(t, verr, branch.ErrInvalidSelector)
			require.Equal(t, verr.Error(), sel.Validate().Error(), "the same selector gives the same error")
			require.True(t, compiled.MatchesNothing())
		} else {
			again, err := sel.Compile()
			require.NoError(t, err)
			require.Equal(t, compiled.String(), again.String())
		}
		for _, labels := range labelSetsFor(&sel, extra) {
			want := slowMatches(&sel, labels)
			require.Equal(t, want, sel.Matches(labels), "LabelSelector.Matches(%v)", labels)
			require.Equal(t, want, compiled.Matches(labels), "Selector.Matches(%v) for %s", labels, compiled)
		}
		require.Equal(t, before, &sel, "checking changed the selector")
	})
}

// FuzzParseSecurityGroupID checks that ParseSecurityGroupID never panics,
// that every refusal is a *ParseError wrapping ErrMalformedID, and that
// whatever parses prints back to the same text and round-trips through
// text marshaling and group sets.
func FuzzParseSecurityGroupID(f *testing.F) {
	for _, s := range []string{"sg-0123456789abcdef0", "sg-01234567", "sg-0123456789ABCDEF0", "sg-", "eni-01234567", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := branch.ParseSecurityGroupID(s)
		if err != nil {
			var pe *branch.ParseError
			require.ErrorAs(t, err, &pe)
			require.ErrorIs(t, err, branch.ErrMalformedID)
			require.False(t, id.IsValid())
			return
		}
		require.True(t, id.IsValid())
		require.Equal(t, s, id.String())
		text, err := id.MarshalText()
		require.NoError(t, err)
		var back branch.SecurityGroupID
		require.NoError(t, back.UnmarshalText(text))
		require.Equal(t, id, back)
		set := branch.NewGroupSet(id, id)
		require.Equal(t, 1, set.Len())
		require.True(t, set.Contains(id))
	})
}

// FuzzParseENIID does for ENI IDs what FuzzParseSecurityGroupID does for
// group IDs.
func FuzzParseENIID(f *testing.F) {
	for _, s := range []string{"eni-0123456789abcdef0", "eni-01234567", "eni-0123456789abcdef", "sg-01234567", "eni-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := branch.ParseENIID(s)
		if err != nil {
			require.ErrorIs(t, err, branch.ErrMalformedID)
			require.False(t, id.IsValid())
			return
		}
		require.Equal(t, s, id.String())
		var back branch.ENIID
		text, err := id.MarshalText()
		require.NoError(t, err)
		require.NoError(t, back.UnmarshalText(text))
		require.Equal(t, id, back)
		require.Zero(t, id.Compare(back))
	})
}

// FuzzGroupSetText checks that any text UnmarshalText accepts gives a set
// in canonical order, with no repeats, that marshals to text that reads
// back to an equal set; and that a refusal leaves the set unchanged.
func FuzzGroupSetText(f *testing.F) {
	for _, s := range []string{"sg-01234567,sg-0123456789abcdef0", "sg-01234567,sg-01234567", "", ",", "sg-01234567,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		prior := branch.NewGroupSet(branch.SecurityGroupIDFromUint64(7))
		set := prior
		if err := set.UnmarshalText([]byte(s)); err != nil {
			require.ErrorIs(t, err, branch.ErrMalformedID)
			require.Equal(t, prior, set, "a refused UnmarshalText changed the set")
			return
		}
		ids := set.IDs()
		require.True(t, slices.IsSortedFunc(ids, branch.SecurityGroupID.Compare), "%v not in canonical order", ids)
		require.Len(t, slices.CompactFunc(slices.Clone(ids), func(a, b branch.SecurityGroupID) bool { return a == b }), len(ids))
		text, err := set.MarshalText()
		require.NoError(t, err)
		var back branch.GroupSet
		require.NoError(t, back.UnmarshalText(text))
		require.Equal(t, set, back)
		require.Equal(t, branch.NewGroupSet(ids...), set)
	})
}

// FuzzParseVLAN checks that ParseVLAN accepts exactly the decimal IDs 1 to
// 120 with no sign or leading zero, and that String gives them back.
func FuzzParseVLAN(f *testing.F) {
	for _, s := range []string{"1", "120", "121", "0", "007", "-1", "12a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := branch.ParseVLAN(s)
		if err != nil {
			require.True(t, errors.Is(err, branch.ErrMalformedID), "%v", err)
			return
		}
		require.True(t, v.IsValid())
		require.Equal(t, s, v.String())
	})
}
