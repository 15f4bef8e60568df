package userkit

import (
	"flag"
	"fmt"
	"testing"

	"pgregory.net/rapid"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/scenario"
	"github.com/trunksim/trunksim/sim"
	"github.com/trunksim/trunksim/simtest"
)

var wrongPolicy = flag.Bool("wrong-policy", false, "check the deliberately wrong payments policy too")

// paymentsDB is the security group of the payments database.
var paymentsDB = branch.MustParseSecurityGroupID("sg-0123456789abcdef0")

// paymentsPolicy is the team's policy: in namespace shop, pods of team
// payments get the database group.
func paymentsPolicy() branch.Policy {
	return branch.Policy{Namespace: "shop", Name: "payments-db",
		PodSelector: &branch.LabelSelector{MatchExpressions: []branch.Requirement{
			{Key: "team", Operator: branch.OpIn, Values: []string{"payments"}},
		}},
		Groups: []branch.SecurityGroupID{paymentsDB}}
}

// wrongPaymentsPolicy is what someone wrote first: "every team but the
// three others". It also matches pods that carry no team label at all.
func wrongPaymentsPolicy() branch.Policy {
	p := paymentsPolicy()
	p.PodSelector = &branch.LabelSelector{MatchExpressions: []branch.Requirement{
		{Key: "team", Operator: branch.OpNotIn, Values: []string{"web", "api", "db"}},
	}}
	return p
}

// isolated is the team's invariant: a running pod carries the payments
// database group exactly when it is a payments pod in shop.
func isolated(h *simtest.Harness) []simtest.Violation {
	var out []simtest.Violation
	for _, p := range h.View().Pods {
		if p.Phase != sim.Running {
			continue
		}
		spec, ok := h.PodSpec(p.Key())
		if !ok {
			continue
		}
		payments := p.Namespace == "shop" && spec.Labels["team"] == "payments"
		if has := p.Requested.Contains(paymentsDB); has != payments {
			team := "no team label"
			if v, ok := spec.Labels["team"]; ok {
				team = "team=" + v
			}
			out = append(out, simtest.Violation{Object: "pod/" + p.Key(), At: p.RequestedAt,
				What: fmt.Sprintf("%s, payments database group %v", team, has)})
		}
	}
	return out
}

// checkIsolation drives the kit's harness on clusters of the kit's node
// groups with the team's policy, and checks isolation after every action.
// The policy is the team's, so the kit's policy actions are left out, and
// isolation does not depend on EC2 faults, so neither are they.
func checkIsolation(t *rapid.T, policy branch.Policy) {
	cluster := rapid.Custom(func(t *rapid.T) *scenario.Scenario {
		return &scenario.Scenario{
			File:                  "payments.yaml",
			Seed:                  rapid.Uint64().Draw(t, "seed"),
			NodeGroups:            simtest.NodeGroups(1, 2).Draw(t, "nodeGroups"),
			SecurityGroupPolicies: []branch.Policy{policy},
		}
	})
	h := simtest.New(t, simtest.Config{Cluster: cluster, Invariants: []simtest.Invariant{{Name: "payments isolation", Check: isolated}}})
	actions := h.Actions()
	for _, name := range []string{"addPolicy", "removePolicy", "injectFault"} {
		delete(actions, name)
	}
	t.Repeat(actions)
}

func TestPaymentsIsolation(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) { checkIsolation(t, paymentsPolicy()) })
}

// TestPaymentsIsolationWrongPolicy shows what the kit reports for the wrong
// policy; run it with:
//
//	go test ./examples/user-kit -run Wrong -args -wrong-policy
func TestPaymentsIsolationWrongPolicy(t *testing.T) {
	if !*wrongPolicy {
		t.Skip("pass -args -wrong-policy to see the shrunk failure")
	}
	rapid.Check(t, func(t *rapid.T) { checkIsolation(t, wrongPaymentsPolicy()) })
}
