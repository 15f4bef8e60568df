package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/util/yaml"

	"github.com/trunksim/trunksim/sweep"
)

// deploy/sweep-job.yaml is a valid Indexed Job (decoded strictly with the
// real batch/v1 type) whose pods run a sweep the CLI accepts, one shard
// per completion index.
func TestSweepJobManifest(t *testing.T) {
	f, err := os.Open("../../deploy/sweep-job.yaml")
	require.NoError(t, err)
	defer f.Close()
	var job batchv1.Job
	dec := yaml.NewYAMLOrJSONDecoder(f, 4096)
	require.NoError(t, dec.Decode(&job))
	assert.Equal(t, "batch/v1", job.APIVersion)
	assert.Equal(t, "Job", job.Kind)
	require.NotNil(t, job.Spec.CompletionMode)
	assert.Equal(t, batchv1.IndexedCompletion, *job.Spec.CompletionMode)
	require.NotNil(t, job.Spec.Completions)
	n := int(*job.Spec.Completions)

	require.Len(t, job.Spec.Template.Spec.Containers, 1)
	args := job.Spec.Template.Spec.Containers[0].Args
	require.NotEmpty(t, args)
	assert.Equal(t, "sweep", args[0])
	known := map[string]bool{}
	for _, f := range commandFlags()["sweep"] {
		known[f] = true
	}
	for i := 2; i < len(args); i += 2 {
		name := strings.TrimLeft(args[i], "-")
		require.True(t, known[name], "sweep has no flag %s", args[i])
		require.Less(t, i+1, len(args), "%s wants a value", args[i])
		v := args[i+1]
		switch name {
		case "seeds":
			_, err := sweep.ParseSeeds(v)
			assert.NoError(t, err)
		case "set":
			_, err := sweep.ParseAxis(v)
			assert.NoError(t, err)
		case "shard":
			assert.Equal(t, fmt.Sprintf("auto/%d", n), v, "one shard per completion")
		case "out":
			// Kubernetes expands $(VAR) in args from the container's
			// environment; the Job controller sets the index there.
			assert.Contains(t, v, "$("+jobIndexEnv+")")
		}
	}
	assert.Equal(t, n, int(*job.Spec.Parallelism))
}

// --shard auto/N reads the index from the Job's variable, and refuses to
// guess when it is not set.
func TestSweepShardAuto(t *testing.T) {
	t.Setenv(jobIndexEnv, "1")
	code, auto, stderr := runCLI("sweep", "../../sweep/testdata/small.yaml", "--seeds", "1-6", "--shard", "auto/3", "-o", "jsonl")
	require.Equal(t, exitOK, code, stderr)
	code, explicit, stderr := runCLI("sweep", "../../sweep/testdata/small.yaml", "--seeds", "1-6", "--shard", "1/3", "-o", "jsonl")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, explicit, auto)

	t.Setenv(jobIndexEnv, "3")
	code, _, stderr = runCLI("sweep", "../../sweep/testdata/small.yaml", "--shard", "auto/3")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "0 <= i < n")

	require.NoError(t, os.Unsetenv(jobIndexEnv))
	code, _, stderr = runCLI("sweep", "../../sweep/testdata/small.yaml", "--shard", "auto/3")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "$JOB_COMPLETION_INDEX is not set")
}

// --out writes the results whole, and the shards of a Job merge into what
// one machine prints.
func TestSweepOutShardsMerge(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for i := range 3 {
		t.Setenv(jobIndexEnv, string(rune('0'+i)))
		path := dir + "/shard-" + string(rune('0'+i)) + ".jsonl"
		code, stdout, stderr := runCLI("sweep", "../../sweep/testdata/small.yaml", "--seeds", "1-7", "--shard", "auto/3", "-o", "jsonl", "--out", path)
		require.Equal(t, exitOK, code, stderr)
		assert.Empty(t, stdout)
		files = append(files, path)
	}
	code, merged, stderr := runCLI(append([]string{"sweep", "merge", "-o", "jsonl"}, files...)...)
	require.Equal(t, exitOK, code, stderr)
	code, one, stderr := runCLI("sweep", "../../sweep/testdata/small.yaml", "--seeds", "1-7", "-o", "jsonl")
	require.Equal(t, exitOK, code, stderr)
	assert.Equal(t, one, merged)
}

// The script that runs the Job's shards locally passes (it builds the CLI,
// so it runs only where bash is).
func TestRunShardsLocallyScript(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the CLI")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	out, err := exec.Command(bash, "../../deploy/run-shards-locally.sh", "sweep/testdata/small.yaml", "3").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "ok: 3 shards merged equal one machine's sweep")
}
