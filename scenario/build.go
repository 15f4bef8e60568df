package scenario

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/trunksim/trunksim/autoscaler"
	"github.com/trunksim/trunksim/sim"
)

// Options change how a scenario runs without changing the file.
type Options struct {
	// Seed, when not nil, replaces the scenario's seed.
	Seed *uint64
	// Trace, when not nil, receives the run's trace as JSON lines.
	Trace io.Writer
}

// Config returns the simulator configuration the scenario describes,
// with seed in place of the scenario's own when it is not nil.
func (sc *Scenario) Config(seed *uint64) sim.Config {
	if seed != nil {
		return sc.simConfig(*seed)
	}
	return sc.simConfig(sc.Seed)
}

func (sc *Scenario) simConfig(seed uint64) sim.Config {
	ec2 := sc.EC2
	ec2.Faults = append([]sim.Fault(nil), sc.EC2.Faults...)
	return sim.Config{
		Seed:       seed,
		Placement:  sc.Placement,
		Controller: sc.Controller,
		EC2:        ec2,
		Kubelet:    sc.Kubelet,
		CNI:        sc.CNI,
		Karpenter:  sc.Karpenter,

		ClusterAutoscaler: sc.ClusterAutoscaler,
	}
}

// setConfig is simConfig's inverse: it takes the scenario's settings from c.
func (sc *Scenario) setConfig(c sim.Config) {
	sc.Seed, sc.Placement = c.Seed, c.Placement
	sc.Controller, sc.EC2, sc.Kubelet, sc.CNI, sc.Karpenter = c.Controller, c.EC2, c.Kubelet, c.CNI, c.Karpenter
	sc.ClusterAutoscaler = c.ClusterAutoscaler
}

// Build returns a simulation set up as the scenario says at time zero:
// service accounts, policies and node groups in place, and the workloads
// and events scheduled. Running it is the caller's: [Scenario.Run] does
// it the standard way.
func (sc *Scenario) Build(opts Options) (*sim.Sim, error) {
	s, err := sim.New(sc.Config(opts.Seed))
	if err != nil {
		return nil, &Error{File: sc.File, Err: err}
	}
	if opts.Trace != nil {
		s.SetTrace(opts.Trace)
	}
	for _, w := range sc.Warnings {
		s.Warn(w)
	}
	r := &runner{sc: sc, groups: make(map[string]*groupState, len(sc.NodeGroups))}
	for i, a := range sc.ServiceAccounts {
		if err := s.AddServiceAccount(a.Namespace, a.Name, a.Labels); err != nil {
			return nil, sc.errorAt(fmt.Sprintf("serviceAccounts[%d]", i), err)
		}
	}
	// Declared groups are the VPC's: EC2 refuses a policy's group that is
	// not among them, as `check` reports it. A file that declares none
	// says nothing of which exist, and every group is taken to.
	for i, g := range sc.SecurityGroups {
		if err := s.AddSecurityGroup(g.ID); err != nil {
			return nil, sc.errorAt(fmt.Sprintf("securityGroups[%d]", i), err)
		}
	}
	// A policy's group ID that is no ID fails at EC2, as in a cluster.
	for _, text := range sc.MalformedGroups {
		if _, err := s.AddMalformedGroup(text); err != nil {
			return nil, sc.errorAt("securityGroupPolicies", err)
		}
	}
	if err := s.AddAvailableBranches(sc.AvailableBranches); err != nil {
		return nil, sc.errorAt("ec2.availableBranches", err)
	}
	for i, p := range sc.SecurityGroupPolicies {
		if err := s.AddPolicy(p); err != nil {
			return nil, sc.errorAt(sc.policyPath(i), err)
		}
	}
	if len(sc.NodePools) > 0 {
		if err := s.UseKarpenter(sc.NodePools, sc.NodeClasses); err != nil {
			return nil, sc.errorAt("nodePools", err)
		}
	}
	var scaled []sim.AutoscaledGroup
	for _, g := range sc.NodeGroups {
		if a := g.Autoscaling; a != nil {
			scaled = append(scaled, sim.AutoscaledGroup{
				Group: autoscaler.Group{Name: g.Name, Min: a.MinSize, Max: a.MaxSize, Size: g.Count, TemplatePodENI: a.TemplatePodENI},
				Node:  sim.NodeSpec{InstanceType: g.InstanceType, OS: g.OS, Labels: g.Labels, MaxPods: g.MaxPods, SecurityGroups: g.SecurityGroups}})
		}
	}
	if len(scaled) > 0 {
		if err := s.UseClusterAutoscaler(scaled); err != nil {
			return nil, sc.errorAt("nodeGroups", err)
		}
	}
	for i, g := range sc.NodeGroups {
		if g.Autoscaling != nil {
			continue
		}
		st := &groupState{group: g}
		r.groups[g.Name] = st
		for j := range g.Count {
			if err := st.addAttached(s, g.InstanceType, j < g.TrunkAttached); err != nil {
				return nil, sc.errorAt(fmt.Sprintf("nodeGroups[%d]", i), err)
			}
		}
	}
	for i, w := range sc.Workloads {
		path := fmt.Sprintf("workloads[%d]", i)
		spec := sim.WorkloadSpec{Namespace: w.Namespace, Name: w.Name, Labels: w.Labels,
			ServiceAccount: w.ServiceAccount, Replicas: w.Replicas, Interval: w.Interval, Lifetime: w.Lifetime,
			Running: w.Running}
		if err := s.Schedule(w.At, func(s *sim.Sim) error {
			if err := s.AddWorkload(spec); err != nil {
				return sc.errorAt(path, err)
			}
			return nil
		}); err != nil {
			return nil, sc.errorAt(path, err)
		}
	}
	for i, e := range sc.Events {
		path := fmt.Sprintf("events[%d]", i)
		if err := s.Schedule(e.At, func(s *sim.Sim) error {
			if err := r.apply(s, e); err != nil {
				return sc.errorAt(path, fmt.Errorf("%w: %s: %w", ErrAction, e.Action, err))
			}
			return nil
		}); err != nil {
			return nil, sc.errorAt(path, err)
		}
	}
	return s, nil
}

// Run builds the scenario and runs it to Until, or, without Until, until
// nothing is in flight. The report describes the run as far as it got,
// even when it stopped with an error.
func (sc *Scenario) Run(opts Options) (sim.Report, error) {
	s, err := sc.Build(opts)
	if err != nil {
		return sim.Report{}, err
	}
	err = sc.Play(s)
	return s.Report(), err
}

// Play runs a simulation built by Build to the scenario's end: its until,
// or, without one, until nothing is in flight. Callers that want more
// than the report (a time series, the fake EC2's state) build, play and
// then read the Sim themselves.
func (sc *Scenario) Play(s *sim.Sim) error {
	if sc.Until > 0 {
		return s.RunUntil(sc.Until)
	}
	return s.Run()
}

// errorAt wraps err with the file and line of path.
func (sc *Scenario) errorAt(path string, err error) error {
	return &Error{File: sc.File, Line: sc.lines[path], Field: path, Err: err}
}

// runner holds what scripted events need to know between them.
type runner struct {
	sc     *Scenario
	groups map[string]*groupState
}

// groupState tracks a node group's live nodes, oldest first.
type groupState struct {
	group NodeGroup
	next  int
	live  []string
}

func (g *groupState) add(s *sim.Sim, instanceType string) error {
	return g.addAttached(s, instanceType, false)
}

// addAttached adds the group's next node, with its trunk attached when
// attached is set.
func (g *groupState) addAttached(s *sim.Sim, instanceType string, attached bool) error {
	name := g.group.Name + "-" + strconv.Itoa(g.next)
	spec := sim.NodeSpec{Name: name, InstanceType: instanceType, OS: g.group.OS, Labels: g.group.Labels,
		SecurityGroups: g.group.SecurityGroups, TrunkAttached: attached}
	if attached {
		spec.UnownedBranches = g.group.UnownedBranches
	}
	if instanceType == g.group.InstanceType {
		spec.MaxPods = g.group.MaxPods
	}
	if err := s.AddNode(spec); err != nil {
		return err
	}
	g.next++
	g.live = append(g.live, name)
	return nil
}

// apply carries out one event.
func (r *runner) apply(s *sim.Sim, e Event) error {
	count := max(e.Count, 1)
	switch e.Action {
	case ApplyPolicy:
		// kubectl apply of an existing policy replaces it.
		if err := s.RemovePolicy(e.Policy.Namespace, e.Policy.Name); err != nil && !errors.Is(err, sim.ErrNotFound) {
			return err
		}
		return s.AddPolicy(e.Policy)
	case DeletePolicy:
		return s.RemovePolicy(e.Policy.Namespace, e.Policy.Name)
	case SetBranchENICooldown:
		return s.SetBranchENICooldown(e.Cooldown)
	case DeleteSecurityGroup:
		// EC2 refusing the user's call is an outcome to report, not a
		// failure of the run.
		var ge *sim.GroupError
		if err := s.DeleteSecurityGroup(e.SecurityGroup); errors.As(err, &ge) {
			s.Warn(fmt.Sprintf("deleteSecurityGroup at %v: %v; the group stays", s.Now(), ge))
			return nil
		} else if err != nil {
			return err
		}
		return nil
	case EnablePodENI:
		return s.EnablePodENI()
	case LabelServiceAccount:
		return s.SetServiceAccountLabels(e.ServiceAccount.Namespace, e.ServiceAccount.Name, e.ServiceAccount.Labels)
	case AddNode:
		if e.NodeGroup == "" {
			return s.AddNode(sim.NodeSpec{Name: e.Node, InstanceType: e.InstanceType})
		}
		g := r.groups[e.NodeGroup]
		typ := e.InstanceType
		if typ == "" {
			typ = g.group.InstanceType
		}
		for range count {
			if err := g.add(s, typ); err != nil {
				return err
			}
		}
	case DeleteNode:
		if e.NodeGroup == "" {
			for _, g := range r.groups {
				g.forget(e.Node)
			}
			return s.DeleteNode(e.Node)
		}
		g := r.groups[e.NodeGroup]
		if len(g.live) < count {
			return fmt.Errorf("node group %s has %d node(s), not %d", e.NodeGroup, len(g.live), count)
		}
		for _, name := range g.live[:count] {
			if err := s.DeleteNode(name); err != nil {
				return err
			}
		}
		g.live = g.live[count:]
	case DeletePods:
		w := r.workload(e.Workload)
		names, err := s.WorkloadPods(w.Namespace, w.Name)
		if err != nil {
			return err
		}
		// The newest go first, as a scale-down picks them.
		for i := len(names) - 1; i >= 0 && (e.Count == 0 || len(names)-1-i < e.Count); i-- {
			if err := s.DeletePod(w.Namespace, names[i]); err != nil {
				return err
			}
		}
	case RolloutRestart:
		w := r.workload(e.Workload)
		surge, unavailable := e.MaxSurge, e.MaxUnavailable
		if surge == 0 && unavailable == 0 {
			surge, unavailable = defaultRollout(w.Replicas)
		}
		return s.RollWorkload(w.Namespace, w.Name, surge, unavailable)
	case RestartController:
		return s.RestartController()
	case Scale:
		w := r.workload(e.Workload)
		return s.ScaleWorkload(w.Namespace, w.Name, e.Replicas)
	default:
		return errors.New("unknown action")
	}
	return nil
}

func (g *groupState) forget(name string) {
	for i, n := range g.live {
		if n == name {
			g.live = append(g.live[:i:i], g.live[i+1:]...)
			return
		}
	}
}

func (r *runner) workload(name string) Workload {
	for _, w := range r.sc.Workloads {
		if w.Name == name {
			return w
		}
	}
	return Workload{}
}

// defaultRollout returns a Deployment's default rolling-update bounds for
// replicas pods: 25% each (apps/v1 defaults), the surge rounded up and
// the unavailable count rounded down, and one pod unavailable when both
// come to zero so the rollout can progress (deployment util
// ResolveFenceposts).
func defaultRollout(replicas int) (surge, unavailable int) {
	surge, unavailable = (replicas+3)/4, replicas/4
	if surge == 0 && unavailable == 0 {
		unavailable = 1
	}
	return surge, unavailable
}

// RunFile loads the scenario file at path and runs it: the library's one
// call from a file to a report. A file that does not load is an error and
// a zero report; a run that stopped with an error still has its report.
func RunFile(path string, opts Options) (sim.Report, error) {
	sc, err := Load(path)
	if err != nil {
		return sim.Report{}, err
	}
	return sc.Run(opts)
}
