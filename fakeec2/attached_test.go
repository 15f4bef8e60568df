package fakeec2_test

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/fakeec2"
)

// Interface.Attached says whether AttachNetworkInterface succeeded for a
// trunk: a trunk is created detached (EC2 CreateNetworkInterface answers
// status "available"), a failed attach leaves it so, and a successful one
// sets it (the resource controller's trunk init, pkg/provider/trunk
// trunk.go InitTrunk, attaches the interface it created). Branches are
// never attached; they are associated.
func TestAttachedIsSetOnlyByASuccessfulAttach(t *testing.T) {
	e, err := fakeec2.New(fakeec2.Config{NoAccountThrottling: true, Faults: []fakeec2.Fault{
		{API: fakeec2.AttachNetworkInterface, Code: "InternalError", Probability: 1, Until: 1},
	}}, rand.New(rand.NewPCG(1, 2)))
	require.NoError(t, err)
	attached := func(id branch.ENIID) bool {
		for _, n := range e.Interfaces() {
			if n.ID == id {
				return n.Attached
			}
		}
		t.Fatalf("no interface %v", id)
		return false
	}
	tr := e.Do(0, fakeec2.Request{API: fakeec2.CreateNetworkInterface, Kind: fakeec2.TrunkInterface, Instance: "n1", Quota: 5})
	require.NoError(t, tr.Err)
	assert.False(t, attached(tr.ENI), "created")

	require.Error(t, e.Do(0, fakeec2.Request{API: fakeec2.AttachNetworkInterface, ENI: tr.ENI}).Err)
	assert.False(t, attached(tr.ENI), "after a failed attach")

	require.NoError(t, e.Do(1, fakeec2.Request{API: fakeec2.AttachNetworkInterface, ENI: tr.ENI}).Err)
	assert.True(t, attached(tr.ENI), "after a successful attach")

	b := e.Do(1, fakeec2.Request{API: fakeec2.CreateNetworkInterface, Kind: fakeec2.BranchInterface, Instance: "n1", Trunk: tr.ENI, Quota: 5})
	require.NoError(t, b.Err)
	require.NoError(t, e.Do(1, fakeec2.Request{API: fakeec2.AssociateTrunkInterface, ENI: b.ENI, Trunk: tr.ENI, VLAN: 1}).Err)
	assert.False(t, attached(b.ENI), "a branch is associated, not attached")
}
