package sim

import (
	"time"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/controller"
)

// leftovers follows the branch ENIs a node deletion leaves in EC2: those
// of the node's trunk that still exist once the instance is terminated,
// until something deletes them. With controller.NodeDeletionWipe the
// NodeDelete job does, a nodeDeleteDelay later; with
// controller.NodeDeletionRelease the cluster ENI cleaner does, 30 to 60
// minutes after.
type leftovers struct {
	since   map[branch.ENIID]time.Duration // the ENIs still in EC2, from their node's deletion
	live    int                            // len(since), read on every call
	count   int                            // every ENI left, deleted since or not
	deleted int
	sum     time.Duration // time in EC2 after the deletion, of those deleted
	longest time.Duration // the longest of those
}

// note records the branch ENIs of node that EC2 still holds now.
func (l *leftovers) note(ec2 *FakeEC2, node string, now time.Duration) {
	for _, e := range ec2.OfInstance(node) {
		if e.Kind != BranchInterface {
			continue
		}
		if l.since == nil {
			l.since = make(map[branch.ENIID]time.Duration)
		}
		l.since[e.ID] = now
		l.count++
	}
	l.live = len(l.since)
}

// gone records that EC2 deleted eni now, if a node deletion left it.
func (l *leftovers) gone(eni branch.ENIID, now time.Duration) {
	at, ok := l.since[eni]
	if !ok {
		return
	}
	delete(l.since, eni)
	l.live = len(l.since)
	d := now - at
	l.deleted++
	l.sum += d
	l.longest = max(l.longest, d)
}

// NodeDeletionReport says what node deletions left behind: the branch
// ENIs of a deleted node's trunk still in EC2 once its instance was
// terminated, and how long they stayed.
type NodeDeletionReport struct {
	// Mode is controller.nodeDeletion (only release, for now).
	Mode string `json:"mode"`
	// BranchENIs counts the ENIs left; Deleted those deleted since (by the
	// NodeDelete job's wipe, or the cluster ENI cleaner), Remaining those
	// still in EC2 at the end.
	BranchENIs int `json:"branchENIs"`
	Deleted    int `json:"deleted"`
	Remaining  int `json:"remaining"`
	// CleanerDeleted counts the interfaces the cluster ENI cleaner deleted.
	CleanerDeleted int `json:"cleanerDeleted"`
	// ENIMinutes sums each ENI's time in EC2 from its node's deletion to
	// its own, or to the end of the run for those remaining.
	ENIMinutes float64 `json:"eniMinutes"`
	// LongestSeconds is the longest of those times; LongestRemaining says
	// it is that of an ENI still there at the end.
	LongestSeconds   float64 `json:"longestSeconds"`
	LongestRemaining bool    `json:"longestRemaining"`
}

// nodeDeletionReport summarises the leftovers, nil when no node deletion
// left any. It is made only with controller.NodeDeletionRelease, so that
// reports of runs with the wipe stay as they were.
func (s *Sim) nodeDeletionReport() *NodeDeletionReport {
	l := &s.left
	if l.count == 0 || s.cfg.Controller.NodeDeletion != controller.NodeDeletionRelease {
		return nil
	}
	r := &NodeDeletionReport{Mode: s.cfg.Controller.NodeDeletion.String(), BranchENIs: l.count,
		Deleted: l.deleted, Remaining: l.live, CleanerDeleted: s.ctl.Stats().CleanerDeleted}
	sum, longest := l.sum, l.longest
	for _, at := range l.since {
		d := s.Now() - at
		sum += d
		if d > longest || d == longest && !r.LongestRemaining {
			longest, r.LongestRemaining = d, true
		}
	}
	r.ENIMinutes = round3(sum.Minutes())
	r.LongestSeconds = round3(longest.Seconds())
	return r
}
