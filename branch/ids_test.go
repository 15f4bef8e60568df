package branch_test

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/trunksim/trunksim/branch"
)

var sinkString string

func hexDigitsGen(n int) *rapid.Generator[string] {
	return rapid.StringMatching("[0-9a-f]{" + strconv.Itoa(n) + "}")
}

// securityGroupText generates well-formed security group IDs of both
// widths.
var securityGroupText = rapid.Custom(func(t *rapid.T) string {
	width := rapid.SampledFrom([]int{8, 17}).Draw(t, "width")
	return "sg-" + hexDigitsGen(width).Draw(t, "digits")
})

func TestSecurityGroupIDRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := securityGroupText.Draw(t, "id")
		id, err := branch.ParseSecurityGroupID(s)
		require.NoError(t, err)
		assert.True(t, id.IsValid())
		assert.Equal(t, s, id.String())

		text, err := id.MarshalText()
		require.NoError(t, err)
		assert.Equal(t, s, string(text))
		var back branch.SecurityGroupID
		require.NoError(t, back.UnmarshalText(text))
		assert.Equal(t, id, back)

		again, err := branch.ParseSecurityGroupID(id.String())
		require.NoError(t, err)
		assert.Equal(t, id, again, "parsing is pure")
	})
}

func TestSecurityGroupIDCompareFollowsStringOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := branch.MustParseSecurityGroupID(securityGroupText.Draw(t, "a"))
		b := branch.MustParseSecurityGroupID(securityGroupText.Draw(t, "b"))
		assert.Equal(t, strings.Compare(a.String(), b.String()), a.Compare(b))
		assert.Equal(t, a == b, a.Compare(b) == 0)
	})
}

func TestSecurityGroupIDCompareAcrossWidths(t *testing.T) {
	short := branch.MustParseSecurityGroupID("sg-0123abcd")
	sharedPrefix := branch.MustParseSecurityGroupID("sg-0123abcd000000000")
	before := branch.MustParseSecurityGroupID("sg-0123abcc999999999")
	assert.Equal(t, -1, short.Compare(sharedPrefix), "a proper prefix sorts first")
	assert.Equal(t, 1, short.Compare(before))
	assert.Equal(t, -1, branch.SecurityGroupID{}.Compare(short), "the zero ID sorts first")
}

func TestParseSecurityGroupIDMalformed(t *testing.T) {
	tests := []struct {
		name, input, why string
	}{
		{"empty", "", "empty"},
		{"prefix only", "sg-", "got 0"},
		{"no dash", "sg0123abcd", `prefix "sg-"`},
		{"upper-case prefix", "SG-0123abcd", `prefix "sg-"`},
		{"ENI prefix", "eni-0123456789abcdef0", `prefix "sg-"`},
		{"upper-case hex", "sg-0123ABCD", "uppercase"},
		{"upper-case hex, long form", "sg-0123456789ABCDEF0", "uppercase"},
		{"7 digits", "sg-0123abc", "got 7"},
		{"9 digits", "sg-0123abcde", "got 9"},
		{"16 digits", "sg-0123456789abcdef", "got 16"},
		{"18 digits", "sg-0123456789abcdef01", "got 18"},
		{"non-hex letter", "sg-0123abcg", "not a hex digit"},
		{"leading space", " sg-0123abcd", `prefix "sg-"`},
		{"trailing newline", "sg-0123abc\n", "not a hex digit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := branch.ParseSecurityGroupID(tt.input)
			require.Error(t, err)
			assert.False(t, id.IsValid())
			assert.ErrorIs(t, err, branch.ErrMalformedID)
			var pe *branch.ParseError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, "security group ID", pe.Kind)
			assert.Equal(t, tt.input, pe.Input)
			assert.Contains(t, pe.Why, tt.why)
			assert.Contains(t, err.Error(), "branch: malformed security group ID")
		})
	}
}

func TestMustParseSecurityGroupIDPanicsOnBadLiteral(t *testing.T) {
	assert.PanicsWithError(t, `branch: malformed security group ID "sg-XYZ": want 8 or 17 hex digits after "sg-", got 3`, func() {
		branch.MustParseSecurityGroupID("sg-XYZ")
	})
}

func TestSecurityGroupIDZeroValue(t *testing.T) {
	var id branch.SecurityGroupID
	assert.False(t, id.IsValid())
	assert.Equal(t, "invalid SecurityGroupID", id.String())
	_, err := id.MarshalText()
	assert.ErrorIs(t, err, branch.ErrMalformedID)
	_, err = json.Marshal(id)
	assert.Error(t, err)

	good := branch.MustParseSecurityGroupID("sg-0123abcd")
	assert.Error(t, good.UnmarshalText([]byte("sg-bad")))
	assert.Equal(t, "sg-0123abcd", good.String(), "a failed UnmarshalText leaves the value alone")
}

func TestSecurityGroupIDFromUint64(t *testing.T) {
	assert.Equal(t, "sg-00000000000000001", branch.SecurityGroupIDFromUint64(1).String())
	assert.Equal(t, "sg-0ffffffffffffffff", branch.SecurityGroupIDFromUint64(^uint64(0)).String())
}

func TestSecurityGroupIDJSON(t *testing.T) {
	ids := []branch.SecurityGroupID{branch.MustParseSecurityGroupID("sg-0123abcd"), branch.MustParseSecurityGroupID("sg-0123456789abcdef0")}
	data, err := json.Marshal(ids)
	require.NoError(t, err)
	assert.JSONEq(t, `["sg-0123abcd","sg-0123456789abcdef0"]`, string(data))
	var back []branch.SecurityGroupID
	require.NoError(t, json.Unmarshal(data, &back))
	assert.Equal(t, ids, back)
}

func TestENIIDRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := "eni-" + hexDigitsGen(17).Draw(t, "digits")
		id, err := branch.ParseENIID(s)
		require.NoError(t, err)
		assert.Equal(t, s, id.String())
		text, err := id.MarshalText()
		require.NoError(t, err)
		var back branch.ENIID
		require.NoError(t, back.UnmarshalText(text))
		assert.Equal(t, id, back)
	})
}

func TestENIIDFromUint64(t *testing.T) {
	assert.Equal(t, "eni-00000000000000000", branch.ENIIDFromUint64(0).String())
	assert.Equal(t, "eni-00000000000000001", branch.ENIIDFromUint64(1).String())
	assert.Equal(t, "eni-0ffffffffffffffff", branch.ENIIDFromUint64(^uint64(0)).String())
	rapid.Check(t, func(t *rapid.T) {
		a := rapid.Uint64().Draw(t, "a")
		b := rapid.Uint64().Draw(t, "b")
		ia, ib := branch.ENIIDFromUint64(a), branch.ENIIDFromUint64(b)
		assert.True(t, ia.IsValid())
		assert.Equal(t, a == b, ia == ib, "distinct counters give distinct IDs")
		parsed, err := branch.ParseENIID(ia.String())
		require.NoError(t, err)
		assert.Equal(t, ia, parsed)
		assert.Equal(t, strings.Compare(ia.String(), ib.String()), ia.Compare(ib))
		n, ok := parsed.Uint64()
		assert.True(t, ok)
		assert.Equal(t, a, n, "Uint64 undoes ENIIDFromUint64")
	})
}

// Uint64 refuses IDs that ENIIDFromUint64 cannot make.
func TestENIIDUint64Refuses(t *testing.T) {
	for _, s := range []string{"eni-10000000000000000", "eni-f0123456789abcdef"} {
		id, err := branch.ParseENIID(s)
		require.NoError(t, err)
		_, ok := id.Uint64()
		assert.False(t, ok, s)
	}
	_, ok := branch.ENIID{}.Uint64()
	assert.False(t, ok, "the zero value")
}

func TestParseENIIDMalformed(t *testing.T) {
	tests := []struct {
		name, input, why string
	}{
		{"empty", "", "empty"},
		{"wrong prefix", "sg-0123456789abcdef0", `prefix "eni-"`},
		{"upper-case prefix", "ENI-0123456789abcdef0", `prefix "eni-"`},
		{"upper-case hex", "eni-0123456789ABCDEF0", "uppercase"},
		{"legacy 8 digits", "eni-0123abcd", "want 17 hex digits"},
		{"18 digits", "eni-0123456789abcdef01", "got 18"},
		{"non-hex", "eni-0123456789abcdefz", "not a hex digit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := branch.ParseENIID(tt.input)
			require.Error(t, err)
			assert.False(t, id.IsValid())
			var pe *branch.ParseError
			require.ErrorAs(t, err, &pe)
			assert.True(t, errors.Is(err, branch.ErrMalformedID))
			assert.Equal(t, "ENI ID", pe.Kind)
			assert.Equal(t, tt.input, pe.Input)
			assert.Contains(t, pe.Why, tt.why)
		})
	}
}

func TestENIIDZeroValue(t *testing.T) {
	var id branch.ENIID
	assert.False(t, id.IsValid())
	assert.Equal(t, "invalid ENIID", id.String())
	_, err := id.MarshalText()
	assert.ErrorIs(t, err, branch.ErrMalformedID)
}

func TestIDsAllocationBudget(t *testing.T) {
	sg := branch.MustParseSecurityGroupID("sg-0123456789abcdef0")
	eni := branch.ENIIDFromUint64(42)
	assert.Equal(t, 1.0, testing.AllocsPerRun(100, func() { sinkString = sg.String() }), "String allocates once")
	assert.Equal(t, 1.0, testing.AllocsPerRun(100, func() { sinkString = eni.String() }), "String allocates once")
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		id, _ := branch.ParseSecurityGroupID("sg-0123456789abcdef0")
		sg = id
	}), "parsing a valid ID does not allocate")
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = sg.Compare(branch.MustParseSecurityGroupID("sg-0123abcd")) }))
}
