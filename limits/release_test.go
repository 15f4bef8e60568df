package limits_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/limits"
)

func mustRelease(t *testing.T, v string) *limits.Table {
	t.Helper()
	tbl, err := limits.ForRelease(v)
	require.NoError(t, err)
	return tbl
}

// TestReleaseTableCounts checks the number of types and of trunk-compatible
// types in each release's table against upstream
// pkg/aws/vpc/limits.go of aws/amazon-vpc-resource-controller-k8s at that
// release (read at v1.7.20, v1.7.22, v1.7.23, v1.7.24, v1.7.25, v1.8.0,
// v1.8.1 and v1.8.2 from the module cache; v1.7.19 and master b8d4251 are
// data/limits.json).
func TestReleaseTableCounts(t *testing.T) {
	tests := []struct {
		release           string
		types, compatible int
	}{
		{"v1.7.19", 1164, 1060},
		{"master", 1164, 1060},
		{"v1.7.20", 1290, 1186},
		{"v1.7.22", 1290, 1186},
		{"v1.7.23", 1346, 1242},
		{"v1.8.0", 1346, 1242},
		{"v1.8.1", 1401, 1298},
		{"v1.7.24", 1423, 1320},
		{"v1.7.25", 1423, 1320},
		{"v1.8.2", 1423, 1320},
	}
	for _, tt := range tests {
		t.Run(tt.release, func(t *testing.T) {
			tbl := mustRelease(t, tt.release)
			assert.Equal(t, tt.release, tbl.Release())
			all := tbl.All()
			compatible := 0
			for _, it := range all {
				if it.TrunkingCompatible {
					compatible++
				}
			}
			assert.Equal(t, tt.types, len(all))
			assert.Equal(t, tt.compatible, compatible)
			// The generated tables skip validation when built; check it here.
			_, err := limits.NewTable(all)
			assert.NoError(t, err)
		})
	}
}

// TestI4iLargeTrunkCompatibleFromV181 follows upstream
// pkg/aws/vpc/limits.go: i4i.large has IsTrunkingCompatible false and no
// branches up to v1.8.0 (= v1.7.23), and 9 branches from v1.8.1 on.
func TestI4iLargeTrunkCompatibleFromV181(t *testing.T) {
	for _, v := range limits.Releases() {
		it, err := mustRelease(t, v).Lookup("i4i.large")
		require.NoError(t, err, v)
		compatible := v == "v1.8.1" || v == "v1.8.2" || v == "v1.7.24" || v == "v1.7.25"
		assert.Equal(t, compatible, it.TrunkingCompatible, v)
		want := 0
		if compatible {
			want = 9
		}
		assert.Equal(t, want, it.BranchInterfaces, v)
	}
}

// TestLoadDetailsSizesDeviceIndexesByDefaultCard follows upstream
// pkg/aws/ec2/instance.go (LoadDetails, v1.8.2), which sizes a node's
// device indexes as min(Interface, default card's MaximumNetworkInterfaces),
// and pkg/aws/vpc/limits.go, where i7ie.48xlarge and i8ge.48xlarge (and
// their metal twins) gained a second network card in v1.7.24 and v1.8.2
// (= v1.7.25) but not in v1.8.1: 8 and 12 usable device indexes instead
// of 15 and 24, with the same branch figures.
func TestLoadDetailsSizesDeviceIndexesByDefaultCard(t *testing.T) {
	split := map[string]bool{"v1.7.24": true, "v1.7.25": true, "v1.8.2": true}
	types := []struct {
		name                   string
		whole, split, branches int
	}{
		{"i7ie.48xlarge", 15, 8, 107},
		{"i7ie.metal-48xl", 15, 8, 107},
		{"i8ge.48xlarge", 24, 12, 98},
		{"i8ge.metal-48xl", 24, 12, 98},
	}
	for _, v := range limits.Releases() {
		tbl := mustRelease(t, v)
		for _, tt := range types {
			it, err := tbl.Lookup(tt.name)
			require.NoError(t, err)
			want, cards := tt.whole, 1
			if split[v] {
				want, cards = tt.split, 2
			}
			assert.Equal(t, want, it.DefaultCardInterfaces(), "%s %s", v, tt.name)
			assert.Len(t, it.NetworkCards, cards, "%s %s", v, tt.name)
			assert.Equal(t, tt.branches, it.BranchInterfaces, "%s %s", v, tt.name)
		}
	}
}

func TestForReleaseUnknown(t *testing.T) {
	for _, v := range []string{"", "v1.9.0", "1.8.2", "V1.8.2", "v1.7.21", "latest"} {
		tbl, err := limits.ForRelease(v)
		assert.Nil(t, tbl)
		require.ErrorIs(t, err, limits.ErrUnknownRelease, v)
		var unknown *limits.UnknownReleaseError
		require.ErrorAs(t, err, &unknown)
		assert.Equal(t, v, unknown.Release)
		assert.Equal(t, limits.Releases(), unknown.Known)
		assert.Contains(t, err.Error(), "v1.7.19, v1.7.20, v1.7.22, v1.7.23, v1.7.24, v1.7.25, v1.8.0, v1.8.1, v1.8.2, master")
	}
}

func TestReleases(t *testing.T) {
	assert.Equal(t, []string{"v1.7.19", "v1.7.20", "v1.7.22", "v1.7.23", "v1.7.24", "v1.7.25",
		"v1.8.0", "v1.8.1", "v1.8.2", "master"}, limits.Releases())
	assert.Equal(t, "v1.8.2", limits.NewestRelease())
	assert.Equal(t, []string{"v1.7.24", "v1.7.25", "v1.8.2"}, limits.SameTable("v1.8.2"))
	assert.Equal(t, []string{"v1.7.23", "v1.8.0"}, limits.SameTable("v1.7.23"))
	assert.Equal(t, []string{"v1.7.19", "master"}, limits.SameTable("master"))
	assert.Nil(t, limits.SameTable("v9"))
	src, at := limits.ReleaseSource("v1.8.1")
	assert.Equal(t, "github.com/aws/amazon-vpc-resource-controller-k8s@v1.8.1 pkg/aws/vpc/limits.go", src)
	assert.Equal(t, "2026-08-06T04:02:42Z", at)
}

func TestForReleaseSharesTables(t *testing.T) {
	a, b := mustRelease(t, "v1.7.23"), mustRelease(t, "v1.8.0")
	assert.Same(t, a, mustRelease(t, "v1.7.23"), "same release, same table")
	assert.Equal(t, a.All(), b.All())
	assert.Equal(t, "v1.7.23", a.Release())
	assert.Equal(t, "v1.8.0", b.Release())
	assert.Equal(t, limits.DefaultRelease, limits.Default().Release())
	assert.Equal(t, limits.Default().All(), mustRelease(t, "v1.8.2").All())

	with, err := b.With(limits.InstanceType{Name: "zz1.large", Interfaces: 1, IPv4PerInterface: 2,
		NetworkCards: []limits.NetworkCard{{MaxInterfaces: 1}}, Hypervisor: limits.HypervisorNitro})
	require.NoError(t, err)
	assert.Equal(t, "v1.8.0", with.Release(), "a table made by With keeps its release")
	empty, err := limits.NewTable(nil)
	require.NoError(t, err)
	assert.Empty(t, empty.Release())
}

func TestNewestReleaseWith(t *testing.T) {
	tests := []struct {
		name, want string
		ok         bool
	}{
		{"m5.large", "v1.8.2", true},
		{"r9g.large", "v1.8.2", true},
		{"c9g.large", "v1.8.2", true},
		{"no.such", "", false},
	}
	for _, tt := range tests {
		got, ok := limits.NewestReleaseWith(tt.name)
		assert.Equal(t, tt.ok, ok, tt.name)
		assert.Equal(t, tt.want, got, tt.name)
	}
}

// TestCNIMaxPodsMatchesTableFormula checks the VPC CNI's
// misc/eni-max-pods.txt (aws/amazon-vpc-cni-k8s v1.23.2) against
// InstanceType.MaxPods for every type of the newest release's table that
// the file lists: both count the default card's ENIs
// (scripts/gen_vpc_ip_limits.go).
func TestCNIMaxPodsMatchesTableFormula(t *testing.T) {
	listed := 0
	for _, it := range mustRelease(t, limits.NewestRelease()).All() {
		pods, ok := limits.CNIMaxPods(it.Name)
		if !ok {
			continue
		}
		listed++
		assert.Equal(t, it.MaxPods(), pods, it.Name)
	}
	assert.Equal(t, 1423-51, listed, "the CNI file lacks 51 types of v1.8.2's table (r9g, r9gd, ...)")
	pods, ok := limits.CNIMaxPods("c8ib.large")
	assert.True(t, ok)
	assert.Equal(t, 78, pods)
	_, ok = limits.CNIMaxPods("r9g.large")
	assert.False(t, ok, "CNI v1.23.2 does not list r9g")
	_, ok = limits.CNIMaxPods("")
	assert.False(t, ok)
	assert.Equal(t, "github.com/aws/amazon-vpc-cni-k8s@v1.23.2 misc/eni-max-pods.txt", limits.CNIMaxPodsSource())
}

func TestUnknownReleaseErrorMessage(t *testing.T) {
	err := &limits.UnknownReleaseError{Release: "v2", Known: []string{"v1", "master"}}
	assert.Equal(t, `limits: unknown controller release "v2" (known: v1, master)`, err.Error())
	assert.True(t, errors.Is(err, limits.ErrUnknownRelease))
}

func TestNotInReleaseError(t *testing.T) {
	err := &limits.NotInReleaseError{Type: "r9g.large", Release: "v1.7.19", Newest: "v1.8.2"}
	assert.Equal(t, `limits: instance type "r9g.large" is not in the instance table of resource-controller release v1.7.19; release v1.8.2 has it (controller.version: v1.8.2)`, err.Error())
	assert.ErrorIs(t, err, limits.ErrUnknownType)
	assert.ErrorIs(t, err, limits.ErrNotTrunkCompatible)
	err.Release = ""
	assert.Contains(t, err.Message(), "is not in the given instance table; release v1.8.2 has it")
}
