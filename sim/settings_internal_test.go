package sim

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/trunksim/trunksim/controller"
	"github.com/trunksim/trunksim/karpenter"
)

// text writes a value of the type Setting.Value returns as Default does.
func text(v any) string {
	switch v := v.(type) {
	case time.Duration:
		return v.String()
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return fmt.Sprint(v)
}

func TestSettingsTableIsWellFormed(t *testing.T) {
	keys, fields := map[string]bool{}, map[string]bool{}
	for _, s := range Settings() {
		assert.False(t, keys[s.Key()], "key %s declared twice", s.Key())
		assert.False(t, fields[s.Field], "field %s declared twice", s.Field)
		keys[s.Key()], fields[s.Field] = true, true
		assert.NotEmpty(t, s.Doc, s.Key())
		assert.NotContains(t, s.Kind().String(), "SettingKind(", s.Key())
		assert.Equal(t, s.Kind() == KindEnum, len(s.Values()) > 0, s.Key())
		if s.Max != 0 {
			assert.Less(t, s.Min, s.Max, s.Key())
		}
	}
	assert.Equal(t, "controller.preset", Settings()[0].Key(), "the preset comes first: the other defaults depend on it")
}

// SetValue takes what Value gives, and a value of another type is an
// error rather than a panic.
func TestSettingValueRoundTrips(t *testing.T) {
	filled, err := Config{Seed: 7, Kubelet: Kubelet{AWSNodeLag: time.Second}, CNI: CNI{Version: CNITrunkSlotHeld, MaxENI: 2}, Controller: Controller{Release: controller.ReleaseV1_8_2}, Karpenter: karpenter.Config{ReservedENIs: 1}}.withDefaults()
	require.NoError(t, err)
	for _, s := range Settings() {
		var c Config
		require.NoError(t, s.SetValue(&c, s.Value(&filled)), s.Key())
		assert.Equal(t, s.Value(&filled), s.Value(&c), s.Key())
		assert.True(t, s.IsSet(&c) || s.Kind() == KindBool, s.Key())
		err := s.SetValue(&c, struct{}{})
		assert.ErrorIs(t, err, ErrBadConfig, s.Key())
		assert.ErrorContains(t, err, s.Field, s.Key())
	}
}

// The raised-limits preset is upstream PR #675: the EC2 user client at 24
// QPS / burst 36 and 20 node manager workers; nothing else changes.
func TestSettingsDefaultsAreUpstreamsAndThePresets(t *testing.T) {
	raised := map[string]string{"controller.userClientQPS": "24", "controller.userClientBurst": "36", "controller.nodeWorkers": "20"}
	for _, s := range Settings() {
		if r, ok := raised[s.Key()]; ok {
			assert.Equal(t, r, s.Default(PresetRaisedLimits), s.Key())
			assert.NotEqual(t, r, s.Default(PresetUpstream), s.Key())
		} else {
			assert.Equal(t, s.Default(PresetUpstream), s.Default(PresetRaisedLimits), s.Key())
		}
	}
	for _, p := range []Preset{PresetUpstream, PresetRaisedLimits} {
		c, err := Config{Controller: Controller{Preset: p}}.withDefaults()
		require.NoError(t, err)
		for _, s := range Settings() {
			if s.Field == "Controller.Release" {
				// A preset names its release itself; the field stays unset.
				assert.False(t, s.IsSet(&c), "%s under %v", s.Key(), p)
				continue
			}
			if s.Default(p) == "" || s.Kind() == KindSeed {
				assert.False(t, s.IsSet(&c), "%s has no default", s.Key())
				continue
			}
			want := s.Default(p)
			if s.Field == "Controller.Preset" {
				want = p.String() // the one setting whose default is not by preset
			}
			assert.Equal(t, want, text(s.Value(&c)), "%s under %v", s.Key(), p)
		}
	}
}

// Every setting that is an assumption is named in the report's
// assumptions, so a result says what it rests on; Karpenter's are named
// when it is in use, and only then.
func TestAssumptionSettingsAreInTheReport(t *testing.T) {
	newSim := func(c Config, s Setting) *Sim {
		sim, err := New(c)
		require.NoError(t, err)
		switch s.Section {
		case SectionKarpenter:
			require.NoError(t, sim.UseKarpenter(nil, nil))
		case SectionClusterAutoscaler:
			require.NoError(t, sim.UseClusterAutoscaler(nil))
		}
		return sim
	}
	plain, withKarpenter := newSim(Config{}, Setting{}), newSim(Config{}, Setting{Section: SectionKarpenter})
	for _, l := range withKarpenter.assumptions() {
		assert.NotEmpty(t, l, "a report line no setting writes")
	}
	assert.Len(t, withKarpenter.assumptions(), len(plain.assumptions())+1, "Karpenter's line is there only with Karpenter")
	for _, s := range Settings() {
		if !s.Assumption {
			continue
		}
		var c Config
		switch s.Kind() {
		case KindDuration:
			require.NoError(t, s.SetValue(&c, 7*time.Second))
		case KindBool:
			require.NoError(t, s.SetValue(&c, !s.Value(&c).(bool)))
		default:
			t.Fatalf("%s: no test value for a %v assumption", s.Key(), s.Kind())
		}
		lines := newSim(Config{}, s).assumptions()
		assert.NotEqual(t, lines, newSim(c, s).assumptions(), "%s does not show in the report", s.Key())
	}
}

// drawIn draws a value New accepts for s; drawOut one it refuses, or
// false when every value of the kind is accepted.
func drawIn(t *rapid.T, s Setting) any {
	switch s.Kind() {
	case KindDuration:
		return time.Duration(rapid.Int64Range(s.Min, int64(48*time.Hour)).Draw(t, s.Key()))
	case KindNumber:
		return rapid.Float64Range(1e-6, 1e6).Draw(t, s.Key())
	case KindCount:
		hi := s.Max
		if hi == 0 {
			hi = 1000
		}
		return int(rapid.Int64Range(s.Min, hi).Draw(t, s.Key()))
	case KindBool:
		return rapid.Bool().Draw(t, s.Key())
	case KindEnum:
		return rapid.SampledFrom(s.Values()).Draw(t, s.Key())
	case KindVersion:
		return fmt.Sprintf("v1.%d.%d", rapid.IntRange(7, 30).Draw(t, "minor"), rapid.IntRange(0, 9).Draw(t, "patch"))
	}
	return rapid.Uint64().Draw(t, s.Key())
}

func drawOut(t *rapid.T, s Setting) (any, bool) {
	switch s.Kind() {
	case KindDuration:
		return -time.Duration(rapid.Int64Range(1, int64(time.Hour)).Draw(t, s.Key())), true
	case KindNumber:
		return rapid.SampledFrom([]float64{-1, -1e-9, math.NaN(), math.Inf(1), math.Inf(-1)}).Draw(t, s.Key()), true
	case KindCount:
		below := int(s.Min) - rapid.IntRange(1, 100).Draw(t, "below")
		if s.Max == 0 || below != 0 && rapid.Bool().Draw(t, "low") {
			if below == 0 {
				below-- // zero means the default
			}
			return below, true
		}
		return int(s.Max) + rapid.IntRange(1, 100).Draw(t, "above"), true
	case KindVersion:
		return fmt.Sprintf("v1.%d.%d", rapid.IntRange(0, 6).Draw(t, "minor"), rapid.IntRange(1, 9).Draw(t, "patch")), true
	}
	return nil, false
}

func TestPropertyNewJudgesEverySettingByItsBound(t *testing.T) {
	settings := Settings()
	rapid.Check(t, func(t *rapid.T) {
		var c Config
		for _, s := range settings {
			if rapid.Bool().Draw(t, "set "+s.Key()) {
				require.NoError(t, s.SetValue(&c, drawIn(t, s)), s.Key())
			}
		}
		_, err := New(c)
		require.NoError(t, err, "every value within its bound")

		var judged []Setting
		for _, s := range settings {
			if _, ok := drawOut(t, s); ok {
				judged = append(judged, s)
			}
		}
		s := rapid.SampledFrom(judged).Draw(t, "bad")
		v, _ := drawOut(t, s)
		require.NoError(t, s.SetValue(&c, v))
		_, err = New(c)
		var ce *ConfigError
		require.ErrorAs(t, err, &ce)
		require.Equal(t, s.Field, ce.Field)
		require.Equal(t, s.Bound(), ce.Why)
		require.ErrorIs(t, s.Check(&c), ErrBadConfig)
	})
	assert.True(t, slices.ContainsFunc(settings, func(s Setting) bool { return s.Kind() == KindSeed }))
}

// With no preset, a setting's default is the default release's, as New
// fills it.
func TestSettingDefaultWithoutPresetIsTheDefaultRelease(t *testing.T) {
	c, err := Config{}.withDefaults()
	require.NoError(t, err)
	for _, s := range Settings() {
		assert.Equal(t, s.DefaultForRelease(controller.DefaultRelease), s.Default(0), s.Key())
		if s.Key() == "controller.userClientQPS" {
			assert.Equal(t, s.Default(0), text(s.Value(&c)))
		}
	}
}
