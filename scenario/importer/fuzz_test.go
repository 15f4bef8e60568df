package importer_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trunksim/trunksim/scenario"
	"github.com/trunksim/trunksim/scenario/importer"
)

// FuzzImport checks that no input makes Read or Scenario panic, that
// every failure is an *ObjectError, and that every scenario written loads.
// The seed corpus is the shipped snapshot's files, kubectl's and the AWS
// CLI's.
func FuzzImport(f *testing.F) {
	for _, glob := range []string{"../../examples/imported/kubectl/*.yaml", "../../examples/imported/aws/*.json"} {
		files, err := filepath.Glob(glob)
		require.NoError(f, err)
		for _, file := range files {
			data, err := os.ReadFile(file)
			require.NoError(f, err)
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := importer.New()
		err := s.Read("fuzz.yaml", strings.NewReader(string(data)))
		var out []byte
		if err == nil {
			out, err = s.Scenario()
		}
		if err != nil {
			var e *importer.ObjectError
			if !errors.As(err, &e) && !strings.Contains(err.Error(), "does not load") {
				t.Fatalf("error is a %T, not an *ObjectError: %v", err, err)
			}
			return
		}
		_, err = scenario.Parse("imported.yaml", out)
		require.NoError(t, err, "%s", out)
	})
}
