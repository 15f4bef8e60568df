package autoscaler

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type cluster struct {
	pods  []Pod
	nodes map[GroupID][]Node
}

func (c *cluster) AppendUnschedulable(dst []Pod) []Pod { return append(dst, c.pods...) }
func (c *cluster) AppendNodes(g GroupID, dst []Node) []Node {
	return append(dst, c.nodes[g]...)
}

// scan runs the scan due at now, a multiple of the 10s scan interval,
// starting the autoscaler at zero first if need be.
func scan(t *testing.T, a *Autoscaler, now time.Duration) []Effect {
	t.Helper()
	if a.nextScan == 0 {
		a.Start(0, nil)
	}
	for a.nextScan < now { // scans with nothing to do, as the caller skipped them
		_, err := a.Step(a.nextScan, Input{Kind: Woke}, nil)
		require.NoError(t, err)
	}
	out, err := a.Step(now, Input{Kind: Woke}, nil)
	require.NoError(t, err)
	return out
}

func launches(out []Effect) int {
	n := 0
	for _, e := range out {
		if e.Kind == Launch {
			n++
		}
	}
	return n
}

func sgPods(n int) []Pod {
	ps := make([]Pod, n)
	for i := range ps {
		ps[i].PodENI = true
	}
	return ps
}

// The ASG template holds 110 pods (cloudprovider/aws/aws_manager.go
// buildNodeFromTemplate) and the tag's pod-eni; bin-packing
// (estimator/binpacking_estimator.go) takes whichever binds.
func TestTemplateFromTheTagBinPacksBranchPods(t *testing.T) {
	c := &cluster{pods: sgPods(20)}
	a, err := New(Config{}, []Group{{Name: "ng", Max: 10, TemplatePodENI: 9}}, c)
	require.NoError(t, err)
	assert.Equal(t, 3, launches(scan(t, a, 10*time.Second)))
	c.pods = make([]Pod, 200) // ordinary pods: 110 a template node
	a, err = New(Config{}, []Group{{Name: "ng", Max: 10}}, c)
	require.NoError(t, err)
	assert.Equal(t, 2, launches(scan(t, a, 10*time.Second)))
}

// Nodes asked for and not joined count as upcoming at the template's
// capacity, so the next scan asks for no more; a joined node counts at
// what it advertises, pod-eni 0 before its trunk
// (clusterstate/clusterstate.go GetUpcomingNodes).
func TestUpcomingNodesCountUntilTheyJoin(t *testing.T) {
	c := &cluster{pods: sgPods(5), nodes: map[GroupID][]Node{}}
	a, err := New(Config{}, []Group{{Name: "ng", Max: 10, TemplatePodENI: 9}}, c)
	require.NoError(t, err)
	require.Equal(t, 1, launches(scan(t, a, 10*time.Second)))
	assert.Zero(t, launches(scan(t, a, 20*time.Second)), "upcoming")
	assert.Zero(t, launches(scan(t, a, 70*time.Second)), "still upcoming")
	_, err = a.Step(80*time.Second, Input{Kind: NodeJoined}, nil)
	require.NoError(t, err)
	c.nodes[0] = []Node{{ID: 1, Joined: 80 * time.Second, Pods: 27}}
	assert.Equal(t, 1, launches(scan(t, a, 80*time.Second)), "joined without pod-eni: the pods fit nowhere")
}

// A node Ready for a minute becomes the group's template, with what it
// advertises (mixed_nodeinfos_processor.go isNodeGoodTemplateCandidate).
func TestRealNodeBecomesTheTemplate(t *testing.T) {
	c := &cluster{pods: sgPods(10), nodes: map[GroupID][]Node{0: {{ID: 1, Joined: 0, Pods: 27, PodENI: 9, UsedPods: 9, UsedPodENI: 9}}}}
	a, err := New(Config{}, []Group{{Name: "ng", Size: 1, Max: 10}}, c)
	require.NoError(t, err)
	assert.Zero(t, launches(scan(t, a, 30*time.Second)), "no template yet: 0 pod-eni without the tag")
	assert.Equal(t, 2, launches(scan(t, a, 60*time.Second)), "ceil(10/9) from the real node, Ready a minute")
}

// An empty node goes after scale-down-unneeded-time, not within
// scale-down-delay-after-add of a scale-up, and not below minSize.
func TestEmptyNodeIsScaledDown(t *testing.T) {
	c := &cluster{nodes: map[GroupID][]Node{0: {{ID: 1, Pods: 27}, {ID: 2, Pods: 27, UsedPods: 1}}}}
	a, err := New(Config{}, []Group{{Name: "ng", Min: 1, Size: 2, Max: 3}}, c)
	require.NoError(t, err)
	var deleted []NodeID
	for at := 10 * time.Second; at <= 15*time.Minute; at += 10 * time.Second {
		for _, e := range scan(t, a, at) {
			if e.Kind == Delete {
				deleted = append(deleted, e.Node)
			}
		}
	}
	assert.Equal(t, []NodeID{1}, deleted)
}

func TestBadGroupsAndInputs(t *testing.T) {
	for _, g := range []Group{{Name: ""}, {Name: "a", Min: 2, Max: 1}, {Name: "a", Max: 2, Size: 3}, {Name: "a", Max: 1, TemplatePodENI: -1}} {
		_, err := New(Config{}, []Group{g}, &cluster{})
		assert.ErrorIs(t, err, ErrBadGroup, "%+v", g)
	}
	a, err := New(Config{}, []Group{{Name: "a", Max: 1}}, &cluster{})
	require.NoError(t, err)
	for _, in := range []Input{{Kind: NodeJoined}, {Kind: NodeDeleted, Group: 3}, {Kind: 9}} {
		_, err := a.Step(0, in, nil)
		assert.ErrorIs(t, err, ErrBadInput, "%+v", in)
	}
}
