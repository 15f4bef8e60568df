package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/scenario"
	"github.com/trunksim/trunksim/sim"
)

// TestHelperProcess is the CLI as a process of its own, for tests that
// send it signals; it does nothing unless run by one.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("TRUNKSIM_HELPER_PROCESS") != "1" {
		t.Skip("run by other tests only")
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	os.Exit(run(args, os.Stdin, os.Stdout, os.Stderr))
}

// Ctrl-C stops a run with what finished: the report of the run so far on
// standard output, the reason on standard error, and exit status 130.
func TestCtrlCStopsARunWithWhatFinished(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs the CLI for a second")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "--", "run", "testdata/interrupt/long-run.yaml")
	cmd.Env = append(os.Environ(), "TRUNKSIM_HELPER_PROCESS=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Start())
	time.Sleep(time.Second) // well past start-up and parsing, well before the run's end
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	err := cmd.Wait()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "%v: %s", err, stderr.String())
	assert.Equal(t, exitInterrupted, exit.ExitCode(), stderr.String())
	assert.Contains(t, stderr.String(), "trunksim run: sim: stopped at ")
	assert.Contains(t, stderr.String(), "interrupted (Ctrl-C or SIGTERM)")
	assert.Contains(t, stdout.String(), "200000 created", "the report of what finished")
	assert.Contains(t, stdout.String(), "pending", "the report of what finished")
}

// Ctrl-C stops the commands that run a scenario to compare it, explain
// and diff, with exit status 130 and no half answer on standard output.
func TestCtrlCStopsExplainAndDiff(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs the CLI for a second")
	}
	for _, args := range [][]string{
		{"explain", "--slowest", "testdata/interrupt/long-run.yaml"},
		{"diff", "--set", "controller.userClientQPS=48", "testdata/interrupt/long-run.yaml"},
	} {
		t.Run(args[0], func(t *testing.T) {
			cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestHelperProcess$", "--"}, args...)...)
			cmd.Env = append(os.Environ(), "TRUNKSIM_HELPER_PROCESS=1")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			require.NoError(t, cmd.Start())
			time.Sleep(time.Second)
			require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
			err := cmd.Wait()
			var exit *exec.ExitError
			require.True(t, errors.As(err, &exit), "%v: %s", err, stderr.String())
			assert.Equal(t, exitInterrupted, exit.ExitCode(), stderr.String())
			assert.Contains(t, stderr.String(), "trunksim "+args[0]+": sim: stopped at ")
			assert.Contains(t, stderr.String(), "interrupted (Ctrl-C or SIGTERM)")
			assert.Empty(t, stdout.String())
		})
	}
}

// A run whose live heap nears the memory limit is stopped by the guard,
// with an error that says what to change, before the runtime would die.
func TestGuardStopsARunNearTheMemoryLimit(t *testing.T) {
	sc, err := scenario.Load("../../examples/scale-test/scenario.yaml")
	require.NoError(t, err)
	s, err := sc.Build(scenario.Options{})
	require.NoError(t, err)
	g, unwatch := watch(&bytes.Buffer{}, s)
	defer unwatch()
	g.limit = 1  // any heap is above 80% of one byte
	runtime.GC() // so the live heap has been measured
	err = sc.Play(s)
	require.ErrorIs(t, err, sim.ErrStopped)
	require.ErrorIs(t, err, errMemory)
	assert.Contains(t, err.Error(), "model fewer nodes or pods, a shorter until, or raise the limit")
	assert.False(t, g.interrupted())
}

// A run is sized before it starts: one too big for the memory limit is
// refused with the estimate and the settings to change, a large one is
// announced, a small one says nothing.
func TestRunsAreSizedBeforeTheyStart(t *testing.T) {
	sc, err := scenario.Parse("big.yaml", []byte(`nodeGroups: [{name: ng, instanceType: m5.large, count: 1000}]
workloads: [{name: web, replicas: 1000000}]
events:
  - {at: 1h, action: rolloutRestart, workload: web}
  - {at: 2h, action: deletePods, workload: web, count: 10}
  - {at: 3h, action: addNode, nodeGroup: ng, count: 24}
`))
	require.NoError(t, err)
	pods, nodes := runSize(sc)
	assert.Equal(t, 2_000_010, pods)
	assert.Equal(t, 1024, nodes)

	var stderr bytes.Buffer
	err = checkSize(sc, 1<<30, "trunksim run", &stderr)
	require.ErrorIs(t, err, errTooBig)
	assert.Equal(t, "big.yaml: too big for the memory limit: 2000010 pods on 1024 nodes need about 1955 MiB, above 819 MiB (80% of the 1024 MiB memory limit): "+
		"model fewer (workloads[].replicas, nodeGroups[].count) or raise the limit (GOMEMLIMIT)", err.Error())
	assert.Empty(t, stderr.String())

	assert.NoError(t, checkSize(sc, 0, "trunksim run", &stderr), "no limit, no refusal")
	assert.Contains(t, stderr.String(), "a large run: 2000010 pods on 1024 nodes, about 1955 MiB and at least 40s (longer when pods wait for capacity); Ctrl-C stops it with what finished")

	small, err := scenario.Load("../../examples/scale-test/scenario.yaml")
	require.NoError(t, err)
	stderr.Reset()
	assert.NoError(t, checkSize(small, 1<<30, "trunksim run", &stderr))
	assert.Empty(t, stderr.String())
}

// Nodes the provisioners may add are counted: an autoscaled group at its
// maxSize, and for Karpenter a node for every four pods, within the
// NodePools' node limits when they all have one.
func TestRunSizeCountsProvisionedNodes(t *testing.T) {
	pool := func(limit string) string {
		return `  - apiVersion: karpenter.sh/v1
    kind: NodePool
    metadata: {name: p` + limit + `}
    spec:
      template:
        spec:
          requirements: [{key: karpenter.k8s.aws/instance-family, operator: In, values: [m5]}]
          nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
` + map[bool]string{true: "      limits: {nodes: " + limit + "}\n"}[limit != ""]
	}
	class := `ec2NodeClasses:
  - apiVersion: karpenter.k8s.aws/v1
    kind: EC2NodeClass
    metadata: {name: default}
    spec: {amiSelectorTerms: [{alias: al2023@latest}], role: r, subnetSelectorTerms: [{tags: {a: b}}], securityGroupSelectorTerms: [{tags: {a: b}}]}
`
	for _, tc := range []struct {
		name, doc string
		nodes     int
	}{
		{"autoscaled group", "nodeGroups: [{name: ng, instanceType: m5.large, count: 2, autoscaling: {maxSize: 50}}]\nworkloads: [{name: w, replicas: 100}]\n", 50},
		{"unlimited NodePool", "nodePools:\n" + pool("") + class + "workloads: [{name: w, replicas: 100}]\n", 25},
		{"limited NodePools", "nodePools:\n" + pool("3") + pool("4") + class + "workloads: [{name: w, replicas: 100}]\n", 7},
	} {
		sc, err := scenario.Parse("p.yaml", []byte(tc.doc))
		require.NoError(t, err, tc.name)
		_, nodes := runSize(sc)
		assert.Equal(t, tc.nodes, nodes, tc.name)
	}
}
