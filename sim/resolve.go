package sim

import (
	"maps"

	"github.com/trunksim/trunksim/branch"
)

// resolution is the groups the policies give one kind of pod: its
// namespace, service account and labels, under one version of the
// policies and service accounts.
type resolution struct {
	ns, sa  string
	labels  map[string]string
	version uint64
	valid   bool

	ids   []branch.SecurityGroupID // nil when no policy matches
	set   branch.GroupSet
	names string // set.String(), for the SecurityGroupRequested event
}

// resolve returns the security groups the policies give pod p now. The
// pods of a workload ask the same question one after another, so the
// last answer is kept and given again while the question and the
// policies are the same.
func (s *Sim) resolve(p *pod) *resolution {
	r := &s.lastResolved
	if r.valid && r.version == s.policyVersion && r.ns == p.ns() && r.sa == p.sa && sameLabels(r.labels, p.labels) {
		return r
	}
	ids := branch.Resolve(branch.Pod{Namespace: p.ns(), Labels: p.labels, ServiceAccount: p.sa,
		ServiceAccountLabels: s.accounts[p.ns()+"/"+p.sa]}, s.policies)
	*r = resolution{ns: p.ns(), sa: p.sa, labels: p.labels, version: s.policyVersion, valid: true, ids: ids}
	if ids != nil {
		r.set = branch.NewGroupSet(ids...)
		r.names = r.set.String()
	}
	return r
}

// sameLabels compares two label maps, at once when they are the same map
// (as interned labels are).
func sameLabels(a, b map[string]string) bool {
	return len(a) == len(b) && maps.Equal(a, b)
}

// internLabels returns the simulation's own copy of a pod's labels. Pods
// created one after another with equal labels share one copy: the labels
// are never changed once copied, and a workload's thousands of pods then
// hold one map, not thousands.
func (s *Sim) internLabels(labels map[string]string) map[string]string {
	if len(labels) == 0 {
		return nil
	}
	if !sameLabels(labels, s.lastLabels) {
		s.lastLabels = maps.Clone(labels)
	}
	return s.lastLabels
}
