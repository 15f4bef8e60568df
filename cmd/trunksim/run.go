package main

import (
	"bufio"
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trunksim/trunksim/scenario"
	"github.com/trunksim/trunksim/sim"
)

const runUsage = `usage: trunksim run SCENARIO.yaml [-o text|json] [--seed N] [--trace FILE] [--plot FILE.svg]

Runs a scenario file to its end (its until, or until nothing is in flight)
and reports what happened: pods running and pending, start-up latency, EC2
calls, branch and trunk ENIs, warnings, and the assumptions the result
rests on. Flags may come before or after the file.

Examples:
  trunksim run rollout.yaml
  trunksim run rollout.yaml -o json --seed 7 --trace rollout.trace.jsonl
  trunksim run rollout.yaml --plot rollout.svg

Flags:
`

// runRun implements `trunksim run`.
func runRun(args []string, stdout, stderr io.Writer) int {
	const name = "trunksim run"
	fs := newFlagSet(name)
	format := newChoice("text", "text", "json")
	fs.Var(format, "o", "report `format`: text or json")
	var seed *uint64
	fs.Func("seed", "use `N` as the seed instead of the scenario's", func(s string) error {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return fmt.Errorf("want a non-negative integer")
		}
		seed = &v
		return nil
	})
	tracePath := fs.String("trace", "", "write the run's trace to `FILE`, one JSON object per line")
	plotPath := fs.String("plot", "", "draw pods and branch ENIs over time and the start-up latency distribution to `FILE` (SVG)")
	sc, file, status := loadScenario(fs, name, runUsage, args, stdout, stderr)
	if status >= 0 {
		return status
	}
	opts := scenario.Options{Seed: seed}
	var traceFile *os.File
	var traceBuf *bufio.Writer
	var err error
	if *tracePath != "" {
		if traceFile, err = os.Create(*tracePath); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			return exitFailure
		}
		traceBuf = bufio.NewWriter(traceFile)
		opts.Trace = traceBuf
	}
	s, err := sc.Build(opts)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return exitFailure
	}
	if *plotPath != "" {
		s.RecordSeries()
	}
	stopProgress := showProgress(stderr, s)
	runErr := sc.Play(s)
	stopProgress()
	report := s.Report()
	if traceFile != nil {
		err := traceBuf.Flush()
		if cerr := traceFile.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			fmt.Fprintf(stderr, "%s: writing the trace: %v\n", name, err)
			return exitFailure
		}
	}
	if *plotPath != "" {
		if err := writePlotFile(*plotPath, file, s); err != nil {
			fmt.Fprintf(stderr, "%s: writing the plot: %v\n", name, err)
			return exitFailure
		}
	}
	// A run that stopped with an error still has a report worth reading.
	{
		if format.value == "json" {
			err = writeJSON(stdout, report)
		} else {
			err = writeRunText(stdout, sc, report)
		}
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			return exitFailure
		}
	}
	if runErr != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, runErr)
		return exitFailure
	}
	return exitOK
}

// showProgress reports a long run's simulated time on stderr, when stderr
// is a terminal, at most a few times a second; the returned function
// clears the line. Reports and traces are unaffected.
func showProgress(stderr io.Writer, s *sim.Sim) func() {
	f, ok := stderr.(*os.File)
	if !ok {
		return func() {}
	}
	if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return func() {}
	}
	start, last := time.Now(), time.Now()
	shown := false
	s.OnProgress(func(now time.Duration, events uint64) {
		if time.Since(last) < 250*time.Millisecond || time.Since(start) < time.Second {
			return
		}
		last, shown = time.Now(), true
		fmt.Fprintf(f, "\rsimulated %v, %d events, %v elapsed   ", now.Truncate(time.Second), events, time.Since(start).Truncate(time.Second))
	})
	return func() {
		s.OnProgress(nil)
		if shown {
			fmt.Fprint(f, "\r\033[K")
		}
	}
}

// loadScenario parses a command line that names one scenario file, and
// loads the file. status is -1 on success, else the exit status, with the
// reason already written to stderr.
func loadScenario(fs *flag.FlagSet, name, usage string, args []string, stdout, stderr io.Writer) (sc *scenario.Scenario, file string, status int) {
	files, status := parseCommand(fs, usage, args, stdout, stderr)
	if status >= 0 {
		return nil, "", status
	}
	if len(files) != 1 {
		return nil, "", usageError(stderr, name, "want exactly one scenario file, got %d", len(files))
	}
	sc, err := scenario.Load(files[0])
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return nil, "", exitFailure
	}
	return sc, files[0], -1
}

func writePlotFile(path, title string, s *sim.Sim) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = writePlot(f, title, s.Series(), s.StartupLatencies())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// seconds formats a report's seconds as a duration such as "2m14.764s".
func seconds(s float64) string {
	return (time.Duration(math.Round(s*1000)) * time.Millisecond).String()
}

// plural returns "1 pod" or "3 pods".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// counted is a name with a count, for lists sorted biggest first.
type counted struct {
	name string
	n    float64
}

// byCount returns m's entries with a non-zero count, biggest first, ties
// by name, so the text never depends on map order.
func byCount[N int | float64](m map[string]N) []counted {
	var out []counted
	for k, v := range m {
		if v != 0 {
			out = append(out, counted{k, float64(v)})
		}
	}
	slices.SortFunc(out, func(a, b counted) int {
		if c := cmp.Compare(b.n, a.n); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	return out
}

// writeRunText writes the report for people: the numbers that decide
// whether the rollout worked first, then the machinery, then what went
// wrong and what the figures assume.
func writeRunText(w io.Writer, sc *scenario.Scenario, r sim.Report) error {
	b := &strings.Builder{}
	line := func(label, format string, args ...any) {
		fmt.Fprintf(b, "%-16s %s\n", label, fmt.Sprintf(format, args...))
	}
	fmt.Fprintf(b, "%s (seed %d): %s simulated\n\n", sc.File, r.Seed, seconds(r.SimulatedSeconds))

	p := r.Pods
	line("Pods", "%d running, %d pending, %d failed, %d completed at the end", p.Running, p.Pending, p.Failed, p.Succeeded)
	line("", "%d created, %d of them with security groups of their own", p.Created, p.SecurityGroupPods)
	lat := r.StartupLatencySeconds
	switch {
	case p.SecurityGroupPods == 0:
		line("Start-up", "no pod asked for security groups of its own")
	case lat == (sim.Percentiles{}):
		line("Start-up", "none of the security-group pods got its network")
	default:
		line("Start-up", "p50 %s  p90 %s  p99 %s  max %s  (security-group pods, creation to network ready)",
			seconds(lat.P50), seconds(lat.P90), seconds(lat.P99), seconds(lat.Max))
	}
	if parts := breakdown(r.StartupBreakdownSeconds); len(parts) > 0 {
		var s []string
		for _, c := range parts {
			s = append(s, c.name+" "+seconds(c.n))
		}
		line("", "mean by part: %s", strings.Join(s, ", "))
	}
	line("Last pod ready", "at %s", seconds(r.LastReadySeconds))
	b.WriteString("\n")

	var calls []string
	total := 0
	for _, c := range byCount(r.EC2.Calls) {
		calls = append(calls, fmt.Sprintf("%s %d", c.name, int(c.n)))
		total += int(c.n)
	}
	line("EC2 calls", "%d: %d throttled, %d failed", total, r.EC2.Throttled, r.EC2.Errors)
	for i := 0; i < len(calls); i += 3 {
		line("", "%s", strings.Join(calls[i:min(i+3, len(calls))], ", "))
	}
	br := r.BranchENIs
	line("Branch ENIs", "%d created, %d deleted; peak %d in use, %d cooling; %d leaked", br.Created, br.Deleted, br.PeakInUse, br.PeakCooling, br.Leaked)
	if br.CapacityRequeues > 0 {
		line("", "%d create jobs requeued at the capacity gate (in use + cooling = branch limit)", br.CapacityRequeues)
	}
	tr := r.Trunks
	line("Trunk ENIs", "%d created, %d deleted, %s that cannot hold one; ready p50 %s, max %s after joining",
		tr.Created, tr.Deleted, plural(tr.Unsupported, "node"), seconds(tr.ReadyLatencySeconds.P50), seconds(tr.ReadyLatencySeconds.Max))
	if nd := r.NodeDeletion; nd != nil {
		longest := "deleted after at most " + seconds(nd.LongestSeconds)
		if nd.LongestRemaining {
			longest = "the longest still there after " + seconds(nd.LongestSeconds)
		}
		line("Node deletion", "%d branch ENIs left in EC2 by deleted nodes (%s): %d deleted since (%d by the ENI cleaner), %d still there; %.1f ENI-minutes, %s",
			nd.BranchENIs, nd.Mode, nd.Deleted, nd.CleanerDeleted, nd.Remaining, nd.ENIMinutes, longest)
	}

	if len(r.Warnings) > 0 {
		b.WriteString("\nWarnings\n")
		for _, s := range r.Warnings {
			fmt.Fprintf(b, "  - %s\n", s)
		}
	}
	if reasons := byCount(r.PendingReasons); len(reasons) > 0 {
		b.WriteString("\nPods not running at the end, by reason\n")
		for _, c := range reasons {
			fmt.Fprintf(b, "  - %s: %s\n", plural(int(c.n), "pod"), c.name)
		}
	}
	if len(r.Assumptions) > 0 {
		b.WriteString("\nAssumptions\n")
		for _, s := range r.Assumptions {
			fmt.Fprintf(b, "  - %s\n", s)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// breakdown lists the non-zero parts of the mean start-up latency,
// biggest first.
func breakdown(bd sim.Breakdown) []counted {
	return byCount(map[string]float64{
		"scheduling":           bd.Scheduling,
		"waiting for capacity": bd.WaitingForCapacity,
		"controller queue":     bd.ControllerQueue,
		"EC2 client wait":      bd.EC2ClientWait,
		"EC2 calls":            bd.EC2Calls,
		"throttling retries":   bd.ThrottlingRetries,
		"API server wait":      bd.APIServerWait,
		"kubelet retry":        bd.KubeletRetry,
	})
}
