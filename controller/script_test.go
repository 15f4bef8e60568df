package controller

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/fakeec2"
	"github.com/trunksim/trunksim/limits"
)

var update = flag.Bool("update", false, "rewrite the expected sections of controller/testdata/*.txt")

// TestScript runs every script in testdata. A script is a sequence of
// blocks, each some comment lines (#), one or more commands, a line
// "----" and the output the commands are expected to give, ended by a
// blank line or the end of the file:
//
//	# a comment
//	ec2 throttling=off
//	join node=0 name=n1 type=m5.large
//	run-until 10s
//	----
//	0s     Start              WakeIdle resync/0 at 30m0s
//	0s     NodeJoined node=0  Wake step/0 at 0s
//	0s     WokeUp step/0      Wake call/0 at 0s
//	0s     WokeUp call/0      Call user DescribeInstances answer/0 init node=0 -> ok in 100ms
//	0s     Answered answer/0  Wake answer/0 at 100ms
//	...
//
// Each output line is one effect, in three columns aligned within the
// block: the virtual time it was applied at; the input that produced it
// (a command's input, "WokeUp <timer>" for a wake-up coming due,
// "Answered <timer>" for EC2's answer to a Call, stepped back at once);
// the effect, by kind. A Call names its client, EC2 action, timer, job
// (init, create, sweep, wipe), node and pod, the request's arguments, and
// after "->" the fake EC2's answer and its latency. A Wake whose wait is
// the Kubernetes client's rate limiter names the API call it waits for.
// NodeChanged and BranchesChanged show the node's trunk as the accessors
// give it after the step; Emit shows the event's type, reason, object and
// message. An input that shows nothing prints "(nothing shown)", a
// refused one "refused:" and the error. The state, interfaces and wakes
// commands print what the accessors, the fake EC2 and the harness hold.
// The commands are documented at (*script).exec. After a deliberate
// change, regenerate the outputs with
//
//	go test ./controller -run Script -update
//
// and read the diff before keeping it.
func TestScript(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no scripts in testdata")
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) { runScriptFile(t, f) })
	}
}

// block is one command block of a script file.
type block struct {
	pre  []string // the lines before "----": comments, blank lines, commands
	cmds []scriptLine
	want []string
}

type scriptLine struct {
	line int
	text string
}

// parseScript splits a script into blocks and the lines after the last.
func parseScript(path string, text string) (blocks []block, tail []string, err error) {
	sc := bufio.NewScanner(strings.NewReader(text))
	var cur block
	inWant := false
	n := 0
	for sc.Scan() {
		n++
		l := sc.Text()
		switch {
		case inWant && l == "":
			blocks = append(blocks, cur)
			cur, inWant = block{}, false
		case inWant:
			cur.want = append(cur.want, l)
		case l == "----":
			if len(cur.cmds) == 0 {
				return nil, nil, fmt.Errorf("%s:%d: ---- with no command before it", path, n)
			}
			inWant = true
		default:
			cur.pre = append(cur.pre, l)
			if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
				cur.cmds = append(cur.cmds, scriptLine{n, t})
			}
		}
	}
	if inWant {
		blocks = append(blocks, cur)
		cur = block{}
	}
	if len(cur.cmds) > 0 {
		return nil, nil, fmt.Errorf("%s:%d: commands with no ---- after them", path, cur.cmds[0].line)
	}
	return blocks, cur.pre, sc.Err()
}

func runScriptFile(t *testing.T, path string) {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blocks, tail, err := parseScript(path, string(raw))
	if err != nil {
		t.Fatal(err)
	}
	s := newScript()
	var rewritten strings.Builder
	for i := range blocks {
		b := &blocks[i]
		s.out = s.out[:0]
		for _, c := range b.cmds {
			if err := s.exec(c.text); err != nil {
				t.Fatalf("%s:%d: %s: %v", path, c.line, c.text, err)
			}
		}
		got := formatRows(s.out)
		if *update {
			for _, l := range b.pre {
				rewritten.WriteString(l + "\n")
			}
			rewritten.WriteString("----\n")
			for _, l := range got {
				rewritten.WriteString(l + "\n")
			}
			if i < len(blocks)-1 || len(tail) > 0 {
				rewritten.WriteString("\n")
			}
			continue
		}
		if !cmp.Equal(b.want, got, cmpopts.EquateEmpty()) {
			t.Errorf("%s:%d: output differs (-want +got; go test ./controller -run Script -update rewrites it):\n%s",
				path, b.cmds[0].line, lineDiff(b.want, got))
		}
	}
	if *update {
		for _, l := range tail {
			rewritten.WriteString(l + "\n")
		}
		if err := os.WriteFile(path, []byte(rewritten.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// lineDiff shows how got differs from want line by line: the lines of a
// longest common subsequence unmarked, the others marked - or +, with two
// lines of context around each change.
func lineDiff(want, got []string) string {
	n, m := len(want), len(got)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if want[i] == got[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type diffLine struct {
		mark byte
		text string
	}
	var lines []diffLine
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && want[i] == got[j]:
			lines = append(lines, diffLine{' ', want[i]})
			i, j = i+1, j+1
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			lines = append(lines, diffLine{'-', want[i]})
			i++
		default:
			lines = append(lines, diffLine{'+', got[j]})
			j++
		}
	}
	var b strings.Builder
	skipped := false
	for k, l := range lines {
		near := false
		for d := max(0, k-2); d <= min(len(lines)-1, k+2); d++ {
			near = near || lines[d].mark != ' '
		}
		if !near {
			skipped = true
			continue
		}
		if skipped {
			b.WriteString("  ...\n")
			skipped = false
		}
		b.WriteString(string(l.mark) + " " + l.text + "\n")
	}
	return b.String()
}

// script is the state of one running script.
type script struct {
	cfg    Config
	ecfg   fakeec2.Config
	groups map[PodID]groupsAnswer // Lister answers set before the start
	def    *groupsAnswer
	h      *harness
	show   map[EffectKind]bool // nil: every kind
	out    []row
	// per depth: the input being stepped, for the cause column
	cause []string
	shown int // lines output since the current explicit input
}

func newScript() *script {
	return &script{cfg: upstreamConfig(), groups: map[PodID]groupsAnswer{}}
}

// started makes the controller on first use, applying its Start effects.
func (s *script) started() error {
	if s.h != nil {
		return nil
	}
	s.cause = append(s.cause[:0], "Start")
	h, err := newHarness(s.cfg, s.ecfg, s)
	if err != nil {
		return err
	}
	s.h = h
	for p, a := range s.groups {
		h.lister.pods[p] = a
	}
	if s.def != nil {
		h.lister.def = *s.def
	}
	h.start()
	return nil
}

// exec runs one command. The commands:
//
//	config k=v...        settings (before the start, else a Configured input):
//	                     user-qps user-burst instance-qps instance-burst api-qps
//	                     api-burst shared-client branch-workers node-workers
//	                     max-retries cooldown sweep resync node-delete-delay groups-quota
//	                     node-deletion=wipe|release restart-sync-race node-event-interval
//	ec2 k=v...           fake EC2 settings, before the start: throttling=on|off
//	                     latency attach-delay max-attempts mutating-bucket mutating-refill
//	fault api= code= p= [from=] [until=] [delay=]   inject a fault
//	groups pod=N|default sg=a,b | none              the Lister's answer
//	show all | show <EffectKind>...                 which effects to print
//	join node= name= type= [os=linux|windows] [trunk=yes|no] [attached=yes]
//	                     NodeJoined; attached: the fake EC2 holds the node's
//	                     trunk already (fakeec2 AddTrunk) and Join.Trunk names it
//	delete node=         NodeDeleted
//	request node=        TrunkRequested
//	terminate node=      the fake EC2 terminates the node's instance
//	bind pod= node= [uid=] [vlan=]                  PodBound (uid defaults to uid-<pod>); vlan:
//	                     the pod has a branch already, which the fake EC2 holds
//	                     on the node's trunk (fakeec2 AddBranch), named by Annotation
//	branch node= vlan=   the fake EC2 holds a branch on the node's trunk that no pod has
//	running pod=         PodRunning
//	end pod=             PodEnded
//	restart              Restarted
//	run-until <time>     deliver wake-ups due by then
//	run-for <duration>   run-until now + duration
//	run [limit=<d>]      deliver wake-ups while work is in flight (default limit 1h)
//	state                the controller's accessors
//	interfaces           what the fake EC2 holds, and its call counts
//	wakes                the wake-ups pending
func (s *script) exec(line string) error {
	f := strings.Fields(line)
	verb, args, err := f[0], kv{}, error(nil)
	var pos []string
	for _, a := range f[1:] {
		if k, v, ok := strings.Cut(a, "="); ok {
			args[k] = v
		} else {
			pos = append(pos, a)
		}
	}
	switch verb {
	case "config":
		err = s.config(args)
	case "ec2":
		err = s.ec2(args)
	case "fault":
		err = s.fault(args)
	case "groups":
		err = s.setGroups(args, pos)
	case "show":
		err = s.setShow(pos)
	case "join", "delete", "request", "bind", "running", "end", "restart":
		err = s.input(verb, args)
	case "terminate":
		err = s.terminate(args)
	case "branch":
		err = s.existingBranch(args)
	case "run-until", "run-for", "run":
		err = s.runCmd(verb, args, pos)
	case "state":
		err = s.state()
	case "interfaces":
		err = s.interfaces()
	case "wakes":
		err = s.listWakes()
	default:
		err = fmt.Errorf("unknown command %q", verb)
	}
	if err == nil {
		err = args.unused()
	}
	return err
}

// kv holds a command's key=value arguments; reading one marks it used.
type kv map[string]string

func (a kv) str(k string) (string, bool) {
	v, ok := a[k]
	delete(a, k)
	return v, ok
}

func (a kv) getInt(k string, dst *int) error {
	if v, ok := a.str(k); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		*dst = n
	}
	return nil
}

func (a kv) getFloat(k string, dst *float64) error {
	if v, ok := a.str(k); ok {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		*dst = n
	}
	return nil
}

func (a kv) getDur(k string, dst *time.Duration) error {
	if v, ok := a.str(k); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		*dst = d
	}
	return nil
}

func (a kv) getBool(k string, dst *bool) error {
	if v, ok := a.str(k); ok {
		switch v {
		case "on", "yes", "true":
			*dst = true
		case "off", "no", "false":
			*dst = false
		default:
			return fmt.Errorf("%s=%s: want on or off", k, v)
		}
	}
	return nil
}

func (a kv) getNodeDeletion(k string, dst *NodeDeletion) error {
	if v, ok := a.str(k); ok {
		d, err := ParseNodeDeletion(v)
		if err != nil {
			return fmt.Errorf("%s=%s: want wipe or release", k, v)
		}
		*dst = d
	}
	return nil
}

func (a kv) need(k string) (string, error) {
	v, ok := a.str(k)
	if !ok {
		return "", fmt.Errorf("missing %s=", k)
	}
	return v, nil
}

func (a kv) id(k string) (int32, error) {
	v, err := a.need(k)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(v, 10, 32)
	return int32(n), err
}

func (a kv) unused() error {
	if len(a) == 0 {
		return nil
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range a {
			if !yield(k) {
				return
			}
		}
	})
	return fmt.Errorf("unknown arguments %v", keys)
}

func (s *script) config(a kv) error {
	c := s.cfg
	if s.h != nil {
		c = s.h.ctl.Config()
	}
	for _, e := range []error{
		a.getFloat("user-qps", &c.UserClientQPS), a.getInt("user-burst", &c.UserClientBurst),
		a.getFloat("instance-qps", &c.InstanceClientQPS), a.getInt("instance-burst", &c.InstanceClientBurst),
		a.getFloat("api-qps", &c.APIServerQPS), a.getInt("api-burst", &c.APIServerBurst),
		a.getBool("shared-client", &c.SharedEC2Client),
		a.getInt("branch-workers", &c.BranchWorkers), a.getInt("node-workers", &c.NodeWorkers),
		a.getInt("max-retries", &c.MaxRetries), a.getDur("cooldown", &c.CoolDown),
		a.getDur("sweep", &c.SweepInterval), a.getDur("resync", &c.Resync),
		a.getDur("node-delete-delay", &c.NodeDeleteDelay), a.getInt("groups-quota", &c.GroupsPerInterface),
		a.getDur("node-event-interval", &c.NodeEventInterval),
		a.getNodeDeletion("node-deletion", &c.NodeDeletion), a.getBool("restart-sync-race", &c.RestartSyncRace),
	} {
		if e != nil {
			return e
		}
	}
	if s.h == nil {
		s.cfg = c
		return nil
	}
	s.stepExplicit(Input{Kind: Configured, Config: &c})
	return nil
}

func (s *script) ec2(a kv) error {
	if s.h != nil {
		return errors.New("ec2 settings must come before the controller starts")
	}
	throttling := !s.ecfg.NoAccountThrottling
	for _, e := range []error{
		a.getBool("throttling", &throttling),
		a.getDur("latency", &s.ecfg.Latency), a.getDur("attach-delay", &s.ecfg.AttachDelay),
		a.getInt("max-attempts", &s.ecfg.MaxAttempts),
		a.getInt("mutating-bucket", &s.ecfg.MutatingBucket), a.getFloat("mutating-refill", &s.ecfg.MutatingRefill),
	} {
		if e != nil {
			return e
		}
	}
	s.ecfg.NoAccountThrottling = !throttling
	return nil
}

func (s *script) fault(a kv) error {
	var f fakeec2.Fault
	api, err := a.need("api")
	if err != nil {
		return err
	}
	if f.API, err = fakeec2.ParseAPI(api); err != nil {
		return err
	}
	f.Code, _ = a.str("code")
	for _, e := range []error{a.getFloat("p", &f.Probability), a.getDur("from", &f.From),
		a.getDur("until", &f.Until), a.getDur("delay", &f.Delay)} {
		if e != nil {
			return e
		}
	}
	if s.h == nil {
		s.ecfg.Faults = append(s.ecfg.Faults, f)
		return nil
	}
	return s.h.ec2.InjectFault(f)
}

func (s *script) setGroups(a kv, pos []string) error {
	var ans groupsAnswer
	if slices.Contains(pos, "none") {
		ans = groupsAnswer{set: branch.NewGroupSet(), names: "[]"}
	} else {
		v, err := a.need("sg")
		if err != nil {
			return err
		}
		var ids []branch.SecurityGroupID
		for _, g := range strings.Split(v, ",") {
			id, err := branch.ParseSecurityGroupID(g)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		ans = matchedGroups(ids...)
	}
	if slices.Contains(pos, "default") {
		if s.h != nil {
			s.h.lister.def = ans
		}
		s.def = &ans
		return nil
	}
	p, err := a.id("pod")
	if err != nil {
		return err
	}
	if s.h != nil {
		s.h.lister.pods[PodID(p)] = ans
	}
	s.groups[PodID(p)] = ans
	return nil
}

func (s *script) setShow(kinds []string) error {
	if len(kinds) == 1 && kinds[0] == "all" {
		s.show = nil
		return nil
	}
	s.show = map[EffectKind]bool{}
	for _, k := range kinds {
		i := slices.Index(effectNames[:], k)
		if i <= 0 {
			return fmt.Errorf("unknown effect kind %q", k)
		}
		s.show[EffectKind(i)] = true
	}
	return nil
}

func (s *script) input(verb string, a kv) error {
	if err := s.started(); err != nil {
		return err
	}
	var in Input
	switch verb {
	case "join":
		n, err := a.id("node")
		if err != nil {
			return err
		}
		name, err := a.need("name")
		if err != nil {
			return err
		}
		typ, err := a.need("type")
		if err != nil {
			return err
		}
		it, err := limits.Default().Lookup(typ)
		if err != nil {
			return err
		}
		j := &Join{Name: name, Type: it, OS: limits.OSLinux, WantsTrunk: true}
		if v, ok := a.str("os"); ok {
			if j.OS, err = limits.ParseOS(v); err != nil {
				return err
			}
		}
		if err := a.getBool("trunk", &j.WantsTrunk); err != nil {
			return err
		}
		attached := false
		if err := a.getBool("attached", &attached); err != nil {
			return err
		}
		if attached {
			if j.Trunk, err = s.h.ec2.AddTrunk(name, branch.GroupSet{}); err != nil {
				return err
			}
		}
		in = Input{Kind: NodeJoined, Node: NodeID(n), Join: j}
	case "delete":
		n, err := a.id("node")
		if err != nil {
			return err
		}
		in = Input{Kind: NodeDeleted, Node: NodeID(n)}
	case "request":
		n, err := a.id("node")
		if err != nil {
			return err
		}
		in = Input{Kind: TrunkRequested, Node: NodeID(n)}
	case "bind":
		p, err := a.id("pod")
		if err != nil {
			return err
		}
		n, err := a.id("node")
		if err != nil {
			return err
		}
		uid, ok := a.str("uid")
		if !ok {
			uid = "uid-" + strconv.Itoa(int(p))
		}
		in = Input{Kind: PodBound, Pod: PodID(p), Node: NodeID(n), UID: uid}
		if _, ok := a[vlanKey]; ok {
			groups, _, _ := s.h.lister.SecurityGroups(PodID(p))
			eni, vlan, err := s.addBranch(NodeID(n), groups, a)
			if err != nil {
				return err
			}
			in.Annotation = &Annotation{ENI: eni, VLAN: vlan, Groups: groups}
		}
	case "running", "end":
		p, err := a.id("pod")
		if err != nil {
			return err
		}
		in = Input{Kind: PodRunning, Pod: PodID(p)}
		if verb == "end" {
			in.Kind = PodEnded
		}
	case "restart":
		in = Input{Kind: Restarted}
	}
	s.stepExplicit(in)
	return s.h.err
}

const vlanKey = "vlan"

// addBranch has the fake EC2 hold a branch on node n's trunk, on the VLAN
// the vlan= argument gives.
func (s *script) addBranch(n NodeID, groups branch.GroupSet, a kv) (branch.ENIID, branch.VLAN, error) {
	v, err := a.id(vlanKey)
	if err != nil {
		return branch.ENIID{}, 0, err
	}
	if !s.h.ctl.knownNode(n) {
		return branch.ENIID{}, 0, fmt.Errorf("unknown node %d", n)
	}
	eni, _, err := s.h.ec2.AddBranch(s.h.ctl.nodes[n].trunkID, groups, branch.VLAN(v))
	return eni, branch.VLAN(v), err
}

// existingBranch has the fake EC2 hold a branch that no pod claims.
func (s *script) existingBranch(a kv) error {
	if err := s.started(); err != nil {
		return err
	}
	n, err := a.id("node")
	if err != nil {
		return err
	}
	_, _, err = s.addBranch(NodeID(n), branch.NewGroupSet(testSG), a)
	return err
}

// terminate has the fake EC2 end a node's instance, as the cloud does
// once the node is deleted: its trunk goes, its branches stay available.
func (s *script) terminate(a kv) error {
	if err := s.started(); err != nil {
		return err
	}
	n, err := a.id("node")
	if err != nil {
		return err
	}
	if !s.h.ctl.knownNode(NodeID(n)) {
		return fmt.Errorf("terminate: unknown node %d", n)
	}
	s.h.ec2.TerminateInstance(s.h.ctl.nodes[n].name)
	s.line(s.h.now, "terminate", fmt.Sprintf("node=%d instance terminated", n))
	return nil
}

// stepExplicit steps an input a command gives and notes when it shows
// nothing.
func (s *script) stepExplicit(in Input) {
	s.shown = 0
	if err := s.h.try(in); err != nil && errors.Is(err, ErrBadInput) {
		return // step printed the refusal
	}
	if s.shown == 0 {
		s.line(s.h.now, describeInput(&in), "(nothing shown)")
	}
}

func (s *script) runCmd(verb string, a kv, pos []string) error {
	if err := s.started(); err != nil {
		return err
	}
	h := s.h
	switch verb {
	case "run-until", "run-for":
		if len(pos) != 1 {
			return fmt.Errorf("%s wants one time", verb)
		}
		d, err := time.ParseDuration(pos[0])
		if err != nil {
			return err
		}
		if verb == "run-for" {
			d += h.now
		}
		return h.runUntil(d)
	}
	limit := time.Hour
	if err := a.getDur("limit", &limit); err != nil {
		return err
	}
	idle, err := h.run(h.now + limit)
	if err == nil && !idle {
		err = fmt.Errorf("work still in flight after %v", limit)
	}
	return err
}

// line appends an output row: time, cause, text.
func (s *script) line(at time.Duration, cause, text string) {
	s.shown++
	s.out = append(s.out, row{at.String(), cause, text})
}

// row is one output line before its columns are aligned.
type row struct{ at, cause, text string }

// formatRows aligns a block's rows in three columns.
func formatRows(rows []row) []string {
	wa, wc := 0, 0
	for _, r := range rows {
		wa, wc = max(wa, len(r.at)), max(wc, len(r.cause))
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = strings.TrimRight(fmt.Sprintf("%-*s  %-*s  %s", wa, r.at, wc, r.cause, r.text), " ")
	}
	return out
}

// step and effect make the script an observer of its harness.
func (s *script) step(now time.Duration, in *Input, depth int, err error) {
	for len(s.cause) <= depth {
		s.cause = append(s.cause, "")
	}
	s.cause[depth] = describeInput(in)
	if err != nil {
		s.line(now, s.cause[depth], "refused: "+err.Error())
	}
}

func (s *script) effect(now time.Duration, e *Effect, depth int, ans *fakeec2.Answer) {
	if s.show != nil && !s.show[e.Kind] {
		return
	}
	s.line(now, s.cause[depth], s.describeEffect(e, ans))
}

func describeInput(in *Input) string {
	switch in.Kind {
	case NodeJoined, NodeDeleted:
		return fmt.Sprintf("%v node=%d", in.Kind, in.Node)
	case PodBound:
		return fmt.Sprintf("%v pod=%d node=%d", in.Kind, in.Pod, in.Node)
	case PodRunning, PodEnded:
		return fmt.Sprintf("%v pod=%d", in.Kind, in.Pod)
	case Answered, WokeUp:
		return fmt.Sprintf("%v %v", in.Kind, in.Timer)
	}
	return in.Kind.String()
}

var jobNames = [...]string{"", "create", "sweep", "wipe", "init", "clean"}

func (s *script) describeEffect(e *Effect, ans *fakeec2.Answer) string {
	c := s.h.ctl
	var b strings.Builder
	b.WriteString(e.Kind.String())
	switch e.Kind {
	case Call:
		r := e.Request
		fmt.Fprintf(&b, " %v %v", e.Client, r.API)
		if e.Timer == 0 {
			b.WriteString(" (no answer wanted)")
		} else {
			fmt.Fprintf(&b, " %v", e.Timer)
			jb := c.jobs[e.Timer.index()]
			fmt.Fprintf(&b, " %s", jobNames[jb.kind])
			if jb.kind == jobCreate {
				fmt.Fprintf(&b, " pod=%d", e.Pod)
			}
		}
		fmt.Fprintf(&b, " node=%d", e.Node)
		b.WriteString(describeRequest(r))
		b.WriteString(" -> " + describeAnswer(r, ans))
	case Wake, WakeIdle:
		fmt.Fprintf(&b, " %v at %v", e.Timer, e.At)
		b.WriteString(wakeNote(c, e.Timer))
	case Cancel:
		fmt.Fprintf(&b, " %v", e.Timer)
	case Annotate:
		fmt.Fprintf(&b, " pod=%d node=%d", e.Pod, e.Node)
		if eni, vlan, groups, ok := c.Annotation(e.Pod); ok {
			fmt.Fprintf(&b, " %v vlan=%d groups=%v", eni, vlan, groups)
		} else {
			b.WriteString(" (no annotation)")
		}
	case NodeChanged, BranchesChanged:
		fmt.Fprintf(&b, " node=%d %s", e.Node, describeNode(c, e.Node))
	case Emit:
		ev := e.Event
		typ := "Normal"
		if ev.Reason.Warning() {
			typ = "Warning"
		}
		fmt.Fprintf(&b, " %s %v", typ, ev.Reason)
		if ev.Reason.OnPod() {
			fmt.Fprintf(&b, " pod=%d", e.Pod)
		} else {
			fmt.Fprintf(&b, " node=%d", e.Node)
		}
		fmt.Fprintf(&b, " %q", ev.AppendMessage(nil))
	}
	return b.String()
}

// wakeNote names the Kubernetes API call a job's wake-up waits for,
// which has no effect of its own: the wait is the Kubernetes client's
// rate limiter, the call takes no time.
func wakeNote(c *Controller, t Timer) string {
	if t.kind() != tStep {
		return ""
	}
	jb := c.jobs[t.index()]
	switch {
	case jb.kind == jobCreate && jb.stage == cGot:
		return " (apiserver GET pod)"
	case jb.kind == jobCreate && jb.stage == cAnnotated:
		return " (apiserver PATCH pod annotation)"
	case jb.kind == jobInit && jb.stage == iAdvertised:
		return " (apiserver PATCH node pod-eni capacity)"
	}
	return ""
}

// describeNode summarises a node's trunk as the accessors give it.
func describeNode(c *Controller, n NodeID) string {
	t := c.Trunk(n)
	if t == nil {
		return "no trunk"
	}
	adv := "not advertised"
	if c.Advertised(n) {
		adv = "advertised"
	}
	return fmt.Sprintf("in-use=%d cooling=%d deleting=%d leaked=%d limit=%d %s",
		t.InUse(), t.Cooling(), t.Deleting(), len(t.Leaked()), t.Limit(), adv)
}

func describeRequest(r *fakeec2.Request) string {
	var b strings.Builder
	switch r.API {
	case fakeec2.CreateNetworkInterface:
		if r.Kind == fakeec2.TrunkInterface {
			b.WriteString(" trunk")
		} else {
			fmt.Fprintf(&b, " branch trunk=%v vlan=%d groups=%v", r.Trunk, r.VLAN, r.Groups)
		}
	case fakeec2.AssociateTrunkInterface:
		fmt.Fprintf(&b, " %v trunk=%v vlan=%d", r.ENI, r.Trunk, r.VLAN)
	case fakeec2.DisassociateTrunkInterface:
		fmt.Fprintf(&b, " %s", r.Association)
	case fakeec2.DescribeNetworkInterfaces:
		if r.Available != 0 {
			owner := "controller"
			if r.Available == fakeec2.OwnerCNI {
				owner = "cni"
			}
			fmt.Fprintf(&b, " available owner=%s page=%d", owner, r.Page)
			break
		}
		fmt.Fprintf(&b, " %v", r.ENI)
		if r.Instance != "" {
			fmt.Fprintf(&b, " branches of %s", r.Instance)
		}
	case fakeec2.DescribeInstances, fakeec2.DescribeSubnets:
	default:
		fmt.Fprintf(&b, " %v", r.ENI)
	}
	return b.String()
}

func describeAnswer(r *fakeec2.Request, a *fakeec2.Answer) string {
	var b strings.Builder
	switch {
	case a.Err != nil:
		if ae := fakeec2.AsAPIError(a.Err); ae != nil {
			b.WriteString(ae.Code)
		} else {
			b.WriteString(a.Err.Error())
		}
	case r.API == fakeec2.CreateNetworkInterface:
		fmt.Fprintf(&b, "%v", a.ENI)
	case r.API == fakeec2.AssociateTrunkInterface:
		b.WriteString(a.Association)
	case r.API == fakeec2.DescribeNetworkInterfaces && r.Available != 0:
		fmt.Fprintf(&b, "%d available", len(a.Branches))
		for _, x := range a.Branches {
			fmt.Fprintf(&b, " %v", x.ID)
		}
		if a.More {
			b.WriteString(" more")
		}
	case r.API == fakeec2.DescribeNetworkInterfaces && r.Instance != "":
		fmt.Fprintf(&b, "%d branches", len(a.Branches))
		for _, x := range a.Branches {
			fmt.Fprintf(&b, " %v/vlan=%d", x.ID, x.VLAN)
		}
	case r.API == fakeec2.DescribeNetworkInterfaces:
		if a.Attached {
			b.WriteString("attached")
		} else {
			b.WriteString("attaching")
		}
	default:
		b.WriteString("ok")
	}
	fmt.Fprintf(&b, " in %v", a.Latency)
	return b.String()
}

func (s *script) state() error {
	if err := s.started(); err != nil {
		return err
	}
	c := s.h.ctl
	at := s.h.now
	for i := range c.nodes {
		n := &c.nodes[i]
		if !n.known {
			continue
		}
		gone := ""
		if n.gone {
			gone = " deleted"
		}
		s.line(at, "state", fmt.Sprintf("node=%d %s %s%s trunk-eni=%v %s", i, n.name, n.typ.Name, gone,
			eniOrDash(c.TrunkID(NodeID(i))), describeNode(c, NodeID(i))))
	}
	for i := range c.podAt {
		p := PodID(i)
		if !c.knownPod(p) {
			continue
		}
		q := c.pod(p)
		var b strings.Builder
		fmt.Fprintf(&b, "pod=%d %s node=%d", i, q.uid, q.node)
		switch {
		case q.ended:
			b.WriteString(" ended")
		case q.running:
			b.WriteString(" running")
		default:
			b.WriteString(" pending")
		}
		if eni, vlan, _, ok := c.Annotation(p); ok {
			fmt.Fprintf(&b, " annotated %v vlan=%d", eni, vlan)
		}
		if br, ok := c.Branch(p); ok {
			fmt.Fprintf(&b, " branch vlan=%d", br.VLAN)
		}
		w, err := c.PodWait(p)
		fmt.Fprintf(&b, " wait=%s failures=%d", waitName(w), q.failures)
		if err != nil {
			fmt.Fprintf(&b, " err=%q", err.Error())
		}
		if c.Dropped(p) {
			b.WriteString(" dropped")
		}
		s.line(at, "state", b.String())
	}
	st := c.Stats()
	s.line(at, "state", fmt.Sprintf("stats trunks=%d unsupported=%d branches-created=%d branches-deleted=%d capacity-requeues=%d ec2-errors=%d trunk-ready=%v",
		st.TrunksCreated, st.Unsupported, st.BranchesCreated, st.BranchesDeleted, st.CapacityRequeues, st.EC2Errors, st.TrunkReady))
	return nil
}

func eniOrDash(id branch.ENIID) string {
	if !id.IsValid() {
		return "-"
	}
	return id.String()
}

func waitName(w Wait) string {
	switch w {
	case WaitCapacity:
		return "capacity"
	case WaitFailed:
		return "failed"
	case WaitDropped:
		return "dropped"
	case WaitNode:
		return "node"
	}
	return "-"
}

func (s *script) interfaces() error {
	if err := s.started(); err != nil {
		return err
	}
	at := s.h.now
	for _, x := range s.h.ec2.Interfaces() {
		var d string
		if x.Kind == fakeec2.TrunkInterface {
			d = fmt.Sprintf("%v trunk %s attached=%v", x.ID, x.Instance, x.Attached)
		} else {
			assoc := x.Association
			if assoc == "" {
				assoc = "not associated"
			}
			d = fmt.Sprintf("%v branch %s trunk=%v vlan=%d %s", x.ID, x.Instance, x.Trunk, x.VLAN, assoc)
		}
		s.line(at, "ec2", d)
	}
	calls := s.h.ec2.Calls()
	var parts []string
	for a := fakeec2.API(1); a < fakeec2.NumAPI; a++ {
		if n := calls[a.String()]; n > 0 {
			parts = append(parts, fmt.Sprintf("%v=%d", a, n))
		}
	}
	s.line(at, "ec2", fmt.Sprintf("calls %s throttled=%d", strings.Join(parts, " "), s.h.ec2.Throttled()))
	return nil
}

func (s *script) listWakes() error {
	if err := s.started(); err != nil {
		return err
	}
	ws := slices.Clone(s.h.wakes.h)
	slices.SortFunc(ws, func(a, b wake) int {
		if a.before(b) {
			return -1
		}
		return 1
	})
	for _, w := range ws {
		kind := "Wake"
		if w.idle {
			kind = "WakeIdle"
		}
		s.line(s.h.now, "wakes", fmt.Sprintf("%s %v at %v", kind, w.timer, w.at))
	}
	if len(ws) == 0 {
		s.line(s.h.now, "wakes", "none")
	}
	return nil
}
