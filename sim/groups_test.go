package sim_test

import (
	"fmt"
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

// Upstream: EC2 refuses an interface with more groups than its quota with
// SecurityGroupsPerInterfaceLimitExceeded (EC2 API reference, error
// codes; 5 by default). The resource controller v1.8.2 frees the VLAN it
// assigned when CreateNetworkInterface fails
// (pkg/provider/branch/trunk/trunk.go CreateAndAssociateBranchENIs,
// freeVlanId), emits BranchAllocationFailed and returns the error
// (pkg/provider/branch/provider.go), and its worker retries five times
// (pkg/worker/worker.go, pkg/config/loader.go WorkQueueDefaultMaxRetries)
// and then leaves the pod to the resync. The pod stays Pending
// (ContainerCreating), not failed, and the attempts that failed never had
// an ENI, so none counts as in use.
func TestTooManyGroupsStaysContainerCreatingAndRetriesAtTheResync(t *testing.T) {
	s, err := sim.New(sim.Config{})
	require.NoError(t, err)
	groups := make([]branch.SecurityGroupID, 6)
	for i := range groups {
		groups[i] = branch.MustParseSecurityGroupID(fmt.Sprintf("sg-0d00000%d", i+1))
	}
	require.NoError(t, s.AddPolicy(branch.Policy{Namespace: "default", Name: "web",
		PodSelector: &branch.LabelSelector{MatchLabels: map[string]string{"app": "web"}}, Groups: groups}))
	require.NoError(t, s.AddNode(sim.NodeSpec{Name: "n0", InstanceType: "m5.large"}))
	createWeb(t, s, 0, 2)
	require.NoError(t, s.RunUntil(10*time.Minute))
	r := s.Report()
	assert.Equal(t, 12, r.Events["BranchAllocationFailed"], "six attempts for each pod")
	assert.Equal(t, 2, r.Pods.Pending)
	assert.Zero(t, r.Pods.Failed, "a dropped pod has not failed")
	assert.Zero(t, r.BranchENIs.PeakInUse, "failed attempts had no ENI")
	assert.Zero(t, r.BranchENIs.Created)
	for reason, n := range r.PendingReasons {
		assert.Equal(t, 2, n)
		assert.Contains(t, reason, sim.CodeTooManyGroups)
		assert.Contains(t, reason, "next try at the resync")
	}
	require.NoError(t, s.RunUntil(31*time.Minute))
	assert.Equal(t, 24, s.Report().Events["BranchAllocationFailed"], "the resync tries again, six times each")
	require.NoError(t, s.Check())
}

// Upstream: resource controller v1.8.2. When a pod that asked for a
// branch matches no SecurityGroupPolicy by the time its job runs,
// pkg/provider/branch/provider.go CreateAndAnnotateResources records
// SecurityGroupRequested as a Warning ("will get the instance security
// group"), and pkg/provider/branch/trunk/trunk.go
// CreateAndAssociateBranchENIs creates the branch with
// CurrentInstanceSecurityGroups: the instance's own groups.
func TestBranchForAPodNoPolicyMatchesGetsTheInstanceGroups(t *testing.T) {
	nodeSG := branch.MustParseSecurityGroupID("sg-0e000001")
	s, err := sim.New(sim.Config{})
	require.NoError(t, err)
	var trace strings.Builder
	s.SetTrace(&trace)
	require.NoError(t, s.AddPolicy(webPolicy()))
	require.NoError(t, s.AddNode(sim.NodeSpec{Name: "n0", InstanceType: "m5.large", SecurityGroups: []branch.SecurityGroupID{nodeSG}}))
	createWeb(t, s, 0, 1) // the webhook gives it the pod-eni request now
	require.NoError(t, s.RemovePolicy("default", "web"))
	require.NoError(t, s.Run())
	r := s.Report()
	require.Equal(t, 1, r.Pods.Running)
	var groups []branch.GroupSet
	for _, e := range s.EC2().Interfaces() {
		if e.Kind == sim.BranchInterface {
			groups = append(groups, e.Groups)
		}
	}
	assert.Equal(t, []branch.GroupSet{branch.NewGroupSet(nodeSG)}, groups)
	assert.Contains(t, trace.String(), `"event":"SecurityGroupRequested","object":"pod/default/web-0","detail":"Warning: no SecurityGroupPolicy matches; using the instance's security groups"`)

	err = s.AddNode(sim.NodeSpec{Name: "n1", InstanceType: "m5.large", SecurityGroups: []branch.SecurityGroupID{{}}})
	require.ErrorIs(t, err, sim.ErrBadSpec)
}
