package slo_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/trunksim/trunksim/sim"
	"github.com/trunksim/trunksim/sim/slo"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want slo.Bound
	}{
		{"p99<=2m", slo.Bound{slo.P99, slo.AtMost, 120}},
		{"p50 < 30s", slo.Bound{slo.P50, slo.Below, 30}},
		{"max<=1.5", slo.Bound{slo.Max, slo.AtMost, 1.5}},
		{"lastReady<=1h30m", slo.Bound{slo.LastReady, slo.AtMost, 5400}},
		{"pending==0", slo.Bound{slo.Pending, slo.Equal, 0}},
		{"running>=100", slo.Bound{slo.Running, slo.AtLeast, 100}},
		{"leaked==0", slo.Bound{slo.Leaked, slo.Equal, 0}},
		{"throttled<=100", slo.Bound{slo.Throttled, slo.AtMost, 100}},
		{"calls>10", slo.Bound{slo.Calls, slo.Above, 10}},
		{"errors<1", slo.Bound{slo.Errors, slo.Below, 1}},
		{"p90<=0s", slo.Bound{slo.P90, slo.AtMost, 0}},
	} {
		got, err := slo.Parse(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct{ in, why string }{
		{"", "want METRIC OP LIMIT"},
		{"p99 2m", "want METRIC OP LIMIT"},
		{"p99=2m", "operators"},
		{"p99=<2m", "operators"},
		{"p98<=2m", `unknown metric "p98"`},
		{"<=2m", `unknown metric ""`},
		{"p99<=soon", "p99 wants a duration"},
		{"p99<=-1s", "p99 wants a duration"},
		{"p99<=", "p99 wants a duration"},
		{"pending==1.5", "pending wants a count"},
		{"pending==-1", "pending wants a count"},
		{"pending==1s", "pending wants a count"},
		{"pending<=<=1", "pending wants a count"},
	} {
		_, err := slo.Parse(tc.in)
		require.Error(t, err, tc.in)
		assert.ErrorIs(t, err, slo.ErrSyntax, tc.in)
		var se *slo.SyntaxError
		require.True(t, errors.As(err, &se), tc.in)
		assert.Contains(t, err.Error(), tc.why, tc.in)
	}
}

func TestParseQuotesAShortPrefix(t *testing.T) {
	long := "p99<=" + strings.Repeat("9", 10_000)
	_, err := slo.Parse(long)
	require.Error(t, err)
	assert.Less(t, len(err.Error()), 300)
}

func report() sim.Report {
	return sim.Report{
		LastReadySeconds:      300,
		Pods:                  sim.PodCounts{Created: 10, SecurityGroupPods: 8, Running: 7, Pending: 3},
		StartupLatencySeconds: sim.Percentiles{P50: 4, P90: 20, P99: 63.5, Max: 70},
		EC2:                   sim.EC2Report{Calls: map[string]int{"CreateNetworkInterface": 8, "DeleteNetworkInterface": 2}, Throttled: 4},
		BranchENIs:            sim.BranchReport{Leaked: 1},
	}
}

func TestCheck(t *testing.T) {
	r := report()
	for _, tc := range []struct {
		bound string
		held  bool
		say   string
	}{
		{"p99<=2m", true, "p99 = 1m3.5s, within p99<=2m0s"},
		{"p99<=1m", false, "p99 = 1m3.5s, breaks p99<=1m0s by 3.5s"},
		{"p50<4s", false, "p50 = 4s, breaks p50<4s"},
		{"p50<=4s", true, "p50 = 4s, within p50<=4s"},
		{"max>=70", true, "max = 1m10s, within max>=1m10s"},
		{"lastReady<=4m", false, "lastReady = 5m0s, breaks lastReady<=4m0s by 1m0s"},
		{"pending==0", false, "pending = 3, breaks pending==0 by 3"},
		{"running>=7", true, "running = 7, within running>=7"},
		{"leaked==0", false, "leaked = 1, breaks leaked==0 by 1"},
		{"calls==10", true, "calls = 10, within calls==10"},
		{"throttled<4", false, "throttled = 4, breaks throttled<4"},
		{"errors==0", true, "errors = 0, within errors==0"},
	} {
		b, err := slo.Parse(tc.bound)
		require.NoError(t, err)
		res := b.Check(r)
		assert.Equal(t, tc.held, res.Held, tc.bound)
		assert.Equal(t, tc.say, res.String(), tc.bound)
	}
}

// A run whose security-group pods never got their network must not pass a
// latency bound because its percentiles are zero.
func TestCheckNoPodGotItsNetwork(t *testing.T) {
	r := sim.Report{Pods: sim.PodCounts{Created: 3, SecurityGroupPods: 3, Pending: 3}}
	b, _ := slo.Parse("p99<=2m")
	res := b.Check(r)
	assert.False(t, res.Held)
	assert.True(t, math.IsInf(res.Got, 1))
	assert.Equal(t, "p99 = never, breaks p99<=2m0s", res.String())

	// Without security-group pods there is no latency to bound.
	r.Pods.SecurityGroupPods = 0
	assert.True(t, b.Check(r).Held)
}

func TestCheckAll(t *testing.T) {
	var bounds []slo.Bound
	for _, s := range []string{"p99<=2m", "pending==0", "leaked<=1"} {
		b, err := slo.Parse(s)
		require.NoError(t, err)
		bounds = append(bounds, b)
	}
	res, ok := slo.CheckAll(report(), bounds)
	assert.False(t, ok)
	require.Len(t, res, 3)
	assert.Equal(t, []bool{true, false, true}, []bool{res[0].Held, res[1].Held, res[2].Held})
	_, ok = slo.CheckAll(report(), nil)
	assert.True(t, ok, "no bounds, nothing broken")
}

// A bound's text reads back as the same bound.
func TestStringParsesBack(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := slo.Metric(rapid.IntRange(int(slo.P50), int(slo.Errors)).Draw(t, "metric"))
		op := slo.Op(rapid.IntRange(int(slo.AtMost), int(slo.Equal)).Draw(t, "op"))
		var limit float64
		if m.IsTime() {
			// As Parse makes it: a duration's seconds.
			limit = (time.Duration(rapid.Int64Range(0, 1e9).Draw(t, "ms")) * time.Millisecond).Seconds()
		} else {
			limit = float64(rapid.Uint32().Draw(t, "count"))
		}
		b := slo.Bound{Metric: m, Op: op, Limit: limit}
		got, err := slo.Parse(b.String())
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if got != b {
			t.Fatalf("%s read back as %+v", b, got)
		}
	})
}

// A bound holds exactly when its operator says so of the value and limit;
// its negation (where there is one) then breaks.
func TestOpsAgree(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		got := float64(rapid.IntRange(0, 5).Draw(t, "got"))
		limit := float64(rapid.IntRange(0, 5).Draw(t, "limit"))
		r := sim.Report{Pods: sim.PodCounts{Pending: int(got)}}
		check := func(op slo.Op) bool { return slo.Bound{slo.Pending, op, limit}.Check(r).Held }
		if check(slo.AtMost) == check(slo.Above) || check(slo.Below) == check(slo.AtLeast) {
			t.Fatalf("complements agree at got %v limit %v", got, limit)
		}
		if check(slo.Equal) != (check(slo.AtMost) && check(slo.AtLeast)) {
			t.Fatalf("== is not <= and >= at got %v limit %v", got, limit)
		}
	})
}
