package fakeec2

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/trunksim/trunksim/branch"
)

// The store answers as a map from ID to record would, whatever the order
// of deletions, and yields its records in ID order, also while deleting
// them as it goes; each instance's records, in ID order too.
func TestENIStoreIsAMapInIDOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var s eniStore
		model := map[branch.ENIID]*eniRecord{}
		next := rapid.Uint64Range(1, 1<<40).Draw(t, "first")
		check := func() {
			var want []branch.ENIID
			for id := range model {
				want = append(want, id)
			}
			slices.SortFunc(want, branch.ENIID.Compare)
			var got []branch.ENIID
			for r := range s.all() {
				got = append(got, r.ID)
			}
			require.Equal(t, want, got)
			require.Equal(t, len(model), s.live)
			for _, instance := range []string{"i-a", "i-b", "i-c"} {
				var want, got []branch.ENIID
				for r := range s.all() {
					if r.Instance == instance {
						want = append(want, r.ID)
					}
				}
				for _, r := range s.ofInstance(instance) {
					got = append(got, r.ID)
				}
				require.Equal(t, want, got, instance)
			}
			for id, r := range model {
				require.Same(t, r, s.find(id))
				if r.Association != "" {
					require.Same(t, r, s.associated(r.Association))
					require.Nil(t, s.associated(strings.ToUpper(r.Association)))
					require.Nil(t, s.associated(r.Association[:len(r.Association)-1]))
					require.Nil(t, s.associated(r.Association+"0"))
				}
			}
			require.Nil(t, s.find(branch.ENIIDFromUint64(next)), "not made yet")
			other, err := branch.ParseENIID("eni-f0000000000000000")
			require.NoError(t, err)
			require.Nil(t, s.find(other), "an ID no counter spells")
			require.Nil(t, s.associated("trunk-assoc-"+branch.ENIIDFromUint64(next).String()[4:]))
		}
		for range rapid.IntRange(1, 400).Draw(t, "steps") {
			switch rapid.IntRange(0, 3).Draw(t, "op") {
			case 0, 1:
				id := branch.ENIIDFromUint64(next)
				r := &eniRecord{Interface{ID: id, Instance: rapid.SampledFrom([]string{"i-a", "i-b", "i-c"}).Draw(t, "instance")}, next}
				if rapid.Bool().Draw(t, "associated") {
					r.Association = "trunk-assoc-" + id.String()[4:]
				}
				s.add(r)
				model[id] = r
				next += rapid.Uint64Range(1, 3).Draw(t, "gap")
			case 2:
				if len(model) == 0 {
					continue
				}
				ids := slices.SortedFunc(func(yield func(branch.ENIID) bool) {
					for id := range model {
						if !yield(id) {
							return
						}
					}
				}, branch.ENIID.Compare)
				id := rapid.SampledFrom(ids).Draw(t, "id")
				s.remove(model[id])
				delete(model, id)
			case 3:
				// Delete while iterating, as terminate does.
				for r := range s.all() {
					if rapid.Bool().Draw(t, "drop") {
						s.remove(r)
						delete(model, r.ID)
					}
				}
			}
			check()
		}
	})
}
