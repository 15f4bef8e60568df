package limits

import (
	"slices"
	"strings"
	"sync"
)

// Table is an immutable set of instance types, looked up by exact name. The
// zero value and a nil *Table are empty tables. Tables are safe for
// concurrent use.
type Table struct {
	// types is sorted by name and never written after construction; it may
	// be shared with other tables and with the generated data, which is why
	// every value leaving the table is cloned.
	types []InstanceType
	index map[string]int
	// release names the controller release the types come from, or "".
	release string
}

// baseTable is the table of data/limits.json (v1.7.19's), which the other
// releases' tables are composed from. It is built on first use rather
// than at init, so that programs that never look a type up pay nothing.
var baseTable = sync.OnceValue(func() *Table {
	// The generated data passes NewTable in the package tests, so it is
	// indexed here without validating it again.
	return indexed(generatedTypes[:])
})

// Default returns controller release [DefaultRelease]'s table, the newest
// release's; its [Table.Release] says so. It is built once, on first use;
// every call returns the same table. [ForRelease] gives the other
// releases' tables.
func Default() *Table {
	t, err := ForRelease(DefaultRelease)
	if err != nil {
		panic("limits: the default release has no table: " + err.Error()) // a generated-data bug; the package tests catch it
	}
	return t
}

// NewTable validates types with [InstanceType.Validate] and returns a table
// of copies of them, so later changes to types do not reach the table. A
// name given twice is an [*InvalidTypeError] too. The first problem found is
// returned.
func NewTable(types []InstanceType) (*Table, error) {
	own := make([]InstanceType, len(types))
	seen := make(map[string]bool, len(types))
	for i, it := range types {
		if err := it.Validate(); err != nil {
			return nil, err
		}
		if seen[it.Name] {
			return nil, &InvalidTypeError{Type: it.Name, Field: "Name", Problem: "appears more than once"}
		}
		seen[it.Name] = true
		own[i] = it.clone()
	}
	slices.SortFunc(own, func(a, b InstanceType) int { return strings.Compare(a.Name, b.Name) })
	return indexed(own), nil
}

// indexed wraps types, which must be valid, sorted and distinct.
func indexed(types []InstanceType) *Table {
	index := make(map[string]int, len(types))
	for i, it := range types {
		index[it.Name] = i
	}
	return &Table{types: types, index: index}
}

// With returns a new table holding t's types plus types, where a type in
// types replaces the one of the same name in t. It validates like
// [NewTable]; t is never changed, also when With fails. Use it to plan with
// an instance type the data does not have yet.
func (t *Table) With(types ...InstanceType) (*Table, error) {
	extra, err := NewTable(types)
	if err != nil {
		return nil, err
	}
	merged := make([]InstanceType, 0, t.Len()+extra.Len())
	for _, it := range t.all() {
		if _, replaced := extra.index[it.Name]; !replaced {
			merged = append(merged, it)
		}
	}
	merged = append(merged, extra.types...)
	slices.SortFunc(merged, func(a, b InstanceType) int { return strings.Compare(a.Name, b.Name) })
	out := indexed(merged)
	out.release = t.Release()
	return out, nil
}

// Len returns the number of instance types in t.
func (t *Table) Len() int { return len(t.all()) }

// All returns every instance type in t, sorted by name. The slice and the
// network cards in it are the caller's own.
func (t *Table) All() []InstanceType {
	src := t.all()
	out := make([]InstanceType, len(src))
	cardCount := 0
	for _, it := range src {
		cardCount += len(it.NetworkCards)
	}
	// One backing array for all cards keeps a full listing at two
	// allocations instead of one per type.
	cards := make([]NetworkCard, 0, cardCount)
	for i, it := range src {
		start := len(cards)
		cards = append(cards, it.NetworkCards...)
		it.NetworkCards = cards[start:len(cards):len(cards)]
		out[i] = it
	}
	return out
}

// Lookup returns the instance type with exactly this name. Names are case
// sensitive, as in EC2. When there is none, the error is an
// [*UnknownTypeError] wrapping [ErrUnknownType] that suggests close names:
// "m5.larg" and "M5.Large" both suggest "m5.large". An empty name is an
// unknown type too.
//
// Lookup allocates only the caller's copy of the network cards.
func (t *Table) Lookup(name string) (InstanceType, error) {
	if t != nil {
		if i, ok := t.index[name]; ok {
			return t.types[i].clone(), nil
		}
	}
	return InstanceType{}, &UnknownTypeError{Name: name, Suggestions: t.suggest(name)}
}

func (t *Table) all() []InstanceType {
	if t == nil {
		return nil
	}
	return t.types
}

// maxSuggestions bounds the "did you mean" list; more than three guesses
// stop being help.
const maxSuggestions = 3

// suggest returns the names closest to a mistyped one. A name that differs
// only in case or surrounding space is the sole suggestion; otherwise the
// names at the smallest edit distance are, if that distance is small for
// the name's length.
func (t *Table) suggest(name string) []string {
	folded := strings.ToLower(strings.TrimSpace(name))
	if folded == "" {
		return nil
	}
	if t != nil {
		if i, ok := t.index[folded]; ok {
			return []string{t.types[i].Name}
		}
	}
	// Allow one edit per four characters, and at least one, so "m5.larg"
	// finds "m5.large" but "xyz" does not find "x1e.xlarge".
	best := max(1, len(folded)/4)
	var names []string
	for _, it := range t.all() {
		d := editDistance(folded, it.Name, best)
		switch {
		case d < best:
			best, names = d, append(names[:0], it.Name)
		case d == best && len(names) < maxSuggestions:
			names = append(names, it.Name)
		}
	}
	return names
}

// editDistance returns the optimal string alignment distance between a and
// b (insertions, deletions, substitutions and swaps of adjacent bytes each
// cost one), or a value above limit once the distance is sure to exceed it.
func editDistance(a, b string, limit int) int {
	if diff := len(a) - len(b); diff > limit || -diff > limit {
		return limit + 1
	}
	// Three rolling rows: the swap rule looks two rows back.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d = min(d, prev2[j-2]+1)
			}
			cur[j] = d
			rowMin = min(rowMin, d)
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
