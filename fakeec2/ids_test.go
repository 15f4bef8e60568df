package fakeec2

import (
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/trunksim/trunksim/branch"
)

// AppendENIDigits spells the digits of branch.ENIIDFromUint64, so the
// trace and the association IDs read as they did through ENIID.String.
func TestENIDigitsSpellTheENIID(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.Uint64().Draw(t, "n")
		require.Equal(t, branch.ENIIDFromUint64(n).String(), string(AppendENIDigits([]byte("eni-"), n)))
	})
	for _, n := range []uint64{0, 1, 0xf, 1 << 63, ^uint64(0)} {
		require.Equal(t, branch.ENIIDFromUint64(n).String(), string(AppendENIDigits([]byte("eni-"), n)))
	}
}
