package branch_test

import (
	"errors"
	"fmt"

	"github.com/trunksim/trunksim/branch"
)

func ExampleParseSecurityGroupID() {
	id, err := branch.ParseSecurityGroupID("sg-0123456789abcdef0")
	fmt.Println(id, err)

	_, err = branch.ParseSecurityGroupID("sg-0123ABCD")
	fmt.Println(errors.Is(err, branch.ErrMalformedID))
	fmt.Println(err)
	// Output:
	// sg-0123456789abcdef0 <nil>
	// true
	// branch: malformed security group ID "sg-0123ABCD": character 'A' at offset 7 is uppercase; want lowercase hex
}

func ExampleNewGroupSet() {
	web := branch.MustParseSecurityGroupID("sg-0b1e2c3d4e5f60718")
	db := branch.MustParseSecurityGroupID("sg-0a1b2c3d")

	a := branch.NewGroupSet(web, db)
	b := branch.NewGroupSet(db, web, db)
	fmt.Println(a, a.Len(), a == b)
	fmt.Println(a.CheckQuota(1))
	// Output:
	// [sg-0a1b2c3d, sg-0b1e2c3d4e5f60718] 2 true
	// branch: 2 security groups [sg-0a1b2c3d, sg-0b1e2c3d4e5f60718] exceed the limit of 1 per network interface
}

func ExampleResolve() {
	web := branch.MustParseSecurityGroupID("sg-0b1e2c3d4e5f60718")
	db := branch.MustParseSecurityGroupID("sg-0a1b2c3d")
	policies := []branch.Policy{
		{
			Namespace:   "shop",
			Name:        "frontend",
			PodSelector: &branch.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Groups:      []branch.SecurityGroupID{web},
		},
		{
			// Both selectors set: the pod and its service account must match.
			Namespace:   "shop",
			Name:        "database-clients",
			PodSelector: &branch.LabelSelector{},
			ServiceAccountSelector: &branch.LabelSelector{MatchExpressions: []branch.Requirement{
				{Key: "db-access", Operator: branch.OpIn, Values: []string{"read", "write"}},
			}},
			Groups: []branch.SecurityGroupID{db, web},
		},
		{
			// Another namespace never applies.
			Namespace:   "admin",
			Name:        "everything",
			PodSelector: &branch.LabelSelector{},
			Groups:      []branch.SecurityGroupID{branch.MustParseSecurityGroupID("sg-0ffffffff0000000f")},
		},
	}
	pod := branch.Pod{
		Namespace:            "shop",
		Labels:               map[string]string{"app": "web"},
		ServiceAccount:       "checkout",
		ServiceAccountLabels: map[string]string{"db-access": "read"},
	}
	fmt.Println(branch.Resolve(pod, policies))

	pod.ServiceAccountLabels = nil
	fmt.Println(branch.Resolve(pod, policies))
	// Output:
	// [sg-0b1e2c3d4e5f60718 sg-0a1b2c3d]
	// [sg-0b1e2c3d4e5f60718]
}

func ExamplePolicy_Validate() {
	p := branch.Policy{
		Namespace: "shop",
		Name:      "frontend",
		PodSelector: &branch.LabelSelector{MatchExpressions: []branch.Requirement{
			{Key: "app", Operator: branch.OpIn},
		}},
		Groups: []branch.SecurityGroupID{branch.MustParseSecurityGroupID("sg-0a1b2c3d")},
	}
	fmt.Println(p.Validate())
	// Output:
	// branch: SecurityGroupPolicy "shop/frontend": spec.podSelector.matchExpressions[0].values: must be non-empty for In and NotIn
}

func ExampleLabelSelector_Compile() {
	sel := &branch.LabelSelector{
		MatchLabels: map[string]string{"app": "web"},
		MatchExpressions: []branch.Requirement{
			{Key: "tier", Operator: branch.OpNotIn, Values: []string{"canary"}},
		},
	}
	compiled, err := sel.Compile()
	if err != nil {
		panic(err)
	}
	fmt.Println(compiled)
	fmt.Println(compiled.Matches(map[string]string{"app": "web"}))
	fmt.Println(compiled.Matches(map[string]string{"app": "web", "tier": "canary"}))
	// Output:
	// app=web,tier notin (canary)
	// true
	// false
}
