package main

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
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

// Count axes tick whole numbers, at most maxTicks of them, and cover
// the data; time axes tick round durations written as m:ss or h:mm.
func TestPlotAxes(t *testing.T) {
	for _, v := range []float64{0.5, 1, 3, 7, 12, 27, 99, 101, 1000, 1234, 99999} {
		a := countAxis(v)
		assert.GreaterOrEqual(t, a.max, v, "covers %v", v)
		assert.Equal(t, math.Trunc(a.step), a.step, "whole step for %v", v)
		assert.LessOrEqual(t, a.max/a.step, float64(maxTicks), "ticks for %v", v)
	}
	for _, tc := range []struct {
		v      float64
		step   float64
		labels string
	}{
		{20, 5, "0:00 0:05 0:10 0:15 0:20"},
		{130, 30, "0:00 0:30 1:00 1:30 2:00 2:30"},
		{1737, 300, "0:00 5:00 10:00 15:00 20:00 25:00 30:00"},
		{5 * 3600, 3600, "0:00 1:00 2:00 3:00 4:00 5:00"},
	} {
		a := timeAxis(tc.v)
		assert.Equal(t, tc.step, a.step, "step for %v", tc.v)
		var labels []string
		for x := 0.0; x <= a.max; x += a.step {
			labels = append(labels, a.label(x))
		}
		assert.Equal(t, tc.labels, strings.Join(labels, " "), "labels for %v", tc.v)
	}
}
