package scenario

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rolloutOnFullNodes is examples/rolling-update: 27 security-group pods
// fill the branch slots of three m5.large nodes and are restarted three
// at a time, so each wave waits for the last one's branches to cool.
const rolloutOnFullNodes = `seed: 1
nodeGroups:
  - {name: workers, instanceType: m5.large, count: 3}
securityGroupPolicies:
  - apiVersion: vpcresources.k8s.aws/v1beta1
    kind: SecurityGroupPolicy
    metadata: {name: api, namespace: shop}
    spec:
      podSelector: {matchLabels: {app: api}}
      securityGroups: {groupIds: [sg-0a1b2c3d4e5f60718]}
workloads:
  - {name: api, namespace: shop, labels: {app: api}, replicas: 27, at: 1m}
events:
  - {at: 10m, action: rolloutRestart, workload: api, maxSurge: 0, maxUnavailable: 3}
`

// Upstream: controllers/core/configmap_controller.go applies a changed
// branch-eni-cooldown at once and broadcasts BranchENICoolDownPeriodUpdated
// to every node (pkg/utils/events.go SendBroadcastNodeEvent); the sweep
// reads the period each time (pkg/provider/branch/trunk/trunk.go,
// deletionTimeStamp plus GetCoolDownPeriod), and the getter clamps it to
// at least 30 s (pkg/provider/branch/cooldown/cooldown.go). Halving the
// cool-down in the middle of a rollout that waits on it shortens the
// rollout; 10 s runs as 30 s.
func TestBranchENICooldownChangedMidRunAppliesAtOnceClamped(t *testing.T) {
	run := func(extra string) (lastReady time.Duration, events int, warnings string) {
		sc := mustParse(t, rolloutOnFullNodes+extra)
		r, err := sc.Run(Options{})
		require.NoError(t, err)
		require.Equal(t, 27, r.Pods.Running)
		return time.Duration(r.LastReadySeconds * float64(time.Second)), r.Events["BranchENICoolDownPeriodUpdated"], strings.Join(r.Warnings, "\n")
	}
	base, none, _ := run("")
	assert.Zero(t, none)
	halved, events, warnings := run("  - {at: 12m, action: setBranchENICooldown, cooldown: 30s}\n")
	assert.Equal(t, 3, events, "one event on each node")
	assert.Less(t, halved, base-3*time.Minute, "the later waves wait 30 s, not 60 s")
	assert.Contains(t, warnings, "branch-eni-cooldown changed at 12m0s from 1m0s to 30s")

	clamped, _, warnings := run("  - {at: 12m, action: setBranchENICooldown, cooldown: 10s}\n")
	assert.Equal(t, halved, clamped, "10 s is read as 30 s")
	assert.Contains(t, warnings, "to 30s (clamped from 10s")

	same, events, _ := run("  - {at: 12m, action: setBranchENICooldown, cooldown: 1m}\n")
	assert.Equal(t, base, same)
	assert.Zero(t, events, "the period in force: no change, no event")
}
