// Package simtest is a kit for property-based tests of code that runs
// against trunksim (a controller, a scheduler plugin, a capacity policy):
// generators, a state-machine harness and invariant checkers built on
// pgregory.net/rapid. It is a package of its own so that importing the
// simulator does not register rapid's command-line flags.
//
// # Generators
//
// Each generator draws valid input and shrinks toward a small case a
// person can read: [InstanceType] (any type) and [TrunkInstanceType] toward
// m5.large; [NodeGroups] toward one m5.large; [SecurityGroupID] and
// [SecurityGroupSet] toward sg-00000000000000001; [Labels] toward none;
// [Selector] and [Policy] toward app=web; [Pod] and [Workloads] toward an
// unlabelled pod in "default"; [Fault], [FaultSpace] and [FaultPlan] toward
// one second of InternalError from CreateNetworkInterface; [Cluster]
// toward one m5.large with no policy and no fault.
//
// # Harness
//
// A [Harness] drives one simulation per rapid test case. [New] draws the
// cluster; [Start] takes a fixed one, for tests without rapid.
// [Harness.Actions] returns the kit's actions (add or delete a node, create
// or delete a pod, add or remove a policy, advance time, inject a fault
// window, restart the controller, run to idle) with the invariant check
// under "", ready for rapid.T.Repeat. Add your own actions to the map,
// built on the harness's methods so they are recorded, and your own
// [Invariant]s to the [Config]:
//
//	rapid.Check(t, func(t *rapid.T) {
//		h := simtest.New(t, simtest.Config{Invariants: []simtest.Invariant{mine}})
//		actions := h.Actions()
//		actions["scaleOut"] = func(t *rapid.T) { h.AddNode("ng0") }
//		t.Repeat(actions)
//	})
//
// # Replay
//
// Every action happens at its own instant, [Tick] after the one before,
// and is recorded: the run so far is always a scenario file
// ([Harness.ScenarioYAML]) that `trunksim run` replays event for event, with
// the trace hash the file's header names. Pods are written as workloads of
// one replica, deletions and restarts as events, fault windows under
// ec2.faults. What the format cannot say (a policy added or removed
// mid-run, or what [Harness.Note] was told) is listed in a comment, and the
// replay differs from that point on. A failing case prints the simulation
// seed, the violations and that file; [Replay] runs such a file in a test.
//
// # Checkers
//
// Checkers are plain functions over a simulation or its trace that return
// [Violation]s naming the invariant, the object and the virtual time:
// [CheckSim] (the simulator's own invariants), [CheckTrace], [CheckGroups]
// and, once the simulation has run idle, [CheckIdle]. [ParseTrace] and
// [NewView] turn a trace into pods and nodes to write more.
//
// Some leaks are upstream's own: the controller forgets a branch ENI after
// three failed deletes, and a branch made for a node deleted meanwhile
// waits for a cleaner. The simulator reproduces them; the checkers report
// them with Violation.Upstream saying why, and the harness does not fail
// on them.
package simtest
