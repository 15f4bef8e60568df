package sweep

import (
	"strconv"
	"strings"
)

// Shard is one of Count parts of a sweep: the points whose index is
// Index modulo Count. The zero Shard is the whole sweep.
type Shard struct {
	Index, Count int
}

// ParseShard reads "i/n" with 0 <= i < n, as a batch system's task index
// gives it (a Kubernetes Indexed Job's JOB_COMPLETION_INDEX counts from
// 0).
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(s, "/")
	index, err1 := strconv.Atoi(i)
	count, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || count < 1 || index < 0 || index >= count {
		return Shard{}, &InputError{s, "want i/n with 0 <= i < n", ErrBadShard}
	}
	return Shard{index, count}, nil
}

// String returns "i/n".
func (sh Shard) String() string {
	return strconv.Itoa(sh.first()) + "/" + strconv.Itoa(sh.count())
}

func (sh Shard) first() int { return sh.Index }

func (sh Shard) count() int { return max(sh.Count, 1) }

// Len returns how many of a sweep's n points the shard holds.
func (sh Shard) Len(n int) int {
	if sh.first() >= n {
		return 0
	}
	return (n-sh.first()-1)/sh.count() + 1
}
