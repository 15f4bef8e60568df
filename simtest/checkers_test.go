package simtest_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/sim"
	"github.com/trunksim/trunksim/simtest"
)

// trace builds trace lines from "t event object [detail]" rows.
func trace(t *testing.T, rows ...string) []simtest.TraceEvent {
	t.Helper()
	var b strings.Builder
	for _, r := range rows {
		f := strings.SplitN(r, " ", 4)
		b.WriteString(`{"t":` + f[0] + `,"event":"` + f[1] + `","object":"` + f[2] + `"`)
		if len(f) == 4 {
			b.WriteString(`,"detail":"` + f[3] + `"`)
		}
		b.WriteString("}\n")
	}
	evs, err := simtest.ParseTrace(strings.NewReader(b.String()))
	require.NoError(t, err)
	return evs
}

// A healthy pod's story, on which the bad traces below are variations.
var goodPod = []string{
	"0 NodeAdded node/n1 m5.large linux",
	"4 NodeTrunkInitiated node/n1 Normal: trunk eni-00000000000000001; pod-eni capacity 9",
	"5 PodCreated pod/default/a pod-eni requested",
	"5 PodScheduled pod/default/a n1",
	"5 SecurityGroupRequested pod/default/a Normal: will get security groups [sg-00000000000000001, sg-00000000000000002]",
	"5.3 ResourceAllocated pod/default/a Normal: eni eni-00000000000000002 vlan 1",
	"15.2 PodRunning pod/default/a",
}

func TestParseTraceReadsTheSimulatorsTrace(t *testing.T) {
	s, err := sim.New(sim.Config{Seed: 1})
	require.NoError(t, err)
	var buf bytes.Buffer
	s.SetTrace(&buf)
	require.NoError(t, s.AddPolicy(policy("web", "web", sg1)))
	require.NoError(t, s.AddNode(sim.NodeSpec{Name: "n1", InstanceType: "m5.large"}))
	require.NoError(t, s.CreatePod(sim.PodSpec{Namespace: "default", Name: "a", Labels: map[string]string{"app": "web"}}))
	require.NoError(t, s.Run())
	lines := strings.Count(buf.String(), "\n")
	evs, err := simtest.ParseTrace(&buf)
	require.NoError(t, err)
	require.Equal(t, lines, len(evs))

	v := simtest.NewView(evs)
	p, ok := v.Pod("default/a")
	require.True(t, ok)
	require.Equal(t, sim.Running, p.Phase)
	require.Equal(t, "n1", p.Node)
	require.Equal(t, branch.NewGroupSet(sg1), p.Requested)
	require.True(t, p.ENI.IsValid())
	require.Equal(t, branch.VLAN(1), p.VLAN)
	n, ok := v.Node("n1")
	require.True(t, ok)
	require.True(t, n.Ready)
	require.True(t, n.Trunk.IsValid())
	require.Empty(t, simtest.CheckTrace(evs))
	require.Empty(t, simtest.CheckGroups(v, s.EC2()))
	require.Empty(t, simtest.CheckSim(s, v))
	require.Empty(t, simtest.CheckIdle(s, v))
}

func TestParseTraceTimesAreExact(t *testing.T) {
	evs := trace(t, "86399.999999999 Resync controller", "0.000000001 Resync controller", "12 Resync controller")
	require.Equal(t, 24*time.Hour-time.Nanosecond, evs[0].At)
	require.Equal(t, time.Nanosecond, evs[1].At)
	require.Equal(t, 12*time.Second, evs[2].At)
}

func TestParseTraceRefusesMalformedLines(t *testing.T) {
	for _, line := range []string{
		`{"t":1,"event":"PodRunning"}`,
		`{"t":-1,"event":"PodRunning","object":"pod/a/b"}`,
		`{"t":1.0000000001,"event":"PodRunning","object":"pod/a/b"}`,
		`{"t":"1","event":"PodRunning","object":"pod/a/b"}`,
		`{"t":1,"event":"PodRunning","object":"pod/a/b","extra":1}`,
		`not json`,
	} {
		_, err := simtest.ParseTrace(strings.NewReader(goodLine + "\n" + line + "\n"))
		var te *simtest.TraceError
		require.ErrorAs(t, err, &te, line)
		require.ErrorIs(t, err, simtest.ErrBadTrace)
		require.Equal(t, 2, te.Line, line)
	}
}

const goodLine = `{"t":0,"event":"Resync","object":"controller"}`

func TestCheckTraceFindsBrokenStories(t *testing.T) {
	with := func(replace map[int]string, extra ...string) []string {
		rows := append([]string(nil), goodPod...)
		for i, r := range replace {
			rows[i] = r
		}
		return append(rows, extra...)
	}
	for _, tc := range []struct {
		name   string
		rows   []string
		object string
		what   string
	}{
		{"time goes back", with(nil, "3 Resync controller"), "controller", "time went back"},
		{"running without its branch", with(map[int]string{5: "5.3 Resync controller"}), "pod/default/a", "running without the branch ENI annotation"},
		{"annotated twice", with(nil, "16 ResourceAllocated pod/default/a Normal: eni eni-00000000000000003 vlan 2"), "pod/default/a", "annotated twice"},
		{"ordinary pod annotated", with(map[int]string{2: "5 PodCreated pod/default/a ordinary", 4: "5 Resync controller"}), "pod/default/a", "did not request"},
		{"VLAN held twice", with(nil,
			"16 PodCreated pod/default/b pod-eni requested", "16 PodScheduled pod/default/b n1",
			"16.3 ResourceAllocated pod/default/b Normal: eni eni-00000000000000003 vlan 1"), "pod/default/b", "VLAN 1 on n1 already held"},
		{"ENI held twice", with(nil,
			"16 PodCreated pod/default/b pod-eni requested", "16 PodScheduled pod/default/b n1",
			"16.3 ResourceAllocated pod/default/b Normal: eni eni-00000000000000002 vlan 2"), "pod/default/b", "already held by live pod default/a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vs := simtest.CheckTrace(trace(t, tc.rows...))
			require.Len(t, vs, 1, "%v", vs)
			require.Equal(t, "trace", vs[0].Invariant)
			require.Equal(t, tc.object, vs[0].Object)
			require.Contains(t, vs[0].What, tc.what)
		})
	}
	// A VLAN is free again for a pod once its holder is gone.
	reuse := append(append([]string(nil), goodPod...),
		"20 PodDeleted pod/default/a deleted",
		"100 PodCreated pod/default/b pod-eni requested", "100 PodScheduled pod/default/b n1",
		"100.3 ResourceAllocated pod/default/b Normal: eni eni-00000000000000003 vlan 1")
	require.Empty(t, simtest.CheckTrace(trace(t, reuse...)))
}

// A run that starts from pods running on their branches reads back as
// it is: each pod running on its node, with the branch, VLAN and groups
// EC2 holds for it.
func TestParseTraceReadsARunningStart(t *testing.T) {
	s, err := sim.New(sim.Config{Seed: 1})
	require.NoError(t, err)
	var buf bytes.Buffer
	s.SetTrace(&buf)
	require.NoError(t, s.AddPolicy(policy("web", "web", sg1)))
	require.NoError(t, s.AddNode(sim.NodeSpec{Name: "n1", InstanceType: "m5.large", TrunkAttached: true}))
	require.NoError(t, s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "a", Labels: map[string]string{"app": "web"}, Replicas: 3, Running: 2}))
	require.NoError(t, s.Run())
	evs, err := simtest.ParseTrace(&buf)
	require.NoError(t, err)
	v := simtest.NewView(evs)
	p, ok := v.Pod("default/a-1")
	require.True(t, ok)
	require.Equal(t, sim.Running, p.Phase)
	require.Equal(t, "n1", p.Node)
	require.Equal(t, branch.NewGroupSet(sg1), p.Requested)
	require.Equal(t, branch.VLAN(2), p.VLAN)
	require.Empty(t, simtest.CheckTrace(evs))
	require.Empty(t, simtest.CheckGroups(v, s.EC2()))
	require.Empty(t, simtest.CheckSim(s, v))
	require.Empty(t, simtest.CheckIdle(s, v))
}

func TestCheckGroupsComparesWithEC2(t *testing.T) {
	ec2, err := sim.NewFakeEC2(sim.EC2{}, 1)
	require.NoError(t, err)
	trunkID, err := ec2.CreateNetworkInterface(0, sim.TrunkInterface, "n1", branch.ENIID{}, branch.GroupSet{}, 0, 5)
	require.NoError(t, err)
	// EC2 has the branch with sg-1 only; the trace says sg-1 and sg-2.
	_, err = ec2.CreateNetworkInterface(time.Second, sim.BranchInterface, "n1", trunkID, branch.NewGroupSet(sg1), 1, 5)
	require.NoError(t, err)
	vs := simtest.CheckGroups(simtest.NewView(trace(t, goodPod...)), ec2)
	require.Len(t, vs, 1)
	require.Equal(t, "pod/default/a", vs[0].Object)
	require.Contains(t, vs[0].What, "carries [sg-00000000000000001]; the controller resolved [sg-00000000000000001, sg-00000000000000002]")
}

func TestCheckIdleWantsAReasonForEveryPendingPod(t *testing.T) {
	s, err := sim.New(sim.Config{})
	require.NoError(t, err)
	rows := append([]string(nil), goodPod[:5]...) // scheduled, resolved, never annotated
	vs := simtest.CheckIdle(s, simtest.NewView(trace(t, rows...)))
	require.Len(t, vs, 1)
	require.Contains(t, vs[0].What, "with no event saying why")

	rows = append(rows, "6 BranchAllocationFailed pod/default/a Warning: failed to allocate branch ENI to pod: CreateNetworkInterface: InternalError")
	require.Empty(t, simtest.CheckIdle(s, simtest.NewView(trace(t, rows...))))

	// A node that lost its trunk and says why explains its pods.
	rows = append(append([]string(nil), goodPod[:5]...), "6 ControllerRestarted controller",
		"7 NodeTrunkFailedInit node/n1 Normal: DescribeInstances: InternalError")
	require.Empty(t, simtest.CheckIdle(s, simtest.NewView(trace(t, rows...))))
}

func TestViolationsAreReportedWithTheReplayableCase(t *testing.T) {
	always := simtest.Invariant{Name: "mine", Check: func(h *simtest.Harness) []simtest.Violation {
		return []simtest.Violation{{Object: "pod/default/a", At: h.Now(), What: "not good enough"}}
	}}
	h, err := simtest.Start(clusterOf(1), simtest.Config{Invariants: []simtest.Invariant{always}})
	require.NoError(t, err)
	advance(t, h, time.Second)
	vs := h.Violations()
	require.Equal(t, []simtest.Violation{{Invariant: "mine", Object: "pod/default/a", At: time.Second, What: "not good enough"}}, vs)
	report := h.FailureReport(vs)
	require.Contains(t, report, "simulation seed 7, 1 action(s), virtual time 1s")
	require.Contains(t, report, "[mine] 1s pod/default/a: not good enough")
	require.Contains(t, report, "until: 1s")
	require.Contains(t, report, "traceSHA256 "+h.Sim().Report().TraceSHA256)
}
