package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func runLimitsForTest(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = runLimits(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestLimitsJSONShape(t *testing.T) {
	code, stdout, stderr := runLimitsForTest(t, "-o", "json", "m5.large", "c5.xlarge", "t3.large")
	require.Equal(t, 0, code, stderr)
	assert.Empty(t, stderr)

	var rows []map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &rows))
	require.Len(t, rows, 3)
	for _, row := range rows {
		for _, key := range []string{"instanceType", "hypervisor"} {
			assert.IsType(t, "", row[key], key)
		}
		for _, key := range []string{"interfaces", "ipv4PerInterface", "branchInterfaces", "maxPods",
			"ipPodsWithTrunk", "ipPodsWithoutTrunk", "branchPods"} {
			assert.IsType(t, float64(0), row[key], key)
		}
		for _, key := range []string{"trunkingCompatible", "bareMetal"} {
			assert.IsType(t, false, row[key], key)
		}
	}

	m5, c5, t3 := rows[0], rows[1], rows[2]
	assert.Equal(t, "m5.large", m5["instanceType"])
	assert.EqualValues(t, 29, m5["maxPods"])
	assert.EqualValues(t, 27, m5["ipPodsWithoutTrunk"])
	assert.EqualValues(t, 18, m5["ipPodsWithTrunk"])
	assert.EqualValues(t, 9, m5["branchPods"])
	assert.Equal(t, "nitro", m5["hypervisor"])
	assert.NotContains(t, m5, "trunkIneligibleReason")

	assert.EqualValues(t, 58, c5["maxPods"])
	assert.EqualValues(t, 56, c5["ipPodsWithoutTrunk"])
	assert.EqualValues(t, 42, c5["ipPodsWithTrunk"])
	assert.EqualValues(t, 58, c5["podsWithTrunk"])
	assert.Equal(t, "max-pods", c5["bindingLimitWithTrunk"])

	assert.Equal(t, false, t3["trunkingCompatible"])
	assert.Equal(t, "burstable", t3["trunkIneligibleReason"])
	assert.NotContains(t, t3, "podsWithTrunk")
	assert.NotContains(t, t3, "bindingLimitWithTrunk")
}

func TestLimitsJSONAllTypes(t *testing.T) {
	code, stdout, stderr := runLimitsForTest(t, "-o", "json")
	require.Equal(t, 0, code, stderr)
	var rows []struct {
		InstanceType          string `json:"instanceType"`
		TrunkingCompatible    bool   `json:"trunkingCompatible"`
		Hypervisor            string `json:"hypervisor"`
		BareMetal             bool   `json:"bareMetal"`
		TrunkIneligibleReason string `json:"trunkIneligibleReason"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &rows))
	require.Len(t, rows, 1423)
	reasons := map[string]int{}
	for _, r := range rows {
		assert.Equal(t, r.TrunkingCompatible, r.TrunkIneligibleReason == "", r.InstanceType)
		assert.Equal(t, r.BareMetal, r.Hypervisor == "none", r.InstanceType)
		if r.TrunkIneligibleReason != "" {
			reasons[r.TrunkIneligibleReason]++
		}
	}
	assert.Equal(t, map[string]int{"burstable": 29, "xen": 72, "not-compatible": 2}, reasons)
}

func TestLimitsTableExplains(t *testing.T) {
	code, stdout, stderr := runLimitsForTest(t, "m5.large", "c5.xlarge", "t3.large")
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(stdout, "\n")
	require.Greater(t, len(lines), 5)
	assert.Equal(t, strings.Fields("TYPE ENIS IPV4/ENI TRUNK MAX PODS IP PODS IP PODS BRANCH PODS PODS BINDS"), strings.Fields(lines[1]))
	assert.Equal(t, strings.Fields("m5.large 3 10 yes 29 27 18 9 29 max pods"), strings.Fields(lines[2]))
	assert.Equal(t, strings.Fields("c5.xlarge 4 15 yes 58 56 42 18 58 max pods"), strings.Fields(lines[3]))
	assert.Equal(t, strings.Fields("t3.large 3 12 no 35 33 - - - -"), strings.Fields(lines[4]))

	assert.Contains(t, stdout, "t3.large cannot hold a trunk ENI: burstable t3 family instances are not trunking compatible.\n")
	assert.Contains(t, stdout, "c5.xlarge with a trunk: 2 host-network + 42 IP + 18 branch = 62 > 58 max pods: kubelet max pods binds;")
	assert.Contains(t, stdout, "m5.large with a trunk: 2 host-network + 18 IP + 9 branch = 29 = 29 max pods: kubelet max pods binds; with no branch pods, 9 scheduled pods would wait for an IP.\n")
	assert.Contains(t, stdout, "MAX PODS is kubelet's limit")
	for i, line := range lines {
		assert.Equal(t, strings.TrimRight(line, " "), line, "line %d has trailing spaces", i+1)
	}
}

func TestLimitsTableAllTypesSummarises(t *testing.T) {
	code, stdout, stderr := runLimitsForTest(t)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "1320 of 1423 instance types can hold a trunk ENI.\n")
	assert.Contains(t, stdout, "m4.large cannot hold a trunk ENI: it runs on the Xen hypervisor, and trunk ENIs need the Nitro system.\n")
	assert.Contains(t, stdout, "u-6tb1.56xlarge cannot hold a trunk ENI: the instance type is not listed as trunking compatible.\n")
	assert.NotContains(t, stdout, "with a trunk: ", "per-type capacity lines only for named types")
}

func TestLimitsUnknownType(t *testing.T) {
	code, stdout, stderr := runLimitsForTest(t, "m5.large", "m5.larg", "M5.Large", "xyz")
	assert.Equal(t, 1, code)
	assert.Empty(t, stdout, "nothing is printed when a name is wrong")
	assert.Equal(t, `trunksim limits: unknown instance type "m5.larg"; did you mean m5.large?
trunksim limits: unknown instance type "M5.Large"; did you mean m5.large?
trunksim limits: unknown instance type "xyz"
`, stderr)
}

func TestLimitsFlagsAnywhere(t *testing.T) {
	_, before, _ := runLimitsForTest(t, "-o", "json", "m5.large", "t3.large")
	_, between, _ := runLimitsForTest(t, "m5.large", "-o", "json", "t3.large")
	code, after, stderr := runLimitsForTest(t, "m5.large", "t3.large", "-o=json")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, before, between)
	assert.Equal(t, before, after)
	assert.True(t, strings.HasPrefix(after, "["))

	// After "--" everything is a type name.
	code, _, stderr = runLimitsForTest(t, "--", "-o")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `unknown instance type "-o"`)
}

func TestLimitsUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"help", []string{"--help"}, 0, "trunksim limits m5.large c5.xlarge t3.large"},
		{"short help", []string{"-h"}, 0, "usage: trunksim limits [TYPE...] [-o table|json]"},
		{"bad format", []string{"-o", "yaml", "m5.large"}, 2, `invalid value "yaml" for flag -o: want table or json`},
		{"missing format", []string{"m5.large", "-o"}, 2, "flag needs an argument: -o"},
		{"unknown flag", []string{"--wide"}, 2, "flag provided but not defined: -wide"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runLimitsForTest(t, tt.args...)
			assert.Equal(t, tt.code, code)
			if tt.code == 0 { // help goes to standard output
				assert.Empty(t, stderr)
				assert.Contains(t, stdout, tt.want)
				assert.Contains(t, stdout, "Examples:")
				return
			}
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, tt.want)
			assert.Contains(t, stderr, "Run 'trunksim limits --help' for usage.")
		})
	}
}

// The --controller-version flag selects a release's table, and both
// output formats name it.
func TestLimitsControllerVersionGolden(t *testing.T) {
	types := []string{"i4i.large", "i7ie.48xlarge", "i8ge.48xlarge", "r9g.large", "c8ib.large"}
	code, stdout, stderr := runLimitsForTest(t, append([]string{"--controller-version", "v1.8.2"}, types...)...)
	require.Equal(t, 0, code, stderr)
	golden(t, "limits-v1.8.2.txt", stdout)
	code, stdout, stderr = runLimitsForTest(t, append([]string{"--controller-version", "v1.8.2", "-o", "json"}, types...)...)
	require.Equal(t, 0, code, stderr)
	golden(t, "limits-v1.8.2.json", stdout)
}

func TestLimitsControllerVersion(t *testing.T) {
	tests := []struct {
		release, summary string
	}{
		{"v1.7.19", "1060 of 1164 instance types can hold a trunk ENI.\n"},
		{"master", "1060 of 1164 instance types can hold a trunk ENI.\n"},
		{"v1.7.22", "1186 of 1290 instance types can hold a trunk ENI.\n"},
		{"v1.7.23", "1242 of 1346 instance types can hold a trunk ENI.\n"},
		{"v1.8.1", "1298 of 1401 instance types can hold a trunk ENI.\n"},
		{"v1.8.2", "1320 of 1423 instance types can hold a trunk ENI.\n"},
	}
	for _, tt := range tests {
		t.Run(tt.release, func(t *testing.T) {
			code, stdout, stderr := runLimitsForTest(t, "--controller-version", tt.release)
			require.Equal(t, 0, code, stderr)
			assert.Contains(t, stdout, tt.summary)
			assert.Contains(t, stdout, "Instance table of resource-controller release "+tt.release)
		})
	}
	// The default is the newest release's table, and JSON rows say so.
	code, stdout, _ := runLimitsForTest(t, "-o", "json", "m5.large")
	require.Equal(t, 0, code)
	var rows []map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &rows))
	assert.Equal(t, "v1.8.2", rows[0]["controllerRelease"])

	// A type only a newer release knows is unknown to an older table.
	code, _, stderr := runLimitsForTest(t, "--controller-version", "v1.8.1", "r9g.large")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `unknown instance type "r9g.large"`)
}

func TestLimitsUnknownControllerVersion(t *testing.T) {
	code, stdout, stderr := runLimitsForTest(t, "--controller-version", "v1.9.0", "m5.large")
	assert.Equal(t, 2, code)
	assert.Empty(t, stdout)
	assert.Equal(t, `trunksim limits: --controller-version: unknown controller release "v1.9.0" (known: v1.7.19, v1.7.20, v1.7.22, v1.7.23, v1.7.24, v1.7.25, v1.8.0, v1.8.1, v1.8.2, master)
`, stderr)
}
