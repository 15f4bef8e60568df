package sim

import (
	"maps"
	"strings"

	"github.com/trunksim/trunksim/branch"
)

// resolution is the groups the policies give one kind of pod: its
// namespace, service account and labels, under one version of the
// policies and service accounts.
type resolution struct {
	ns, sa  string
	labels  *labelSet
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
	if r.valid && r.version == s.policyVersion && r.ns == p.ns() && r.sa == p.sa && r.labels == p.labels {
		return r
	}
	ids := branch.Resolve(branch.Pod{Namespace: p.ns(), Labels: p.labels.get(), ServiceAccount: p.sa,
		ServiceAccountLabels: s.accounts[p.ns()+"/"+p.sa]}, s.policies)
	*r = resolution{ns: p.ns(), sa: p.sa, labels: p.labels, version: s.policyVersion, valid: true, ids: ids}
	if ids != nil {
		r.set = branch.NewGroupSet(ids...)
		r.names = s.groupNames(r.set)
	}
	return r
}

// groupNames prints set as GroupSet.String does, but names a stand-in
// for a malformed ID by the text the policy wrote, as the controller's
// event would.
func (s *Sim) groupNames(set branch.GroupSet) string {
	names := set.String()
	for id := range set.All() {
		if text, ok := s.ec2.MalformedText(id); ok {
			names = strings.Replace(names, id.String(), text, 1)
		}
	}
	return names
}

// labelSet is a pod's labels as the simulation keeps them: its own copy,
// never changed, and shared by pods created one after another with equal
// labels, so that a workload's thousands of pods hold one map, and one
// pointer comparison tells whether two pods' labels are the ones already
// resolved. nil stands for no labels.
type labelSet struct{ m map[string]string }

func (l *labelSet) get() map[string]string {
	if l == nil {
		return nil
	}
	return l.m
}

// internLabels returns the labelSet for labels: the last one made, when
// its labels are equal, or a new copy.
func (s *Sim) internLabels(labels map[string]string) *labelSet {
	if len(labels) == 0 {
		return nil
	}
	if last := s.lastLabels; last != nil && len(last.m) == len(labels) && maps.Equal(last.m, labels) {
		return last
	}
	s.lastLabels = &labelSet{maps.Clone(labels)}
	return s.lastLabels
}
