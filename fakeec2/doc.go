// Package fakeec2 is an in-memory EC2 of network interfaces and trunk
// associations, as the VPC resource controller uses them for security
// groups for pods: trunk and branch interfaces, their permissions,
// attachment and associations, account-side throttling per action
// (token buckets per the EC2 API's request throttling), and injected
// faults that fail or slow an action with a probability in a window of
// virtual time.
//
// It is usable on its own in a user's tests. Every call takes the virtual
// time it is made at, which must never go backwards; Do answers a Request
// with an Answer that carries its own latency, so a caller decides when
// the answer arrives. Randomness (which fault strikes) comes from the
// *rand.Rand given to New; nothing reads a clock.
//
// AddTrunk and AddBranch put in interfaces made before the run (an
// attached trunk, a branch associated with it on a VLAN), with no call
// counted, so a run can start from a cluster's current state.
//
// Interfaces are identified by IDs spelt from a counter
// (branch.ENIIDFromUint64), held in a slice from the oldest live counter
// on, so a lookup costs one index and iteration is in ID order.
package fakeec2
