package scheduler_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/trunksim/trunksim/scheduler"
)

// A model keeps one Func per kind of event and passes an index as the
// argument, so scheduling allocates no closure. Events at the same time run
// in the order they were scheduled.
func Example() {
	s := scheduler.New()
	nodes := []string{"node-a", "node-b", "node-c"}
	var ready scheduler.Func = func(node uint64) {
		fmt.Printf("%v %s ready\n", s.Now(), nodes[node])
	}
	s.At(2*time.Second, ready, 2)
	s.At(time.Second, ready, 0)
	s.At(time.Second, ready, 1)

	n, err := s.Run(100)
	fmt.Println("ran", n, "events, err:", err)
	// Output:
	// 1s node-a ready
	// 1s node-b ready
	// 2s node-c ready
	// ran 3 events, err: <nil>
}

// Events may schedule further events. One scheduled at the current time runs
// after the events already queued for that time.
func Example_schedulingFromAnEvent() {
	s := scheduler.New()
	var log scheduler.Func
	var attach scheduler.Func = func(branch uint64) {
		fmt.Printf("%v attach branch %d\n", s.Now(), branch)
		s.After(0, log, branch)
		s.After(500*time.Millisecond, log, branch+100)
	}
	log = func(arg uint64) { fmt.Printf("%v log %d\n", s.Now(), arg) }
	s.At(time.Second, attach, 1)
	s.At(time.Second, log, 0)

	s.Run(100)
	// Output:
	// 1s attach branch 1
	// 1s log 0
	// 1s log 1
	// 1.5s log 101
}

// RunUntil runs every event due at or before its target, including one
// exactly at the target, and leaves the clock at the target.
func ExampleScheduler_RunUntil() {
	s := scheduler.New()
	tick := func(arg uint64) { fmt.Println("tick", arg, "at", s.Now()) }
	for i := uint64(1); i <= 3; i++ {
		s.At(time.Duration(i)*time.Second, tick, i)
	}

	s.RunUntil(2 * time.Second)
	next, _ := s.Next()
	fmt.Println("now", s.Now(), "pending", s.Len(), "next", next)
	// Output:
	// tick 1 at 1s
	// tick 2 at 2s
	// now 2s pending 1 next 3s
}

// A Timer cancels its event only while the event is pending.
func ExampleScheduler_Cancel() {
	s := scheduler.New()
	timeout := func(uint64) { fmt.Println("timed out") }
	t, _ := s.After(30*time.Second, timeout, 0)

	fmt.Println("cancelled:", s.Cancel(t))
	fmt.Println("cancelled again:", s.Cancel(t))
	fmt.Println("pending:", s.Len())
	// Output:
	// cancelled: true
	// cancelled again: false
	// pending: 0
}

// Scheduling in the past is an error, not an event moved to now.
func ExampleScheduler_At_past() {
	s := scheduler.New()
	s.RunUntil(10 * time.Second)

	_, err := s.At(9*time.Second, func(uint64) {}, 0)
	fmt.Println(err)
	var past *scheduler.PastError
	if errors.As(err, &past) {
		fmt.Println("late by", past.Now-past.At)
	}
	// Output:
	// scheduler: At: time 9s is before now 10s
	// late by 1s
}

// A model that never stops scheduling is reported by Run's limit.
func ExampleScheduler_Run_limit() {
	s := scheduler.New()
	var poll scheduler.Func
	poll = func(uint64) { s.After(time.Second, poll, 0) }
	s.After(0, poll, 0)

	n, err := s.Run(1000)
	fmt.Println(n, errors.Is(err, scheduler.ErrEventLimit))
	fmt.Println(err)
	// Output:
	// 1000 true
	// scheduler: Run: ran 1000 events (the limit) with 1 still pending at 16m39s
}
