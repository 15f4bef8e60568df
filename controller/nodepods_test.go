package controller

import (
	"slices"
	"testing"

	"github.com/trunksim/trunksim/limits"
)

// nodePodsLister is the harness's lister that also lists a node's pods,
// as a caller's own records would: with pods the controller never heard
// of (ones that request no pod-eni) and in no particular order.
type nodePodsLister struct {
	*lister
	on map[NodeID][]PodID
}

func (l nodePodsLister) AppendPodsOn(n NodeID, dst []PodID) []PodID { return append(dst, l.on[n]...) }

// TestBoundPodsSameWithNodePods checks that a node's pods are the same
// whether the Lister lists them (NodePods) or the controller finds them
// by a pass over its pods: the known pods bound to the node, in creation
// order.
func TestBoundPodsSameWithNodePods(t *testing.T) {
	m5, err := limits.Default().Lookup("m5.large")
	if err != nil {
		t.Fatal(err)
	}
	on := map[NodeID][]PodID{}
	for _, withList := range []bool{false, true} {
		l := &lister{def: matchedGroups(testSG), pods: map[PodID]groupsAnswer{}}
		opts := Options{Lister: l}
		if withList {
			opts.Lister = nodePodsLister{l, on}
		}
		c, err := New(upstreamConfig(), opts)
		if err != nil {
			t.Fatal(err)
		}
		for n := range NodeID(2) {
			if _, err := c.Step(0, Input{Kind: NodeJoined, Node: n, Join: &Join{Name: "n", Type: m5, OS: limits.OSLinux}}, nil); err != nil {
				t.Fatal(err)
			}
		}
		// Pods 0..9 alternate between the nodes; every third requests
		// no pod-eni, so the controller never hears of it.
		for pi := PodID(9); pi >= 0; pi-- {
			n := NodeID(pi % 2)
			if !withList {
				on[n] = append(on[n], pi)
			}
			if pi%3 == 0 {
				continue
			}
			if _, err := c.Step(0, Input{Kind: PodBound, Pod: pi, Node: n, UID: "u"}, nil); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := c.Step(0, Input{Kind: PodEnded, Pod: 5}, nil); err != nil {
			t.Fatal(err)
		}
		want := map[NodeID][]PodID{0: {2, 4, 8}, 1: {1, 5, 7}}
		for n, w := range want {
			if got := c.boundPods(n); !slices.Equal(got, w) {
				t.Errorf("NodePods %v: node %d: boundPods = %v, want %v", withList, n, got, w)
			}
		}
	}
}
