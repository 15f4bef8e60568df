// Package sim simulates an EKS cluster's security groups for pods: nodes
// joining and leaving, the VPC resource controller giving each node a
// trunk ENI and each matching pod a branch ENI, EC2 answering under its
// own throttling, and the kubelet and CNI wiring the pod.
//
// Everything runs on a virtual clock (package scheduler): nothing sleeps,
// nothing reads the wall clock, and one seed drives every random choice,
// so the same calls and seed give a byte-identical trace and report on
// any machine. A Sim is not safe for concurrent use; independent Sims are.
//
// The Sim is the wiring of the cluster's components: it keeps the
// cluster's state (nodes, pods, workloads, policies), places pods as
// kube-scheduler does, runs the kubelet's sandbox retries, and feeds the
// resource controller (package controller) what happens, applying the
// effects it returns on the virtual clock; the controller's EC2 calls go
// to a fake EC2 (package fakeec2). The controller model follows
// amazon-vpc-resource-controller-k8s v1.8.2 by default:
//   - a trunk is initialised per eligible Linux node with the EC2 calls of
//     pkg/aws/ec2/api/helper.go on the node manager's workers, and only then
//     is vpc.amazonaws.com/pod-eni advertised (pkg/provider/branch/provider.go);
//   - each pod matching a SecurityGroupPolicy gets a branch ENI on one of 30
//     branch workers: CreateNetworkInterface and
//     CreateNetworkInterfacePermission on the user client,
//     AssociateTrunkInterface on the instance client, each waiting on a
//     token bucket that decides as x/time/rate's Limiter, driven in
//     virtual time, then the pod annotation;
//   - the capacity gate (in use + cooling < branch limit) requeues silently
//     every cool-down; errors are retried 5 times within a second and then
//     left to the 30-minute resync;
//   - released branches cool down (60 s) and are deleted by a sweep every
//     30 s per node; a deleted node's trunk leaves the cache a minute later
//     and its branches are left to the cluster ENI cleaner, 30-60 minutes
//     on (master, b8d4251, wipes them at the minute instead);
//   - the kubelet retries a pod's sandbox as soon as the controller
//     annotates it, and every 10-15 s after a failure.
//
// Config.Controller.Release (scenario key controller.version) picks the
// release modelled, its defaults and its instance table
// (limits.ForRelease); unset, controller.DefaultRelease (v1.8.2) and its
// table. The deprecated presets keep v1.7.19's table. A node whose instance type the table
// lacks but a newer release's has still joins, as upstream: an Unsupported
// event, never a trunk, max pods from the VPC CNI's eni-max-pods.txt
// (limits.CNIMaxPods) or NodeSpec.MaxPods, and a warning naming the newest
// release that knows the type.
//
// A cluster can start from the state a running one is in: nodes that join
// with their trunk attached (NodeSpec.TrunkAttached) and workloads whose
// pods run already (WorkloadSpec.Running), each that needs a branch on
// one the fake EC2 holds from the start, associated with its node's trunk
// on a VLAN and named by its pod-eni annotation. The controller meets
// those nodes as a starting controller does: each node's Init finds its
// trunk and rebuilds it from EC2's listing and the pods' annotations, as
// after a restart (pkg/provider/branch/trunk/trunk.go InitTrunk), so no
// trunk or branch is created for them, and a branch no pod owns
// (NodeSpec.UnownedBranches) is deleted after the cool-down. Those pods
// started before the run: the report counts them (Pods.AlreadyRunning,
// Pods.FromExistingBranches) and leaves them out of the start-up latency.
// Branch ENIs deleted nodes left available (Sim.AddAvailableBranches)
// wait for the cluster ENI cleaner.
//
// Some nodes and pods are left alone as upstream leaves them: an EKS Auto
// Mode node (LabelComputeType) gets no trunk, a node whose MAX_ENI leaves
// no interface slot (cni.Config.MaxENI 1) never asks for one, and a
// Fargate pod (LabelFargateProfile) is refused, as Fargate is not
// modelled.
//
// Nodes may also come from a provisioner, each a state machine of its own
// that the Sim feeds and whose effects it applies as it does the
// controller's: Karpenter (UseKarpenter, package karpenter), which
// launches nodes from NodePools for the pods kube-scheduler cannot place
// and consolidates empty and underutilized ones, and cluster-autoscaler
// (UseClusterAutoscaler, package autoscaler), which grows and shrinks
// node groups. A provisioned node joins as any node does and waits for
// its trunk; the report's start-up breakdown splits each pod's wait to be
// scheduled into waiting for its node and for that node's trunk.
//
// Where upstream gives no figure (EC2 call latency, trunk attach time), the
// default is an assumption, and Report.Assumptions says so.
//
// The run's trace is a JSON-lines log of every event; Report carries its
// SHA-256. Check verifies the invariants at any moment.
//
// # Cost
//
// A run costs a few hundred nanoseconds per event and about twenty events
// per security-group pod. Placing a pod costs O(log nodes) and no event
// walks every pod, so a steady stream of n pods costs O(n log n)
// (BenchmarkScale); a controller restart or a rolling update walks the
// pods it concerns, and a workload with pods running already walks the
// nodes once to place them. One cost is the model's own: each failed kubelet
// sandbox attempt draws its jitter, so a pod waiting t for its branch
// costs t/RetryPeriod draws, and a burst of n pods behind EC2's rate
// limits, whose waits grow with n, costs O(n^2) draws in all, at about
// two nanoseconds each.
package sim
