package trunk

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/trunksim/trunksim/branch"
)

// model is the slow, obvious version of a trunk the state machine test
// compares against: plain slices and maps, linear scans, no bitsets or
// ring buffers.
type model struct {
	limit    int
	latest   time.Duration
	pods     map[string]Branch // reserved (no ENI) and bound
	queue    []Branch          // head first
	deleting []Branch
	leaked   []Branch
	restored int // branches the last restore took, perhaps over the limit
}

// held lists every branch holding a VLAN.
func (m *model) held() []Branch {
	var all []Branch
	for _, b := range m.pods {
		all = append(all, b)
	}
	all = append(all, m.queue...)
	all = append(all, m.deleting...)
	return append(all, m.leaked...)
}

func (m *model) lowestFree() (branch.VLAN, bool) {
	used := map[branch.VLAN]bool{}
	for _, b := range m.held() {
		used[b.VLAN] = true
	}
	for v := branch.VLAN(1); v <= 120; v++ {
		if !used[v] {
			return v, true
		}
	}
	return 0, false
}

func (m *model) tracks(e branch.ENIID) bool {
	for _, b := range m.held() {
		if b.ENI == e {
			return true
		}
	}
	return false
}

func (m *model) bound() []Branch {
	var out []Branch
	for _, b := range m.pods {
		if b.ENI.IsValid() {
			out = append(out, b)
		}
	}
	return byVLAN(out)
}

func (m *model) retried() int {
	n := 0
	for _, b := range m.queue {
		if b.Deletes > 0 {
			n++
		}
	}
	return n
}

func byVLAN(bs []Branch) []Branch {
	bs = slices.Clone(bs)
	slices.SortFunc(bs, func(a, b Branch) int { return cmp.Compare(a.VLAN, b.VLAN) })
	return bs
}

// machine drives a Trunk and the model with the same inputs.
type machine struct {
	tr      *Trunk
	m       *model
	now     time.Duration
	nextENI uint64
	pods    []string
}

func (s *machine) newENI() branch.ENIID {
	s.nextENI++
	return eni(s.nextENI)
}

func (s *machine) pod(t *rapid.T) string { return rapid.SampledFrom(s.pods).Draw(t, "pod") }

func (s *machine) advance(t *rapid.T) {
	s.now += rapid.SampledFrom([]time.Duration{0, sec, 10 * sec, 30 * sec, 45 * sec}).Draw(t, "advance")
}

// refused runs a call the model says must fail with want and checks the
// trunk did not change.
func (s *machine) refused(t *rapid.T, want error, call func() error) {
	t.Helper()
	err := requireUnchanged(t, s.tr, call)
	require.ErrorIs(t, err, want)
}

func (s *machine) reserve(t *rapid.T) {
	pod := s.pod(t)
	if _, ok := s.m.pods[pod]; ok {
		s.refused(t, ErrPodHasBranch, func() error { _, err := s.tr.Reserve(pod); return err })
		return
	}
	if len(s.m.pods)+len(s.m.queue) >= s.m.limit {
		s.refused(t, ErrNoCapacity, func() error { _, err := s.tr.Reserve(pod); return err })
		return
	}
	want, ok := s.m.lowestFree()
	if !ok {
		s.refused(t, ErrNoFreeVLAN, func() error { _, err := s.tr.Reserve(pod); return err })
		return
	}
	got, err := s.tr.Reserve(pod)
	require.NoError(t, err)
	require.Equal(t, want, got, "lowest free VLAN")
	s.m.pods[pod] = Branch{Pod: pod, VLAN: want}
}

func (s *machine) bind(t *rapid.T) {
	pod := s.pod(t)
	b, ok := s.m.pods[pod]
	switch {
	case !ok:
		s.refused(t, ErrUnknownPod, func() error { return s.tr.Bind(pod, s.newENI(), "") })
	case b.ENI.IsValid():
		s.refused(t, ErrPodHasBranch, func() error { return s.tr.Bind(pod, s.newENI(), "") })
	default:
		if s.nextENI > 0 && rapid.Bool().Draw(t, "reuse ENI") {
			old := eni(rapid.Uint64Range(1, s.nextENI).Draw(t, "old ENI"))
			if s.m.tracks(old) {
				s.refused(t, ErrENIConflict, func() error { return s.tr.Bind(pod, old, "") })
				return
			}
		}
		e := s.newENI()
		assoc := fmt.Sprintf("trunk-assoc-%d", s.nextENI)
		require.NoError(t, s.tr.Bind(pod, e, assoc))
		b.ENI, b.Association = e, assoc
		s.m.pods[pod] = b
	}
}

func (s *machine) unreserve(t *rapid.T) {
	pod := s.pod(t)
	b, ok := s.m.pods[pod]
	switch {
	case !ok:
		s.refused(t, ErrUnknownPod, func() error { return s.tr.Unreserve(pod) })
	case b.ENI.IsValid():
		s.refused(t, ErrPodHasBranch, func() error { return s.tr.Unreserve(pod) })
	default:
		require.NoError(t, s.tr.Unreserve(pod))
		delete(s.m.pods, pod)
	}
}

func (s *machine) abort(t *rapid.T) {
	pod := s.pod(t)
	b, ok := s.m.pods[pod]
	if !ok {
		s.refused(t, ErrUnknownPod, func() error { return s.tr.Abort(pod, s.newENI()) })
		return
	}
	e := b.ENI
	if !e.IsValid() {
		e = s.newENI()
	}
	require.NoError(t, s.tr.Abort(pod, e))
	b.ENI, b.SkipCoolDown = e, true
	delete(s.m.pods, pod)
	s.m.queue = append([]Branch{b}, s.m.queue...)
}

func (s *machine) release(t *rapid.T) {
	s.advance(t)
	pod := s.pod(t)
	b, ok := s.m.pods[pod]
	switch {
	case !ok:
		s.refused(t, ErrUnknownPod, func() error { _, err := s.tr.Release(pod, s.now); return err })
	case !b.ENI.IsValid():
		s.refused(t, ErrNotBound, func() error { _, err := s.tr.Release(pod, s.now); return err })
	case s.m.latest > 0 && rapid.Bool().Draw(t, "back in time"):
		s.refused(t, ErrTimeBackwards, func() error { _, err := s.tr.Release(pod, s.m.latest-1); return err })
	default:
		got, err := s.tr.Release(pod, s.now)
		require.NoError(t, err)
		b.ReleasedAt = s.now
		require.Equal(t, b, got)
		delete(s.m.pods, pod)
		s.m.queue = append(s.m.queue, b)
		s.m.latest = s.now
	}
}

func (s *machine) sweep(t *rapid.T) {
	s.advance(t)
	cd := rapid.SampledFrom([]time.Duration{0, time.Nanosecond, 30 * sec, 45 * sec, 60 * sec, 2 * time.Minute}).Draw(t, "cool-down")
	eff := cd
	if eff == 0 {
		eff = 60 * sec
	} else if eff < 30*sec {
		eff = 30 * sec
	}
	var want []Branch
	for len(s.m.queue) > 0 {
		head := s.m.queue[0]
		if !head.SkipCoolDown && s.now <= head.ReleasedAt+eff {
			break
		}
		want = append(want, head)
		s.m.queue = s.m.queue[1:]
	}
	s.m.deleting = append(s.m.deleting, want...)
	s.m.latest = max(s.m.latest, s.now)
	require.Equal(t, want, s.tr.Sweep(s.now, cd))
}

// deletingIndex draws one of the model's deleting entries, or -1 for an
// ENI that is not being deleted.
func (s *machine) deletingIndex(t *rapid.T) int {
	if len(s.m.deleting) == 0 || rapid.IntRange(0, 9).Draw(t, "stray") == 0 {
		return -1
	}
	return rapid.IntRange(0, len(s.m.deleting)-1).Draw(t, "deleting")
}

func (s *machine) deleted(t *rapid.T) {
	i := s.deletingIndex(t)
	if i < 0 {
		s.refused(t, ErrUnknownENI, func() error { return s.tr.Deleted(s.newENI()) })
		return
	}
	require.NoError(t, s.tr.Deleted(s.m.deleting[i].ENI))
	s.m.deleting = slices.Delete(s.m.deleting, i, i+1)
}

func (s *machine) deleteFailed(t *rapid.T) {
	i := s.deletingIndex(t)
	if i < 0 {
		s.refused(t, ErrUnknownENI, func() error { _, err := s.tr.DeleteFailed(s.newENI()); return err })
		return
	}
	b := s.m.deleting[i]
	s.m.deleting = slices.Delete(s.m.deleting, i, i+1)
	forgotten, err := s.tr.DeleteFailed(b.ENI)
	require.NoError(t, err)
	b.Deletes++
	require.Equal(t, b.Deletes == MaxDeleteRetries, forgotten)
	if forgotten {
		s.m.leaked = append(s.m.leaked, b)
	} else {
		s.m.queue = append([]Branch{b}, s.m.queue...)
	}
}

func (s *machine) wipe(t *rapid.T) {
	var want []Branch
	want = append(want, s.m.bound()...)
	want = append(want, s.m.queue...)
	want = append(want, s.m.deleting...)
	want = byVLAN(want)
	got := s.tr.Wipe()
	if len(want) == 0 {
		require.Empty(t, got)
	} else {
		require.Equal(t, want, got)
	}
	s.m = &model{limit: s.m.limit, latest: s.m.latest, pods: map[string]Branch{}} // restored: 0, as Wipe resets it
	// Nothing survives a wipe.
	require.Equal(t, 0, s.tr.InUse())
	require.Equal(t, 0, s.tr.Cooling())
	require.Equal(t, 0, s.tr.Deleting())
	require.Empty(t, s.tr.Leaked())
	require.Equal(t, s.tr.Limit(), s.tr.Free())
	for _, pod := range s.pods {
		_, ok := s.tr.Pod(pod)
		require.False(t, ok)
	}
}

func (s *machine) restore(t *rapid.T) {
	s.advance(t)
	empty := len(s.m.pods)+len(s.m.queue)+len(s.m.deleting)+len(s.m.leaked) == 0
	// Up to a few more than the limit: upstream's InitTrunk rebuilds what
	// it finds, however many.
	n := rapid.IntRange(0, s.m.limit+3).Draw(t, "entries")
	vlanIDs := rapid.SliceOfNDistinct(rapid.Uint16Range(1, 120), n, n, rapid.ID[uint16]).Draw(t, "vlans")
	podNames := rapid.Permutation(s.pods).Draw(t, "pods")
	nClaims := rapid.IntRange(0, min(n, len(podNames))).Draw(t, "claims")
	var claims []Claim
	var orphans []Branch
	for i := range n {
		e := s.newENI()
		if i < nClaims {
			claims = append(claims, Claim{Pod: podNames[i], ENI: e, VLAN: branch.VLAN(vlanIDs[i]), Association: "a"})
		} else {
			orphans = append(orphans, Branch{ENI: e, VLAN: branch.VLAN(vlanIDs[i])})
		}
	}
	var want error
	switch {
	case !empty:
		want = ErrNotEmpty
	case len(claims) > 1 && rapid.IntRange(0, 3).Draw(t, "conflict") == 0:
		claims[1].VLAN = claims[0].VLAN
		want = ErrVLANConflict
	}
	if want != nil {
		s.refused(t, want, func() error { return s.tr.Restore(claims, orphans, s.now) })
		return
	}
	require.NoError(t, s.tr.Restore(claims, orphans, s.now))
	s.m.restored = n
	for _, c := range claims {
		s.m.pods[c.Pod] = Branch{Pod: c.Pod, ENI: c.ENI, VLAN: c.VLAN, Association: c.Association}
	}
	for _, o := range orphans {
		o.ReleasedAt = s.now
		s.m.queue = append(s.m.queue, o)
	}
	s.m.latest = s.now
}

func (s *machine) reconcile(t *rapid.T) {
	s.advance(t)
	alive := rapid.SliceOfDistinct(rapid.SampledFrom(s.pods), rapid.ID[string]).Draw(t, "alive")
	var want []Branch
	for _, b := range s.m.bound() {
		if !slices.Contains(alive, b.Pod) {
			b.ReleasedAt = s.now
			want = append(want, b)
			delete(s.m.pods, b.Pod)
		}
	}
	got, err := s.tr.Reconcile(alive, s.now)
	require.NoError(t, err)
	require.Equal(t, want, got)
	s.m.queue = append(s.m.queue, want...)
	s.m.latest = s.now
}

// check compares the trunk with the model and asserts the invariants.
func (s *machine) check(t *rapid.T) {
	require.NoError(t, s.tr.Check())
	m := s.m
	require.Equal(t, len(m.pods), s.tr.InUse())
	require.Equal(t, len(m.queue), s.tr.Cooling())
	require.Equal(t, len(m.deleting), s.tr.Deleting())
	require.Equal(t, max(0, m.limit-len(m.pods)-len(m.queue)), s.tr.Free())
	require.Equal(t, m.bound(), nilIfEmpty(s.tr.Branches()))
	require.Equal(t, nilIfEmpty(m.queue), nilIfEmpty(s.tr.Queue()))
	require.Equal(t, nilIfEmpty(byVLAN(m.deleting)), nilIfEmpty(s.tr.DeletingBranches()))
	require.Equal(t, nilIfEmpty(m.leaked), nilIfEmpty(s.tr.Leaked()))
	for _, pod := range s.pods {
		want, wantOK := m.pods[pod]
		got, ok := s.tr.Pod(pod)
		require.Equal(t, wantOK, ok, "pod %s", pod)
		require.Equal(t, want, got, "pod %s", pod)
	}

	// In use + cooling stays within the limit; only entries a failed
	// deletion put back can push it over.
	// After a restore over the limit, within what was restored.
	ceiling := max(s.tr.Limit(), m.restored)
	require.LessOrEqual(t, s.tr.InUse()+s.tr.Cooling(), ceiling+m.retried())
	if m.retried() == 0 {
		require.LessOrEqual(t, s.tr.InUse()+s.tr.Cooling(), ceiling)
	}
	// VLANs unique and in range; every ENI attached to the trunk belongs to
	// exactly one branch, and every bound ENI to exactly one pod.
	seenVLAN := map[branch.VLAN]bool{}
	seenENI := map[branch.ENIID]string{}
	all := append(append(append(s.tr.Branches(), s.tr.Queue()...), s.tr.DeletingBranches()...), s.tr.Leaked()...)
	for _, pod := range s.pods {
		if b, ok := s.tr.Pod(pod); ok && !b.ENI.IsValid() {
			all = append(all, b)
		}
	}
	for _, b := range all {
		require.True(t, b.VLAN.IsValid(), "VLAN %d", b.VLAN)
		require.False(t, seenVLAN[b.VLAN], "VLAN %d twice", b.VLAN)
		seenVLAN[b.VLAN] = true
		if b.ENI.IsValid() {
			_, dup := seenENI[b.ENI]
			require.False(t, dup, "%v twice", b.ENI)
			seenENI[b.ENI] = b.Pod
		}
	}
	for _, b := range s.tr.Branches() {
		got, ok := s.tr.Pod(b.Pod)
		require.True(t, ok)
		require.Equal(t, b.ENI, got.ENI)
	}
}

func nilIfEmpty(bs []Branch) []Branch {
	if len(bs) == 0 {
		return nil
	}
	return bs
}

// The trunk agrees with a simple model under any sequence of calls, and
// its invariants hold after every one.
func TestTrunkStateMachine(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		limit := rapid.IntRange(1, 6).Draw(t, "limit")
		s := &machine{
			tr:   newTrunk(t, limit),
			m:    &model{limit: limit, pods: map[string]Branch{}},
			pods: []string{"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7"},
		}
		t.Repeat(map[string]func(*rapid.T){
			"reserve":      s.reserve,
			"bind":         s.bind,
			"unreserve":    s.unreserve,
			"abort":        s.abort,
			"release":      s.release,
			"sweep":        s.sweep,
			"deleted":      s.deleted,
			"deleteFailed": s.deleteFailed,
			"wipe":         s.wipe,
			"restore":      s.restore,
			"reconcile":    s.reconcile,
			"":             s.check,
		})
	})
}
