package sim

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/controller"
)

// scanNode is the placement rule written as a scan over every node in
// index order, keeping the first strictly better one: the definition
// that pickNode's tree must agree with.
func (s *Sim) scanNode(needsBranch bool) int32 {
	best, bestFree := int32(-1), 0
	for i, n := range s.nodes {
		free := n.slots - n.pods
		if n.gone || free <= 0 {
			continue
		}
		if needsBranch {
			if !s.ctl.Advertised(controller.NodeID(i)) || n.branchPods >= n.typ.BranchInterfaces {
				continue
			}
			free = min(free, n.typ.BranchInterfaces-n.branchPods)
		} else {
			ips := s.ipSlots(n) - n.ipPods
			if ips <= 0 {
				continue
			}
			free = min(free, ips)
		}
		if best < 0 || (s.cfg.Placement == LeastAllocated && free > bestFree) ||
			(s.cfg.Placement == MostAllocated && free < bestFree) {
			best, bestFree = int32(i), free
		}
	}
	return best
}

func (s *Sim) scanAdvertising() int {
	k := 0
	for i, n := range s.nodes {
		if !n.gone && s.ctl.Advertised(controller.NodeID(i)) {
			k++
		}
	}
	return k
}

// The placement trees pick, after every event, the node the scan over
// all nodes picks, for pods that need a branch and pods that do not,
// under both placements, through node additions and deletions, trunk
// inits, restarts, binds and terminations.
func TestFitTreeAgreesWithTheScan(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		placement := rapid.SampledFrom([]Placement{LeastAllocated, MostAllocated}).Draw(t, "placement")
		s, err := New(Config{Seed: rapid.Uint64().Draw(t, "seed"), Placement: placement})
		require.NoError(t, err)
		require.NoError(t, s.AddPolicy(branch.Policy{Namespace: "default", Name: "web",
			PodSelector: &branch.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Groups:      []branch.SecurityGroupID{branch.MustParseSecurityGroupID("sg-0123456789abcdef0")}}))
		agree := func() {
			for _, needsBranch := range []bool{true, false} {
				pod := &pod{needsBranch: needsBranch}
				got, _ := s.pickNode(pod)
				require.Equal(t, s.scanNode(needsBranch), got, "needsBranch %v at %v", needsBranch, s.Now())
			}
			require.Equal(t, s.scanAdvertising(), s.advertising)
		}
		types := []string{"m5.large", "t3.medium", "c6g.medium", "m5.xlarge", "t3.large"}
		var nodes []string
		pods := 0
		for range rapid.IntRange(1, 60).Draw(t, "steps") {
			switch rapid.IntRange(0, 9).Draw(t, "action") {
			case 0, 1:
				name := fmt.Sprintf("n%d", len(nodes))
				require.NoError(t, s.AddNode(NodeSpec{Name: name, InstanceType: rapid.SampledFrom(types).Draw(t, "type")}))
				nodes = append(nodes, name)
			case 2:
				if len(nodes) > 0 {
					_ = s.DeleteNode(rapid.SampledFrom(nodes).Draw(t, "node")) // may be gone already
				}
			case 3, 4, 5:
				for range rapid.IntRange(1, 30).Draw(t, "pods") {
					require.NoError(t, s.CreatePod(PodSpec{Namespace: "default", Name: fmt.Sprintf("p%d", pods),
						Labels:   map[string]string{"app": rapid.SampledFrom([]string{"web", "plain"}).Draw(t, "app")},
						Lifetime: rapid.SampledFrom([]time.Duration{0, time.Minute}).Draw(t, "lifetime")}))
					pods++
				}
			case 6:
				if pods > 0 {
					_ = s.DeletePod("default", fmt.Sprintf("p%d", rapid.IntRange(0, pods-1).Draw(t, "pod")))
				}
			case 7:
				require.NoError(t, s.RestartController())
			default:
				until := s.Now() + time.Duration(rapid.IntRange(0, 200).Draw(t, "secs"))*time.Second
				for s.failure == nil {
					next, ok := s.sched.Next()
					if !ok || next > until {
						break
					}
					require.NoError(t, s.step())
					agree()
				}
			}
			agree()
		}
	})
}

// fitTree keeps the highest score at the root whatever order scores are
// set in, and grows past its first size.
func TestFitTreeKeepsTheBestAtTheRoot(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var tree fitTree
		want := map[int32]uint64{}
		for range rapid.IntRange(1, 300).Draw(t, "sets") {
			ni := rapid.Int32Range(0, 200).Draw(t, "node")
			free := rapid.IntRange(0, 5).Draw(t, "free")
			sc := uint64(0)
			if free > 0 {
				sc = fitScore(LeastAllocated, ni, free)
			}
			tree.set(ni, sc)
			want[ni] = sc
			best, bestScore := int32(-1), uint64(0)
			for i, sc := range want {
				if sc > bestScore {
					best, bestScore = i, sc
				}
			}
			require.Equal(t, best, tree.best())
		}
	})
}
