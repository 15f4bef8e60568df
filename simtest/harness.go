package simtest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"pgregory.net/rapid"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/scenario"
	"github.com/trunksim/trunksim/sim"
)

// Tick is the virtual time between two actions that follow each other
// with no advance in between. Each action happens at its own instant, so
// replaying the recorded scenario runs them in the same order; a
// microsecond keeps those instants off the round figures the simulator's
// own timers land on.
const Tick = time.Microsecond

// ErrNoSuchObject is wrapped by the *ObjectError of an action that names
// a node group, node, workload or policy the harness does not have.
var ErrNoSuchObject = errors.New("no such object")

// ObjectError names what a harness action was about when it was refused.
// A refused action changes nothing, the virtual clock included.
type ObjectError struct {
	Kind string // "node group", "node", "workload", "policy", "fault", "advance"
	Name string
	Err  error
}

func (e *ObjectError) Error() string { return fmt.Sprintf("simtest: %s %q: %v", e.Kind, e.Name, e.Err) }

// Unwrap returns the underlying error: ErrNoSuchObject, or a sim sentinel
// such as sim.ErrBadSpec or sim.ErrDuplicate.
func (e *ObjectError) Unwrap() error { return e.Err }

// Invariant is a named check the harness runs after every action. It
// returns what is violated; an empty result means it holds.
type Invariant struct {
	Name  string
	Check func(h *Harness) []Violation
}

// Config shapes a harness. The zero Config is ready to use.
type Config struct {
	// Cluster draws the cluster a run starts from: its configuration,
	// node groups, service accounts, policies and fault plan (workloads
	// and events in it are kept and replayed too). Nil means [Cluster].
	Cluster *rapid.Generator[*scenario.Scenario]
	// Invariants are checked after every action, after the kit's own
	// ([DefaultInvariants]) unless NoDefaultInvariants is set.
	Invariants          []Invariant
	NoDefaultInvariants bool
	// Fault draws the faults of the injectFault action, given the earliest
	// time the window may open; nil means [Fault].
	Fault func(from time.Duration) *rapid.Generator[sim.Fault]
	// MaxPods and MaxNodes bound how many pods and nodes the createPod and
	// addNode actions make, so runs stay small; zero means 40 and 10.
	MaxPods, MaxNodes int
}

// Harness drives a simulation with rapid actions, checks invariants after
// each, and records what it did as a scenario that `trunksim run` replays.
// Create one per rapid test case with [New]; it is not safe for concurrent
// use.
type Harness struct {
	cfg   Config
	sim   *sim.Sim
	rec   *scenario.Scenario
	trace traceWriter
	// podENIOn is set once EnablePodENI has run.
	podENIOn bool

	groups    []*nodeGroup
	workloads []*workload
	accounts  map[string]map[string]string // namespace/name -> labels
	policies  []branch.Policy
	history   []policyChange
	notes     []string
	actions   int
	idle      bool
}

type nodeGroup struct {
	spec scenario.NodeGroup
	next int
	live []string
}

type workload struct{ spec scenario.Workload }

// policyChange is a policy added (or removed, with remove set) at a time.
type policyChange struct {
	at     time.Duration
	remove bool
	policy branch.Policy
}

// New draws a cluster with cfg.Cluster and starts a harness on it (see
// [Start]); a cluster that does not build fails the test case.
func New(t *rapid.T, cfg Config) *Harness {
	t.Helper()
	gen := cfg.Cluster
	if gen == nil {
		gen = Cluster()
	}
	sc := rapid.Map(gen, func(sc *scenario.Scenario) drawnCluster { return drawnCluster{sc} }).Draw(t, "cluster").sc
	h, err := Start(sc, cfg)
	if err != nil {
		t.Fatalf("simtest: the drawn cluster does not start: %v", err)
	}
	return h
}

// Start builds sc's simulation at time zero, exactly as `trunksim run`
// would, and returns a harness that records from there; the workloads and
// events sc already has are kept and replayed. It is how tests with a fixed
// cluster use the harness without rapid; cfg.Cluster is not used.
func Start(sc *scenario.Scenario, cfg Config) (*Harness, error) {
	if cfg.MaxPods == 0 {
		cfg.MaxPods = 40
	}
	if cfg.MaxNodes == 0 {
		cfg.MaxNodes = 10
	}
	if cfg.Fault == nil {
		cfg.Fault = Fault
	}
	sc = cloneScenario(sc)
	h := &Harness{cfg: cfg, rec: sc, accounts: map[string]map[string]string{}}
	s, err := sc.Build(scenario.Options{Trace: &h.trace})
	if err != nil {
		return nil, err
	}
	h.sim = s
	for _, g := range sc.NodeGroups {
		if g.Autoscaling != nil {
			continue // cluster-autoscaler's to grow and shrink, not the actions'
		}
		ng := &nodeGroup{spec: g}
		for i := range g.Count {
			ng.live = append(ng.live, fmt.Sprintf("%s-%d", g.Name, i))
		}
		ng.next = g.Count
		h.groups = append(h.groups, ng)
	}
	for _, a := range sc.ServiceAccounts {
		h.accounts[a.Namespace+"/"+a.Name] = a.Labels
	}
	for _, p := range sc.SecurityGroupPolicies {
		h.policies = append(h.policies, p)
		h.history = append(h.history, policyChange{policy: p})
	}
	for _, w := range sc.Workloads {
		h.workloads = append(h.workloads, &workload{spec: w})
	}
	if err := s.RunUntil(0); err != nil {
		return nil, err
	}
	return h, nil
}

// cloneScenario copies the slices a harness appends to, so a generator's
// value is never changed behind its back.
func cloneScenario(sc *scenario.Scenario) *scenario.Scenario {
	c := *sc
	c.NodeGroups = slices.Clone(sc.NodeGroups)
	c.SecurityGroupPolicies = slices.Clone(sc.SecurityGroupPolicies)
	c.Workloads = slices.Clone(sc.Workloads)
	c.Events = slices.Clone(sc.Events)
	c.EC2.Faults = slices.Clone(sc.EC2.Faults)
	if c.File == "" {
		c.File = "simtest.yaml"
	}
	return &c
}

// Sim returns the simulation. Changing it other than through the
// harness's methods is not recorded; say what was done with [Harness.Note]
// so the printed scenario warns that it does not replay it.
func (h *Harness) Sim() *sim.Sim { return h.sim }

// Now returns the simulation's virtual time.
func (h *Harness) Now() time.Duration { return h.sim.Now() }

// Trace returns the events traced so far.
func (h *Harness) Trace() []TraceEvent { return h.trace.events }

// View returns the cluster as the trace so far shows it. The harness
// keeps it up to date as the simulation runs; treat it as read-only.
func (h *Harness) View() *View {
	if h.trace.view == nil {
		h.trace.view = NewView(nil)
	}
	return h.trace.view
}

// Idle reports whether the last action was [Harness.Settle], so nothing
// is in flight.
func (h *Harness) Idle() bool { return h.idle }

// Policies returns the policies in force now.
func (h *Harness) Policies() []branch.Policy { return slices.Clone(h.policies) }

// PoliciesAt returns the policies that were in force at time at.
func (h *Harness) PoliciesAt(at time.Duration) []branch.Policy {
	var out []branch.Policy
	for _, c := range h.history {
		if c.at > at {
			break
		}
		if c.remove {
			out = slices.DeleteFunc(out, func(p branch.Policy) bool {
				return p.Namespace == c.policy.Namespace && p.Name == c.policy.Name
			})
			continue
		}
		out = append(out, c.policy)
	}
	return out
}

// PodSpec returns what the harness created the pod "namespace/name" from
// (its labels and service account), and whether it knows the pod.
func (h *Harness) PodSpec(key string) (sim.PodSpec, bool) {
	ns, name, _ := strings.Cut(key, "/")
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return sim.PodSpec{}, false
	}
	for _, w := range h.workloads {
		if w.spec.Namespace == ns && w.spec.Name == name[:i] {
			return sim.PodSpec{Namespace: ns, Name: name, Labels: w.spec.Labels, ServiceAccount: w.spec.ServiceAccount, Lifetime: w.spec.Lifetime}, true
		}
	}
	return sim.PodSpec{}, false
}

// ServiceAccountLabels returns a service account's labels.
func (h *Harness) ServiceAccountLabels(namespace, name string) map[string]string {
	return h.accounts[namespace+"/"+name]
}

// Note records something done to the simulation that the scenario format
// cannot say; the printed scenario lists it, since its replay will differ
// from that point on.
func (h *Harness) Note(format string, args ...any) {
	h.notes = append(h.notes, fmt.Sprintf("at %v: %s", h.Now(), fmt.Sprintf(format, args...)))
}

// begin moves to the action's own instant.
func (h *Harness) begin() error {
	h.idle = false
	h.actions++
	return h.sim.RunUntil(h.sim.Now() + Tick)
}

// end runs what the action set off at its instant, as a replay's run to
// that instant would.
func (h *Harness) end() error { return h.sim.RunUntil(h.sim.Now()) }

// apply runs one recorded action between begin and end.
func (h *Harness) apply(do func() error) error {
	if err := h.begin(); err != nil {
		return err
	}
	if err := do(); err != nil {
		return err
	}
	return h.end()
}

// NodeGroups returns the names of the node groups.
func (h *Harness) NodeGroups() []string {
	out := make([]string, len(h.groups))
	for i, g := range h.groups {
		out[i] = g.spec.Name
	}
	return out
}

// LiveNodes returns the nodes in the cluster, by group, oldest first.
func (h *Harness) LiveNodes() []string {
	var out []string
	for _, g := range h.groups {
		out = append(out, g.live...)
	}
	return out
}

// AddNode adds one node to a node group, named and typed as the group's
// addNode event names and types it.
func (h *Harness) AddNode(group string) (string, error) {
	i := slices.IndexFunc(h.groups, func(g *nodeGroup) bool { return g.spec.Name == group })
	if i < 0 {
		return "", &ObjectError{"node group", group, ErrNoSuchObject}
	}
	g := h.groups[i]
	name := fmt.Sprintf("%s-%d", g.spec.Name, g.next)
	err := h.apply(func() error {
		if err := h.sim.AddNode(sim.NodeSpec{Name: name, InstanceType: g.spec.InstanceType, OS: g.spec.OS, Labels: g.spec.Labels, MaxPods: g.spec.MaxPods}); err != nil {
			return err
		}
		g.next++
		g.live = append(g.live, name)
		h.rec.Events = append(h.rec.Events, scenario.Event{At: h.Now(), Action: scenario.AddNode, NodeGroup: g.spec.Name})
		return nil
	})
	return name, err
}

// DeleteNode deletes a node: its pods are evicted and their workloads
// replace them.
func (h *Harness) DeleteNode(name string) error {
	for _, g := range h.groups {
		if i := slices.Index(g.live, name); i >= 0 {
			return h.apply(func() error {
				if err := h.sim.DeleteNode(name); err != nil {
					return err
				}
				g.live = slices.Delete(g.live, i, i+1)
				h.rec.Events = append(h.rec.Events, scenario.Event{At: h.Now(), Action: scenario.DeleteNode, Node: name})
				return nil
			})
		}
	}
	return &ObjectError{"node", name, ErrNoSuchObject}
}

// CreatePod creates a pod from spec. The scenario format makes pods
// through workloads, so the harness makes a workload of one replica named
// spec.Name (or p0, p1, ... when empty) and returns the pod's key,
// "namespace/<workload>-0". Deleting the pod then has its workload
// replace it, as a ReplicaSet does. Names must be unique among the
// harness's workloads, and DNS subdomains for the scenario to be written.
func (h *Harness) CreatePod(spec sim.PodSpec) (string, error) {
	name := spec.Name
	if name == "" {
		name = fmt.Sprintf("p%d", len(h.workloads))
	}
	if spec.Namespace == "" {
		spec.Namespace = "default"
	}
	if slices.ContainsFunc(h.workloads, func(w *workload) bool { return w.spec.Name == name }) {
		return "", &ObjectError{"workload", name, sim.ErrDuplicate}
	}
	if spec.Lifetime < 0 {
		return "", &ObjectError{"workload", name, fmt.Errorf("%w: negative lifetime %v", sim.ErrBadSpec, spec.Lifetime)}
	}
	w := &workload{spec: scenario.Workload{Name: name, Namespace: spec.Namespace, Labels: spec.Labels,
		ServiceAccount: spec.ServiceAccount, Replicas: 1, Lifetime: spec.Lifetime}}
	err := h.apply(func() error {
		w.spec.At = h.Now()
		if err := h.sim.AddWorkload(sim.WorkloadSpec{Namespace: w.spec.Namespace, Name: name, Labels: w.spec.Labels,
			ServiceAccount: w.spec.ServiceAccount, Replicas: 1, Lifetime: w.spec.Lifetime}); err != nil {
			return err
		}
		h.workloads = append(h.workloads, w)
		h.rec.Workloads = append(h.rec.Workloads, w.spec)
		return nil
	})
	return spec.Namespace + "/" + name + "-0", err
}

// Workloads returns the names of the workloads, oldest first.
func (h *Harness) Workloads() []string {
	out := make([]string, len(h.workloads))
	for i, w := range h.workloads {
		out[i] = w.spec.Name
	}
	return out
}

// DeletePod deletes the newest live pod of a workload (a deletePods event
// of count 1); the workload replaces it. It reports false when the
// workload has no live pod, as after its pod completed.
func (h *Harness) DeletePod(workloadName string) (bool, error) {
	i := slices.IndexFunc(h.workloads, func(w *workload) bool { return w.spec.Name == workloadName })
	if i < 0 {
		return false, &ObjectError{"workload", workloadName, ErrNoSuchObject}
	}
	w := h.workloads[i]
	if pods, err := h.sim.WorkloadPods(w.spec.Namespace, w.spec.Name); err != nil || len(pods) == 0 {
		return false, err
	}
	return true, h.apply(func() error {
		pods, err := h.sim.WorkloadPods(w.spec.Namespace, w.spec.Name)
		if err != nil {
			return err
		}
		if len(pods) > 0 {
			if err := h.sim.DeletePod(w.spec.Namespace, pods[len(pods)-1]); err != nil {
				return err
			}
		}
		h.rec.Events = append(h.rec.Events, scenario.Event{At: h.Now(), Action: scenario.DeletePods, Workload: w.spec.Name, Count: 1})
		return nil
	})
}

// Scale sets a workload's replicas now (a scale event). A workload whose
// pods complete cannot scale, as in the scenario format.
func (h *Harness) Scale(workloadName string, replicas int) error {
	w, err := h.workload(workloadName)
	if err != nil {
		return err
	}
	return h.apply(func() error {
		if err := h.sim.ScaleWorkload(w.spec.Namespace, w.spec.Name, replicas); err != nil {
			return err
		}
		h.rec.Events = append(h.rec.Events, scenario.Event{At: h.Now(), Action: scenario.Scale, Workload: w.spec.Name, Replicas: replicas})
		return nil
	})
}

// Rollout starts a rolling update of a workload now (a rolloutRestart
// event).
func (h *Harness) Rollout(workloadName string, maxSurge, maxUnavailable int) error {
	w, err := h.workload(workloadName)
	if err != nil {
		return err
	}
	return h.apply(func() error {
		if err := h.sim.RollWorkload(w.spec.Namespace, w.spec.Name, maxSurge, maxUnavailable); err != nil {
			return err
		}
		h.rec.Events = append(h.rec.Events, scenario.Event{At: h.Now(), Action: scenario.RolloutRestart, Workload: w.spec.Name,
			MaxSurge: maxSurge, MaxUnavailable: maxUnavailable})
		return nil
	})
}

func (h *Harness) workload(name string) (*workload, error) {
	i := slices.IndexFunc(h.workloads, func(w *workload) bool { return w.spec.Name == name })
	if i < 0 {
		return nil, &ObjectError{"workload", name, ErrNoSuchObject}
	}
	return h.workloads[i], nil
}

// AddPolicy adds a policy now (an applyPolicy event).
func (h *Harness) AddPolicy(p branch.Policy) error {
	if err := p.Admit(); err != nil {
		return &ObjectError{"policy", p.Namespace + "/" + p.Name, err}
	}
	if slices.ContainsFunc(h.policies, func(q branch.Policy) bool { return q.Namespace == p.Namespace && q.Name == p.Name }) {
		return &ObjectError{"policy", p.Namespace + "/" + p.Name, sim.ErrDuplicate}
	}
	return h.apply(func() error {
		if err := h.sim.AddPolicy(p); err != nil {
			return err
		}
		h.policies = append(h.policies, p)
		h.history = append(h.history, policyChange{at: h.Now(), policy: p})
		h.rec.Events = append(h.rec.Events, scenario.Event{At: h.Now(), Action: scenario.ApplyPolicy, Policy: p.Clone()})
		return nil
	})
}

// RemovePolicy removes a policy now (a deletePolicy event).
func (h *Harness) RemovePolicy(namespace, name string) error {
	i := slices.IndexFunc(h.policies, func(p branch.Policy) bool { return p.Namespace == namespace && p.Name == name })
	if i < 0 {
		return &ObjectError{"policy", namespace + "/" + name, ErrNoSuchObject}
	}
	return h.apply(func() error {
		if err := h.sim.RemovePolicy(namespace, name); err != nil {
			return err
		}
		h.history = append(h.history, policyChange{at: h.Now(), remove: true, policy: h.policies[i]})
		h.policies = slices.Delete(h.policies, i, i+1)
		h.rec.Events = append(h.rec.Events, scenario.Event{At: h.Now(), Action: scenario.DeletePolicy,
			Policy: branch.Policy{Namespace: namespace, Name: name}})
		return nil
	})
}

// InjectFault adds EC2 faults, all at one instant, now + [Tick]; no window
// may open before that instant. They are recorded in the scenario's
// ec2.faults, where a window that opens later has the same effect as the
// fault added now.
func (h *Harness) InjectFault(faults ...sim.Fault) error {
	at := h.Now() + Tick
	for _, f := range faults {
		if f.From < at {
			return &ObjectError{"fault", f.API.String(), fmt.Errorf("%w: window opens at %v, before the action (%v)", sim.ErrBadSpec, f.From, at)}
		}
	}
	// The fake EC2 validates faults as the simulation would, without
	// touching the simulation.
	if _, err := sim.NewFakeEC2(sim.EC2{Faults: faults}, 0); err != nil {
		return &ObjectError{"fault", "", err}
	}
	return h.apply(func() error {
		for _, f := range faults {
			if err := h.sim.InjectFault(f); err != nil {
				return err
			}
			h.rec.EC2.Faults = append(h.rec.EC2.Faults, f)
		}
		return nil
	})
}

// RestartController restarts the resource controller.
func (h *Harness) RestartController() error {
	return h.apply(func() error {
		if err := h.sim.RestartController(); err != nil {
			return err
		}
		h.rec.Events = append(h.rec.Events, scenario.Event{At: h.Now(), Action: scenario.RestartController})
		return nil
	})
}

// SetBranchENICooldown changes the amazon-vpc-cni ConfigMap's
// branch-eni-cooldown now (a setBranchENICooldown event).
func (h *Harness) SetBranchENICooldown(d time.Duration) error {
	return h.apply(func() error {
		if err := h.sim.SetBranchENICooldown(d); err != nil {
			return err
		}
		h.rec.Events = append(h.rec.Events, scenario.Event{At: h.Now(), Action: scenario.SetBranchENICooldown, Cooldown: d})
		return nil
	})
}

// EnablePodENI turns aws-node's ENABLE_POD_ENI on now (an enablePodENI
// event); it fails, changing nothing, when it is on already.
func (h *Harness) EnablePodENI() error {
	if !h.podENIOff() {
		return &ObjectError{"aws-node", "ENABLE_POD_ENI", fmt.Errorf("%w: it is on already", sim.ErrBadSpec)}
	}
	return h.apply(func() error {
		if err := h.sim.EnablePodENI(); err != nil {
			return err
		}
		h.podENIOn = true
		h.rec.Events = append(h.rec.Events, scenario.Event{At: h.Now(), Action: scenario.EnablePodENI})
		return nil
	})
}

// podENIOff reports whether ENABLE_POD_ENI is still off.
func (h *Harness) podENIOff() bool { return h.rec.CNI.DisablePodENI && !h.podENIOn }

// Advance lets d of virtual time pass.
func (h *Harness) Advance(d time.Duration) error {
	if d < 0 {
		return &ObjectError{"advance", d.String(), fmt.Errorf("%w: negative duration", sim.ErrBadSpec)}
	}
	h.idle = false
	h.actions++
	return h.sim.RunUntil(h.Now() + d)
}

// Settle runs the simulation until nothing is in flight (sim.Sim.Run);
// afterwards [Harness.Idle] is true and the idle invariants apply.
func (h *Harness) Settle() error {
	h.actions++
	if err := h.sim.Run(); err != nil {
		return err
	}
	h.idle = true
	return nil
}
