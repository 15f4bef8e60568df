package sim_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/sim"
)

func TestFakeEC2OnItsOwn(t *testing.T) {
	e, err := sim.NewFakeEC2(sim.EC2{}, 1)
	require.NoError(t, err)
	groups := branch.NewGroupSet(webSG)
	trunkID, err := e.CreateNetworkInterface(0, sim.TrunkInterface, "i-1", branch.ENIID{}, branch.GroupSet{}, 0, 5)
	require.NoError(t, err)
	id, err := e.CreateNetworkInterface(0, sim.BranchInterface, "i-1", trunkID, groups, 1, 5)
	require.NoError(t, err)
	require.NoError(t, e.CreateNetworkInterfacePermission(0, id))
	assoc, err := e.AssociateTrunkInterface(0, id, trunkID, 1)
	require.NoError(t, err)
	got, ok := e.Lookup(id)
	require.True(t, ok)
	assert.Equal(t, groups, got.Groups)
	assert.Equal(t, assoc, got.Association)
	require.NoError(t, e.DisassociateTrunkInterface(0, assoc))
	require.NoError(t, e.DeleteNetworkInterface(0, id))
	err = e.DeleteNetworkInterface(0, id)
	var ae *sim.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, sim.CodeENINotFound, ae.Code)
	require.ErrorIs(t, err, sim.ErrEC2)
	assert.Len(t, e.Interfaces(), 1, "the trunk is left")
}

// EC2 quota: security groups per network interface (5 by default).
func TestFakeEC2RefusesMoreGroupsThanTheQuota(t *testing.T) {
	e, err := sim.NewFakeEC2(sim.EC2{}, 1)
	require.NoError(t, err)
	var ids []branch.SecurityGroupID
	for i := range 6 {
		ids = append(ids, branch.SecurityGroupIDFromUint64(uint64(i+1)))
	}
	_, err = e.CreateNetworkInterface(0, sim.BranchInterface, "i-1", branch.ENIID{}, branch.NewGroupSet(ids...), 1, 5)
	var ae *sim.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, sim.CodeTooManyGroups, ae.Code)
}

// EC2 API "Request throttling": mutating actions share a bucket of 50
// refilled at 5 per second, per action.
func TestFakeEC2ThrottlesPerActionBucket(t *testing.T) {
	e, err := sim.NewFakeEC2(sim.EC2{}, 1)
	require.NoError(t, err)
	ok := 0
	for range 60 {
		if _, err := e.CreateNetworkInterface(0, sim.TrunkInterface, "i", branch.ENIID{}, branch.GroupSet{}, 0, 5); err == nil {
			ok++
		}
	}
	assert.Equal(t, 50, ok)
	assert.Equal(t, 10, e.Throttled())
	_, err = e.CreateNetworkInterface(time.Second, sim.TrunkInterface, "i", branch.ENIID{}, branch.GroupSet{}, 0, 5)
	require.NoError(t, err, "refilled after a second")
	assert.Equal(t, 61, e.Calls()["CreateNetworkInterface"])
}

func TestSlowCallFaultsAddLatency(t *testing.T) {
	fast := cluster(t, sim.Config{}, "m5.large", 1)
	createWeb(t, fast, 0, 1)
	require.NoError(t, fast.Run())
	slow := cluster(t, sim.Config{Kubelet: sim.Kubelet{},
		EC2: sim.EC2{Faults: []sim.Fault{{API: sim.AssociateTrunkInterface, Probability: 1, Delay: 20 * time.Second}}}}, "m5.large", 1)
	createWeb(t, slow, 0, 1)
	require.NoError(t, slow.Run())
	assert.Greater(t, slow.Report().StartupBreakdownSeconds.EC2Calls, 20.0)
	assert.Less(t, fast.Report().StartupBreakdownSeconds.EC2Calls, 1.0)
	_, err := sim.New(sim.Config{EC2: sim.EC2{Faults: []sim.Fault{{API: sim.AssociateTrunkInterface, Probability: 1, Code: "X", Delay: time.Second}}}})
	require.ErrorIs(t, err, sim.ErrBadConfig)
}

func TestSeriesRecordsPodsAndBranchesOverTime(t *testing.T) {
	s := cluster(t, sim.Config{}, "m5.large", 1)
	s.RecordSeries()
	createWeb(t, s, 0, 10)
	require.NoError(t, s.Run())
	require.NoError(t, s.DeletePod("default", "web-0"))
	require.NoError(t, s.Run())
	series := s.Series()
	require.NotEmpty(t, series)
	peakRunning, peakCooling := 0, 0
	for i, x := range series {
		if i > 0 {
			assert.Greater(t, x.At, series[i-1].At, "one sample per moment, in order")
		}
		peakRunning = max(peakRunning, x.Running)
		peakCooling = max(peakCooling, x.Cooling)
		assert.LessOrEqual(t, x.InUse+x.Cooling, 9)
		assert.LessOrEqual(t, x.SGRunning, x.Running)
		assert.LessOrEqual(t, x.SGPending, x.Pending)
	}
	assert.Equal(t, 9, peakRunning)
	assert.Equal(t, 1, peakCooling)
	last := series[len(series)-1]
	assert.Equal(t, sim.Sample{At: last.At, Running: 9, Pending: 0, SGRunning: 9, InUse: 9, Cooling: 0}, last)
}
