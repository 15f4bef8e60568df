package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"syscall"
	"time"

	"github.com/trunksim/trunksim/sim"
)

// exitInterrupted is the status of a command stopped by Ctrl-C (SIGINT)
// or SIGTERM, as shells report a process a signal ended: 128 + SIGINT.
const exitInterrupted = 130

// errInterrupted is why a run the user interrupted stopped.
var errInterrupted = errors.New("interrupted (Ctrl-C or SIGTERM)")

// errMemory is why a run that outgrew the memory limit stopped.
var errMemory = errors.New("out of memory")

// memoryShare is how much of the memory limit a run's live heap may take
// before it is stopped: the rest is for the garbage collector's headroom
// and the report the run still writes.
const memoryShare = 0.8

// guard watches a simulation from its progress calls, which come every
// 65,536 events on the simulation's goroutine: it shows progress on a
// terminal, and stops the run (with sim.Stop, so the report covers what
// finished) when the user presses Ctrl-C or when the live heap nears the
// process's memory limit, rather than letting the runtime die.
type guard struct {
	ctx    context.Context
	cancel context.CancelFunc
	limit  uint64 // bytes; 0 when the process has none
	term   *os.File
	start  time.Time
	last   time.Time
	shown  bool
	sample []metrics.Sample
	// stopped is why the guard stopped the run, nil if it did not.
	stopped error
}

// watch installs a guard on s; the returned function removes it and
// clears the progress line.
func watch(stderr io.Writer, s *sim.Sim) (g *guard, stop func()) {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	g = &guard{ctx: ctx, cancel: cancel, limit: memoryLimit(), start: time.Now(),
		sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	g.last = g.start
	if f, ok := stderr.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			g.term = f
		}
	}
	s.OnProgress(func(now time.Duration, events uint64) { g.check(s, now, events) })
	return g, func() {
		s.OnProgress(nil)
		cancel()
		if g.shown {
			fmt.Fprint(g.term, "\r\033[K")
		}
	}
}

// interrupted reports whether the guard stopped the run because the
// user asked it to.
func (g *guard) interrupted() bool { return errors.Is(g.stopped, errInterrupted) }

// signalled reports whether Ctrl-C or SIGTERM has come.
func (g *guard) signalled() bool {
	select {
	case <-g.ctx.Done():
		return true
	default:
		return false
	}
}

func (g *guard) check(s *sim.Sim, now time.Duration, events uint64) {
	if g.signalled() {
		g.stop(s, errInterrupted)
		return
	}
	if g.limit > 0 {
		metrics.Read(g.sample)
		if live := g.sample[0].Value.Uint64(); float64(live) > memoryShare*float64(g.limit) {
			g.stop(s, fmt.Errorf("%w: %d MiB live of a %d MiB limit (GOMEMLIMIT, or the memory the machine or its cgroup allows): "+
				"model fewer nodes or pods, a shorter until, or raise the limit", errMemory, live>>20, g.limit>>20))
			return
		}
	}
	if g.term == nil || time.Since(g.last) < 250*time.Millisecond || time.Since(g.start) < time.Second {
		return
	}
	g.last, g.shown = time.Now(), true
	fmt.Fprintf(g.term, "\rsimulated %v, %d events, %v elapsed   ", now.Truncate(time.Second), events, time.Since(g.start).Truncate(time.Second))
}

func (g *guard) stop(s *sim.Sim, why error) {
	g.stopped = why
	s.Stop(why)
}

// memoryLimit is the process's soft memory limit (runtime/debug), 0 when
// none is set.
func memoryLimit() uint64 {
	if l := debug.SetMemoryLimit(-1); l > 0 && l < math.MaxInt64 {
		return uint64(l)
	}
	return 0
}

// setMemoryLimit gives the process a soft memory limit when GOMEMLIMIT
// does not: 90% of what the cgroup (memory.max) or, failing that, the
// machine (MemTotal) allows, so the garbage collector works harder before
// the kernel kills the process and the guard stops a run before either.
func setMemoryLimit() {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	if n := availableMemory(); n > 0 {
		debug.SetMemoryLimit(int64(float64(n) * 0.9))
	}
}

// availableMemory reads the cgroup v2 limit, else the machine's total.
func availableMemory() uint64 {
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		var n uint64
		if _, err := fmt.Sscan(string(b), &n); err == nil && n > 0 {
			return n
		}
	}
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	var kb uint64
	for _, line := range strings.Split(string(b), "\n") {
		if _, err := fmt.Sscanf(line, "MemTotal: %d kB", &kb); err == nil {
			return kb << 10
		}
	}
	return 0
}
