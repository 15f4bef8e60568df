package slo

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/trunksim/trunksim/sim"
)

// Metric is a figure of a report that a bound can cap.
type Metric uint8

// The metrics, each named as Parse reads it.
const (
	// P50, P90, P99 and Max are percentiles of start-up latency, creation
	// to network ready, of security-group pods (Report.StartupLatencySeconds).
	P50 Metric = 1 + iota
	P90
	P99
	Max
	// LastReady is when the last pod's network became ready.
	LastReady
	// Running, Pending and Failed count pods in that phase at the end.
	Running
	Pending
	Failed
	// Leaked counts branch ENIs in EC2 that no trunk tracks at the end.
	Leaked
	// Calls counts EC2 calls; Throttled and Errors those throttled or failed.
	Calls
	Throttled
	Errors
)

var metricNames = [...]string{
	P50: "p50", P90: "p90", P99: "p99", Max: "max", LastReady: "lastReady",
	Running: "running", Pending: "pending", Failed: "failed", Leaked: "leaked",
	Calls: "calls", Throttled: "throttled", Errors: "errors",
}

// String returns the metric's name as Parse reads it.
func (m Metric) String() string {
	if m != 0 && int(m) < len(metricNames) {
		return metricNames[m]
	}
	return fmt.Sprintf("Metric(%d)", uint8(m))
}

// IsTime reports whether the metric is a time, written as a duration.
func (m Metric) IsTime() bool { return m >= P50 && m <= LastReady }

// Of returns the metric's value in r: seconds for times, a count
// otherwise. A latency percentile is +Inf when r has security-group pods
// but none of them got its network.
func (m Metric) Of(r sim.Report) float64 {
	lat := r.StartupLatencySeconds
	if m >= P50 && m <= Max && r.Pods.SecurityGroupPods > 0 && lat == (sim.Percentiles{}) {
		return math.Inf(1)
	}
	switch m {
	case P50:
		return lat.P50
	case P90:
		return lat.P90
	case P99:
		return lat.P99
	case Max:
		return lat.Max
	case LastReady:
		return r.LastReadySeconds
	case Running:
		return float64(r.Pods.Running)
	case Pending:
		return float64(r.Pods.Pending)
	case Failed:
		return float64(r.Pods.Failed)
	case Leaked:
		return float64(r.BranchENIs.Leaked)
	case Calls:
		n := 0
		for _, c := range r.EC2.Calls {
			n += c
		}
		return float64(n)
	case Throttled:
		return float64(r.EC2.Throttled)
	case Errors:
		return float64(r.EC2.Errors)
	}
	return math.NaN()
}

// Op compares a metric with its limit.
type Op uint8

// The comparisons.
const (
	AtMost  Op = 1 + iota // <=
	Below                 // <
	AtLeast               // >=
	Above                 // >
	Equal                 // ==
)

var opSymbols = [...]string{AtMost: "<=", Below: "<", AtLeast: ">=", Above: ">", Equal: "=="}

// String returns the operator's symbol.
func (o Op) String() string {
	if o != 0 && int(o) < len(opSymbols) {
		return opSymbols[o]
	}
	return fmt.Sprintf("Op(%d)", uint8(o))
}

func (o Op) holds(got, limit float64) bool {
	switch o {
	case AtMost:
		return got <= limit
	case Below:
		return got < limit
	case AtLeast:
		return got >= limit
	case Above:
		return got > limit
	case Equal:
		return got == limit
	}
	return false
}

// Bound is one service-level bound: Metric Op Limit. Limit is in seconds
// for time metrics and a count otherwise.
type Bound struct {
	Metric Metric
	Op     Op
	Limit  float64
}

// String returns the bound as Parse reads it, such as "p99<=2m0s".
func (b Bound) String() string { return b.Metric.String() + b.Op.String() + b.Metric.format(b.Limit) }

// format writes v as the metric's unit: a duration or a count.
func (m Metric) format(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "never"
	case m.IsTime():
		return (time.Duration(math.Round(v*1e3)) * time.Millisecond).String()
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// ErrSyntax is wrapped by every error Parse returns.
var ErrSyntax = errors.New("bad bound")

// SyntaxError says what is wrong with a bound's text.
type SyntaxError struct {
	Text string // the bound as given, cut to 60 bytes
	Why  string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("bound %q: %s", e.Text, e.Why) }

// Unwrap returns ErrSyntax.
func (e *SyntaxError) Unwrap() error { return ErrSyntax }

// Parse reads a bound such as "p99<=2m", "lastReady<10m", "pending==0" or
// "throttled<=100". Time limits are Go durations ("90s", "1h30m") or
// plain seconds; counts are non-negative integers. Spaces around the
// operator are allowed.
func Parse(s string) (Bound, error) {
	bad := func(why string) (Bound, error) { return Bound{}, &SyntaxError{Text: short(s), Why: why} }
	at, width := strings.IndexAny(s, "<>="), 1
	if at < 0 {
		return bad("want METRIC OP LIMIT, as in p99<=2m, with OP one of <=, <, >=, >, ==")
	}
	if at+1 < len(s) && s[at+1] == '=' {
		width = 2
	}
	var b Bound
	switch s[at : at+width] {
	case "<=":
		b.Op = AtMost
	case "<":
		b.Op = Below
	case ">=":
		b.Op = AtLeast
	case ">":
		b.Op = Above
	case "==":
		b.Op = Equal
	default:
		return bad("want one of the operators <=, <, >=, >, ==")
	}
	name := strings.TrimSpace(s[:at])
	for m := P50; m <= Errors; m++ {
		if m.String() == name {
			b.Metric = m
		}
	}
	if b.Metric == 0 {
		return bad(fmt.Sprintf("unknown metric %q; want one of %s", short(name), strings.Join(metricNames[1:], ", ")))
	}
	limit, err := b.Metric.parseLimit(strings.TrimSpace(s[at+width:]))
	if err != nil {
		return bad(err.Error())
	}
	b.Limit = limit
	return b, nil
}

// short cuts text a user gave to a prefix fit for an error message.
func short(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

func (m Metric) parseLimit(s string) (float64, error) {
	if m.IsTime() {
		if d, err := time.ParseDuration(s); err == nil && d >= 0 {
			return d.Seconds(), nil
		}
		if v, err := strconv.ParseFloat(s, 64); err == nil && v >= 0 && !math.IsInf(v, 0) {
			return v, nil
		}
		return 0, fmt.Errorf("%s wants a duration such as 90s or 2m, got %q", m, short(s))
	}
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%s wants a count, a non-negative integer, got %q", m, short(s))
	}
	return float64(v), nil
}

// Result is one bound judged against one report.
type Result struct {
	Bound Bound
	// Got is the report's value of the metric, in the bound's unit.
	Got  float64
	Held bool
}

// Check judges b against r.
func (b Bound) Check(r sim.Report) Result {
	got := b.Metric.Of(r)
	return Result{Bound: b, Got: got, Held: b.Op.holds(got, b.Limit)}
}

// String says what the result is: "p99 = 1m3s, within p99<=2m0s" or
// "pending = 4, breaks pending==0 by 4".
func (r Result) String() string {
	m := r.Bound.Metric
	if r.Held {
		return fmt.Sprintf("%s = %s, within %s", m, m.format(r.Got), r.Bound)
	}
	s := fmt.Sprintf("%s = %s, breaks %s", m, m.format(r.Got), r.Bound)
	if miss := math.Abs(r.Got - r.Bound.Limit); miss > 0 && !math.IsInf(miss, 0) {
		s += " by " + m.format(miss)
	}
	return s
}

// CheckAll judges every bound against r, in order, and reports whether
// all held.
func CheckAll(r sim.Report, bounds []Bound) ([]Result, bool) {
	out := make([]Result, len(bounds))
	all := true
	for i, b := range bounds {
		out[i] = b.Check(r)
		all = all && out[i].Held
	}
	return out, all
}
