package main

import (
	"bytes"
	"encoding/xml"
	"image"
	"image/png"
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

// A .png plot is the same picture in pixels: the SVG's size, its legend
// swatches in their colours, text set in ink, the same bytes run to run.
func TestRunPlotWritesAPNG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.png")
	code, _, stderr := runCLI("run", smoke, "--plot", path)
	require.Equal(t, exitOK, code, stderr)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(data))
	require.NoError(t, err)
	assert.Equal(t, image.Rect(0, 0, plotWidth, 3*(panelHeight+marginTop+marginBot)), img.Bounds())
	rgb := func(x, y int) [3]uint32 {
		r, g, b, _ := img.At(x, y).RGBA()
		return [3]uint32{r >> 8, g >> 8, b >> 8}
	}
	assert.Equal(t, [3]uint32{255, 255, 255}, rgb(2, 2), "white ground")
	// The first legend swatch, 10 pixels square at (70, 38), and the
	// second at (195, 38).
	assert.Equal(t, [3]uint32{0x1b, 0x78, 0x37}, rgb(75, 43))
	assert.Equal(t, [3]uint32{0xd6, 0x60, 0x4d}, rgb(200, 43))
	// The panel title is set in dark ink somewhere along its baseline row.
	dark := 0
	for x := 70; x < 300; x++ {
		for y := 14; y < 28; y++ {
			if c := rgb(x, y); c[0] < 80 && c[1] < 80 && c[2] < 80 {
				dark++
			}
		}
	}
	assert.Greater(t, dark, 100, "the title's glyphs")

	again := filepath.Join(t.TempDir(), "run.png")
	code, _, _ = runCLI("run", smoke, "--plot", again)
	require.Equal(t, exitOK, code)
	data2, err := os.ReadFile(again)
	require.NoError(t, err)
	assert.Equal(t, data, data2, "same run, same pixels")
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
