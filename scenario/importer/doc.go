// Package importer turns what kubectl prints about a cluster into a
// scenario that starts from it: `kubectl get nodes,pods,deployments,...
// -A -o yaml` (or -o json), as a kind: List, a stream of documents or
// single objects, in any mix, with the SecurityGroupPolicies, CNINodes,
// Karpenter's NodePools and EC2NodeClasses (carried over as read, less
// status and server metadata), the amazon-vpc-cni ConfigMap and the
// aws-node DaemonSet; and what `aws ec2
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
// rules, the VPC's block, the branch ENIs left available today
// (ec2.availableBranches, which the run starts with for the cluster ENI
// cleaner), and as comments the trunk and in-use branch ENIs there are
// today. Nothing else (no other environment variable, no annotation but
// pod-eni, no secret, no instance, interface, subnet or account ID, no tag,
// no rule description) reaches the written scenario. Rules the
// reachability model cannot hold (IPv6 ranges, prefix lists, ICMP types,
// other protocols) are left out with a comment naming them; a group that a
// rule or a node names but the input does not describe is declared with no
// rules, and a policy naming such a group is warned of, since its pods'
// branch ENIs then fail as EC2 fails them for a deleted group.
//
// The written scenario starts from today's state: each node group says how
// many of its nodes have their trunk ENI attached (trunkAttached: the
// vpc.amazonaws.com/has-trunk-attached label, a trunk attached to the
// node's instance in describe-network-interfaces, or a running pod on it
// annotated with a branch), and each workload how many of its pods are
// running (running); the simulator starts those that a policy matches on
// branch ENIs of their own, which the controller rebuilds from their
// vpc.amazonaws.com/pod-eni annotations as after a restart
// (pkg/provider/branch/trunk/trunk.go InitTrunk). The in-use branch ENIs
// on an attached node's trunk (placed by their vpcresources.k8s.aws/trunk-eni-id
// tag and the trunk's attachment) that no running pod's annotation names
// are what the rebuild deletes after the cool-down: unownedBranches, per
// attached node, the fewest any node of the group has (the rest, and
// branches it cannot place, are noted). The annotation is read,
// never copied: the run makes its own ENI IDs and VLANs, one node after
// another. The other pods are created at time zero. A user adds events (a
// rollout restart, a scale, a node group replacement) and runs it.
//
// Fargate nodes (eks.amazonaws.com/compute-type=fargate) and the pods on
// Fargate (the eks.amazonaws.com/fargate-profile label) are left out with
// a warning: Fargate gives their security groups through the pod-sg
// annotation, not a branch ENI of the cluster's nodes, and is not
// modelled. EKS Auto Mode nodes keep their compute-type label, so the run
// gives them no trunk, as the controller skips them.
//
// An input is at most [MaxBytes]; the CLI refuses a larger one unread.
//
// Errors are *ObjectError values wrapping ErrBadObject, naming the file,
// the object (pod/shop/api-7) and the field.
package importer
