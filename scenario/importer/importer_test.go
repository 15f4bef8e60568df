package importer_test

import (
	"errors"
	"os"
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
	s := read(t, "../../examples/imported/kubectl/cluster.yaml", "../../examples/imported/kubectl/aws-node.yaml")
	got, err := s.Scenario()
	require.NoError(t, err)
	want, err := os.ReadFile("../../examples/imported/scenario.yaml")
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), "go run ./cmd/trunksim import examples/imported/kubectl/*.yaml -o examples/imported/scenario.yaml")
	assert.Equal(t, []string{"aws-node.yaml: service/kube-system/kube-dns (v1) skipped: not a kind the importer reads"}, trimPaths(s.Warnings()))

	sc, err := scenario.Parse("imported.yaml", got)
	require.NoError(t, err)
	require.Len(t, sc.NodeGroups, 2)
	assert.Equal(t, "general", sc.NodeGroups[0].Name)
	assert.Equal(t, 2, sc.NodeGroups[0].Count)
	assert.Equal(t, "c6i.2xlarge", sc.NodeGroups[1].InstanceType)
	require.Len(t, sc.Workloads, 2)
	assert.Equal(t, 3, sc.Workloads[0].Replicas, "the Deployment's replicas, through its ReplicaSet")
	assert.Equal(t, map[string]string{"app": "payments"}, sc.Workloads[0].Labels, "pod-template-hash dropped")
	assert.Equal(t, "frontend", sc.Workloads[1].ServiceAccount)
	r, err := sc.Run(scenario.Options{})
	require.NoError(t, err)
	assert.Equal(t, 5, r.Pods.Running)
	assert.Equal(t, 3, r.Pods.SecurityGroupPods)
}

func trimPaths(ws []string) []string {
	for i, w := range ws {
		if j := strings.LastIndex(w[:strings.Index(w, ":")], "/"); j >= 0 {
			ws[i] = w[j+1:]
		}
	}
	return ws
}

// Nothing the scenario does not need is copied: no environment value but
// the CNI's, no image, no annotation.
func TestImportCopiesNoPrivateData(t *testing.T) {
	got, err := read(t, "../../examples/imported/kubectl/cluster.yaml", "../../examples/imported/kubectl/aws-node.yaml").Scenario()
	require.NoError(t, err)
	for _, secret := range []string{"not-for-the-scenario", "DATABASE_PASSWORD", "registry.example.com", "vpc-0a1b2c3d4e5f60000",
		"shop-prod", "eni-0a1b2c3d4e5f60101", "i-0a1b2c3d4e5f60001", "last-applied"} {
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
		{"no kind", `{"apiVersion":"v1","metadata":{"name":"x"}}`, "in.yaml: /x: kind: missing"},
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
