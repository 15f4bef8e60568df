package scenario

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Upstream: aws-node asks for a trunk (adds the SecurityGroupsForPods
// feature to the CNINode) only while fewer interfaces are attached than
// it may use, and asks again from its pool loop every 5 s while no trunk
// is attached (amazon-vpc-cni-k8s v1.23.2 pkg/ipamd/ipamd.go
// tryEnableSecurityGroupsForPods, updateIPPoolIfRequired,
// ipPoolMonitorInterval); with the default warm pool an m5.large running
// ten or more ordinary pods holds all three interfaces
// (isDatastorePoolTooLow). So turning ENABLE_POD_ENI on gives a busy
// node no trunk until enough pods leave: "will enabling ENABLE_POD_ENI on
// this live node get a trunk without draining?" No, not this one.
func TestEnablingPodENIOnABusyNodeWaitsForAnInterfaceSlot(t *testing.T) {
	doc := `seed: 1
cni: {enablePodENI: false}
nodeGroups:
  - {name: ng, instanceType: m5.large, count: 1}
securityGroupPolicies:
  - apiVersion: vpcresources.k8s.aws/v1beta1
    kind: SecurityGroupPolicy
    metadata: {name: api}
    spec:
      podSelector: {matchLabels: {app: api}}
      securityGroups: {groupIds: [sg-0a000001]}
workloads:
  - {name: plain, labels: {app: plain}, replicas: 20}
  - {name: api, labels: {app: api}, replicas: 3, at: 2m}
events:
  - {at: 1m, action: enablePodENI}
`
	early, err := mustParse(t, doc+"until: 4m\n").Run(Options{})
	require.NoError(t, err)
	assert.Equal(t, 3, early.Pods.Pending, "no trunk while the plain pods hold every interface")
	assert.Equal(t, 0, early.Trunks.Created)
	warnings := strings.Join(early.Warnings, "\n")
	assert.Contains(t, warnings, "aws-node finds no interface slot for a trunk: its 20 ordinary pods' addresses and the warm pool hold all 3 interfaces")
	assert.Contains(t, warnings, "ENABLE_POD_ENI turned on at 1m0s")

	// Scaled to 8, the pods fit on two interfaces: ipamd frees the third,
	// aws-node asks 5 s later, and the trunk comes.
	r, err := mustParse(t, doc+"  - {at: 5m, action: scale, workload: plain, replicas: 8}\n").Run(Options{})
	require.NoError(t, err)
	assert.Equal(t, 11, r.Pods.Running)
	assert.Equal(t, 1, r.Trunks.Created)
	assert.Greater(t, r.LastReadySeconds, 305.0, "not before the ask at 5m5s")
	assert.Less(t, r.LastReadySeconds, 320.0)

	// A node that is not busy gets its trunk when the setting turns on.
	quiet, err := mustParse(t, strings.Replace(doc, "replicas: 20", "replicas: 5", 1)).Run(Options{})
	require.NoError(t, err)
	assert.Equal(t, 8, quiet.Pods.Running)
	assert.Less(t, quiet.LastReadySeconds, 125.0, "the api pods start as soon as they are created")

	_, err = Parse("t.yaml", []byte(strings.Replace(doc, "cni: {enablePodENI: false}\n", "", 1)))
	require.ErrorIs(t, err, ErrInvalidValue)
	assert.ErrorContains(t, err, "ENABLE_POD_ENI is on already")
}
