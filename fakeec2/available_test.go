package fakeec2_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/fakeec2"
)

// The cluster ENI cleaner lists available interfaces 1000 a page
// (resource controller pkg/config/type.go
// DescribeNetworkInterfacesMaxResults, v1.8.2, read by
// pkg/aws/ec2/api/wrapper.go DescribeNetworkInterfacesPagesWithRetry): a
// branch with no trunk association is available, an associated one and an
// attached trunk are not, and the VPC CNI owns none of the fake's.
func TestDescribeAvailablePagesOf1000(t *testing.T) {
	e, err := fakeec2.New(fakeec2.Config{NoAccountThrottling: true}, rand.New(rand.NewPCG(1, 2)))
	require.NoError(t, err)
	now := time.Duration(0)
	tr := e.Do(now, fakeec2.Request{API: fakeec2.CreateNetworkInterface, Kind: fakeec2.TrunkInterface, Instance: "n1", Quota: 5})
	require.NoError(t, tr.Err)
	require.NoError(t, e.Do(now, fakeec2.Request{API: fakeec2.AttachNetworkInterface, ENI: tr.ENI}).Err)
	var first branch.ENIID
	for i := range 1002 {
		b := e.Do(now, fakeec2.Request{API: fakeec2.CreateNetworkInterface, Kind: fakeec2.BranchInterface, Instance: "n1", Trunk: tr.ENI, Quota: 5})
		require.NoError(t, b.Err)
		if i == 0 {
			first = b.ENI
			require.NoError(t, e.Do(now, fakeec2.Request{API: fakeec2.AssociateTrunkInterface, ENI: b.ENI, Trunk: tr.ENI, VLAN: 1}).Err)
		}
	}
	list := func(o fakeec2.Owner, page int) fakeec2.Answer {
		a := e.Do(now, fakeec2.Request{API: fakeec2.DescribeNetworkInterfaces, Available: o, Page: page})
		require.NoError(t, a.Err)
		return a
	}
	p0, p1 := list(fakeec2.OwnerController, 0), list(fakeec2.OwnerController, 1)
	assert.Len(t, p0.Branches, 1000)
	assert.True(t, p0.More)
	assert.Len(t, p1.Branches, 1, "the associated branch and the attached trunk are not available")
	assert.False(t, p1.More)
	assert.NotEqual(t, first, p0.Branches[0].ID)

	e.TerminateInstance("n1")
	p1 = list(fakeec2.OwnerController, 1)
	assert.Len(t, p1.Branches, 2, "terminating the instance drops the association")
	assert.Empty(t, list(fakeec2.OwnerCNI, 0).Branches)
}
