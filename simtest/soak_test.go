package simtest_test

import (
	"flag"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/trunksim/trunksim/simtest"
)

// soak is how long TestSoak runs. CI runs the short default; the soak the
// README quotes is
//
//	go test ./simtest -run TestSoak -soak 30m -v -timeout 40m
var soak = flag.Duration("soak", 3*time.Second, "how long TestSoak drives the harness")

// TestSoak drives the harness with every kit action and fault, checking
// every invariant after each action, for -soak of wall time: rapid check
// after rapid check, each with a fresh seed, until the time is up; one
// check in four draws clusters with Karpenter NodePools, one in four
// with a group cluster-autoscaler manages, one in four clusters started
// from a running state. The
// first violation fails the test with its replayable case, as any rapid
// failure does; the log line counts what ran.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	deadline := time.Now().Add(*soak)
	var checks, cases int
	var events uint64
	for time.Now().Before(deadline) && !t.Failed() {
		checks++
		cfg := kitConfig()
		switch checks % 4 {
		case 1:
			cfg.Cluster = simtest.KarpenterCluster()
		case 2:
			cfg.Cluster = simtest.AutoscaledCluster()
		case 3:
			cfg.Cluster = simtest.RunningCluster()
		}
		rapid.Check(t, func(rt *rapid.T) {
			cases++
			h := simtest.New(rt, cfg)
			h.Run(rt)
			events += h.Sim().EventsRun()
		})
	}
	t.Logf("soak: %d cases (%d rapid checks), %d simulator events, every invariant checked after each action, in %v: %d violations",
		cases, checks, events, soak.Round(time.Second), boolToInt(t.Failed()))
}

func boolToInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
