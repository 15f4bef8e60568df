package main

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"strconv"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// picture is a plot drawn as shapes, written as SVG or PNG. Its lines are
// all horizontal or vertical, which is what the charts need and what a
// PNG can draw exactly without a rasterizer.
type picture struct {
	width, height int
	shapes        []shape
}

type shapeKind uint8

const (
	shapeText shapeKind = 1 + iota
	shapeRect
	shapePath
)

type anchor uint8

// Text anchors, as SVG's text-anchor; the zero value is start.
const (
	anchorStart anchor = iota
	anchorMiddle
	anchorEnd
)

// textStyle is how a text is set: size in pixels (0 is 12), bold, colour
// (empty is black), where (x, y) is on its baseline, and upright text
// that reads bottom to top, turned about (x, y).
type textStyle struct {
	size    int
	bold    bool
	colour  string
	anchor  anchor
	upright bool
}

// ink is how a path is stroked: a colour, 1.5 pixels wide when thick,
// else 1, dashed 4 on and 3 off.
type ink struct {
	colour string
	thick  bool
	dashed bool
}

// move is one leg of a path: horizontal to x, or vertical to y.
type move struct {
	vertical bool
	to       float64
}

func hTo(x float64) move { return move{to: x} }
func vTo(y float64) move { return move{vertical: true, to: y} }

type shape struct {
	kind       shapeKind
	x, y, w, h float64
	fill       string
	style      textStyle
	ink        ink
	moves      []move
	text       string
}

func (p *picture) text(x, y float64, style textStyle, s string) {
	if style.size == 0 {
		style.size = 12
	}
	p.shapes = append(p.shapes, shape{kind: shapeText, x: x, y: y, style: style, text: s})
}

func (p *picture) rect(x, y, w, h float64, fill string) {
	p.shapes = append(p.shapes, shape{kind: shapeRect, x: x, y: y, w: w, h: h, fill: fill})
}

func (p *picture) path(x, y float64, ink ink, moves ...move) {
	p.shapes = append(p.shapes, shape{kind: shapePath, x: x, y: y, ink: ink, moves: moves})
}

// writeSVG writes the picture as SVG, one element a line.
func (p *picture) writeSVG(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", p.width, p.height)
	fmt.Fprintf(bw, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	for _, s := range p.shapes {
		switch s.kind {
		case shapeText:
			bw.WriteString("<text")
			if s.style.upright {
				fmt.Fprintf(bw, ` transform="translate(%s %s) rotate(-90)"`, num(s.x), num(s.y))
			} else {
				fmt.Fprintf(bw, ` x="%s" y="%s"`, num(s.x), num(s.y))
			}
			switch s.style.anchor {
			case anchorMiddle:
				bw.WriteString(` text-anchor="middle"`)
			case anchorEnd:
				bw.WriteString(` text-anchor="end"`)
			}
			if s.style.size != 12 {
				fmt.Fprintf(bw, ` font-size="%d"`, s.style.size)
			}
			if s.style.bold {
				bw.WriteString(` font-weight="bold"`)
			}
			if s.style.colour != "" {
				fmt.Fprintf(bw, ` fill="%s"`, s.style.colour)
			}
			fmt.Fprintf(bw, ">%s</text>\n", escape(s.text))
		case shapeRect:
			fmt.Fprintf(bw, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"/>`+"\n", num(s.x), num(s.y), num(s.w), num(s.h), s.fill)
		case shapePath:
			fmt.Fprintf(bw, `<path fill="none" stroke="%s"`, s.ink.colour)
			if s.ink.thick {
				bw.WriteString(` stroke-width="1.5"`)
			}
			if s.ink.dashed {
				bw.WriteString(` stroke-dasharray="4 3"`)
			}
			fmt.Fprintf(bw, ` d="M%s %s`, num(s.x), num(s.y))
			for _, m := range s.moves {
				if m.vertical {
					fmt.Fprintf(bw, "V%s", num(m.to))
				} else {
					fmt.Fprintf(bw, "H%s", num(m.to))
				}
			}
			bw.WriteString("\"/>\n")
		}
	}
	fmt.Fprintln(bw, "</svg>")
	return bw.Flush()
}

// faces holds the PNG's fonts, the Go fonts at each size a picture uses.
type faces struct {
	regular, bold *opentype.Font
	cache         map[textStyle]font.Face
}

func newFaces() (*faces, error) {
	regular, err := opentype.Parse(goregular.TTF)
	if err != nil {
		return nil, err
	}
	bold, err := opentype.Parse(gobold.TTF)
	if err != nil {
		return nil, err
	}
	return &faces{regular: regular, bold: bold, cache: map[textStyle]font.Face{}}, nil
}

func (f *faces) face(style textStyle) (font.Face, error) {
	key := textStyle{size: style.size, bold: style.bold}
	if face, ok := f.cache[key]; ok {
		return face, nil
	}
	ttf := f.regular
	if style.bold {
		ttf = f.bold
	}
	face, err := opentype.NewFace(ttf, &opentype.FaceOptions{Size: float64(style.size), DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, err
	}
	f.cache[key] = face
	return face, nil
}

// writePNG writes the picture as a PNG of its size in pixels. Lines are
// drawn on whole pixels; text is antialiased. The bytes depend on the
// picture alone.
func (p *picture) writePNG(w io.Writer) error {
	fonts, err := newFaces()
	if err != nil {
		return fmt.Errorf("loading the fonts: %w", err)
	}
	img := image.NewRGBA(image.Rect(0, 0, p.width, p.height))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	for _, s := range p.shapes {
		switch s.kind {
		case shapeRect:
			fillRect(img, s.x, s.y, s.x+s.w, s.y+s.h, parseColour(s.fill))
		case shapePath:
			width := 1.0
			if s.ink.thick {
				width = 2
			}
			c := parseColour(s.ink.colour)
			x, y := s.x, s.y
			for _, m := range s.moves {
				switch {
				case m.vertical:
					stroke(img, x, y, x, m.to, width, s.ink.dashed, c)
					y = m.to
				default:
					stroke(img, x, y, m.to, y, width, s.ink.dashed, c)
					x = m.to
				}
			}
		case shapeText:
			face, err := fonts.face(s.style)
			if err != nil {
				return fmt.Errorf("loading the fonts: %w", err)
			}
			drawText(img, face, s)
		}
	}
	bw := bufio.NewWriter(w)
	if err := png.Encode(bw, img); err != nil {
		return err
	}
	return bw.Flush()
}

// fillRect fills the pixels whose centres lie in [x0, x1) × [y0, y1).
func fillRect(img *image.RGBA, x0, y0, x1, y1 float64, c color.RGBA) {
	r := image.Rect(int(math.Round(x0)), int(math.Round(y0)), int(math.Round(x1)), int(math.Round(y1)))
	if r.Empty() {
		// A bar thinner than a pixel still shows.
		r.Max.X = max(r.Max.X, r.Min.X+1)
		r.Max.Y = max(r.Max.Y, r.Min.Y+1)
	}
	draw.Draw(img, r.Intersect(img.Bounds()), &image.Uniform{c}, image.Point{}, draw.Src)
}

// stroke draws a horizontal or vertical line of width pixels centred on
// the line from (x0, y0) to (x1, y1), each end out by half the width so
// that the legs of a path meet; dashed, 4 pixels on and 3 off.
func stroke(img *image.RGBA, x0, y0, x1, y1, width float64, dashed bool, c color.RGBA) {
	half, horizontal := width/2, y0 == y1
	lo, hi := math.Min(y0, y1), math.Max(y0, y1)
	if horizontal {
		lo, hi = math.Min(x0, x1), math.Max(x0, x1)
	}
	on, period := hi-lo, hi-lo+1
	if dashed {
		on, period = 4, 7
	}
	for a := lo; a == lo || a < hi; a += period {
		b := math.Min(a+on, hi)
		if horizontal {
			fillRect(img, a-half, y0-half, b+half, y0+half, c)
		} else {
			fillRect(img, x0-half, a-half, x0+half, b+half, c)
		}
	}
}

// drawText sets s.text with face at the shape's anchor; upright text is
// set flat on a scratch image and turned a quarter counter-clockwise.
func drawText(img *image.RGBA, face font.Face, s shape) {
	adv := font.MeasureString(face, s.text).Ceil()
	shift := 0
	switch s.style.anchor {
	case anchorMiddle:
		shift = adv / 2
	case anchorEnd:
		shift = adv
	}
	src := image.NewUniform(parseColour(s.style.colour))
	if !s.style.upright {
		d := font.Drawer{Dst: img, Src: src, Face: face,
			Dot: fixed.P(int(math.Round(s.x))-shift, int(math.Round(s.y)))}
		d.DrawString(s.text)
		return
	}
	m := face.Metrics()
	ascent, height := m.Ascent.Ceil(), (m.Ascent + m.Descent).Ceil()
	flat := image.NewRGBA(image.Rect(0, 0, adv, height))
	d := font.Drawer{Dst: flat, Src: src, Face: face, Dot: fixed.P(0, ascent)}
	d.DrawString(s.text)
	// Flat (fx, fy) goes to (x0 + fy, y0 - fx): the baseline runs up
	// the page at x, the text's middle at y when anchored there.
	x0, y0 := int(math.Round(s.x))-ascent, int(math.Round(s.y))+shift
	for fy := range height {
		for fx := range adv {
			c := flat.RGBAAt(fx, fy)
			if c.A == 0 {
				continue
			}
			blend(img, x0+fy, y0-fx, c)
		}
	}
}

// blend lays premultiplied c over the pixel at (x, y).
func blend(img *image.RGBA, x, y int, c color.RGBA) {
	if !(image.Point{x, y}.In(img.Bounds())) {
		return
	}
	under := img.RGBAAt(x, y)
	k := 255 - uint32(c.A)
	mix := func(top uint8, bottom uint8) uint8 { return uint8(uint32(top) + uint32(bottom)*k/255) }
	img.SetRGBA(x, y, color.RGBA{mix(c.R, under.R), mix(c.G, under.G), mix(c.B, under.B), mix(c.A, under.A)})
}

// parseColour reads "#rrggbb" or "#rgb", as SVG does; anything else is
// black.
func parseColour(s string) color.RGBA {
	hex, ok := strings.CutPrefix(s, "#")
	if len(hex) == 3 {
		hex = string([]byte{hex[0], hex[0], hex[1], hex[1], hex[2], hex[2]})
	}
	v, err := strconv.ParseUint(hex, 16, 32)
	if !ok || err != nil || len(hex) != 6 {
		return color.RGBA{A: 255}
	}
	return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255}
}
