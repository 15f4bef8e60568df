package sim

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"golang.org/x/time/rate"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/trunk"
)

type jobKind uint8

const (
	jobCreate jobKind = 1 + iota // CreateAndAnnotateResources for one pod
	jobSweep                     // ProcessDeleteQueue for one node
	jobWipe                      // NodeDelete: every branch, no cool-down
	jobInit                      // node Init: find or create the trunk
)

// job is one unit of controller work in flight. Its steps run as
// scheduler events; stage says where it resumes.
type job struct {
	kind  jobKind
	stage uint8
	pod   int32
	node  int32
	pool  *pool
	gen   uint64 // controller generation that started it

	api     API
	attempt int
	err     error
	mark    time.Duration // when the current wait began

	eni    branch.ENIID
	eniNum uint64 // the counter a branch's ENI ID spells
	vlan   branch.VLAN
	assoc  string
	groups branch.GroupSet
	del    []trunk.Branch
	di     int
	polls  int
	// existing is set when Init found a trunk already attached (after a
	// controller restart), so its branches are rebuilt, not created.
	existing bool
	listed   bool // the existing trunk's branches were listed
	tries    int  // DeleteNetworkInterface attempts for the current ENI
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
	job       int32 // noJob for a job not made yet, of kind for pod or node
	kind      jobKind
	pod, node int32
	mark      time.Duration // when it was queued
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

// newJob stores j and returns its index. Jobs live behind pointers so a
// *job held by a running step stays valid when the table grows.
func (s *Sim) newJob(j job) int32 {
	j.gen = s.m.generation
	if n := len(s.freeJobs); n > 0 {
		i := s.freeJobs[n-1]
		s.freeJobs = s.freeJobs[:n-1]
		if j.del == nil {
			j.del = s.jobs[i].del // the last job's buffer, emptied by finish
		}
		*s.jobs[i] = j
		return i
	}
	// A fresh job is copied to the heap here rather than taking j's
	// address, which would move every call's argument to the heap.
	jp := new(job)
	*jp = j
	s.jobs = append(s.jobs, jp)
	return int32(len(s.jobs) - 1)
}

func (s *Sim) submitEv(arg uint64) { s.submit(int32(arg)) }

// submit gives the job a worker now, or queues it for the next free one.
func (s *Sim) submit(j int32) {
	p := s.jobs[j].pool
	s.jobs[j].mark = s.Now()
	if p.busy < p.size {
		p.busy++
		s.after(0, s.ev, uint64(j))
		return
	}
	p.push(queued{job: j, mark: s.Now()})
}

// submitNew submits a new Create or sweep job to the branch workers,
// made only once a worker is free to take it. A Create job's pod records
// it as in flight from now.
func (s *Sim) submitNew(kind jobKind, pod, node int32) {
	q := &s.branchPool
	if q.busy >= q.size {
		q.push(queued{job: noJob, kind: kind, pod: pod, node: node, mark: s.Now()})
		if kind == jobCreate {
			s.pods[pod].job = jobQueued
		}
		return
	}
	j := s.newJob(job{kind: kind, pod: pod, node: node, pool: q})
	if kind == jobCreate {
		s.pods[pod].job = j
	}
	s.submit(j)
}

// finish frees the job's worker and hands it to the next queued job.
func (s *Sim) finish(j int32) {
	p := s.jobs[j].pool
	*s.jobs[j] = job{del: s.jobs[j].del[:0]} // the buffer serves the next sweep
	s.freeJobs = append(s.freeJobs, j)
	if p.waiting() > 0 {
		next := p.pop()
		if next.job == noJob {
			next.job = s.newJob(job{kind: next.kind, pod: next.pod, node: next.node, pool: p, mark: next.mark})
			if next.kind == jobCreate {
				s.pods[next.pod].job = next.job
			}
		}
		s.after(0, s.ev, uint64(next.job))
		return
	}
	p.busy--
}

// stepJob runs a job's next stage.
func (s *Sim) stepJob(arg uint64) {
	j := int32(arg)
	if s.jobs[j].gen != s.m.generation {
		s.finish(j) // started before a controller restart: its work is lost
		return
	}
	switch s.jobs[j].kind {
	case jobCreate:
		s.stepCreate(j)
	case jobSweep:
		s.stepSweep(j)
	case jobWipe:
		s.stepWipe(j)
	case jobInit:
		s.stepInit(j)
	}
}

func (s *Sim) clientFor(a API) *rate.Limiter {
	if a.instanceClient() {
		return s.instance
	}
	return s.user
}

// call makes an EC2 call for job j: it waits for the client's rate
// limiter, then the call takes EC2.Latency; throttled and server errors
// are retried by the SDK's standard retryer up to EC2.MaxAttempts. The job
// resumes at its next stage with the result in job.err.
func (s *Sim) call(j int32, a API) {
	jb := s.jobs[j]
	jb.api = a
	if jb.attempt == 0 {
		jb.attempt = 1
	}
	now := epoch.Add(s.Now())
	wait := s.clientFor(a).ReserveN(now, 1).DelayFrom(now)
	s.notePart(jb, partClientWait, wait)
	s.after(wait, s.evCallStart, uint64(j))
}

func (s *Sim) callStart(arg uint64) {
	j := int32(arg)
	jb := s.jobs[j]
	if jb.gen != s.m.generation {
		s.finish(j) // the controller restarted while the call waited
		return
	}
	jb.err = s.doEC2(jb)
	latency := s.cfg.EC2.Latency + s.ec2.Slowdown()
	s.notePart(jb, partCalls, latency)
	s.after(latency, s.evCallEnd, arg)
}

func (s *Sim) callEnd(arg uint64) {
	jb := s.jobs[arg]
	if jb.gen != s.m.generation {
		// The controller restarted during the call: EC2 did the work,
		// nobody hears the answer, and the SDK does not retry it.
		s.finish(int32(arg))
		return
	}
	if ae := asAPIError(jb.err); ae != nil && ae.retryable() && jb.attempt < s.cfg.EC2.MaxAttempts {
		// aws-sdk-go-v2 aws/retry jitter_backoff.go: a random fraction of
		// 2^attempt seconds, capped at 20 s.
		backoff := time.Duration(s.rngS.Float64() * float64(time.Second<<jb.attempt))
		backoff = min(backoff, 20*time.Second)
		jb.attempt++
		s.notePart(jb, partRetries, backoff)
		s.after(backoff, s.evRetryCall, arg)
		return
	}
	jb.attempt = 0
	jb.stage++
	s.stepJob(arg)
}

// retryCall makes the job's current call again, as the SDK or the
// controller's helper retries it.
func (s *Sim) retryCall(arg uint64) { s.call(int32(arg), s.jobs[arg].api) }

// doEC2 performs job jb's current call against the fake EC2.
func (s *Sim) doEC2(jb *job) error {
	now := s.Now()
	n := s.nodes[jb.node]
	var err error
	switch jb.api {
	case DescribeInstances, DescribeSubnets, DescribeNetworkInterfaces:
		err = s.ec2.Describe(now, jb.api)
	case CreateNetworkInterface:
		if jb.kind == jobInit {
			jb.eni, err = s.ec2.CreateNetworkInterface(now, TrunkInterface, n.name, branch.ENIID{}, branch.GroupSet{}, 0, s.cfg.Controller.GroupsPerInterface)
		} else {
			jb.eni, jb.eniNum, err = s.ec2.create(now, BranchInterface, n.name, n.trunkID, jb.groups, jb.vlan, s.cfg.Controller.GroupsPerInterface)
		}
	case CreateNetworkInterfacePermission:
		err = s.ec2.CreateNetworkInterfacePermission(now, jb.eni)
	case AttachNetworkInterface:
		err = s.ec2.AttachNetworkInterface(now, jb.eni)
	case ModifyNetworkInterfaceAttribute:
		err = s.ec2.ModifyNetworkInterfaceAttribute(now, jb.eni)
	case AssociateTrunkInterface:
		jb.assoc, err = s.ec2.AssociateTrunkInterface(now, jb.eni, n.trunkID, jb.vlan)
	case DisassociateTrunkInterface:
		err = s.ec2.DisassociateTrunkInterface(now, jb.assoc)
	case DeleteNetworkInterface:
		err = s.ec2.DeleteNetworkInterface(now, jb.eni)
	}
	if err != nil {
		s.m.ec2Errors++
	}
	return err
}

// apiCall waits for the Kubernetes client's rate limiter, then resumes
// the job at its next stage. API server latency is taken as zero.
func (s *Sim) apiCall(j int32) {
	now := epoch.Add(s.Now())
	wait := s.api.ReserveN(now, 1).DelayFrom(now)
	s.notePart(s.jobs[j], partAPIServer, wait)
	s.jobs[j].stage++
	s.after(wait, s.ev, uint64(j))
}

type part uint8

const (
	partClientWait part = 1 + iota
	partCalls
	partRetries
	partAPIServer
)

func (s *Sim) notePart(jb *job, k part, d time.Duration) {
	if jb.kind != jobCreate {
		return
	}
	p := &s.pods[jb.pod].parts
	switch k {
	case partClientWait:
		p.clientWait += d
	case partCalls:
		p.calls += d
	case partRetries:
		p.retries += d
	case partAPIServer:
		p.apiServer += d
	}
}

// enqueueCreate hands a pod to the branch provider (pod_controller.go:
// a Create job for a bound pod that requests pod-eni). One job per pod at
// a time, as the workqueue coalesces identical items.
func (s *Sim) enqueueCreate(pi int32, delay time.Duration) {
	p := s.pods[pi]
	if p.job != noJob || p.phase != Pending || p.node < 0 {
		return
	}
	if delay == 0 {
		s.submitNew(jobCreate, pi, p.node)
		return
	}
	j := s.newJob(job{kind: jobCreate, pod: pi, node: p.node, pool: &s.branchPool})
	p.job = j
	s.after(delay, s.evSubmit, uint64(j))
}

// Stages of a Create job (provider.go CreateAndAnnotateResources,
// trunk.go CreateAndAssociateBranchENIs).
const (
	cStart uint8 = iota
	cGot         // pod read from the API server
	cCreated
	cPermitted
	cAssociated
	cAnnotated
)

func (s *Sim) stepCreate(j int32) {
	jb := s.jobs[j]
	p := s.pods[jb.pod]
	n := s.nodes[jb.node]
	if jb.stage >= cCreated && n.trunk == nil {
		// The node was deleted and its trunk wiped while the branch was
		// being made. Upstream's job holds the dropped trunk object, so
		// whatever it made is tracked by no one: an ENI already created
		// leaks, as upstream's does, until EC2-side cleanup.
		s.endCreate(j, nil)
		return
	}
	switch jb.stage {
	case cStart:
		p.parts.queue += s.Now() - jb.mark
		if p.phase != Pending || p.node != jb.node || p.annotatedOK {
			s.endCreate(j, nil)
			return
		}
		s.apiCall(j) // GET the pod from the API server
	case cGot:
		if p.phase != Pending || n.trunk == nil {
			if p.phase == Pending {
				s.endCreate(j, fmt.Errorf("trunk of node %s not in cache", n.name))
				return
			}
			s.endCreate(j, nil)
			return
		}
		res := s.resolve(p)
		if res.ids == nil {
			// trunk.go CreateAndAssociateBranchENIs: no match now means the
			// branch gets the instance's groups and a Warning.
			t := s.podEvent("Warning", "SecurityGroupRequested", p)
			t.text("no SecurityGroupPolicy matches; using the instance's security groups")
			t.end(true)
		} else {
			t := s.podEvent("Normal", "SecurityGroupRequested", p)
			t.text("will get security groups ")
			t.text(res.names)
			t.end(true)
		}
		jb.groups = res.set
		vlan, err := n.trunk.Reserve(p.uid)
		if errors.Is(err, trunk.ErrNoCapacity) {
			// Requeued after one cool-down, silently, no retry consumed.
			p.waitCap = true
			p.reason = "waiting for a branch ENI slot on " + n.name + " (in use + cooling at the limit)"
			p.mark = s.Now()
			s.m.capacityRequeues++
			pi := jb.pod
			s.endCreate(j, nil)
			s.enqueueCreate(pi, s.cfg.Controller.CoolDown)
			return
		}
		if err != nil {
			s.endCreate(j, err)
			return
		}
		if p.waitCap {
			p.parts.capacity += s.Now() - p.mark
			p.waitCap = false
		}
		jb.vlan = vlan
		s.noteTrunk(n)
		s.call(j, CreateNetworkInterface)
	case cCreated:
		if jb.err != nil {
			_ = n.trunk.Unreserve(p.uid)
			s.noteTrunk(n)
			s.endCreate(j, jb.err)
			return
		}
		s.m.branchesCreated++
		s.call(j, CreateNetworkInterfacePermission)
	case cPermitted:
		if jb.err != nil {
			s.abort(j)
			return
		}
		s.call(j, AssociateTrunkInterface)
	case cAssociated:
		if jb.err != nil {
			s.abort(j)
			return
		}
		if err := n.trunk.Bind(p.uid, jb.eni, jb.assoc); err != nil {
			s.endCreate(j, err)
			return
		}
		s.apiCall(j) // PATCH the pod annotation
	case cAnnotated:
		if p.phase != Pending || p.node != jb.node {
			// The pod went away while its branch was being made: the
			// annotation fails and the ENI is queued for deletion at once.
			t := s.podEvent("Warning", "BranchENIAnnotationFailed", p)
			t.text("pod no longer exists")
			t.end(true)
			if n.trunk != nil {
				_ = n.trunk.Abort(p.uid, jb.eni)
				s.noteTrunk(n)
				s.kickSweep(jb.node)
			}
			s.endCreate(j, nil)
			return
		}
		p.eni, p.vlan, p.groups, p.annotatedOK = jb.eni, jb.vlan, jb.groups, true
		t := s.podEvent("Normal", "ResourceAllocated", p)
		t.text("eni eni-")
		t.buf = appendENIDigits(t.buf, jb.eniNum)
		t.text(" vlan ")
		t.num(int(p.vlan))
		t.end(true)
		pi := jb.pod
		s.endCreate(j, nil)
		s.kubeletAfterAnnotation(pi)
	}
}

// abort handles a failure after the ENI was created: it goes to the head
// of the delete queue with no cool-down (trunk.go, on any error in
// CreateAndAssociateBranchENIs).
func (s *Sim) abort(j int32) {
	jb := s.jobs[j]
	p, n := s.pods[jb.pod], s.nodes[jb.node]
	if n.trunk != nil {
		_ = n.trunk.Abort(p.uid, jb.eni)
		s.noteTrunk(n)
		s.kickSweep(jb.node)
	}
	s.endCreate(j, jb.err)
}

// endCreate ends a Create job; err non-nil is a failed attempt, retried
// with the workqueue's per-item back-off (5 ms doubling) up to MaxRetries
// times, then dropped until the next resync (pkg/worker/worker.go).
func (s *Sim) endCreate(j int32, err error) {
	pi := s.jobs[j].pod
	p := s.pods[pi]
	p.job = noJob
	s.finish(j)
	if err == nil {
		return
	}
	msg := err.Error()
	t := s.podEvent("Warning", "BranchAllocationFailed", p)
	t.text("failed to allocate branch ENI to pod: ")
	t.text(msg)
	t.end(true)
	p.reason = "branch allocation failed: " + msg
	if p.failures >= s.cfg.Controller.MaxRetries {
		p.dropped = true
		s.droppedPods = append(s.droppedPods, pi)
		p.failures = 0
		p.reason += " (dropped after retries; next try at the resync)"
		return
	}
	backoff := 5 * time.Millisecond << p.failures
	p.failures++
	p.parts.queue += backoff
	s.enqueueCreate(pi, backoff)
}

// resync replays every pod, as the informer's periodic resync does;
// dropped pods get their next attempt, and nodes whose Init failed are
// tried again.
func (s *Sim) resync() {
	s.tr.rec(s.Now(), "Resync", "controller", "")
	// Only dropped pods are replayed to any effect; they are taken in
	// creation order, as a pass over every pod would take them.
	slices.Sort(s.droppedPods)
	for _, pi := range slices.Compact(s.droppedPods) {
		if p := s.pods[pi]; p.dropped && p.phase == Pending {
			p.dropped = false
			s.enqueueCreate(pi, 0)
		}
	}
	s.droppedPods = s.droppedPods[:0]
	for i, n := range s.nodes {
		if !n.gone && n.trunk == nil && !n.initing && n.ineligible == nil && !s.cfg.CNI.DisablePodENI {
			s.startInit(int32(i))
		}
	}
	s.resyncTimer = s.background(s.cfg.Controller.Resync, s.resync)
}

// kickSweep makes sure the node's delete queue is processed at its next
// sweep tick. Each node has one ProcessDeleteQueue job, which requeues
// itself SweepInterval after it finishes (provider.go, 30 s), so ticks
// fall every interval from the end of its last run (from the trunk's
// creation at first). A tick with nothing to delete has no effect, so
// only useful ticks are run.
func (s *Sim) kickSweep(ni int32) {
	n := s.nodes[ni]
	if n.trunk == nil || n.sweeping {
		return // a running sweep kicks the next one when it ends
	}
	due, ok := n.trunk.NextCooled(s.cfg.Controller.CoolDown)
	if !ok {
		return
	}
	iv := s.cfg.Controller.SweepInterval
	at := n.sweepAt + iv
	if due > at {
		at += (due - at + iv - 1) / iv * iv
	}
	if at < s.Now() {
		at += (s.Now() - at + iv - 1) / iv * iv
	}
	if s.sched.Pending(n.sweepTimer) {
		return // an earlier or equal tick is already set
	}
	n.sweepTimer = s.after(at-s.Now(), s.evSweepTick, uint64(ni))
}

func (s *Sim) sweepTick(arg uint64) {
	n := s.nodes[arg]
	if n.trunk == nil {
		return
	}
	n.sweeping = true
	s.submitNew(jobSweep, -1, int32(arg))
}

// sweepDone ends node ni's sweep job: the next tick counts from now.
func (s *Sim) sweepDone(ni int32) {
	n := s.nodes[ni]
	n.sweeping, n.sweepAt = false, s.Now()
	s.kickSweep(ni)
}

// Stages of a sweep or wipe: for each ENI, disassociate then delete.
const (
	dNext uint8 = iota
	dDisassociated
	dDeleted
)

func (s *Sim) stepSweep(j int32) {
	jb := s.jobs[j]
	n := s.nodes[jb.node]
	switch jb.stage {
	case dNext:
		if n.trunk == nil {
			n.sweeping = false
			s.finish(j)
			return
		}
		jb.del = n.trunk.AppendSweep(jb.del[:0], s.Now(), s.cfg.Controller.CoolDown)
		s.noteTrunk(n)
		jb.di = 0
		if len(jb.del) == 0 {
			ni := jb.node
			s.finish(j) // clears *jb
			s.sweepDone(ni)
			return
		}
		s.deleteNext(j)
	case dDisassociated:
		s.call(j, DeleteNetworkInterface)
	case dDeleted:
		s.deleteDone(j)
	}
}

// deleteNext disassociates the job's current ENI, or skips straight to the
// delete when no association is known (trunk.go deleteENI).
func (s *Sim) deleteNext(j int32) {
	jb := s.jobs[j]
	b := jb.del[jb.di]
	jb.eni, jb.assoc, jb.tries = b.ENI, b.Association, 0
	if jb.assoc == "" {
		jb.stage = dDisassociated
		s.call(j, DeleteNetworkInterface)
		return
	}
	jb.stage = dNext
	s.call(j, DisassociateTrunkInterface) // errors are logged and ignored
}

// deleteDone handles a DeleteNetworkInterface answer. The helper retries
// any error (pkg/aws/ec2/api/helper.go, 5 attempts over about 12 s); NotFound
// counts as deleted.
func (s *Sim) deleteDone(j int32) {
	jb := s.jobs[j]
	n := s.nodes[jb.node]
	ae := asAPIError(jb.err)
	ok := jb.err == nil || (ae != nil && ae.Code == CodeENINotFound)
	if !ok && jb.tries < 4 {
		jb.tries++
		jb.stage = dDisassociated
		delay := 100 * time.Millisecond
		for range jb.tries - 1 {
			delay *= 3
		}
		s.after(min(delay, 10*time.Second), s.evRetryCall, uint64(j))
		return
	}
	if jb.kind == jobWipe {
		if jb.err == nil { // NotFound: someone else deleted it
			s.m.branchesDeleted++
		}
		jb.di++
		if jb.di < len(jb.del) {
			s.deleteNext(j)
			return
		}
		s.finish(j)
		return
	}
	if n.trunk != nil {
		if ok {
			_ = n.trunk.Deleted(jb.eni)
			if jb.err == nil {
				s.m.branchesDeleted++
			}
		} else if forgotten, _ := n.trunk.DeleteFailed(jb.eni); forgotten {
			s.event("Warning", "BranchENILeaked", "node/"+n.name, "gave up deleting "+jb.eni.String()+" after "+strconv.Itoa(trunk.MaxDeleteRetries)+" attempts; its VLAN stays in use")
		} else {
			// trunk.go DeleteCooledDownENIs retries the head in the same
			// pass: it is back at the head of the queue, still cooled, and
			// goes next, before the rest of this batch.
			rest := append(s.spareDel[:0], jb.del[jb.di+1:]...)
			jb.del = append(n.trunk.AppendSweep(jb.del[:jb.di+1], s.Now(), s.cfg.Controller.CoolDown), rest...)
			s.spareDel = rest[:0]
		}
		s.noteTrunk(n)
	}
	jb.di++
	if jb.di < len(jb.del) && n.trunk != nil {
		s.deleteNext(j)
		return
	}
	ni := jb.node
	s.finish(j) // clears *jb
	s.sweepDone(ni)
	s.place()
}

func (s *Sim) stepWipe(j int32) {
	jb := s.jobs[j]
	switch jb.stage {
	case dNext:
		if len(jb.del) == 0 {
			s.finish(j)
			return
		}
		s.deleteNext(j)
	case dDisassociated:
		s.call(j, DeleteNetworkInterface)
	case dDeleted:
		s.deleteDone(j)
	}
}
