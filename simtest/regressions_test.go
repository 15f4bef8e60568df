package simtest_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/sim"
	"github.com/trunksim/trunksim/simtest"
)

// Regression tests for simulator faults the kit found, each replaying the
// case it printed and asserting what upstream does.

// A sweep hands out every cooled ENI at once; when deleting the first one
// failed, the sweep once re-took the queue head and dropped the rest of its
// batch. Those ENIs stay "deleting" in the trunk for ever: never deleted
// from EC2, their VLANs held, reported as leaks that upstream does not
// have. Upstream deletes one ENI at a time and puts a failed one back at
// the head, so nothing behind it is lost.
// Upstream: pkg/provider/branch/trunk/trunk.go (DeleteCooledDownENIs).
func TestFailedDeleteKeepsTheRestOfItsSweepBatch(t *testing.T) {
	// The case as the harness printed it, shrunk: two creations fail after
	// their ENI exists, and the sweep's first delete fails every attempt.
	requireReplayClean(t, `
until: 1m30s
ec2:
  faults:
    - {api: AssociateTrunkInterface, code: InternalError, probability: 1, from: 2µs, until: 14.000002s}
    - {api: DeleteNetworkInterface, code: InsufficientFreeAddressesInSubnet, probability: 1, from: 3µs, until: 39.000003s}
nodeGroups:
  - {name: ng0, instanceType: m5.large, count: 1}
securityGroupPolicies:
  - apiVersion: vpcresources.k8s.aws/v1beta1
    kind: SecurityGroupPolicy
    metadata: {name: sgp0}
    spec:
      podSelector: {matchLabels: {app: web}}
      securityGroups: {groupIds: [sg-00000000000000001]}
workloads:
  - {name: p0, labels: {app: web}, replicas: 1, at: 1µs}
`)
}

// requireReplayClean replays a scenario the harness printed for a case
// that ended idle and requires the checkers to find nothing upstream does
// not share.
func requireReplayClean(t *testing.T, yaml string) {
	t.Helper()
	s, trace, err := simtest.Replay("case.yaml", []byte(yaml))
	require.NoError(t, err)
	v := simtest.NewView(trace)
	all := append(simtest.CheckSim(s, v), simtest.CheckIdle(s, v)...)
	require.Empty(t, simtest.Unexplained(all))
}

// A controller restart cuts off the work in flight, including a call the
// SDK is about to retry: once, a CreateNetworkInterface retried after the
// restarted controller had rebuilt the trunk made an ENI no trunk would
// ever track. Upstream the retry dies with the process.
// Upstream: pkg/provider/branch/trunk/trunk.go (InitTrunk); the SDK's
// retryer runs inside the controller process.
func TestRetryDiesWithTheRestartedController(t *testing.T) {
	// The case as the harness printed it, shrunk: the pod's
	// CreateNetworkInterface fails and is being retried when the
	// controller restarts; the retry succeeds after the trunk was rebuilt.
	s, trace, err := simtest.Replay("case.yaml", []byte(`
until: 17.000002s
ec2:
  faults:
    - {api: CreateNetworkInterface, code: InternalError, probability: 1, from: 1.000001s, until: 5.000001s}
nodeGroups:
  - {name: ng0, instanceType: m5.large, count: 1}
securityGroupPolicies:
  - apiVersion: vpcresources.k8s.aws/v1beta1
    kind: SecurityGroupPolicy
    metadata: {name: sgp0, namespace: shop}
    spec:
      podSelector: {matchLabels: {app: web}}
      securityGroups: {groupIds: [sg-00000000000000001]}
workloads:
  - {name: p0, namespace: shop, labels: {app: web}, replicas: 1, at: 4.000001s}
events:
  - {at: 4.000002s, action: restartController}
`))
	require.NoError(t, err)
	require.Empty(t, simtest.Unexplained(simtest.CheckSim(s, simtest.NewView(trace))))
}

// A branch creation whose AssociateTrunkInterface call ends after its
// deleted node's trunk was wiped (a minute after the deletion) once bound
// the branch to a trunk that was gone and panicked. Upstream the worker still holds the trunk object, so the ENI is
// queued on a trunk nobody sweeps and leaks until a cleaner deletes it.
// Upstream: pkg/provider/branch/provider.go (DeleteNode);
// pkg/provider/branch/trunk/trunk.go (CreateAndAssociateBranchENIs).
func TestCreationOutlivingAWipedTrunkLeaksLikeUpstream(t *testing.T) {
	h := start(t, []int{1, 1}, policy("web", "web", sg1))
	advance(t, h, 5*time.Second)
	from := h.Now() + simtest.Tick
	require.NoError(t, h.InjectFault(sim.Fault{API: sim.AssociateTrunkInterface, Delay: 90 * time.Second, Probability: 1, From: from, Until: from + 5*time.Second}))
	createPods(t, h, "web", 2)
	advance(t, h, 5*time.Second)
	require.NoError(t, h.DeleteNode("ng0-0"))
	settle(t, h) // panics: nil trunk
	survivorsExceptLeaks(t, h)
}
