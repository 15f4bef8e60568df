package limits

import (
	"slices"
	"strings"
	"sync"
)

// DefaultRelease is the controller release whose table [Default] returns:
// the newest, v1.8.2. It moves when a newer release's table is added.
const DefaultRelease = "v1.8.2"

// releaseTable describes one distinct instance table of the generated data
// and the releases that ship it.
type releaseTable struct {
	releases    []string
	source      string
	generatedAt string
	removed     []string
}

// releaseName maps a release to the index of its table in releaseTables.
type releaseName struct {
	name  string
	table int
}

// releaseRow is an instance type that differs from the base table, with a
// bit per table that holds it.
type releaseRow struct {
	mask uint16
	typ  InstanceType
}

// releaseIndex holds, once built, a table per release name.
type releaseIndex struct {
	byName map[string]*Table
}

// releaseTablesBuilt builds every release's table on first use; programs
// that use only [Default] never pay for it.
var releaseTablesBuilt = sync.OnceValue(func() releaseIndex {
	shared := make([]*Table, len(releaseTables))
	for i := range releaseTables {
		if i == 0 {
			shared[i] = baseTable()
			continue
		}
		shared[i] = composeRelease(i)
	}
	idx := releaseIndex{byName: make(map[string]*Table, len(releaseNames))}
	for _, rn := range releaseNames {
		t := *shared[rn.table]
		t.release = rn.name
		idx.byName[rn.name] = &t
	}
	return idx
})

// composeRelease builds table i from the base types, dropping the removed
// ones and adding or replacing the rows whose mask names i.
func composeRelease(i int) *Table {
	bit := uint16(1) << i
	replaced := make(map[string]bool)
	for _, row := range releaseRows {
		if row.mask&bit != 0 {
			replaced[row.typ.Name] = true
		}
	}
	for _, gone := range releaseTables[i].removed {
		replaced[gone] = true
	}
	types := make([]InstanceType, 0, len(generatedTypes)+len(replaced))
	for _, it := range generatedTypes {
		if !replaced[it.Name] {
			types = append(types, it)
		}
	}
	for _, row := range releaseRows {
		if row.mask&bit != 0 {
			types = append(types, row.typ)
		}
	}
	slices.SortFunc(types, func(a, b InstanceType) int { return strings.Compare(a.Name, b.Name) })
	return indexed(types)
}

// ForRelease returns the instance table of an Amazon VPC resource
// controller release: its pkg/aws/vpc/limits.go, as generated into this
// package. Every release from v1.7.19 on is known, including the v1.7.x
// twins of v1.8.x releases (v1.7.23 is v1.8.0, v1.7.25 is v1.8.2), and
// "master" names commit b8d4251, whose table is v1.7.19's. The table's
// [Table.Release] is v as given. An unknown release is an
// [*UnknownReleaseError] wrapping [ErrUnknownRelease].
//
// Every call for the same release returns the same table.
func ForRelease(v string) (*Table, error) {
	if t, ok := releaseTablesBuilt().byName[v]; ok {
		return t, nil
	}
	return nil, &UnknownReleaseError{Release: v, Known: Releases()}
}

// Releases returns every release [ForRelease] accepts, in version order
// with "master" last.
func Releases() []string {
	out := make([]string, len(releaseNames))
	for i, rn := range releaseNames {
		out[i] = rn.name
	}
	return out
}

// NewestRelease returns the newest release [ForRelease] knows.
func NewestRelease() string {
	newest := ""
	for _, rn := range releaseNames {
		if strings.HasPrefix(rn.name, "v") {
			newest = rn.name
		}
	}
	return newest
}

// SameTable returns the releases that ship exactly the table of release v,
// v included, in version order. It is nil for an unknown release.
func SameTable(v string) []string {
	i := slices.IndexFunc(releaseNames[:], func(rn releaseName) bool { return rn.name == v })
	if i < 0 {
		return nil
	}
	var out []string
	for _, rn := range releaseNames {
		if rn.table == releaseNames[i].table {
			out = append(out, rn.name)
		}
	}
	return out
}

// ReleaseSource says where the table of release v was read, such as
// "github.com/aws/amazon-vpc-resource-controller-k8s@v1.8.2
// pkg/aws/vpc/limits.go", and the generation time that file states. Both
// are empty for an unknown release.
func ReleaseSource(v string) (source, generatedAt string) {
	for _, rn := range releaseNames {
		if rn.name == v {
			t := releaseTables[rn.table]
			return t.source, t.generatedAt
		}
	}
	return "", ""
}

// NewestReleaseWith returns the newest release whose table holds the
// instance type name, and false when no release has it. A user whose node
// type the chosen release lacks is pointed there.
func NewestReleaseWith(name string) (string, bool) {
	idx := releaseTablesBuilt()
	for i := len(releaseNames) - 1; i >= 0; i-- {
		rn := releaseNames[i].name
		if !strings.HasPrefix(rn, "v") {
			continue
		}
		if _, ok := idx.byName[rn].index[name]; ok {
			return rn, true
		}
	}
	return "", false
}

// Release returns the controller release t is the table of, such as
// "v1.8.2" or "master", or "" for a table built with [NewTable]. A table
// made by [Table.With] keeps the release it was made from: it is that
// release's table with the caller's changes.
func (t *Table) Release() string {
	if t == nil {
		return ""
	}
	return t.release
}
