package sweep_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/trunksim/trunksim/scenario"
	"github.com/trunksim/trunksim/sim"
	"github.com/trunksim/trunksim/sweep"
)

func source(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/small.yaml")
	require.NoError(t, err)
	return b
}

func newSweep(t testing.TB, seeds string, sets ...string) *sweep.Sweep {
	t.Helper()
	var ss []uint64
	if seeds != "" {
		var err error
		ss, err = sweep.ParseSeeds(seeds)
		require.NoError(t, err)
	}
	var axes []sweep.Axis
	for _, s := range sets {
		a, err := sweep.ParseAxis(s)
		require.NoError(t, err)
		axes = append(axes, a)
	}
	sw, err := sweep.New("small.yaml", source(t), ss, axes)
	require.NoError(t, err)
	return sw
}

func collect(t testing.TB, sw *sweep.Sweep, sh sweep.Shard, workers int) []sweep.Result {
	t.Helper()
	var out []sweep.Result
	require.NoError(t, sw.Run(context.Background(), sh, workers, func(r sweep.Result) error {
		out = append(out, r)
		return nil
	}))
	return out
}

func TestParseSeeds(t *testing.T) {
	cases := []struct {
		in   string
		want []uint64
	}{
		{"7", []uint64{7}},
		{"1-4", []uint64{1, 2, 3, 4}},
		{"10,1-2, 5", []uint64{10, 1, 2, 5}},
		{"0-0", []uint64{0}},
		{"18446744073709551614-18446744073709551615", []uint64{1<<64 - 2, 1<<64 - 1}},
	}
	for _, c := range cases {
		got, err := sweep.ParseSeeds(c.in)
		require.NoError(t, err, c.in)
		assert.Equal(t, c.want, got, c.in)
	}
	for _, in := range []string{"", "x", "3-1", "1,1", "1-3,2", "-1", "1-", "1-100000000000"} {
		_, err := sweep.ParseSeeds(in)
		require.ErrorIs(t, err, sweep.ErrBadSeeds, in)
		var ie *sweep.InputError
		require.ErrorAs(t, err, &ie)
		assert.Equal(t, in, ie.Input)
	}
}

func TestParseAxis(t *testing.T) {
	a, err := sweep.ParseAxis("controller.userClientQPS=12,24")
	require.NoError(t, err)
	assert.Equal(t, sweep.Axis{Key: "controller.userClientQPS", Values: []string{"12", "24"}}, a)
	a, err = sweep.ParseAxis("nodeGroups[0].count=3")
	require.NoError(t, err)
	assert.Equal(t, []string{"3"}, a.Values)
	for _, in := range []string{"", "controller.userClientQPS", "=1", "a..b=1", "a[x]=1", "a[-1]=1", "a[1]b=1", "a=1,,2", "a="} {
		_, err := sweep.ParseAxis(in)
		require.ErrorIs(t, err, sweep.ErrBadSetting, in)
	}
}

func TestParseShard(t *testing.T) {
	sh, err := sweep.ParseShard("2/5")
	require.NoError(t, err)
	assert.Equal(t, sweep.Shard{Index: 2, Count: 5}, sh)
	assert.Equal(t, "2/5", sh.String())
	for _, in := range []string{"", "5/5", "-1/3", "1/0", "a/b", "1", "1/2/3"} {
		_, err := sweep.ParseShard(in)
		require.ErrorIs(t, err, sweep.ErrBadShard, in)
	}
}

// The shards 0/n .. n-1/n of a sweep hold every point exactly once.
func TestShardsPartitionTheSweep(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		points := rapid.IntRange(0, 500).Draw(t, "points")
		n := rapid.IntRange(1, 40).Draw(t, "shards")
		total := 0
		for i := range n {
			total += sweep.Shard{Index: i, Count: n}.Len(points)
		}
		require.Equal(t, points, total)
		require.Equal(t, points, sweep.Shard{}.Len(points))
	})
}

// Points run through the seeds fastest and the first axis slowest.
func TestPointsAreTheCrossProductInOrder(t *testing.T) {
	sw := newSweep(t, "1-2", "controller.userClientQPS=12,24", "nodeGroups.workers.count=1,2,3")
	require.Equal(t, 12, sw.Len())
	var got []string
	for i := range sw.Len() {
		p := sw.Point(i)
		require.Equal(t, i, p.Index)
		got = append(got, fmt.Sprintf("%s %s %d", p.Settings[0].Value, p.Settings[1].Value, p.Seed))
	}
	assert.Equal(t, []string{"12 1 1", "12 1 2", "12 2 1", "12 2 2", "12 3 1", "12 3 2",
		"24 1 1", "24 1 2", "24 2 1", "24 2 2", "24 3 1", "24 3 2"}, got)
	// Without seeds, each combination runs with the scenario's own.
	sw = newSweep(t, "", "controller.userClientQPS=12,24")
	require.Equal(t, 2, sw.Len())
	assert.Equal(t, uint64(7), sw.Point(1).Seed)
}

// Each point's report is the report of running the scenario with its
// settings written into the file and its seed.
func TestAPointIsTheScenarioWithItsSettings(t *testing.T) {
	sw := newSweep(t, "3", "nodeGroups.workers.count=1", "workloads[0].replicas=5", "controller.branchWorkers=2")
	results := collect(t, sw, sweep.Shard{}, 1)
	require.Len(t, results, 1)
	edited := strings.Replace(string(source(t)), "count: 2", "count: 1", 1)
	edited = strings.Replace(edited, "replicas: 12", "replicas: 5", 1)
	edited += "controller: {branchWorkers: 2}\n"
	sc, err := scenario.Parse("small.yaml", []byte(edited))
	require.NoError(t, err)
	seed := uint64(3)
	want, err := sc.Run(scenario.Options{Seed: &seed})
	require.NoError(t, err)
	require.NotNil(t, results[0].Report)
	assert.Equal(t, want, *results[0].Report)
	assert.Equal(t, map[string]string{"nodeGroups.workers.count": "1", "workloads[0].replicas": "5", "controller.branchWorkers": "2"}, results[0].Settings)
	assert.Equal(t, 5, want.Pods.Running)
}

// The results do not depend on how many workers run them, nor on how
// the sweep is split into shards.
func TestResultsDoNotDependOnWorkersOrShards(t *testing.T) {
	sw := newSweep(t, "1-6", "controller.userClientQPS=6,12")
	one := collect(t, sw, sweep.Shard{}, 1)
	require.Len(t, one, 12)
	for i, r := range one {
		require.Equal(t, i, r.Index)
		require.Empty(t, r.Error)
		require.Equal(t, sw.Digest(), r.Sweep)
	}
	assert.Equal(t, one, collect(t, sw, sweep.Shard{}, 4))
	assert.Equal(t, one, collect(t, sw, sweep.Shard{}, 64))

	var m sweep.Merger
	for i := range 5 { // 12 points over 5 shards: some hold 2, some 3
		var buf bytes.Buffer
		for _, r := range collect(t, sw, sweep.Shard{Index: i, Count: 5}, 2) {
			require.Equal(t, i, r.Index%5)
			line, err := json.Marshal(r)
			require.NoError(t, err)
			buf.Write(append(line, '\n'))
		}
		require.NoError(t, m.Add(fmt.Sprintf("shard-%d.jsonl", i), &buf))
	}
	merged, err := m.Results()
	require.NoError(t, err)
	assert.Equal(t, encode(t, one), encode(t, merged), "the same bytes once written")
}

func encode(t testing.TB, rs []sweep.Result) string {
	var b strings.Builder
	for _, r := range rs {
		line, err := json.Marshal(r)
		require.NoError(t, err)
		b.Write(append(line, '\n'))
	}
	return b.String()
}

func TestNewRefusesWhatTheScenarioRefuses(t *testing.T) {
	src := source(t)
	axis := func(s string) []sweep.Axis {
		a, err := sweep.ParseAxis(s)
		require.NoError(t, err)
		return []sweep.Axis{a}
	}
	_, err := sweep.New("small.yaml", src, nil, axis("controller.userClientQPZ=12"))
	require.ErrorIs(t, err, sweep.ErrBadSetting)
	require.ErrorIs(t, err, scenario.ErrUnknownField)
	var se *sweep.ScenarioError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, []sweep.Setting{{Key: "controller.userClientQPZ", Value: "12"}}, se.Settings)

	_, err = sweep.New("small.yaml", src, nil, axis("controller.userClientQPS=12,-1"))
	require.ErrorIs(t, err, scenario.ErrInvalidValue)
	assert.Contains(t, err.Error(), "controller.userClientQPS=-1")

	for _, key := range []string{"nodeGroups[5].count=1", "nodeGroups.gpu.count=1", "seed.x=1"} {
		_, err = sweep.New("small.yaml", src, nil, axis(key))
		require.ErrorIs(t, err, sweep.ErrBadSetting, key)
		var ie *sweep.InputError
		require.ErrorAs(t, err, &ie, key)
	}
	a := axis("seed=1")
	_, err = sweep.New("small.yaml", src, nil, append(a, a...))
	require.ErrorIs(t, err, sweep.ErrBadSetting, "one key on two axes")

	_, err = sweep.New("bad.yaml", []byte("seed: [\n"), nil, nil)
	require.ErrorIs(t, err, scenario.ErrSyntax)
}

// A run that stops with an error still gives its result, with the error
// and the report as far as the run got.
func TestARunThatFailsIsAResultNotAnAbort(t *testing.T) {
	src, err := os.ReadFile("testdata/failing.yaml")
	require.NoError(t, err)
	a, err := sweep.ParseAxis("events[0].at=20s,50s")
	require.NoError(t, err)
	sw, err := sweep.New("failing.yaml", src, nil, []sweep.Axis{a})
	require.NoError(t, err)
	results := collect(t, sw, sweep.Shard{}, 2)
	require.Len(t, results, 2)
	for i, r := range results {
		assert.Contains(t, r.Error, "nope", i)
		require.NotNil(t, r.Report, i)
	}
	assert.InDelta(t, 20, results[0].Report.SimulatedSeconds, 1e-9)
	assert.InDelta(t, 50, results[1].Report.SimulatedSeconds, 1e-9)
}

func TestMergeRefusesMixedDuplicateAndMissingResults(t *testing.T) {
	a, b := newSweep(t, "1-2"), newSweep(t, "1-3")
	lines := func(sw *sweep.Sweep, sh sweep.Shard) string { return encode(t, collect(t, sw, sh, 2)) }
	half0, half1 := lines(a, sweep.Shard{Index: 0, Count: 2}), lines(a, sweep.Shard{Index: 1, Count: 2})

	var m sweep.Merger
	require.NoError(t, m.Add("0.jsonl", strings.NewReader(half0)))
	_, err := m.Results()
	require.ErrorIs(t, err, sweep.ErrMerge)
	assert.Contains(t, err.Error(), "1 of 2 points missing (1)")
	err = m.Add("0-again.jsonl", strings.NewReader(half0))
	require.ErrorIs(t, err, sweep.ErrMerge)
	assert.Contains(t, err.Error(), "0-again.jsonl:1: point 0 comes twice")
	err = m.Add("other.jsonl", strings.NewReader(lines(b, sweep.Shard{Index: 1, Count: 2})))
	assert.Contains(t, err.Error(), "not of sweep")
	err = m.Add("junk.txt", strings.NewReader("\nhello\n"))
	var me *sweep.MergeError
	require.ErrorAs(t, err, &me)
	assert.Equal(t, 2, me.Line)

	require.NoError(t, m.Add("1.jsonl", strings.NewReader(half1)))
	got, err := m.Results()
	require.NoError(t, err)
	assert.Len(t, got, 2)

	_, err = new(sweep.Merger).Results()
	require.ErrorIs(t, err, sweep.ErrMerge)
}

// Run stops when emit fails, and when the context is done, returning why.
func TestRunStopsWhenEmitFailsOrContextEnds(t *testing.T) {
	sw := newSweep(t, "1-20")
	stop := errors.New("disk full")
	n := 0
	err := sw.Run(context.Background(), sweep.Shard{}, 3, func(sweep.Result) error {
		n++
		if n == 4 {
			return stop
		}
		return nil
	})
	require.ErrorIs(t, err, stop)
	assert.Equal(t, 4, n)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = sw.Run(ctx, sweep.Shard{}, 3, func(sweep.Result) error { return nil })
	require.ErrorIs(t, err, context.Canceled)

	err = sw.Run(context.Background(), sweep.Shard{Index: 3, Count: 2}, 1, func(sweep.Result) error { return nil })
	require.ErrorIs(t, err, sweep.ErrBadShard)
}

func BenchmarkSweep(b *testing.B) {
	sw := newSweep(b, "1-32")
	b.ReportAllocs()
	for b.Loop() {
		collect(b, sw, sweep.Shard{}, 0)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(sw.Len()), "ns/run")
}

// --set takes every key of the simulator's settings table, each with its
// default value, and a key in a settings section that is not in the
// table is refused by name.
func TestEverySettingIsASweepKey(t *testing.T) {
	for _, s := range sim.Settings() {
		value := s.Default(sim.PresetUpstream)
		switch {
		case value == "" && s.Values() != nil:
			value = s.Values()[len(s.Values())-2] // controller.version: a release
		case value == "":
			value = "v1.20.4"
		}
		a, err := sweep.ParseAxis(s.Key() + "=" + value)
		require.NoError(t, err, s.Key())
		sw, err := sweep.New("small.yaml", source(t), nil, []sweep.Axis{a})
		require.NoError(t, err, s.Key())
		assert.Equal(t, 1, sw.Len())
	}
	a, err := sweep.ParseAxis("kubelet.retryPeriodz=10s")
	require.NoError(t, err)
	_, err = sweep.New("small.yaml", source(t), nil, []sweep.Axis{a})
	require.ErrorIs(t, err, scenario.ErrUnknownField)
	assert.ErrorContains(t, err, "want retryPeriod, retryJitter, syncOnAnnotation or awsNodeLag")
}

func TestApplyIsThePointsScenario(t *testing.T) {
	settings := []sweep.Setting{{Key: "workloads[0].replicas", Value: "5"}, {Key: "controller.branchWorkers", Value: "2"}}
	got, err := sweep.Apply("small.yaml", source(t), settings)
	require.NoError(t, err)
	edited := strings.Replace(string(source(t)), "replicas: 12", "replicas: 5", 1) + "controller: {branchWorkers: 2}\n"
	want, err := scenario.Parse("small.yaml", []byte(edited))
	require.NoError(t, err)
	gr, err := got.Run(scenario.Options{})
	require.NoError(t, err)
	wr, err := want.Run(scenario.Options{})
	require.NoError(t, err)
	assert.Equal(t, wr, gr)

	_, err = sweep.Apply("small.yaml", source(t), []sweep.Setting{{Key: "controller.branchWorkers", Value: "0"}})
	assert.ErrorIs(t, err, sweep.ErrBadSetting)
	_, err = sweep.Apply("small.yaml", source(t), []sweep.Setting{{Key: "a..b", Value: "1"}})
	assert.ErrorIs(t, err, sweep.ErrBadSetting)
}

// An error a setting makes names the field, not a line of the edited
// document, which the user never saw.
func TestSettingErrorsNameNoLineOfTheEditedFile(t *testing.T) {
	_, err := sweep.Apply("small.yaml", source(t), []sweep.Setting{{Key: "controller.userClientQPZ", Value: "12"}})
	require.Error(t, err)
	var se *scenario.Error
	require.ErrorAs(t, err, &se)
	assert.Zero(t, se.Line)
	assert.Contains(t, err.Error(), "small.yaml: controller.userClientQPZ: unknown field")
	// An error of the file itself keeps its line.
	_, err = sweep.Apply("bad.yaml", []byte("seed: 1\nsede: 2\n"), []sweep.Setting{{Key: "controller.userClientQPS", Value: "12"}})
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 2, se.Line)
}
