package cni

import (
	"fmt"

	"github.com/trunksim/trunksim/limits"
)

// EnforcingMode is the CNI's POD_SECURITY_GROUP_ENFORCING_MODE, which
// decides whether a branch pod's node-local traffic leaves the node.
type EnforcingMode uint8

const (
	// Strict sends all branch pod traffic through the VPC (the CNI default,
	// pkg/sgpp/constants.go DefaultEnforcingMode).
	Strict EnforcingMode = 1 + iota
	// Standard keeps node-local traffic on the node (CNI v1.11.0 and later,
	// [FeatureStandardMode]).
	Standard
)

// String returns "strict" or "standard", the variable's values.
func (m EnforcingMode) String() string {
	switch m {
	case Strict:
		return "strict"
	case Standard:
		return "standard"
	}
	return fmt.Sprintf("EnforcingMode(%d)", uint8(m))
}

// IPFamily is the cluster's IP family.
type IPFamily uint8

const (
	// IPv4 clusters (the default).
	IPv4 IPFamily = 1 + iota
	// IPv6 clusters; branch ENIs for them need CNI v1.16.0 or later
	// ([FeatureIPv6Branches]).
	IPv6
)

// String returns "ipv4" or "ipv6".
func (f IPFamily) String() string {
	switch f {
	case IPv4:
		return "ipv4"
	case IPv6:
		return "ipv6"
	}
	return fmt.Sprintf("IPFamily(%d)", uint8(f))
}

// Config holds the aws-node settings that change what the controller sees.
type Config struct {
	// DisablePodENI models ENABLE_POD_ENI=false (CNI README): no node asks
	// for a trunk. The zero value describes a cluster set up as the EKS
	// guide says.
	DisablePodENI bool
	// EnforcingMode is POD_SECURITY_GROUP_ENFORCING_MODE; zero means Strict.
	EnforcingMode EnforcingMode
	// DisableTCPEarlyDemux is DISABLE_TCP_EARLY_DEMUX (CNI README, v1.7.3
	// and later), set on the aws-vpc-cni-init container.
	DisableTCPEarlyDemux bool
	// Version is the CNI release; zero means the newest behaviour.
	Version Version
	// IPFamily is the cluster's IP family; zero means IPv4.
	IPFamily IPFamily
	// CustomNetworking is AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG=true, pods in
	// the subnets of ENIConfigs: the primary ENI carries no pod addresses
	// (pkg/ipamd/datastore/data_store.go GetAllocatableENIs). IPv4 only
	// (pkg/ipamd/ipamd.go isConfigValid).
	CustomNetworking bool
	// PrefixDelegation is ENABLE_PREFIX_DELEGATION=true: every address slot
	// of an ENI holds a /28 prefix, on Nitro and bare-metal types, from
	// v1.9.0 ([FeaturePrefixDelegation]). IPv6 clusters always use
	// prefixes, whatever it says.
	PrefixDelegation bool
	// MaxENI is MAX_ENI: the most interfaces aws-node uses on a node's
	// default card, when below the type's limit; zero means unset (the
	// CNI's default is -1). MAX_ENI 1 leaves no slot for a trunk, so
	// aws-node never asks for one (pkg/ipamd/ipamd.go
	// tryEnableSecurityGroupsForPods).
	MaxENI int
}

// Networking returns how a node running os, whose bootstrap sets kubelet's
// maxPods (0 for the EKS default), gives its pods addresses under c. A
// Windows node runs no aws-node, so custom networking and prefix
// delegation do not apply to it (the IP family does, and EKS supports
// only IPv4 there: [limits.Networking.Validate] refuses IPv6);
// the release decides whether prefix delegation exists and whether the
// trunk still carries addresses (before v1.16.4, [FeatureTrunkExcluded]).
func (c Config) Networking(os limits.OS, maxPods int) limits.Networking {
	if os == limits.OSWindows {
		return limits.Networking{OS: os, IPv6: c.IPFamily == IPv6, MaxPods: maxPods}
	}
	return limits.Networking{
		OS:               os,
		IPv6:             c.IPFamily == IPv6,
		CustomNetworking: c.CustomNetworking,
		PrefixDelegation: c.PrefixDelegation && c.Version.Has(FeaturePrefixDelegation),
		MaxPods:          maxPods,
		TrunkCarriesIPs:  !c.Version.Has(FeatureTrunkExcluded),
		MaxENI:           c.MaxENI,
	}
}
