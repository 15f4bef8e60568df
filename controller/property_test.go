package controller

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// action is one thing a property run does to the cluster.
type action struct {
	kind int // see play
	a    int
	d    time.Duration
}

var actionGen = rapid.Custom(func(t *rapid.T) action {
	return action{
		kind: rapid.IntRange(0, 9).Draw(t, "kind"),
		a:    rapid.IntRange(0, 1<<10).Draw(t, "a"),
		d:    time.Duration(rapid.Int64Range(0, int64(90*time.Second)).Draw(t, "d")),
	}
})

// propertyTypes are the instance types nodes join as: two that hold a
// trunk, with 9 and 18 branches, and one that cannot.
var propertyTypes = []string{"m5.large", "c5.xlarge", "t3.medium"}

// play drives a script through the actions and returns its output. After
// every step it checks each trunk's invariants and that no node has more
// branches in use plus cooling than its limit. Deletions never fail here
// (a failed deletion may put a branch back over the limit, as upstream).
func play(t *rapid.T, acts []action, throttling, faults bool) []string {
	s := newScript()
	var setup []string
	if !throttling {
		setup = append(setup, "ec2 throttling=off")
	} else {
		setup = append(setup, "ec2 mutating-bucket=5 mutating-refill=2")
	}
	if faults {
		setup = append(setup,
			"fault api=CreateNetworkInterface code=InsufficientFreeAddressesInSubnet p=0.2",
			"fault api=AssociateTrunkInterface code=InvalidParameterValue p=0.1",
			"fault api=DescribeNetworkInterfaces code=InternalError p=0.2",
			"fault api=CreateNetworkInterfacePermission code=ServiceUnavailable p=0.1")
	}
	for _, c := range setup {
		if err := s.exec(c); err != nil {
			t.Fatalf("%s: %v", c, err)
		}
	}
	if err := s.started(); err != nil {
		t.Fatal(err)
	}
	c := s.h.ctl
	s.h.check = func() error {
		for i := range c.nodes {
			tr := c.Trunk(NodeID(i))
			if tr == nil {
				continue
			}
			if err := tr.Check(); err != nil {
				return err
			}
			if tr.InUse()+tr.Cooling() > tr.Limit() {
				return fmt.Errorf("node %d: %d in use + %d cooling > limit %d", i, tr.InUse(), tr.Cooling(), tr.Limit())
			}
		}
		return nil
	}
	nodes, pods := 0, 0
	var gone []bool
	for _, a := range append([]action{{kind: 0}}, acts...) { // a node first
		var cmd string
		switch a.kind {
		case 0:
			cmd = fmt.Sprintf("join node=%d name=n%d type=%s", nodes, nodes, propertyTypes[a.a%len(propertyTypes)])
			nodes++
			gone = append(gone, false)
		case 1, 2:
			if nodes == 0 {
				continue
			}
			cmd = fmt.Sprintf("bind pod=%d node=%d", pods, a.a%nodes)
			pods++
		case 3:
			if pods == 0 {
				continue
			}
			cmd = fmt.Sprintf("running pod=%d", a.a%pods)
		case 4:
			if pods == 0 {
				continue
			}
			cmd = fmt.Sprintf("end pod=%d", a.a%pods)
		case 5:
			if nodes == 0 || gone[a.a%nodes] {
				continue
			}
			gone[a.a%nodes] = true
			cmd = fmt.Sprintf("delete node=%d", a.a%nodes)
		case 6:
			cmd = "restart"
		default:
			cmd = "run-for " + a.d.String()
		}
		if err := s.exec(cmd); err != nil {
			t.Fatalf("%s at %v: %v", cmd, s.h.now, err)
		}
	}
	if err := s.exec("run-for 10m"); err != nil {
		t.Fatalf("run-for 10m at %v: %v", s.h.now, err)
	}
	if err := s.exec("state"); err != nil {
		t.Fatal(err)
	}
	return formatRows(s.out)
}

// TestPropertyInvariantsAndDeterminism drives random sequences of joins,
// binds, ends, deletes, restarts and waits through the harness: every
// trunk passes Check after every step, no node's branches in use plus
// cooling exceed its limit, Step never reports an inconsistency, and the
// same inputs give the same effects twice.
func TestPropertyInvariantsAndDeterminism(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		acts := rapid.SliceOfN(actionGen, 20, 80).Draw(t, "actions")
		throttling := rapid.Bool().Draw(t, "throttling")
		faults := rapid.Bool().Draw(t, "faults")
		first := play(t, acts, throttling, faults)
		if diff := cmp.Diff(first, play(t, acts, throttling, faults)); diff != "" {
			t.Fatalf("the same inputs gave other effects (-first +second):\n%s", diff)
		}
	})
}
