package cni_test

import (
	"cmp"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/trunksim/trunksim/cni"
)

func v(major, minor, patch int) cni.Version {
	return cni.Version{Major: major, Minor: minor, Patch: patch}
}

func TestParseVersionAcceptsReleases(t *testing.T) {
	cases := []struct {
		in   string
		want cni.Version
	}{
		{"v1.20.4", v(1, 20, 4)},
		{"1.20.4", v(1, 20, 4)},
		{"v1.7.0", v(1, 7, 0)},
		{"v0.0.1", v(0, 0, 1)},
		{"v10.200.3000", v(10, 200, 3000)},
		// 0.0.0 parses to the zero Version, which stands for the newest
		// behaviour and prints as "latest"; no CNI release is numbered so.
		{"v0.0.0", cni.Version{}},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, err := cni.ParseVersion(c.in)
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
		})
	}
}

func TestParseVersionRefusesAnythingElse(t *testing.T) {
	for _, in := range []string{
		"", "v", "latest", "1", "1.20", "v1.20", "1.20.4.5",
		" v1.20.4", "v1.20.4 ", "v1.20.4\n", "1. 20.4",
		"V1.20.4", "vv1.20.4", "v-1.20.4",
		"01.20.4", "1.020.4", "1.20.04", "+1.20.4", "1.+20.4",
		"-1.20.4", "1.-20.4", "1.20.-4",
		"1.20.4-rc1", "1.20.4x", "1..4", "1.20.", ".20.4", "0x1.2.3", "1_0.2.3",
		"99999999999999999999.0.0",
	} {
		t.Run(in, func(t *testing.T) {
			got, err := cni.ParseVersion(in)
			require.Error(t, err)
			assert.Equal(t, cni.Version{}, got, "a refused text gives the zero Version")
			assert.ErrorIs(t, err, cni.ErrBadVersion)
			var ve *cni.VersionError
			require.ErrorAs(t, err, &ve)
			assert.Equal(t, in, ve.Value, "the error keeps the text exactly as given")
		})
	}
}

func TestVersionErrorNamesTheText(t *testing.T) {
	_, err := cni.ParseVersion("1.20")
	assert.EqualError(t, err, `cni: invalid version "1.20" (want a release such as v1.20.4)`)
	assert.True(t, errors.Is(err, cni.ErrBadVersion))
	assert.EqualError(t, cni.ErrBadVersion, "cni: invalid version")
}

func TestVersionString(t *testing.T) {
	cases := []struct {
		v    cni.Version
		want string
	}{
		{cni.Version{}, "latest"},
		{v(1, 20, 4), "v1.20.4"},
		{v(1, 7, 0), "v1.7.0"},
		{v(0, 0, 1), "v0.0.1"},
		{v(2, 0, 0), "v2.0.0"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, c.v.String())
	}
}

func TestVersionStringRoundTrips(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		x := release().Draw(t, "v")
		got, err := cni.ParseVersion(x.String())
		require.NoError(t, err)
		assert.Equal(t, x, got)
		got, err = cni.ParseVersion(x.String()[1:])
		require.NoError(t, err)
		assert.Equal(t, x, got, "the leading v is optional")
	})
}

func TestVersionAtLeast(t *testing.T) {
	cases := []struct {
		v, o cni.Version
		want bool
	}{
		{v(1, 11, 0), v(1, 11, 0), true},
		{v(1, 11, 1), v(1, 11, 0), true},
		{v(1, 10, 9), v(1, 11, 0), false},
		{v(1, 12, 0), v(1, 11, 9), true},
		{v(2, 0, 0), v(1, 99, 99), true},
		{v(0, 99, 99), v(1, 0, 0), false},
		{v(1, 16, 3), v(1, 16, 4), false},
		// The zero receiver is the newest behaviour, so it is at least
		// every release.
		{cni.Version{}, v(1, 7, 0), true},
		{cni.Version{}, v(99, 99, 99), true},
		{cni.Version{}, cni.Version{}, true},
		// A zero argument is compared as the numbers 0.0.0.
		{v(1, 7, 0), cni.Version{}, true},
		{v(0, 0, 1), cni.Version{}, true},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, c.v.AtLeast(c.o), "%v.AtLeast(%v)", c.v, c.o)
	}
}

// release draws a nonzero Version from a small range, so that equal
// components, and so ties at each level of the comparison, are common.
func release() *rapid.Generator[cni.Version] {
	return rapid.Custom(func(t *rapid.T) cni.Version {
		return v(rapid.IntRange(0, 3).Draw(t, "major"), rapid.IntRange(0, 25).Draw(t, "minor"), rapid.IntRange(0, 5).Draw(t, "patch"))
	}).Filter(func(x cni.Version) bool { return x != cni.Version{} })
}

func compareNumbers(a, b cni.Version) int {
	return cmp.Or(cmp.Compare(a.Major, b.Major), cmp.Compare(a.Minor, b.Minor), cmp.Compare(a.Patch, b.Patch))
}

// Over releases (nonzero Versions) AtLeast is the total order of
// (Major, Minor, Patch) compared in turn; only the zero receiver, which
// means the newest behaviour, stands outside it.
func TestVersionAtLeastIsTheTotalOrderOfTheNumbers(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a, b, c := release().Draw(t, "a"), release().Draw(t, "b"), release().Draw(t, "c")
		assert.Equal(t, compareNumbers(a, b) >= 0, a.AtLeast(b), "consistent with the numbers")
		assert.True(t, a.AtLeast(a), "reflexive")
		assert.True(t, a.AtLeast(b) || b.AtLeast(a), "total")
		if a.AtLeast(b) && b.AtLeast(a) {
			assert.Equal(t, a, b, "antisymmetric")
		}
		if a.AtLeast(b) && b.AtLeast(c) {
			assert.True(t, a.AtLeast(c), "transitive")
		}
		assert.True(t, cni.Version{}.AtLeast(a), "the zero Version is newer than every release")
	})
}

// features lists every declared Feature.
var features = []cni.Feature{
	cni.FeaturePodENI, cni.FeatureStandardMode, cni.FeatureIPv6Branches,
	cni.FeatureTrunkExcluded, cni.FeatureTrunkSlotHeld, cni.FeaturePrefixDelegation,
}

func TestFeatureSince(t *testing.T) {
	cases := []struct {
		f    cni.Feature
		want cni.Version
	}{
		// CNI README: ENABLE_POD_ENI.
		{cni.FeaturePodENI, v(1, 7, 0)},
		// CHANGELOG v1.11.0, PR #1907; pkg/sgpp/utils.go
		// LoadEnforcingModeFromEnv.
		{cni.FeatureStandardMode, v(1, 11, 0)},
		// CHANGELOG v1.16.0.
		{cni.FeatureIPv6Branches, v(1, 16, 0)},
		// PR #2801, pkg/ipamd/datastore/data_store.go.
		{cni.FeatureTrunkExcluded, v(1, 16, 4)},
		// Issue #3094, fixed by PR #3250, pkg/ipamd/ipamd.go hasRoomForEni.
		{cni.FeatureTrunkSlotHeld, v(1, 20, 4)},
		{cni.FeaturePrefixDelegation, v(1, 9, 0)},
	}
	require.Len(t, cases, len(features), "every feature has a case")
	for _, c := range cases {
		assert.Equal(t, c.want, c.f.Since(), "%v", c.f)
	}
	assert.Equal(t, cni.Version{}, cni.Feature(0).Since())
	assert.Equal(t, cni.Version{}, cni.Feature(200).Since())
}

func TestReleasesAreTheirFeaturesFirstReleases(t *testing.T) {
	assert.Equal(t, cni.FeaturePodENI.Since(), cni.PodENI)
	assert.Equal(t, cni.FeatureIPv6Branches.Since(), cni.IPv6Branches)
	assert.Equal(t, cni.FeatureTrunkExcluded.Since(), cni.TrunkExcluded)
	assert.Equal(t, cni.FeatureTrunkSlotHeld.Since(), cni.TrunkSlotHeld)
}

func TestFeatureString(t *testing.T) {
	cases := []struct {
		f    cni.Feature
		want string
	}{
		{cni.FeaturePodENI, "pod-eni"},
		{cni.FeatureStandardMode, "standard-mode"},
		{cni.FeatureIPv6Branches, "ipv6-branches"},
		{cni.FeatureTrunkExcluded, "trunk-excluded"},
		{cni.FeatureTrunkSlotHeld, "trunk-slot-held"},
		{cni.FeaturePrefixDelegation, "prefix-delegation"},
		{0, "Feature(0)"},
		{200, "Feature(200)"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, c.f.String())
	}
}

func TestVersionHas(t *testing.T) {
	cases := []struct {
		v    cni.Version
		f    cni.Feature
		want bool
	}{
		{v(1, 6, 9), cni.FeaturePodENI, false},
		{v(1, 7, 0), cni.FeaturePodENI, true},
		{v(1, 10, 3), cni.FeatureStandardMode, false},
		{v(1, 11, 0), cni.FeatureStandardMode, true},
		{v(1, 15, 1), cni.FeatureIPv6Branches, false},
		{v(1, 16, 0), cni.FeatureIPv6Branches, true},
		{v(1, 16, 3), cni.FeatureTrunkExcluded, false},
		{v(1, 16, 4), cni.FeatureTrunkExcluded, true},
		{v(1, 20, 3), cni.FeatureTrunkSlotHeld, false},
		{v(1, 20, 4), cni.FeatureTrunkSlotHeld, true},
		{v(2, 0, 0), cni.FeatureTrunkSlotHeld, true},
		// No release has a feature that is not declared, not even the
		// newest behaviour.
		{v(99, 0, 0), cni.Feature(0), false},
		{cni.Version{}, cni.Feature(0), false},
		{cni.Version{}, cni.Feature(200), false},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, c.v.Has(c.f), "%v.Has(%v)", c.v, c.f)
	}
	for _, f := range features {
		assert.True(t, cni.Version{}.Has(f), "the zero Version is the newest behaviour, so it has %v", f)
	}
}

func TestVersionHasIsAtLeastSince(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		x := release().Draw(t, "v")
		f := rapid.SampledFrom(features).Draw(t, "f")
		assert.Equal(t, x.AtLeast(f.Since()), x.Has(f))
	})
}
