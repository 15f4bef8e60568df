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
	kind int // see commands
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
	for _, c := range propertySetup(throttling, faults) {
		if err := s.exec(c); err != nil {
			t.Fatalf("%s: %v", c, err)
		}
	}
	if err := s.started(); err != nil {
		t.Fatal(err)
	}
	s.h.check = func() error { return checkTrunks(s.h.ctl) }
	cmds := commands(append([]action{{kind: 0}}, acts...)) // a node first
	for _, cmd := range append(cmds, "run-for 10m", "state") {
		if err := s.exec(cmd); err != nil {
			t.Fatalf("%s at %v: %v", cmd, s.h.now, err)
		}
	}
	return formatRows(s.out)
}

// propertySetup is the EC2 a property run plays against.
func propertySetup(throttling, faults bool) []string {
	setup := []string{"ec2 throttling=off"}
	if throttling {
		setup = []string{"ec2 mutating-bucket=5 mutating-refill=2"}
	}
	if faults {
		setup = append(setup,
			"fault api=CreateNetworkInterface code=InsufficientFreeAddressesInSubnet p=0.2",
			"fault api=AssociateTrunkInterface code=InvalidParameterValue p=0.1",
			"fault api=DescribeNetworkInterfaces code=InternalError p=0.2",
			"fault api=CreateNetworkInterfacePermission code=ServiceUnavailable p=0.1")
	}
	return setup
}

// checkTrunks is the invariant held after every step: each trunk is
// consistent and holds no more branches, in use and cooling, than its
// limit.
func checkTrunks(c *Controller) error {
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

// commands turns actions into script commands, skipping those that have
// nothing to act on yet.
func commands(acts []action) []string {
	nodes, pods := 0, 0
	var gone []bool
	var cmds []string
	for _, a := range acts {
		switch {
		case a.kind == 0:
			cmds = append(cmds, fmt.Sprintf("join node=%d name=n%d type=%s", nodes, nodes, propertyTypes[a.a%len(propertyTypes)]))
			nodes++
			gone = append(gone, false)
		case (a.kind == 1 || a.kind == 2) && nodes > 0:
			cmds = append(cmds, fmt.Sprintf("bind pod=%d node=%d", pods, a.a%nodes))
			pods++
		case a.kind == 3 && pods > 0:
			cmds = append(cmds, fmt.Sprintf("running pod=%d", a.a%pods))
		case a.kind == 4 && pods > 0:
			cmds = append(cmds, fmt.Sprintf("end pod=%d", a.a%pods))
		case a.kind == 5 && nodes > 0 && !gone[a.a%nodes]:
			gone[a.a%nodes] = true
			cmds = append(cmds, fmt.Sprintf("delete node=%d", a.a%nodes))
		case a.kind == 6:
			cmds = append(cmds, "restart")
		case a.kind > 6:
			cmds = append(cmds, "run-for "+a.d.String())
		}
	}
	return cmds
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
