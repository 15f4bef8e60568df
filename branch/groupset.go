package branch

import (
	"encoding/binary"
	"iter"
	"slices"
	"strings"
)

const (
	// DefaultGroupsPerInterface is EC2's default quota of security groups
	// per network interface (Amazon VPC User Guide, "Amazon VPC quotas",
	// amazon-vpc-limits.html#vpc-limits-security-groups). Branch ENIs are
	// network interfaces, so the groups of all SecurityGroupPolicies a pod
	// matches must fit in it; the controller itself sets no cap and the
	// overflow surfaces as a CreateNetworkInterface failure.
	DefaultGroupsPerInterface = 5
	// MaxGroupsPerInterface is the highest value the quota can be raised
	// to (same page). The quota times the rules-per-group quota may not
	// exceed 1,000, so 16 groups needs the default 60 rules per group.
	MaxGroupsPerInterface = 16
)

// GroupSet is a canonical set of security groups: members are distinct and
// kept in [SecurityGroupID.Compare] order, so two sets built from the same
// IDs in any order, with any repetition, are == and print the same. A
// GroupSet is immutable, comparable, usable as a map key, and as cheap to
// copy as a string. The zero GroupSet is the empty set.
type GroupSet struct {
	// packed holds each member in recordSize bytes, in canonical order.
	// Being a string keeps the struct comparable and the copy cheap.
	packed string
}

// recordSize is one packed member: the first digit, the next 16 digits
// big-endian, then the digit count, so packed records compare bytewise in
// canonical order. The zero ID packs as all zeros.
const recordSize = 10

func packID(b []byte, id SecurityGroupID) []byte {
	b = append(b, id.id.hi)
	b = binary.BigEndian.AppendUint64(b, id.id.lo)
	return append(b, id.id.width)
}

func unpackID(rec string) SecurityGroupID {
	var lo uint64
	for i := 1; i < 9; i++ {
		lo = lo<<8 | uint64(rec[i])
	}
	return SecurityGroupID{hexID{hi: rec[0], lo: lo, width: rec[9]}}
}

// NewGroupSet returns the set of ids. Order and repetition do not matter.
// The caller's slice is not modified. The zero SecurityGroupID is kept as
// a member rather than dropped, so a mistake stays visible: it prints as
// "invalid SecurityGroupID" and [GroupSet.CheckQuota] rejects the set.
func NewGroupSet(ids ...SecurityGroupID) GroupSet {
	if len(ids) == 0 {
		return GroupSet{}
	}
	// Inputs are usually merged policy lists with repeats; sorting a
	// stack copy keeps the caller's slice intact without a heap copy.
	var small [2 * MaxGroupsPerInterface]SecurityGroupID
	sorted := append(small[:0], ids...)
	slices.SortFunc(sorted, SecurityGroupID.Compare)
	sorted = slices.Compact(sorted)
	var b strings.Builder
	b.Grow(len(sorted) * recordSize)
	var rec [recordSize]byte
	for _, id := range sorted {
		b.Write(packID(rec[:0], id))
	}
	return GroupSet{packed: b.String()}
}

// Len returns the number of distinct groups in s.
func (s GroupSet) Len() int { return len(s.packed) / recordSize }

// At returns the i-th member in canonical order; it panics when i is out
// of range, like indexing a slice.
func (s GroupSet) At(i int) SecurityGroupID {
	return unpackID(s.packed[i*recordSize : (i+1)*recordSize])
}

// IDs returns the members in canonical order, in a new slice the caller
// owns; nil for the empty set.
func (s GroupSet) IDs() []SecurityGroupID {
	if s.Len() == 0 {
		return nil
	}
	ids := make([]SecurityGroupID, s.Len())
	for i := range ids {
		ids[i] = s.At(i)
	}
	return ids
}

// All yields the members in canonical order without allocating.
func (s GroupSet) All() iter.Seq[SecurityGroupID] {
	return func(yield func(SecurityGroupID) bool) {
		for i := range s.Len() {
			if !yield(s.At(i)) {
				return
			}
		}
	}
}

// Contains reports whether id is a member of s.
func (s GroupSet) Contains(id SecurityGroupID) bool {
	lo, hi := 0, s.Len()
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		switch c := s.At(mid).Compare(id); {
		case c == 0:
			return true
		case c < 0:
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return false
}

// String returns the members in canonical order, such as
// "[sg-0123abcd, sg-0123456789abcdef0]"; "[]" for the empty set.
func (s GroupSet) String() string {
	buf := make([]byte, 0, 2+s.Len()*(len(sgPrefix)+17+2))
	buf = append(buf, '[')
	for i := range s.Len() {
		if i > 0 {
			buf = append(buf, ", "...)
		}
		buf = appendGroup(buf, s.At(i))
	}
	return string(append(buf, ']'))
}

func appendGroup(b []byte, id SecurityGroupID) []byte {
	if !id.IsValid() {
		return append(b, id.String()...)
	}
	return id.id.appendTo(b, sgPrefix)
}

// CheckQuota reports whether s may go on one network interface under a
// security groups per network interface quota of limit. It returns an
// [*InvalidQuotaError] when limit lies outside 1..[MaxGroupsPerInterface],
// a [*ParseError] when s holds the zero SecurityGroupID, and a
// [*QuotaError] naming the groups when s has more than limit members. The
// empty set passes: an interface with no groups listed gets the VPC's
// default group.
func (s GroupSet) CheckQuota(limit int) error {
	if limit < 1 || limit > MaxGroupsPerInterface {
		return &InvalidQuotaError{Limit: limit}
	}
	if s.Len() > 0 && !s.At(0).IsValid() {
		// The zero ID sorts first, so only the first member can be it.
		return &ParseError{Kind: "security group ID", Why: "group set " + s.String() + " holds the zero SecurityGroupID"}
	}
	if s.Len() > limit {
		return &QuotaError{Groups: s, Limit: limit}
	}
	return nil
}

// MarshalText implements encoding.TextMarshaler as the members joined by
// commas, "sg-a,sg-b"; the empty set is empty text. A set holding the zero
// SecurityGroupID is an error.
func (s GroupSet) MarshalText() ([]byte, error) {
	buf := make([]byte, 0, s.Len()*(len(sgPrefix)+17+1))
	for i := range s.Len() {
		id := s.At(i)
		if !id.IsValid() {
			return nil, &ParseError{Kind: "security group ID", Why: "cannot marshal the zero SecurityGroupID"}
		}
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = id.id.appendTo(buf, sgPrefix)
	}
	return buf, nil
}

// UnmarshalText implements encoding.TextUnmarshaler for the form
// [GroupSet.MarshalText] produces; members may come in any order and
// repeat. A malformed member is a [*ParseError]; on error s is left
// unchanged.
func (s *GroupSet) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*s = GroupSet{}
		return nil
	}
	var ids []SecurityGroupID
	for _, part := range strings.Split(string(text), ",") {
		id, err := ParseSecurityGroupID(part)
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	*s = NewGroupSet(ids...)
	return nil
}
