package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestImportCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "scenario.yaml")
	kubectl, err := filepath.Glob("../../examples/imported/kubectl/*.yaml")
	require.NoError(t, err)
	aws, err := filepath.Glob("../../examples/imported/aws/*.json")
	require.NoError(t, err)
	code, stdout, stderr := runCLI(append(append(append([]string{"import"}, kubectl...), aws...), "-o", out)...)
	require.Equal(t, exitOK, code, stderr)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "warning: ../../examples/imported/kubectl/aws-node.yaml: service/kube-system/kube-dns (v1) skipped")
	assert.Contains(t, stderr, "warning: node/ip-10-0-1-30.eu-west-1.compute.internal: its CNINode lacks the SecurityGroupsForPods feature",
		"a warning found while writing is printed too")
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	want, err := os.ReadFile("../../examples/imported/scenario.yaml")
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))

	code, _, stderr = runCLI("run", out, "-o", "json")
	assert.Equal(t, exitOK, code, stderr)

	// Standard input, to standard output.
	src, err := os.ReadFile("../../examples/imported/kubectl/cluster.yaml")
	require.NoError(t, err)
	code, stdout, stderr = runCLIWithInput(string(src), "import", "-")
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "# Imported from <stdin> by trunksim import.\n")

	code, _, stderr = runCLI("import")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "want at least one file")
	code, _, stderr = runCLIWithInput("apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n", "import", "-")
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "<stdin>: node/n1: metadata.labels")
}
