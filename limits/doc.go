// Package limits answers three questions about an EC2 instance type before a
// simulated node exists: what its network limits are, whether it can hold a
// trunk ENI for security groups for pods, and how many pods it can really run.
//
// # Data
//
// [Default] holds 1,164 instance types taken from the Amazon VPC resource
// controller's pkg/aws/vpc/limits.go. The project owns its copy in
// data/limits.json; zz_generated_table.go is generated from it by
// internal/limitsgen (run go generate ./limits after editing the JSON). The
// same tool turns a newer upstream limits.go into a fresh data/limits.json.
// Nothing is read from disk at run time.
//
// # Tables
//
// A [Table] is immutable once built and safe for concurrent use. [NewTable]
// validates every [InstanceType] and names the offending type and field when
// one is wrong. [Table.With] returns a new table with types added or
// replaced, for what-if planning; the receiver never changes. Values handed
// out by a table are copies, so callers cannot change what later lookups see.
//
// # Eligibility
//
// [InstanceType.CanTrunk] and [Table.CanTrunk] follow the controller's
// IsInstanceSupported (pkg/provider/branch/provider.go): a trunk needs a Linux
// node and a type listed as trunking compatible. A refusal is an
// [*IneligibleError] whose [Reason] explains it in words (burstable family,
// Xen hypervisor, Windows, ...), and which matches [ErrNotTrunkCompatible],
// [ErrWindows] or [ErrUnknownType] under errors.Is.
//
// # Pod capacity
//
// [InstanceType.MaxPods] is kubelet's max pods as EKS computes it;
// [InstanceType.IPPods] and [InstanceType.BranchPods] count the pods that can
// get a network identity with and without a trunk; [InstanceType.Capacity]
// combines them and reports which [Limit] binds. For example, with a trunk a
// c5.xlarge has 2 host-network + 42 IP + 18 branch = 62 pod slots, more than
// its 58 max pods, so kubelet's max pods binds.
//
// # Networking modes
//
// A [Networking] names the mode a node's pods are wired in: IPv6 (a /80 on
// the primary ENI, so max pods binds), custom networking (the primary ENI
// carries no pod IPs), prefix delegation (a /28 per address slot), Windows
// (the primary ENI's secondary IPs), a kubelet maxPods set by the node's
// bootstrap, and VPC CNI releases before v1.16.4. [InstanceType.CapacityFor]
// and the other *For methods compute under it; the zero Networking gives
// the figures above. With a trunk an m5.large runs 27 pods without security
// groups of their own in IPv6, 18 in IPv4 and 9 under custom networking.
//
// # Errors
//
// Every error message starts with "limits: ". Sentinels ([ErrUnknownType],
// [ErrNotTrunkCompatible], [ErrWindows], [ErrInvalidType], [ErrInvalidValue])
// are wrapped in typed errors that carry the offending input, so callers use
// errors.Is and errors.As rather than matching text.
package limits
