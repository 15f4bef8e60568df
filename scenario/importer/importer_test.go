package importer_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/scenario"
	"github.com/trunksim/trunksim/scenario/importer"
)

func read(t *testing.T, files ...string) *importer.Snapshot {
	t.Helper()
	s := importer.New()
	for _, f := range files {
		fh, err := os.Open(f)
		require.NoError(t, err)
		require.NoError(t, s.Read(f, fh))
		fh.Close()
	}
	return s
}

// The shipped example: kubectl's output of a small cluster, with
// managedFields, status and all, imports to examples/imported/scenario.yaml,
// which runs.
func TestImportTheExample(t *testing.T) {
	s := read(t, exampleInputs(t)...)
	got, err := s.Scenario()
	require.NoError(t, err)
	want, err := os.ReadFile("../../examples/imported/scenario.yaml")
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), "go run ./cmd/trunksim import examples/imported/kubectl/*.yaml examples/imported/aws/*.json -o examples/imported/scenario.yaml")
	assert.Equal(t, []string{"aws-node.yaml: service/kube-system/kube-dns (v1) skipped: not a kind the importer reads",
		"2 in-use branch ENI(s) with no vpcresources.k8s.aws/trunk-eni-id tag, or on a trunk of no node the run starts with a trunk: not placed on a node, so not in any unownedBranches",
		"node/ip-10-0-1-30.eu-west-1.compute.internal: its CNINode lacks the SecurityGroupsForPods feature, so the controller manages no trunk on it today " +
			"(aws-node has not asked: not yet ready, or no free interface slot); the run gives it one at time zero"}, trimPaths(s.Warnings()))

	sc, err := scenario.Parse("imported.yaml", got)
	require.NoError(t, err)
	require.Len(t, sc.NodeGroups, 3, "the managed node group's two nodes are in two subnets")
	assert.Equal(t, "general-eu-west-1a", sc.NodeGroups[0].Name)
	assert.Equal(t, 1, sc.NodeGroups[0].Count)
	assert.Equal(t, "c6i.2xlarge", sc.NodeGroups[2].InstanceType)
	require.Len(t, sc.Workloads, 2)
	assert.Equal(t, 3, sc.Workloads[0].Replicas, "the Deployment's replicas, through its ReplicaSet")
	assert.Equal(t, map[string]string{"app": "payments"}, sc.Workloads[0].Labels, "pod-template-hash dropped")
	assert.Equal(t, "frontend", sc.Workloads[1].ServiceAccount)
	// ip-10-0-1-10 has the label and a trunk in describe-network-interfaces;
	// ip-10-0-2-20 runs a pod annotated with a branch; the batch node has
	// no trunk today.
	assert.Equal(t, []int{1, 1, 0}, []int{sc.NodeGroups[0].TrunkAttached, sc.NodeGroups[1].TrunkAttached, sc.NodeGroups[2].TrunkAttached})
	assert.Equal(t, []int{3, 2}, []int{sc.Workloads[0].Running, sc.Workloads[1].Running})
	r, err := sc.Run(scenario.Options{})
	require.NoError(t, err)
	assert.Equal(t, 5, r.Pods.Running)
	assert.Equal(t, 3, r.Pods.SecurityGroupPods)
	assert.Equal(t, 5, r.Pods.AlreadyRunning)
	assert.Equal(t, 3, r.Pods.FromExistingBranches, "the payments pods start on their branches")
	assert.Equal(t, 0, r.BranchENIs.Created)
	assert.Equal(t, 1, r.Trunks.Created, "the batch node's, which it has not today")
}

// Which nodes have their trunk today and which pods run on their branch:
// the has-trunk-attached label, a pod-eni annotation on a running pod,
// and what the run cannot give a trunk.
func TestImportTheRunningState(t *testing.T) {
	node := func(name, typ, labels string) string {
		return `{"apiVersion":"v1","kind":"Node","metadata":{"name":"` + name + `","labels":{"node.kubernetes.io/instance-type":"` + typ + `"` + labels + `}}}` + "\n---\n"
	}
	pod := func(name, node, phase, annotation string) string {
		ann := ""
		if annotation != "" {
			ann = `,"annotations":{"vpc.amazonaws.com/pod-eni":` + strconvQuote(annotation) + `}`
		}
		return `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"` + name + `","namespace":"default","labels":{"app":"web"}` + ann +
			`,"ownerReferences":[{"kind":"StatefulSet","name":"web","controller":true}]},"spec":{"nodeName":"` + node + `","containers":[]},"status":{"phase":"` + phase + `"}}` + "\n---\n"
	}
	const branch = `[{"eniId":"eni-0123","vlanId":1}]`
	in := node("labelled", "m5.large", `,"vpc.amazonaws.com/has-trunk-attached":"true"`) +
		node("annotated", "m5.large", "") + node("plain", "m5.large", "") +
		node("small", "t3.micro", `,"vpc.amazonaws.com/has-trunk-attached":"true"`) +
		pod("web-0", "annotated", "Running", branch) + pod("web-1", "plain", "Running", "") + pod("web-2", "plain", "Pending", "")
	s := importer.New()
	require.NoError(t, s.Read("in.yaml", strings.NewReader(in)))
	out, err := s.Scenario()
	require.NoError(t, err)
	sc, err := scenario.Parse("imported.yaml", out)
	require.NoError(t, err)
	require.Len(t, sc.NodeGroups, 2)
	assert.Equal(t, 3, sc.NodeGroups[0].Count)
	assert.Equal(t, 2, sc.NodeGroups[0].TrunkAttached, "labelled and annotated")
	assert.Equal(t, 0, sc.NodeGroups[1].TrunkAttached)
	assert.Contains(t, strings.Join(s.Warnings(), "\n"), "node/small has a trunk ENI, but")
	require.Len(t, sc.Workloads, 1)
	assert.Equal(t, 3, sc.Workloads[0].Replicas)
	assert.Equal(t, 2, sc.Workloads[0].Running, "the pending pod is created by the run")
	assert.Contains(t, string(out), "3 pod(s) seen in in.yaml, 2 running, 1 of them on a branch ENI")

	// With ENABLE_POD_ENI off, aws-node asks for no trunk: the run starts
	// without one, and says so.
	awsNode := `{"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"aws-node","namespace":"kube-system"},` +
		`"spec":{"template":{"spec":{"containers":[{"name":"aws-node","image":"x:v1.20.4","env":[{"name":"ENABLE_POD_ENI","value":"false"}]}]}}}}`
	s = importer.New()
	require.NoError(t, s.Read("in.yaml", strings.NewReader(node("labelled", "m5.large", `,"vpc.amazonaws.com/has-trunk-attached":"true"`)+awsNode)))
	out, err = s.Scenario()
	require.NoError(t, err)
	assert.NotContains(t, string(out), "trunkAttached:")
	assert.Contains(t, strings.Join(s.Warnings(), "\n"), "node/labelled has a trunk ENI, but aws-node's ENABLE_POD_ENI is false")

	bad := pod("web-9", "annotated", "Running", "not json")
	s = importer.New()
	require.NoError(t, s.Read("in.yaml", strings.NewReader(node("annotated", "m5.large", "")+bad)))
	_, err = s.Scenario()
	require.ErrorIs(t, err, importer.ErrBadObject)
	assert.Contains(t, err.Error(), "in.yaml: pod/default/web-9: metadata.annotations[vpc.amazonaws.com/pod-eni]: not the controller's list of branch ENIs")
}

func strconvQuote(s string) string { return strconv.Quote(s) }

// exampleInputs are the shipped snapshot's files, in the order the
// shell's glob gives them.
func exampleInputs(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, glob := range []string{"../../examples/imported/kubectl/*.yaml", "../../examples/imported/aws/*.json"} {
		m, err := filepath.Glob(glob)
		require.NoError(t, err)
		require.NotEmpty(t, m, glob)
		files = append(files, m...)
	}
	return files
}

// trimPaths cuts the directories off the file each warning starts with.
func trimPaths(ws []string) []string {
	for i, w := range ws {
		file := w[:strings.Index(w, ":")]
		if !strings.HasSuffix(file, ".yaml") && !strings.HasSuffix(file, ".json") {
			continue
		}
		if j := strings.LastIndex(file, "/"); j >= 0 {
			ws[i] = w[j+1:]
		}
	}
	return ws
}

// Nothing the scenario does not need is copied: no environment value but
// the CNI's, no image, no annotation.
func TestImportCopiesNoPrivateData(t *testing.T) {
	got, err := read(t, exampleInputs(t)...).Scenario()
	require.NoError(t, err)
	for _, secret := range []string{"not-for-the-scenario", "DATABASE_PASSWORD", "registry.example.com", "vpc-0a1b2c3d4e5f60000",
		"eni-0a1b2c3d4e5f60101", "eni-0a1b2c3d4e5f60100", "i-0a1b2c3d4e5f60001", "last-applied", "subnet-0a1b2c3d4e5f60001",
		"111122223333", "444455556666", "ami-0a1b2c3d4e5f60000", "pl-0a1b2c3d4e5f60000", "control plane", "reporting account",
		"2001:db8", "10.0.1.50", "10.0.1.10", "internal-elb", "EKS created", "shop-prod"} {
		assert.NotContains(t, string(got), secret)
	}
}

// A kind: List, a stream of documents and JSON all read alike.
func TestImportReadsListsStreamsAndJSON(t *testing.T) {
	node := `{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1","labels":{"node.kubernetes.io/instance-type":"m5.large"}}}`
	pod := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"default","labels":{"app":"web"}},"spec":{"nodeName":"n1","containers":[{"name":"c","image":"x"}]},"status":{"phase":"Running"}}`
	inputs := map[string]string{
		"list.json":   `{"apiVersion":"v1","kind":"List","items":[` + node + `,` + pod + `]}`,
		"stream.yaml": node + "\n---\n" + pod + "\n",
		"typed.yaml":  `{"apiVersion":"v1","kind":"PodList","items":[` + pod + `]}` + "\n---\n" + `{"apiVersion":"v1","kind":"NodeList","items":[` + node + `]}`,
	}
	var outs []string
	for name, in := range inputs {
		s := importer.New()
		require.NoError(t, s.Read("in", strings.NewReader(in)), name)
		out, err := s.Scenario()
		require.NoError(t, err, name)
		outs = append(outs, string(out))
	}
	assert.Equal(t, outs[0], outs[1])
	assert.Equal(t, outs[0], outs[2])
	assert.Contains(t, outs[0], "instanceType: m5.large")
	assert.Contains(t, outs[0], "- name: p\n")
}

func TestImportRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, in, say string
	}{
		{"pod on a node the input lacks", `{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1","labels":{"node.kubernetes.io/instance-type":"m5.large"}}}
---
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"api-7","namespace":"shop"},"spec":{"nodeName":"n2","containers":[]},"status":{"phase":"Running"}}`,
			`in.yaml: pod/shop/api-7: spec.nodeName: "n2": no such node in the input`},
		{"node without its type", `{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1"}}`,
			"in.yaml: node/n1: metadata.labels: no node.kubernetes.io/instance-type label"},
		{"not an object", "- just\n- a list\n", "in.yaml: "},
		{"no kind", `{"apiVersion":"v1","metadata":{"name":"x"}}`, "in.yaml: x: kind: missing"},
		{"policy without groups", `{"apiVersion":"vpcresources.k8s.aws/v1beta1","kind":"SecurityGroupPolicy","metadata":{"name":"p","namespace":"default"},"spec":{"securityGroups":{"groupIds":[]}}}`,
			"spec.securityGroups.groupIds: empty"},
		{"negative replicas", `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","namespace":"default"},"spec":{"replicas":-1}}`,
			"deployment/default/d: spec.replicas: -1"},
	} {
		s := importer.New()
		err := s.Read("in.yaml", strings.NewReader(tc.in))
		if err == nil {
			_, err = s.Scenario()
		}
		require.Error(t, err, tc.name)
		assert.True(t, errors.Is(err, importer.ErrBadObject), "%s: %v", tc.name, err)
		assert.Contains(t, err.Error(), tc.say, tc.name)
	}
}

// describe-security-groups' permissions become one scenario rule a peer;
// what the rules cannot hold is named in a comment, not dropped silently.
func TestImportEC2RulesAsTheScenarioHoldsThem(t *testing.T) {
	for _, tc := range []struct {
		name, perm string
		want       []string // lines of the written group, after its id
	}{
		{"all traffic from a group", `{"IpProtocol":"-1","UserIdGroupPairs":[{"GroupId":"sg-0a000000000000001"}]}`,
			[]string{"ingress:", "- {protocol: all, securityGroup: sg-0a000000000000001}"}},
		{"a port range from two blocks", `{"IpProtocol":"tcp","FromPort":8000,"ToPort":8100,"IpRanges":[{"CidrIp":"10.0.0.0/16"},{"CidrIp":"192.168.0.0/24"}]}`,
			[]string{"ingress:", "- {protocol: tcp, fromPort: 8000, toPort: 8100, cidr: 10.0.0.0/16}", "- {protocol: tcp, fromPort: 8000, toPort: 8100, cidr: 192.168.0.0/24}"}},
		{"EC2's protocol number", `{"IpProtocol":"17","FromPort":53,"ToPort":53,"IpRanges":[{"CidrIp":"10.0.0.0/8"}]}`,
			[]string{"ingress:", "- {protocol: udp, port: 53, cidr: 10.0.0.0/8}"}},
		{"an ICMP type", `{"IpProtocol":"icmp","FromPort":8,"ToPort":-1,"IpRanges":[{"CidrIp":"10.0.0.0/8"}]}`,
			[]string{"# ingress: ICMP type 8 widened to all ICMP: types are not modelled", "ingress:", "- {protocol: icmp, cidr: 10.0.0.0/8}"}},
		{"ESP", `{"IpProtocol":"50","IpRanges":[{"CidrIp":"10.0.0.0/8"}]}`,
			[]string{"# ingress: protocol 50 left out: only tcp, udp, icmp and all are modelled", "ingress: []"}},
		{"IPv6 and a prefix list", `{"IpProtocol":"tcp","FromPort":443,"ToPort":443,"Ipv6Ranges":[{"CidrIpv6":"::/0"}],"PrefixListIds":[{"PrefixListId":"pl-1"}]}`,
			[]string{"# ingress: 1 IPv6 range(s) left out: IPv6 rules are not modelled", "# ingress: 1 prefix list(s) left out: prefix lists are not modelled", "ingress: []"}},
	} {
		in := `{"SecurityGroups":[{"GroupId":"sg-0a000000000000002","IpPermissions":[` + tc.perm + `],"IpPermissionsEgress":[]}]}`
		s := importer.New()
		require.NoError(t, s.Read("groups.json", strings.NewReader(in)), tc.name)
		out, err := s.Scenario()
		require.NoError(t, err, tc.name)
		_, group, ok := strings.Cut(string(out), "  - id: sg-0a000000000000002\n")
		require.True(t, ok, tc.name)
		var got []string
		for _, l := range strings.Split(group, "\n") {
			if l = strings.TrimSpace(l); l == "egress: []" {
				break
			}
			got = append(got, l)
		}
		assert.Equal(t, tc.want, got, tc.name)
	}
}

// The EC2 side must agree with the Kubernetes side, and its objects must
// be what the AWS CLI prints; a problem names the file, the object and
// the field.
func TestImportEC2Refuses(t *testing.T) {
	node := `{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1","labels":{"node.kubernetes.io/instance-type":"m5.large"}},"spec":{"providerID":"aws:///eu-west-1a/i-1"}}`
	for _, tc := range []struct{ name, in, say string }{
		{"instance of another type", node + "\n---\n" + `{"Reservations":[{"Instances":[{"InstanceId":"i-1","InstanceType":"m5.xlarge"}]}]}`,
			"in.json: instance i-1: InstanceType: m5.xlarge, but node/n1's label says m5.large"},
		{"group without sg- ID", `{"SecurityGroups":[{"GroupId":"default"}]}`,
			`in.json: security group default: SecurityGroups[0]: GroupId "default": want an ID such as sg-`},
		{"subnet without its block", `{"Subnets":[{"SubnetId":"subnet-1"}]}`,
			"in.json: subnet subnet-1: Subnets[0]: want SubnetId and CidrBlock"},
		{"instance without ID", `{"Reservations":[{"Instances":[{"InstanceType":"m5.large"}]}]}`,
			"in.json: instance: Reservations[0].Instances[0].InstanceId: missing"},
		{"neither Kubernetes nor EC2", `{"Buckets":[]}`, "in.json: kind: missing"},
	} {
		s := importer.New()
		err := s.Read("in.json", strings.NewReader(tc.in))
		if err == nil {
			_, err = s.Scenario()
		}
		require.Error(t, err, tc.name)
		assert.True(t, errors.Is(err, importer.ErrBadObject), "%s: %v", tc.name, err)
		assert.Contains(t, err.Error(), tc.say, tc.name)
	}
}

// What the EC2 side lacks is warned of: a node whose instance is not
// described gets no subnet, and a policy naming an undescribed group will
// fail its pods' branch ENIs as EC2 fails them for a deleted group.
func TestImportEC2WarnsOfWhatItLacks(t *testing.T) {
	in := `{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1","labels":{"node.kubernetes.io/instance-type":"m5.large"}},"spec":{"providerID":"aws:///eu-west-1a/i-1"}}
---
{"apiVersion":"vpcresources.k8s.aws/v1beta1","kind":"SecurityGroupPolicy","metadata":{"name":"p","namespace":"default"},"spec":{"podSelector":{},"securityGroups":{"groupIds":["sg-0a000000000000009"]}}}
---
{"Reservations":[{"Instances":[{"InstanceId":"i-2","InstanceType":"m5.large"}]}]}
---
{"SecurityGroups":[{"GroupId":"sg-0a000000000000001","IpPermissions":[],"IpPermissionsEgress":[]}]}`
	s := importer.New()
	require.NoError(t, s.Read("in.yaml", strings.NewReader(in)))
	out, err := s.Scenario()
	require.NoError(t, err)
	_, err = s.Scenario()
	require.NoError(t, err)
	w := s.Warnings()
	require.Len(t, w, 2, "a second Scenario call repeats no warning: %q", w)
	assert.Contains(t, w[0], `node/n1: its instance (spec.providerID "aws:///eu-west-1a/i-1") is not in describe-instances`)
	assert.Contains(t, w[1], "securitygrouppolicy/default/p names sg-0a000000000000009, which describe-security-groups does not list")
	assert.NotContains(t, string(out), "subnet:")
}

// Karpenter's NodePools and EC2NodeClasses, as kubectl prints them, are
// carried into the scenario without their status and server metadata,
// and the scenario runs Karpenter with them.
func TestImportKarpenterObjects(t *testing.T) {
	s := read(t, "testdata/karpenter.yaml")
	out, err := s.Scenario()
	require.NoError(t, err)
	text := string(out)
	assert.NotContains(t, text, "managedFields")
	assert.NotContains(t, text, "conditions")
	assert.NotContains(t, text, "ami-0123")
	assert.NotContains(t, text, "nodepool-hash")
	sc, err := scenario.Parse("imported.yaml", out)
	require.NoError(t, err)
	require.Len(t, sc.NodePools, 1)
	require.Len(t, sc.NodeClasses, 1)
	assert.Equal(t, "default", sc.NodePools[0].Name)
	assert.Len(t, sc.NodePools[0].Requirements, 4)
}

// Upstream: the controller's rebuild claims the branch ENIs on a trunk
// that running pods' pod-eni annotations name and queues the rest for
// deletion after the cool-down (pkg/provider/branch/trunk/trunk.go
// InitTrunk); a branch names its trunk by the vpcresources.k8s.aws/trunk-eni-id
// tag. The import counts, per attached node, the in-use branches on its
// trunk that no pod there names; a group's nodes start alike, so each
// gets the fewest, and the rest are noted, as is a branch it cannot place.
func TestImportCountsBranchesNoPodOwns(t *testing.T) {
	node := func(name, instance string) string {
		return `{"apiVersion":"v1","kind":"Node","metadata":{"name":"` + name + `","labels":{"node.kubernetes.io/instance-type":"m5.large"}},` +
			`"spec":{"providerID":"aws:///eu-west-1a/` + instance + `"}}` + "\n---\n"
	}
	pod := func(name, node, eni string) string {
		return `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"` + name + `","namespace":"default","labels":{"app":"web"},` +
			`"annotations":{"vpc.amazonaws.com/pod-eni":` + strconvQuote(`[{"eniId":"`+eni+`","vlanId":1}]`) + `}},` +
			`"spec":{"nodeName":"` + node + `","containers":[]},"status":{"phase":"Running"}}` + "\n---\n"
	}
	trunk := func(id, instance string) string {
		return `{"NetworkInterfaceId":"` + id + `","InterfaceType":"trunk","Status":"in-use","Attachment":{"InstanceId":"` + instance + `"}}`
	}
	branch := func(id, trunk string) string {
		tags := `[]`
		if trunk != "" {
			tags = `[{"Key":"vpcresources.k8s.aws/trunk-eni-id","Value":"` + trunk + `"}]`
		}
		return `{"NetworkInterfaceId":"` + id + `","InterfaceType":"branch","Status":"in-use","TagSet":` + tags + `}`
	}
	k8s := node("a", "i-0a") + node("b", "i-0b") + pod("web-0", "a", "eni-a1") + pod("web-1", "b", "eni-b1")
	ec2 := `{"NetworkInterfaces":[` + strings.Join([]string{trunk("eni-ta", "i-0a"), trunk("eni-tb", "i-0b"),
		branch("eni-a1", "eni-ta"), branch("eni-a2", "eni-ta"), branch("eni-a3", "eni-ta"), // a: 2 unowned
		branch("eni-b1", "eni-tb"), branch("eni-b2", "eni-tb"), // b: 1 unowned
		branch("eni-x", "")}, ",") + `]}`
	s := importer.New()
	require.NoError(t, s.Read("k8s.yaml", strings.NewReader(k8s)))
	require.NoError(t, s.Read("enis.json", strings.NewReader(ec2)))
	out, err := s.Scenario()
	require.NoError(t, err)
	sc, err := scenario.Parse("imported.yaml", out)
	require.NoError(t, err)
	require.Len(t, sc.NodeGroups, 1)
	assert.Equal(t, 2, sc.NodeGroups[0].TrunkAttached)
	assert.Equal(t, 1, sc.NodeGroups[0].UnownedBranches, "the fewest of the group's nodes")
	warnings := strings.Join(s.Warnings(), "\n")
	assert.Contains(t, warnings, "its attached nodes hold [2 1] unowned branch ENIs; the run starts each with 1, leaving out 1")
	assert.Contains(t, warnings, "1 in-use branch ENI(s) with no vpcresources.k8s.aws/trunk-eni-id tag")

	r, err := sc.Run(scenario.Options{})
	require.NoError(t, err)
	assert.Equal(t, 2, r.Pods.Running)
	assert.Equal(t, 2, r.BranchENIs.Deleted, "one unowned branch on each attached node, deleted after the cool-down")
}
