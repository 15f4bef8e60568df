package karpenter_test

import (
	"fmt"

	"github.com/trunksim/trunksim/karpenter"
	"github.com/trunksim/trunksim/limits"
)

// Filter the default table with a NodePool's requirements and price the
// cheapest allowed offering.
func ExampleRequirements_Allows() {
	rs := karpenter.Requirements{
		{Key: "karpenter.k8s.aws/instance-family", Operator: karpenter.In, Values: []string{"m5", "c6g"}},
		{Key: "karpenter.k8s.aws/instance-size", Operator: karpenter.In, Values: []string{"large", "medium"}},
		{Key: "karpenter.sh/capacity-type", Operator: karpenter.In, Values: []string{"on-demand"}},
	}
	if err := rs.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	ct := rs.CapacityTypes()[0]
	for _, it := range limits.Default().All() {
		if rs.Allows(karpenter.Offering{Type: it, CapacityType: ct}) {
			usd, _ := karpenter.Price(it.Name, ct)
			arch, _ := karpenter.WellKnownLabels(it).Get("kubernetes.io/arch")
			fmt.Printf("%s %s %s $%g/h\n", it.Name, arch, ct, usd)
		}
	}
	// Output:
	// c6g.large arm64 on-demand $0.068/h
	// c6g.medium arm64 on-demand $0.034/h
	// m5.large amd64 on-demand $0.096/h
}

func ExampleRequirement_Validate() {
	r := karpenter.Requirement{Key: "karpenter.k8s.aws/instance-cpu", Operator: karpenter.Gt, Values: []string{"3"}}
	fmt.Println(r.Validate())
	// Output:
	// requirement.key: key "karpenter.k8s.aws/instance-cpu" is not modelled: the instance table has no such data; constrain karpenter.k8s.aws/instance-size or node.kubernetes.io/instance-type instead
}

// waiting is a cluster for the example: the pods kube-scheduler could
// not place, and no node yet.
type waiting []karpenter.Pod

func (w waiting) AppendProvisionable(dst []karpenter.Pod) []karpenter.Pod { return append(dst, w...) }
func (w waiting) Provisionable(karpenter.PodID) bool                      { return true }
func (w waiting) Node(karpenter.ClaimID) karpenter.NodeState              { return karpenter.NodeState{} }

// A provisioner is stepped with what happened and returns what it wants
// done: here ten pods asking for pod-eni trigger a batch, which closes a
// second later and launches the cheapest NodePool type that holds them.
func ExampleProvisioner() {
	pool := karpenter.NodePool{Name: "default", NodeClass: "default", Requirements: karpenter.Requirements{
		{Key: "karpenter.k8s.aws/instance-family", Operator: karpenter.In, Values: []string{"t3", "m5"}},
		{Key: "karpenter.sh/capacity-type", Operator: karpenter.In, Values: []string{"on-demand"}},
	}}
	var pods waiting
	for i := range 10 {
		pods = append(pods, karpenter.Pod{ID: karpenter.PodID(i), PodENI: true})
	}
	p, err := karpenter.New(karpenter.Config{}, []karpenter.NodePool{pool}, []karpenter.NodeClass{{Name: "default"}}, pods)
	if err != nil {
		panic(err)
	}
	var wake karpenter.Effect
	for _, pod := range pods {
		out, _ := p.Step(0, karpenter.Input{Kind: karpenter.PodUnschedulable, Pod: pod.ID}, nil)
		for _, e := range out {
			if e.Kind == karpenter.Wake {
				wake = e
			}
		}
	}
	out, _ := p.Step(wake.At, karpenter.Input{Kind: karpenter.Woke, Timer: wake.Timer}, nil)
	for _, e := range out {
		if e.Kind == karpenter.Launch {
			c := p.Claim(e.Claim)
			fmt.Printf("batch closed at %v: %s, %s, pod-eni %d, joins at %v\n", wake.At, c.Name, c.Type.Name, c.PodENI, e.At)
		}
	}
	// Output:
	// batch closed at 1s: default-1, m5.xlarge, pod-eni 18, joins at 36s
}
