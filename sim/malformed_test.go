package sim_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/sim"
)

// Upstream: EC2 API reference, error codes: InvalidGroupId.Malformed for
// an ID that is no ID; the SecurityGroupPolicy CRD (v1.8.2
// config/crd/bases) stores any string in groupIds, and the controller
// hands the policy's groups to CreateNetworkInterface unchecked
// (pkg/utils/helper.go filterPodSecurityGroups). Through the library: the
// policy names the stand-in AddMalformedGroup returns, its pods stay
// ContainerCreating, and the report and the events name the text, never
// the stand-in.
func TestMalformedGroupIDKeepsItsPodsContainerCreating(t *testing.T) {
	s, err := sim.New(sim.Config{Seed: 1})
	require.NoError(t, err)
	bad, err := s.AddMalformedGroup("${POD_SG}")
	require.NoError(t, err)
	assert.Equal(t, branch.MalformedGroupID("${POD_SG}"), bad)
	p := webPolicy()
	p.Groups = append(p.Groups, bad)
	require.NoError(t, s.AddPolicy(p))
	var trace strings.Builder
	s.SetTrace(&trace)
	require.NoError(t, s.AddNode(sim.NodeSpec{Name: "n0", InstanceType: "m5.large"}))
	require.NoError(t, s.CreatePod(sim.PodSpec{Namespace: "default", Name: "web-0", Labels: map[string]string{"app": "web"}}))
	require.NoError(t, s.CreatePod(sim.PodSpec{Namespace: "default", Name: "plain", Labels: map[string]string{"app": "plain"}}))
	require.NoError(t, s.Run())

	r := s.Report()
	assert.Equal(t, 1, r.Pods.Running, "the pod no policy matches runs")
	assert.Equal(t, 1, r.Pods.Pending)
	warnings := strings.Join(r.Warnings, "\n")
	assert.Contains(t, warnings, `security group ID "${POD_SG}", named by policy default/web, is no ID`)
	assert.NotContains(t, warnings, bad.String())
	assert.Contains(t, trace.String(), "will get security groups [sg-0123456789abcdef0, ${POD_SG}]")
	assert.NotContains(t, trace.String(), bad.String())

	// A well-formed ID is not malformed: refused, nothing changed.
	before := s.Report()
	_, err = s.AddMalformedGroup("sg-0a000001")
	require.ErrorIs(t, err, sim.ErrBadSpec)
	assert.Equal(t, before, s.Report())
}

// The calls that change a running cluster refuse what a cluster would,
// and a refusal changes nothing: ENABLE_POD_ENI turned on twice, a
// service account that does not exist, a group EC2 does not hold.
func TestChangesWhileRunningRefuseAndChangeNothing(t *testing.T) {
	s, err := sim.New(sim.Config{Seed: 1})
	require.NoError(t, err)
	require.NoError(t, s.AddNode(sim.NodeSpec{Name: "n0", InstanceType: "m5.large"}))
	require.NoError(t, s.Run())
	before := s.Report()
	require.ErrorIs(t, s.EnablePodENI(), sim.ErrBadSpec, "on already")
	require.ErrorIs(t, s.SetServiceAccountLabels("default", "nobody", nil), sim.ErrNotFound)
	var ge *sim.GroupError
	require.ErrorAs(t, s.DeleteSecurityGroup(branch.MustParseSecurityGroupID("sg-0a000009")), &ge)
	assert.Equal(t, sim.CodeGroupNotFound, ge.Code)
	assert.Equal(t, before, s.Report())
}
