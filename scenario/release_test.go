package scenario_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/controller"
	"github.com/trunksim/trunksim/reach"
	"github.com/trunksim/trunksim/scenario"
)

// TestControllerVersionKey: controller.version picks the release, and the
// deprecated preset still parses.
func TestControllerVersionKey(t *testing.T) {
	for _, v := range controller.Releases() {
		sc, err := scenario.Parse("v.yaml", []byte("controller: {version: "+v.String()+"}\n"))
		require.NoError(t, err, v)
		assert.Equal(t, v, sc.Controller.Release)
		assert.Equal(t, v.String(), sc.Config(nil).Controller.Release.String())
	}
	_, err := scenario.Parse("v.yaml", []byte("controller:\n  version: v1.9.0\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `v.yaml:2: controller.version: invalid value "v1.9.0": unknown controller release "v1.9.0" (known: v1.7.19,`)
	sc, err := scenario.Parse("p.yaml", []byte("controller: {preset: raised-limits}\n"))
	require.NoError(t, err)
	assert.Equal(t, controller.ReleaseV1_8_0, sc.Controller.Modelled())
}

// TestUnlistedTypeRunAndCheckAgree follows upstream
// pkg/provider/branch/provider.go IsInstanceSupported (v1.7.19): nodes of
// a type the release's table lacks join and never get a trunk. trunksim
// run and trunksim check read the file alike: neither refuses it, and
// both see no node group for the security-group workload.
func TestUnlistedTypeRunAndCheckAgree(t *testing.T) {
	sc, err := scenario.Load("testdata/unlisted-type.yaml")
	require.NoError(t, err)
	r, err := sc.Run(scenario.Options{})
	require.NoError(t, err)
	assert.Equal(t, 2, r.Trunks.Unsupported)
	assert.Equal(t, 2, r.Pods.Running)
	assert.Equal(t, 2, r.Pods.Pending)
	assert.Contains(t, strings.Join(r.Warnings, "\n"), "release v1.8.2 has it (controller.version: v1.8.2)")

	rep, err := reach.CheckCluster(sc.Cluster())
	require.NoError(t, err)
	for _, w := range rep.Workloads {
		if w.Name == "web" {
			assert.Empty(t, w.NodeGroups, "no node group can host a security-group pod")
		}
	}

	// Under v1.8.2 both types are in the table, and maxPods is kubelet's
	// override, as for any type.
	src, err := os.ReadFile("testdata/unlisted-type.yaml")
	require.NoError(t, err)
	_, err = scenario.Parse("new.yaml", []byte(strings.Replace(string(src), "version: v1.7.19", "version: v1.8.2", 1)))
	require.NoError(t, err)

	// Without maxPods and without the CNI's figure, the parser names the
	// field, so run and check both refuse the file.
	_, err = scenario.Parse("nomax.yaml", []byte(strings.Replace(string(src), ", maxPods: 59", "", 1)))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `nomax.yaml:9: nodeGroups[1].instanceType: invalid value "r9g.large": not in the instance table of controller release v1.7.19, and the VPC CNI's github.com/aws/amazon-vpc-cni-k8s@v1.23.2 misc/eni-max-pods.txt gives no max pods for it; set controller.version: v1.8.2 or give the group's maxPods`)
	_, err = scenario.Parse("ev.yaml", []byte(string(src)+"events:\n  - {at: 2m, action: addNode, node: extra, instanceType: r9gd.large}\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `ev.yaml:21: events[0].instanceType: invalid value "r9gd.large": not in the instance table of controller release v1.7.19`)
}
