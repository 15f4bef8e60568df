package slo_test

import (
	"fmt"

	"github.com/trunksim/trunksim/sim"
	"github.com/trunksim/trunksim/sim/slo"
)

func Example() {
	r := sim.Report{
		Pods:                  sim.PodCounts{Created: 4, SecurityGroupPods: 4, Running: 3, Pending: 1},
		StartupLatencySeconds: sim.Percentiles{P50: 4.2, P90: 9, P99: 151, Max: 151},
	}
	for _, s := range []string{"p50<=30s", "p99<=2m", "pending==0"} {
		b, err := slo.Parse(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(b.Check(r))
	}
	// Output:
	// p50 = 4.2s, within p50<=30s
	// p99 = 2m31s, breaks p99<=2m0s by 31s
	// pending = 1, breaks pending==0 by 1
}
