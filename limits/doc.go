// Package limits answers three questions about an EC2 instance type before a
// simulated node exists: what its network limits are, whether it can hold a
// trunk ENI for security groups for pods, and how many pods it can really run.
//
// # Data
//
// Each release of the Amazon VPC resource controller ships its own
// pkg/aws/vpc/limits.go, and the tables differ in more than new types: for
// example i4i.large holds a trunk (9 branches) only from v1.8.1, and from
// v1.7.24 and v1.8.2 i7ie.48xlarge and i8ge.48xlarge have two network
// cards, so only 8 and 12 device indexes are usable
// ([InstanceType.DefaultCardInterfaces]). [ForRelease] returns the table of
// one release (v1.7.19 and later, and "master" for commit b8d4251);
// [Releases] lists them. [Default] is release [DefaultRelease]'s table
// (v1.8.2, 1,423 instance types).
//
// The project owns its copies. data/limits.json holds the v1.7.19 table;
// data/releases.json holds, once each, the rows that later releases add or
// change, with the releases that have each row, so releases sharing a table
// (v1.7.20 and v1.7.22; v1.7.23 and v1.8.0; v1.7.24, v1.7.25 and v1.8.2)
// cost nothing. data/eni-max-pods.txt is the VPC CNI's max pods per type
// ([CNIMaxPods]), for nodes whose type a release's table lacks. The
// zz_generated_*.go files are generated from these by internal/limitsgen
// (go generate ./limits); nothing is read from disk at run time, and
// neither tests nor builds need the network.
//
// When AWS ships a controller release (or a CNI release), run from the
// repository root
//
//	go run ./internal/limitsgen -dir limits -add-release v1.8.3 -cni-release v1.23.3
//
// which downloads the modules with the go command, records the release's
// table (as another name of an equal table, or as the rows that differ),
// refreshes the max-pods data and regenerates the Go files. Either flag may
// be left out.
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
