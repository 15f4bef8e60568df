package simtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// ErrBadTrace is wrapped by every error about a trace that does not parse.
var ErrBadTrace = errors.New("malformed trace")

// TraceError names the trace line that did not parse.
type TraceError struct {
	Line int // 1-based
	Text string
	Why  string
}

func (e *TraceError) Error() string {
	return fmt.Sprintf("simtest: trace line %d %q: %s", e.Line, e.Text, e.Why)
}

// Unwrap returns ErrBadTrace.
func (e *TraceError) Unwrap() error { return ErrBadTrace }

// TraceEvent is one line of a simulation's trace (sim.Sim.SetTrace).
type TraceEvent struct {
	// At is the virtual time of the event.
	At time.Duration
	// Event is the event's name: a Kubernetes event reason such as
	// "BranchAllocationFailed", or a lifecycle record such as "PodCreated".
	Event string
	// Object is the object concerned, such as "pod/default/web-0" or
	// "node/ng0-1".
	Object string
	// Detail is the event's free text; for Kubernetes events it starts with
	// the type, "Normal: " or "Warning: ".
	Detail string
}

// Type returns "Normal" or "Warning" for a Kubernetes event, or "" for a
// lifecycle record.
func (e TraceEvent) Type() string {
	for _, typ := range []string{"Normal", "Warning"} {
		if strings.HasPrefix(e.Detail, typ+": ") {
			return typ
		}
	}
	return ""
}

// Message returns a Kubernetes event's message, the detail without its
// type.
func (e TraceEvent) Message() string {
	if typ := e.Type(); typ != "" {
		return e.Detail[len(typ)+2:]
	}
	return e.Detail
}

// String renders the event as "12.5s pod/default/web-0 PodRunning: detail".
func (e TraceEvent) String() string {
	s := e.At.String() + " " + e.Object + " " + e.Event
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// ParseTrace reads a trace written by sim.Sim.SetTrace. A line that does
// not parse is a [*TraceError] wrapping [ErrBadTrace].
func ParseTrace(r io.Reader) ([]TraceEvent, error) {
	var out []TraceEvent
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		ev, err := parseTraceLine(sc.Bytes())
		if err != nil {
			return nil, &TraceError{Line: n, Text: sc.Text(), Why: err.Error()}
		}
		out = append(out, ev)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("simtest: reading trace: %w", err)
	}
	return out, nil
}

func parseTraceLine(line []byte) (TraceEvent, error) {
	var raw struct {
		T      json.RawMessage `json:"t"`
		Event  string          `json:"event"`
		Object string          `json:"object"`
		Detail string          `json:"detail"`
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return TraceEvent{}, err
	}
	if raw.Event == "" || raw.Object == "" {
		return TraceEvent{}, errors.New("event and object are required")
	}
	at, err := parseSeconds(string(raw.T))
	if err != nil {
		return TraceEvent{}, err
	}
	return TraceEvent{At: at, Event: raw.Event, Object: raw.Object, Detail: raw.Detail}, nil
}

// parseSeconds reads the trace's time, seconds with up to nine decimals,
// exactly: going through float64 would lose nanoseconds after a few days.
func parseSeconds(s string) (time.Duration, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 9 || strings.HasPrefix(whole, "-") {
		return 0, fmt.Errorf("time %q: want non-negative seconds with at most nine decimals", s)
	}
	secs, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || secs > int64(365*24*time.Hour/time.Second)*100 {
		return 0, fmt.Errorf("time %q: want non-negative seconds with at most nine decimals", s)
	}
	ns := int64(0)
	if frac != "" {
		if ns, err = strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64); err != nil || ns < 0 {
			return 0, fmt.Errorf("time %q: want non-negative seconds with at most nine decimals", s)
		}
	}
	return time.Duration(secs)*time.Second + time.Duration(ns), nil
}

// traceWriter parses the trace as the simulation writes it, so the
// harness always has the events so far without keeping the text.
type traceWriter struct {
	events  []TraceEvent
	view    *View
	partial []byte
	err     error
}

func (w *traceWriter) Write(p []byte) (int, error) {
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		line := w.partial[:i]
		if ev, err := parseTraceLine(line); err != nil {
			if w.err == nil {
				w.err = &TraceError{Line: len(w.events) + 1, Text: string(line), Why: err.Error()}
			}
		} else {
			w.events = append(w.events, ev)
			if w.view == nil {
				w.view = NewView(nil)
			}
			w.view.apply(ev)
		}
		w.partial = w.partial[:copy(w.partial, w.partial[i+1:])]
	}
	return len(p), nil
}
