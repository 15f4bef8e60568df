package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The networking flags' output, table and JSON, as golden files.
func TestLimitsNetworkingGoldens(t *testing.T) {
	tests := []struct {
		file string
		args []string
	}{
		{"limits-ipv6.txt", []string{"--ip-family", "ipv6", "m5.large", "c5.xlarge", "t3.large"}},
		{"limits-ipv6-old-cni.txt", []string{"--ip-family", "ipv6", "--cni-version", "v1.15.1", "m5.large"}},
		{"limits-custom-networking.txt", []string{"--custom-networking", "m5.large", "c5.xlarge"}},
		{"limits-prefix-delegation.json", []string{"-o", "json", "--prefix-delegation", "--max-pods", "110", "m5.large", "m4.large"}},
		{"limits-old-cni.txt", []string{"--cni-version", "v1.16.3", "m5.large"}},
		{"limits-max-eni.txt", []string{"--max-eni", "1", "m5.large", "c5.xlarge"}},
		{"limits-max-eni-2.json", []string{"-o", "json", "--max-eni", "2", "m5.large"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			code, stdout, stderr := runLimitsForTest(t, tt.args...)
			require.Equal(t, 0, code, stderr)
			golden(t, tt.file, stdout)
		})
	}
}

// Upstream (VPC CNI v1.23.2): pkg/ipamd/ipamd.go isConfigValid; the
// worked examples: IPv6 m5.large 27 ordinary pods, custom networking with
// a trunk 9 IP pods.
func TestLimitsNetworkingFlagsJSON(t *testing.T) {
	code, stdout, stderr := runLimitsForTest(t, "-o", "json", "--ip-family=ipv6", "m5.large")
	require.Equal(t, 0, code, stderr)
	var rows []map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &rows))
	assert.EqualValues(t, 27, rows[0]["regularPodsWithTrunk"])
	assert.Equal(t, "max-pods", rows[0]["regularBindingWithTrunk"])
	assert.Equal(t, "ipv6", rows[0]["networking"].(map[string]any)["ipFamily"])

	code, stdout, stderr = runLimitsForTest(t, "-o", "json", "--custom-networking", "m5.large")
	require.Equal(t, 0, code, stderr)
	require.NoError(t, json.Unmarshal([]byte(stdout), &rows))
	assert.EqualValues(t, 9, rows[0]["ipPodsWithTrunk"])
	assert.EqualValues(t, 20, rows[0]["podsWithTrunk"])
	assert.Equal(t, "ips", rows[0]["bindingLimitWithTrunk"])

	// Before v1.9.0 there is no prefix delegation; the flag changes nothing.
	_, plain, _ := runLimitsForTest(t, "-o", "json", "--cni-version", "v1.8.0", "m5.large")
	_, pd, _ := runLimitsForTest(t, "-o", "json", "--cni-version", "v1.8.0", "--prefix-delegation", "m5.large")
	assert.Contains(t, plain, `"ipPodsWithTrunk": 27`, "the trunk carried addresses before v1.16.4")
	assert.Contains(t, pd, `"ipPodsWithTrunk": 27`)
}

func TestLimitsNetworkingFlagErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"family", []string{"--ip-family", "dual", "m5.large"}, "want ipv4 or ipv6"},
		{"version", []string{"--cni-version", "1.x", "m5.large"}, "want a release such as v1.20.4"},
		{"old version", []string{"--cni-version", "v1.6.0", "m5.large"}, "need CNI v1.7.0 or later"},
		{"max pods", []string{"--max-pods", "-3", "m5.large"}, "max pods -3"},
		{"ipv6 and custom networking", []string{"--ip-family", "ipv6", "--custom-networking", "m5.large"}, "IPv6 with custom networking"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runLimitsForTest(t, tt.args...)
			assert.Equal(t, 2, code)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, tt.want)
		})
	}
}
