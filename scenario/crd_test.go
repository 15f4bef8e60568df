package scenario

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/reach"
)

// publishedPolicy is a cluster with one m5.large node and two web pods, and
// a policy whose spec is spec (indented under "spec:"), in the shapes that
// AWS's documentation, workshops and samples publish.
func publishedPolicy(spec string) string {
	return `seed: 1
until: 10m
nodeGroups:
  - {name: ng, instanceType: m5.large, count: 1}
workloads:
  - {name: web, labels: {app: web}, replicas: 2}
securityGroupPolicies:
  - apiVersion: vpcresources.k8s.aws/v1beta1
    kind: SecurityGroupPolicy
    metadata: {name: web}
    spec:
` + spec
}

// Upstream: the SecurityGroupPolicy CRD, v1.8.2
// config/crd/bases/vpcresources.k8s.aws_securitygrouppolicies.yaml, types
// groupIds as a list of strings with minItems 1 and no pattern, so the API
// server stores the placeholders that published manifests carry; EC2 then
// refuses them (EC2 API reference, error codes: InvalidGroupId.Malformed,
// Invalid id: "<text>" (expecting "sg-...")), the controller retries, and
// the pods stay ContainerCreating. The scenario loads them, warns at the
// line, runs them to that failure, and `check` names the fix.
func TestMalformedGroupIDsAreStoredAndFailAtCreateNetworkInterface(t *testing.T) {
	for _, text := range []string{
		"${POD_SG}",                // a workshop's shell variable, never expanded
		"my_pod_security_group_id", // the EKS User Guide's placeholder
		"sg-1234567",               // 7 hex digits
		"sg-0123456789a",           // 11
		"sg-0123456789abcdef",      // 16
		"SG-0123456789ABCDEF0",     // upper case
	} {
		t.Run(text, func(t *testing.T) {
			doc := publishedPolicy("      podSelector: {matchLabels: {app: web}}\n      securityGroups:\n        groupIds:\n          - sg-0a000001\n          - '" + text + "'\n")
			sc := mustParse(t, doc)
			assert.Equal(t, []string{text}, sc.MalformedGroups)
			require.Len(t, sc.SecurityGroupPolicies, 1)
			assert.Equal(t, []branch.SecurityGroupID{branch.MustParseSecurityGroupID("sg-0a000001"), branch.MalformedGroupID(text)},
				sc.SecurityGroupPolicies[0].Groups)
			require.Len(t, sc.Warnings, 1)
			assert.Contains(t, sc.Warnings[0], "t.yaml:16: securityGroupPolicies[0].spec.securityGroups.groupIds[1]: ")
			assert.Contains(t, sc.Warnings[0], "InvalidGroupId.Malformed")

			r, err := sc.Run(Options{})
			require.NoError(t, err)
			assert.Equal(t, 0, r.Pods.Running)
			assert.Equal(t, 2, r.Pods.Pending)
			assert.Equal(t, 12, r.Events["BranchAllocationFailed"], "six attempts for each of the two pods")
			warnings := strings.Join(r.Warnings, "\n")
			assert.Contains(t, warnings, `security group ID "`+text+`", named by policy default/web, is no ID`)
			assert.Contains(t, warnings, "t.yaml:16:", "the load warning reaches the report")

			check, err := reach.CheckCluster(sc.Cluster())
			require.NoError(t, err)
			require.NotEmpty(t, check.Findings)
			f := check.Findings[0]
			assert.Equal(t, reach.CodeGroupMalformed, f.Code)
			assert.Equal(t, text, f.Peer)
			assert.False(t, check.OK())

			// Written back as it was read.
			out, err := sc.Marshal()
			require.NoError(t, err)
			again := mustParse(t, string(out))
			assert.Equal(t, sc.MalformedGroups, again.MalformedGroups)
			assert.Equal(t, sc.SecurityGroupPolicies, again.SecurityGroupPolicies)
		})
	}

	// The same placeholder in two policies is one stand-in.
	doc := publishedPolicy("      podSelector: {matchLabels: {app: web}}\n      securityGroups: {groupIds: [my_sg]}\n") +
		"  - {apiVersion: vpcresources.k8s.aws/v1beta1, kind: SecurityGroupPolicy, metadata: {name: api}, spec: {podSelector: {}, securityGroups: {groupIds: [my_sg]}}}\n"
	sc := mustParse(t, doc)
	assert.Equal(t, []string{"my_sg"}, sc.MalformedGroups)
	assert.Len(t, sc.Warnings, 2, "each place is named")
}

// Upstream: the controller skips a policy with neither selector or
// without groups, and a selector metav1.LabelSelectorAsSelector cannot
// convert matches nothing, so its policy matches no pod
// (pkg/utils/helper.go filterPodSecurityGroups, v1.8.2); the CRD's schema
// lets all of them through, and prunes fields outside it (a typo then
// leaves no selector). Each loads with a warning at its line, and its pods
// run as ordinary pods on the node's groups.
func TestPoliciesTheControllerCannotUseAreStoredAndMatchNoPod(t *testing.T) {
	tests := []struct {
		name, spec string
		line       int
		field      string
		text       string
	}{
		{"no selector", "      securityGroups: {groupIds: [sg-0a000001]}\n", 12, "securityGroupPolicies[0].spec", "must set podSelector"},
		{"no securityGroups", "      podSelector: {matchLabels: {app: web}}\n", 12, "securityGroupPolicies[0].spec.securityGroups.groupIds", "at least one group"},
		{"a misspelt selector, pruned", "      podselector: {matchLabels: {app: web}}\n      securityGroups: {groupIds: [sg-0a000001]}\n", 12, "securityGroupPolicies[0].spec.podselector", "unknown field, dropped"},
		{"unknown operator", "      podSelector: {matchExpressions: [{key: app, operator: in, values: [web]}]}\n      securityGroups: {groupIds: [sg-0a000001]}\n", 12, "securityGroupPolicies[0].spec.podSelector.matchExpressions[0].operator", `"in" is not In, NotIn, Exists or DoesNotExist`},
		{"In without values", "      podSelector: {matchExpressions: [{key: app, operator: In}]}\n      securityGroups: {groupIds: [sg-0a000001]}\n", 12, "securityGroupPolicies[0].spec.podSelector.matchExpressions[0].values", "must be non-empty"},
		{"a label key of two slashes", "      podSelector: {matchLabels: {a/b/c: web}}\n      securityGroups: {groupIds: [sg-0a000001]}\n", 12, "securityGroupPolicies[0].spec.podSelector.matchLabels", `key "a/b/c"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := mustParse(t, publishedPolicy(tt.spec))
			require.Len(t, sc.SecurityGroupPolicies, 1)
			assert.Error(t, sc.SecurityGroupPolicies[0].Validate())
			require.NotEmpty(t, sc.Warnings)
			assert.Contains(t, sc.Warnings[0], "t.yaml:"+strconv.Itoa(tt.line)+": "+tt.field+": ")
			assert.Contains(t, sc.Warnings[0], tt.text)

			r, err := sc.Run(Options{})
			require.NoError(t, err)
			assert.Equal(t, 2, r.Pods.Running, "the pods run on the node's groups")
			assert.Equal(t, 0, r.Pods.SecurityGroupPods)

			check, err := reach.CheckCluster(sc.Cluster())
			require.NoError(t, err)
			var codes []reach.Code
			for _, f := range check.Findings {
				codes = append(codes, f.Code)
			}
			if tt.name == "a misspelt selector, pruned" {
				assert.Contains(t, codes, reach.CodePolicyUnusable, "what is left has no selector")
			} else {
				assert.Equal(t, []reach.Code{reach.CodePolicyUnusable}, codes)
			}

			out, err := sc.Marshal()
			require.NoError(t, err)
			again := mustParse(t, string(out))
			assert.Equal(t, sc.SecurityGroupPolicies, again.SecurityGroupPolicies, "%s", out)
		})
	}
}
