package sweep

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/trunksim/trunksim/scenario"
)

// MaxPoints bounds the points of one sweep, so a typo in a range cannot
// ask for more runs than could ever finish.
const MaxPoints = 100_000_000

// Setting is one key of a scenario set to one value.
type Setting struct {
	// Key is a dotted path into the scenario file: mapping keys, [i] for
	// the i-th element of a list, or a name for the element of a list
	// whose name is that, as in nodeGroups.workers.count or
	// workloads[0].replicas. Missing mapping keys are created.
	Key string
	// Value is a YAML scalar, such as 12, 30s, true or raised-limits.
	Value string
}

// String returns "key=value".
func (s Setting) String() string { return s.Key + "=" + s.Value }

// Axis is one key of a scenario and the values a sweep gives it.
type Axis struct {
	Key    string
	Values []string
}

// ParseAxis reads "key=v1,v2,...", as the --set flag takes it. Values
// are separated by commas and may not be empty.
func ParseAxis(s string) (Axis, error) {
	bad := func(why string) (Axis, error) { return Axis{}, &InputError{s, why, ErrBadSetting} }
	key, list, ok := strings.Cut(s, "=")
	if !ok {
		return bad("want key=value[,value...]")
	}
	if _, err := parsePath(key); err != nil {
		return bad(err.Error())
	}
	values := strings.Split(list, ",")
	for _, v := range values {
		if strings.TrimSpace(v) == "" {
			return bad("empty value")
		}
	}
	return Axis{Key: key, Values: values}, nil
}

// ParseSeeds reads a seed list such as "1-100", "7" or "1,5,10-20":
// single seeds and inclusive ranges, separated by commas, in any order
// but each seed once.
func ParseSeeds(s string) ([]uint64, error) {
	bad := func(why string) ([]uint64, error) { return nil, &InputError{s, why, ErrBadSeeds} }
	var seeds []uint64
	seen := map[uint64]bool{}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseUint(strings.TrimSpace(lo), 10, 64)
		if err != nil {
			return bad(strconv.Quote(part) + " is not a seed or a range a-b of seeds")
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(strings.TrimSpace(hi), 10, 64); err != nil || b < a {
				return bad(strconv.Quote(part) + " is not a range a-b with a <= b")
			}
		}
		if b-a >= MaxPoints || len(seeds)+int(b-a) >= MaxPoints {
			return bad("more than " + strconv.Itoa(MaxPoints) + " seeds")
		}
		for x := a; ; x++ {
			if seen[x] {
				return bad("seed " + strconv.FormatUint(x, 10) + " is listed twice")
			}
			seen[x] = true
			seeds = append(seeds, x)
			if x == b {
				break
			}
		}
	}
	return seeds, nil
}

// Sweep is a checked plan of runs: a scenario, the combinations of
// settings it is run under, and the seeds each is run with.
type Sweep struct {
	name   string
	seeds  []uint64
	axes   []Axis
	combos []combo
	points int
	digest string
}

// combo is one combination of settings and the scenario it gives.
type combo struct {
	settings []Setting
	sc       *scenario.Scenario
}

// Point is one run of a sweep.
type Point struct {
	// Index numbers the point from 0 in sweep order.
	Index int
	// Seed is the run's seed: one of the sweep's seeds, or the scenario's
	// own when the sweep lists none.
	Seed uint64
	// Settings are the point's values of the sweep's axes, in axis order.
	// Points of one combination share them; they are not to be changed.
	Settings []Setting
	combo    int
}

// New checks a sweep of the scenario file named name, whose YAML is
// source: every combination of the axes' values (none when there are no
// axes) is applied to it and parsed, and every seed in seeds is run with
// each; with no seeds, each combination runs once with the scenario's
// own seed. A key the scenario format does not have, or a value it
// refuses, is an error before anything runs.
func New(name string, source []byte, seeds []uint64, axes []Axis) (*Sweep, error) {
	sw := &Sweep{name: name, seeds: seeds, axes: axes}
	total := 1
	keys := map[string]bool{}
	for _, a := range axes {
		if _, err := parsePath(a.Key); err != nil || len(a.Values) == 0 {
			return nil, &InputError{a.Key, "want a key and at least one value", ErrBadSetting}
		}
		if keys[a.Key] {
			return nil, &InputError{a.Key, "is set by two axes", ErrBadSetting}
		}
		keys[a.Key] = true
		total *= len(a.Values)
		if total > MaxPoints {
			return nil, &InputError{a.Key, "makes more than " + strconv.Itoa(MaxPoints) + " combinations", ErrBadSetting}
		}
	}
	runs := max(1, len(seeds))
	if total*runs > MaxPoints {
		return nil, &InputError{strconv.Itoa(total) + " combinations x " + strconv.Itoa(runs) + " seeds", "more than " + strconv.Itoa(MaxPoints) + " points", ErrBadSetting}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(source, &doc); err != nil {
		// Let the scenario parser word it, with the line.
		_, perr := scenario.Parse(name, source)
		if perr == nil {
			perr = err
		}
		return nil, perr
	}
	for c := range total {
		settings := make([]Setting, len(axes))
		rest := c
		for i := len(axes) - 1; i >= 0; i-- {
			settings[i] = Setting{axes[i].Key, axes[i].Values[rest%len(axes[i].Values)]}
			rest /= len(axes[i].Values)
		}
		sc, err := build(name, source, &doc, settings)
		if err != nil {
			return nil, err
		}
		sw.combos = append(sw.combos, combo{settings, sc})
	}
	sw.points = total * runs
	sw.digest = digest(source, seeds, axes)
	return sw, nil
}

// build returns the scenario with settings applied to a copy of doc.
func build(name string, source []byte, doc *yaml.Node, settings []Setting) (*scenario.Scenario, error) {
	if len(settings) == 0 {
		return scenario.Parse(name, source)
	}
	edited := clone(doc)
	for _, s := range settings {
		path, _ := parsePath(s.Key) // checked by New
		if err := set(edited, path, s.Value); err != nil {
			return nil, &InputError{s.String(), err.Error(), ErrBadSetting}
		}
	}
	out, err := yaml.Marshal(edited)
	if err != nil {
		return nil, &ScenarioError{settings, err}
	}
	sc, err := scenario.Parse(name, out)
	if err != nil {
		if _, perr := scenario.Parse(name, source); perr != nil {
			return nil, perr // the file itself is wrong: its own lines
		}
		// The settings made the error, and the lines are those of the
		// edited document, not the file: name the field only.
		var se *scenario.Error
		if errors.As(err, &se) {
			se.Line = 0
		}
		return nil, &ScenarioError{settings, err}
	}
	return sc, nil
}

// digest identifies a sweep by what decides its results: the scenario's
// bytes, the seeds and the axes, not the file's name or place.
func digest(source []byte, seeds []uint64, axes []Axis) string {
	h := sha256.New()
	h.Write(source)
	var b []byte
	for _, s := range seeds {
		b = strconv.AppendUint(append(b, "\x00seed "...), s, 10)
	}
	for _, a := range axes {
		b = append(append(b, "\x00axis "...), a.Key...)
		for _, v := range a.Values {
			b = append(append(b, '\x01'), v...)
		}
	}
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Len returns the number of points.
func (sw *Sweep) Len() int { return sw.points }

// Digest identifies the sweep in its results, so that merging can tell
// the shards of one sweep from another's.
func (sw *Sweep) Digest() string { return sw.digest }

// Point returns point i, 0 <= i < Len.
func (sw *Sweep) Point(i int) Point {
	runs := max(1, len(sw.seeds))
	c := i / runs
	p := Point{Index: i, Settings: sw.combos[c].settings, combo: c}
	if len(sw.seeds) == 0 {
		p.Seed = sw.combos[c].sc.Seed
	} else {
		p.Seed = sw.seeds[i%runs]
	}
	return p
}

// Apply parses source with settings applied, as a point of a sweep with
// those values runs it. A key the scenario format does not have, or a
// value it refuses, is an error naming the setting.
func Apply(name string, source []byte, settings []Setting) (*scenario.Scenario, error) {
	for _, s := range settings {
		if _, err := parsePath(s.Key); err != nil {
			return nil, &InputError{s.String(), err.Error(), ErrBadSetting}
		}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(source, &doc); err != nil {
		_, perr := scenario.Parse(name, source)
		if perr == nil {
			perr = err
		}
		return nil, perr
	}
	return build(name, source, &doc, settings)
}
