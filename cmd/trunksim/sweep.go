package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/trunksim/trunksim/controller"
	"github.com/trunksim/trunksim/scenario"
	"github.com/trunksim/trunksim/sim"
	"github.com/trunksim/trunksim/sweep"
)

const sweepUsage = `usage: trunksim sweep SCENARIO.yaml [--seeds LIST] [--set KEY=V1,V2]... [--shard I/N|auto/N] [--workers N] [-o table|jsonl|json] [--out FILE]
       trunksim sweep merge [-o table|jsonl|json] FILE...

Runs a scenario many times on all cores: once for every combination of the
--set values, with every seed of --seeds (with the scenario's own seed when
there are none). Results come in a fixed order, the first --set varying
slowest and the seed fastest, and are the same bytes whatever the number of
cores. A key is a dotted path into the scenario file: controller.userClientQPS,
nodeGroups.workers.count (a list element by its name), workloads[0].replicas.

A sweep too big for one machine is split into shards: run --shard i/n for
each i from 0 to n-1, anywhere, with -o jsonl, then 'trunksim sweep merge'
their files, which gives what one machine running the whole sweep would
have printed. In a Kubernetes Indexed Job with completions n, --shard auto/n
takes i from $JOB_COMPLETION_INDEX (deploy/sweep-job.yaml is such a Job):
  trunksim sweep s.yaml --seeds 1-10000 --shard auto/n -o jsonl --out /results/shard-$(JOB_COMPLETION_INDEX).jsonl
--out writes the file whole or not at all, so a shard that was stopped
leaves nothing for merge to take.

Exit status 1 means the sweep could not start, the shards do not merge, or
a run stopped with an error (its result says why; the output is complete).

Examples:
  trunksim sweep rollout.yaml --seeds 1-100
  trunksim sweep rollout.yaml --seeds 1-20 --set controller.userClientQPS=12,24 --set nodeGroups.workers.count=10,20
  trunksim sweep rollout.yaml --seeds 1-1000 --shard 3/8 -o jsonl > shard-3.jsonl
  trunksim sweep merge shard-*.jsonl -o json
`

// sweepHelp is the usage text followed by the settings --set can sweep,
// listed from the simulator's settings table (docs/settings.md says more).
func sweepHelp() string {
	var b strings.Builder
	b.WriteString(sweepUsage + "\nSettings, with their defaults (any other key of the file can be set too):\n")
	tw := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
	settings := sim.Settings()
	slices.SortStableFunc(settings, func(a, b sim.Setting) int { return cmp.Compare(a.Section, b.Section) })
	for _, s := range settings {
		kind := s.Kind().String()
		if values := s.Values(); values != nil {
			kind = strings.Join(values, "|")
		}
		def := s.DefaultForRelease(controller.DefaultRelease)
		switch {
		case def == "" && s.Kind() == sim.KindEnum:
			def = "unset: the preset decides"
		case def == "":
			def = "the newest release"
		default:
			// The releases whose default differs, as docs/settings.md's
			// table by release gives them.
			for _, r := range []sim.Release{controller.ReleaseV1_7_19, controller.ReleaseMaster} {
				if other := s.DefaultForRelease(r); other != def {
					def += " (" + r.String() + ": " + other + ")"
				}
			}
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", s.Key(), kind, def)
	}
	tw.Flush()
	return b.String() + "\nFlags:\n"
}

// runSweep implements `trunksim sweep` and `trunksim sweep merge`.
func runSweep(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "merge" {
		return runSweepMerge(args[1:], stdout, stderr)
	}
	const name = "trunksim sweep"
	fs := newFlagSet(name)
	format := newChoice("table", "table", "jsonl", "json")
	fs.Var(format, "o", "output `format`: table, jsonl (one result per line, for merging) or json")
	seeds := fs.String("seeds", "", "run every seed of `LIST`, such as 1-100 or 1,5,9-12")
	var axes []sweep.Axis
	fs.Func("set", "sweep `KEY=V1,V2,...` over its values; repeat for a grid", func(s string) error {
		a, err := sweep.ParseAxis(s)
		if err != nil {
			return err
		}
		axes = append(axes, a)
		return nil
	})
	var shard sweep.Shard
	fs.Func("shard", "run only shard `I/N` of the sweep (0 <= I < N); auto/N takes I from $"+jobIndexEnv+", as a Kubernetes Indexed Job sets it", func(s string) (err error) {
		if n, ok := strings.CutPrefix(s, "auto/"); ok {
			i, set := os.LookupEnv(jobIndexEnv)
			if !set {
				return fmt.Errorf("auto/%s: $%s is not set", n, jobIndexEnv)
			}
			s = i + "/" + n
		}
		shard, err = sweep.ParseShard(s)
		return err
	})
	outPath := fs.String("out", "", "write the results to `FILE` instead of standard output, whole or not at all")
	workers := fs.Int("workers", 0, "run on `N` cores (0: all of them); the results are the same")
	files, status := parseCommand(fs, sweepHelp(), args, stdout, stderr)
	if status >= 0 {
		return status
	}
	if len(files) != 1 {
		return usageError(stderr, name, "want exactly one scenario file, got %d", len(files))
	}
	if *workers < 0 {
		return usageError(stderr, name, "--workers %d: want 0 (every core) or more", *workers)
	}
	var seedList []uint64
	if *seeds != "" {
		var err error
		if seedList, err = sweep.ParseSeeds(*seeds); err != nil {
			return usageError(stderr, name, "--seeds: %v", err)
		}
	}
	src, err := readScenarioFile(files[0])
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return exitFailure
	}
	sw, err := sweep.New(files[0], src, seedList, axes)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return exitFailure
	}
	w := stdout
	var file *pendingFile
	if *outPath != "" {
		if file, err = createPending(*outPath); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			return exitFailure
		}
		defer file.abort()
		w = file
	}
	out := newResultWriter(format.value, w)
	// Ctrl-C stops handing out points; those under way finish and are
	// printed, but an --out file is not written: a merge would take a
	// short shard for a whole one.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err = sw.Run(ctx, shard, *workers, out.write)
	if ctx.Err() != nil {
		err = fmt.Errorf("%w after %d of the shard's points", errInterrupted, out.n)
	}
	status = out.finish(name, err, stderr)
	if ctx.Err() != nil {
		return exitInterrupted
	}
	// Results of runs that failed are results too: the file is whole
	// unless the sweep itself stopped.
	if file != nil && err == nil {
		if err := file.commit(); err != nil {
			fmt.Fprintf(stderr, "%s: writing %s: %v\n", name, *outPath, err)
			return exitFailure
		}
	}
	return status
}

// jobIndexEnv is the variable a Kubernetes Indexed Job sets to the pod's
// completion index (kubernetes pkg/controller/job, batch/v1 Job
// completionMode Indexed).
const jobIndexEnv = "JOB_COMPLETION_INDEX"

// runSweepMerge implements `trunksim sweep merge`.
func runSweepMerge(args []string, stdout, stderr io.Writer) int {
	const name = "trunksim sweep merge"
	fs := newFlagSet(name)
	format := newChoice("table", "table", "jsonl", "json")
	fs.Var(format, "o", "output `format`: table, jsonl or json")
	files, status := parseCommand(fs, sweepHelp(), args, stdout, stderr)
	if status >= 0 {
		return status
	}
	if len(files) == 0 {
		return usageError(stderr, name, "want the shards' output files (- for standard input)")
	}
	var m sweep.Merger
	for _, f := range files {
		if err := mergeFile(&m, f); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			return exitFailure
		}
	}
	results, err := m.Results()
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return exitFailure
	}
	out := newResultWriter(format.value, stdout)
	for _, r := range results {
		if err = out.write(r); err != nil {
			break
		}
	}
	return out.finish(name, err, stderr)
}

func mergeFile(m *sweep.Merger, path string) error {
	if path == "-" {
		return m.Add("standard input", os.Stdin)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return m.Add(path, f)
}

// resultWriter prints results in one of the formats as they come.
type resultWriter struct {
	format string
	w      *bufio.Writer
	table  *tabwriter.Writer // aligns the table into rows
	rows   bytes.Buffer      // until finish trims them
	keys   []string          // settings columns of the table
	n      int
	failed int
}

func newResultWriter(format string, w io.Writer) *resultWriter {
	return &resultWriter{format: format, w: bufio.NewWriter(w)}
}

func (o *resultWriter) write(r sweep.Result) error {
	if r.Error != "" {
		o.failed++
	}
	o.n++
	switch o.format {
	case "jsonl":
		return o.encode(r, "")
	case "json":
		sep := ",\n  "
		if o.n == 1 {
			sep = "[\n  "
		}
		if _, err := o.w.WriteString(sep); err != nil {
			return err
		}
		return o.encode(r, "  ")
	}
	return o.row(r)
}

// encode writes r as JSON, as `trunksim run -o json` writes a report but
// on one line unless indent is set; a result's bytes are the same
// whichever machine or shard made it.
func (o *resultWriter) encode(r sweep.Result, indent string) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent(indent, "  ")
	}
	if err := enc.Encode(r); err != nil {
		return err
	}
	if indent != "" {
		b.Truncate(b.Len() - 1) // the separator or the closing bracket follows
	}
	_, err := o.w.Write(b.Bytes())
	return err
}

// row writes r as a table row; the first one writes the header too.
func (o *resultWriter) row(r sweep.Result) error {
	if o.table == nil {
		o.table = tabwriter.NewWriter(&o.rows, 0, 8, 2, ' ', 0)
		for k := range r.Settings {
			o.keys = append(o.keys, k)
		}
		slices.Sort(o.keys)
		head := append(append([]string{"#", "SEED"}, o.keys...), "RUNNING", "PENDING", "FAILED", "P50", "P99", "MAX", "THROTTLED", "SIMULATED", "ERROR")
		fmt.Fprintln(o.table, strings.Join(head, "\t"))
	}
	cells := []string{strconv.Itoa(r.Index), strconv.FormatUint(r.Seed, 10)}
	for _, k := range o.keys {
		cells = append(cells, r.Settings[k])
	}
	if rep := r.Report; rep != nil {
		lat := rep.StartupLatencySeconds
		cells = append(cells, strconv.Itoa(rep.Pods.Running), strconv.Itoa(rep.Pods.Pending), strconv.Itoa(rep.Pods.Failed),
			seconds(lat.P50), seconds(lat.P99), seconds(lat.Max), strconv.Itoa(rep.EC2.Throttled), seconds(rep.SimulatedSeconds))
	} else {
		cells = append(cells, "-", "-", "-", "-", "-", "-", "-", "-")
	}
	cells = append(cells, strings.ReplaceAll(r.Error, "\t", " "))
	_, err := fmt.Fprintln(o.table, strings.Join(cells, "\t"))
	return err
}

// finish closes the output and returns the exit status: runErr, or a
// write error, fails the command; so does any run that stopped with an
// error, once its result is out.
func (o *resultWriter) finish(name string, runErr error, stderr io.Writer) int {
	err := runErr
	switch {
	case o.format == "json" && o.n == 0:
		o.w.WriteString("[]\n")
	case o.format == "json":
		o.w.WriteString("\n]\n")
	case o.table != nil:
		if ferr := o.table.Flush(); err == nil {
			err = ferr
		}
		for _, line := range strings.SplitAfter(o.rows.String(), "\n") {
			if line != "" {
				o.w.WriteString(strings.TrimRight(line, " \n") + "\n")
			}
		}
	}
	if ferr := o.w.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return exitFailure
	}
	if o.failed > 0 {
		fmt.Fprintf(stderr, "%s: %d of %d runs stopped with an error (see their results)\n", name, o.failed, o.n)
		return exitFailure
	}
	return exitOK
}

// readScenarioFile reads a scenario's bytes, at most scenario.MaxBytes.
func readScenarioFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return scenario.ReadBytes(path, f)
}
