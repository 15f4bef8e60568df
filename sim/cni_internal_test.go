package sim

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/cni"
)

// The names sim kept when the CNI's vocabulary moved to package cni must
// stay that vocabulary, so code written against sim compiles and means
// what it did.
func TestCNINamesAreThoseOfPackageCNI(t *testing.T) {
	var (
		_ cni.EnforcingMode = EnforcingMode(0)
		_ cni.IPFamily      = IPFamily(0)
		_ cni.Version       = Version{}
		_ cni.Config        = CNI{}
	)
	assert.Equal(t, []cni.EnforcingMode{cni.Strict, cni.Standard}, []EnforcingMode{Strict, Standard})
	assert.Equal(t, []cni.IPFamily{cni.IPv4, cni.IPv6}, []IPFamily{IPv4, IPv6})
	assert.Equal(t, []cni.Version{cni.PodENI, cni.IPv6Branches, cni.TrunkExcluded, cni.TrunkSlotHeld},
		[]Version{CNIPodENI, CNIIPv6Branches, CNITrunkExcluded, CNITrunkSlotHeld})
}

// ParseVersion accepts what cni.ParseVersion does but reports a bad
// release as the *ConfigError it always has, naming the field.
func TestParseVersionReportsAConfigError(t *testing.T) {
	got, err := ParseVersion("v1.20.4")
	require.NoError(t, err)
	assert.Equal(t, cni.Version{Major: 1, Minor: 20, Patch: 4}, got)

	for _, in := range []string{"", "1.20", "latest", "v1.20.4 "} {
		got, err := ParseVersion(in)
		assert.Equal(t, Version{}, got)
		assert.Equal(t, &ConfigError{Field: "CNI.Version", Value: in, Why: "want a release such as v1.20.4"}, err)
		assert.ErrorIs(t, err, ErrBadConfig)
	}
	_, err = ParseVersion("1.20")
	assert.EqualError(t, err, "sim: config CNI.Version = 1.20: want a release such as v1.20.4")
}
