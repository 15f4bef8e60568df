package sweep

import (
	"context"
	"runtime"
	"sync"

	"github.com/trunksim/trunksim/scenario"
	"github.com/trunksim/trunksim/sim"
)

// Result is one point's outcome: one line of a shard's JSON-lines output.
type Result struct {
	// Sweep is the sweep's digest (see [Sweep.Digest]).
	Sweep string `json:"sweep"`
	// Index is the point's index, Of the number of points in the sweep.
	Index int `json:"index"`
	Of    int `json:"of"`
	// Seed is the seed the point ran with.
	Seed uint64 `json:"seed"`
	// Settings are the point's settings, key to value.
	Settings map[string]string `json:"settings,omitempty"`
	// Report is the run's report, as `trunksim run -o json` prints it; nil
	// only if the scenario could not be set up.
	Report *sim.Report `json:"report,omitempty"`
	// Error is why the run stopped early, "" when it ran to its end.
	Error string `json:"error,omitempty"`
}

// window is how many results per worker may wait for an earlier,
// slower one before the workers pause, bounding the memory held.
const window = 4

// Run runs the shard's points of the sweep on workers goroutines
// (GOMAXPROCS of them when workers < 1), each in a simulation of its
// own, and calls emit with every result in index order, each as soon as
// it and all before it are done. emit is called from Run's goroutine
// only. A run that stops with an error gives a Result with Error set;
// Run itself stops early only when ctx is done or emit fails, and
// returns that error.
func (sw *Sweep) Run(ctx context.Context, sh Shard, workers int, emit func(Result) error) error {
	if sh.Count < 0 || sh.Index < 0 || (sh.Count > 0 && sh.Index >= sh.Count) || (sh.Count == 0 && sh.Index != 0) {
		return &InputError{sh.String(), "want 0 <= i < n", ErrBadShard}
	}
	n := sh.Len(sw.points)
	if n == 0 {
		return ctx.Err()
	}
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, n)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	todo := make(chan int)                         // positions in the shard
	done := make(chan Result, workers)             // finished, in any order
	slots := make(chan struct{}, window*workers+1) // results not yet emitted
	point := func(k int) Point { return sw.Point(sh.first() + k*sh.count()) }
	go func() {
		defer close(todo)
		for k := range n {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case todo <- k:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range todo {
				done <- sw.run(point(k))
			}
		}()
	}
	go func() {
		wg.Wait()
		close(done)
	}()

	held := map[int]Result{}
	next := 0
	var err error
	for r := range done {
		if err != nil {
			continue // drain what was under way
		}
		held[(r.Index-sh.first())/sh.count()] = r
		for {
			r, ok := held[next]
			if !ok {
				break
			}
			delete(held, next)
			if err = emit(r); err != nil {
				cancel()
				break
			}
			next++
			<-slots
		}
	}
	if err == nil && next < n {
		err = ctx.Err()
	}
	return err
}

// run runs one point.
func (sw *Sweep) run(p Point) Result {
	r := Result{Sweep: sw.digest, Index: p.Index, Of: sw.points, Seed: p.Seed}
	if len(p.Settings) > 0 {
		r.Settings = make(map[string]string, len(p.Settings))
		for _, s := range p.Settings {
			r.Settings[s.Key] = s.Value
		}
	}
	seed := p.Seed
	rep, err := sw.combos[p.combo].sc.Run(scenario.Options{Seed: &seed})
	if rep.TraceSHA256 != "" {
		r.Report = &rep
	}
	if err != nil {
		r.Error = err.Error()
	}
	return r
}
