package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/trunksim/trunksim/reach"
	"github.com/trunksim/trunksim/scenario"
	"github.com/trunksim/trunksim/sim"
	"github.com/trunksim/trunksim/sim/slo"
	"github.com/trunksim/trunksim/sweep"
)

const diffUsage = `usage: trunksim diff A.yaml [B.yaml] [--set KEY=V]... [--seed N] [-o text|json]

Runs two scenarios and puts their reports side by side: start-up latency,
last pod ready, pods, EC2 calls, throttling and errors, leaked branch ENIs,
and the errors and warnings of 'trunksim check'. With one file, B is A with
the --set settings applied; with two, --set applies to B. The figures are
the ones 'trunksim run --slo' bounds, under the same names. Flags may come
before or after the files.

Examples:
  trunksim diff rollout.yaml --set controller.userClientQPS=24
  trunksim diff before.yaml after.yaml -o json

Flags:
`

// diffSide is one of the two runs of a diff.
type diffSide struct {
	Scenario string            `json:"scenario"`
	Settings map[string]string `json:"settings,omitempty"`
	Report   sim.Report        `json:"report"`
	Check    checkCounts       `json:"check"`
}

// checkCounts counts the findings of the reachability check.
type checkCounts struct {
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
}

// diffFigure is one figure of both runs.
type diffFigure struct {
	Name string `json:"name"`
	// Unit is "seconds" or "count".
	Unit   string    `json:"unit"`
	A      jsonFloat `json:"a"`
	B      jsonFloat `json:"b"`
	Change jsonFloat `json:"change"`
}

// jsonFloat is a number that is null in JSON when it is not finite, as
// the latency of a run whose pods never got their network.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, v, 'f', -1, 64), nil
}

type diffReport struct {
	A       diffSide     `json:"a"`
	B       diffSide     `json:"b"`
	Figures []diffFigure `json:"figures"`
}

// runDiff implements `trunksim diff`.
func runDiff(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	const name = "trunksim diff"
	fs := newFlagSet(name)
	format := newChoice("text", "text", "json")
	fs.Var(format, "o", "report `format`: text or json")
	seed := seedFlag(fs)
	var settings []sweep.Setting
	fs.Func("set", "run B with `KEY=V` (a dotted scenario path, as sweep takes it); repeatable", func(s string) error {
		a, err := sweep.ParseAxis(s)
		if err != nil {
			return err
		}
		if len(a.Values) != 1 {
			return fmt.Errorf("%s: want one value; sweep takes lists", s)
		}
		settings = append(settings, sweep.Setting{Key: a.Key, Value: a.Values[0]})
		return nil
	})
	files, status := parseCommand(fs, diffUsage, args, stdout, stderr)
	if status >= 0 {
		return status
	}
	switch {
	case len(files) == 0 || len(files) > 2:
		return usageError(stderr, name, "want one or two scenario files, got %d", len(files))
	case len(files) == 1 && len(settings) == 0:
		return usageError(stderr, name, "with one file, give --set for B to differ")
	}
	src := sources{stdin: stdin}
	a, err := diffRun(&src, files[0], nil, *seed, stderr)
	if err == nil {
		var b diffSide
		b, err = diffRun(&src, files[len(files)-1], settings, *seed, stderr)
		if err == nil {
			d := diffReport{A: a, B: b, Figures: figures(a.Report, b.Report)}
			if format.value == "json" {
				err = writeJSON(stdout, d)
			} else {
				_, err = io.WriteString(stdout, diffText(d))
			}
		}
	}
	if err != nil {
		return failed(stderr, name, err)
	}
	return exitOK
}

// sources reads scenario files, and standard input once however often
// "-" is named.
type sources struct {
	stdin io.Reader
	piped []byte
	read  bool
}

// get returns the bytes of file and the name to give it in reports.
func (s *sources) get(file string) (name string, data []byte, err error) {
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return file, nil, err
		}
		defer f.Close()
		data, err = scenario.ReadBytes(file, f)
		return file, data, err
	}
	if !s.read {
		s.piped, err = scenario.ReadBytes(stdinName, s.stdin)
		s.read = err == nil
	}
	return stdinName, s.piped, err
}

// diffRun loads file, applies settings, runs it and checks it.
func diffRun(src *sources, file string, settings []sweep.Setting, seed *uint64, stderr io.Writer) (diffSide, error) {
	name, source, err := src.get(file)
	side := diffSide{Scenario: name}
	if err != nil {
		return side, err
	}
	sc, err := sweep.Apply(name, source, settings)
	if err != nil {
		return side, err
	}
	if len(settings) > 0 {
		side.Settings = map[string]string{}
		for _, s := range settings {
			side.Settings[s.Key] = s.Value
		}
	}
	s, err := playGuarded("trunksim diff", sc, scenario.Options{Seed: seed}, stderr)
	if err != nil {
		return side, err
	}
	side.Report = s.Report()
	check, err := reach.CheckCluster(sc.Cluster())
	if err != nil {
		return side, err
	}
	side.Check = checkCounts{Errors: check.Count(reach.Error), Warnings: check.Count(reach.Warning)}
	return side, nil
}

// figures compares the figures --slo bounds, in its order.
func figures(a, b sim.Report) []diffFigure {
	var out []diffFigure
	for m := slo.P50; m <= slo.Errors; m++ {
		unit := "count"
		if m.IsTime() {
			unit = "seconds"
		}
		va, vb := m.Of(a), m.Of(b)
		out = append(out, diffFigure{Name: m.String(), Unit: unit, A: jsonFloat(va), B: jsonFloat(vb), Change: jsonFloat(vb - va)})
	}
	return out
}

// diffText writes the two runs side by side for people.
func diffText(d diffReport) string {
	b := &strings.Builder{}
	describe := func(label string, s diffSide) {
		fmt.Fprintf(b, "%s  %s (seed %d)", label, s.Scenario, s.Report.Seed)
		for _, kv := range byKey(s.Settings) {
			fmt.Fprintf(b, " %s", kv)
		}
		b.WriteString("\n")
	}
	describe("A", d.A)
	describe("B", d.B)
	rows := [][4]string{{"figure", "A", "B", "change"}}
	for i, f := range d.Figures {
		m := slo.P50 + slo.Metric(i)
		rows = append(rows, [4]string{f.Name, formatFigure(m, float64(f.A)), formatFigure(m, float64(f.B)), change(m, float64(f.A), float64(f.B))})
	}
	rows = append(rows,
		[4]string{"check errors", strconv.Itoa(d.A.Check.Errors), strconv.Itoa(d.B.Check.Errors), change(slo.Errors, float64(d.A.Check.Errors), float64(d.B.Check.Errors))},
		[4]string{"check warnings", strconv.Itoa(d.A.Check.Warnings), strconv.Itoa(d.B.Check.Warnings), change(slo.Errors, float64(d.A.Check.Warnings), float64(d.B.Check.Warnings))})
	var width [3]int
	for _, r := range rows {
		for i := range width {
			width[i] = max(width[i], len(r[i]))
		}
	}
	b.WriteString("\n")
	for _, r := range rows {
		line := fmt.Sprintf("%-*s  %*s  %*s  %s", width[0], r[0], width[1], r[1], width[2], r[2], r[3])
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	return b.String()
}

// byKey returns "key=value" for each setting, sorted by key.
func byKey(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

func formatFigure(m slo.Metric, v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "never"
	case m.IsTime():
		return seconds(v)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// change says how B differs from A: "=" when it does not, else the
// difference with its sign and, where A is not zero, the percentage.
func change(m slo.Metric, a, b float64) string {
	switch {
	case a == b:
		return "="
	case math.IsInf(a, 0) || math.IsInf(b, 0):
		return formatFigure(m, a) + " -> " + formatFigure(m, b)
	}
	d := b - a
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	s := sign + formatFigure(m, d)
	if a != 0 {
		s += fmt.Sprintf(" (%s%.0f%%)", sign, 100*d/math.Abs(a))
	}
	return s
}
