package sweep_test

import (
	"context"
	"fmt"

	"github.com/trunksim/trunksim/sweep"
)

// A rollout of 300 security-group pods under the controller's default
// EC2 client limit and a doubled one, three seeds each, on every core.
// Doubling the client's rate barely helps: EC2's own bucket for
// CreateNetworkInterface (50, refilled at 5 a second) binds first.
func Example() {
	src := []byte(`
nodeGroups:
  - {name: workers, instanceType: m5.4xlarge, count: 6}
securityGroupPolicies:
  - apiVersion: vpcresources.k8s.aws/v1beta1
    kind: SecurityGroupPolicy
    metadata: {name: web, namespace: default}
    spec:
      podSelector: {matchLabels: {app: web}}
      securityGroups: {groupIds: [sg-0123456789abcdef0]}
workloads:
  - {name: web, labels: {app: web}, replicas: 300, at: 1m}
`)
	seeds, err := sweep.ParseSeeds("1-3")
	if err != nil {
		panic(err)
	}
	qps, err := sweep.ParseAxis("controller.userClientQPS=12,24")
	if err != nil {
		panic(err)
	}
	sw, err := sweep.New("rollout.yaml", src, seeds, []sweep.Axis{qps})
	if err != nil {
		panic(err)
	}
	err = sw.Run(context.Background(), sweep.Shard{}, 0, func(r sweep.Result) error {
		fmt.Printf("#%d qps %s seed %d: last pod ready %.0fs after creation\n", r.Index,
			r.Settings["controller.userClientQPS"], r.Seed, r.Report.StartupLatencySeconds.Max)
		return nil
	})
	if err != nil {
		panic(err)
	}
	// Output:
	// #0 qps 12 seed 1: last pod ready 52s after creation
	// #1 qps 12 seed 2: last pod ready 51s after creation
	// #2 qps 12 seed 3: last pod ready 52s after creation
	// #3 qps 24 seed 1: last pod ready 51s after creation
	// #4 qps 24 seed 2: last pod ready 51s after creation
	// #5 qps 24 seed 3: last pod ready 51s after creation
}
