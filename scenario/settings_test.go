package scenario

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/trunksim/trunksim/sim"
)

// every-key.yaml must use every setting of sim's table, so a setting
// added there is parsed, written and round-tripped by the tests that read
// the file.
func TestEveryKeyUsesEverySetting(t *testing.T) {
	sc, err := Load("testdata/every-key.yaml")
	require.NoError(t, err)
	cfg := sc.Config(nil)
	for _, s := range sim.Settings() {
		assert.True(t, s.IsSet(&cfg), "testdata/every-key.yaml does not set %s", s.Key())
	}
	assert.NotZero(t, sc.Until)
	assert.NotEmpty(t, sc.EC2.Faults)
	assert.True(t, sc.Network.ExternalSNAT)
}

// Each of the format's own keys follows a setting that exists, so none
// drops out of the format when a setting is renamed.
func TestOwnKeysHaveTheirPlace(t *testing.T) {
	settings := sim.Settings()
	for i := range ownKeys {
		found := 0
		for _, k := range sectionKeys(ownKeys[i].section, settings) {
			if k.own == &ownKeys[i] {
				found++
			}
		}
		assert.Equal(t, 1, found, ownKeys[i].name)
	}
}

// drawSetting draws a value a scenario file may write for s.
func drawSetting(t *rapid.T, s sim.Setting) any {
	switch s.Kind() {
	case sim.KindDuration:
		return time.Duration(rapid.Int64Range(max(s.Min, 1), int64(MaxTime)).Draw(t, s.Key()))
	case sim.KindNumber:
		return rapid.Float64Range(1e-9, 1e9).Draw(t, s.Key())
	case sim.KindCount:
		hi := s.Max
		if hi == 0 {
			hi = MaxCount
		}
		return int(rapid.Int64Range(max(s.Min, 1), hi).Draw(t, s.Key()))
	case sim.KindBool:
		return rapid.Bool().Draw(t, s.Key())
	case sim.KindEnum:
		return rapid.SampledFrom(s.Values()).Draw(t, s.Key())
	case sim.KindVersion:
		return fmt.Sprintf("v1.%d.%d", rapid.IntRange(7, 40).Draw(t, "minor"), rapid.IntRange(0, 20).Draw(t, "patch"))
	}
	return rapid.Uint64().Draw(t, s.Key())
}

func TestPropertyEverySettingRoundTrips(t *testing.T) {
	settings := sim.Settings()
	rapid.Check(t, func(t *rapid.T) {
		var cfg sim.Config
		for _, s := range settings {
			if rapid.Bool().Draw(t, "set "+s.Key()) {
				require.NoError(t, s.SetValue(&cfg, drawSetting(t, s)))
			}
		}
		sc := &Scenario{File: "gen.yaml"}
		sc.setConfig(cfg)
		out, err := sc.Marshal()
		require.NoError(t, err)
		back, err := Parse(sc.File, out)
		require.NoError(t, err, "%s", out)
		got := back.Config(nil)
		for _, s := range settings {
			require.Equal(t, s.Value(&cfg), s.Value(&got), "%s in\n%s", s.Key(), out)
			_, written := back.lines[s.Key()]
			require.Equal(t, s.IsSet(&cfg), written, "%s is written exactly when set:\n%s", s.Key(), out)
		}
	})
}

// drawBad draws a value of the wrong type or out of bounds for s, and the
// error it must give.
func drawBad(t *rapid.T, s sim.Setting) (string, error) {
	other := `"yes"` // a string where a string does not belong
	switch s.Kind() {
	case sim.KindDuration, sim.KindEnum, sim.KindVersion:
		other = "true"
	}
	wrongType := rapid.SampledFrom([]string{"[1]", "{a: 1}", other}).Draw(t, "wrong")
	if rapid.Bool().Draw(t, "type?") {
		return wrongType, ErrWrongType
	}
	var bad []string
	switch s.Kind() {
	case sim.KindDuration:
		bad = []string{"-1s", "9000h", "5", "5 minutes"}
		if !zeroByDefault(s) { // zero is the default of those that are zero by default
			bad = append(bad, "0s")
		}
	case sim.KindNumber:
		bad = []string{"0", "-2", ".nan", ".inf"}
	case sim.KindCount:
		bad = []string{"-3", fmt.Sprint(MaxCount + 1)}
		if !zeroByDefault(s) {
			bad = append(bad, "0")
		}
		if s.Max != 0 {
			bad = append(bad, fmt.Sprint(s.Max+1))
		}
	case sim.KindEnum:
		bad = []string{"nope", strings.ToUpper(s.Values()[0]), `""`}
	case sim.KindVersion:
		bad = []string{"v1.6.3", "latest", `"1.2"`}
	case sim.KindSeed:
		bad = []string{"-1", "-7"}
	default:
		return wrongType, ErrWrongType
	}
	return rapid.SampledFrom(bad).Draw(t, "bad"), ErrInvalidValue
}

func TestPropertyBadSettingIsRefusedNamingItsKey(t *testing.T) {
	settings := sim.Settings()
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.SampledFrom(settings).Draw(t, "setting")
		value, want := drawBad(t, s)
		doc := s.Name + ": " + value + "\n"
		line := 1
		if s.Section != sim.SectionTop {
			doc, line = s.Section.String()+":\n  "+doc, 2
		}
		_, err := Parse("bad.yaml", []byte(doc))
		var e *Error
		require.True(t, errors.As(err, &e), "%q: %v", doc, err)
		require.Equal(t, s.Key(), e.Field, doc)
		require.Equal(t, line, e.Line, doc)
		require.ErrorIs(t, err, want, doc)
	})
}
