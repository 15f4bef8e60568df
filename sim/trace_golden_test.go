package sim_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/branch"
	"github.com/trunksim/trunksim/cni"
	"github.com/trunksim/trunksim/limits"
	"github.com/trunksim/trunksim/sim"
)

var update = flag.Bool("update", false, "rewrite testdata/trace-hashes.golden and ../docs/settings.md from the current simulator")

const goldenFile = "testdata/trace-hashes.golden"

// goldenRun is one scripted simulation whose trace and report are pinned.
type goldenRun struct {
	name string
	play func(t *testing.T, s *sim.Sim)
	cfg  sim.Config
}

// TestTracesAndReportsAreUnchanged pins the trace and the JSON report of
// runs that reach every part of the model (faults of each kind, restarts,
// node deletion, both placements, service-account policies, rolling
// updates, leaks) and of random action sequences drawn from fixed seeds.
// Any change to a byte of either is a change of behaviour; after a
// deliberate one, regenerate with
//
//	go test ./sim -run TestTracesAndReportsAreUnchanged -update
func TestTracesAndReportsAreUnchanged(t *testing.T) {
	runs := []goldenRun{
		{name: "faults-delete-restart", cfg: sim.Config{Seed: 42, EC2: sim.EC2{Faults: []sim.Fault{
			{API: sim.CreateNetworkInterface, Code: sim.CodeInternal, Probability: 0.2}}}},
			play: func(t *testing.T, s *sim.Sim) {
				addNodes(t, s, "m5.large", 5)
				createWeb(t, s, 0, 60)
				require.NoError(t, s.Schedule(2*time.Minute, func(s *sim.Sim) error { return s.DeleteNode("n1") }))
				require.NoError(t, s.Schedule(3*time.Minute, func(s *sim.Sim) error { return s.RestartController() }))
			}},
		{name: "most-allocated-mixed", cfg: sim.Config{Seed: 3, Placement: sim.MostAllocated},
			play: func(t *testing.T, s *sim.Sim) {
				addNodes(t, s, "m5.xlarge", 4)
				require.NoError(t, s.RunUntil(time.Minute))
				for i := range 70 {
					app := []string{"web", "plain"}[i%2]
					require.NoError(t, s.CreatePod(sim.PodSpec{Namespace: "default", Name: fmt.Sprintf("p-%d", i),
						Labels: map[string]string{"app": app}, Lifetime: time.Duration(i%3) * time.Minute}))
				}
			}},
		{name: "leaked-delete", cfg: sim.Config{Seed: 5},
			play: func(t *testing.T, s *sim.Sim) {
				addNodes(t, s, "m5.large", 1)
				createWeb(t, s, 0, 3)
				require.NoError(t, s.Run())
				require.NoError(t, s.InjectFault(sim.Fault{API: sim.DeleteNetworkInterface, Code: "InternalFailure", Probability: 1, From: s.Now()}))
				require.NoError(t, s.DeletePod("default", "web-0"))
			}},
		{name: "slow-and-throttled", cfg: sim.Config{Seed: 9, Controller: sim.Controller{Preset: sim.PresetRaisedLimits},
			EC2: sim.EC2{MutatingBucket: 20, MutatingRefill: 2, Faults: []sim.Fault{
				{API: sim.AssociateTrunkInterface, Delay: 700 * time.Millisecond, Probability: 0.5},
				{API: sim.CreateNetworkInterfacePermission, Code: "InvalidParameterValue", Probability: 0.1, From: 90 * time.Second, Until: 4 * time.Minute}}}},
			play: func(t *testing.T, s *sim.Sim) {
				addNodes(t, s, "m5.4xlarge", 6)
				require.NoError(t, s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "web",
					Labels: map[string]string{"app": "web"}, Replicas: 200, Interval: 100 * time.Millisecond}))
			}},
		{name: "service-accounts-namespaces-rollout", cfg: sim.Config{Seed: 11, Controller: sim.Controller{CoolDown: 30 * time.Second}},
			play: func(t *testing.T, s *sim.Sim) {
				require.NoError(t, s.AddServiceAccount("ci", "builder", map[string]string{"team": "ci"}))
				require.NoError(t, s.AddPolicy(branch.Policy{Namespace: "ci", Name: "ci",
					ServiceAccountSelector: &branch.LabelSelector{MatchLabels: map[string]string{"team": "ci"}},
					Groups:                 []branch.SecurityGroupID{branch.MustParseSecurityGroupID("sg-01234567")}}))
				require.NoError(t, s.AddPolicy(branch.Policy{Namespace: "ci", Name: "runner",
					PodSelector: &branch.LabelSelector{MatchLabels: map[string]string{"app": "runner"}},
					Groups:      []branch.SecurityGroupID{webSG}}))
				addNodes(t, s, "m5.large", 3)
				require.NoError(t, s.AddNode(sim.NodeSpec{Name: "t3", InstanceType: "t3.large"}))
				require.NoError(t, s.AddNode(sim.NodeSpec{Name: "win", InstanceType: "m5.large", OS: limits.OSWindows}))
				require.NoError(t, s.AddWorkload(sim.WorkloadSpec{Namespace: "ci", Name: "runner", ServiceAccount: "builder",
					Labels: map[string]string{"app": "runner"}, Replicas: 20}))
				require.NoError(t, s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: "web",
					Labels: map[string]string{"app": "web"}, Replicas: 10, Interval: time.Second}))
				require.NoError(t, s.Schedule(5*time.Minute, func(s *sim.Sim) error { return s.RollWorkload("ci", "runner", 2, 1) }))
				require.NoError(t, s.Schedule(6*time.Minute, func(s *sim.Sim) error { return s.DeleteNode("n0") }))
				require.NoError(t, s.Schedule(7*time.Minute, func(s *sim.Sim) error { return s.RollWorkload("default", "web", 0, 3) }))
			}},
		{name: "dropped-then-resynced", cfg: sim.Config{Seed: 13, Controller: sim.Controller{Resync: 10 * time.Minute}, EC2: sim.EC2{Faults: []sim.Fault{
			{API: sim.CreateNetworkInterface, Code: sim.CodeNoFreeAddresses, Probability: 0.9, Until: 25 * time.Minute},
			{API: sim.AssociateTrunkInterface, Code: "InvalidParameterValue", Probability: 0.5, Until: 25 * time.Minute}}}},
			play: func(t *testing.T, s *sim.Sim) {
				addNodes(t, s, "m5.xlarge", 3)
				createWeb(t, s, 0, 12)
				require.NoError(t, s.RunUntil(40*time.Second))
				createWeb(t, s, 12, 12)
				require.NoError(t, s.RunUntil(12*time.Minute))
				require.NoError(t, s.DeletePod("default", "web-3"))
				createWeb(t, s, 24, 6)
				require.NoError(t, s.RunUntil(65*time.Minute))
			}},
		{name: "ipv6-old-cni", cfg: sim.Config{Seed: 1, CNI: cni.Config{IPFamily: cni.IPv6, Version: cni.Version{Major: 1, Minor: 15, Patch: 1}}},
			play: func(t *testing.T, s *sim.Sim) {
				addNodes(t, s, "m5.large", 2)
				createWeb(t, s, 0, 4)
			}},
	}
	for seed := range uint64(24) {
		runs = append(runs, goldenRun{name: fmt.Sprintf("random-%02d", seed), cfg: randomConfig(seed),
			play: func(t *testing.T, s *sim.Sim) { randomActions(t, s, seed) }})
	}

	var got strings.Builder
	got.WriteString("# run traceSHA256 reportSHA256 (go test ./sim -run TestTracesAndReportsAreUnchanged -update)\n")
	for _, r := range runs {
		s, err := sim.New(r.cfg)
		require.NoError(t, err)
		var trace bytes.Buffer
		s.SetTrace(&trace)
		require.NoError(t, s.AddPolicy(webPolicy()))
		r.play(t, s)
		runErr := s.Run()
		rep := s.Report()
		sum := sha256.Sum256(trace.Bytes())
		require.Equal(t, hex.EncodeToString(sum[:]), rep.TraceSHA256, "%s: the report's hash is the trace's", r.name)
		js, err := json.Marshal(rep)
		require.NoError(t, err)
		jsum := sha256.Sum256(js)
		fmt.Fprintf(&got, "%s %s %s", r.name, rep.TraceSHA256, hex.EncodeToString(jsum[:]))
		if runErr != nil {
			fmt.Fprintf(&got, " error: %v", runErr)
		}
		got.WriteByte('\n')
	}
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(goldenFile, []byte(got.String()), 0o644))
		return
	}
	want, err := os.ReadFile(goldenFile)
	require.NoError(t, err, "run with -update to create it")
	assert.Equal(t, string(want), got.String())
}

func addNodes(t *testing.T, s *sim.Sim, typ string, count int) {
	t.Helper()
	for i := range count {
		require.NoError(t, s.AddNode(sim.NodeSpec{Name: fmt.Sprintf("n%d", i), InstanceType: typ}))
	}
}

func randomConfig(seed uint64) sim.Config {
	cfg := sim.Config{Seed: seed}
	if seed%2 == 1 {
		cfg.Placement = sim.MostAllocated
	}
	if seed%3 == 2 {
		cfg.Controller.CoolDown = 45 * time.Second
		cfg.Controller.BranchWorkers = 4
	}
	return cfg
}

// randomActions drives s through a fixed pseudo-random sequence of the
// calls a user makes, interleaved with the passing of time.
func randomActions(t *testing.T, s *sim.Sim, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x901d))
	types := []string{"m5.large", "c6g.medium", "m5.xlarge", "t3.large", "m5.2xlarge"}
	require.NoError(t, s.AddServiceAccount("default", "sa", map[string]string{"role": "db"}))
	require.NoError(t, s.AddPolicy(branch.Policy{Namespace: "default", Name: "db",
		ServiceAccountSelector: &branch.LabelSelector{MatchLabels: map[string]string{"role": "db"}},
		Groups:                 []branch.SecurityGroupID{branch.MustParseSecurityGroupID("sg-0fedcba9876543210")}}))
	var nodes, pods []string
	nodeN, podN, workloads := 0, 0, 0
	for range 90 {
		switch k := rng.IntN(20); {
		case k < 3:
			name := fmt.Sprintf("n%d", nodeN)
			nodeN++
			os := limits.OSLinux
			if rng.IntN(10) == 0 {
				os = limits.OSWindows
			}
			require.NoError(t, s.AddNode(sim.NodeSpec{Name: name, InstanceType: types[rng.IntN(len(types))], OS: os}))
			nodes = append(nodes, name)
		case k < 4:
			if len(nodes) == 0 {
				continue
			}
			i := rng.IntN(len(nodes))
			require.NoError(t, s.DeleteNode(nodes[i]))
			nodes = append(nodes[:i], nodes[i+1:]...)
		case k < 9:
			for range 1 + rng.IntN(8) {
				name := fmt.Sprintf("p%d", podN)
				podN++
				spec := sim.PodSpec{Namespace: "default", Name: name,
					Labels:   map[string]string{"app": []string{"web", "plain", "web"}[rng.IntN(3)]},
					Lifetime: []time.Duration{0, 0, time.Minute, 5 * time.Minute}[rng.IntN(4)]}
				if rng.IntN(5) == 0 {
					spec.ServiceAccount = "sa"
				}
				require.NoError(t, s.CreatePod(spec))
				pods = append(pods, name)
			}
		case k < 11:
			if len(pods) == 0 {
				continue
			}
			i := rng.IntN(len(pods))
			_ = s.DeletePod("default", pods[i]) // may have gone with its node
			pods = append(pods[:i], pods[i+1:]...)
		case k < 12:
			if err := s.RemovePolicy("default", "web"); err != nil {
				require.NoError(t, s.AddPolicy(webPolicy()))
			}
		case k < 13:
			api := []sim.API{sim.CreateNetworkInterface, sim.AssociateTrunkInterface, sim.CreateNetworkInterfacePermission,
				sim.DeleteNetworkInterface, sim.DescribeInstances}[rng.IntN(5)]
			f := sim.Fault{API: api, Probability: 0.1 + 0.9*rng.Float64(), From: s.Now(),
				Until: s.Now() + time.Duration(1+rng.IntN(120))*time.Second}
			if rng.IntN(3) == 0 {
				f.Delay = time.Duration(1+rng.IntN(2000)) * time.Millisecond
			} else {
				f.Code = []string{sim.CodeNoFreeAddresses, sim.CodeInternal, sim.CodeThrottled}[rng.IntN(3)]
			}
			require.NoError(t, s.InjectFault(f))
		case k < 14:
			require.NoError(t, s.RestartController())
		case k < 15:
			name := fmt.Sprintf("w%d", workloads)
			workloads++
			require.NoError(t, s.AddWorkload(sim.WorkloadSpec{Namespace: "default", Name: name,
				Labels: map[string]string{"app": "web", "w": name}, Replicas: 1 + rng.IntN(20),
				Interval: time.Duration(rng.IntN(3)) * time.Second}))
		case k < 16:
			if workloads == 0 {
				continue
			}
			_ = s.RollWorkload("default", fmt.Sprintf("w%d", rng.IntN(workloads)), rng.IntN(3), 1+rng.IntN(2))
		default:
			require.NoError(t, s.RunUntil(s.Now()+time.Duration(rng.IntN(240))*time.Second))
		}
	}
}
