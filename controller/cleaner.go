package controller

import (
	"time"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/fakeec2"
)

// The cluster ENI cleaner (pkg/aws/ec2/api/cleanup/eni_cleanup.go
// ClusterENICleaner, v1.8.2), modelled with NodeDeletionRelease, where it
// is what deletes a deleted node's branches. It runs once when the
// process starts and then sleeps cleanerInterval after each run ends
// (config.ENICleanUpInterval). A run lists the interfaces in status
// "available" that the VPC CNI or the controller tagged, one listing per
// owner tag (GetENITagFilters), a page of 1000 at a time
// (DescribeNetworkInterfacesMaxResults) on the EC2 user client, with
// 100..120 ms between pages (wrapper.go
// DescribeNetworkInterfacesPagesWithRetry). It deletes those it also saw
// at its last run and remembers the rest: an interface goes on its second
// sighting, 30 to 60 minutes after it became available.
//
// With NodeDeletionWipe the cleaner is not run, as the model had none
// before; the wipe leaves it nothing to find in steady state.

// cleanerInterval is how long the cleaner sleeps after each run
// (pkg/config/type.go ENICleanUpInterval: 30 min).
const cleanerInterval = 30 * time.Minute

// listRetries is how many listing attempts a run makes when EC2 answers
// with the error code "Throttling" (wrapper.go MaxRetries: 3), sleeping
// 500 ms times the attempt, plus up to 10 %, before the next.
const listRetries = 3

// cleaner is the cluster ENI cleaner's state.
type cleaner struct {
	job    int32 // the run's job, noJob between runs
	owner  fakeec2.Owner
	page   int
	tries  int // listing attempts of this owner's listing
	listed []fakeec2.Interface
	from   int // where this owner's listing starts in listed
	di     int
	seen   map[branch.ENIID]bool // available at the last run
	next   map[branch.ENIID]bool // first seen at this run
	runs   int
	// due is when the one wake-up that starts the next run comes; armed
	// says one is set. Others, set before a restart or a change of
	// settings, are stale.
	due   time.Duration
	armed bool
}

// Stages of a cleaner run.
const (
	clList uint8 = iota
	clListed
	clPaged
	clDelete
	clDeleted
)

// cleanerOn reports whether the cleaner is modelled.
func (c *Controller) cleanerOn() bool { return c.cfg.NodeDeletion == NodeDeletionRelease }

// startCleaner sets the cleaner's first run for now, as the process
// starts it (ClusterENICleaner.Start runs DeleteLeakedResources first).
func (c *Controller) startCleaner() {
	cl := &c.clean
	cl.job, cl.seen, cl.next, cl.armed = noJob, nil, nil, false
	if c.cleanerOn() {
		c.armCleaner(0)
	}
}

// armCleaner sets the wake-up of the cleaner's next run, d from now.
func (c *Controller) armCleaner(d time.Duration) {
	c.clean.due, c.clean.armed = c.now+d, true
	c.wakeIdle(d, timer(tClean, 0))
}

// cleanerWoke starts a run, unless the wake-up is from before a restart
// (which started its own run) or the cleaner is no longer modelled.
func (c *Controller) cleanerWoke() {
	cl := &c.clean
	if !cl.armed || cl.due != c.now || cl.job != noJob || !c.cleanerOn() {
		return
	}
	cl.armed = false
	cl.owner, cl.page, cl.tries, cl.listed, cl.from, cl.di = fakeec2.OwnerCNI, 0, 1, cl.listed[:0], 0, 0
	cl.next = make(map[branch.ENIID]bool)
	cl.runs++
	cl.job = c.newJob(jobClean, -1, -1, &c.cleanPool, nil)
	c.submit(cl.job)
}

func (c *Controller) stepClean(j int32) {
	jb, cl := c.jobs[j], &c.clean
	switch jb.stage {
	case clList:
		c.call(j, fakeec2.DescribeNetworkInterfaces)
	case clListed:
		c.cleanListed(j)
	case clPaged:
		switch {
		case jb.ans.More:
			cl.page++
		case cl.owner == fakeec2.OwnerCNI:
			cl.owner, cl.page, cl.tries, cl.from = fakeec2.OwnerController, 0, 1, len(cl.listed)
		default:
			jb.stage = clDelete
			c.cleanNext(j)
			return
		}
		jb.stage = clList
		c.call(j, fakeec2.DescribeNetworkInterfaces)
	case clDeleted:
		if ae := fakeec2.AsAPIError(jb.ans.Err); jb.ans.Err == nil || ae != nil && ae.Code == fakeec2.CodeENINotFound {
			if jb.ans.Err == nil {
				c.stats.BranchesDeleted++
				c.stats.CleanerDeleted++
			}
		} // another error: seen afresh next run, deleted the run after
		cl.di++
		jb.stage = clDelete
		c.cleanNext(j)
	}
}

// cleanListed takes one page of a listing: on to the next after the
// pause between pages, or the listing again after "Throttling", or the
// run's end after another error, which keeps what the last run saw
// (DeleteLeakedResources returns before UpdateAvailableENIsIfNeeded).
func (c *Controller) cleanListed(j int32) {
	jb, cl := c.jobs[j], &c.clean
	if err := jb.ans.Err; err != nil {
		if ae := fakeec2.AsAPIError(err); ae != nil && ae.Code == codeThrottling && cl.tries < listRetries {
			d := time.Duration(cl.tries) * 500 * time.Millisecond
			cl.tries++
			cl.listed, cl.page = cl.listed[:cl.from], 0
			jb.stage = clList
			c.wake(d+time.Duration(c.rng.Float64()*0.1*float64(d)), timer(tStep, j))
			return
		}
		c.cleanEnd(j, false)
		return
	}
	cl.listed = append(cl.listed, jb.ans.Branches...)
	jb.ans.Branches = nil
	jb.stage = clPaged
	d := 100 * time.Millisecond
	c.wake(d+time.Duration(c.rng.Float64()*0.2*float64(d)), timer(tStep, j))
}

// codeThrottling is the one error code the cleaner's listing retries
// itself (wrapper.go compares ErrorCode() with it); EC2's usual
// RequestLimitExceeded is left to the SDK retryer.
const codeThrottling = "Throttling"

// cleanNext deletes the next listed interface the last run saw too, and
// remembers the others; at the end of the list the run ends.
func (c *Controller) cleanNext(j int32) {
	jb, cl := c.jobs[j], &c.clean
	for ; cl.di < len(cl.listed); cl.di++ {
		id := cl.listed[cl.di].ID
		if cl.seen[id] {
			jb.eni = id
			c.call(j, fakeec2.DeleteNetworkInterface)
			return
		}
		cl.next[id] = true
	}
	c.cleanEnd(j, true)
}

// cleanEnd ends a run; the next starts cleanerInterval later.
func (c *Controller) cleanEnd(j int32, listed bool) {
	cl := &c.clean
	if listed {
		cl.seen = cl.next
	}
	cl.next, cl.job = nil, noJob
	c.finish(j)
	c.armCleaner(cleanerInterval)
}

// CleanerRuns returns how many runs the cluster ENI cleaner started.
func (c *Controller) CleanerRuns() int { return c.clean.runs }

// fillCleanRequest sets a cleaner call's arguments.
func (c *Controller) fillCleanRequest(r *fakeec2.Request, jb *job) {
	if r.API == fakeec2.DescribeNetworkInterfaces {
		r.ENI, r.Instance = branch.ENIID{}, ""
		r.Available, r.Page, r.PageSize = c.clean.owner, c.clean.page, fakeec2.DefaultPageSize
		return
	}
	r.Available, r.ENI = 0, jb.eni
}
