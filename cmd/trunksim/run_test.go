package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const smoke = "testdata/contract-smoke.yaml"

func runJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	code, stdout, stderr := runCLI(append([]string{"run"}, args...)...)
	require.Equal(t, exitOK, code, stderr)
	var report map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &report), stdout)
	return report
}

// TestRunJSONHasTheContractFields checks the names and types DESIGN.md
// promises for `run -o json`.
func TestRunJSONHasTheContractFields(t *testing.T) {
	r := runJSON(t, smoke, "-o", "json")
	num := func(path ...string) {
		t.Helper()
		var v any = r
		for _, k := range path {
			m, ok := v.(map[string]any)
			require.True(t, ok, "%v is not an object", path)
			v, ok = m[k]
			require.True(t, ok, "missing %s", strings.Join(path, "."))
		}
		assert.IsType(t, float64(0), v, strings.Join(path, "."))
	}
	num("seed")
	num("simulatedSeconds")
	for _, k := range []string{"created", "running", "pending", "failed"} {
		num("pods", k)
	}
	for _, k := range []string{"p50", "p90", "p99", "max"} {
		num("startupLatencySeconds", k)
	}
	num("ec2", "calls", "CreateNetworkInterface")
	num("ec2", "throttled")
	num("ec2", "errors")
	for _, k := range []string{"peakInUse", "peakCooling", "leaked"} {
		num("branchENIs", k)
	}
	num("trunks", "created")
	num("trunks", "deleted")
	num("trunks", "readyLatencySeconds", "p50")
	num("trunks", "readyLatencySeconds", "max")
	require.IsType(t, "", r["traceSHA256"])
	assert.Len(t, r["traceSHA256"], 64)
	assert.Equal(t, 1.0, r["seed"])
	assert.Equal(t, 900.0, r["simulatedSeconds"])
}

func TestRunSeedFlagBeforeOrAfterTheFile(t *testing.T) {
	const rollout = "testdata/rollout.yaml" // throttled: the SDK's back-offs draw on the seed
	after := runJSON(t, rollout, "-o", "json", "--seed", "2")
	before := runJSON(t, "--seed", "2", "-o", "json", rollout)
	assert.Equal(t, 2.0, after["seed"])
	assert.Equal(t, after, before)
	one := runJSON(t, "-o", "json", rollout)
	assert.NotEqual(t, one["traceSHA256"], after["traceSHA256"], "another seed, another run")
	again := runJSON(t, "-o", "json", rollout)
	assert.Equal(t, one, again, "the same seed gives the same report")
}

func TestRunTraceWritesJSONLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.trace")
	code, _, stderr := runCLI("run", smoke, "--trace", path)
	require.Equal(t, exitOK, code, stderr)
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	lines := 0
	for sc.Scan() {
		var v map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &v), sc.Text())
		assert.Contains(t, v, "t")
		assert.Contains(t, v, "event")
		lines++
	}
	assert.Greater(t, lines, 30)
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("seed: 1\nnodeGroups:\n  - name: a\n    instanceType: m5.large\n    count: 1\n    flavour: x\n"), 0o644))
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr []string
	}{
		{"unknown key", []string{bad}, exitFailure, []string{bad + ":6: nodeGroups[0].flavour: unknown field"}},
		{"missing file", []string{filepath.Join(dir, "none.yaml")}, exitFailure, []string{"none.yaml", "no such file"}},
		{"no file", nil, exitUsage, []string{"want exactly one scenario file, got 0", "--help"}},
		{"two files", []string{smoke, smoke}, exitUsage, []string{"got 2"}},
		{"bad format", []string{smoke, "-o", "yaml"}, exitUsage, []string{"want text or json"}},
		{"bad seed", []string{smoke, "--seed", "-1"}, exitUsage, []string{"want a non-negative integer"}},
		{"unknown flag", []string{"--verbose", smoke}, exitUsage, []string{"flag provided but not defined: -verbose"}},
		{"unwritable trace", []string{smoke, "--trace", filepath.Join(dir, "no", "such", "dir", "t")}, exitFailure, []string{"no such file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(append([]string{"run"}, tt.args...)...)
			assert.Equal(t, tt.code, code)
			assert.Empty(t, stdout)
			for _, s := range tt.stderr {
				assert.Contains(t, stderr, s)
			}
		})
	}
}

func TestRunEventFailureStillReports(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ev.yaml")
	require.NoError(t, os.WriteFile(path, []byte("nodeGroups: [{name: ng, instanceType: m5.large, count: 1}]\nevents:\n  - {at: 1m, action: deleteNode, node: ng-7}\n"), 0o644))
	code, stdout, stderr := runCLI("run", path)
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stdout, "Pods ")
	assert.Contains(t, stderr, path+":3: events[0]: scenario event failed: deleteNode")
}

// TestRunGolden pins the text and JSON reports of the scenarios in
// testdata; go test ./cmd/trunksim -update rewrites them.
func TestRunGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		base := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(base, func(t *testing.T) {
			for _, format := range []string{"text", "json"} {
				code, stdout, stderr := runCLI("run", file, "-o", format)
				require.Equal(t, exitOK, code, stderr)
				ext := map[string]string{"text": ".txt", "json": ".json"}[format]
				golden(t, base+ext, stdout)
			}
		})
	}
}

// A broken bound exits 1 and names itself and the miss on stderr; kept
// bounds exit 0; both are listed in the text report.
func TestRunSLO(t *testing.T) {
	code, stdout, stderr := runCLI("run", "testdata/rollout.yaml", "--slo", "p99<=45s", "--slo", "pending==0")
	assert.Equal(t, exitFailure, code)
	assert.Equal(t, "trunksim run: testdata/rollout.yaml: p99 = 49.905s, breaks p99<=45s by 4.905s\n", stderr)
	assert.Contains(t, stdout, "Service levels\n  - p99 = 49.905s, breaks p99<=45s by 4.905s\n  - pending = 0, within pending==0\n")

	code, _, stderr = runCLI("run", "testdata/rollout.yaml", "--slo", "p99<=2m", "--slo", "leaked==0", "-o", "json")
	assert.Equal(t, exitOK, code, stderr)
	assert.Empty(t, stderr)

	code, _, stderr = runCLI("run", "testdata/rollout.yaml", "--slo", "p98<=2m")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, `unknown metric "p98"`)
}

func TestRunReadsStdin(t *testing.T) {
	src, err := os.ReadFile("testdata/rollout.yaml")
	require.NoError(t, err)
	code, stdout, stderr := runCLIWithInput(string(src), "run", "-", "-o", "json")
	require.Equal(t, exitOK, code, stderr)
	want := runJSON(t, "testdata/rollout.yaml", "-o", "json")
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &got))
	assert.Equal(t, want, got)

	code, _, stderr = runCLIWithInput("seed: 1\nnodeGroups: 3\n", "run", "-")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "<stdin>:2: nodeGroups")
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, stdout, stderr := runCLI(args...)
		require.Equal(t, exitOK, code, stderr)
		assert.Regexp(t, `^trunksim \S+( commit [0-9a-f]+( with local changes)?)? go\S+ \w+/\w+\nmodels amazon-vpc-resource-controller-k8s v1\.8\.2 by default .*master.*\n$`, stdout, args)
	}
	code, _, _ := runCLI("version", "extra")
	assert.Equal(t, exitUsage, code)
}
