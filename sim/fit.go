package sim

import "github.com/trunksim/trunksim/limits"

// fitTree finds the node a pod goes to without looking at every node: a
// tournament tree over the nodes whose leaves hold each node's score and
// whose inner entries hold the larger score of their two children. The
// root is the best node, and a change to one node costs one walk from
// its leaf up, so placing n pods on m nodes costs O(n log m), not O(n m).
//
// A score is 0 for a node that cannot take the pod. Otherwise it packs
// the preference into the high 32 bits and the node's index, inverted,
// into the low ones, so that equal preferences go to the lowest index:
// the same node a scan in index order keeping the first strictly better
// one picks.
type fitTree struct {
	leaves int      // a power of two, at least the node count
	score  []uint64 // score[1] is the root; leaf i is score[leaves+i]
}

// fitScore is the score of node index ni with free slots for the pod,
// under placement p; free must be positive.
func fitScore(p Placement, ni int32, free int) uint64 {
	pref := uint64(free)
	if p == MostAllocated {
		pref = 1<<31 - pref // the fewest free slots wins
	}
	return pref<<32 | uint64(^uint32(ni))
}

// best returns the index of the winning node, or -1 when none fits.
func (t *fitTree) best() int32 {
	if len(t.score) == 0 || t.score[1] == 0 {
		return -1
	}
	return int32(^uint32(t.score[1]))
}

// set gives node ni the score sc.
func (t *fitTree) set(ni int32, sc uint64) {
	if int(ni) >= t.leaves {
		t.grow(int(ni) + 1)
	}
	i := t.leaves + int(ni)
	if t.score[i] == sc {
		return
	}
	t.score[i] = sc
	for i > 1 {
		i >>= 1
		w := max(t.score[2*i], t.score[2*i+1])
		if t.score[i] == w {
			return // nothing above changes either
		}
		t.score[i] = w
	}
}

// grow makes room for n leaves and rebuilds the inner entries.
func (t *fitTree) grow(n int) {
	leaves := max(t.leaves, 64)
	for leaves < n {
		leaves *= 2
	}
	score := make([]uint64, 2*leaves)
	if t.leaves > 0 {
		copy(score[leaves:], t.score[t.leaves:])
	}
	for i := leaves - 1; i >= 1; i-- {
		score[i] = max(score[2*i], score[2*i+1])
	}
	t.leaves, t.score = leaves, score
}

// refit brings node ni's entries in the placement trees and the count of
// nodes advertising pod-eni up to date. Every change to what decides a
// node's fit (gone, ready, trunk, its pod counts) is followed by a refit.
func (s *Sim) refit(ni int32) {
	n := s.nodes[ni]
	ready := n.ready
	advertises := !n.gone && ready
	if advertises != n.advertises {
		n.advertises = advertises
		if advertises {
			s.advertising++
			if !n.advertised {
				n.advertised, n.advertisedAt = true, s.Now()
			}
		} else {
			s.advertising--
		}
	}
	var branchScore, ipScore uint64
	if free := n.slots - n.pods; !n.gone && free > 0 {
		if ready && n.branchPods < n.typ.BranchInterfaces {
			branchScore = fitScore(s.cfg.Placement, ni, min(free, n.typ.BranchInterfaces-n.branchPods))
		}
		if ips := s.ipSlots(n) - n.ipPods; ips > 0 {
			ipScore = fitScore(s.cfg.Placement, ni, min(free, ips))
		}
	}
	s.fitBranch.set(ni, branchScore)
	// Linux pods never go to a Windows node, nor Windows pods to a Linux
	// one: the kubernetes.io/os nodeSelector keeps them apart.
	if n.os == limits.OSWindows {
		s.fitIP.set(ni, 0)
		s.fitWindows.set(ni, ipScore)
		return
	}
	s.fitIP.set(ni, ipScore)
	if s.hostNetPods > 0 {
		var hostScore uint64
		if free := n.slots - n.pods; !n.gone && !n.noIPs && free > 0 {
			hostScore = fitScore(s.cfg.Placement, ni, free)
		}
		s.fitHost.set(ni, hostScore)
	}
}
