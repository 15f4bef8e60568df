package fakeec2_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/fakeec2"
)

// Interfaces made before the run are there at time zero as the
// controller's calls leave them: the trunk attached to its instance, the
// branch associated with it on its VLAN and listed among the instance's
// branches (what upstream's InitTrunk reads back through
// GetBranchNetworkInterface, pkg/aws/ec2/api/helper.go), and no call
// counted.
func TestExistingInterfacesAreAsTheControllerLeftThem(t *testing.T) {
	e := newEC2(t)
	groups := branch.NewGroupSet(sgKnown)
	tr, err := e.AddTrunk("node-1", groups)
	require.NoError(t, err)
	b, assoc, err := e.AddBranch(tr, groups, 3)
	require.NoError(t, err)
	assert.NotEmpty(t, assoc)
	assert.Empty(t, e.Calls())

	ans := e.Do(time.Second, fakeec2.Request{API: fakeec2.DescribeNetworkInterfaces, ENI: tr, Instance: "node-1"})
	require.NoError(t, ans.Err)
	assert.True(t, ans.Attached)
	require.Len(t, ans.Branches, 1)
	got := ans.Branches[0]
	assert.Equal(t, fakeec2.Interface{ID: b, Kind: fakeec2.BranchInterface, Instance: "node-1", Trunk: tr, VLAN: 3,
		Groups: groups, Association: assoc}, got)

	// The association works as one AssociateTrunkInterface gave.
	require.NoError(t, e.DisassociateTrunkInterface(2*time.Second, assoc))
	require.NoError(t, e.DeleteNetworkInterface(2*time.Second, b))
	// Made by a call afterwards, the next interface takes the next ID.
	id, err := e.CreateNetworkInterface(3*time.Second, fakeec2.BranchInterface, "node-1", tr, groups, 1, 5)
	require.NoError(t, err)
	assert.Equal(t, branch.ENIIDFromUint64(3), id)
}

func TestAddBranchRefusals(t *testing.T) {
	e := newEC2(t)
	tr, err := e.AddTrunk("node-1", branch.GroupSet{})
	require.NoError(t, err)
	b, _, err := e.AddBranch(tr, branch.GroupSet{}, 1)
	require.NoError(t, err)
	for _, tc := range []struct {
		name  string
		trunk branch.ENIID
		vlan  branch.VLAN
		want  string
	}{
		{"unknown trunk", branch.ENIIDFromUint64(99), 1, "no such trunk interface"},
		{"a branch for a trunk", b, 1, "no such trunk interface"},
		{"VLAN zero", tr, 0, "VLAN 0 is out of range"},
		{"VLAN past the bitmap", tr, branch.MaxVLAN + 1, "VLAN 121 is out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := e.AddBranch(tc.trunk, branch.GroupSet{}, tc.vlan)
			require.ErrorIs(t, err, fakeec2.ErrExisting)
			var ee *fakeec2.ExistingError
			require.True(t, errors.As(err, &ee))
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	_, err = e.AddTrunk("", branch.GroupSet{})
	require.ErrorIs(t, err, fakeec2.ErrExisting)
	_, err = e.AddTrunk("node-1", branch.GroupSet{})
	require.ErrorIs(t, err, fakeec2.ErrExisting)
	assert.Contains(t, err.Error(), "instance node-1: cannot add the interface: already has trunk "+tr.String())
}
