package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	shopBroken = "../../examples/reachability/scenario.yaml"
	shopFixed  = "../../examples/reachability/fixed.yaml"
)

func TestCheckExitsNonZeroOnErrors(t *testing.T) {
	code, stdout, stderr := runCLI("check", shopBroken)
	assert.Equal(t, exitFailure, code, "errors fail the check, so it can guard CI")
	assert.Empty(t, stderr)
	assert.Contains(t, stdout, "10 flows judged: 5 errors, 2 warnings")
	assert.Contains(t, stdout, "1. ERROR dns: checkout cannot resolve names: udp 53 to coredns is denied")

	code, stdout, stderr = runCLI("check", shopFixed)
	assert.Equal(t, exitOK, code, stdout)
	assert.Empty(t, stderr)
	assert.Contains(t, stdout, "0 errors, 0 warnings")
}

func TestCheckWarningsAloneExitZero(t *testing.T) {
	data, err := os.ReadFile(shopFixed)
	require.NoError(t, err)
	// A policy whose selector matches no workload is only a warning.
	extra := strings.Replace(string(data), "securityGroupPolicies:\n", `securityGroupPolicies:
  - apiVersion: vpcresources.k8s.aws/v1beta1
    kind: SecurityGroupPolicy
    metadata: {name: reports, namespace: default}
    spec:
      podSelector: {matchLabels: {app: reporting}}
      securityGroups: {groupIds: [sg-0a1b2c3d4e5f60002]}
`, 1)
	path := filepath.Join(t.TempDir(), "warn.yaml")
	require.NoError(t, os.WriteFile(path, []byte(extra), 0o644))
	code, stdout, _ := runCLI("check", path)
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stdout, "0 errors, 1 warning")
	assert.Contains(t, stdout, "WARNING policy-unused: SecurityGroupPolicy default/reports selects no workload")
}

func TestCheckJSON(t *testing.T) {
	code, stdout, _ := runCLI("check", shopBroken, "-o", "json")
	assert.Equal(t, exitFailure, code)
	var r struct {
		File      string `json:"file"`
		Mode      string `json:"mode"`
		OK        bool   `json:"ok"`
		Errors    int    `json:"errors"`
		Warnings  int    `json:"warnings"`
		Flows     int    `json:"flows"`
		Workloads []struct {
			Name   string   `json:"name"`
			Groups []string `json:"groups"`
			Runs   bool     `json:"runs"`
		} `json:"workloads"`
		Findings []struct {
			Severity string `json:"severity"`
			Code     string `json:"code"`
			Workload string `json:"workload"`
			Summary  string `json:"summary"`
			Verdict  struct {
				Flow    string `json:"flow"`
				Allowed bool   `json:"allowed"`
				Path    string `json:"path"`
				Checks  []struct {
					Kind    string `json:"kind"`
					Passed  bool   `json:"passed"`
					NoRoute string `json:"noRoute"`
				} `json:"checks"`
			} `json:"verdict"`
			Fixes []struct {
				Kind      string `json:"kind"`
				Command   string `json:"command"`
				Group     string `json:"group"`
				Direction string `json:"direction"`
				Rule      string `json:"rule"`
				Env       string `json:"env"`
			} `json:"fixes"`
			Alternatives [][]struct {
				Env string `json:"env"`
			} `json:"alternatives"`
		} `json:"findings"`
		Notes []string `json:"notes"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &r), stdout)
	assert.Equal(t, "strict", r.Mode)
	assert.False(t, r.OK)
	assert.Equal(t, 5, r.Errors)
	assert.Equal(t, 2, r.Warnings)
	assert.Equal(t, 10, r.Flows)
	require.Len(t, r.Workloads, 3)
	assert.Nil(t, r.Workloads[0].Groups, "frontend has no groups of its own")
	assert.Equal(t, []string{"sg-0a1b2c3d4e5f60002"}, r.Workloads[1].Groups)
	require.Len(t, r.Findings, 7)
	f := r.Findings[0]
	assert.Equal(t, "error", f.Severity)
	assert.Equal(t, "dns", f.Code)
	assert.Equal(t, "checkout → coredns udp 53", f.Verdict.Flow)
	assert.Equal(t, "vpc", f.Verdict.Path)
	assert.Equal(t, "egress", f.Verdict.Checks[0].Kind)
	assert.Equal(t, "add-rule", f.Fixes[0].Kind)
	assert.Equal(t, "sg-0a1b2c3d4e5f60002", f.Fixes[0].Group)
	assert.Equal(t, "egress", f.Fixes[0].Direction)
	assert.Equal(t, "udp 53 sg-0a1b2c3d4e5f60001", f.Fixes[0].Rule)
	assert.Contains(t, f.Fixes[0].Command, "aws ec2 authorize-security-group-egress")
	internet := r.Findings[4]
	assert.Equal(t, "internet", internet.Code)
	assert.Equal(t, "public-subnet", internet.Verdict.Checks[0].NoRoute)
	assert.Equal(t, "POD_SECURITY_GROUP_ENFORCING_MODE", internet.Alternatives[0][0].Env)
	assert.NotEmpty(t, r.Notes)

	code, stdout, _ = runCLI("check", "-o", "json", shopFixed)
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stdout, `"findings": []`)
}

func TestCheckUsageAndFailures(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("securityGroups:\n  - id: sg-0000000a\n    ingress:\n      - {protocol: tcp, cidr: 10.0.0.0/8}\n"), 0o644))
	ipv6 := filepath.Join(t.TempDir(), "v6.yaml")
	require.NoError(t, os.WriteFile(ipv6, []byte("cni: {ipFamily: ipv6}\n"), 0o644))
	for _, tt := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"no file", []string{"check"}, exitUsage, "", "want exactly one scenario file, got 0"},
		{"two files", []string{"check", shopBroken, shopFixed}, exitUsage, "", "got 2"},
		{"bad format", []string{"check", shopBroken, "-o", "yaml"}, exitUsage, "", "want text or json"},
		{"missing file", []string{"check", "no-such.yaml"}, exitFailure, "", "no-such.yaml"},
		{"file that does not parse", []string{"check", bad}, exitFailure, "", "bad.yaml:4: securityGroups[0].ingress[0].port: missing required field"},
		{"cluster the check does not model", []string{"check", ipv6}, exitFailure, "", "reach: not modelled: IPFamily"},
		{"--help", []string{"check", "--help"}, exitOK, "trunksim check cluster.yaml -o json", ""},
		{"help check", []string{"help", "check"}, exitOK, "guard a CI pipeline", ""},
		{"listed in the main usage", []string{"help"}, exitOK, "check      whether security-group pods", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(tt.args...)
			assert.Equal(t, tt.code, code, "stdout %s\nstderr %s", stdout, stderr)
			assert.Contains(t, stdout, tt.stdout)
			assert.Contains(t, stderr, tt.stderr)
		})
	}
}

// TestReachabilityREADMEShowsRealOutput runs every command the example's
// README shows and compares the output and exit status printed there.
func TestReachabilityREADMEShowsRealOutput(t *testing.T) {
	data, err := os.ReadFile("../../examples/reachability/README.md")
	require.NoError(t, err)
	// A session is a fenced block: "$ trunksim ...", its output, then
	// "$ echo $?" and the status.
	session := regexp.MustCompile("(?s)```text\n\\$ trunksim (.*?)\n(.*?)\\$ echo \\$\\?\n(\\d+)\n```")
	found := session.FindAllStringSubmatch(string(data), -1)
	require.NotEmpty(t, found, "the README shows no session")
	for _, m := range found {
		args := strings.Fields(m[1])
		for i, a := range args {
			if strings.HasPrefix(a, "examples/") {
				args[i] = "../../" + a
			}
		}
		code, stdout, stderr := runCLI(args...)
		require.Empty(t, stderr)
		stdout = strings.ReplaceAll(stdout, "../../examples/", "examples/")
		assert.Equal(t, m[2], stdout, "README output of `trunksim %s` is stale", m[1])
		want, _ := strconv.Atoi(m[3])
		assert.Equal(t, want, code, "README exit status of `trunksim %s`", m[1])
	}
}
