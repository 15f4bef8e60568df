package branch_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/branch"
)

// Upstream: pkg/provider/branch/trunk/trunk.go (MaxAllocatableVlanIds = 121,
// slot 0 marked used at start), so IDs run 1..120.
func TestVLANRangeMatchesTrunkBitmap(t *testing.T) {
	assert.Equal(t, branch.VLAN(1), branch.MinVLAN)
	assert.Equal(t, branch.VLAN(120), branch.MaxVLAN)
	assert.False(t, branch.VLAN(0).IsValid(), "VLAN 0 is never assigned")
	assert.False(t, branch.VLAN(121).IsValid())
}

func TestVLANRoundTripEveryValue(t *testing.T) {
	for v := branch.MinVLAN; v <= branch.MaxVLAN; v++ {
		require.True(t, v.IsValid())
		parsed, err := branch.ParseVLAN(v.String())
		require.NoError(t, err, v)
		require.Equal(t, v, parsed)
		text, err := v.MarshalText()
		require.NoError(t, err)
		var back branch.VLAN
		require.NoError(t, back.UnmarshalText(text))
		require.Equal(t, v, back)
	}
}

func TestParseVLANMalformed(t *testing.T) {
	tests := []struct {
		name, input, why string
	}{
		{"empty", "", "empty"},
		{"zero", "0", "want 1..120"},
		{"above range", "121", "want 1..120"},
		{"far above range", "65535", "want 1..120"},
		{"leading zero", "007", "leading zero"},
		{"plus sign", "+5", "not a decimal digit"},
		{"negative", "-1", "not a decimal digit"},
		{"hex", "1a", "not a decimal digit"},
		{"space", " 5", "not a decimal digit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := branch.ParseVLAN(tt.input)
			require.Error(t, err)
			assert.ErrorIs(t, err, branch.ErrMalformedID)
			var pe *branch.ParseError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, "VLAN ID", pe.Kind)
			assert.Equal(t, tt.input, pe.Input)
			assert.Contains(t, pe.Why, tt.why)
		})
	}
}

func TestVLANInvalidValues(t *testing.T) {
	assert.Equal(t, "VLAN(0)", branch.VLAN(0).String())
	assert.Equal(t, "VLAN(121)", branch.VLAN(121).String())
	_, err := branch.VLAN(0).MarshalText()
	assert.ErrorIs(t, err, branch.ErrMalformedID)
	v := branch.VLAN(7)
	assert.Error(t, v.UnmarshalText([]byte("121")))
	assert.Equal(t, branch.VLAN(7), v, "a failed UnmarshalText leaves the value alone")
}
