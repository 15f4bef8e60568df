package scenario

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/karpenter"
)

// nodePoolDoc is a scenario with one NodePool whose requirements and
// extra spec lines are spliced in, and its EC2NodeClass.
func nodePoolDoc(reqs, spec, class string) string {
	if class == "" {
		class = `      amiSelectorTerms: [{alias: al2023@latest}]
      role: KarpenterNodeRole
      subnetSelectorTerms: [{tags: {a: b}}]
      securityGroupSelectorTerms: [{id: sg-0aaaaaaaaaaaaaaa0}]
`
	}
	return `nodePools:
  - apiVersion: karpenter.sh/v1
    kind: NodePool
    metadata: {name: default}
    spec:
      template:
        spec:
          requirements:
` + reqs + `          nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
` + spec + `ec2NodeClasses:
  - apiVersion: karpenter.k8s.aws/v1
    kind: EC2NodeClass
    metadata: {name: default}
    spec:
` + class
}

const familyReq = "            - {key: karpenter.k8s.aws/instance-family, operator: In, values: [m5]}\n"

// NodePool and EC2NodeClass manifests are checked as their CRDs and
// Karpenter's validation check them (karpenter-provider-aws
// pkg/apis/crds/karpenter.sh_nodepools.yaml, karpenter.k8s.aws_ec2nodeclasses.yaml;
// karpenter pkg/apis/v1/nodeclaim_validation.go), and an error names the
// file, line and field.
func TestNodePoolErrorsNameLineAndField(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		line      int
		field     string
		text      string
	}{
		{"unknown operator", nodePoolDoc("            - {key: karpenter.k8s.aws/instance-family, operator: Equals, values: [m5]}\n", "", ""),
			9, "nodePools[0].spec.template.spec.requirements[0].operator", "want In, NotIn"},
		{"In with no values", nodePoolDoc("            - {key: karpenter.k8s.aws/instance-family, operator: In}\n", "", ""),
			9, "nodePools[0].spec.template.spec.requirements[0].values", "at least one value"},
		{"Gt not a number", nodePoolDoc("            - {key: karpenter.k8s.aws/instance-generation, operator: Gt, values: [five]}\n", "", ""),
			9, "nodePools[0].spec.template.spec.requirements[0].values", ""},
		{"unmodelled key", nodePoolDoc("            - {key: karpenter.k8s.aws/instance-cpu, operator: In, values: ['4']}\n", "", ""),
			9, "nodePools[0].spec.template.spec.requirements[0].key", "instance-cpu"},
		{"the nodepool label", nodePoolDoc("            - {key: karpenter.sh/nodepool, operator: In, values: [x]}\n", "", ""),
			9, "nodePools[0].spec.template.spec.requirements[0].key", ""},
		{"minValues above 50", nodePoolDoc("            - {key: karpenter.k8s.aws/instance-family, operator: Exists, minValues: 51}\n", "", ""),
			9, "nodePools[0].spec.template.spec.requirements[0].minValues", "at most 50"},
		{"bad expireAfter", nodePoolDoc(familyReq, "          expireAfter: 30d\n", ""),
			11, "nodePools[0].spec.template.spec.expireAfter", "Never"},
		{"weight above 100", nodePoolDoc(familyReq, "      weight: 101\n", ""),
			11, "nodePools[0].spec.weight", "at most 100"},
		{"bad limit", nodePoolDoc(familyReq, "      limits: {nodes: lots}\n", ""),
			11, "nodePools[0].spec.limits.nodes", "quantity"},
		{"static NodePool", nodePoolDoc(familyReq, "      replicas: 3\n", ""),
			11, "nodePools[0].spec.replicas", "static NodePools"},
		{"no such EC2NodeClass", strings.Replace(nodePoolDoc(familyReq, "", ""), "kind: EC2NodeClass, name: default}", "kind: EC2NodeClass, name: other}", 1),
			10, "nodePools[0].spec.template.spec.nodeClassRef.name", `no EC2NodeClass "other"`},
		{"role and instanceProfile", nodePoolDoc(familyReq, "", `      amiSelectorTerms: [{alias: al2023@latest}]
      role: a
      instanceProfile: b
      subnetSelectorTerms: [{tags: {a: b}}]
      securityGroupSelectorTerms: [{id: sg-0aaaaaaaaaaaaaaa0}]
`), 16, "ec2NodeClasses[0].spec", "exactly one of role and instanceProfile"},
		{"Windows AMI", nodePoolDoc(familyReq, "", `      amiSelectorTerms: [{alias: windows2022@latest}]
      role: a
      subnetSelectorTerms: [{tags: {a: b}}]
      securityGroupSelectorTerms: [{id: sg-0aaaaaaaaaaaaaaa0}]
`), 16, "ec2NodeClasses[0].spec.amiSelectorTerms[0].alias", "Windows"},
		{"no subnet terms", nodePoolDoc(familyReq, "", `      amiSelectorTerms: [{alias: al2023@latest}]
      role: a
      subnetSelectorTerms: []
      securityGroupSelectorTerms: [{id: sg-0aaaaaaaaaaaaaaa0}]
`), 18, "ec2NodeClasses[0].spec.subnetSelectorTerms", "1 to 30"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("np.yaml", []byte(tc.doc))
			var e *Error
			require.True(t, errors.As(err, &e), "%v", err)
			assert.Equal(t, "np.yaml", e.File)
			assert.Equal(t, tc.field, e.Field, "%v", err)
			assert.Equal(t, tc.line, e.Line, "%v", err)
			assert.ErrorContains(t, err, tc.text)
		})
	}
}

// A NodePool as Karpenter's docs write it loads, and one exported with
// kubectl (status, metadata the API server writes) does too.
func TestNodePoolAsKubectlPrintsItLoads(t *testing.T) {
	doc := nodePoolDoc(familyReq+"            - {key: beta.kubernetes.io/arch, operator: In, values: [amd64]}\n", `      limits: {cpu: "1000", memory: 1000Gi}
      disruption: {consolidationPolicy: WhenEmptyOrUnderutilized, consolidateAfter: 1m, budgets: [{nodes: "10%"}]}
    status: {conditions: []}
`, "")
	doc = strings.Replace(doc, "metadata: {name: default}\n    spec:\n      template", "metadata: {name: default, uid: 1234, resourceVersion: \"9\", generation: 2, annotations: {karpenter.sh/nodepool-hash: \"1\"}}\n    spec:\n      template", 1)
	sc, err := Parse("np.yaml", []byte(doc))
	require.NoError(t, err)
	require.Len(t, sc.NodePools, 1)
	np := sc.NodePools[0]
	assert.Equal(t, "kubernetes.io/arch", np.Requirements[1].Key, "beta keys are normalised (pkg/apis/v1/labels.go)")
	assert.Equal(t, defaultExpireAfter, np.ExpireAfter, "the CRD's default, 720h")
	_, limited := np.Limits.Nodes.Max()
	assert.False(t, limited)
	out, err := sc.Marshal()
	require.NoError(t, err)
	back, err := Parse("np.yaml", out)
	require.NoError(t, err)
	assert.Equal(t, sc.NodePools, back.NodePools)
	assert.Equal(t, sc.NodeClasses, back.NodeClasses)
}

// The scenario runs with Karpenter when it has a NodePool.
func TestScenarioWithANodePoolRunsKarpenter(t *testing.T) {
	sc, err := Parse("np.yaml", []byte(nodePoolDoc(familyReq, "", "")+"workloads:\n  - {name: web, replicas: 3}\n"))
	require.NoError(t, err)
	r, err := sc.Run(Options{})
	require.NoError(t, err)
	require.NotNil(t, r.Provisioning)
	assert.Equal(t, 1, r.Provisioning.NodesLaunched)
	assert.Equal(t, 3, r.Pods.Running)
	assert.Equal(t, karpenter.DefaultBatchIdle.Seconds()+karpenter.DefaultLaunch.Seconds()+karpenter.DefaultRegistration.Seconds()+karpenter.DefaultStartup.Seconds(), r.Provisioning.FirstPendingToNodeReadySeconds)
}

// consolidateAfter 0s, the CRD's default, is not Never, and an
// expireAfter of 0s, which would read as Never here, is refused.
func TestConsolidateAfterZeroIsNotNever(t *testing.T) {
	sc, err := Parse("np.yaml", []byte(nodePoolDoc(familyReq, "      disruption: {consolidateAfter: 0s}\n", "")))
	require.NoError(t, err)
	assert.Equal(t, karpenter.WhenEmptyOrUnderutilized, sc.NodePools[0].Consolidation.Policy)
	out, err := sc.Marshal()
	require.NoError(t, err)
	back, err := Parse("np.yaml", out)
	require.NoError(t, err)
	assert.Equal(t, sc.NodePools, back.NodePools)
	sc, err = Parse("np.yaml", []byte(nodePoolDoc(familyReq, "      disruption: {consolidateAfter: Never}\n", "")))
	require.NoError(t, err)
	assert.Zero(t, sc.NodePools[0].Consolidation.Policy)
	_, err = Parse("np.yaml", []byte(nodePoolDoc(familyReq, "          expireAfter: 0s\n", "")))
	assert.ErrorContains(t, err, "expireAfter")
}

// Upstream's sample policy selects service accounts with matchNames,
// which is in the controller's Go types but not in the CRD's schema
// (amazon-vpc-resource-controller-k8s v1.8.2
// apis/vpcresources/v1beta1/securitygrouppolicy_types.go against
// config/crd/bases/vpcresources.k8s.aws_securitygrouppolicies.yaml): the
// API server prunes it, so the policy loads, its selector left empty
// matches every service account, and the report says so loudly.
func TestMatchNamesIsPrunedAsTheAPIServerDoesWithAWarning(t *testing.T) {
	doc := strings.Replace("securityGroupPolicies:\n"+policyYAML, "podSelector: {matchLabels: {app: web}}", "serviceAccountSelector: {matchNames: [builder]}", 1) +
		"workloads:\n  - {name: any, replicas: 1}\nnodeGroups:\n  - {name: ng, instanceType: m5.large, count: 1}\n"
	sc, err := Parse("mn.yaml", []byte(doc))
	require.NoError(t, err)
	require.Len(t, sc.Warnings, 1)
	assert.Contains(t, sc.Warnings[0], "mn.yaml:6: securityGroupPolicies[0].spec.serviceAccountSelector.matchNames [builder]")
	sel := sc.SecurityGroupPolicies[0].ServiceAccountSelector
	require.NotNil(t, sel)
	assert.Empty(t, sel.MatchLabels)
	assert.Empty(t, sel.MatchExpressions)
	r, err := sc.Run(Options{})
	require.NoError(t, err)
	assert.Equal(t, 1, r.Pods.SecurityGroupPods, "a pod of any service account matches the emptied selector")
	assert.Contains(t, strings.Join(r.Warnings, "\n"), "matchNames is not in the SecurityGroupPolicy CRD's schema")
}

// Karpenter's objects load as kubectl prints them, as policies do: a
// NodePoolList under nodePools, and after the scenario a kind: List
// mixing NodePools, EC2NodeClasses and SecurityGroupPolicies, which is
// what `kubectl get nodepools,ec2nodeclasses,sgp -A -o yaml` prints.
func TestKarpenterObjectsLoadAsListsAndDocuments(t *testing.T) {
	want := mustParse(t, nodePoolDoc(familyReq, "", ""))
	pool, class, _ := strings.Cut(strings.TrimPrefix(nodePoolDoc(familyReq, "", ""), "nodePools:\n"), "ec2NodeClasses:\n")
	indent := func(s string) string { return strings.ReplaceAll(s, "\n  ", "\n    ") }

	asList := mustParse(t, "nodePools:\n  apiVersion: karpenter.sh/v1\n  kind: NodePoolList\n  items:\n  "+indent(pool)+"ec2NodeClasses:\n"+class)
	assert.Equal(t, want.NodePools, asList.NodePools)

	policy := "  - {apiVersion: vpcresources.k8s.aws/v1beta1, kind: SecurityGroupPolicy, metadata: {name: web}, spec: {podSelector: {}, securityGroups: {groupIds: [sg-0123456789abcdef0]}}}\n"
	trailing := mustParse(t, "seed: 1\n---\napiVersion: v1\nkind: List\nitems:\n"+pool+class+policy)
	assert.Equal(t, want.NodePools, trailing.NodePools)
	assert.Equal(t, want.NodeClasses, trailing.NodeClasses)
	require.Len(t, trailing.SecurityGroupPolicies, 1)

	_, err := Parse("t.yaml", []byte("seed: 1\n---\napiVersion: v1\nkind: List\nitems:\n  - {apiVersion: apps/v1, kind: Deployment, metadata: {name: x}}\n"))
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrInvalidValue)
	assert.Contains(t, err.Error(), `t.yaml:6: documents[1].items[0].kind: invalid value "Deployment"`)
}

// Upstream: the NodePool and EC2NodeClass CRDs (karpenter-provider-aws
// v1.15.2 pkg/apis/crds) are structural, so the API server drops fields
// outside their schemas, as it does for SecurityGroupPolicies; the
// EC2NodeClass's kubelet block preserves unknown fields, so nothing there
// is dropped. A misspelt field loads with a warning at its line.
func TestKarpenterObjectsDropFieldsOutsideTheirSchemas(t *testing.T) {
	sc := mustParse(t, nodePoolDoc(familyReq, "      weigth: 10\n", `      amiSelectorTerms: [{alias: al2023@latest}]
      role: KarpenterNodeRole
      subnetSelectorTerms: [{tags: {a: b}}]
      securityGroupSelectorTerms: [{id: sg-0aaaaaaaaaaaaaaa0}]
      kubelet: {maxPods: 20, someFutureSetting: true}
      amiFamlly: AL2023
`))
	require.Len(t, sc.NodePools, 1)
	assert.Equal(t, 20, sc.NodeClasses[0].MaxPods)
	require.Len(t, sc.Warnings, 2, "%v", sc.Warnings)
	assert.Contains(t, sc.Warnings[0], "t.yaml:11: nodePools[0].spec.weigth: unknown field, dropped: the API server prunes fields outside the NodePool CRD's schema")
	assert.Contains(t, sc.Warnings[1], "ec2NodeClasses[0].spec.amiFamlly: unknown field, dropped: the API server prunes fields outside the EC2NodeClass CRD's schema")
}
