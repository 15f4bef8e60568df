package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"

	"github.com/trunksim/trunksim/cni"
	"github.com/trunksim/trunksim/limits"
)

// networkingFlags are the flags of `trunksim limits` that choose the
// networking mode; the zero values give the default arithmetic.
type networkingFlags struct {
	family           ipFamilyFlag
	customNetworking bool
	prefixDelegation bool
	maxPods          int
	maxENI           int
	version          cniVersionFlag
}

// addNetworkingFlags declares the mode flags on fs.
func addNetworkingFlags(fs *flag.FlagSet) *networkingFlags {
	f := &networkingFlags{family: ipFamilyFlag(cni.IPv4)}
	fs.Var(&f.family, "ip-family", "cluster IP `family`: ipv4 or ipv6 (a /80 prefix on the primary ENI)")
	fs.BoolVar(&f.customNetworking, "custom-networking", false, "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: the primary ENI carries no pod IPs")
	fs.BoolVar(&f.prefixDelegation, "prefix-delegation", false, "ENABLE_PREFIX_DELEGATION: each ENI address slot holds a /28 of 16 addresses")
	fs.IntVar(&f.maxPods, "max-pods", 0, "kubelet maxPods as the node bootstrap sets it (`N`; 0: eni-max-pods.txt)")
	fs.IntVar(&f.maxENI, "max-eni", 0, "MAX_ENI: the most interfaces aws-node uses (`N`; 0: the type's limit; 1 leaves no slot for a trunk)")
	fs.Var(&f.version, "cni-version", "VPC CNI `release`, such as v1.16.3 (default: the newest behaviour)")
	return f
}

// set reports whether any mode flag differs from the default.
func (f *networkingFlags) set() bool {
	return cni.IPFamily(f.family) != cni.IPv4 || f.customNetworking || f.prefixDelegation || f.maxPods != 0 || f.maxENI > 0 ||
		cni.Version(f.version) != (cni.Version{})
}

// networking returns the mode the flags describe for a Linux node, and
// whether a trunk can be had at all: IPv6 clusters get branch ENIs from
// CNI v1.16.0. The release also decides whether prefix delegation exists
// (v1.9.0) and whether the trunk carries secondary addresses (before
// v1.16.4), as cni.Config.Networking says.
func (f *networkingFlags) networking() (limits.Networking, bool, error) {
	v := cni.Version(f.version)
	c := cni.Config{IPFamily: cni.IPFamily(f.family), CustomNetworking: f.customNetworking,
		PrefixDelegation: f.prefixDelegation, MaxENI: f.maxENI, Version: v}
	n := c.Networking(0, f.maxPods)
	if err := n.Validate(); err != nil {
		return n, false, err
	}
	trunks := !n.IPv6 || v.Has(cni.FeatureIPv6Branches)
	return n, trunks, nil
}

// modeJSON is the mode a row was computed under, in the JSON output when
// a mode flag is given.
type modeJSON struct {
	IPFamily         string `json:"ipFamily"`
	CustomNetworking bool   `json:"customNetworking"`
	PrefixDelegation bool   `json:"prefixDelegation"`
	MaxPodsOverride  int    `json:"maxPodsOverride,omitempty"`
	MaxENI           int    `json:"maxENI,omitempty"`
	CNIVersion       string `json:"cniVersion"`
	// TrunkUnsupported is set when the CNI release gives no trunk in this
	// IP family.
	TrunkUnsupported bool `json:"trunkUnsupported,omitempty"`
}

func (f *networkingFlags) describe(n limits.Networking, trunks bool) *modeJSON {
	return &modeJSON{IPFamily: cni.IPFamily(f.family).String(), CustomNetworking: n.CustomNetworking,
		PrefixDelegation: n.PrefixDelegation, MaxPodsOverride: n.MaxPods, MaxENI: max(0, n.MaxENI), CNIVersion: cni.Version(f.version).String(),
		TrunkUnsupported: !trunks}
}

// ipFamilyFlag is the value of --ip-family.
type ipFamilyFlag cni.IPFamily

func (f *ipFamilyFlag) String() string { return cni.IPFamily(*f).String() }

func (f *ipFamilyFlag) Set(s string) error {
	for _, fam := range []cni.IPFamily{cni.IPv4, cni.IPv6} {
		if fam.String() == s {
			*f = ipFamilyFlag(fam)
			return nil
		}
	}
	return errors.New("want ipv4 or ipv6")
}

// cniVersionFlag is the value of --cni-version.
type cniVersionFlag cni.Version

func (f *cniVersionFlag) String() string {
	if v := cni.Version(*f); v != (cni.Version{}) {
		return v.String()
	}
	return ""
}

func (f *cniVersionFlag) Set(s string) error {
	v, err := cni.ParseVersion(s)
	if err != nil {
		return errors.New("want a release such as v1.20.4")
	}
	if v != (cni.Version{}) && !v.Has(cni.FeaturePodENI) {
		return fmt.Errorf("security groups for pods need CNI %v or later", cni.PodENI)
	}
	*f = cniVersionFlag(v)
	return nil
}

// podsCell prints a pod count, or "/80" for an IPv6 prefix's addresses.
func podsCell(n int) string {
	if n >= limits.IPv6PrefixAddresses {
		return "/80"
	}
	return strconv.Itoa(n)
}

// bindsWords names the limit that stops ordinary pods.
func bindsWords(l limits.Limit) string {
	if l == limits.LimitIPs {
		return "secondary IPs bind"
	}
	return "kubelet max pods binds"
}

// maxPodsWords describes the max-pods source for the table's footer.
func maxPodsWords(override int) string {
	if override > 0 {
		return strconv.Itoa(override) + " (set by the node's bootstrap)"
	}
	return "from eni-max-pods.txt"
}
