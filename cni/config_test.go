package cni_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/trunksim/trunksim/cni"
	"github.com/trunksim/trunksim/limits"
)

func TestEnforcingModeString(t *testing.T) {
	cases := []struct {
		m    cni.EnforcingMode
		want string
	}{
		{cni.Strict, "strict"},
		{cni.Standard, "standard"},
		{0, "EnforcingMode(0)"},
		{7, "EnforcingMode(7)"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, c.m.String())
	}
}

func TestIPFamilyString(t *testing.T) {
	cases := []struct {
		f    cni.IPFamily
		want string
	}{
		{cni.IPv4, "ipv4"},
		{cni.IPv6, "ipv6"},
		{0, "IPFamily(0)"},
		{7, "IPFamily(7)"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, c.f.String())
	}
}

// Upstream (VPC CNI v1.23.2): prefix delegation from v1.9.0 (amazon-eks-ami
// AL2 max-pods-calculator.sh), secondary addresses off the trunk from
// v1.16.4 (pkg/ipamd/datastore/data_store.go); no aws-node on Windows.
func TestConfigNetworkingFollowsTheRelease(t *testing.T) {
	c := cni.Config{IPFamily: cni.IPv6, CustomNetworking: true, PrefixDelegation: true}
	assert.Equal(t, limits.Networking{OS: limits.OSLinux, IPv6: true, CustomNetworking: true, PrefixDelegation: true, MaxPods: 20},
		c.Networking(limits.OSLinux, 20))
	assert.Equal(t, limits.Networking{OS: limits.OSWindows, IPv6: true, MaxPods: 20}, c.Networking(limits.OSWindows, 20))

	old := cni.Config{PrefixDelegation: true, Version: cni.Version{Major: 1, Minor: 8, Patch: 0}}
	assert.Equal(t, limits.Networking{TrunkCarriesIPs: true}, old.Networking(0, 0))
	mid := cni.Config{PrefixDelegation: true, Version: cni.Version{Major: 1, Minor: 16, Patch: 4}}
	assert.Equal(t, limits.Networking{PrefixDelegation: true}, mid.Networking(0, 0))
}
