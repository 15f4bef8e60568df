package controller

import (
	"time"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/fakeec2"
	"github.com/trunksim/trunksim/internal/bucket"
	"github.com/trunksim/trunksim/trunk"
)

type jobKind uint8

const (
	jobCreate jobKind = 1 + iota // CreateAndAnnotateResources for one pod
	jobSweep                     // ProcessDeleteQueue for one node
	jobWipe                      // NodeDelete: every branch, no cool-down
	jobInit                      // node Init: find or create the trunk
	jobClean                     // a run of the cluster ENI cleaner
)

// job is one unit of controller work in flight. Its steps run as
// wake-ups; stage says where it resumes.
type job struct {
	// What every step reads comes first, in the record's first cache line.
	kind     jobKind
	stage    uint8
	api      fakeec2.API // the EC2 call being made
	calling  bool        // an answer is awaited
	attached bool        // the last DescribeNetworkInterfaces saw the trunk attached
	listing  bool        // the existing trunk's branches are being listed
	// existing is set when Init found a trunk already attached (after a
	// controller restart), so its branches are rebuilt, not created.
	existing bool
	vlan     branch.VLAN
	pod      PodID
	node     NodeID
	attempt  int32
	tries    int32 // DeleteNetworkInterface attempts for the current ENI
	polls    int32
	awaits   Timer  // the one wake-up or answer the job waits for
	gen      uint64 // controller generation that started it
	pool     *pool
	mark     time.Duration // when the current wait began
	callAt   time.Duration // when the call was made

	eni    branch.ENIID
	assoc  string
	groups branch.GroupSet
	ans    fakeec2.Answer // the call's answer, written by the caller
	parts  Parts          // what a Create job charges its pod, until it ends
	del    []trunk.Branch
	di     int
}

// pool is a worker pool with a FIFO queue: a job holds a worker from its
// first step to its last, as upstream's workers block on EC2 calls.
type pool struct {
	size, busy int
	queue      []queued // waiting work from head on
	head       int
}

// queued is work waiting for a worker: a job, or a Create or sweep job
// that is made only when a worker takes it, so that a burst of pods
// waiting for the branch workers costs a queue entry each rather than a
// job.
type queued struct {
	job  int32 // noJob for a job not made yet, of kind for pod or node
	kind jobKind
	pod  PodID
	node NodeID
	mark time.Duration // when it was queued
}

// noJob and jobQueued are pod.job values: no Create job in flight, and a
// Create job waiting in the queue to be made.
const (
	noJob     int32 = -1
	jobQueued int32 = -2
)

func (p *pool) push(q queued) {
	if len(p.queue) == cap(p.queue) && p.head > 0 && p.head >= len(p.queue)/2 {
		n := copy(p.queue, p.queue[p.head:])
		p.queue, p.head = p.queue[:n], 0
	}
	p.queue = append(p.queue, q)
}

func (p *pool) waiting() int { return len(p.queue) - p.head }

func (p *pool) pop() queued {
	q := p.queue[p.head]
	p.head++
	if p.head == len(p.queue) {
		p.queue, p.head = p.queue[:0], 0
		if cap(p.queue) > 4096 {
			p.queue = nil // a burst is over; keep no room for the next
		}
	}
	return q
}

// drop empties the queue.
func (p *pool) drop() { p.queue, p.head = p.queue[:0], 0 }

// newJob makes a job and returns its index. A freed job is reused as
// finish left it, zero but for its delete buffer, so making one writes
// only the fields set here; jobs live behind pointers so a *job held by a
// running step stays valid when the table grows.
func (c *Controller) newJob(kind jobKind, pi PodID, ni NodeID, p *pool, del []trunk.Branch) int32 {
	var i int32
	if n := len(c.freeJobs); n > 0 {
		i = c.freeJobs[n-1]
		c.freeJobs = c.freeJobs[:n-1]
	} else {
		c.jobs = append(c.jobs, new(job))
		i = int32(len(c.jobs) - 1)
	}
	jb := c.jobs[i]
	jb.kind, jb.pod, jb.node, jb.pool, jb.gen = kind, pi, ni, p, c.generation
	if del != nil {
		jb.del = del
	}
	return i
}

// submit gives the job a worker now, or queues it for the next free one.
func (c *Controller) submit(j int32) {
	p := c.jobs[j].pool
	c.jobs[j].mark = c.now
	if p.busy < p.size {
		p.busy++
		c.wake(0, timer(tStep, j))
		return
	}
	p.push(queued{job: j, mark: c.now})
}

// submitNew submits a new Create or sweep job to the branch workers,
// made only once a worker is free to take it. A Create job's pod records
// it as in flight from now.
func (c *Controller) submitNew(kind jobKind, pi PodID, ni NodeID) {
	q := &c.branchPool
	if q.busy >= q.size {
		q.push(queued{job: noJob, kind: kind, pod: pi, node: ni, mark: c.now})
		if kind == jobCreate {
			c.pod(pi).job = jobQueued
		}
		return
	}
	j := c.newJob(kind, pi, ni, q, nil)
	if kind == jobCreate {
		c.pod(pi).job = j
	}
	c.submit(j)
}

// finish frees the job's worker and hands it to the next queued job. A
// Create job's share of its pod's start-up latency goes to the pod.
func (c *Controller) finish(j int32) {
	jb := c.jobs[j]
	if jb.kind == jobCreate {
		c.pod(jb.pod).parts.Add(jb.parts)
	}
	p := jb.pool
	*c.jobs[j] = job{del: c.jobs[j].del[:0]} // the buffer serves the next sweep
	c.freeJobs = append(c.freeJobs, j)
	if p.waiting() > 0 {
		next := p.pop()
		if next.job == noJob {
			next.job = c.newJob(next.kind, next.pod, next.node, p, nil)
			c.jobs[next.job].mark = next.mark
			if next.kind == jobCreate {
				c.pod(next.pod).job = next.job
			}
		}
		c.wake(0, timer(tStep, next.job))
		return
	}
	p.busy--
}

// stepJob runs a job's next stage.
func (c *Controller) stepJob(j int32) {
	if c.jobs[j].gen != c.generation {
		c.finish(j) // started before a controller restart: its work is lost
		return
	}
	switch c.jobs[j].kind {
	case jobCreate:
		c.stepCreate(j)
	case jobSweep:
		c.stepSweep(j)
	case jobWipe:
		c.stepWipe(j)
	case jobInit:
		c.stepInit(j)
	case jobClean:
		c.stepClean(j)
	}
}

// clientFor returns the client upstream makes the call on
// (pkg/aws/ec2/api/wrapper.go: trunk association calls on the instance
// client, the rest on the user client).
func (c *Controller) clientFor(a fakeec2.API) (Client, bool) {
	if a == fakeec2.AssociateTrunkInterface || a == fakeec2.DisassociateTrunkInterface {
		return InstanceClient, true
	}
	return UserClient, false
}

// call makes an EC2 call for job j: it waits for the client's rate
// limiter, then EC2 answers after the answer's latency; throttled and
// server errors are retried by the SDK's standard retryer up to
// MaxAttempts. The job resumes at its next stage with the result.
func (c *Controller) call(j int32, a fakeec2.API) {
	jb := c.jobs[j]
	jb.api = a
	if jb.attempt == 0 {
		jb.attempt = 1
	}
	lim := &c.user
	if _, instance := c.clientFor(a); instance && !c.cfg.SharedEC2Client {
		lim = &c.instance
	}
	wait, _ := lim.Reserve(c.now, 1) // one token is within any burst Validate allows
	c.notePart(jb, partClientWait, wait)
	c.wake(wait, timer(tCallStart, j))
}

// callStart makes the call: the caller makes it at once and steps the
// answer back, as Answered, once its latency has passed.
func (c *Controller) callStart(j int32) {
	jb := c.jobs[j]
	if jb.gen != c.generation {
		c.finish(j) // the controller restarted while the call waited
		return
	}
	c.fillRequest(jb)
	jb.calling, jb.callAt, jb.awaits = true, c.now, timer(tCallEnd, j)
	client, _ := c.clientFor(jb.api)
	pod := PodID(-1)
	if jb.kind == jobCreate {
		pod = jb.pod
	}
	c.emit(Effect{Kind: Call, Client: client, Timer: timer(tCallEnd, j), Node: jb.node, Pod: pod,
		Request: &c.req, Answer: &jb.ans})
}

// fillRequest sets the call's arguments from the job in the controller's
// one request, which a Call effect points to until the next Step. It
// writes every field the action reads (see fakeec2.Request), and only
// those, so fields left from other calls do no harm.
func (c *Controller) fillRequest(jb *job) {
	r := &c.req
	r.API = jb.api
	if jb.kind == jobClean {
		c.fillCleanRequest(r, jb)
		return
	}
	r.Available = 0
	n := &c.nodes[jb.node]
	switch r.API {
	case fakeec2.CreateNetworkInterface:
		r.Instance, r.Quota = n.name, c.cfg.GroupsPerInterface
		if jb.kind == jobInit {
			r.Kind, r.Trunk, r.Groups, r.VLAN = fakeec2.TrunkInterface, branch.ENIID{}, branch.GroupSet{}, 0
		} else {
			r.Kind, r.Trunk, r.Groups, r.VLAN = fakeec2.BranchInterface, n.trunkID, jb.groups, jb.vlan
		}
	case fakeec2.AssociateTrunkInterface:
		r.ENI, r.Trunk, r.VLAN = jb.eni, n.trunkID, jb.vlan
	case fakeec2.DisassociateTrunkInterface:
		r.Association = jb.assoc
	case fakeec2.DescribeNetworkInterfaces:
		r.ENI, r.Instance = n.trunkID, ""
		if jb.listing {
			r.Instance = n.name // the branches, by the trunk's tag
		}
	default:
		r.ENI = jb.eni
	}
}

// answered takes EC2's answer to job j's call, which the caller wrote
// into the job: retried by the SDK, or the job's next stage.
func (c *Controller) answered(j int32) {
	jb := c.jobs[j]
	ans := &jb.ans
	jb.calling, jb.awaits = false, 0
	c.notePart(jb, partCalls, ans.Latency)
	if ans.Err != nil {
		c.stats.EC2Errors++
	}
	if jb.gen != c.generation {
		// The controller restarted during the call: EC2 did the work,
		// nobody hears the answer, and the SDK does not retry it.
		c.finish(j)
		return
	}
	switch jb.api {
	case fakeec2.CreateNetworkInterface:
		jb.eni = ans.ENI
	case fakeec2.AssociateTrunkInterface:
		jb.assoc = ans.Association
	case fakeec2.DescribeNetworkInterfaces:
		if !jb.listing {
			jb.attached = ans.Attached
		} // a listing's branches stay in the answer for the rebuild
	}
	if ae := fakeec2.AsAPIError(jb.ans.Err); ae != nil && ae.Retryable() && int(jb.attempt) < c.maxAttempts {
		// aws-sdk-go-v2 aws/retry jitter_backoff.go: a random fraction of
		// 2^attempt seconds, capped at 20 s.
		backoff := time.Duration(c.rng.Float64() * float64(time.Second<<jb.attempt))
		backoff = min(backoff, 20*time.Second)
		jb.attempt++
		c.notePart(jb, partRetries, backoff)
		c.wake(backoff, timer(tRetryCall, j))
		return
	}
	jb.attempt = 0
	jb.stage++
	c.stepJob(j)
}

// apiCall waits for the rate limiter of the Kubernetes client that makes
// the call (see events.go), then resumes the job at its next stage. API
// server latency is taken as zero.
func (c *Controller) apiCall(j int32, client *bucket.Bucket) {
	wait, _ := client.Reserve(c.now, 1)
	c.notePart(c.jobs[j], partAPIServer, wait)
	c.jobs[j].stage++
	c.wake(wait, timer(tStep, j))
}

type part uint8

const (
	partClientWait part = 1 + iota
	partCalls
	partRetries
	partAPIServer
)

// notePart charges d to the job's pod, in the job until it ends (see
// finish), so that a call touches the job alone.
func (c *Controller) notePart(jb *job, k part, d time.Duration) {
	p := &jb.parts
	switch k {
	case partClientWait:
		p.ClientWait += d
	case partCalls:
		p.Calls += d
	case partRetries:
		p.Retries += d
	case partAPIServer:
		p.APIServer += d
	}
}
