package controller

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trunksim/trunksim/limits"
)

// refusalFixture is a controller with a node whose trunk holds pod 0's
// branch, a deleted node, and pod 1's Create job waiting for EC2's
// answer to arrive.
func refusalFixture(t *testing.T) *script {
	t.Helper()
	s := newScript()
	for _, c := range []string{
		"ec2 throttling=off",
		"join node=0 name=n1 type=m5.large",
		"join node=1 name=n2 type=m5.large",
		"run-until 10s",
		"bind pod=0 node=0",
		"run-until 20s",
		"delete node=1",
		"run-until 2m",
		"bind pod=1 node=0",
		"run-until 2m0.05s",
	} {
		if err := s.exec(c); err != nil {
			t.Fatalf("%s: %v", c, err)
		}
	}
	return s
}

// snapshot is what the accessors (and the harness's pending wake-ups)
// say of the controller, as the script prints it.
func snapshot(t *testing.T, s *script) []string {
	t.Helper()
	s.out = s.out[:0]
	for _, c := range []string{"state", "wakes"} {
		if err := s.exec(c); err != nil {
			t.Fatal(err)
		}
	}
	rows := formatRows(s.out)
	for _, e := range s.h.ctl.AppendKnownENIs(nil) {
		rows = append(rows, "known "+e.String())
	}
	return rows
}

// continuation drives the same inputs into a controller and returns the
// effects they give.
func continuation(t *testing.T, s *script) []string {
	t.Helper()
	s.out = s.out[:0]
	for _, c := range []string{
		"bind pod=5 node=0",
		"running pod=0",
		"end pod=0",
		"join node=2 name=n3 type=m5.xlarge",
		"run-until 5m",
		"restart",
		"run-until 6m",
		"state",
	} {
		if err := s.exec(c); err != nil {
			t.Fatalf("%s: %v", c, err)
		}
	}
	return formatRows(s.out)
}

// refusal is an input Step must refuse, and why.
type refusal struct {
	name string
	in   func(s *script) Input
	back time.Duration // how far before the controller's time the input comes
	why  string
}

// refusals are the inputs TestStepRefusesBadInputs gives, each on its own
// copy of the fixture.
func refusals(t *testing.T) []refusal {
	m5, err := limits.Default().Lookup("m5.large")
	if err != nil {
		t.Fatal(err)
	}
	pod1Job := func(s *script) int32 { return s.h.ctl.pod(1).job }
	return []refusal{
		{name: "node joined twice", why: "node already known",
			in: func(*script) Input {
				return Input{Kind: NodeJoined, Node: 0, Join: &Join{Name: "n1", Type: m5, OS: limits.OSLinux}}
			}},
		{name: "node joined with a negative ID", why: "node already known",
			in: func(*script) Input {
				return Input{Kind: NodeJoined, Node: -1, Join: &Join{Name: "x", Type: m5, OS: limits.OSLinux}}
			}},
		{name: "node joined without Join", why: "no Join",
			in: func(*script) Input { return Input{Kind: NodeJoined, Node: 3} }},
		{name: "unknown node deleted", why: "unknown node",
			in: func(*script) Input { return Input{Kind: NodeDeleted, Node: 7} }},
		{name: "negative node deleted", why: "unknown node",
			in: func(*script) Input { return Input{Kind: NodeDeleted, Node: -1} }},
		{name: "node deleted twice", why: "node already deleted",
			in: func(*script) Input { return Input{Kind: NodeDeleted, Node: 1} }},
		{name: "pod bound to an unknown node", why: "unknown node",
			in: func(*script) Input { return Input{Kind: PodBound, Pod: 5, Node: 7, UID: "uid-5"} }},
		{name: "pod bound twice", why: "pod already bound",
			in: func(*script) Input { return Input{Kind: PodBound, Pod: 0, Node: 0, UID: "uid-0"} }},
		{name: "pod bound twice while its job runs", why: "pod already bound",
			in: func(*script) Input { return Input{Kind: PodBound, Pod: 1, Node: 0, UID: "other"} }},
		{name: "negative pod bound", why: "pod already bound",
			in: func(*script) Input { return Input{Kind: PodBound, Pod: -1, Node: 0, UID: "uid-x"} }},
		{name: "unknown pod running", why: "unknown pod",
			in: func(*script) Input { return Input{Kind: PodRunning, Pod: 9} }},
		{name: "unknown pod ended", why: "unknown pod",
			in: func(*script) Input { return Input{Kind: PodEnded, Pod: 4} }},
		{name: "answer nobody awaits: the job waits for its answer to arrive", why: "no call awaits this answer",
			in: func(s *script) Input {
				return Input{Kind: Answered, Timer: timer(tCallEnd, pod1Job(s))}
			}},
		{name: "answer nobody awaits: no such job", why: "no call awaits this answer",
			in: func(*script) Input {
				return Input{Kind: Answered, Timer: timer(tCallEnd, 99)}
			}},
		{name: "answer with a wake-up's timer", why: "no call awaits this answer",
			in: func(s *script) Input {
				return Input{Kind: Answered, Timer: timer(tStep, pod1Job(s))}
			}},
		{name: "wake-up with the zero timer", why: "not a timer the controller set",
			in: func(*script) Input { return Input{Kind: WokeUp} }},
		{name: "wake-up of a job never made", why: "not a timer the controller set",
			in: func(*script) Input { return Input{Kind: WokeUp, Timer: timer(tStep, 999)} }},
		{name: "wake-up of an unknown node's sweep", why: "not a timer the controller set",
			in: func(*script) Input { return Input{Kind: WokeUp, Timer: timer(tSweep, 7)} }},
		{name: "wipe of a node never deleted", why: "not a timer the controller set",
			in: func(*script) Input { return Input{Kind: WokeUp, Timer: timer(tWipe, 0)} }},
		{name: "sweep tick that is not set", why: "not a timer the controller set",
			in: func(*script) Input { return Input{Kind: WokeUp, Timer: timer(tSweep, 1)} }},
		{name: "wake-up of a live job with a kind it does not await", why: "not a timer the controller set",
			in: func(s *script) Input {
				j := pod1Job(s)
				for _, k := range []timerKind{tStep, tSubmit, tCallStart, tRetryCall} {
					if t := timer(k, j); s.h.ctl.jobs[j].awaits != t {
						return Input{Kind: WokeUp, Timer: t}
					}
				}
				panic("the job awaits every kind")
			}},
		{name: "time went backwards", back: time.Nanosecond, why: "time went backwards",
			in: func(*script) Input { return Input{Kind: PodBound, Pod: 5, Node: 0, UID: "uid-5"} }},
		{name: "time went backwards for a wake-up", back: time.Second, why: "time went backwards",
			in: func(s *script) Input { return Input{Kind: WokeUp, Timer: s.h.wakes.h[0].timer} }},
		{name: "Configured without Config", why: "no Config",
			in: func(*script) Input { return Input{Kind: Configured} }},
		{name: "zero input kind", why: "unknown input",
			in: func(*script) Input { return Input{} }},
		{name: "unknown input kind", why: "unknown input",
			in: func(*script) Input { return Input{Kind: 42} }},
	}
}

// TestStepRefusesBadInputs checks the contract of Step: an input it
// cannot take is refused with an *InputError wrapping ErrBadInput, the
// caller's slice comes back as it was, and the controller is unchanged:
// its accessors say the same, and the inputs that follow give the same
// effects as they give a twin that never saw the bad input.
func TestStepRefusesBadInputs(t *testing.T) {
	cases := refusals(t)
	want := continuation(t, refusalFixture(t))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := refusalFixture(t)
			before := snapshot(t, s)
			in := tc.in(s)
			sentinel := []Effect{{Kind: Reschedule}}
			at := s.h.now
			if tc.back > 0 {
				at = s.h.ctl.now - tc.back // the time of the controller's last step
			}
			out, err := s.h.ctl.Step(at, in, sentinel)
			var ie *InputError
			if !errors.As(err, &ie) || !errors.Is(err, ErrBadInput) {
				t.Fatalf("Step(%+v) = %v (%T), want an *InputError wrapping ErrBadInput", in, err, err)
			}
			if ie.Input != in.Kind || ie.Why != tc.why {
				t.Errorf("refused %v for %q, want %v for %q", ie.Input, ie.Why, in.Kind, tc.why)
			}
			if diff := cmp.Diff(sentinel, out); diff != "" {
				t.Errorf("the caller's effects changed (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, snapshot(t, s)); diff != "" {
				t.Errorf("the controller changed (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(want, continuation(t, s)); diff != "" {
				t.Errorf("later inputs give other effects than on a twin (-twin +refused):\n%s", diff)
			}
		})
	}
}

// TestStepRefusesBadSettings: Configured with settings out of range is
// refused as well, but with the *SettingError New gives (wrapping
// ErrBadSetting, not ErrBadInput).
func TestStepRefusesBadSettings(t *testing.T) {
	s := refusalFixture(t)
	before := snapshot(t, s)
	cfg := upstreamConfig()
	cfg.BranchWorkers = 0
	_, err := s.h.ctl.Step(s.h.now, Input{Kind: Configured, Config: &cfg}, nil)
	var se *SettingError
	if !errors.As(err, &se) || se.Field != "BranchWorkers" || !errors.Is(err, ErrBadSetting) {
		t.Fatalf("Step(Configured BranchWorkers=0) = %v (%T), want a *SettingError for BranchWorkers", err, err)
	}
	if diff := cmp.Diff(before, snapshot(t, s)); diff != "" {
		t.Errorf("the controller changed (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(continuation(t, refusalFixture(t)), continuation(t, s)); diff != "" {
		t.Errorf("later inputs give other effects than on a twin (-twin +refused):\n%s", diff)
	}
}
