package main

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunPlotWritesAWellFormedSVG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.svg")
	code, _, stderr := runCLI("run", smoke, "--plot", path)
	require.Equal(t, exitOK, code, stderr)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NotEmpty(t, data)
	dec := xml.NewDecoder(bytes.NewReader(data))
	paths, rects := 0, 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		if se, ok := tok.(xml.StartElement); ok {
			switch se.Name.Local {
			case "path":
				paths++
			case "rect":
				rects++
			}
		}
	}
	assert.Greater(t, paths, 10, "axes, grid and four series")
	assert.Greater(t, rects, 5, "legend and histogram bars")
	for _, title := range []string{"pods", "branch ENIs", "start-up latency"} {
		assert.Contains(t, string(data), title)
	}
	// Same run, same picture.
	again := filepath.Join(t.TempDir(), "again.svg")
	code, _, _ = runCLI("run", smoke, "--plot", again)
	require.Equal(t, exitOK, code)
	data2, err := os.ReadFile(again)
	require.NoError(t, err)
	assert.Equal(t, string(data), strings.ReplaceAll(string(data2), again, path))
}

func TestRunPlotToAnUnwritablePathFails(t *testing.T) {
	code, _, stderr := runCLI("run", smoke, "--plot", filepath.Join(t.TempDir(), "no", "such", "dir.svg"))
	assert.Equal(t, exitFailure, code)
	assert.Contains(t, stderr, "writing the plot")
}
