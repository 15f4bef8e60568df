package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/cni"
	"github.com/trunksim/trunksim/controller"
	"github.com/trunksim/trunksim/limits"
	"github.com/trunksim/trunksim/sim"
)

const planUsage = `usage: trunksim plan [--sg-pods N] [--pods N] [--types TYPE,...] [--controller-version V] [-o table|json]

For each instance type, how many nodes run N pods with security groups of
their own (one branch ENI each) and M ordinary pods (one secondary IP each),
and which limit binds: branch ENIs, IPs left once the trunk takes an
interface, or kubelet max pods. Then it simulates the initial rollout on
that many nodes, trunks ready, all pods created at once, and reports how
long until the last pod's network was ready under the controller's EC2 rate
limits. Types that cannot hold a trunk are listed with the reason.

Examples:
  trunksim plan --sg-pods 500
  trunksim plan --sg-pods 300 --pods 900 --types m5.large,m5.xlarge,c5.2xlarge -o json
  trunksim plan --sg-pods 1000 --controller-version v1.7.19

Flags:
`

// defaultPlanTypes are common general-purpose, compute and memory types,
// and a burstable one to show what cannot hold a trunk.
const defaultPlanTypes = "m5.large,m5.xlarge,m5.2xlarge,c5.xlarge,c5.4xlarge,r5.large,m6i.xlarge,t3.large"

// planSeed drives the kubelet jitter of the rollout simulations; the node
// counts do not depend on it.
const planSeed = 1

// planReport is the JSON form of `trunksim plan`.
type planReport struct {
	SecurityGroupPods int `json:"sgPods"`
	Pods              int `json:"pods"`
	// Preset is the deprecated --preset, "" unless given;
	// ControllerRelease the release whose defaults the rollout used.
	Preset            string    `json:"preset"`
	ControllerRelease string    `json:"controllerRelease"`
	Types             []planRow `json:"types"`
}

// planRow is one instance type's plan.
type planRow struct {
	InstanceType string `json:"instanceType"`
	// TrunkEligible reports whether a node of the type can hold a trunk ENI.
	TrunkEligible bool `json:"trunkEligible"`
	// Unusable says why the type cannot run the pods at all; the fields
	// below are then zero.
	Unusable string `json:"unusable,omitempty"`
	// Nodes is how many nodes run all the pods.
	Nodes int `json:"nodes"`
	// Binding is the limit that sets Nodes: "branches", "ips" or "max-pods".
	Binding string      `json:"binding,omitempty"`
	PerNode planPerNode `json:"perNode"`
	// Rollout is the simulated initial rollout on Nodes nodes.
	Rollout *planRollout `json:"rollout,omitempty"`
}

// planPerNode is what one node offers.
type planPerNode struct {
	BranchPods int `json:"branchPods"`
	IPPods     int `json:"ipPods"`
	MaxPods    int `json:"maxPods"`
	// PodSlots is MaxPods less the host-network pods.
	PodSlots int `json:"podSlots"`
}

// planRollout is the outcome of the rollout simulation.
type planRollout struct {
	// Seconds runs from the pods' creation to the last one's network being ready.
	Seconds           float64 `json:"seconds"`
	StartupP50Seconds float64 `json:"startupP50Seconds"`
	StartupP99Seconds float64 `json:"startupP99Seconds"`
	// Pending counts pods that never ran; non-zero means the node count
	// was not enough in the simulation.
	Pending int    `json:"pending"`
	EC2     int    `json:"ec2Calls"`
	Error   string `json:"error,omitempty"`
}

// runPlan implements `trunksim plan`.
func runPlan(args []string, stdout, stderr io.Writer) int {
	const name = "trunksim plan"
	fs := newFlagSet(name)
	sgPods := fs.Int("sg-pods", 100, "`N` pods with security groups of their own")
	pods := fs.Int("pods", 0, "`N` ordinary pods besides them")
	types := fs.String("types", defaultPlanTypes, "comma-separated instance `types` to compare")
	release := fs.String("controller-version", controller.DefaultRelease.String(), "resource-controller `release` whose defaults and instance table to plan with")
	preset := newChoice("", sim.PresetUpstream.String(), sim.PresetRaisedLimits.String())
	fs.Var(preset, "preset", "deprecated: controller `preset` upstream (v1.7.19) or raised-limits (v1.8.0's defaults, v1.7.19's table); overrides --controller-version")
	format := newChoice("table", "table", "json")
	fs.Var(format, "o", "output `format`: table or json")
	rest, status := parseCommand(fs, planUsage, args, stdout, stderr)
	if status >= 0 {
		return status
	}
	switch {
	case len(rest) > 0:
		return usageError(stderr, name, "unexpected argument %q", rest[0])
	case *sgPods < 0:
		return usageError(stderr, name, "--sg-pods %d: want 0 or more", *sgPods)
	case *pods < 0:
		return usageError(stderr, name, "--pods %d: want 0 or more", *pods)
	case *sgPods == 0 && *pods == 0:
		return usageError(stderr, name, "nothing to plan: give --sg-pods or --pods")
	case *sgPods+*pods > 1_000_000:
		return usageError(stderr, name, "at most 1000000 pods")
	}
	ctl, err := planController(*release, preset.value)
	if err != nil {
		return usageError(stderr, name, "%v", err)
	}
	report := planReport{SecurityGroupPods: *sgPods, Pods: *pods, Preset: preset.value, ControllerRelease: ctl.Modelled().String()}
	tbl, err := limits.ForRelease(ctl.Modelled().String())
	//lint:ignore SA1019 the deprecated preset is still honoured for the files and programs that set it
	if ctl.Preset != 0 {
		tbl, err = limits.ForRelease(controller.ReleaseV1_7_19.String()) // the presets' table
	}
	if err != nil {
		return usageError(stderr, name, "%v", err)
	}
	failed := false
	for _, typeName := range strings.Split(*types, ",") {
		typeName = strings.TrimSpace(typeName)
		it, err := tbl.Lookup(typeName)
		if err != nil {
			msg := err.Error()
			var unknown *limits.UnknownTypeError
			if errors.As(err, &unknown) {
				msg = unknown.Message()
			}
			fmt.Fprintf(stderr, "%s: %s\n", name, msg)
			failed = true
			continue
		}
		report.Types = append(report.Types, planType(it, *sgPods, *pods, ctl))
	}
	if failed {
		return exitFailure
	}
	if format.value == "json" {
		err = writeJSON(stdout, report)
	} else {
		err = writePlanTable(stdout, report)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return exitFailure
	}
	return exitOK
}

// planType sizes a node group of type it for the pods and simulates the
// rollout on it.
func planType(it limits.InstanceType, sgPods, pods int, ctl sim.Controller) planRow {
	// Without security-group pods there is no reason to turn the feature
	// on, so the plan is for a cluster without trunks.
	withTrunk := sgPods > 0
	c := it.Capacity(withTrunk)
	row := planRow{InstanceType: it.Name, PerNode: planPerNode{
		BranchPods: c.BranchPods, IPPods: c.IPPods, MaxPods: c.MaxPods, PodSlots: c.MaxPods - c.HostNetworkPods,
	}}
	var refusal *limits.IneligibleError
	row.TrunkEligible = !errors.As(it.CanTrunk(limits.OSLinux), &refusal)
	switch {
	case sgPods > 0 && !row.TrunkEligible:
		row.Unusable = "cannot hold a trunk ENI: " + refusal.Detail()
		return row
	case pods > 0 && c.IPPods == 0:
		row.Unusable = "no secondary IPs are left for ordinary pods"
		return row
	}
	row.Nodes, row.Binding = nodesNeeded(c, sgPods, pods)
	row.Rollout = simulateRollout(it.Name, row.Nodes, sgPods, pods, ctl)
	return row
}

// nodesNeeded returns the fewest nodes whose branch ENIs hold sgPods,
// whose secondary IPs hold pods, and whose max pods hold both, and the
// limit that sets the count. When limits tie, max pods is named: the
// scheduler stops there.
func nodesNeeded(c limits.Capacity, sgPods, pods int) (int, string) {
	ceil := func(n, per int) int {
		if n == 0 {
			return 0
		}
		return (n + per - 1) / per
	}
	bySlots := ceil(sgPods+pods, c.MaxPods-c.HostNetworkPods)
	byBranches, byIPs := 0, 0
	if sgPods > 0 {
		byBranches = ceil(sgPods, c.BranchPods)
	}
	if pods > 0 {
		byIPs = ceil(pods, c.IPPods)
	}
	switch n := max(bySlots, byBranches, byIPs); n {
	case bySlots:
		return n, limits.LimitMaxPods.String()
	case byBranches:
		return n, limits.LimitBranches.String()
	default:
		return n, limits.LimitIPs.String()
	}
}

// planGroup is the security group the simulated policy hands out.
var planGroup = branch.MustParseSecurityGroupID("sg-0123456789abcdef0")

// simulateRollout runs nodes nodes of type typ until their trunks are
// ready, then creates the pods at once and runs until all are placed and
// ready, or nothing more happens.
func simulateRollout(typ string, nodes, sgPods, pods int, ctl sim.Controller) *planRollout {
	out := &planRollout{}
	fail := func(err error) *planRollout {
		out.Error = err.Error()
		return out
	}
	s, err := sim.New(sim.Config{Seed: planSeed, Controller: ctl,
		CNI: cni.Config{DisablePodENI: sgPods == 0}})
	if err != nil {
		return fail(err)
	}
	for i := range nodes {
		if err := s.AddNode(sim.NodeSpec{Name: "node-" + strconv.Itoa(i), InstanceType: typ}); err != nil {
			return fail(err)
		}
	}
	if err := s.AddPolicy(branch.Policy{Namespace: "default", Name: "sg-pods",
		PodSelector: &branch.LabelSelector{MatchLabels: map[string]string{"sg": "yes"}},
		Groups:      []branch.SecurityGroupID{planGroup}}); err != nil {
		return fail(err)
	}
	if err := s.Run(); err != nil {
		return fail(err)
	}
	start := s.Now()
	// Security-group pods first, so ordinary pods cannot take the slots
	// their branch ENIs need.
	for _, w := range []sim.WorkloadSpec{
		{Namespace: "default", Name: "sg", Labels: map[string]string{"sg": "yes"}, Replicas: sgPods},
		{Namespace: "default", Name: "plain", Labels: map[string]string{"sg": "no"}, Replicas: pods},
	} {
		if w.Replicas == 0 {
			continue
		}
		if err := s.AddWorkload(w); err != nil {
			return fail(err)
		}
	}
	runErr := s.Run()
	r := s.Report()
	out.Seconds = max(0, r.LastReadySeconds-start.Seconds())
	out.StartupP50Seconds = r.StartupLatencySeconds.P50
	out.StartupP99Seconds = r.StartupLatencySeconds.P99
	out.Pending = r.Pods.Pending + r.Pods.Failed
	for _, n := range r.EC2.Calls {
		out.EC2 += n
	}
	if runErr != nil {
		out.Error = runErr.Error()
	}
	return out
}

func writePlanTable(w io.Writer, r planReport) error {
	model := "controller release " + r.ControllerRelease
	if r.Preset != "" {
		model = "controller preset " + r.Preset
	}
	fmt.Fprintf(w, "Nodes for %s with security groups of their own and %s (%s).\n\n",
		plural(r.SecurityGroupPods, "pod"), plural(r.Pods, "other pod"), model)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\tper node\t\t\t\t\trollout")
	fmt.Fprintln(tw, "TYPE\tBRANCH PODS\tIP PODS\tMAX PODS\tNODES\tBINDS\tLAST READY\tSTART-UP P50\tP99\tPENDING")
	var notes []string
	for _, row := range r.Types {
		if row.Unusable != "" {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\t-\t-\t-\t-\n", row.InstanceType)
			notes = append(notes, fmt.Sprintf("%s %s.", row.InstanceType, row.Unusable))
			continue
		}
		ro := row.Rollout
		last, p50, p99, pending := "-", "-", "-", "-"
		if ro != nil && ro.Error == "" {
			last, p50, p99, pending = seconds(ro.Seconds), seconds(ro.StartupP50Seconds), seconds(ro.StartupP99Seconds), strconv.Itoa(ro.Pending)
		}
		if ro != nil && ro.Error != "" {
			notes = append(notes, fmt.Sprintf("%s: the rollout simulation failed: %s.", row.InstanceType, ro.Error))
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", row.InstanceType, row.PerNode.BranchPods, row.PerNode.IPPods,
			row.PerNode.MaxPods, row.Nodes, row.Binding, last, p50, p99, pending)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range notes {
			fmt.Fprintln(w, n)
		}
	}
	_, err := io.WriteString(w, `
BRANCH PODS is the trunk's branch ENIs (vpc.amazonaws.com/pod-eni); IP PODS the
secondary IPs left once the trunk takes an interface; MAX PODS kubelet's limit,
of which 2 go to host-network pods. BINDS names the limit that sets NODES.
The rollout is simulated on NODES nodes with their trunks ready and every pod
created at once: LAST READY is when the last pod's network was ready, START-UP
the security-group pods' latency, PENDING the pods that never ran.
`)
	return err
}

// planController is the controller the rollouts model: the release, or
// the deprecated preset when one is given.
func planController(release, preset string) (sim.Controller, error) {
	if preset != "" {
		p, err := sim.ParsePreset(preset)
		return sim.Controller{Preset: p}, err
	}
	r, err := controller.ParseRelease(release)
	if err != nil {
		return sim.Controller{}, fmt.Errorf("--controller-version: %w", err)
	}
	return sim.Controller{Release: r}, nil
}
