// Package importer turns what kubectl prints about a cluster into a
// scenario that starts from it: `kubectl get nodes,pods,deployments,...
// -A -o yaml` (or -o json), as a kind: List, a stream of documents or
// single objects, in any mix, with the SecurityGroupPolicies, CNINodes, the
// amazon-vpc-cni ConfigMap and the aws-node DaemonSet; and what `aws ec2
// describe-instances`, describe-security-groups, describe-subnets,
// describe-vpcs and describe-network-interfaces print with --output json.
//
// Objects are decoded with the Kubernetes API types (k8s.io/api), so every
// field kubectl prints is understood or ignored as the API server would;
// an object of a kind the importer does not use is skipped with a warning
// naming it. Only what a scenario needs is copied: node types, operating
// systems and the grouping labels, the pods' owners, labels and service
// accounts, the policies as written, and the CNI settings that change what
// the controller sees; from the EC2 side, each node's subnet block and
// security groups (through spec.providerID's instance ID), the groups'
// rules, the VPC's block, and as comments the trunk and branch ENIs there
// are today. Nothing else (no other environment variable, no annotation but
// pod-eni, no secret, no instance, interface, subnet or account ID, no tag,
// no rule description) reaches the written scenario. Rules the
// reachability model cannot hold (IPv6 ranges, prefix lists, ICMP types,
// other protocols) are left out with a comment naming them; a group that a
// rule or a node names but the input does not describe is declared with no
// rules, and a policy naming such a group is warned of, since its pods'
// branch ENIs then fail as EC2 fails them for a deleted group.
//
// The written scenario creates today's workloads at time zero on today's
// nodes; a user adds events (a rollout restart, a scale, a node group
// replacement) and runs it. It does not yet start from the pods' current
// branch ENIs: they are created again, as after a cluster rebuild rather
// than a controller restart.
//
// An input is at most [MaxBytes]; the CLI refuses a larger one unread.
//
// Errors are *ObjectError values wrapping ErrBadObject, naming the file,
// the object (pod/shop/api-7) and the field.
package importer
