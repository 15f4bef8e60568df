package autoscaler_test

import (
	"fmt"

	"github.com/trunksim/trunksim/autoscaler"
)

// pending is a cluster for the example: 20 pods asking for pod-eni, and
// an empty group.
type pending struct{}

func (pending) AppendUnschedulable(dst []autoscaler.Pod) []autoscaler.Pod {
	for range 20 {
		dst = append(dst, autoscaler.Pod{PodENI: true})
	}
	return dst
}
func (pending) AppendNodes(autoscaler.GroupID, []autoscaler.Node) []autoscaler.Node { return nil }

// An empty group learns its nodes' pod-eni only from its node-template
// tag: without it the scan grows nothing; with 9 it asks for 3 nodes.
func Example() {
	for _, tag := range []int{0, 9} {
		a, err := autoscaler.New(autoscaler.Config{}, []autoscaler.Group{{Name: "ng", Max: 10, TemplatePodENI: tag}}, pending{})
		if err != nil {
			panic(err)
		}
		out := a.Start(0, nil)
		if _, err := a.Step(out[0].At, autoscaler.Input{Kind: autoscaler.Woke}, nil); err != nil {
			panic(err)
		}
		fmt.Printf("tag %d: group size %d after the first scan\n", tag, a.Target(0))
	}
	// Output:
	// tag 0: group size 0 after the first scan
	// tag 9: group size 3 after the first scan
}
