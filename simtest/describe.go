package simtest

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/scenario"
	"github.com/trunksim/trunksim/sim"
)

// The harness draws through these wrappers so that rapid's log of a
// failing case (it prints each draw with %#v) reads as a description,
// not as Go struct syntax.

type drawnCluster struct{ sc *scenario.Scenario }

func (d drawnCluster) GoString() string {
	sc := d.sc
	var parts []string
	parts = append(parts, fmt.Sprintf("seed %d", sc.Seed))
	for _, g := range sc.NodeGroups {
		parts = append(parts, fmt.Sprintf("%s: %d x %s", g.Name, g.Count, g.InstanceType))
	}
	for _, a := range sc.ServiceAccounts {
		parts = append(parts, fmt.Sprintf("service account %s/%s %s", a.Namespace, a.Name, describeLabels(a.Labels)))
	}
	for _, p := range sc.SecurityGroupPolicies {
		parts = append(parts, describePolicy(p))
	}
	for _, f := range sc.EC2.Faults {
		parts = append(parts, describeFault(f))
	}
	return strings.Join(parts, "; ")
}

type drawnFault struct{ f sim.Fault }

func (d drawnFault) GoString() string { return describeFault(d.f) }

type drawnPod struct{ p sim.PodSpec }

func (d drawnPod) GoString() string {
	s := d.p.Namespace + " " + describeLabels(d.p.Labels)
	if d.p.Lifetime > 0 {
		s += fmt.Sprintf(", completes after %v", d.p.Lifetime)
	}
	return s
}

type drawnPolicy struct{ p branch.Policy }

func (d drawnPolicy) GoString() string { return describePolicy(d.p) }

func describeFault(f sim.Fault) string {
	what := "fails with " + f.Code
	if f.Code == "" {
		what = fmt.Sprintf("slowed by %v", f.Delay)
	}
	return fmt.Sprintf("%s %s with probability %g from %v until %v", f.API, what, f.Probability, f.From, f.Until)
}

func describePolicy(p branch.Policy) string {
	s := "policy " + p.Namespace + "/" + p.Name + ":"
	if p.PodSelector != nil {
		s += " pods " + describeSelector(p.PodSelector)
	}
	if p.ServiceAccountSelector != nil {
		s += " service accounts " + describeSelector(p.ServiceAccountSelector)
	}
	return s + " -> " + branch.NewGroupSet(p.Groups...).String()
}

func describeSelector(sel *branch.LabelSelector) string {
	c, err := sel.Compile()
	if err != nil {
		return "invalid selector"
	}
	return c.String()
}

func describeLabels(labels map[string]string) string {
	if len(labels) == 0 {
		return "{}"
	}
	parts := make([]string, 0, len(labels))
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		parts = append(parts, k+"="+labels[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
