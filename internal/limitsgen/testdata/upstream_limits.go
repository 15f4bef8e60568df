// A small file in the layout of the VPC resource controller's
// pkg/aws/vpc/limits.go, with invented instance types, for the parser tests.
// This file was generated at 2001-02-03T04:05:06Z

package vpc

type NetworkCard struct {
	MaximumNetworkInterfaces int64
	NetworkCardIndex         int64
	NetworkPerformance       string
}

type VPCLimits struct {
	Interface               int
	IPv4PerInterface        int
	IsTrunkingCompatible    bool
	BranchInterface         int
	NetworkCards            []NetworkCard
	DefaultNetworkCardIndex int
	Hypervisor              string
	IsBareMetal             bool
}

// Limits is deliberately out of order: the generator sorts by name.
var Limits = map[string]*VPCLimits{
	"zz9.large": {
		Interface:               3,
		IPv4PerInterface:        10,
		IsTrunkingCompatible:    true,
		BranchInterface:         9,
		DefaultNetworkCardIndex: 0,
		NetworkCards: []NetworkCard{
			{
				MaximumNetworkInterfaces: 3,
				NetworkCardIndex:         0,
			},
		},
		Hypervisor:  "nitro",
		IsBareMetal: false,
	},
	"old1.xlarge": {
		Interface:               4,
		IPv4PerInterface:        15,
		IsTrunkingCompatible:    false,
		BranchInterface:         0,
		DefaultNetworkCardIndex: 0,
		NetworkCards: []NetworkCard{
			{
				MaximumNetworkInterfaces: 4,
				NetworkCardIndex:         0,
			},
		},
		Hypervisor:  "xen",
		IsBareMetal: false,
	},
	"big8.metal": {
		Interface:               16,
		IPv4PerInterface:        50,
		IsTrunkingCompatible:    true,
		BranchInterface:         106,
		DefaultNetworkCardIndex: 0,
		NetworkCards: []NetworkCard{
			{
				MaximumNetworkInterfaces: 8,
				NetworkCardIndex:         0,
				NetworkPerformance:       "Up to 200 Gigabit",
			},
			{
				MaximumNetworkInterfaces: 8,
				NetworkCardIndex:         1,
			},
		},
		Hypervisor:  "",
		IsBareMetal: true,
	},
	"aa1.medium": &VPCLimits{
		Interface:               2,
		IPv4PerInterface:        4,
		IsTrunkingCompatible:    true,
		BranchInterface:         4,
		DefaultNetworkCardIndex: 0,
		NetworkCards: []NetworkCard{
			NetworkCard{
				MaximumNetworkInterfaces: 2,
				NetworkCardIndex:         0,
			},
		},
		Hypervisor:  "nitro",
		IsBareMetal: false,
	},
}
