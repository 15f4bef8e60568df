package sim_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/sim"
)

// A node's trunk, once the controller has initialised it, is listed
// attached (sim.Interface.Attached): the controller creates, attaches and
// tags it (pkg/provider/trunk/trunk.go InitTrunk), so every trunk of a
// ready node is attached and no branch is.
func TestTrunkOfAReadyNodeIsAttached(t *testing.T) {
	s := cluster(t, sim.Config{}, "m5.large", 2)
	require.NoError(t, s.Run())
	trunks := 0
	for _, n := range s.EC2().Interfaces() {
		switch n.Kind {
		case sim.TrunkInterface:
			trunks++
			assert.True(t, n.Attached, "trunk %v", n.ID)
		case sim.BranchInterface:
			assert.False(t, n.Attached, "branch %v", n.ID)
		}
	}
	assert.Equal(t, 2, trunks)
}
