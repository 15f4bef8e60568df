// Package scenario reads trunksim scenario files: YAML documents that
// describe a cluster (controller, EC2, kubelet and CNI settings, node
// groups, service accounts, SecurityGroupPolicy objects), the workloads it
// runs and the events that happen to it, and turns them into a running
// [sim.Sim].
//
// # Format
//
// The top-level keys are seed, until, placement, controller, ec2, kubelet,
// cni, nodeGroups, serviceAccounts, securityGroupPolicies, securityGroups,
// workloads and events. A minimal scenario:
//
//	seed: 1
//	nodeGroups:
//	  - {name: ng, instanceType: m5.xlarge, count: 3}
//	securityGroupPolicies:
//	  - apiVersion: vpcresources.k8s.aws/v1beta1
//	    kind: SecurityGroupPolicy
//	    metadata: {name: web, namespace: default}
//	    spec:
//	      podSelector: {matchLabels: {app: web}}
//	      securityGroups: {groupIds: [sg-0123456789abcdef0]}
//	workloads:
//	  - {name: web, labels: {app: web}, replicas: 20, at: 1m}
//	events:
//	  - {at: 5m, action: deleteNode, nodeGroup: ng}
//
// Every setting is optional and defaults to upstream's value, as in
// [sim.Config]. Policies are written exactly as for a cluster. Durations
// are Go durations ("90s", "1m30s"). Nodes of a group are named
// <group>-0, <group>-1, ...; a workload's pods <workload>-0, ...
//
// # Events
//
// Each event has at and action, and the fields its action uses:
//
//	addNode            nodeGroup [count] [instanceType], or node instanceType
//	deleteNode         node, or nodeGroup [count] (oldest nodes first)
//	deletePods         workload [count] (newest pods first; the workload replaces them)
//	rolloutRestart     workload [maxSurge maxUnavailable] (default 25% each)
//	restartController
//
// At equal times, workloads are created first, then events run in file
// order. An event that fails while running, such as deleting a node that
// no longer exists, stops the run with an [*Error] pointing at the event.
//
// # Strictness
//
// [Parse] refuses what a cluster would refuse and what is probably a
// mistake: unknown keys, values of the wrong YAML type (a label value must
// be a string, so `version: 1` must be quoted), negative counts, bad
// durations, unknown instance types, malformed security-group IDs,
// duplicate names, and references to node groups, workloads or service
// accounts the file does not declare. Settings whose zero value would mean
// "use the default" must be positive when written, so nothing written is
// silently replaced. Every error is an [*Error] naming the file, the line
// and the field, such as
//
//	smoke.yaml:7: nodeGroups[0].flavour: unknown field (want name, instanceType, count, os or labels)
//
// and wrapping a sentinel ([ErrUnknownField], [ErrInvalidValue], ...) for
// errors.Is.
//
// # Running
//
// [Scenario.Build] sets up a simulation at time zero and schedules the
// workloads and events; [Scenario.Run] also runs it, to until or until
// nothing is in flight, and returns the report. [Scenario.Marshal] writes a
// Scenario back as YAML that parses to an equal Scenario, for programs
// that generate scenarios.
package scenario
