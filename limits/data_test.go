package limits_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/limits"
)

// dataRecord mirrors one entry of data/limits.json. The test decodes the
// file on its own rather than through internal/limitsgen, so the generated
// table is checked against an independent reading of the data.
type dataRecord struct {
	InstanceType            string `json:"instanceType"`
	Interfaces              int    `json:"interfaces"`
	IPv4PerInterface        int    `json:"ipv4PerInterface"`
	TrunkingCompatible      bool   `json:"trunkingCompatible"`
	BranchInterfaces        int    `json:"branchInterfaces"`
	DefaultNetworkCardIndex int    `json:"defaultNetworkCardIndex"`
	NetworkCards            []struct {
		Index         int `json:"index"`
		MaxInterfaces int `json:"maxInterfaces"`
	} `json:"networkCards"`
	Hypervisor string `json:"hypervisor"`
	BareMetal  bool   `json:"bareMetal"`
}

func loadDataFile(t testing.TB) []dataRecord {
	t.Helper()
	raw, err := os.ReadFile("data/limits.json")
	require.NoError(t, err)
	var file struct {
		InstanceTypes []dataRecord `json:"instanceTypes"`
	}
	require.NoError(t, json.Unmarshal(raw, &file))
	require.NotEmpty(t, file.InstanceTypes)
	return file.InstanceTypes
}

// toInstanceType converts a record; upstream writes bare metal's missing
// hypervisor as "".
func toInstanceType(t testing.TB, r dataRecord) limits.InstanceType {
	t.Helper()
	hv := limits.HypervisorNone
	if r.Hypervisor != "" {
		var err error
		hv, err = limits.ParseHypervisor(r.Hypervisor)
		require.NoError(t, err, r.InstanceType)
	}
	it := limits.InstanceType{
		Name:                    r.InstanceType,
		Interfaces:              r.Interfaces,
		IPv4PerInterface:        r.IPv4PerInterface,
		TrunkingCompatible:      r.TrunkingCompatible,
		BranchInterfaces:        r.BranchInterfaces,
		DefaultNetworkCardIndex: r.DefaultNetworkCardIndex,
		Hypervisor:              hv,
		BareMetal:               r.BareMetal,
	}
	for _, c := range r.NetworkCards {
		it.NetworkCards = append(it.NetworkCards, limits.NetworkCard{Index: c.Index, MaxInterfaces: c.MaxInterfaces})
	}
	return it
}

func TestDefaultTableEqualsDataFile(t *testing.T) {
	var want []limits.InstanceType
	for _, r := range loadDataFile(t) {
		want = append(want, toInstanceType(t, r))
	}
	got := dataFileTable(t).All()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("generated table differs from data/limits.json (-data +table); run go generate ./limits:\n%s", diff)
	}
	assert.Equal(t, len(want), dataFileTable(t).Len())
}

func TestDefaultTablePassesValidation(t *testing.T) {
	// Default skips validation for speed; this is what makes that safe.
	tbl, err := limits.NewTable(dataFileTable(t).All())
	require.NoError(t, err)
	assert.Equal(t, dataFileTable(t).All(), tbl.All())
}

// Upstream: pkg/aws/vpc/limits.go (Limits). The snapshot lists 1,164 types,
// 1,060 of them trunking compatible.
func TestDefaultTableCounts(t *testing.T) {
	compatible := 0
	for _, it := range dataFileTable(t).All() {
		if it.TrunkingCompatible {
			compatible++
		}
	}
	assert.Equal(t, 1164, dataFileTable(t).Len())
	assert.Equal(t, 1060, compatible)
	assert.Equal(t, 104, dataFileTable(t).Len()-compatible)
}

// Upstream: pkg/aws/vpc/limits_test.go (TestBranchInterfaceMatchSupportFlag)
// checks compatible => branches > 0; the data also holds the converse.
func TestBranchInterfaceMatchSupportFlag(t *testing.T) {
	for _, it := range dataFileTable(t).All() {
		assert.Equalf(t, it.TrunkingCompatible, it.BranchInterfaces > 0, "%s: compatible=%t branches=%d",
			it.Name, it.TrunkingCompatible, it.BranchInterfaces)
	}
}

// Upstream: pkg/aws/vpc/limits_test.go (TestInstanceTypesHavingNetworkMetadata,
// TestDefaultNetworkCardIndex, TestInstanceInterfacesMatchNetworkCards). The
// last one exempts three types upstream; in this snapshot none needs it.
func TestNetworkCardsAreConsistent(t *testing.T) {
	for _, it := range dataFileTable(t).All() {
		require.NotEmptyf(t, it.NetworkCards, "%s has no network card", it.Name)
		sum, defaultCard := 0, 0
		for _, c := range it.NetworkCards {
			sum += c.MaxInterfaces
			if c.Index == it.DefaultNetworkCardIndex {
				defaultCard = c.MaxInterfaces
			}
		}
		assert.Positivef(t, defaultCard, "%s: default card %d is not listed", it.Name, it.DefaultNetworkCardIndex)
		assert.Equalf(t, it.Interfaces, sum, "%s: interfaces differ from the sum over cards", it.Name)
	}
}

// Upstream: pkg/provider/branch/trunk/trunk.go (MaxAllocatableVlanIds = 121,
// VLAN 0 never assigned): no type may promise more branches than VLAN IDs.
func TestBranchInterfacesFitVLANRange(t *testing.T) {
	most := 0
	for _, it := range dataFileTable(t).All() {
		most = max(most, it.BranchInterfaces)
	}
	assert.Equal(t, limits.MaxBranchInterfaces, most, "the largest types use every VLAN ID")
}

// Every type's figures, recomputed from the raw record with the formulas
// written out once more in the simplest form.
func TestEveryTypeFiguresMatchDataFile(t *testing.T) {
	tbl := dataFileTable(t)
	for _, r := range loadDataFile(t) {
		it, err := tbl.Lookup(r.InstanceType)
		require.NoError(t, err)

		enis := r.Interfaces
		for _, c := range r.NetworkCards {
			if c.Index == r.DefaultNetworkCardIndex && c.MaxInterfaces < enis {
				enis = c.MaxInterfaces
			}
		}
		withTrunk := enis * (r.IPv4PerInterface - 1)
		if r.TrunkingCompatible {
			withTrunk = (enis - 1) * (r.IPv4PerInterface - 1)
		}
		assert.Equal(t, enis, it.DefaultCardInterfaces(), r.InstanceType)
		assert.Equal(t, enis*(r.IPv4PerInterface-1)+2, it.MaxPods(), r.InstanceType)
		assert.Equal(t, enis*(r.IPv4PerInterface-1), it.IPPods(false), r.InstanceType)
		assert.Equal(t, withTrunk, it.IPPods(true), r.InstanceType)
		assert.Equal(t, r.BranchInterfaces, it.BranchPods(), r.InstanceType)
		assert.Equal(t, r.TrunkingCompatible, it.CanTrunk(limits.OSLinux) == nil, r.InstanceType)
	}
}

// dataFileTable is the table of data/limits.json, resource-controller
// v1.7.19's (the same as master b8d4251), which the tests here compare
// with the data file; Default is the newest release's.
func dataFileTable(t testing.TB) *limits.Table {
	t.Helper()
	tbl, err := limits.ForRelease("v1.7.19")
	require.NoError(t, err)
	return tbl
}
