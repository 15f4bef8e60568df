package controller

import (
	"errors"
	"math/rand/v2"
	"time"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/fakeec2"
	"github.com/trunksim/trunksim/limits"
	"github.com/trunksim/trunksim/trunk"
)

// This file is the tests' harness: a fake EC2, a Lister, a virtual clock
// and a queue of pending wake-ups, applying effects as sim/wiring.go
// does. A Call is made on the fake EC2 at once and its answer is stepped
// back as Answered before the next effect is applied; a Wake is queued
// and delivered as WokeUp when the clock reaches it.

// upstreamConfig is the controller's settings as released (the values
// sim.Config's defaults give, each cited on Config's fields).
func upstreamConfig() Config {
	return Config{
		Preset:          PresetUpstream,
		UserClientQPS:   12,
		UserClientBurst: 18, InstanceClientQPS: 12, InstanceClientBurst: 18,
		APIServerQPS: 20, APIServerBurst: 30,
		BranchWorkers: 30, NodeWorkers: 10, MaxRetries: 5,
		CoolDown: trunk.DefaultCoolDown, SweepInterval: 30 * time.Second,
		Resync: 30 * time.Minute, NodeDeleteDelay: time.Minute, GroupsPerInterface: 5,
	}
}

// Seeds of the harness's random sources: the fake EC2's fault draws and
// the controller's SDK retry jitter.
const (
	seedEC2        = 1
	seedController = 2
)

// groupsAnswer is what the Lister says of one pod.
type groupsAnswer struct {
	set     branch.GroupSet
	names   string
	matched bool
}

// testSG is the group every pod gets unless a script says otherwise.
var testSG = branch.MustParseSecurityGroupID("sg-0123456789abcdef0")

func matchedGroups(ids ...branch.SecurityGroupID) groupsAnswer {
	s := branch.NewGroupSet(ids...)
	return groupsAnswer{set: s, names: s.String(), matched: true}
}

// lister answers SecurityGroups from a table, with a default.
type lister struct {
	def  groupsAnswer
	pods map[PodID]groupsAnswer
}

func (l *lister) SecurityGroups(p PodID) (branch.GroupSet, string, bool) {
	a, ok := l.pods[p]
	if !ok {
		a = l.def
	}
	return a.set, a.names, a.matched
}

// wake is a pending wake-up, ordered by (at, seq).
type wake struct {
	at    time.Duration
	seq   uint64
	timer Timer
	idle  bool // WakeIdle: does not by itself mean work is in flight
}

func (a wake) before(b wake) bool { return a.at < b.at || a.at == b.at && a.seq < b.seq }

// wakeQueue is a binary min-heap of wake-ups; it allocates only to grow.
type wakeQueue struct {
	h    []wake
	seq  uint64
	busy int // wake-ups that are not idle
}

func (q *wakeQueue) push(at time.Duration, t Timer, idle bool) {
	q.seq++
	q.h = append(q.h, wake{at: at, seq: q.seq, timer: t, idle: idle})
	if !idle {
		q.busy++
	}
	q.up(len(q.h) - 1)
}

func (q *wakeQueue) pop() wake { return q.removeAt(0) }

// cancel drops the wake-up with timer t, if one is pending.
func (q *wakeQueue) cancel(t Timer) bool {
	for i := range q.h {
		if q.h[i].timer == t {
			q.removeAt(i)
			return true
		}
	}
	return false
}

func (q *wakeQueue) removeAt(i int) wake {
	w := q.h[i]
	last := len(q.h) - 1
	q.h[i] = q.h[last]
	q.h = q.h[:last]
	if i < last {
		q.down(i)
		q.up(i)
	}
	if !w.idle {
		q.busy--
	}
	return w
}

func (q *wakeQueue) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !q.h[i].before(q.h[p]) {
			return
		}
		q.h[i], q.h[p] = q.h[p], q.h[i]
		i = p
	}
}

func (q *wakeQueue) down(i int) {
	for {
		l, m := 2*i+1, i
		if l < len(q.h) && q.h[l].before(q.h[m]) {
			m = l
		}
		if r := l + 1; r < len(q.h) && q.h[r].before(q.h[m]) {
			m = r
		}
		if m == i {
			return
		}
		q.h[i], q.h[m] = q.h[m], q.h[i]
		i = m
	}
}

// observer sees each step and each effect as the harness applies it.
// ans is the fake EC2's answer for a Call, nil otherwise; err is Step's.
type observer interface {
	step(now time.Duration, in *Input, depth int, err error)
	effect(now time.Duration, e *Effect, depth int, ans *fakeec2.Answer)
}

// harness drives a Controller against a fake EC2 on a virtual clock.
type harness struct {
	ctl    *Controller
	ec2    *fakeec2.EC2
	lister *lister
	now    time.Duration
	wakes  wakeQueue
	spare  fakeec2.Answer // where a call nobody awaits is answered
	bufs   [][]Effect     // one effects buffer per depth of nested steps
	depth  int
	input  [4]Input // per depth, so the observer's *Input is not allocated
	obs    observer
	// do answers a Call; nil means the fake EC2's Do.
	do  func(now time.Duration, r fakeec2.Request) fakeec2.Answer
	err error // the first error a step returned
	// check, when set, runs after every step (for the properties).
	check func() error
}

// newHarness makes a controller and a fake EC2 with fixed seeds; start
// applies the controller's Start effects.
func newHarness(cfg Config, ecfg fakeec2.Config, obs observer) (*harness, error) {
	e, err := fakeec2.New(ecfg, rand.New(rand.NewPCG(seedEC2, 3)))
	if err != nil {
		return nil, err
	}
	h := &harness{ec2: e, obs: obs, lister: &lister{def: matchedGroups(testSG), pods: map[PodID]groupsAnswer{}}}
	h.ctl, err = New(cfg, Options{
		MaxAttempts: e.Config().MaxAttempts,
		Rand:        rand.New(rand.NewPCG(seedController, 2)),
		Lister:      h.lister,
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// start applies the controller's Start effects now.
func (h *harness) start() *harness {
	h.apply(h.ctl.Start(h.now, h.buf()))
	return h
}

// buf returns the empty effects buffer of the current depth.
func (h *harness) buf() []Effect {
	if h.depth == len(h.bufs) {
		h.bufs = append(h.bufs, nil)
	}
	return h.bufs[h.depth][:0]
}

// step gives the controller one input now and applies its effects. It
// returns Step's error, which is also kept in h.err if it is the first.
func (h *harness) step(in Input) error {
	err := h.try(in)
	if err != nil && h.err == nil {
		h.err = err
	}
	return h.err
}

// try is step for an input a test makes up, which the controller may
// refuse: a refusal (an *InputError) is returned and not kept in h.err.
func (h *harness) try(in Input) error {
	if h.err != nil {
		return h.err
	}
	out, err := h.ctl.Step(h.now, in, h.buf())
	if h.obs != nil {
		h.input[h.depth] = in
		h.obs.step(h.now, &h.input[h.depth], h.depth, err)
	}
	if err == nil && h.check != nil {
		err = h.check()
	}
	if err != nil {
		if !errors.Is(err, ErrBadInput) && h.err == nil {
			h.err = err
		}
		return err
	}
	h.apply(out)
	return h.err
}

// apply applies one step's effects in order, as sim/wiring.go does.
func (h *harness) apply(out []Effect) {
	d := h.depth
	h.bufs[d] = out
	h.depth++
	for i := range out {
		e := &out[i]
		switch e.Kind {
		case Call:
			ans := &h.spare // a call nobody awaits answers here
			if e.Answer != nil {
				ans = e.Answer
			}
			if h.do != nil {
				*ans = h.do(h.now, *e.Request)
			} else {
				*ans = h.ec2.Do(h.now, *e.Request)
			}
			if h.obs != nil {
				h.obs.effect(h.now, e, d, ans)
			}
			if e.Answer != nil {
				h.wakes.push(h.now+ans.Latency, e.Timer, false) // delivered as Answered
			}
			continue
		case Wake, WakeIdle:
			h.wakes.push(e.At, e.Timer, e.Kind == WakeIdle)
		case Cancel:
			h.wakes.cancel(e.Timer)
		}
		if h.obs != nil {
			h.obs.effect(h.now, e, d, nil)
		}
	}
	h.depth--
}

// runUntil delivers every wake-up due by t, then sets the clock to t.
func (h *harness) runUntil(t time.Duration) error {
	for len(h.wakes.h) > 0 && h.wakes.h[0].at <= t && h.err == nil {
		h.deliver()
	}
	h.now = max(h.now, t)
	return h.err
}

// run delivers wake-ups while work is in flight (a wake-up that is not
// idle is pending), up to limit; it reports whether the work ran out.
func (h *harness) run(limit time.Duration) (idle bool, err error) {
	for h.wakes.busy > 0 && h.wakes.h[0].at <= limit && h.err == nil {
		h.deliver()
	}
	return h.wakes.busy == 0, h.err
}

func (h *harness) deliver() {
	w := h.wakes.pop()
	h.now = w.at
	if w.timer.kind() == tCallEnd {
		_ = h.step(Input{Kind: Answered, Timer: w.timer}) // an EC2 answer arriving
		return
	}
	_ = h.step(Input{Kind: WokeUp, Timer: w.timer})
}

// join, bind and friends are the inputs a test gives most.
func (h *harness) join(n NodeID, name, typ string) error {
	it, err := limits.Default().Lookup(typ)
	if err != nil {
		return err
	}
	return h.step(Input{Kind: NodeJoined, Node: n, Join: &Join{Name: name, Type: it, OS: limits.OSLinux, WantsTrunk: true}})
}

func (h *harness) bind(p PodID, n NodeID, uid string) error {
	return h.step(Input{Kind: PodBound, Pod: p, Node: n, UID: uid})
}

func (h *harness) end(p PodID) error { return h.step(Input{Kind: PodEnded, Pod: p}) }
