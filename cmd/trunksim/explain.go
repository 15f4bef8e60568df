package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trunksim/trunksim/controller"
	"github.com/trunksim/trunksim/fakeec2"
	"github.com/trunksim/trunksim/limits"
	"github.com/trunksim/trunksim/scenario"
	"github.com/trunksim/trunksim/sim"
	"github.com/trunksim/trunksim/sweep"
)

const explainUsage = `usage: trunksim explain SCENARIO.yaml (--pod NAMESPACE/NAME | --slowest | --pending) [-o text|json] [--seed N]

Explains one pod, or every pod still pending: its timeline from the trace
(created, scheduled, the controller's events, network ready), its start-up
latency as parts that add up to it, why it waited or is still waiting in
the words of the real system, and remedies ranked by how much each would
have saved. Every remedy is measured, by running the scenario again with
that one change: the newest controller release (when it models another),
EC2's account rate limit doubled, the
shortest cool-down, more nodes, a larger instance type, a rollout that
replaces before it adds. The file - is standard input.

--slowest picks, of the pods still there at the end, the security-group
pod that took longest to get its network; --pending every pod pending at
the end (at most --max in detail).

Examples:
  trunksim explain rollout.yaml --slowest
  trunksim explain rollout.yaml --pod default/web-7 -o json
  trunksim explain full-node.yaml --pending

Flags:
`

// explained is one pod, explained.
type explained struct {
	Pod              string   `json:"pod"`
	Phase            string   `json:"phase"`
	Node             string   `json:"node,omitempty"`
	SecurityGroups   bool     `json:"securityGroupPod"`
	CreatedSeconds   float64  `json:"createdSeconds"`
	ScheduledSeconds *float64 `json:"scheduledSeconds,omitempty"`
	ReadySeconds     *float64 `json:"readySeconds,omitempty"`
	StartupSeconds   *float64 `json:"startupSeconds,omitempty"`
	// AlreadyRunning is set for a pod running before the run began, which
	// has no start-up in it.
	AlreadyRunning bool            `json:"alreadyRunning,omitempty"`
	CriticalPath   []pathPart      `json:"criticalPath,omitempty"`
	Why            string          `json:"why"`
	Timeline       []timelineEntry `json:"timeline"`
}

// pathPart is one part of a pod's start-up latency.
type pathPart struct {
	Part    string  `json:"part"`
	Seconds float64 `json:"seconds"`
}

// timelineEntry is one trace line about the pod or its node.
type timelineEntry struct {
	T      float64 `json:"t"`
	Event  string  `json:"event"`
	Object string  `json:"object"`
	Detail string  `json:"detail,omitempty"`
}

// remedy is one change, and what it did to the pods explained.
type remedy struct {
	Change   string            `json:"change"`
	Settings map[string]string `json:"settings"`
	// Ready counts the explained pods whose network became ready with
	// the change, NewlyReady those of them that never did without it;
	// SavedSeconds is the start-up time it saved the pods ready in both
	// runs, summed (negative when it cost time).
	Ready        int         `json:"ready"`
	NewlyReady   int         `json:"newlyReady"`
	SavedSeconds float64     `json:"savedSeconds"`
	Pods         []remedyPod `json:"pods"`
	// P99Seconds and Pending are the changed run's start-up p99 and
	// pending pods at its end.
	P99Seconds float64 `json:"p99Seconds"`
	Pending    int     `json:"pending"`
	// Error is set when the scenario could not run with the change.
	Error string `json:"error,omitempty"`
}

type remedyPod struct {
	Pod            string   `json:"pod"`
	StartupSeconds *float64 `json:"startupSeconds"`
}

type explanation struct {
	Scenario string `json:"scenario"`
	Seed     uint64 `json:"seed"`
	// P99Seconds and Pending are the run's, for comparison with each
	// remedy's.
	P99Seconds float64     `json:"p99Seconds"`
	Pending    int         `json:"pending"`
	Pods       []explained `json:"pods"`
	// More counts pending pods not explained in detail (--max).
	More     int      `json:"more,omitempty"`
	Remedies []remedy `json:"remedies"`
}

// runExplain implements `trunksim explain`.
func runExplain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	const name = "trunksim explain"
	fs := newFlagSet(name)
	format := newChoice("text", "text", "json")
	fs.Var(format, "o", "report `format`: text or json")
	seed := seedFlag(fs)
	podName := fs.String("pod", "", "explain the pod `NAMESPACE/NAME`")
	slowest := fs.Bool("slowest", false, "explain the slowest security-group pod")
	pending := fs.Bool("pending", false, "explain every pod pending at the end")
	maxPods := fs.Int("max", 10, "explain at most `N` pending pods in detail")
	var src sources
	src.stdin = stdin
	files, status := parseCommand(fs, explainUsage, args, stdout, stderr)
	if status >= 0 {
		return status
	}
	picked := 0
	for _, on := range []bool{*podName != "", *slowest, *pending} {
		if on {
			picked++
		}
	}
	switch {
	case len(files) != 1:
		return usageError(stderr, name, "want exactly one scenario file, got %d", len(files))
	case picked != 1:
		return usageError(stderr, name, "give exactly one of --pod, --slowest and --pending")
	case *maxPods < 1:
		return usageError(stderr, name, "--max wants at least 1")
	case *podName != "" && !strings.Contains(*podName, "/"):
		return usageError(stderr, name, "--pod wants NAMESPACE/NAME, got %q", *podName)
	}
	file, source, err := src.get(files[0])
	if err == nil {
		var ex explanation
		ex, err = explain(file, source, *seed, pick{pod: *podName, slowest: *slowest, pending: *pending, max: *maxPods}, stderr)
		if err == nil {
			if format.value == "json" {
				err = writeJSON(stdout, ex)
			} else {
				_, err = io.WriteString(stdout, explainText(ex))
			}
		}
	}
	if err != nil {
		return failed(stderr, name, err)
	}
	return exitOK
}

// pick says which pods to explain.
type pick struct {
	pod              string
	slowest, pending bool
	max              int
}

// run is one run of a scenario, possibly changed.
type outcome struct {
	report sim.Report
	pods   map[string]sim.PodStatus // by namespace/name
	order  []string                 // pod keys in creation order
}

func runOnce(sc *scenario.Scenario, seed *uint64, trace, stderr io.Writer) (outcome, error) {
	s, err := playGuarded("trunksim explain", sc, scenario.Options{Seed: seed, Trace: trace}, stderr)
	if err != nil {
		return outcome{}, err
	}
	o := outcome{report: s.Report(), pods: map[string]sim.PodStatus{}}
	for _, p := range s.Pods() {
		k := p.Namespace + "/" + p.Name
		o.pods[k] = p
		o.order = append(o.order, k)
	}
	return o, nil
}

// explain runs the scenario, picks the pods, runs it again with a trace
// kept for them, and measures each remedy.
func explain(file string, source []byte, seed *uint64, pk pick, stderr io.Writer) (explanation, error) {
	sc, err := scenario.Parse(file, source)
	if err != nil {
		return explanation{}, err
	}
	base, err := runOnce(sc, seed, nil, stderr)
	if err != nil {
		return explanation{}, err
	}
	keys, more, err := choose(base, pk)
	if err != nil {
		return explanation{}, err
	}
	ex := explanation{Scenario: file, Seed: base.report.Seed, More: more,
		P99Seconds: base.report.StartupLatencySeconds.P99, Pending: base.report.Pods.Pending}
	objects := map[string][]timelineEntry{}
	for _, k := range keys {
		objects["pod/"+k] = nil
		if n := base.pods[k].Node; n != "" {
			objects["node/"+n] = nil
		}
	}
	keep := &traceFilter{objects: objects}
	if _, err := runOnce(sc, seed, keep, stderr); err != nil {
		return explanation{}, err
	}
	if err := keep.flush(); err != nil {
		return explanation{}, err
	}
	for _, k := range keys {
		ex.Pods = append(ex.Pods, explainPod(base.pods[k], objects, base.report))
	}
	ex.Remedies, err = measure(file, source, sc, seed, base, keys, stderr)
	return ex, err
}

// choose returns the keys of the pods to explain, and how many pending
// pods were left out.
func choose(o outcome, pk pick) ([]string, int, error) {
	switch {
	case pk.pod != "":
		if _, ok := o.pods[pk.pod]; !ok {
			return nil, 0, fmt.Errorf("no pod %s at the end of the run (a pod deleted before it ends cannot be explained)", pk.pod)
		}
		return []string{pk.pod}, 0, nil
	case pk.slowest:
		best, worst := "", -1.0
		for _, k := range o.order {
			p := o.pods[k]
			if p.NeedsBranch && p.NetworkReady && !p.AlreadyRunning {
				if d := (p.Ready - p.Created).Seconds(); d > worst {
					best, worst = k, d
				}
			}
		}
		if best == "" && o.report.Pods.FromExistingBranches > 0 {
			return nil, 0, fmt.Errorf("no security-group pod got its network during the run (%d were running on their branch ENIs at time zero); add an event such as a rolloutRestart, or try --pod or --pending",
				o.report.Pods.FromExistingBranches)
		}
		if best == "" {
			return nil, 0, fmt.Errorf("no security-group pod got its network; try --pending")
		}
		return []string{best}, 0, nil
	}
	var keys []string
	for _, k := range o.order {
		if o.pods[k].Phase == sim.Pending {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil, 0, fmt.Errorf("no pod is pending at the end of the run")
	}
	if len(keys) > pk.max {
		return keys[:pk.max], len(keys) - pk.max, nil
	}
	return keys, 0, nil
}

// traceFilter keeps the trace lines about some objects.
type traceFilter struct {
	objects map[string][]timelineEntry
	partial []byte
	err     error
}

func (f *traceFilter) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			f.partial = append(f.partial, b...)
			break
		}
		line := b[:i]
		if len(f.partial) > 0 {
			line = append(f.partial, line...)
			f.partial = f.partial[:0]
		}
		f.line(line)
		b = b[i+1:]
	}
	return n, f.err
}

func (f *traceFilter) line(line []byte) {
	at := bytes.Index(line, []byte(`"object":"`))
	if at < 0 {
		return
	}
	rest := line[at+len(`"object":"`):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return
	}
	obj := string(rest[:end])
	if _, ok := f.objects[obj]; !ok {
		return
	}
	var e timelineEntry
	if err := json.Unmarshal(line, &e); err != nil {
		f.err = fmt.Errorf("reading the trace: %w", err)
		return
	}
	f.objects[obj] = append(f.objects[obj], e)
}

func (f *traceFilter) flush() error {
	if len(f.partial) > 0 {
		f.line(f.partial)
	}
	return f.err
}

// explainPod puts one pod's status and trace together.
func explainPod(p sim.PodStatus, objects map[string][]timelineEntry, r sim.Report) explained {
	k := p.Namespace + "/" + p.Name
	e := explained{Pod: k, Phase: p.Phase.String(), Node: p.Node, SecurityGroups: p.NeedsBranch, CreatedSeconds: p.Created.Seconds()}
	if p.Node != "" {
		e.ScheduledSeconds = ptr(p.Scheduled.Seconds())
	}
	end := math.Inf(1)
	e.AlreadyRunning = p.AlreadyRunning
	if p.NetworkReady {
		e.ReadySeconds = ptr(p.Ready.Seconds())
		if !p.AlreadyRunning {
			e.StartupSeconds = ptr((p.Ready - p.Created).Seconds())
		}
		end = p.Ready.Seconds()
	}
	e.Timeline = slices.Clone(objects["pod/"+k])
	for _, n := range objects["node/"+p.Node] {
		if n.T <= end {
			e.Timeline = append(e.Timeline, n)
		}
	}
	slices.SortStableFunc(e.Timeline, func(a, b timelineEntry) int {
		switch {
		case a.T < b.T:
			return -1
		case a.T > b.T:
			return 1
		}
		return 0
	})
	if p.NeedsBranch && p.Phase == sim.Running {
		for _, c := range breakdown(p.Startup) {
			e.CriticalPath = append(e.CriticalPath, pathPart{c.name, c.n})
		}
	}
	e.Why = why(p, e)
	return e
}

func ptr(f float64) *float64 { return &f }

// partWhy says what a part of start-up latency is, in the system's terms.
var partWhy = map[string]string{
	"scheduling":           "no node could take the pod yet: kube-scheduler found no node advertising a free vpc.amazonaws.com/pod-eni (or max pods was reached)",
	"waiting for capacity": "every branch slot on its node was in use or cooling down: the controller requeued the create once per cool-down until one was deleted",
	"controller queue":     "the create waited for one of the controller's branch workers, or in its retry back-off, behind other pods",
	"EC2 client wait":      "the create waited in the controller's EC2 client rate limiter (user client for Create and Permission, instance client for Associate)",
	"EC2 calls":            "the EC2 calls themselves took this long",
	"throttling retries":   "EC2 throttled the calls (RequestLimitExceeded) and the SDK retryer backed off",
	"API server wait":      "the pod GET and annotation PATCH waited in the controller's API server rate limiter",
	"waiting for a node":   "the node the pod went to had not joined yet: it was being launched (by Karpenter, or an addNode event) while the pod was Pending",
	"waiting for a trunk":  "the node the pod went to had joined but the controller had not yet created its trunk ENI and advertised vpc.amazonaws.com/pod-eni",
	"kubelet retry":        "the branch was annotated while the kubelet waited out its sandbox back-off (FailedCreatePodSandBox, 10-15 s) before the CNI's next ADD",
}

// why says why the pod waited, or is waiting.
func why(p sim.PodStatus, e explained) string {
	switch {
	case p.Phase == sim.Pending:
		return p.Reason
	case p.AlreadyRunning && p.NeedsBranch:
		return "it was running before the run began, on a branch ENI the controller rebuilt from its pod-eni annotation"
	case p.AlreadyRunning:
		return "it was running before the run began"
	case !p.NeedsBranch:
		return "an ordinary pod: it starts once scheduled, with a secondary IP"
	case len(e.CriticalPath) == 0:
		return "it got its network at once"
	}
	top := e.CriticalPath[0]
	share := 100 * top.Seconds / *e.StartupSeconds
	return fmt.Sprintf("%s took %s (%.0f%% of its start-up): %s", top.Part, seconds(top.Seconds), share, partWhy[top.Part])
}

// candidate is a change explain tries.
type candidate struct {
	change   string
	settings []sweep.Setting
}

// candidates lists the changes worth measuring for this scenario.
func candidates(sc *scenario.Scenario) []candidate {
	var out []candidate
	if newest := controller.DefaultRelease; sc.Controller.Modelled() != newest {
		out = append(out, candidate{fmt.Sprintf("the newest controller release, %v (user client 24 QPS / burst 36, 20 node workers; upstream PR #675)", newest),
			[]sweep.Setting{{Key: "controller.version", Value: newest.String()}}})
	}
	if e := sc.EC2; !e.NoAccountThrottling {
		bucket, refill := e.MutatingBucket, e.MutatingRefill
		if bucket == 0 {
			bucket = fakeec2.DefaultMutatingBucket
		}
		if refill == 0 {
			refill = fakeec2.DefaultMutatingRefill
		}
		out = append(out, candidate{fmt.Sprintf("EC2's account rate limit for mutating calls doubled (bucket %d, %v a second; AWS raises it on a Support request)", 2*bucket, 2*refill),
			[]sweep.Setting{{Key: "ec2.mutatingBucket", Value: strconv.Itoa(2 * bucket)}, {Key: "ec2.mutatingRefill", Value: strconv.FormatFloat(2*refill, 'f', -1, 64)}}})
	}
	if c := sc.Controller.CoolDown; c == 0 || c > 30*time.Second {
		out = append(out, candidate{"the shortest branch ENI cool-down, 30s (configmap amazon-vpc-cni branch-eni-cooldown)",
			[]sweep.Setting{{Key: "controller.cooldown", Value: "30s"}}})
	}
	for i, g := range sc.NodeGroups {
		if g.Count > 0 {
			n := g.Count + max(1, g.Count/2)
			out = append(out, candidate{fmt.Sprintf("node group %s with %d nodes instead of %d", g.Name, n, g.Count),
				[]sweep.Setting{{Key: fmt.Sprintf("nodeGroups[%d].count", i), Value: strconv.Itoa(n)}}})
		}
		if bigger, ok := largerType(g.InstanceType); ok {
			out = append(out, candidate{fmt.Sprintf("node group %s on %s instead of %s", g.Name, bigger, g.InstanceType),
				[]sweep.Setting{{Key: fmt.Sprintf("nodeGroups[%d].instanceType", i), Value: bigger}}})
		}
	}
	for i, e := range sc.Events {
		if e.Action != scenario.RolloutRestart || e.MaxSurge == 0 && e.MaxUnavailable > 0 {
			continue // not a rollout, or one that already replaces before it adds
		}
		unavailable := max(1, e.MaxUnavailable)
		if e.MaxSurge == 0 && e.MaxUnavailable == 0 {
			unavailable = max(1, replicasOf(sc, e.Workload)/4)
		}
		out = append(out, candidate{fmt.Sprintf("the rollout of %s at %s with maxSurge 0, maxUnavailable %d (replace before adding, so no extra branch is needed)", e.Workload, e.At, unavailable),
			[]sweep.Setting{{Key: fmt.Sprintf("events[%d].maxSurge", i), Value: "0"}, {Key: fmt.Sprintf("events[%d].maxUnavailable", i), Value: strconv.Itoa(unavailable)}}})
	}
	return out
}

func replicasOf(sc *scenario.Scenario, workload string) int {
	for _, w := range sc.Workloads {
		if w.Name == workload {
			return w.Replicas
		}
	}
	return 0
}

// largerType returns the type of the same family with the fewest branch
// interfaces more than t's, the next step up for security-group pods.
func largerType(t string) (string, bool) {
	table := limits.Default()
	cur, err := table.Lookup(t)
	if err != nil {
		return "", false
	}
	best, bestBranches := "", math.MaxInt
	for _, it := range table.All() {
		if it.Family() == cur.Family() && !it.BareMetal && it.BranchInterfaces > cur.BranchInterfaces && it.BranchInterfaces < bestBranches {
			best, bestBranches = it.Name, it.BranchInterfaces
		}
	}
	return best, best != ""
}

// measure runs the scenario once per candidate and ranks the candidates
// by how much start-up time they saved the pods explained.
func measure(file string, source []byte, sc *scenario.Scenario, seed *uint64, base outcome, keys []string, stderr io.Writer) ([]remedy, error) {
	var out []remedy
	for _, c := range candidates(sc) {
		r := remedy{Change: c.change, Settings: map[string]string{}}
		for _, s := range c.settings {
			r.Settings[s.Key] = s.Value
		}
		changed, err := sweep.Apply(file, source, c.settings)
		var o outcome
		if err == nil {
			o, err = runOnce(changed, seed, nil, stderr)
		}
		if errors.Is(err, errInterrupted) {
			return out, err
		}
		if err != nil {
			r.Error = err.Error()
			out = append(out, r)
			continue
		}
		for _, k := range keys {
			before, after := startup(base, k), startup(o, k)
			rp := remedyPod{Pod: k}
			if !math.IsInf(after, 1) {
				rp.StartupSeconds = ptr(round3(after))
				r.Ready++
			}
			switch {
			case math.IsInf(after, 1):
			case math.IsInf(before, 1):
				r.NewlyReady++
			default:
				r.SavedSeconds += before - after
			}
			r.Pods = append(r.Pods, rp)
		}
		r.SavedSeconds = round3(r.SavedSeconds)
		r.P99Seconds, r.Pending = o.report.StartupLatencySeconds.P99, o.report.Pods.Pending
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b remedy) int {
		switch {
		case a.NewlyReady != b.NewlyReady:
			return b.NewlyReady - a.NewlyReady
		case a.SavedSeconds > b.SavedSeconds:
			return -1
		case a.SavedSeconds < b.SavedSeconds:
			return 1
		}
		return 0
	})
	return out, nil
}

// startup is a pod's start-up latency in a run, +Inf when its network
// never became ready (or the pod is not there).
func startup(o outcome, k string) float64 {
	p, ok := o.pods[k]
	if !ok || !p.NetworkReady {
		return math.Inf(1)
	}
	return (p.Ready - p.Created).Seconds()
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// explainText writes the explanation for people.
func explainText(ex explanation) string {
	b := &strings.Builder{}
	w := bufio.NewWriter(b)
	fmt.Fprintf(w, "%s (seed %d)\n", ex.Scenario, ex.Seed)
	for _, p := range ex.Pods {
		fmt.Fprintf(w, "\npod %s: %s", p.Pod, p.Phase)
		if p.Node != "" {
			fmt.Fprintf(w, " on %s", p.Node)
		}
		switch {
		case p.AlreadyRunning:
			fmt.Fprintf(w, ", running before the run began")
		case p.StartupSeconds != nil:
			fmt.Fprintf(w, ", network ready %s after creation", seconds(*p.StartupSeconds))
		}
		fmt.Fprintf(w, "\n  why: %s\n", p.Why)
		if len(p.CriticalPath) > 0 {
			fmt.Fprintf(w, "  start-up by part:\n")
			for _, c := range p.CriticalPath {
				fmt.Fprintf(w, "    %-21s %9s\n", c.Part, seconds(c.Seconds))
			}
		}
		fmt.Fprintf(w, "  timeline:\n")
		for _, t := range p.Timeline {
			line := fmt.Sprintf("    %10s  %-24s %s", seconds(t.T), t.Event, t.Object)
			if t.Detail != "" {
				line += "  " + t.Detail
			}
			fmt.Fprintln(w, line)
		}
	}
	if ex.More > 0 {
		fmt.Fprintf(w, "\n... and %s more, not shown (--max)\n", plural(ex.More, "pending pod"))
	}
	fmt.Fprintf(w, "\nRemedies, each measured by running the scenario again with it alone:\n")
	if len(ex.Remedies) == 0 {
		fmt.Fprintf(w, "  none to try for this scenario\n")
	}
	for i, r := range ex.Remedies {
		fmt.Fprintf(w, "  %d. %s\n     ", i+1, r.Change)
		if r.Error != "" {
			fmt.Fprintf(w, "could not run: %s\n", r.Error)
			continue
		}
		var says []string
		if r.NewlyReady > 0 {
			says = append(says, fmt.Sprintf("gets %d of %d pods that never got their network running", r.NewlyReady, len(r.Pods)-(r.Ready-r.NewlyReady)))
		}
		switch {
		case r.SavedSeconds > 0:
			says = append(says, "saves "+seconds(r.SavedSeconds))
		case r.SavedSeconds < 0:
			says = append(says, "costs "+seconds(-r.SavedSeconds))
		case r.NewlyReady == 0:
			says = append(says, "saves nothing")
		}
		fmt.Fprintf(w, "%s; run p99 %s -> %s, pending %d -> %d\n", strings.Join(says, "; "), seconds(ex.P99Seconds), seconds(r.P99Seconds), ex.Pending, r.Pending)
	}
	w.Flush()
	return b.String()
}
