package limits_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/limits"
)

// validType returns a type that passes Validate, for tests to break one
// field at a time.
func validType(name string) limits.InstanceType {
	return limits.InstanceType{
		Name:                    name,
		Interfaces:              4,
		IPv4PerInterface:        15,
		TrunkingCompatible:      true,
		BranchInterfaces:        18,
		DefaultNetworkCardIndex: 0,
		NetworkCards:            []limits.NetworkCard{{Index: 0, MaxInterfaces: 4}},
		Hypervisor:              limits.HypervisorNitro,
	}
}

func TestLookupKnownType(t *testing.T) {
	it, err := limits.Default().Lookup("m5.large")
	require.NoError(t, err)
	assert.Equal(t, limits.InstanceType{
		Name:                    "m5.large",
		Interfaces:              3,
		IPv4PerInterface:        10,
		TrunkingCompatible:      true,
		BranchInterfaces:        9,
		DefaultNetworkCardIndex: 0,
		NetworkCards:            []limits.NetworkCard{{Index: 0, MaxInterfaces: 3}},
		Hypervisor:              limits.HypervisorNitro,
	}, it)
	assert.Equal(t, "m5", it.Family())
}

func TestLookupUnknownType(t *testing.T) {
	tests := []struct {
		name        string
		suggestions []string
		message     string
	}{
		{"m5.larg", []string{"m5.large"}, `limits: unknown instance type "m5.larg"; did you mean m5.large?`},
		{"M5.Large", []string{"m5.large"}, `limits: unknown instance type "M5.Large"; did you mean m5.large?`},
		{" m5.large ", []string{"m5.large"}, `limits: unknown instance type " m5.large "; did you mean m5.large?`},
		{"m5xlarge", []string{"m5.large", "m5.xlarge"}, `limits: unknown instance type "m5xlarge"; did you mean m5.large or m5.xlarge?`},
		{"c5.lareg", []string{"c5.large"}, `limits: unknown instance type "c5.lareg"; did you mean c5.large?`},
		{"no-such.type", nil, `limits: unknown instance type "no-such.type"`},
		{"xyz", nil, `limits: unknown instance type "xyz"`},
		{"", nil, "limits: empty instance type name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it, err := limits.Default().Lookup(tt.name)
			require.Error(t, err)
			assert.Zero(t, it)
			assert.ErrorIs(t, err, limits.ErrUnknownType)
			var unknown *limits.UnknownTypeError
			require.ErrorAs(t, err, &unknown)
			assert.Equal(t, tt.name, unknown.Name)
			assert.Equal(t, tt.suggestions, unknown.Suggestions)
			assert.EqualError(t, err, tt.message)
		})
	}
}

func TestLookupSuggestsSeveralNamesInOrder(t *testing.T) {
	_, err := limits.Default().Lookup("m5.metl")
	var unknown *limits.UnknownTypeError
	require.ErrorAs(t, err, &unknown)
	assert.Equal(t, []string{"m5.metal"}, unknown.Suggestions)

	// "r5.larg" is one edit from r5.large only; "r5x.large" is one edit from
	// several real names, and at most three are offered, sorted.
	_, err = limits.Default().Lookup("r5x.large")
	require.ErrorAs(t, err, &unknown)
	require.NotEmpty(t, unknown.Suggestions)
	assert.LessOrEqual(t, len(unknown.Suggestions), 3)
	assert.True(t, slices.IsSorted(unknown.Suggestions))
	assert.Contains(t, unknown.Error(), "did you mean ")
}

func TestLookupReturnsACopy(t *testing.T) {
	tbl := limits.Default()
	it, err := tbl.Lookup("p5.48xlarge")
	require.NoError(t, err)
	it.NetworkCards[0].MaxInterfaces = 99
	it.BranchInterfaces = 1

	again, err := tbl.Lookup("p5.48xlarge")
	require.NoError(t, err)
	assert.Equal(t, 2, again.NetworkCards[0].MaxInterfaces)
	assert.Equal(t, 120, again.BranchInterfaces)
	assert.Equal(t, 100, again.MaxPods())
}

func TestAllIsSortedAndOwnedByCaller(t *testing.T) {
	tbl := limits.Default()
	all := tbl.All()
	require.Len(t, all, tbl.Len())
	assert.True(t, slices.IsSortedFunc(all, func(a, b limits.InstanceType) int { return strings.Compare(a.Name, b.Name) }))

	all[0].NetworkCards[0].MaxInterfaces = 0
	all[0].Name = "changed"
	assert.Equal(t, tbl.All()[1:], all[1:])
	fresh := tbl.All()[0]
	assert.Equal(t, "a1.2xlarge", fresh.Name)
	assert.Equal(t, 4, fresh.NetworkCards[0].MaxInterfaces)
}

func TestDefaultIsBuiltOnce(t *testing.T) {
	assert.Same(t, limits.Default(), limits.Default())
}

func TestEmptyTables(t *testing.T) {
	var nilTable *limits.Table
	for name, tbl := range map[string]*limits.Table{"nil": nilTable, "zero": {}, "NewTable(nil)": mustTable(t, nil)} {
		t.Run(name, func(t *testing.T) {
			assert.Zero(t, tbl.Len())
			assert.Empty(t, tbl.All())
			_, err := tbl.Lookup("m5.large")
			assert.ErrorIs(t, err, limits.ErrUnknownType)
			_, err = tbl.CanTrunk("m5.large", limits.OSLinux)
			assert.ErrorIs(t, err, limits.ErrUnknownType)
			grown, err := tbl.With(validType("x9.large"))
			require.NoError(t, err)
			assert.Equal(t, 1, grown.Len())
		})
	}
}

func mustTable(t *testing.T, types []limits.InstanceType) *limits.Table {
	t.Helper()
	tbl, err := limits.NewTable(types)
	require.NoError(t, err)
	return tbl
}

func TestNewTableSortsAndCopiesInput(t *testing.T) {
	input := []limits.InstanceType{validType("z1.large"), validType("a1.large")}
	tbl := mustTable(t, input)
	input[0].NetworkCards[0].MaxInterfaces = 1
	input[1].Name = "renamed"

	all := tbl.All()
	assert.Equal(t, []string{"a1.large", "z1.large"}, []string{all[0].Name, all[1].Name})
	it, err := tbl.Lookup("z1.large")
	require.NoError(t, err)
	assert.Equal(t, 4, it.NetworkCards[0].MaxInterfaces)
}

func TestNewTableRejectsBadInput(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*limits.InstanceType)
		field  string
	}{
		{"empty name", func(it *limits.InstanceType) { it.Name = "" }, "Name"},
		{"upper case", func(it *limits.InstanceType) { it.Name = "M9.Large" }, "Name"},
		{"space", func(it *limits.InstanceType) { it.Name = "m9 large" }, "Name"},
		{"no interfaces", func(it *limits.InstanceType) { it.Interfaces = 0 }, "Interfaces"},
		{"negative interfaces", func(it *limits.InstanceType) { it.Interfaces = -1 }, "Interfaces"},
		{"no addresses", func(it *limits.InstanceType) { it.IPv4PerInterface = 0 }, "IPv4PerInterface"},
		{"negative branches", func(it *limits.InstanceType) { it.BranchInterfaces = -3 }, "BranchInterfaces"},
		{"too many branches", func(it *limits.InstanceType) { it.BranchInterfaces = 121 }, "BranchInterfaces"},
		{"compatible without branches", func(it *limits.InstanceType) { it.BranchInterfaces = 0 }, "BranchInterfaces"},
		{"branches without compatibility", func(it *limits.InstanceType) { it.TrunkingCompatible = false }, "BranchInterfaces"},
		{"zero hypervisor", func(it *limits.InstanceType) { it.Hypervisor = 0 }, "Hypervisor"},
		{"undeclared hypervisor", func(it *limits.InstanceType) { it.Hypervisor = 9 }, "Hypervisor"},
		{"no cards", func(it *limits.InstanceType) { it.NetworkCards = nil }, "NetworkCards"},
		{"negative card index", func(it *limits.InstanceType) { it.NetworkCards[0].Index = -1 }, "NetworkCards[0].Index"},
		{"empty card", func(it *limits.InstanceType) { it.NetworkCards[0].MaxInterfaces = 0 }, "NetworkCards[0].MaxInterfaces"},
		{"repeated card", func(it *limits.InstanceType) {
			it.NetworkCards = []limits.NetworkCard{{Index: 0, MaxInterfaces: 2}, {Index: 0, MaxInterfaces: 2}}
		}, "NetworkCards[1].Index"},
		{"default card missing", func(it *limits.InstanceType) { it.DefaultNetworkCardIndex = 1 }, "DefaultNetworkCardIndex"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := validType("x9.large")
			tt.mutate(&bad)
			tbl, err := limits.NewTable([]limits.InstanceType{validType("a1.large"), bad})
			assert.Nil(t, tbl)
			require.ErrorIs(t, err, limits.ErrInvalidType)
			var invalid *limits.InvalidTypeError
			require.ErrorAs(t, err, &invalid)
			assert.Equal(t, bad.Name, invalid.Type)
			assert.Equal(t, tt.field, invalid.Field)
			assert.Contains(t, err.Error(), tt.field)
			assert.Equal(t, err, bad.Validate(), "NewTable reports what Validate reports")
		})
	}
}

func TestNewTableRejectsDuplicateNames(t *testing.T) {
	_, err := limits.NewTable([]limits.InstanceType{validType("x9.large"), validType("a1.large"), validType("x9.large")})
	require.ErrorIs(t, err, limits.ErrInvalidType)
	assert.EqualError(t, err, `limits: instance type "x9.large": Name appears more than once`)
}

func TestInvalidTypeErrorMessage(t *testing.T) {
	bad := validType("x9.large")
	bad.BranchInterfaces = 0
	assert.EqualError(t, bad.Validate(), `limits: instance type "x9.large": BranchInterfaces is 0 but TrunkingCompatible is true`)
}

func TestWithAddsAndOverridesWithoutTouchingOriginal(t *testing.T) {
	base := limits.Default()
	before := base.All()

	bigger := validType("m5.large")
	bigger.BranchInterfaces = 20
	newType := validType("x9.large")
	planned, err := base.With(bigger, newType)
	require.NoError(t, err)

	assert.Equal(t, base.Len()+1, planned.Len())
	got, err := planned.Lookup("m5.large")
	require.NoError(t, err)
	assert.Equal(t, 20, got.BranchInterfaces)
	_, err = planned.Lookup("x9.large")
	require.NoError(t, err)
	assert.True(t, slices.IsSortedFunc(planned.All(), func(a, b limits.InstanceType) int { return strings.Compare(a.Name, b.Name) }))

	assert.Equal(t, before, base.All(), "the original table is unchanged")
	orig, err := base.Lookup("m5.large")
	require.NoError(t, err)
	assert.Equal(t, 9, orig.BranchInterfaces)
	_, err = base.Lookup("x9.large")
	assert.ErrorIs(t, err, limits.ErrUnknownType)
}

func TestWithFailureLeavesOriginal(t *testing.T) {
	base := limits.Default()
	bad := validType("m5.large")
	bad.TrunkingCompatible = false

	planned, err := base.With(validType("x9.large"), bad)
	assert.Nil(t, planned)
	assert.ErrorIs(t, err, limits.ErrInvalidType)
	_, err = base.With(validType("x9.large"), validType("x9.large"))
	assert.ErrorIs(t, err, limits.ErrInvalidType)

	it, err := base.Lookup("m5.large")
	require.NoError(t, err)
	assert.True(t, it.TrunkingCompatible)
	_, err = base.Lookup("x9.large")
	assert.ErrorIs(t, err, limits.ErrUnknownType)
}

func TestTableIsSafeForConcurrentUse(t *testing.T) {
	names := []string{"m5.large", "c5.xlarge", "t3.large", "m5.larg"}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for range 100 {
				it, err := limits.Default().Lookup(name)
				if err == nil {
					it.NetworkCards[0].MaxInterfaces++
				} else {
					var unknown *limits.UnknownTypeError
					assert.True(t, errors.As(err, &unknown))
				}
			}
		})
	}
}

func TestHypervisorStringParse(t *testing.T) {
	for _, h := range []limits.Hypervisor{limits.HypervisorNitro, limits.HypervisorXen, limits.HypervisorNone} {
		parsed, err := limits.ParseHypervisor(h.String())
		require.NoError(t, err)
		assert.Equal(t, h, parsed)
		text, err := h.MarshalText()
		require.NoError(t, err)
		var back limits.Hypervisor
		require.NoError(t, back.UnmarshalText(text))
		assert.Equal(t, h, back)
	}
	assert.Equal(t, []string{"nitro", "xen", "none", "Hypervisor(0)"},
		[]string{limits.HypervisorNitro.String(), limits.HypervisorXen.String(), limits.HypervisorNone.String(), limits.Hypervisor(0).String()})
	for _, in := range []string{"", "Nitro", "kvm"} {
		_, err := limits.ParseHypervisor(in)
		assert.ErrorIs(t, err, limits.ErrInvalidValue, in)
	}
	_, err := limits.Hypervisor(0).MarshalText()
	assert.ErrorIs(t, err, limits.ErrInvalidValue)
	var h limits.Hypervisor
	assert.ErrorIs(t, h.UnmarshalText([]byte("kvm")), limits.ErrInvalidValue)
	assert.Zero(t, h, "a failed UnmarshalText leaves the value alone")
}

func TestOSStringParse(t *testing.T) {
	for _, o := range []limits.OS{limits.OSLinux, limits.OSWindows} {
		parsed, err := limits.ParseOS(o.String())
		require.NoError(t, err)
		assert.Equal(t, o, parsed)
		text, err := o.MarshalText()
		require.NoError(t, err)
		var back limits.OS
		require.NoError(t, back.UnmarshalText(text))
		assert.Equal(t, o, back)
	}
	assert.Equal(t, "linux", limits.OSLinux.String())
	assert.Equal(t, "windows", limits.OSWindows.String())
	assert.Equal(t, "OS(0)", limits.OS(0).String())
	_, err := limits.ParseOS("macos")
	assert.EqualError(t, err, `limits: invalid OS "macos" (want linux or windows)`)
	assert.ErrorIs(t, err, limits.ErrInvalidValue)
	_, err = limits.ParseOS("Linux")
	assert.ErrorIs(t, err, limits.ErrInvalidValue)
	_, err = limits.OS(7).MarshalText()
	assert.ErrorIs(t, err, limits.ErrInvalidValue)
	o := limits.OSLinux
	assert.ErrorIs(t, o.UnmarshalText(nil), limits.ErrInvalidValue)
	assert.Equal(t, limits.OSLinux, o)
}
