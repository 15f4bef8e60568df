package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/trunksim/trunksim/scenario"
	"github.com/trunksim/trunksim/sim"
)

// The plot is three panels: pods over time, branch ENIs over time, and
// the start-up latency distribution. It is drawn once as a list of
// shapes, every line of them horizontal or vertical, and written as SVG
// (writeSVG) or PNG (writePNG, with the Go fonts of golang.org/x/image).
// It is drawn by hand rather than with a plotting library: three fixed
// charts need little code, both files are the same bytes from run to run
// (so pages and goldens can be compared), and the SVG needs no fonts.
const (
	plotWidth   = 760
	panelHeight = 220
	marginLeft  = 70
	marginRight = 20
	marginTop   = 58
	marginBot   = 44
	maxTicks    = 6
	legendWidth = 125 // per legend entry, room for "own SGs running"
)

type line struct {
	label  string
	colour string
	points [][2]float64 // x, y
}

// marker is a scripted event drawn as a dashed line on the time panels.
type marker struct {
	at    float64 // seconds
	label string
}

// markers lists the scenario's events, at most one label per instant.
func markers(sc *scenario.Scenario) []marker {
	var out []marker
	for _, e := range sc.Events {
		at := e.At.Seconds()
		if n := len(out); n > 0 && out[n-1].at == at {
			continue
		}
		out = append(out, marker{at, e.Action.String()})
	}
	return out
}

// drawPlot lays out the run's series and latencies.
func drawPlot(title string, series []sim.Sample, latencies []time.Duration, marks []marker) *picture {
	pic := &picture{width: plotWidth, height: 3 * (panelHeight + marginTop + marginBot)}
	sgRunning := line{"own SGs running", "#1b7837", nil}
	sgPending := line{"own SGs pending", "#d6604d", nil}
	running := line{"other running", "#7fbf7b", nil}
	pending := line{"other pending", "#f4a582", nil}
	inUse := line{"in use", "#2166ac", nil}
	cooling := line{"cooling", "#fdb863", nil}
	for _, x := range series {
		t := x.At.Seconds()
		sgRunning.points = append(sgRunning.points, [2]float64{t, float64(x.SGRunning)})
		sgPending.points = append(sgPending.points, [2]float64{t, float64(x.SGPending)})
		running.points = append(running.points, [2]float64{t, float64(x.Running - x.SGRunning)})
		pending.points = append(pending.points, [2]float64{t, float64(x.Pending - x.SGPending)})
		inUse.points = append(inUse.points, [2]float64{t, float64(x.InUse)})
		cooling.points = append(cooling.points, [2]float64{t, float64(x.Cooling)})
	}
	pic.stepChart(0, title+": pods", "pods", []line{sgRunning, sgPending, running, pending}, marks)
	pic.stepChart(1, "branch ENIs", "ENIs", []line{inUse, cooling}, marks)
	pic.histogram(2, "start-up latency of security-group pods", "pods", latencies)
	return pic
}

// writePlot draws the run's series and latencies as SVG.
func writePlot(w io.Writer, title string, series []sim.Sample, latencies []time.Duration, marks []marker) error {
	return drawPlot(title, series, latencies, marks).writeSVG(w)
}

// axis is a scale from 0 to max in steps, with how to write a tick.
type axis struct {
	max, step float64
	label     func(float64) string
}

// countAxis covers v with at most maxTicks integer steps of 1, 2 or 5
// times a power of ten: counts get whole-number ticks.
func countAxis(v float64) axis {
	step := 1.0
	for v/step > maxTicks {
		step = nextNice(step)
	}
	return axis{max: math.Max(step, math.Ceil(v/step)*step), step: step, label: func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }}
}

// nextNice returns the next of 1, 2, 5, 10, 20, 50, ...
func nextNice(s float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(s)+1e-9))
	switch m := math.Round(s / p); {
	case m < 2:
		return 2 * p
	case m < 5:
		return 5 * p
	}
	return 10 * p
}

// timeSteps are the tick spacings a time axis may use, in seconds.
var timeSteps = []float64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400}

// timeAxis covers v seconds with at most maxTicks steps of a round
// duration, ticks written as m:ss, or h:mm past an hour.
func timeAxis(v float64) axis {
	step := timeSteps[len(timeSteps)-1]
	for _, s := range timeSteps {
		if v/s <= maxTicks {
			step = s
			break
		}
	}
	for v/step > maxTicks {
		step *= 2
	}
	max := math.Max(step, math.Ceil(v/step)*step)
	return axis{max: max, step: step, label: func(x float64) string { return clock(x, max) }}
}

// clock writes x seconds as m:ss, or h:mm when the axis passes an hour.
func clock(x, axisMax float64) string {
	s := int(math.Round(x))
	if axisMax > 3600 {
		return fmt.Sprintf("%d:%02d", s/3600, s%3600/60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// timeUnit names the clock format of an axis for its label.
func timeUnit(a axis) string {
	if a.max > 3600 {
		return "h:mm"
	}
	return "m:ss"
}

// frame draws a panel's title, legend, axes and ticks and returns its
// plotting box. The legend sits on a line of its own under the title,
// clear of the data.
func (pic *picture) frame(panel int, title, xLabel, yLabel string, x, y axis, legend []line) (x0, y0, pw, ph float64) {
	top := float64(panel*(panelHeight+marginTop+marginBot) + marginTop)
	x0, y0 = marginLeft, top+panelHeight
	pw, ph = plotWidth-marginLeft-marginRight, panelHeight
	pic.text(marginLeft, top-32, textStyle{size: 14, bold: true}, title)
	for i, l := range legend {
		lx := x0 + float64(i)*legendWidth
		pic.rect(lx, top-20, 10, 10, l.colour)
		pic.text(lx+14, top-11, textStyle{}, l.label)
	}
	pic.path(x0, top, ink{colour: "#333"}, vTo(y0), hTo(x0+pw))
	for v := 0.0; v <= y.max+y.step/2; v += y.step {
		py := y0 - v/y.max*ph
		pic.path(x0, py, ink{colour: "#ddd"}, hTo(x0+pw))
		pic.text(x0-6, py+4, textStyle{anchor: anchorEnd}, y.label(v))
	}
	for v := 0.0; v <= x.max+x.step/2; v += x.step {
		pic.text(x0+v/x.max*pw, y0+16, textStyle{anchor: anchorMiddle}, x.label(v))
	}
	pic.text(x0+pw/2, y0+34, textStyle{anchor: anchorMiddle}, xLabel)
	pic.text(16, y0-ph/2, textStyle{anchor: anchorMiddle, upright: true}, yLabel)
	return
}

func (pic *picture) stepChart(panel int, title, yLabel string, lines []line, marks []marker) {
	xMax, yMax := 1.0, 1.0
	for _, l := range lines {
		for _, p := range l.points {
			xMax, yMax = math.Max(xMax, p[0]), math.Max(yMax, p[1])
		}
	}
	for _, m := range marks {
		xMax = math.Max(xMax, m.at)
	}
	x, y := timeAxis(xMax), countAxis(yMax)
	x0, y0, pw, ph := pic.frame(panel, title, "simulated time ("+timeUnit(x)+")", yLabel, x, y, lines)
	for _, m := range marks {
		px := x0 + m.at/x.max*pw
		pic.path(px, y0, ink{colour: "#777", dashed: true}, vTo(y0-ph))
		pic.text(px+3, y0-ph+10, textStyle{size: 10, colour: "#555"}, m.label)
	}
	for _, l := range lines {
		if len(l.points) == 0 {
			continue
		}
		var moves []move
		for _, p := range l.points[1:] {
			moves = append(moves, hTo(x0+p[0]/x.max*pw), vTo(y0-p[1]/y.max*ph))
		}
		moves = append(moves, hTo(x0+pw))
		first := l.points[0]
		pic.path(x0+first[0]/x.max*pw, y0-first[1]/y.max*ph, ink{colour: l.colour, thick: true}, moves...)
	}
}

// histogram draws the latencies in bins of a round duration, which the
// title states; the bins line up with the axis ticks.
func (pic *picture) histogram(panel int, title, yLabel string, ds []time.Duration) {
	xMax := 1.0
	for _, d := range ds {
		xMax = math.Max(xMax, d.Seconds())
	}
	x := timeAxis(xMax)
	binWidth := x.step
	for x.max/binWidth < 20 && binWidth > 1 {
		binWidth = prevTimeStep(binWidth)
	}
	bins := int(math.Round(x.max / binWidth))
	counts := make([]int, bins)
	for _, d := range ds {
		counts[min(int(d.Seconds()/binWidth), bins-1)]++
	}
	y := countAxis(float64(max(1, slices.Max(counts))))
	title = fmt.Sprintf("%s (bins of %v)", title, time.Duration(binWidth*float64(time.Second)))
	x0, y0, pw, ph := pic.frame(panel, title, "from creation to network ready ("+timeUnit(x)+")", yLabel, x, y, nil)
	bw := pw / float64(bins)
	for i, c := range counts {
		if c == 0 {
			continue
		}
		h := float64(c) / y.max * ph
		pic.rect(x0+float64(i)*bw+0.5, y0-h, math.Max(bw-1, 0.5), h, "#4393c3")
	}
	if len(ds) == 0 {
		pic.text(x0+pw/2, y0-ph/2, textStyle{anchor: anchorMiddle}, "no security-group pod became ready")
	}
}

// prevTimeStep returns the time step below s, or 1.
func prevTimeStep(s float64) float64 {
	i, _ := slices.BinarySearch(timeSteps, s)
	if i == 0 {
		return 1
	}
	return timeSteps[i-1]
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func escape(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '<':
			out = append(out, "&lt;"...)
		case '>':
			out = append(out, "&gt;"...)
		case '&':
			out = append(out, "&amp;"...)
		default:
			out = append(out, c)
		}
	}
	return string(out)
}
