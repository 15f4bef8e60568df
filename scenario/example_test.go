package scenario_test

import (
	"errors"
	"fmt"

	"github.com/trunksim/trunksim/scenario"
)

func ExampleParse() {
	_, err := scenario.Parse("smoke.yaml", []byte(`seed: 1
nodeGroups:
  - name: a
    instanceType: m5.large
    count: 1
    flavour: x
`))
	fmt.Println(err)
	fmt.Println(errors.Is(err, scenario.ErrUnknownField))
	// Output:
	// smoke.yaml:6: nodeGroups[0].flavour: unknown field (want name, instanceType, count, trunkAttached, unownedBranches, os, maxPods, labels, securityGroups, subnet or autoscaling)
	// true
}

func ExampleScenario_Run() {
	sc, err := scenario.Parse("web.yaml", []byte(`seed: 1
nodeGroups:
  - {name: ng, instanceType: m5.large, count: 2}
securityGroupPolicies:
  - apiVersion: vpcresources.k8s.aws/v1beta1
    kind: SecurityGroupPolicy
    metadata: {name: web}
    spec:
      podSelector: {matchLabels: {app: web}}
      securityGroups: {groupIds: [sg-0123456789abcdef0]}
workloads:
  - {name: web, labels: {app: web}, replicas: 20}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := sc.Run(scenario.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	// Two m5.large nodes carry 9 branch ENIs each.
	fmt.Printf("%d running, %d pending\n", r.Pods.Running, r.Pods.Pending)
	// Output:
	// 18 running, 2 pending
}

func ExampleScenario_Marshal() {
	sc, err := scenario.Parse("min.yaml", []byte(`
nodeGroups: [{name: ng, instanceType: m5.large, count: 1, os: linux}]
workloads: [{name: w, namespace: default, replicas: 2, at: 90s}]
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := sc.Marshal()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(out))
	// Output:
	// nodeGroups:
	//   - name: ng
	//     instanceType: m5.large
	//     count: 1
	// workloads:
	//   - name: w
	//     replicas: 2
	//     at: 1m30s
}

// One call from a scenario file to its report.
func ExampleRunFile() {
	r, err := scenario.RunFile("../examples/imported/scenario.yaml", scenario.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d running, %d pending; %d running from the start, %d of them on their branch ENIs\n",
		r.Pods.Running, r.Pods.Pending, r.Pods.AlreadyRunning, r.Pods.FromExistingBranches)
	// Output:
	// 5 running, 0 pending; 5 running from the start, 3 of them on their branch ENIs
}
