package sim_test

import (
	"fmt"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/sim"
)

// Ten security-group pods on one m5.large: nine get a branch ENI, the
// tenth stays Pending because the node has nine branch interfaces.
func Example() {
	s, err := sim.New(sim.Config{Seed: 1})
	if err != nil {
		panic(err)
	}
	policy := branch.Policy{
		Namespace:   "default",
		Name:        "web",
		PodSelector: &branch.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
		Groups:      []branch.SecurityGroupID{branch.MustParseSecurityGroupID("sg-0123456789abcdef0")},
	}
	if err := s.AddPolicy(policy); err != nil {
		panic(err)
	}
	if err := s.AddNode(sim.NodeSpec{Name: "node-1", InstanceType: "m5.large"}); err != nil {
		panic(err)
	}
	err = s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "web", Replicas: 10,
		Labels: map[string]string{"app": "web"}})
	if err != nil {
		panic(err)
	}
	if err := s.Run(); err != nil {
		panic(err)
	}
	r := s.Report()
	fmt.Printf("running %d, pending %d\n", r.Pods.Running, r.Pods.Pending)
	fmt.Printf("start-up p50 %.1fs, max %.1fs\n", r.StartupLatencySeconds.P50, r.StartupLatencySeconds.Max)
	fmt.Printf("EC2 CreateNetworkInterface calls: %d (1 trunk + 9 branches)\n", r.EC2.Calls["CreateNetworkInterface"])
	for reason, n := range r.PendingReasons {
		fmt.Printf("%d pending: %s\n", n, reason)
	}
	// Output:
	// running 9, pending 1
	// start-up p50 4.3s, max 4.3s
	// EC2 CreateNetworkInterface calls: 10 (1 trunk + 9 branches)
	// 1 pending: Insufficient vpc.amazonaws.com/pod-eni: every node's branch slots are taken
}
