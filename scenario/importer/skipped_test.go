package importer_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/scenario"
	"github.com/trunksim/trunksim/scenario/importer"
	"github.com/trunksim/trunksim/sim"
)

// A cluster with a Fargate profile and EKS Auto Mode nodes beside a
// managed node group: the Fargate node and its pod are left out with a
// note (webhooks/core/pod_webhook.go gives Fargate pods the pod-sg
// annotation, no branch ENI of the cluster's nodes), and the Auto Mode
// node keeps its eks.amazonaws.com/compute-type=auto label, so the run
// gives it no trunk, as the resource controller's node reconciler skips it
// (controllers/core/node_controller.go).
func TestImportLeavesOutFargateAndKeepsAutoMode(t *testing.T) {
	node := func(name, typ, compute string) string {
		return `{"apiVersion":"v1","kind":"Node","metadata":{"name":"` + name + `","labels":{"node.kubernetes.io/instance-type":"` + typ +
			`","eks.amazonaws.com/compute-type":"` + compute + `"}}}`
	}
	pod := func(name, node, extra string) string {
		return `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"` + name + `","namespace":"default","labels":{"app":"` + name + `"` + extra +
			`}},"spec":{"nodeName":"` + node + `","containers":[{"name":"c","image":"x"}]},"status":{"phase":"Running"}}`
	}
	in := `{"apiVersion":"v1","kind":"List","items":[` + strings.Join([]string{
		node("fargate-ip-10-0-1-5.ec2.internal", "", "fargate"),
		node("i-0123", "m5.large", "auto"),
		node("ip-10-0-2-7.ec2.internal", "m5.large", "ec2"),
		pod("on-fargate", "fargate-ip-10-0-1-5.ec2.internal", `,"eks.amazonaws.com/fargate-profile":"fp-default"`),
		pod("on-auto", "i-0123", ""),
		pod("on-mng", "ip-10-0-2-7.ec2.internal", ""),
	}, ",") + `]}`
	s := importer.New()
	require.NoError(t, s.Read("cluster.json", strings.NewReader(in)))
	out, err := s.Scenario()
	require.NoError(t, err)
	text := string(out)
	assert.NotContains(t, text, "on-fargate")
	assert.Contains(t, text, "- name: on-auto\n")
	assert.Contains(t, text, "- name: on-mng\n")
	assert.Contains(t, text, "labels: {"+sim.LabelComputeType+": auto}")
	assert.Contains(t, strings.Join(s.Warnings(), "\n"), "1 Fargate node(s) and 1 pod(s) on Fargate left out")

	sc, err := scenario.Parse("cluster.yaml", out)
	require.NoError(t, err)
	simu, err := sc.Build(scenario.Options{})
	require.NoError(t, err)
	require.NoError(t, simu.Run())
	r := simu.Report()
	assert.Equal(t, 1, r.Trunks.Created, "the managed node's; the Auto Mode node is skipped")
}
