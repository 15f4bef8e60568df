// Package karpenter is Karpenter's provisioning loop, as it launches nodes
// for pods that kube-scheduler cannot place, as a deterministic state
// machine beside the resource controller's: inputs in, effects out, time
// passed in.
//
// A caller (package sim) tells the provisioner with Step that
// kube-scheduler marked a pod Unschedulable, that a wake-up it asked for
// came, that a node it launched joined, advertised
// vpc.amazonaws.com/pod-eni or was deleted; it reads the cluster through
// a [Cluster]. Step returns what it wants done as [Effect] values: wake
// it at a time, launch a node (which joins the cluster when the effect
// says), delete an expired node, record an event on a pod.
//
// What it models, from karpenter (sigs.k8s.io/karpenter v1.15.0) and
// karpenter-provider-aws v1.15.2:
//   - batching: a window opens at the first trigger and closes after
//     BATCH_IDLE_DURATION (1s) with no new pod, or BATCH_MAX_DURATION
//     (10s) after it opened; a pod that stays provisionable triggers again
//     every 10s (pkg/controllers/provisioning/batcher.go, controller.go);
//   - the solve over every provisionable pod, not only those that
//     triggered: existing nodes first, a node not yet initialized counted
//     at its NodeClaim's capacity, so a node waiting for its trunk is not
//     launched twice; then NodeClaims opened in this solve, narrowed to the
//     instance types that hold all their pods; then a new NodeClaim from the
//     NodePools in weight order, within their limits;
//   - each type's capacity as Karpenter computes it: pods from the ENI
//     formula less RESERVED_ENIS (or the EC2NodeClass's kubelet.maxPods),
//     less the DaemonSets' pods, and vpc.amazonaws.com/pod-eni from the
//     instance table's branch interfaces when the type can hold a trunk
//     (pkg/providers/instancetype/types.go), so a pod that asks for pod-eni
//     is never sized onto a type that cannot trunk;
//   - the launch of the cheapest type left (spot when allowed, as preferred
//     to on-demand), by the us-east-1 on-demand prices Karpenter ships,
//     spot priced as on-demand until a spot update, which the model never
//     has (pkg/providers/pricing/pricing.go);
//   - initialization: a NodeClaim sized for pods that ask for pod-eni is
//     initialized only once the node advertises it
//     (pkg/controllers/nodeclaim/lifecycle/initialization.go);
//   - expiry: a node is deleted expireAfter after its launch;
//   - emptiness, which every consolidation policy runs: a node with no
//     pods for consolidateAfter is deleted once validated 15s later, as
//     many at a time as the NodePool's budgets allow; and, under
//     WhenEmptyOrUnderutilized or Balanced, single-node consolidation
//     without a replacement: the node with the fewest pods that all fit
//     on the other nodes is deleted and its pods evicted
//     (pkg/controllers/disruption).
//
// The model's pods ask for no CPU or memory, so Karpenter sizes nodes by
// pod slots and pod-eni alone; requirements on vCPU, memory and other
// figures the instance table lacks are refused. Zones, capacity
// reservations, drift, replacing a node with a cheaper one, multi-node
// consolidation and budget schedules are not modelled. Launch, registration and aws-node start-up take fixed times
// (Config), assumptions with the figures Karpenter's docs and issues
// give.
package karpenter
