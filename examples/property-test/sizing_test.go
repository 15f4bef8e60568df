package propertytest

import (
	"flag"
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/limits"
	"github.com/trunksim/trunksim/sim"
)

var wrongRule = flag.Bool("wrong-rule", false, "check the deliberately wrong sizing rule too")

// nodesFor is the team's sizing rule: one m5.large per 9 security-group
// pods, since each holds 9 branch ENIs.
func nodesFor(replicas int) int {
	m5, _ := limits.Default().Lookup("m5.large")
	return (replicas + m5.BranchPods() - 1) / m5.BranchPods()
}

// nodesForWrong is a rule someone might write from the instance's
// interface count alone: 3 interfaces, so "about 10 pods".
func nodesForWrong(replicas int) int { return (replicas + 9) / 10 }

// checkRule asserts that a deployment of any size up to 200 replicas,
// given rule(replicas) m5.large nodes, runs every pod within 3 minutes.
func checkRule(t *rapid.T, rule func(int) int) {
	replicas := rapid.IntRange(1, 200).Draw(t, "replicas")
	seed := rapid.Uint64().Draw(t, "seed")
	s, err := sim.New(sim.Config{Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddPolicy(branch.Policy{Namespace: "shop", Name: "api",
		PodSelector: &branch.LabelSelector{MatchLabels: map[string]string{"app": "api"}},
		Groups:      []branch.SecurityGroupID{branch.MustParseSecurityGroupID("sg-0123456789abcdef0")}}); err != nil {
		t.Fatal(err)
	}
	for i := range rule(replicas) {
		if err := s.AddNode(sim.NodeSpec{Name: fmt.Sprintf("node-%d", i), InstanceType: "m5.large"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddWorkload(sim.WorkloadSpec{Namespace: "shop", Name: "api", Replicas: replicas,
		Labels: map[string]string{"app": "api"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.RunUntil(3 * time.Minute); err != nil {
		t.Fatal(err)
	}
	if r := s.Report(); r.Pods.Running != replicas {
		t.Fatalf("%d of %d pods running after 3m on %d nodes; pending because: %v",
			r.Pods.Running, replicas, rule(replicas), r.PendingReasons)
	}
}

func TestSizingRule(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) { checkRule(t, nodesFor) })
}

// TestWrongSizingRule shows what rapid reports for a wrong rule; run it
// with: go test ./examples/property-test -run Wrong -args -wrong-rule
func TestWrongSizingRule(t *testing.T) {
	if !*wrongRule {
		t.Skip("pass -args -wrong-rule to see the shrunk failure")
	}
	rapid.Check(t, func(t *rapid.T) { checkRule(t, nodesForWrong) })
}
