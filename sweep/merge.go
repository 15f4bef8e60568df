package sweep

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Merger gathers the results of a sweep's shards, read back from their
// JSON-lines output, and gives them in index order. It holds every
// result in memory until Results.
type Merger struct {
	sweep   string
	of      int
	results []Result
	have    []bool
	count   int
}

// maxLine bounds one result line: a report with many pending reasons
// and warnings is a few kilobytes.
const maxLine = 16 << 20

// Add reads one shard's output from r, naming it name in errors. Blank
// lines are skipped. Every line must be a Result of the same sweep as
// every other line added, and no point may come twice.
func (m *Merger) Add(name string, r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, maxLine)
	line := 0
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		bad := func(format string, args ...any) error {
			return &MergeError{name, line, fmt.Sprintf(format, args...)}
		}
		var res Result
		if err := json.Unmarshal(text, &res); err != nil {
			return bad("not a sweep result: %v", err)
		}
		switch {
		case res.Sweep == "" || res.Of < 1:
			return bad("not a sweep result: no sweep digest or point count")
		case m.sweep == "":
			m.sweep, m.of = res.Sweep, res.Of
			m.results, m.have = make([]Result, res.Of), make([]bool, res.Of)
		case res.Sweep != m.sweep || res.Of != m.of:
			return bad("result of sweep %s (%d points), not of sweep %s (%d points) as the results before it", res.Sweep, res.Of, m.sweep, m.of)
		}
		if res.Index < 0 || res.Index >= m.of {
			return bad("point %d is outside 0..%d", res.Index, m.of-1)
		}
		if m.have[res.Index] {
			return bad("point %d comes twice: is a shard given twice?", res.Index)
		}
		m.results[res.Index], m.have[res.Index] = res, true
		m.count++
	}
	if err := sc.Err(); err != nil {
		return &MergeError{name, line + 1, err.Error()}
	}
	return nil
}

// Results returns every result in index order, or an error naming the
// missing points when some shard's results were not added.
func (m *Merger) Results() ([]Result, error) {
	if m.sweep == "" {
		return nil, &MergeError{Why: "no results"}
	}
	if m.count < m.of {
		var missing []string
		for i, ok := range m.have {
			if !ok && len(missing) < 10 {
				missing = append(missing, fmt.Sprint(i))
			}
		}
		more := ""
		if m.of-m.count > len(missing) {
			more = ", ..."
		}
		return nil, &MergeError{Why: fmt.Sprintf("%d of %d points missing (%s%s): is a shard's output missing?",
			m.of-m.count, m.of, strings.Join(missing, ", "), more)}
	}
	return m.results, nil
}
