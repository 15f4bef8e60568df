package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCompletion(t *testing.T) {
	code, bash, stderr := runCLI("completion", "bash")
	require.Equal(t, exitOK, code, stderr)
	for _, c := range commands {
		assert.Contains(t, bash, " "+c+") flags=")
	}
	assert.Contains(t, bash, `run) flags="--html --o --plot --seed --slo --trace"`)
	assert.Contains(t, bash, `explain) flags="--max --o --pending --pod --seed --slowest"`)
	if sh, err := exec.LookPath("bash"); err == nil {
		cmd := exec.Command(sh, "-n")
		cmd.Stdin = strings.NewReader(bash)
		out, err := cmd.CombinedOutput()
		assert.NoError(t, err, "bash -n: %s", out)
	}

	code, zsh, _ := runCLI("completion", "zsh")
	require.Equal(t, exitOK, code)
	assert.True(t, strings.HasPrefix(zsh, "autoload -U +X bashcompinit && bashcompinit\n"))
	assert.True(t, strings.HasSuffix(zsh, bash))

	code, fish, _ := runCLI("completion", "fish")
	require.Equal(t, exitOK, code)
	assert.Contains(t, fish, "complete -c trunksim -n '__fish_seen_subcommand_from run' -l slo\n")

	code, _, stderr = runCLI("completion", "tcsh")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, `unknown shell "tcsh"`)
	code, _, _ = runCLI("completion")
	assert.Equal(t, exitUsage, code)
}
