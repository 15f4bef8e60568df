package simtest_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/scenario"
	"github.com/trunksim/trunksim/sim"
	"github.com/trunksim/trunksim/simtest"
)

// A harness on a fixed cluster, driven by hand: every action is recorded,
// so the run is a scenario file `trunksim run` replays.
func ExampleStart() {
	sc := &scenario.Scenario{
		File:       "example.yaml",
		NodeGroups: []scenario.NodeGroup{{Name: "ng0", InstanceType: "m5.large", Count: 1}},
		SecurityGroupPolicies: []branch.Policy{{Namespace: "default", Name: "web",
			PodSelector: &branch.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Groups:      []branch.SecurityGroupID{branch.MustParseSecurityGroupID("sg-0123456789abcdef0")}}},
	}
	h, err := simtest.Start(sc, simtest.Config{})
	if err != nil {
		panic(err)
	}
	_ = h.Advance(5 * time.Second)
	key, _ := h.CreatePod(sim.PodSpec{Name: "web", Labels: map[string]string{"app": "web"}})
	_ = h.RestartController()
	_ = h.Settle()
	p, _ := h.View().Pod(key)
	fmt.Println(key, p.Phase, p.Requested, "violations:", len(h.Violations()))

	yaml, _ := h.ScenarioYAML()
	for _, line := range strings.Split(string(yaml), "\n") {
		if !strings.HasPrefix(line, "# The replay's report") { // its hash follows the simulator's version
			fmt.Println(line)
		}
	}
	// Output:
	// default/web-0 Running [sg-0123456789abcdef0] violations: 0
	// # Replays a simtest run with: trunksim run example.yaml
	// # Simulation seed 0; 4 action(s); stopped at 1m35.600002s.
	// until: 1m35.600002s
	// nodeGroups:
	//   - name: ng0
	//     instanceType: m5.large
	//     count: 1
	// securityGroupPolicies:
	//   - apiVersion: vpcresources.k8s.aws/v1beta1
	//     kind: SecurityGroupPolicy
	//     metadata:
	//       name: web
	//     spec:
	//       podSelector:
	//         matchLabels:
	//           app: web
	//       securityGroups:
	//         groupIds:
	//           - sg-0123456789abcdef0
	// workloads:
	//   - name: web
	//     labels:
	//       app: web
	//     replicas: 1
	//     at: 5.000001s
	// events:
	//   - at: 5.000002s
	//     action: restartController
}

// Checkers are plain functions over a trace: here a pod ran before the
// controller annotated it with its branch ENI.
func ExampleCheckTrace() {
	events, _ := simtest.ParseTrace(strings.NewReader(`{"t":5,"event":"PodCreated","object":"pod/default/web-0","detail":"pod-eni requested"}
{"t":5,"event":"PodScheduled","object":"pod/default/web-0","detail":"ng0-0"}
{"t":9.5,"event":"PodRunning","object":"pod/default/web-0"}
`))
	for _, v := range simtest.CheckTrace(events) {
		fmt.Println(v)
	}
	// Output:
	// [trace] 9.5s pod/default/web-0: running without the branch ENI annotation it requested
}
