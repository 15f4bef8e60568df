// Package controller is the Amazon VPC resource controller's branch ENI
// provider and node manager as a deterministic state machine: inputs in,
// effects out, time passed in.
//
// A caller (package sim) tells the controller what happened in the
// cluster with Step: a node joined or was deleted, a pod that requests
// vpc.amazonaws.com/pod-eni was bound, started or ended, EC2 answered a
// call, a wake-up it asked for came, the process restarted, its settings
// changed. Step returns what the controller wants done as Effect values:
// make an EC2 call on a named client, wake it at a time, annotate a pod,
// re-read a node's trunk and advertised capacity, run a scheduling pass,
// record a Kubernetes event. The caller applies them in order and at
// once; an EC2 call is made when its effect is applied, and its answer,
// which carries its own latency, comes back as an input that much later.
// Nothing here reads a clock, draws from a global random source or starts
// a goroutine; the same inputs give the same effects.
//
// The controller owns what upstream keeps in its process: the workers and
// their queues (30 branch workers, the node manager's async workers), the
// rate-limited EC2 user and instance clients and the three Kubernetes
// clients, the event broadcaster's queue among them (events.go;
// internal/bucket, which decides as golang.org/x/time/rate in virtual
// time), the SDK retryer, each
// node's trunk cache (package trunk) with its capacity gate, cool-down
// queue and ProcessDeleteQueue sweep, the periodic resync, the rebuild
// after a restart from the pods' annotations and EC2's listing, and, with
// NodeDeletionRelease, the cluster ENI cleaner that deletes the available
// interfaces a deleted node leaves behind.
// A node may join with its trunk attached already (Join.Trunk) and a pod
// be bound with its branch already (Input.Annotation), as a controller
// starting on a running cluster meets them: the node's Init finds the
// trunk and rebuilds it from EC2's listing and the pods' annotations, as
// after a restart, and creates nothing for them.
// Its accessors (Trunk, Annotation, PodWait, Parts, Stats,
// AppendKnownENIs) are for inspection and reports.
//
// # Contract
//
//   - Step refuses an input it cannot take (an unknown node, a pod bound
//     twice, an answer nobody awaits, time going backwards) with an
//     *InputError wrapping ErrBadInput, and changes nothing.
//   - Effects are appended to the caller's slice; Effect.Request and
//     Effect.Event point into the controller and are valid until the next
//     Step.
//   - A Call is made at once; its answer, written to Effect.Answer, is
//     stepped back as Answered once its latency has passed. A Call with a
//     nil Answer wants none (the rollback of a failed trunk).
//   - Only a Wake whose Timer is Cancellable is ever cancelled: a node's
//     sweep tick, at most one per node at a time, named by Effect.Node.
//   - On the hot path (a pod's Create job and its calls) Step allocates
//     nothing once its buffers have grown.
//
// The model follows amazon-vpc-resource-controller-k8s v1.8.2; each
// behaviour cites the upstream file it comes from.
//
// # Releases
//
// A [Release] (v1.7.19 to v1.8.2, and master at b8d4251) names what a
// configuration models. What differs between releases is declared once
// per release, in [ReleaseDefaults]: the EC2 user client and node-worker
// defaults, and the behaviour switches (what a node deletion does, whether
// a restart's orphans are disassociated, the delete helper's backoff, the
// restart's datastore race), which the settings Config.NodeDeletion,
// OrphansUnassociated, DeleteBackoffAsUpstream and RestartSyncRace take
// their defaults from. [Config.Preset] is the older, deprecated way to pick
// defaults: upstream is v1.7.19 and raised-limits is v1.8.0's.
package controller
