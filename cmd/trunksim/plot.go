package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/trunksim/trunksim/sim"
)

// The plot is a plain SVG of three panels: pods over time, branch ENIs
// over time, and the start-up latency distribution. SVG is written by
// hand: three fixed charts need no plotting library, and the output stays
// byte-identical from run to run.
const (
	plotWidth   = 760
	panelHeight = 220
	marginLeft  = 70
	marginRight = 20
	marginTop   = 36
	marginBot   = 44
)

type line struct {
	label  string
	colour string
	points [][2]float64 // x, y
}

// writePlot draws the run's series and latencies as SVG.
func writePlot(w io.Writer, title string, series []sim.Sample, latencies []time.Duration) error {
	bw := bufio.NewWriter(w)
	height := 3 * (panelHeight + marginTop + marginBot)
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", plotWidth, height)
	fmt.Fprintf(bw, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")

	var running, pending, inUse, cooling line
	running = line{"running", "#1b7837", nil}
	pending = line{"pending", "#d6604d", nil}
	inUse = line{"in use", "#2166ac", nil}
	cooling = line{"cooling", "#f4a582", nil}
	for _, x := range series {
		t := x.At.Seconds()
		running.points = append(running.points, [2]float64{t, float64(x.Running)})
		pending.points = append(pending.points, [2]float64{t, float64(x.Pending)})
		inUse.points = append(inUse.points, [2]float64{t, float64(x.InUse)})
		cooling.points = append(cooling.points, [2]float64{t, float64(x.Cooling)})
	}
	panel := 0
	stepChart(bw, panel, title+": pods", "simulated seconds", "pods", []line{running, pending})
	panel++
	stepChart(bw, panel, "branch ENIs", "simulated seconds", "ENIs", []line{inUse, cooling})
	panel++
	histogram(bw, panel, "start-up latency of security-group pods", "seconds from creation to network ready", "pods", latencies)
	fmt.Fprintln(bw, "</svg>")
	return bw.Flush()
}

// frame draws a panel's axes and labels and returns its plotting box.
func frame(w io.Writer, panel int, title, xLabel, yLabel string, xMax, yMax float64) (x0, y0, pw, ph float64) {
	top := float64(panel*(panelHeight+marginTop+marginBot) + marginTop)
	x0, y0 = marginLeft, top+panelHeight
	pw, ph = plotWidth-marginLeft-marginRight, panelHeight
	fmt.Fprintf(w, `<text x="%d" y="%s" font-size="14" font-weight="bold">%s</text>`+"\n", marginLeft, num(top-12), escape(title))
	fmt.Fprintf(w, `<path d="M%s %sV%sH%s" fill="none" stroke="#333"/>`+"\n", num(x0), num(top), num(y0), num(x0+pw))
	for i := 0; i <= 4; i++ {
		f := float64(i) / 4
		y := y0 - f*ph
		fmt.Fprintf(w, `<path d="M%s %sH%s" stroke="#ddd"/><text x="%s" y="%s" text-anchor="end">%s</text>`+"\n",
			num(x0), num(y), num(x0+pw), num(x0-6), num(y+4), tick(f*yMax))
		x := x0 + f*pw
		fmt.Fprintf(w, `<text x="%s" y="%s" text-anchor="middle">%s</text>`+"\n", num(x), num(y0+16), tick(f*xMax))
	}
	fmt.Fprintf(w, `<text x="%s" y="%s" text-anchor="middle">%s</text>`+"\n", num(x0+pw/2), num(y0+34), escape(xLabel))
	fmt.Fprintf(w, `<text transform="translate(16 %s) rotate(-90)" text-anchor="middle">%s</text>`+"\n", num(y0-ph/2), escape(yLabel))
	return
}

func stepChart(w io.Writer, panel int, title, xLabel, yLabel string, lines []line) {
	xMax, yMax := 1.0, 1.0
	for _, l := range lines {
		for _, p := range l.points {
			xMax, yMax = math.Max(xMax, p[0]), math.Max(yMax, p[1])
		}
	}
	yMax = niceCeil(yMax)
	xMax = niceCeil(xMax)
	x0, y0, pw, ph := frame(w, panel, title, xLabel, yLabel, xMax, yMax)
	for i, l := range lines {
		if len(l.points) == 0 {
			continue
		}
		fmt.Fprintf(w, `<path fill="none" stroke="%s" stroke-width="1.5" d="`, l.colour)
		for j, p := range l.points {
			x, y := x0+p[0]/xMax*pw, y0-p[1]/yMax*ph
			switch j {
			case 0:
				fmt.Fprintf(w, "M%s %s", num(x), num(y))
			default:
				fmt.Fprintf(w, "H%sV%s", num(x), num(y))
			}
		}
		fmt.Fprintf(w, "H%s\"/>\n", num(x0+pw))
		lx := x0 + pw - 150 + float64(i)*75
		fmt.Fprintf(w, `<rect x="%s" y="%s" width="10" height="10" fill="%s"/><text x="%s" y="%s">%s</text>`+"\n",
			num(lx), num(y0-ph-4), l.colour, num(lx+14), num(y0-ph+5), escape(l.label))
	}
}

func histogram(w io.Writer, panel int, title, xLabel, yLabel string, ds []time.Duration) {
	const bins = 40
	xMax := 1.0
	for _, d := range ds {
		xMax = math.Max(xMax, d.Seconds())
	}
	xMax = niceCeil(xMax)
	counts := make([]int, bins)
	for _, d := range ds {
		i := min(int(d.Seconds()/xMax*bins), bins-1)
		counts[i]++
	}
	yMax := niceCeil(float64(max(1, slices.Max(counts))))
	x0, y0, pw, ph := frame(w, panel, title, xLabel, yLabel, xMax, yMax)
	bw := pw / bins
	for i, c := range counts {
		if c == 0 {
			continue
		}
		h := float64(c) / yMax * ph
		fmt.Fprintf(w, `<rect x="%s" y="%s" width="%s" height="%s" fill="#4393c3"/>`+"\n",
			num(x0+float64(i)*bw+1), num(y0-h), num(bw-2), num(h))
	}
	if len(ds) == 0 {
		fmt.Fprintf(w, `<text x="%s" y="%s" text-anchor="middle">no security-group pod became ready</text>`+"\n", num(x0+pw/2), num(y0-ph/2))
	}
}

// niceCeil rounds up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func tick(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

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
