package scenario

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/autoscaler"
	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/cni"
	"github.com/trunksim/trunksim/controller"
	"github.com/trunksim/trunksim/karpenter"
	"github.com/trunksim/trunksim/limits"
	"github.com/trunksim/trunksim/reach"
	"github.com/trunksim/trunksim/sim"
)

// plain returns sc without its file name and where its parts were read, for comparing
// the content of two scenarios.
func plain(sc *Scenario) Scenario {
	c := *sc
	c.File, c.lines, c.policyPaths = "", nil, nil
	return c
}

var sgWeb = branch.MustParseSecurityGroupID("sg-0123456789abcdef0")

func TestParseContractSmoke(t *testing.T) {
	sc, err := Load("testdata/contract-smoke.yaml")
	require.NoError(t, err)
	want := Scenario{
		Seed:  1,
		Until: 15 * time.Minute,
		Controller: sim.Controller{Preset: sim.PresetUpstream, UserClientQPS: 12, UserClientBurst: 18,
			InstanceClientQPS: 12, InstanceClientBurst: 18, BranchWorkers: 30, CoolDown: time.Minute},
		CNI: cni.Config{EnforcingMode: cni.Strict},
		NodeGroups: []NodeGroup{
			{Name: "general", InstanceType: "m5.xlarge", Count: 3, OS: limits.OSLinux},
			{Name: "burstable", InstanceType: "t3.large", Count: 1, OS: limits.OSLinux},
		},
		SecurityGroupPolicies: []branch.Policy{{Namespace: "default", Name: "web",
			PodSelector: &branch.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Groups:      []branch.SecurityGroupID{sgWeb}}},
		Workloads: []Workload{
			{Name: "web", Namespace: "default", Labels: map[string]string{"app": "web"}, Replicas: 20, At: 2 * time.Minute, Lifetime: 5 * time.Minute},
			{Name: "plain", Namespace: "default", Labels: map[string]string{"app": "plain"}, Replicas: 10, At: 2 * time.Minute},
		},
	}
	assert.Equal(t, want, plain(sc))
	assert.Equal(t, "testdata/contract-smoke.yaml", sc.File)
}

func TestParseEveryKey(t *testing.T) {
	sc, err := Load("testdata/every-key.yaml")
	require.NoError(t, err)
	sg2 := branch.MustParseSecurityGroupID("sg-01234567")
	want := Scenario{
		Seed:      42,
		Until:     2 * time.Hour,
		Placement: sim.MostAllocated,
		Controller: sim.Controller{Preset: sim.PresetRaisedLimits, Release: controller.ReleaseV1_8_1, UserClientQPS: 24.5, UserClientBurst: 36,
			InstanceClientQPS: 6, InstanceClientBurst: 9, SharedEC2Client: true, APIServerQPS: 40, APIServerBurst: 60,
			BranchWorkers: 10, NodeWorkers: 4, MaxRetries: 3, CoolDown: 45 * time.Second, SweepInterval: 15 * time.Second,
			Resync: 10 * time.Minute, NodeDeleteDelay: 2 * time.Minute, NodeEventInterval: 3 * time.Minute, NodeDeletion: controller.NodeDeletionWipe, RestartSyncRace: true, GroupsPerInterface: 10},
		EC2: sim.EC2{Latency: 250 * time.Millisecond, AttachDelay: 5 * time.Second, NoAccountThrottling: true,
			MutatingBucket: 100, MutatingRefill: 10, DescribeBucket: 200, DescribeRefill: 40, MaxAttempts: 5,
			Faults: []sim.Fault{
				{API: sim.CreateNetworkInterface, Code: sim.CodeNoFreeAddresses, Probability: 0.25, From: time.Minute, Until: 3 * time.Minute},
				{API: sim.DeleteNetworkInterface, Code: sim.CodeInternal, Probability: 1},
			}},
		AvailableBranches: 120,
		Kubelet:           sim.Kubelet{RetryPeriod: 5 * time.Second, RetryJitter: 0.25, BackOffOnly: true, AWSNodeLag: 1500 * time.Millisecond},
		CNI: cni.Config{DisablePodENI: true, EnforcingMode: cni.Standard, DisableTCPEarlyDemux: true,
			Version: cni.Version{Major: 1, Minor: 18}, IPFamily: cni.IPv6, CustomNetworking: true, PrefixDelegation: true, MaxENI: 2},
		Network: Network{VPCCIDR: netip.MustParsePrefix("10.0.0.0/16"), RulesPerGroup: 50, ExternalSNAT: true, Calico: true},
		DNS:     reach.DNS{CoreDNS: "runner", NodeLocal: true},
		NodeGroups: []NodeGroup{
			{Name: "general", InstanceType: "m5.xlarge", Count: 2, TrunkAttached: 1, UnownedBranches: 2, OS: limits.OSLinux, Labels: map[string]string{"pool": "general"},
				SecurityGroups: []branch.SecurityGroupID{sg2},
				Subnet:         reach.Subnet{Kind: reach.Public, CIDR: netip.MustParsePrefix("10.0.1.0/24")}},
			{Name: "win", InstanceType: "m5.large", Count: 1, OS: limits.OSWindows, MaxPods: 8},
			{Name: "scaled", InstanceType: "m5.large", Count: 1, OS: limits.OSLinux, Autoscaling: &Autoscaling{MinSize: 1, MaxSize: 5, TemplatePodENI: 9}},
		},
		ServiceAccounts: []ServiceAccount{{Name: "builder", Namespace: "ci", Labels: map[string]string{"team": "ci"}}},
		SecurityGroupPolicies: []branch.Policy{{Namespace: "ci", Name: "ci",
			PodSelector: &branch.LabelSelector{MatchLabels: map[string]string{"app": "runner"},
				MatchExpressions: []branch.Requirement{
					{Key: "tier", Operator: branch.OpNotIn, Values: []string{"test"}},
					{Key: "gpu", Operator: branch.OpDoesNotExist},
				}},
			ServiceAccountSelector: &branch.LabelSelector{MatchExpressions: []branch.Requirement{{Key: "team", Operator: branch.OpExists}}},
			Groups:                 []branch.SecurityGroupID{sgWeb, sg2}}},
		SecurityGroups: []SecurityGroup{
			{ID: sgWeb, Name: "runners",
				Ingress: []reach.Rule{
					{Protocol: reach.TCP, Ports: reach.Port(8080), Peer: reach.GroupPeer(sg2), Description: "probes"},
					{Protocol: reach.UDP, Ports: reach.PortRange{From: 8000, To: 8100}, Peer: reach.CIDRPeer(netip.MustParsePrefix("10.0.0.0/16"))},
				},
				Egress: []reach.Rule{
					{Protocol: reach.ICMP, Peer: reach.CIDRPeer(netip.MustParsePrefix("0.0.0.0/0"))},
					{Protocol: reach.AllProtocols, Peer: reach.GroupPeer(sgWeb)},
				}},
			{ID: sg2, Egress: []reach.Rule{reach.AllowAllEgress()}},
		},
		Workloads: []Workload{{Name: "runner", Namespace: "ci", Labels: map[string]string{"app": "runner", "tier": "prod"},
			ServiceAccount: "builder", Replicas: 6, At: 30 * time.Second, Interval: 2 * time.Second, Lifetime: 20 * time.Minute,
			Probes: []uint16{8080, 9090},
			TalksTo: []reach.Traffic{
				{Workload: "runner", Protocol: reach.TCP, Port: 5432},
				{Group: sg2, Protocol: reach.UDP, Port: 53},
				{CIDR: netip.MustParsePrefix("0.0.0.0/0"), Protocol: reach.ICMP},
			},
			ReceivesFrom: []reach.Traffic{
				{Group: sg2, Protocol: reach.TCP, Port: 443},
				{CIDR: netip.MustParsePrefix("203.0.113.0/24"), Protocol: reach.TCP, Port: 443},
			}},
			{Name: "api", Namespace: "ci", Replicas: 3, Running: 2}},
		ClusterAutoscaler: autoscaler.Config{ScanInterval: 20 * time.Second, NodeStartup: 90 * time.Second,
			ScaleDownUnneeded: 5 * time.Minute, ScaleDownDelayAfterAdd: 5 * time.Minute},
		NodePools: []karpenter.NodePool{{Name: "default", Weight: 10, NodeClass: "default", Tainted: true,
			ExpireAfter: 24 * time.Hour, Labels: map[string]string{"team": "web"},
			Requirements: karpenter.Requirements{
				{Key: "karpenter.k8s.aws/instance-family", Operator: karpenter.In, Values: []string{"m5", "c5"}, MinValues: 1},
				{Key: "karpenter.sh/capacity-type", Operator: karpenter.In, Values: []string{"on-demand"}}},
			Limits: karpenter.Limits{Nodes: karpenter.LimitOf(10), Pods: karpenter.LimitOf(500), PodENI: karpenter.LimitOf(200)},
			Consolidation: karpenter.Consolidation{Policy: karpenter.WhenEmpty, After: 30 * time.Second,
				Budgets: []karpenter.Budget{{Nodes: 10, Percent: true}}}}},
		NodeClasses: []karpenter.NodeClass{{Name: "default", MaxPods: 110,
			SecurityGroups: []branch.SecurityGroupID{branch.MustParseSecurityGroupID("sg-0aaaaaaaaaaaaaaa0")}}},
		Karpenter: karpenter.Config{BatchIdle: 2 * time.Second, BatchMax: 15 * time.Second, ReservedENIs: 1,
			Launch: 2 * time.Second, Registration: 30 * time.Second, Startup: 15 * time.Second,
			Prices: map[string]float64{"m5.large": 0.1}},
		Events: []Event{
			{At: 5 * time.Minute, Action: AddNode, NodeGroup: "general", Count: 2, InstanceType: "m5.2xlarge"},
			{At: 6 * time.Minute, Action: AddNode, Node: "spare", InstanceType: "c5.xlarge"},
			{At: 7 * time.Minute, Action: DeleteNode, NodeGroup: "general", Count: 1},
			{At: 8 * time.Minute, Action: DeleteNode, Node: "spare"},
			{At: 9 * time.Minute, Action: DeletePods, Workload: "runner", Count: 2},
			{At: 10 * time.Minute, Action: RolloutRestart, Workload: "api", MaxSurge: 2, MaxUnavailable: 1},
			{At: 11 * time.Minute, Action: RestartController},
			{At: 12 * time.Minute, Action: Scale, Workload: "api", Replicas: 5},
			{At: 13 * time.Minute, Action: ApplyPolicy, Policy: branch.Policy{Namespace: "ci", Name: "api",
				PodSelector: &branch.LabelSelector{MatchLabels: map[string]string{"app": "api"}}, Groups: []branch.SecurityGroupID{sg2}}},
			{At: 14 * time.Minute, Action: DeletePolicy, Policy: branch.Policy{Namespace: "ci", Name: "api"}},
			{At: 15 * time.Minute, Action: SetBranchENICooldown, Cooldown: 45 * time.Second},
			{At: 16 * time.Minute, Action: LabelServiceAccount, ServiceAccount: ServiceAccount{Namespace: "ci", Name: "builder", Labels: map[string]string{"team": "platform"}}},
			{At: 17 * time.Minute, Action: DeleteSecurityGroup, SecurityGroup: branch.MustParseSecurityGroupID("sg-0123456789abcdef0")},
		},
	}
	assert.Equal(t, want, plain(sc))
}

func TestParseFillsDocumentedDefaults(t *testing.T) {
	sc, err := Parse("d.yaml", []byte(`
nodeGroups: [{name: a, instanceType: m5.large, count: 1}]
serviceAccounts: [{name: sa}]
workloads: [{name: w, replicas: 1, serviceAccount: sa}]
securityGroupPolicies:
  - apiVersion: vpcresources.k8s.aws/v1beta1
    kind: SecurityGroupPolicy
    metadata: {name: p}
    spec: {serviceAccountSelector: {}, securityGroups: {groupIds: [sg-01234567]}}
`))
	require.NoError(t, err)
	assert.Equal(t, limits.OSLinux, sc.NodeGroups[0].OS)
	assert.Equal(t, "default", sc.ServiceAccounts[0].Namespace)
	assert.Equal(t, "default", sc.Workloads[0].Namespace)
	assert.Equal(t, "default", sc.SecurityGroupPolicies[0].Namespace)
	assert.Zero(t, sc.Seed)
	assert.Zero(t, sc.Until)
	// An empty selector is set and matches everything; it is not nil.
	assert.NotNil(t, sc.SecurityGroupPolicies[0].ServiceAccountSelector)
	assert.Nil(t, sc.SecurityGroupPolicies[0].PodSelector)
	// Settings not written stay zero, which sim.New reads as upstream's.
	assert.Equal(t, sim.Controller{}, sc.Controller)
	assert.Equal(t, cni.Config{}, sc.CNI)
}

func TestParseAcceptsYAMLConveniences(t *testing.T) {
	sc, err := Parse("c.yaml", []byte(`
controller:       # empty sections are absent ones
ec2: {faults: []}
nodeGroups:
  - &ng {name: a, instanceType: m5.large, count: 0, labels: &l {pool: a}}
workloads:
  - {name: w, replicas: 0, labels: *l, at: 0}
  - name: v
    replicas: 3
    labels: {"app.kubernetes.io/name": v, empty: ""}
`))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"pool": "a"}, sc.Workloads[0].Labels)
	assert.Equal(t, map[string]string{"app.kubernetes.io/name": "v", "empty": ""}, sc.Workloads[1].Labels)
	assert.Zero(t, sc.NodeGroups[0].Count)
}

// Upstream: apis/vpcresources/v1beta1/securitygrouppolicy_types.go (the
// group, version and kind a cluster's SecurityGroupPolicy carries).
func TestPolicyMustBeTheResourceControllersCRD(t *testing.T) {
	for _, doc := range []string{
		"securityGroupPolicies:\n" + policyYAML,
	} {
		_, err := Parse("p.yaml", []byte(doc))
		require.NoError(t, err)
	}
	for _, bad := range []struct{ from, to string }{
		{"vpcresources.k8s.aws/v1beta1", "vpcresources.k8s.aws/v1alpha1"},
		{"kind: SecurityGroupPolicy", "kind: SecurityGroupPolicyList"},
	} {
		doc := "securityGroupPolicies:\n" + replace(policyYAML, bad.from, bad.to)
		_, err := Parse("p.yaml", []byte(doc))
		assert.ErrorIs(t, err, ErrInvalidValue, bad.to)
	}
}

// Upstream: config/crd/bases/vpcresources.k8s.aws_securitygrouppolicies.yaml
// (groupIds has minItems: 1; there is no maxItems).
func TestPolicyGroupIDsNeedOneAndHaveNoUpperBound(t *testing.T) {
	_, err := Parse("p.yaml", []byte("securityGroupPolicies:\n"+replace(policyYAML, "[sg-0123456789abcdef0]", "[]")))
	assert.ErrorIs(t, err, ErrInvalidValue)

	many := "[sg-00000001, sg-00000002, sg-00000003, sg-00000004, sg-00000005, sg-00000006, sg-00000007]"
	sc, err := Parse("p.yaml", []byte("securityGroupPolicies:\n"+replace(policyYAML, "[sg-0123456789abcdef0]", many)))
	require.NoError(t, err)
	assert.Len(t, sc.SecurityGroupPolicies[0].Groups, 7)
}

func replace(s, from, to string) string { return strings.Replace(s, from, to, 1) }

func TestActionStringParse(t *testing.T) {
	for a := AddNode; a <= RestartController; a++ {
		got, err := ParseAction(a.String())
		require.NoError(t, err)
		assert.Equal(t, a, got)
	}
	assert.Equal(t, "Action(0)", Action(0).String())
	_, err := ParseAction("DeleteNode")
	assert.ErrorIs(t, err, ErrInvalidValue)
}

func TestMarshalRoundTripsTestdata(t *testing.T) {
	for _, file := range []string{"testdata/contract-smoke.yaml", "testdata/every-key.yaml"} {
		t.Run(file, func(t *testing.T) {
			sc, err := Load(file)
			require.NoError(t, err)
			out, err := sc.Marshal()
			require.NoError(t, err)
			again, err := Parse(file, out)
			require.NoError(t, err, "%s", out)
			assert.Equal(t, plain(sc), plain(again))
			// The written form is a fixed point.
			out2, err := again.Marshal()
			require.NoError(t, err)
			assert.Equal(t, string(out), string(out2))
		})
	}
}

func TestMarshalRefusesWhatParseRefuses(t *testing.T) {
	sc := &Scenario{File: "gen.yaml", NodeGroups: []NodeGroup{{Name: "a", InstanceType: "m9.huge", Count: 1}}}
	_, err := sc.Marshal()
	assert.ErrorIs(t, err, ErrInvalidValue)
	assert.ErrorIs(t, err, limits.ErrUnknownType)

	sc = &Scenario{File: "gen.yaml", Events: []Event{{At: time.Minute}}}
	_, err = sc.Marshal()
	assert.Error(t, err)
}

// Policies as kubectl prints them load wherever a scenario takes them: a
// kind: List (or SecurityGroupPolicyList) under securityGroupPolicies,
// Lists nested in the list, and documents after the scenario, each a
// policy or a List, so `kubectl get sgp -A -o yaml` can be appended after
// a ---. All give the same policies, in file order.
func TestPoliciesLoadAsListsAndDocuments(t *testing.T) {
	pol := func(name string) string {
		return "{apiVersion: vpcresources.k8s.aws/v1beta1, kind: SecurityGroupPolicy, metadata: {name: " + name +
			", uid: 6f0c6a53}, spec: {podSelector: {}, securityGroups: {groupIds: [sg-0123456789abcdef0]}}}"
	}
	files := map[string]string{
		"list":      "securityGroupPolicies:\n  - " + pol("a") + "\n  - " + pol("b") + "\n",
		"kind List": "securityGroupPolicies:\n  apiVersion: v1\n  kind: List\n  metadata: {resourceVersion: \"\"}\n  items:\n    - " + pol("a") + "\n    - " + pol("b") + "\n",
		"typed list in a list": "securityGroupPolicies:\n  - " + pol("a") +
			"\n  - {apiVersion: vpcresources.k8s.aws/v1beta1, kind: SecurityGroupPolicyList, items: [" + pol("b") + "]}\n",
		"documents":      "seed: 1\n---\n" + pol("a") + "\n---\n" + pol("b") + "\n---\n",
		"list then more": "securityGroupPolicies: [" + pol("a") + "]\n---\napiVersion: v1\nkind: List\nitems:\n  - " + pol("b") + "\n",
	}
	for name, data := range files {
		sc, err := Parse(name+".yaml", []byte(data))
		require.NoError(t, err, name)
		require.Len(t, sc.SecurityGroupPolicies, 2, name)
		assert.Equal(t, "a", sc.SecurityGroupPolicies[0].Name, name)
		assert.Equal(t, "b", sc.SecurityGroupPolicies[1].Name, name)
	}

	// A warning inside a document after the scenario names where it is.
	sc, err := Parse("s.yaml", []byte("seed: 1\n---\napiVersion: v1\nkind: List\nitems:\n  - "+strings.Replace(pol("a"), "podSelector: {}", "podSelector: {matchLabel: {a: b}}", 1)+"\n"))
	require.NoError(t, err)
	require.NotEmpty(t, sc.Warnings)
	assert.Contains(t, sc.Warnings[0], "s.yaml:6: documents[1].items[0].spec.podSelector.matchLabel: unknown field, dropped")

	// An error there too.
	_, err = Parse("s.yaml", []byte("seed: 1\n---\napiVersion: v1\nkind: List\nitems:\n  - "+strings.Replace(pol("a"), "name: a", "name: A", 1)+"\n"))
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrInvalidValue)
	assert.Contains(t, err.Error(), "s.yaml:6: documents[1].items[0].metadata.name")

	// A duplicate across the scenario and a later document names both places.
	_, err = Parse("s.yaml", []byte("securityGroupPolicies: ["+pol("a")+"]\n---\n"+pol("a")+"\n"))
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrDuplicate)
	assert.Contains(t, err.Error(), "documents[1].metadata.name")
	assert.Contains(t, err.Error(), "securityGroupPolicies[0]")

	// A List's apiVersion is v1 or the policies' own.
	_, err = Parse("s.yaml", []byte("securityGroupPolicies: {apiVersion: apps/v1, kind: List, items: []}\n"))
	assert.ErrorIs(t, err, ErrInvalidValue)
}
