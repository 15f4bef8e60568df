package branch_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/trunksim/trunksim/branch"
)

var securityGroupID = rapid.Custom(func(t *rapid.T) branch.SecurityGroupID {
	return branch.MustParseSecurityGroupID(securityGroupText.Draw(t, "text"))
})

// smallGroupPool makes repeats likely, which is what canonicalisation is
// about.
var smallGroupPool = rapid.SampledFrom([]branch.SecurityGroupID{
	branch.MustParseSecurityGroupID("sg-0123abcd"),
	branch.MustParseSecurityGroupID("sg-0123abcd000000000"),
	branch.MustParseSecurityGroupID("sg-ffffffff"),
	branch.MustParseSecurityGroupID("sg-00000001"),
	branch.MustParseSecurityGroupID("sg-0a1b2c3d4e5f60718"),
	branch.MustParseSecurityGroupID("sg-f0000000000000000"),
})

func TestGroupSetIsCanonical(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ids := rapid.SliceOf(rapid.OneOf(smallGroupPool, securityGroupID)).Draw(t, "ids")
		shuffled := rapid.Permutation(ids).Draw(t, "shuffled")
		doubled := append(slices.Clone(shuffled), ids...)

		set := branch.NewGroupSet(ids...)
		assert.Equal(t, set, branch.NewGroupSet(shuffled...), "order does not matter")
		assert.True(t, set == branch.NewGroupSet(doubled...), "repetition does not matter")
		assert.Equal(t, set.String(), branch.NewGroupSet(doubled...).String())

		members := set.IDs()
		assert.True(t, slices.IsSortedFunc(members, branch.SecurityGroupID.Compare), "members are sorted")
		assert.Len(t, slices.Compact(slices.Clone(members)), set.Len(), "members are distinct")
		for _, id := range ids {
			assert.True(t, set.Contains(id), "contains %v", id)
			assert.Contains(t, members, id)
		}
		for _, id := range members {
			assert.Contains(t, ids, id, "nothing is invented")
		}
		other := securityGroupID.Draw(t, "other")
		assert.Equal(t, slices.Contains(ids, other), set.Contains(other))
		assert.Equal(t, members, slices.Collect(set.All()))
	})
}

func TestGroupSetLeavesCallerSliceAlone(t *testing.T) {
	ids := []branch.SecurityGroupID{
		branch.MustParseSecurityGroupID("sg-ffffffff"),
		branch.MustParseSecurityGroupID("sg-00000001"),
		branch.MustParseSecurityGroupID("sg-ffffffff"),
	}
	before := slices.Clone(ids)
	set := branch.NewGroupSet(ids...)
	assert.Equal(t, before, ids)
	assert.Equal(t, "[sg-00000001, sg-ffffffff]", set.String())
}

func TestGroupSetZeroValueIsEmpty(t *testing.T) {
	var zero branch.GroupSet
	assert.Equal(t, zero, branch.NewGroupSet())
	assert.Equal(t, 0, zero.Len())
	assert.Nil(t, zero.IDs())
	assert.Equal(t, "[]", zero.String())
	assert.NoError(t, zero.CheckQuota(branch.DefaultGroupsPerInterface))
}

func TestGroupSetUsableAsMapKey(t *testing.T) {
	a := branch.MustParseSecurityGroupID("sg-0123abcd")
	b := branch.MustParseSecurityGroupID("sg-0a1b2c3d4e5f60718")
	counts := map[branch.GroupSet]int{}
	counts[branch.NewGroupSet(a, b)]++
	counts[branch.NewGroupSet(b, a, b)]++
	assert.Equal(t, map[branch.GroupSet]int{branch.NewGroupSet(a, b): 2}, counts)
}

func TestGroupSetOrderFollowsStrings(t *testing.T) {
	set := branch.NewGroupSet(
		branch.MustParseSecurityGroupID("sg-0123abcd000000000"),
		branch.MustParseSecurityGroupID("sg-0123abcd"),
		branch.MustParseSecurityGroupID("sg-0123abcc999999999"),
	)
	assert.Equal(t, "[sg-0123abcc999999999, sg-0123abcd, sg-0123abcd000000000]", set.String())
}

func groupsN(n int) []branch.SecurityGroupID {
	ids := make([]branch.SecurityGroupID, n)
	for i := range ids {
		ids[i] = branch.SecurityGroupIDFromUint64(uint64(i + 1))
	}
	return ids
}

// EC2 quota "Security groups per network interface": 5 by default,
// adjustable to 16 (Amazon VPC User Guide, amazon-vpc-limits).
func TestGroupSetQuotaConstants(t *testing.T) {
	assert.Equal(t, 5, branch.DefaultGroupsPerInterface)
	assert.Equal(t, 16, branch.MaxGroupsPerInterface)
}

func TestCheckQuota(t *testing.T) {
	tests := []struct {
		name    string
		groups  int
		limit   int
		wantErr error
	}{
		{"empty set", 0, 5, nil},
		{"at the default", 5, branch.DefaultGroupsPerInterface, nil},
		{"one over the default", 6, branch.DefaultGroupsPerInterface, branch.ErrTooManyGroups},
		{"at the maximum", 16, branch.MaxGroupsPerInterface, nil},
		{"over the maximum", 17, branch.MaxGroupsPerInterface, branch.ErrTooManyGroups},
		{"limit of one", 2, 1, branch.ErrTooManyGroups},
		{"zero limit", 1, 0, branch.ErrInvalidQuota},
		{"negative limit", 1, -5, branch.ErrInvalidQuota},
		{"limit above the EC2 maximum", 1, 17, branch.ErrInvalidQuota},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := branch.NewGroupSet(groupsN(tt.groups)...).CheckQuota(tt.limit)
			if tt.wantErr == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tt.wantErr)
		})
	}
}

func TestQuotaErrorNamesTheGroups(t *testing.T) {
	set := branch.NewGroupSet(groupsN(6)...)
	err := set.CheckQuota(5)
	var qe *branch.QuotaError
	require.ErrorAs(t, err, &qe)
	assert.Equal(t, set, qe.Groups)
	assert.Equal(t, 5, qe.Limit)
	for _, id := range set.IDs() {
		assert.Contains(t, err.Error(), id.String())
	}
	assert.Contains(t, err.Error(), "6 security groups")
	assert.Contains(t, err.Error(), "limit of 5")
}

func TestInvalidQuotaErrorNamesTheLimit(t *testing.T) {
	err := branch.NewGroupSet().CheckQuota(17)
	var ie *branch.InvalidQuotaError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, 17, ie.Limit)
	assert.Equal(t, "branch: security groups per interface quota 17 is outside 1..16", err.Error())
}

func TestGroupSetKeepsZeroIDVisible(t *testing.T) {
	member := branch.MustParseSecurityGroupID("sg-0123abcd")
	set := branch.NewGroupSet(member, branch.SecurityGroupID{})
	assert.Equal(t, 2, set.Len(), "the zero ID is not silently dropped")
	assert.Equal(t, "[invalid SecurityGroupID, sg-0123abcd]", set.String())
	err := set.CheckQuota(branch.DefaultGroupsPerInterface)
	assert.ErrorIs(t, err, branch.ErrMalformedID)
	assert.Contains(t, err.Error(), "sg-0123abcd")
	_, err = set.MarshalText()
	assert.ErrorIs(t, err, branch.ErrMalformedID)
}

func TestGroupSetTextRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		set := branch.NewGroupSet(rapid.SliceOf(securityGroupID).Draw(t, "ids")...)
		text, err := set.MarshalText()
		require.NoError(t, err)
		var back branch.GroupSet
		require.NoError(t, back.UnmarshalText(text))
		assert.Equal(t, set, back)
	})
}

func TestGroupSetUnmarshalText(t *testing.T) {
	var set branch.GroupSet
	require.NoError(t, set.UnmarshalText([]byte("sg-ffffffff,sg-00000001,sg-ffffffff")))
	assert.Equal(t, "[sg-00000001, sg-ffffffff]", set.String())

	err := set.UnmarshalText([]byte("sg-00000001,SG-2"))
	assert.ErrorIs(t, err, branch.ErrMalformedID)
	assert.Equal(t, "[sg-00000001, sg-ffffffff]", set.String(), "a failed UnmarshalText leaves the set alone")

	data, err := json.Marshal(struct{ Groups branch.GroupSet }{set})
	require.NoError(t, err)
	assert.JSONEq(t, `{"Groups":"sg-00000001,sg-ffffffff"}`, string(data))
}

func TestGroupSetAllocationBudget(t *testing.T) {
	ids := groupsN(5)
	set := branch.NewGroupSet(ids...)
	assert.Equal(t, 1.0, testing.AllocsPerRun(100, func() { set = branch.NewGroupSet(ids...) }), "building a set allocates once")
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = set.Contains(ids[3]) }))
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = set.Len() }))
}
