package sim_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/sim"
)

// Upstream: EC2 answers CreateNetworkInterface for a group that does not
// exist with InvalidSecurityGroupID.NotFound (EC2 API reference, error
// codes). The resource controller v1.8.2 emits BranchAllocationFailed on
// the pod and returns the error (pkg/provider/branch/provider.go
// CreateAndAnnotateResources); its worker requeues the job until
// NumRequeues reaches WorkQueueDefaultMaxRetries, 5 (pkg/worker/worker.go
// processNextItem, pkg/config/loader.go), so six attempts, then forgets it
// until the resync. The pod is never annotated: it stays ContainerCreating.
func TestPolicyWithAGroupThatDoesNotExistFailsSixTimesAndWaitsForTheResync(t *testing.T) {
	s := cluster(t, sim.Config{}, "m5.large", 1)
	declared := branch.MustParseSecurityGroupID("sg-0a000001")
	require.NoError(t, s.AddSecurityGroup(declared)) // webSG, the policy's group, is not declared
	require.NoError(t, s.Run())
	createWeb(t, s, 0, 1)
	require.NoError(t, s.RunUntil(10*time.Minute))
	r := s.Report()
	assert.Equal(t, 6, r.Events["BranchAllocationFailed"], "MaxRetries 5: six attempts")
	assert.Equal(t, 6, r.EC2.Errors, "one call per attempt: the SDK does not retry it")
	assert.Equal(t, 0, r.Pods.Running)
	assert.Equal(t, 0, r.BranchENIs.Created)
	assert.Equal(t, 0, r.BranchENIs.Leaked)
	require.Len(t, r.PendingReasons, 1)
	for reason := range r.PendingReasons {
		assert.Contains(t, reason, "InvalidSecurityGroupID.NotFound")
		assert.Contains(t, reason, webSG.String())
	}
	assert.Contains(t, strings.Join(r.Warnings, "\n"), "security group "+webSG.String()+", named by policy default/web, does not exist")

	require.NoError(t, s.RunUntil(31*time.Minute))
	assert.Equal(t, 12, s.Report().Events["BranchAllocationFailed"], "the resync tries six times more")
	require.NoError(t, s.Check())
}

// A declared group is created as before; a Sim that declares none takes
// every group to exist.
func TestDeclaredGroupsAreTheOnesThatExist(t *testing.T) {
	for _, declare := range []bool{false, true} {
		s := cluster(t, sim.Config{}, "m5.large", 1)
		if declare {
			require.NoError(t, s.AddSecurityGroup(webSG))
		}
		createWeb(t, s, 0, 3)
		require.NoError(t, s.Run())
		r := s.Report()
		assert.Equal(t, 3, r.Pods.Running, "declared %v", declare)
		assert.Zero(t, r.Events["BranchAllocationFailed"])
	}
	s := cluster(t, sim.Config{}, "m5.large", 1)
	err := s.AddSecurityGroup(branch.SecurityGroupID{})
	require.ErrorIs(t, err, sim.ErrBadSpec)
	var oe *sim.ObjectError
	require.ErrorAs(t, err, &oe)
}
