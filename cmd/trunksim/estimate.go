package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/trunksim/trunksim/scenario"
	"github.com/trunksim/trunksim/sim"
)

// What a run costs, measured with `trunksim run` (max RSS from
// /usr/bin/time -f %M) on a 2-core machine: 100,000 m5.4xlarge nodes and
// no pods take 198 MB; 1,000,000 security-group pods on 20,000 nodes
// 881 MB; 200,000 on 2,000 nodes 167 MB. The figures round those up, so
// the memory estimate errs high. Time is given as a floor: the quickest of
// those runs took 4.7 s for 200,000 pods that never waited (23 µs a pod);
// pods that queue for branch capacity, retry or churn cost more, by how
// long they wait, which only the run itself finds out.
const (
	bytesPerNode = 2 << 10
	bytesPerPod  = 1 << 10
	timePerPod   = 20 * time.Microsecond
	// largeRun is the estimate above which a run is announced before it
	// starts.
	largeRun = 512 << 20
)

// runSize counts the pods and nodes a scenario creates: the workloads'
// replicas, once more for each rollout restart, those a scale-up adds, and the nodes of the node
// groups and of addNode events, an autoscaled group at its maxSize, and
// what Karpenter may launch: a node for every podsPerLaunchedNode pods,
// within the NodePools' node limits.
func runSize(sc *scenario.Scenario) (pods, nodes int) {
	replicas := map[string]int{}
	for _, w := range sc.Workloads {
		pods += w.Replicas
		replicas[w.Name] = w.Replicas
	}
	for _, g := range sc.NodeGroups {
		nodes += g.Count
	}
	for _, e := range sc.Events {
		switch e.Action {
		case scenario.AddNode:
			nodes += max(e.Count, 1)
		case scenario.RolloutRestart:
			pods += replicas[e.Workload]
		case scenario.Scale:
			pods += max(0, e.Replicas-replicas[e.Workload])
			replicas[e.Workload] = e.Replicas
		case scenario.DeletePods: // the workload replaces them
			if e.Count > 0 {
				pods += e.Count
			} else {
				pods += replicas[e.Workload]
			}
		}
	}
	for _, g := range sc.NodeGroups {
		if a := g.Autoscaling; a != nil {
			nodes += a.MaxSize - g.Count
		}
	}
	if len(sc.NodePools) > 0 {
		launched, limited := (pods+podsPerLaunchedNode-1)/podsPerLaunchedNode, 0
		for _, np := range sc.NodePools {
			n, ok := np.Limits.Nodes.Max()
			if !ok {
				limited = -1
				break
			}
			limited += int(n)
		}
		if limited >= 0 {
			launched = min(launched, limited)
		}
		nodes += launched
	}
	return pods, nodes
}

// podsPerLaunchedNode is the fewest pods a node Karpenter launches is
// taken to hold, for the estimate: four, the pod-eni of the smallest
// trunk-capable types (c6g.medium) and the max pods of the smallest
// t-family ones, so the estimate errs high.
const podsPerLaunchedNode = 4

// errTooBig is why a run was refused before it started.
var errTooBig = errors.New("too big for the memory limit")

// checkSize refuses a run whose estimated memory is above the share of
// the process's limit the guard allows, and announces a large one on
// stderr.
func checkSize(sc *scenario.Scenario, limit uint64, name string, stderr io.Writer) error {
	pods, nodes := runSize(sc)
	need := uint64(pods)*bytesPerPod + uint64(nodes)*bytesPerNode
	if limit > 0 && float64(need) > memoryShare*float64(limit) {
		return fmt.Errorf("%s: %w: %d pods on %d nodes need about %d MiB, above %d MiB (%.0f%% of the %d MiB memory limit): "+
			"model fewer (workloads[].replicas, nodeGroups[].count) or raise the limit (GOMEMLIMIT)",
			sc.File, errTooBig, pods, nodes, need>>20, uint64(memoryShare*float64(limit))>>20, memoryShare*100, limit>>20)
	}
	if need > largeRun {
		fmt.Fprintf(stderr, "%s: %s: a large run: %d pods on %d nodes, about %d MiB and at least %s (longer when pods wait for capacity); Ctrl-C stops it with what finished\n",
			name, sc.File, pods, nodes, need>>20, (time.Duration(pods) * timePerPod).Round(time.Second))
	}
	return nil
}

// playGuarded runs a scenario to its end as run does, sized first and
// watched by a guard, for the commands that run scenarios to compare
// them (explain, diff): the error of a run the guard stopped wraps the
// guard's reason, so an interrupted command exits 130.
func playGuarded(name string, sc *scenario.Scenario, opts scenario.Options, stderr io.Writer) (*sim.Sim, error) {
	if err := checkSize(sc, memoryLimit(), name, stderr); err != nil {
		return nil, err
	}
	s, err := sc.Build(opts)
	if err != nil {
		return nil, err
	}
	_, unwatch := watch(stderr, s)
	err = sc.Play(s)
	unwatch()
	return s, err // a stop's error wraps the guard's reason
}

// failed writes a command's error and returns its exit status: 130 when
// the user interrupted it.
func failed(stderr io.Writer, name string, err error) int {
	fmt.Fprintf(stderr, "%s: %v\n", name, err)
	if errors.Is(err, errInterrupted) {
		return exitInterrupted
	}
	return exitFailure
}
