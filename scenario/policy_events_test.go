package scenario

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A policy applied mid-run matches the pods created after it and leaves
// those running alone, and a deleted one matches no new pod: the webhook
// mutates a pod at its creation only (amazon-vpc-resource-controller-k8s
// webhooks/core/pod_webhook.go), so running pods keep their branch.
func TestPolicyEventsApplyToPodsCreatedAfter(t *testing.T) {
	doc := `nodeGroups:
  - {name: ng, instanceType: m5.xlarge, count: 1}
workloads:
  - {name: before, labels: {app: web}, replicas: 2}
  - {name: during, labels: {app: web}, replicas: 3, at: 2m}
  - {name: after, labels: {app: web}, replicas: 4, at: 4m}
events:
  - at: 1m
    action: applyPolicy
    policy:
      apiVersion: vpcresources.k8s.aws/v1beta1
      kind: SecurityGroupPolicy
      metadata: {name: web}
      spec:
        podSelector: {matchLabels: {app: web}}
        securityGroups: {groupIds: [sg-0123456789abcdef0]}
  - {at: 3m, action: deletePolicy, policyName: default/web}
`
	sc, err := Parse("pe.yaml", []byte(doc))
	require.NoError(t, err)
	r, err := sc.Run(Options{})
	require.NoError(t, err)
	assert.Equal(t, 9, r.Pods.Running)
	assert.Equal(t, 3, r.Pods.SecurityGroupPods, "only the pods created while the policy existed")
	assert.Equal(t, 3, r.Pods.StaleGroups, "the pods made while it existed keep its group")
	assert.Contains(t, strings.Join(r.Warnings, "\n"), "workload default/during: 3 running pod(s) keep [sg-0123456789abcdef0] (such as default/during-0) where the policies now give its node's groups")
	out, err := sc.Marshal()
	require.NoError(t, err)
	back, err := Parse("pe.yaml", out)
	require.NoError(t, err)
	assert.Equal(t, sc.Events, back.Events)
}

// An event's policy keys are checked as the rest of its keys are.
func TestPolicyEventErrors(t *testing.T) {
	for _, tc := range []struct{ doc, field, text string }{
		{"events:\n  - {at: 1m, action: applyPolicy}\n", "events[0].policy", "applyPolicy needs policy"},
		{"events:\n  - {at: 1m, action: deletePolicy}\n", "events[0].policyName", "deletePolicy needs policyName"},
		{"events:\n  - {at: 1m, action: deletePolicy, policyName: a/b/C}\n", "events[0].policyName", "want namespace/name"},
		{"events:\n  - {at: 1m, action: scale, workload: w, replicas: 1, policyName: a/b}\nworkloads:\n  - {name: w, replicas: 1}\n", "events[0].policyName", "for action scale"},
	} {
		_, err := Parse("pe.yaml", []byte(tc.doc))
		var e *Error
		require.ErrorAs(t, err, &e, tc.doc)
		assert.Equal(t, tc.field, e.Field, "%v", err)
		assert.ErrorContains(t, err, tc.text)
	}
}

// Upstream: a running pod's branch keeps the groups it was made with when
// its policy changes (the webhook mutates pods at creation only,
// webhooks/core/pod_webhook.go; resource controller #11 and #373 ask for
// updates and are open), and an ordinary pod that a new policy matches
// keeps its node's groups. The report counts and names those pods; a
// rollout restart replaces them with pods of the groups of now.
func TestRunningPodsKeepTheirGroupsWhenPoliciesChangeAndTheReportNamesThem(t *testing.T) {
	policy := func(at, group string) string {
		return "  - at: " + at + `
    action: applyPolicy
    policy:
      apiVersion: vpcresources.k8s.aws/v1beta1
      kind: SecurityGroupPolicy
      metadata: {name: web}
      spec:
        podSelector: {matchLabels: {app: web}}
        securityGroups: {groupIds: [` + group + `]}
`
	}
	doc := `nodeGroups:
  - {name: ng, instanceType: m5.xlarge, count: 2}
workloads:
  - {name: web, labels: {app: web}, replicas: 4, at: 30s}
  - {name: plain, labels: {app: plain}, replicas: 2, at: 30s}
events:
` + policy("0s", "sg-0a000001") + policy("2m", "sg-0a000002") + `  - at: 3m
    action: applyPolicy
    policy:
      apiVersion: vpcresources.k8s.aws/v1beta1
      kind: SecurityGroupPolicy
      metadata: {name: plain}
      spec:
        podSelector: {matchLabels: {app: plain}}
        securityGroups: {groupIds: [sg-0a000003]}
`
	r, err := mustParse(t, doc).Run(Options{})
	require.NoError(t, err)
	assert.Equal(t, 6, r.Pods.StaleGroups)
	warnings := strings.Join(r.Warnings, "\n")
	assert.Contains(t, warnings, "workload default/web: 4 running pod(s) keep [sg-0a000001] (such as default/web-0) where the policies now give [sg-0a000002]")
	assert.Contains(t, warnings, "workload default/plain: 2 running pod(s) keep its node's groups (such as default/plain-0) where the policies now give [sg-0a000003]")

	restarted, err := mustParse(t, doc+"  - {at: 4m, action: rolloutRestart, workload: web}\n  - {at: 4m, action: rolloutRestart, workload: plain}\n").Run(Options{})
	require.NoError(t, err)
	assert.Zero(t, restarted.Pods.StaleGroups, "the new pods get the groups of now")
	assert.NotContains(t, strings.Join(restarted.Warnings, "\n"), "keep")
}

// A group that a policy named cannot be deleted while its branches exist,
// cooling ones included (EC2 DeleteSecurityGroup: DependencyViolation);
// once they are gone it can, and a policy naming it again leaves its new
// pods ContainerCreating (InvalidSecurityGroupID.NotFound). Relabelling a
// service account changes which policy new pods match and leaves the
// running ones on the groups they had.
func TestDeletingAPolicysGroupAndRelabellingAnAccount(t *testing.T) {
	doc := `seed: 1
nodeGroups:
  - {name: ng, instanceType: m5.xlarge, count: 1}
serviceAccounts:
  - {name: api, labels: {tier: front}}
securityGroups:
  - {id: sg-0a000001, name: web}
  - {id: sg-0a000002, name: front}
securityGroupPolicies:
  - apiVersion: vpcresources.k8s.aws/v1beta1
    kind: SecurityGroupPolicy
    metadata: {name: web}
    spec:
      podSelector: {matchLabels: {app: web}}
      securityGroups: {groupIds: [sg-0a000001]}
  - apiVersion: vpcresources.k8s.aws/v1beta1
    kind: SecurityGroupPolicy
    metadata: {name: front}
    spec:
      serviceAccountSelector: {matchLabels: {tier: front}}
      securityGroups: {groupIds: [sg-0a000002]}
workloads:
  - {name: web, labels: {app: web}, replicas: 2}
  - {name: api, serviceAccount: api, replicas: 2}
events:
  - {at: 5m, action: deletePolicy, policyName: web}
  - {at: 5m, action: deleteSecurityGroup, securityGroup: sg-0a000001}
  - {at: 6m, action: scale, workload: web, replicas: 0}
  - {at: 6m30s, action: deleteSecurityGroup, securityGroup: sg-0a000001}
  - {at: 10m, action: deleteSecurityGroup, securityGroup: sg-0a000001}
  - {at: 11m, action: labelServiceAccount, serviceAccount: default/api, labels: {tier: back}}
  - {at: 11m, action: scale, workload: api, replicas: 3}
  - at: 12m
    action: applyPolicy
    policy:
      apiVersion: vpcresources.k8s.aws/v1beta1
      kind: SecurityGroupPolicy
      metadata: {name: web}
      spec:
        podSelector: {matchLabels: {app: web}}
        securityGroups: {groupIds: [sg-0a000001]}
  - {at: 12m, action: scale, workload: web, replicas: 1}
until: 20m
`
	sc := mustParse(t, doc)
	r, err := sc.Run(Options{})
	require.NoError(t, err)
	warnings := strings.Join(r.Warnings, "\n")
	assert.Contains(t, warnings, "deleteSecurityGroup at 5m0s: DeleteSecurityGroup: DependencyViolation: sg-0a000001 is used by 2 network interface(s); the group stays")
	assert.Contains(t, warnings, "deleteSecurityGroup at 6m30s: DeleteSecurityGroup: DependencyViolation", "the branches still cool")
	assert.NotContains(t, warnings, "deleteSecurityGroup at 10m0s", "gone once they were deleted")
	assert.Contains(t, warnings, "security group sg-0a000001, named by policy default/web, does not exist: CreateNetworkInterface fails with InvalidSecurityGroupID.NotFound and 1 pod(s) stay ContainerCreating")
	assert.Contains(t, warnings, "workload default/api: 2 running pod(s) keep [sg-0a000002] (such as default/api-0) where the policies now give its node's groups")
	assert.Equal(t, 3+0, r.Pods.Running, "api's three run, the third as an ordinary pod; web's new pod waits")
	assert.Equal(t, 1, r.Pods.Pending)

	out, err := sc.Marshal()
	require.NoError(t, err)
	back := mustParse(t, string(out))
	assert.Equal(t, sc.Events, back.Events)
}
