package simtest

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/trunksim/trunksim/scenario"
	"github.com/trunksim/trunksim/sim"
)

// Scenario returns the run so far as a scenario: the drawn cluster, each
// created pod as a workload of one replica created at its time, node
// additions and deletions, pod deletions, scales, rollouts, policy
// changes and controller restarts as events, fault windows under ec2.faults, and until set to now, so that
// `trunksim run` stops where the harness is. Actions the format cannot
// express are listed by [Harness.Unreplayable].
func (h *Harness) Scenario() *scenario.Scenario {
	sc := cloneScenario(h.rec)
	sc.Until = h.Now()
	return sc
}

// Unreplayable lists what was done that the scenario cannot express
// (anything given to [Harness.Note]), each with its time. When it is empty the scenario replays the run
// exactly: same trace, same report.
func (h *Harness) Unreplayable() []string { return append([]string(nil), h.notes...) }

// ScenarioYAML writes [Harness.Scenario] in the scenario file format,
// headed by comments that give the seed, the trace hash a replay must
// reproduce, and what the file cannot express.
func (h *Harness) ScenarioYAML() ([]byte, error) {
	sc := h.Scenario()
	body, err := sc.Marshal()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Replays a simtest run with: trunksim run %s\n", sc.File)
	fmt.Fprintf(&b, "# Simulation seed %d; %d action(s); stopped at %v.\n", sc.Seed, h.actions, h.Now())
	if sc.Until == 0 {
		b.WriteString("# The run stopped at time zero; without until the replay runs until idle.\n")
	}
	if len(h.notes) == 0 {
		fmt.Fprintf(&b, "# The replay's report has traceSHA256 %s.\n", h.sim.Report().TraceSHA256)
	} else {
		b.WriteString("# Not expressible in this format, so the replay differs from the run from the first of these on:\n")
		for _, n := range h.notes {
			b.WriteString("#   " + n + "\n")
		}
	}
	b.Write(body)
	return b.Bytes(), nil
}

// FailureReport describes the case for a failure message: the simulation
// seed, the violations (upstream's own marked), and the scenario file that
// replays the case.
func (h *Harness) FailureReport(vs []Violation) string {
	var b strings.Builder
	fmt.Fprintf(&b, "simtest: simulation seed %d, %d action(s), virtual time %v\n", h.rec.Seed, h.actions, h.Now())
	for _, v := range vs {
		b.WriteString("  " + v.String() + "\n")
	}
	yaml, err := h.ScenarioYAML()
	if err != nil {
		fmt.Fprintf(&b, "the run cannot be written as a scenario: %v\n", err)
		return b.String()
	}
	b.WriteString("scenario (save as " + h.rec.File + " and run `trunksim run " + h.rec.File + "`):\n")
	b.Write(yaml)
	return b.String()
}

// Replay parses a scenario file and runs it as `trunksim run` does (to its
// until, or until idle), keeping the trace, so a case the harness printed
// can be examined: run the checkers over the result, or step through it
// in a debugger.
func Replay(name string, data []byte) (*sim.Sim, []TraceEvent, error) {
	sc, err := scenario.Parse(name, data)
	if err != nil {
		return nil, nil, err
	}
	var tw traceWriter
	s, err := sc.Build(scenario.Options{Trace: &tw})
	if err != nil {
		return nil, nil, err
	}
	if sc.Until > 0 {
		err = s.RunUntil(sc.Until)
	} else {
		err = s.Run()
	}
	if err == nil {
		err = tw.err
	}
	return s, tw.events, err
}
