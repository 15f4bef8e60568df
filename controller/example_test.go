package controller_test

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/controller"
	"github.com/trunksim/trunksim/fakeec2"
	"github.com/trunksim/trunksim/limits"
)

// noPolicies is a Lister for a cluster with no SecurityGroupPolicy.
type noPolicies struct{}

func (noPolicies) SecurityGroups(controller.PodID) (branch.GroupSet, string, bool) {
	return branch.GroupSet{}, "", false
}

// An m5.large joins and the controller initialises its trunk: every EC2
// call of the node manager's Init job, then the event. A caller applies
// the effects in order: a Call is made on EC2 at once and its answer is
// stepped back as Answered once its latency has passed; a Wake is
// stepped back as WokeUp when its time comes.
func Example() {
	ec2, err := fakeec2.New(fakeec2.Config{NoAccountThrottling: true}, rand.New(rand.NewPCG(1, 3)))
	if err != nil {
		panic(err)
	}
	ctl, err := controller.New(controller.Config{ // upstream's settings; New fills in none
		UserClientQPS: 12, UserClientBurst: 18, InstanceClientQPS: 12, InstanceClientBurst: 18,
		APIServerQPS: 20, APIServerBurst: 30, BranchWorkers: 30, NodeWorkers: 10, MaxRetries: 5,
		CoolDown: time.Minute, SweepInterval: 30 * time.Second, Resync: 30 * time.Minute,
		NodeDeleteDelay: time.Minute, GroupsPerInterface: 5,
	}, controller.Options{Lister: noPolicies{}})
	if err != nil {
		panic(err)
	}
	m5, err := limits.Default().Lookup("m5.large")
	if err != nil {
		panic(err)
	}

	type wake struct {
		at     time.Duration
		timer  controller.Timer
		answer bool
	}
	var now time.Duration
	var wakes []wake // in the order asked for; the earliest goes first
	var apply func(out []controller.Effect)
	step := func(in controller.Input) {
		out, err := ctl.Step(now, in, nil)
		if err != nil {
			panic(err)
		}
		apply(out)
	}
	apply = func(out []controller.Effect) {
		for _, e := range out {
			switch e.Kind {
			case controller.Call:
				ans := ec2.Do(now, *e.Request)
				fmt.Printf("%-6v %v %v\n", now, e.Client, e.Request.API)
				if e.Answer != nil {
					*e.Answer = ans
					wakes = append(wakes, wake{now + ans.Latency, e.Timer, true})
				}
			case controller.Wake, controller.WakeIdle:
				wakes = append(wakes, wake{e.At, e.Timer, false})
			case controller.Emit:
				fmt.Printf("%-6v %v %q\n", now, e.Event.Reason, e.Event.AppendMessage(nil))
			}
		}
	}

	apply(ctl.Start(now, nil))
	step(controller.Input{Kind: controller.NodeJoined, Node: 0,
		Join: &controller.Join{Name: "n1", Type: m5, OS: limits.OSLinux, WantsTrunk: true}})
	for !ctl.Advertised(0) {
		next := 0
		for i, w := range wakes {
			if w.at < wakes[next].at {
				next = i
			}
		}
		w := wakes[next]
		wakes = append(wakes[:next], wakes[next+1:]...)
		now = w.at
		kind := controller.WokeUp
		if w.answer {
			kind = controller.Answered
		}
		step(controller.Input{Kind: kind, Timer: w.timer})
	}
	fmt.Println(ctl.Trunk(0))
	// Output:
	// 0s     user DescribeInstances
	// 100ms  user DescribeSubnets
	// 200ms  user DescribeInstances
	// 300ms  user CreateNetworkInterface
	// 400ms  user CreateNetworkInterfacePermission
	// 500ms  user AttachNetworkInterface
	// 600ms  user ModifyNetworkInterfaceAttribute
	// 700ms  user DescribeNetworkInterfaces
	// 1.8s   user DescribeNetworkInterfaces
	// 3.9s   user DescribeNetworkInterfaces
	// 4s     NodeTrunkInitiated "trunk eni-00000000000000001; pod-eni capacity 9"
	// node "n1": 0 in use, 0 cooling, 0 deleting, 0 leaked, limit 9
}
