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

// driver applies a controller's effects as a caller must: a Call is made
// on EC2 at once and its answer stepped back as Answered once its latency
// has passed; a Wake is stepped back as WokeUp when its time comes.
type driver struct {
	ctl   *controller.Controller
	ec2   *fakeec2.EC2
	now   time.Duration
	later []pending // in the order asked for; the earliest goes first
}

type pending struct {
	at    time.Duration
	input controller.Input
}

func (d *driver) step(in controller.Input) {
	out, err := d.ctl.Step(d.now, in, nil)
	if err != nil {
		panic(err)
	}
	d.apply(out)
}

func (d *driver) apply(out []controller.Effect) {
	for _, e := range out {
		switch e.Kind {
		case controller.Call:
			fmt.Printf("%-6v %v %v\n", d.now, e.Client, e.Request.API)
			if e.Answer != nil {
				*e.Answer = d.ec2.Do(d.now, *e.Request)
				d.later = append(d.later, pending{d.now + e.Answer.Latency,
					controller.Input{Kind: controller.Answered, Timer: e.Timer}})
			}
		case controller.Wake, controller.WakeIdle:
			d.later = append(d.later, pending{e.At, controller.Input{Kind: controller.WokeUp, Timer: e.Timer}})
		case controller.Emit:
			fmt.Printf("%-6v %v %q\n", d.now, e.Event.Reason, e.Event.AppendMessage(nil))
		}
	}
}

// next steps the earliest pending input.
func (d *driver) next() {
	first := 0
	for i, p := range d.later {
		if p.at < d.later[first].at {
			first = i
		}
	}
	p := d.later[first]
	d.later = append(d.later[:first], d.later[first+1:]...)
	d.now = p.at
	d.step(p.input)
}

// An m5.large joins and the controller initialises its trunk: every EC2
// call of the node manager's Init job, then the event.
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
	d := &driver{ctl: ctl, ec2: ec2}
	d.apply(ctl.Start(d.now, nil))
	d.step(controller.Input{Kind: controller.NodeJoined, Node: 0,
		Join: &controller.Join{Name: "n1", Type: m5, OS: limits.OSLinux, WantsTrunk: true}})
	for !ctl.Advertised(0) {
		d.next()
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
