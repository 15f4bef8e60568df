// Package importer turns what kubectl prints about a cluster into a
// scenario that starts from it: `kubectl get nodes,pods,deployments,...
// -A -o yaml` (or -o json), as a kind: List, a stream of documents or
// single objects, in any mix, with the SecurityGroupPolicies, the
// amazon-vpc-cni ConfigMap and the aws-node DaemonSet.
//
// Objects are decoded with the Kubernetes API types (k8s.io/api), so every
// field kubectl prints is understood or ignored as the API server would;
// an object of a kind the importer does not use is skipped with a warning
// naming it. Only what a scenario needs is copied: node types, operating
// systems and the grouping labels, the pods' owners, labels and service
// accounts, the policies as written, and the CNI settings that change what
// the controller sees. Nothing else (no other environment variable, no
// annotation but pod-eni, no secret) reaches the written scenario.
//
// The written scenario creates today's workloads at time zero on today's
// nodes; a user adds events (a rollout restart, a scale, a node group
// replacement) and runs it. It does not yet start from the pods' current
// branch ENIs: they are created again, as after a cluster rebuild rather
// than a controller restart.
//
// Errors are *ObjectError values wrapping ErrBadObject, naming the file,
// the object (pod/shop/api-7) and the field.
package importer
