package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/trunksim/trunksim/scenario"
	"github.com/trunksim/trunksim/sim"
)

// The plot is a plain SVG of three panels: pods over time, branch ENIs
// over time, and the start-up latency distribution. It is written by
// hand rather than with a plotting library: three fixed charts need
// little code, the output is the same bytes from run to run (so pages
// and goldens can be compared), and it needs no fonts or renderer.
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

// writePlot draws the run's series and latencies as SVG.
func writePlot(w io.Writer, title string, series []sim.Sample, latencies []time.Duration, marks []marker) error {
	bw := bufio.NewWriter(w)
	height := 3 * (panelHeight + marginTop + marginBot)
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", plotWidth, height)
	fmt.Fprintf(bw, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")

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
	stepChart(bw, 0, title+": pods", "pods", []line{sgRunning, sgPending, running, pending}, marks)
	stepChart(bw, 1, "branch ENIs", "ENIs", []line{inUse, cooling}, marks)
	histogram(bw, 2, "start-up latency of security-group pods", "pods", latencies)
	fmt.Fprintln(bw, "</svg>")
	return bw.Flush()
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
func frame(w io.Writer, panel int, title, xLabel, yLabel string, x, y axis, legend []line) (x0, y0, pw, ph float64) {
	top := float64(panel*(panelHeight+marginTop+marginBot) + marginTop)
	x0, y0 = marginLeft, top+panelHeight
	pw, ph = plotWidth-marginLeft-marginRight, panelHeight
	fmt.Fprintf(w, `<text x="%d" y="%s" font-size="14" font-weight="bold">%s</text>`+"\n", marginLeft, num(top-32), escape(title))
	for i, l := range legend {
		lx := x0 + float64(i)*legendWidth
		fmt.Fprintf(w, `<rect x="%s" y="%s" width="10" height="10" fill="%s"/><text x="%s" y="%s">%s</text>`+"\n",
			num(lx), num(top-20), l.colour, num(lx+14), num(top-11), escape(l.label))
	}
	fmt.Fprintf(w, `<path d="M%s %sV%sH%s" fill="none" stroke="#333"/>`+"\n", num(x0), num(top), num(y0), num(x0+pw))
	for v := 0.0; v <= y.max+y.step/2; v += y.step {
		py := y0 - v/y.max*ph
		fmt.Fprintf(w, `<path d="M%s %sH%s" stroke="#ddd"/><text x="%s" y="%s" text-anchor="end">%s</text>`+"\n",
			num(x0), num(py), num(x0+pw), num(x0-6), num(py+4), y.label(v))
	}
	for v := 0.0; v <= x.max+x.step/2; v += x.step {
		px := x0 + v/x.max*pw
		fmt.Fprintf(w, `<text x="%s" y="%s" text-anchor="middle">%s</text>`+"\n", num(px), num(y0+16), x.label(v))
	}
	fmt.Fprintf(w, `<text x="%s" y="%s" text-anchor="middle">%s</text>`+"\n", num(x0+pw/2), num(y0+34), escape(xLabel))
	fmt.Fprintf(w, `<text transform="translate(16 %s) rotate(-90)" text-anchor="middle">%s</text>`+"\n", num(y0-ph/2), escape(yLabel))
	return
}

func stepChart(w io.Writer, panel int, title, yLabel string, lines []line, marks []marker) {
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
	x0, y0, pw, ph := frame(w, panel, title, "simulated time ("+timeUnit(x)+")", yLabel, x, y, lines)
	for _, m := range marks {
		px := x0 + m.at/x.max*pw
		fmt.Fprintf(w, `<path d="M%s %sV%s" stroke="#777" stroke-dasharray="4 3"/><text x="%s" y="%s" font-size="10" fill="#555">%s</text>`+"\n",
			num(px), num(y0), num(y0-ph), num(px+3), num(y0-ph+10), escape(m.label))
	}
	for _, l := range lines {
		if len(l.points) == 0 {
			continue
		}
		fmt.Fprintf(w, `<path fill="none" stroke="%s" stroke-width="1.5" d="`, l.colour)
		for j, p := range l.points {
			px, py := x0+p[0]/x.max*pw, y0-p[1]/y.max*ph
			switch j {
			case 0:
				fmt.Fprintf(w, "M%s %s", num(px), num(py))
			default:
				fmt.Fprintf(w, "H%sV%s", num(px), num(py))
			}
		}
		fmt.Fprintf(w, "H%s\"/>\n", num(x0+pw))
	}
}

// histogram draws the latencies in bins of a round duration, which the
// title states; the bins line up with the axis ticks.
func histogram(w io.Writer, panel int, title, yLabel string, ds []time.Duration) {
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
	x0, y0, pw, ph := frame(w, panel, title, "from creation to network ready ("+timeUnit(x)+")", yLabel, x, y, nil)
	bw := pw / float64(bins)
	for i, c := range counts {
		if c == 0 {
			continue
		}
		h := float64(c) / y.max * ph
		fmt.Fprintf(w, `<rect x="%s" y="%s" width="%s" height="%s" fill="#4393c3"/>`+"\n",
			num(x0+float64(i)*bw+0.5), num(y0-h), num(math.Max(bw-1, 0.5)), num(h))
	}
	if len(ds) == 0 {
		fmt.Fprintf(w, `<text x="%s" y="%s" text-anchor="middle">no security-group pod became ready</text>`+"\n", num(x0+pw/2), num(y0-ph/2))
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
