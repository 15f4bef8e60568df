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
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trunksim/trunksim/scenario"
	"github.com/trunksim/trunksim/sim"
	"github.com/trunksim/trunksim/sim/slo"
)

const runUsage = `usage: trunksim run SCENARIO.yaml [-o text|json] [--seed N] [--trace FILE] [--plot FILE.svg|FILE.png] [--html FILE.html] [--slo BOUND]...

Runs a scenario file to its end (its until, or until nothing is in flight)
and reports what happened: pods running and pending, start-up latency, EC2
calls, branch and trunk ENIs, warnings, and the assumptions the result
rests on. The file - is standard input. Flags may come before or after the
file.

--slo bounds a figure of the report: p50, p90, p99 or max start-up latency
of security-group pods, lastReady (durations such as 90s or 2m), or a
count of running, pending, failed, leaked, calls, throttled or errors;
with <=, <, >=, > or ==. A run that breaks a bound exits 1 and says which
bound and by how much, so a pipeline can gate on it.

Examples:
  trunksim run rollout.yaml
  trunksim run rollout.yaml -o json --seed 7 --trace rollout.trace.jsonl
  trunksim run rollout.yaml --plot rollout.svg
  trunksim run rollout.yaml --plot rollout.png
  trunksim run rollout.yaml --html rollout.html
  trunksim run rollout.yaml --slo 'p99<=2m' --slo pending==0

Flags:
`

// stdinName names standard input in errors and reports.
const stdinName = "<stdin>"

// seedFlag defines --seed on fs; the pointer it returns points to nil
// until the flag is given.
func seedFlag(fs *flag.FlagSet) **uint64 {
	seed := new(*uint64)
	fs.Func("seed", "use `N` as the seed instead of the scenario's", func(s string) error {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return fmt.Errorf("want a non-negative integer")
		}
		*seed = &v
		return nil
	})
	return seed
}

// runRun implements `trunksim run`.
func runRun(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	const name = "trunksim run"
	fs := newFlagSet(name)
	format := newChoice("text", "text", "json")
	fs.Var(format, "o", "report `format`: text or json")
	seed := seedFlag(fs)
	tracePath := fs.String("trace", "", "write the run's trace to `FILE`, one JSON object per line")
	plotPath := fs.String("plot", "", "draw pods and branch ENIs over time and the start-up latency distribution to `FILE`: PNG when it ends in .png, else SVG")
	htmlPath := fs.String("html", "", "write the report as one self-contained web page to `FILE`: plots, pods, events, check findings")
	var bounds []slo.Bound
	fs.Func("slo", "exit 1 unless the report keeps `BOUND`, such as p99<=2m or pending==0; repeatable", func(s string) error {
		b, err := slo.Parse(s)
		bounds = append(bounds, b)
		return err
	})
	sc, _, status := loadScenario(fs, name, runUsage, args, stdin, stdout, stderr)
	if status >= 0 {
		return status
	}
	if err := checkSize(sc, memoryLimit(), name, stderr); err != nil {
		return failed(stderr, name, err)
	}
	opts := scenario.Options{Seed: *seed}
	var trace *pendingFile
	var err error
	if *tracePath != "" {
		if trace, err = createPending(*tracePath); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			return exitFailure
		}
		defer trace.abort()
		opts.Trace = trace
	}
	s, err := sc.Build(opts)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return exitFailure
	}
	if *plotPath != "" || *htmlPath != "" {
		s.RecordSeries()
	}
	g, unwatch := watch(stderr, s)
	runErr := sc.Play(s)
	unwatch()
	report := s.Report()
	if trace != nil {
		if err := trace.commit(); err != nil {
			fmt.Fprintf(stderr, "%s: writing the trace: %v\n", name, err)
			return exitFailure
		}
	}
	if *plotPath != "" {
		if err := writePlotFile(*plotPath, sc, s); err != nil {
			fmt.Fprintf(stderr, "%s: writing the plot: %v\n", name, err)
			return exitFailure
		}
	}
	// A run that stopped with an error still has a report worth reading.
	results, kept := slo.CheckAll(report, bounds)
	if *htmlPath != "" {
		if err := writeFile(*htmlPath, func(w io.Writer) error { return writeHTML(w, sc, s, report, results) }); err != nil {
			fmt.Fprintf(stderr, "%s: writing the page: %v\n", name, err)
			return exitFailure
		}
	}
	if format.value == "json" {
		err = writeJSON(stdout, report)
	} else {
		err = writeRunText(stdout, sc, report, results)
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return exitFailure
	}
	for _, r := range results {
		if !r.Held {
			fmt.Fprintf(stderr, "%s: %s: %s\n", name, sc.File, r)
		}
	}
	if runErr != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, runErr)
		if g.interrupted() {
			return exitInterrupted
		}
		return exitFailure
	}
	if !kept {
		return exitFailure
	}
	return exitOK
}

// loadScenario parses a command line that names one scenario file, and
// loads the file. status is -1 on success, else the exit status, with the
// reason already written to stderr.
// The file "-" is stdin.
func loadScenario(fs *flag.FlagSet, name, usage string, args []string, stdin io.Reader, stdout, stderr io.Writer) (sc *scenario.Scenario, file string, status int) {
	files, status := parseCommand(fs, usage, args, stdout, stderr)
	if status >= 0 {
		return nil, "", status
	}
	if len(files) != 1 {
		return nil, "", usageError(stderr, name, "want exactly one scenario file, got %d", len(files))
	}
	var err error
	if files[0] == "-" {
		files[0] = stdinName
		sc, err = scenario.Read(stdinName, stdin)
	} else {
		sc, err = scenario.Load(files[0])
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return nil, "", exitFailure
	}
	return sc, files[0], -1
}

func writePlotFile(path string, sc *scenario.Scenario, s *sim.Sim) error {
	pic := drawPlot(sc.File, s.Series(), s.StartupLatencies(), markers(sc))
	if strings.EqualFold(filepath.Ext(path), ".png") {
		return writeFile(path, pic.writePNG)
	}
	return writeFile(path, pic.writeSVG)
}

// writeFile writes a file whole or not at all (see pendingFile).
func writeFile(path string, write func(io.Writer) error) error {
	f, err := createPending(path)
	if err != nil {
		return err
	}
	defer f.abort()
	if err := write(f); err != nil {
		return err
	}
	return f.commit()
}

// pendingFile is an output file written to a temporary file beside it
// and renamed over it by commit, so an interrupted or failed run leaves
// no half file that a later reader or merge would take.
type pendingFile struct {
	*bufio.Writer
	f    *os.File
	path string
	done bool
}

func createPending(path string) (*pendingFile, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return nil, err
	}
	// CreateTemp makes the file private; outputs are reports, not secrets.
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &pendingFile{Writer: bufio.NewWriter(f), f: f, path: path}, nil
}

// commit flushes the file and puts it in place.
func (p *pendingFile) commit() error {
	err := p.Flush()
	if cerr := p.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(p.f.Name(), p.path)
	}
	p.done = err == nil
	return err
}

// abort removes the temporary file unless commit put it in place.
func (p *pendingFile) abort() {
	if !p.done {
		p.f.Close()
		os.Remove(p.f.Name())
	}
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
func writeRunText(w io.Writer, sc *scenario.Scenario, r sim.Report, bounds []slo.Result) error {
	b := &strings.Builder{}
	line := func(label, format string, args ...any) {
		fmt.Fprintf(b, "%-16s %s\n", label, fmt.Sprintf(format, args...))
	}
	fmt.Fprintf(b, "%s (seed %d): %s simulated\n\n", sc.File, r.Seed, seconds(r.SimulatedSeconds))

	p := r.Pods
	line("Pods", "%d running, %d pending, %d failed, %d completed at the end", p.Running, p.Pending, p.Failed, p.Succeeded)
	line("", "%d created, %d of them with security groups of their own", p.Created, p.SecurityGroupPods)
	if p.AlreadyRunning > 0 {
		line("", "%d of them running at time zero, %d on branch ENIs made before the run (rebuilt from their pod-eni annotations)",
			p.AlreadyRunning, p.FromExistingBranches)
	}
	lat := r.StartupLatencySeconds
	switch {
	case p.SecurityGroupPods == 0:
		line("Start-up", "no pod asked for security groups of its own")
	case lat == (sim.Percentiles{}) && p.FromExistingBranches > 0:
		line("Start-up", "no security-group pod started during the run; those running at time zero are not counted")
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
	if pr := r.Provisioning; pr != nil {
		line("Provisioning", "%s launched by Karpenter in %s, %d deleted, %d never initialized; %s from Karpenter",
			plural(pr.NodesLaunched, "node"), plural(pr.Batches, "batching window"), pr.NodesDeleted, pr.NotInitialized, plural(pr.UnprovisionableEvents, "FailedScheduling event"))
		for _, np := range pr.NodePools {
			var types []string
			for _, c := range byCount(np.InstanceTypes) {
				types = append(types, fmt.Sprintf("%d %s", int(c.n), c.name))
			}
			line("", "NodePool %s: %s", np.Name, strings.Join(types, ", "))
		}
		line("", "first Pending pod to first node ready %s; launch to initialized p50 %s, max %s; $%.3f an hour at the end (us-east-1 on-demand list prices)",
			seconds(pr.FirstPendingToNodeReadySeconds), seconds(pr.LaunchToInitializedSeconds.P50), seconds(pr.LaunchToInitializedSeconds.Max), pr.HourlyCostUSD)
	}
	if ca := r.ClusterAutoscaler; ca != nil {
		var sizes []string
		for _, g := range ca.Groups {
			sizes = append(sizes, fmt.Sprintf("%s %d", g.Name, g.Size))
		}
		line("Autoscaling", "cluster-autoscaler scaled up %s, adding %s, and removed %d; %s left pods with no group to grow",
			plural(ca.ScaleUps, "time"), plural(ca.NodesAdded, "node"), ca.NodesRemoved, plural(ca.NoScaleUpScans, "scan"))
		line("", "group sizes at the end: %s; first Pending pod to a new node ready %s", strings.Join(sizes, ", "), seconds(ca.FirstPendingToNodeReadySeconds))
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
	if len(bounds) > 0 {
		b.WriteString("\nService levels\n")
		for _, res := range bounds {
			fmt.Fprintf(b, "  - %s\n", res)
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
		"waiting for a node":   bd.WaitingForNode,
		"waiting for a trunk":  bd.WaitingForTrunk,
	})
}
