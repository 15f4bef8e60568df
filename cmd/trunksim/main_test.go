package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// runCLI runs the command line in-process, with nothing on stdin.
func runCLI(args ...string) (code int, stdout, stderr string) {
	return runCLIWithInput("", args...)
}

// runCLIWithInput runs the command line in-process with stdin as input.
func runCLIWithInput(stdin string, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./cmd/trunksim -update to create it")
	assert.Equal(t, string(want), got, "%s differs; rerun with -update if the change is intended", path)
}

func TestMainUsage(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"no command", nil, exitUsage, "", "usage: trunksim <command>"},
		{"help", []string{"help"}, exitOK, "Exit status: 0 success; 1", ""},
		{"--help", []string{"--help"}, exitOK, "Commands:", ""},
		{"-h", []string{"-h"}, exitOK, "Commands:", ""},
		{"unknown command", []string{"simulate"}, exitUsage, "", `unknown command "simulate"`},
		{"help on an unknown command", []string{"help", "simulate"}, exitUsage, "", `unknown command "simulate"`},
		{"help run", []string{"help", "run"}, exitOK, "trunksim run rollout.yaml -o json --seed 7", ""},
		{"run --help", []string{"run", "--help"}, exitOK, "-trace FILE", ""},
		{"run -h", []string{"run", "-h"}, exitOK, "Examples:", ""},
		{"help plan", []string{"help", "plan"}, exitOK, "trunksim plan --sg-pods 500", ""},
		{"plan --help", []string{"plan", "--help"}, exitOK, "-preset preset", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(tt.args...)
			assert.Equal(t, tt.code, code)
			assert.Contains(t, stdout, tt.stdout)
			assert.Contains(t, stderr, tt.stderr)
			if tt.code == exitOK {
				assert.Empty(t, stderr)
			} else {
				assert.Empty(t, stdout)
			}
		})
	}
}

func TestHelpDispatchesToLimits(t *testing.T) {
	code, stdout, stderr := runCLI("help", "limits")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stdout+stderr, "trunksim limits")
}

func TestLimitsIsDispatched(t *testing.T) {
	code, stdout, _ := runCLI("limits", "-o", "json", "m5.large")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, stdout, `"instanceType": "m5.large"`)

	code, _, stderr := runCLI("limits", "no-such.type")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "no-such.type")
}

func TestChoiceFlag(t *testing.T) {
	c := newChoice("text", "text", "json")
	assert.Equal(t, "text", c.String())
	require.NoError(t, c.Set("json"))
	assert.Equal(t, "json", c.String())
	assert.EqualError(t, c.Set("yaml"), "want text or json")
	assert.Equal(t, "json", c.String(), "a refused value changes nothing")
	assert.Equal(t, "", (*choice)(nil).String())
}

func TestSecondsFormatsDurations(t *testing.T) {
	for in, want := range map[float64]string{0: "0s", 0.3: "300ms", 12.91: "12.91s", 134.764193476: "2m14.764s", 3600: "1h0m0s"} {
		assert.Equal(t, want, seconds(in), "%v", in)
	}
	assert.Equal(t, "1 pod", plural(1, "pod"))
	assert.Equal(t, "0 pods", plural(0, "pod"))
}
