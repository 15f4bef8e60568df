package examples

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/scenario"
)

var update = flag.Bool("update", false, "rewrite testdata/trace-hashes.golden from the current simulator")

const hashesFile = "testdata/trace-hashes.golden"

// hashSeeds are run for every example besides the scenario's own seed, so
// the golden file pins the random paths (kubelet jitter, retry jitter)
// under more than one draw.
var hashSeeds = []uint64{2, 3}

// TestTraceHashesAreUnchanged pins the trace of every example scenario:
// the simulator's output is a function of the scenario and the seed
// alone, and a change that alters any byte of any trace is a change of
// behaviour, not of speed. After a deliberate change of behaviour,
// regenerate the file with
//
//	go test ./examples -run TestTraceHashesAreUnchanged -update
//
// and explain the new hashes in the commit.
func TestTraceHashesAreUnchanged(t *testing.T) {
	var got strings.Builder
	got.WriteString("# scenario seed traceSHA256 (go test ./examples -run TestTraceHashesAreUnchanged -update)\n")
	for _, f := range scenarios(t) {
		sc, err := scenario.Load(f)
		require.NoError(t, err)
		for _, seed := range append([]uint64{sc.Seed}, hashSeeds...) {
			var trace bytes.Buffer
			r, err := sc.Run(scenario.Options{Seed: &seed, Trace: &trace})
			require.NoError(t, err, "%s seed %d", f, seed)
			sum := sha256.Sum256(trace.Bytes())
			require.Equal(t, hex.EncodeToString(sum[:]), r.TraceSHA256,
				"%s seed %d: the report's hash must be the SHA-256 of the trace file's bytes", f, seed)
			fmt.Fprintf(&got, "%s %d %s\n", filepath.ToSlash(f), seed, r.TraceSHA256)
		}
	}
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(hashesFile), 0o755))
		require.NoError(t, os.WriteFile(hashesFile, []byte(got.String()), 0o644))
		return
	}
	want, err := os.ReadFile(hashesFile)
	require.NoError(t, err, "run with -update to create it")
	assert.Equal(t, string(want), got.String())
}
