package scenario

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/reach"
)

// groupsDoc is a cluster whose web policy names sg-0a000002 and, with
// declared, a securityGroups list that holds only sg-0a000001.
func groupsDoc(declared bool) string {
	doc := `seed: 1
until: 10m
nodeGroups:
  - {name: ng, instanceType: m5.large, count: 1}
securityGroupPolicies:
  - apiVersion: vpcresources.k8s.aws/v1beta1
    kind: SecurityGroupPolicy
    metadata: {name: web}
    spec:
      podSelector: {matchLabels: {app: web}}
      securityGroups: {groupIds: [sg-0a000001, sg-0a000002]}
workloads:
  - {name: web, labels: {app: web}, replicas: 2}
`
	if declared {
		doc += "securityGroups:\n  - {id: sg-0a000001, name: web}\n"
	}
	return doc
}

// Upstream: EC2 API reference, error codes (InvalidSecurityGroupID.NotFound
// for a group that does not exist); the EKS User Guide's
// security-groups-for-pods troubleshooting names the same error. A file
// that declares its groups gets the same verdict from `run` and `check`:
// the policy's undeclared group fails CreateNetworkInterface and the pods
// stay ContainerCreating. A file that declares none gets no such verdict
// from either.
func TestRunAndCheckAgreeOnAGroupThatDoesNotExist(t *testing.T) {
	for _, declared := range []bool{true, false} {
		sc := mustParse(t, groupsDoc(declared))
		check, err := reach.CheckCluster(sc.Cluster())
		require.NoError(t, err)
		var notFound []reach.Finding
		for _, f := range check.Findings {
			if f.Code == reach.CodeGroupNotFound {
				notFound = append(notFound, f)
			}
		}
		r, err := sc.Run(Options{})
		require.NoError(t, err)
		warnings := strings.Join(r.Warnings, "\n")
		if !declared {
			assert.Empty(t, notFound, "nothing declared, nothing missing")
			assert.True(t, check.OK(), "a warning, not an error")
			require.NotEmpty(t, check.Findings)
			assert.Equal(t, reach.CodeGroupsNotDeclared, check.Findings[0].Code)
			assert.Equal(t, 2, r.Pods.Running)
			assert.NotContains(t, warnings, "does not exist")
			continue
		}
		require.Len(t, notFound, 1)
		assert.Equal(t, "sg-0a000002", notFound[0].Peer)
		assert.False(t, check.OK())
		assert.Equal(t, 0, r.Pods.Running)
		assert.Equal(t, 12, r.Events["BranchAllocationFailed"], "six attempts for each of the two pods")
		assert.Contains(t, warnings, "security group sg-0a000002, named by policy default/web, does not exist")
		assert.Contains(t, warnings, "InvalidSecurityGroupID.NotFound")
		assert.Less(t, time.Duration(r.SimulatedSeconds*float64(time.Second)), 11*time.Minute)
	}
}
