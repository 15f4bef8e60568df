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
