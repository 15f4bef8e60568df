package scenario

import (
	"errors"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzParse checks that no input makes Parse panic, that every failure is
// an *Error, and that whatever parses survives Marshal and Parse again
// unchanged. The seed corpus is in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, file := range []string{"testdata/contract-smoke.yaml", "testdata/every-key.yaml"} {
		data, err := os.ReadFile(file)
		require.NoError(f, err)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := Parse("fuzz.yaml", data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error is a %T, not an *Error: %v", err, err)
			}
			if sc != nil {
				t.Fatal("Parse returned a scenario and an error")
			}
			return
		}
		out, err := sc.Marshal()
		require.NoError(t, err)
		back, err := Parse("fuzz.yaml", out)
		require.NoError(t, err, "%s", out)
		require.Equal(t, plain(sc), plain(back), "%s", out)
	})
}
