package simtest

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"pgregory.net/rapid"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/sim"
)

// Actions returns the kit's actions for rapid.T.Repeat, keyed by name,
// with the invariant check under "" as Repeat expects. Add your own to the
// map, or delete some (delete "addPolicy" and "removePolicy" for runs
// whose scenario replays exactly):
//
//	addNode            a node joins a node group
//	deleteNode         a live node is deleted
//	createPod          a pod drawn by Pod is created (as a workload of one)
//	deletePod          a workload's pod is deleted, and replaced
//	scale              a workload without a lifetime is scaled to 0 to 3 replicas
//	rollout            a workload's rolling update starts
//	addPolicy          a policy drawn by Policy is added
//	removePolicy       a policy is removed
//	advance            1 s to 40 min of virtual time pass (up to 12 h in all)
//	injectFault        an EC2 fault drawn by Config.Fault (Fault by default)
//	restartController  the resource controller restarts
//	setCooldown        branch-eni-cooldown is set to 0 to 3 min, as the ConfigMap does
//	enablePodENI       aws-node's ENABLE_POD_ENI is turned on, in a cluster that started without it
//	settle             the simulation runs until nothing is in flight
//
// An action that has nothing to act on (no live node to delete) skips, so
// rapid draws another.
func (h *Harness) Actions() map[string]func(*rapid.T) {
	return map[string]func(*rapid.T){
		"":                  h.Check,
		"addNode":           h.actAddNode,
		"deleteNode":        h.actDeleteNode,
		"createPod":         h.actCreatePod,
		"deletePod":         h.actDeletePod,
		"scale":             h.actScale,
		"rollout":           h.actRollout,
		"addPolicy":         h.actAddPolicy,
		"removePolicy":      h.actRemovePolicy,
		"advance":           h.actAdvance,
		"injectFault":       h.actInjectFault,
		"restartController": h.actRestart,
		"setCooldown":       h.actSetCooldown,
		"enablePodENI":      h.actEnablePodENI,
		"settle":            h.actSettle,
	}
}

// Run draws and runs a sequence of the harness's actions, checking the
// invariants after each: t.Repeat(h.Actions()).
func (h *Harness) Run(t *rapid.T) { t.Repeat(h.Actions()) }

func (h *Harness) must(t *rapid.T, err error) {
	t.Helper()
	if err != nil {
		t.Logf("%s", h.FailureReport(nil))
		t.Fatalf("simtest: action failed at %v: %v", h.Now(), err)
	}
}

func (h *Harness) actAddNode(t *rapid.T) {
	if len(h.LiveNodes()) >= h.cfg.MaxNodes {
		t.Skip("node limit reached")
	}
	_, err := h.AddNode(rapid.SampledFrom(h.NodeGroups()).Draw(t, "nodeGroup"))
	h.must(t, err)
}

func (h *Harness) actDeleteNode(t *rapid.T) {
	nodes := h.LiveNodes()
	if len(nodes) == 0 {
		t.Skip("no live node")
	}
	h.must(t, h.DeleteNode(rapid.SampledFrom(nodes).Draw(t, "node")))
}

func (h *Harness) actCreatePod(t *rapid.T) {
	if len(h.workloads) >= h.cfg.MaxPods {
		t.Skip("pod limit reached")
	}
	spec := rapid.Map(Pod(), func(p sim.PodSpec) drawnPod { return drawnPod{p} }).Draw(t, "pod").p
	accounts := []string{""}
	for key := range h.accounts {
		if ns, name, _ := strings.Cut(key, "/"); ns == spec.Namespace {
			accounts = append(accounts, name)
		}
	}
	slices.Sort(accounts)
	spec.ServiceAccount = rapid.SampledFrom(accounts).Draw(t, "serviceAccount")
	_, err := h.CreatePod(spec)
	h.must(t, err)
}

func (h *Harness) actDeletePod(t *rapid.T) {
	var live []string
	for _, w := range h.workloads {
		if pods, _ := h.sim.WorkloadPods(w.spec.Namespace, w.spec.Name); len(pods) > 0 {
			live = append(live, w.spec.Name)
		}
	}
	if len(live) == 0 {
		t.Skip("no live pod")
	}
	_, err := h.DeletePod(rapid.SampledFrom(live).Draw(t, "workload"))
	h.must(t, err)
}

// lasting draws a workload whose pods do not complete, the only kind
// that scales or rolls, or skips the action when there is none.
func (h *Harness) lasting(t *rapid.T) string {
	var names []string
	for _, w := range h.workloads {
		if w.spec.Lifetime == 0 {
			names = append(names, w.spec.Name)
		}
	}
	if len(names) == 0 {
		t.Skip("no workload without a lifetime")
	}
	return rapid.SampledFrom(names).Draw(t, "workload")
}

func (h *Harness) actScale(t *rapid.T) {
	h.must(t, h.Scale(h.lasting(t), rapid.IntRange(0, 3).Draw(t, "replicas")))
}

func (h *Harness) actRollout(t *rapid.T) {
	w := h.lasting(t)
	surge := rapid.IntRange(0, 2).Draw(t, "maxSurge")
	h.must(t, h.Rollout(w, surge, rapid.IntRange(1-min(surge, 1), 2).Draw(t, "maxUnavailable")))
}

func (h *Harness) actAddPolicy(t *rapid.T) {
	name := fmt.Sprintf("sgp%d", len(h.history))
	p := rapid.Map(Policy(name), func(p branch.Policy) drawnPolicy { return drawnPolicy{p} }).Draw(t, "policy").p
	h.must(t, h.AddPolicy(p))
}

func (h *Harness) actEnablePodENI(t *rapid.T) {
	if !h.podENIOff() {
		t.Skip("ENABLE_POD_ENI is on")
	}
	h.must(t, h.EnablePodENI())
}

func (h *Harness) actSetCooldown(t *rapid.T) {
	d := time.Duration(rapid.IntRange(0, 180).Draw(t, "cooldown seconds")) * time.Second
	h.must(t, h.SetBranchENICooldown(d))
}

func (h *Harness) actRemovePolicy(t *rapid.T) {
	if len(h.policies) == 0 {
		t.Skip("no policy")
	}
	keys := make([]string, len(h.policies))
	for i, p := range h.policies {
		keys[i] = p.Namespace + "/" + p.Name
	}
	ns, name, _ := strings.Cut(rapid.SampledFrom(keys).Draw(t, "policy"), "/")
	h.must(t, h.RemovePolicy(ns, name))
}

// timeBudget keeps runs well inside sim.Config.MaxTime (24 h by default),
// past which the settle action's run to idle is refused.
const timeBudget = 12 * time.Hour

func (h *Harness) actAdvance(t *rapid.T) {
	if h.Now() > timeBudget {
		t.Skip("time budget spent")
	}
	h.must(t, h.Advance(time.Duration(rapid.IntRange(1, 2400).Draw(t, "seconds"))*time.Second))
}

func (h *Harness) actInjectFault(t *rapid.T) {
	f := rapid.Map(h.cfg.Fault(h.Now()+Tick), func(f sim.Fault) drawnFault { return drawnFault{f} }).Draw(t, "fault").f
	h.must(t, h.InjectFault(f))
}

func (h *Harness) actRestart(t *rapid.T) { h.must(t, h.RestartController()) }

func (h *Harness) actSettle(t *rapid.T) { h.must(t, h.Settle()) }

// DefaultInvariants are the kit's own invariants, checked after every
// action:
//
//	sim       the simulation's own Check: trunk capacity and VLANs, every
//	          running pod's branch known to its trunk and to EC2 with its
//	          resolved groups, no leak once nothing is in flight
//	trace     CheckTrace over the whole trace
//	groups    CheckGroups: running pods' branches in EC2 carry their groups
//	policies  the groups resolved for each pod are those the policies in
//	          force at that moment give it (branch.Resolve)
//	idle      after settle, CheckIdle: no ENI left over, every pod running
//	          or pending with a reason
func DefaultInvariants() []Invariant {
	return []Invariant{
		{"sim", func(h *Harness) []Violation { return CheckSim(h.sim, h.View()) }},
		{"trace", func(h *Harness) []Violation { return CheckTrace(h.Trace()) }},
		{"groups", func(h *Harness) []Violation { return CheckGroups(h.View(), h.sim.EC2()) }},
		{"policies", checkPolicies},
		{"idle", func(h *Harness) []Violation {
			if !h.Idle() {
				return nil
			}
			return CheckIdle(h.sim, h.View())
		}},
	}
}

// checkPolicies compares the groups the controller resolved for each pod
// with what branch.Resolve gives for the policies in force then.
func checkPolicies(h *Harness) []Violation {
	var out []Violation
	for _, p := range h.View().Pods {
		if p.Requests == 0 {
			continue
		}
		spec, ok := h.PodSpec(p.Key())
		if !ok {
			continue
		}
		sa := spec.ServiceAccount
		if sa == "" {
			sa = "default"
		}
		want := branch.Resolve(branch.Pod{Namespace: p.Namespace, Labels: spec.Labels, ServiceAccount: sa,
			ServiceAccountLabels: h.ServiceAccountLabels(p.Namespace, sa)}, h.PoliciesAt(p.RequestedAt))
		if got := p.Requested; got != branch.NewGroupSet(want...) || p.InstanceGroups != (want == nil) {
			out = append(out, Violation{Invariant: "policies", Object: "pod/" + p.Key(), At: p.RequestedAt,
				What: fmt.Sprintf("resolved %v (instance groups: %v); the policies in force give %v", got, p.InstanceGroups, want)})
		}
	}
	return out
}

// Violations runs every invariant now and returns what they found,
// upstream's own behaviours included (marked by Violation.Upstream).
func (h *Harness) Violations() []Violation {
	var invs []Invariant
	if !h.cfg.NoDefaultInvariants {
		invs = DefaultInvariants()
	}
	invs = append(invs, h.cfg.Invariants...)
	var out []Violation
	for _, inv := range invs {
		for _, v := range inv.Check(h) {
			if v.Invariant == "" {
				v.Invariant = inv.Name
			}
			out = append(out, v)
		}
	}
	sortViolations(out)
	return out
}

// Check runs every invariant and fails the test case on a violation that
// upstream does not share, printing the seed and a scenario that replays
// the case. Violations upstream shares are listed in that report but do
// not fail the case.
func (h *Harness) Check(t *rapid.T) {
	t.Helper()
	all := h.Violations()
	bad := Unexplained(all)
	if len(bad) == 0 {
		return
	}
	t.Logf("%s", h.FailureReport(all))
	lines := make([]string, len(bad))
	for i, v := range bad {
		lines[i] = "  " + v.String()
	}
	t.Fatalf("simtest: %d invariant violation(s) after %d action(s), at %v:\n%s", len(bad), h.actions, h.Now(), strings.Join(lines, "\n"))
}
