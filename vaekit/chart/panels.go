package chart

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Palette is the ten-colour qualitative palette (matplotlib's tab10), so
// that classes 0–9 look as readers of the Python tutorials know them.
var Palette = []color.RGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255}, {148, 103, 189, 255},
	{140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255}, {188, 189, 34, 255}, {23, 190, 207, 255},
}

// ClassColor returns the colour of class i.
func ClassColor(i int) color.RGBA { return Palette[i%len(Palette)] }

// Grid is a grid of equally sized grey images, Rows×Cols of them, each
// Height×Width grey levels in [0, 1] (0 black, 1 white), row-major.
type Grid struct {
	Title         string
	Rows, Cols    int
	Height, Width int
	Images        [][]float32 // Rows*Cols images, row by row; nil leaves a cell empty.
	RowLabels     []string    // optional, one per row, drawn at the left.
	ColLabels     []string    // optional, one per column, drawn below.
	XLabel        string      // optional axis captions.
	YLabel        string
}

// Plot draws the grid as one image with its labels as ticks.
func (g *Grid) Plot() (*plot.Plot, error) {
	if g.Rows <= 0 || g.Cols <= 0 || g.Height <= 0 || g.Width <= 0 {
		return nil, fmt.Errorf("chart: grid %q: rows, cols, height and width must be positive, got %d×%d of %d×%d",
			g.Title, g.Rows, g.Cols, g.Height, g.Width)
	}
	if len(g.Images) > g.Rows*g.Cols {
		return nil, fmt.Errorf("chart: grid %q: %d images for %d cells", g.Title, len(g.Images), g.Rows*g.Cols)
	}
	// Each pixel becomes a zoom×zoom block: gonum interpolates images when it
	// draws them, and blocks keep digits sharp at any output resolution.
	zoom := max(1, 600/max(g.Cols*g.Width, g.Rows*g.Height))
	gap := max(1, zoom/2) // grey lines between images.
	cellW, cellH := g.Width*zoom+gap, g.Height*zoom+gap
	img := image.NewRGBA(image.Rect(0, 0, g.Cols*cellW-gap, g.Rows*cellH-gap))
	for y := range img.Rect.Dy() {
		for x := range img.Rect.Dx() {
			img.Set(x, y, color.RGBA{200, 200, 200, 255})
		}
	}
	for k, pixels := range g.Images {
		if pixels == nil {
			continue
		}
		if len(pixels) != g.Height*g.Width {
			return nil, fmt.Errorf("chart: grid %q: image %d has %d pixels, want %d×%d", g.Title, k, len(pixels), g.Height, g.Width)
		}
		r, c := k/g.Cols, k%g.Cols
		for y := range g.Height * zoom {
			for x := range g.Width * zoom {
				v := uint8(math.Round(255 * float64(clamp01(pixels[(y/zoom)*g.Width+x/zoom]))))
				img.Set(c*cellW+x, r*cellH+y, color.Gray{Y: v})
			}
		}
	}
	p := plot.New()
	p.Title.Text = g.Title
	W, H := float64(img.Rect.Dx()), float64(img.Rect.Dy())
	p.Add(plotter.NewImage(img, 0, 0, W, H))
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, W, 0, H
	p.X.Label.Text, p.Y.Label.Text = g.XLabel, g.YLabel
	p.X.LineStyle.Width, p.Y.LineStyle.Width = 0, 0
	p.X.Tick.LineStyle.Width, p.Y.Tick.LineStyle.Width = 0, 0
	p.X.Tick.Marker = &keepAspect{w: W, h: H, leftLabels: len(g.RowLabels) > 0 || g.YLabel != "",
		bottomLabels:  len(g.ColLabels) > 0 || g.XLabel != "",
		ConstantTicks: labelTicks(g.ColLabels, func(i int) float64 { return float64(i*cellW) + float64(g.Width*zoom)/2 })}
	// Row 0 is at the top of the image.
	p.Y.Tick.Marker = labelTicks(g.RowLabels, func(i int) float64 { return H - float64(i*cellH) - float64(g.Height*zoom)/2 })
	return p, nil
}

func labelTicks(labels []string, at func(int) float64) plot.ConstantTicks {
	ticks := make([]plot.Tick, len(labels))
	for i, l := range labels {
		ticks[i] = plot.Tick{Value: at(i), Label: l}
	}
	return plot.ConstantTicks(ticks)
}

func clamp01(v float32) float32 {
	switch {
	case v < 0 || v != v:
		return 0
	case v > 1:
		return 1
	}
	return v
}

// Scatter is a 2-D scatter plot of points coloured by class.
type Scatter struct {
	Title          string
	XLabel, YLabel string
	X, Y           []float64
	Classes        []int    // class of each point, indexes ClassNames.
	ClassNames     []string // legend entries, in order.
	Radius         vg.Length
}

// Plot draws the scatter with one legend entry per class.
func (s *Scatter) Plot() (*plot.Plot, error) {
	if len(s.X) != len(s.Y) || len(s.X) != len(s.Classes) {
		return nil, fmt.Errorf("chart: scatter %q: %d x, %d y and %d classes", s.Title, len(s.X), len(s.Y), len(s.Classes))
	}
	inside := robustBox(s.X, s.Y)
	byClass := make([]plotter.XYs, len(s.ClassNames))
	var xs []float64
	for i, c := range s.Classes {
		if c < 0 || c >= len(s.ClassNames) {
			return nil, fmt.Errorf("chart: scatter %q: point %d has class %d, outside [0, %d)", s.Title, i, c, len(s.ClassNames))
		}
		if inside(s.X[i], s.Y[i]) {
			byClass[c] = append(byClass[c], plotter.XY{X: s.X[i], Y: s.Y[i]})
			xs = append(xs, s.X[i])
		}
	}
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = s.Title, s.XLabel, s.YLabel
	if out := len(s.X) - len(xs); out > 0 {
		p.X.Label.Text += fmt.Sprintf("\n(%d of %d points beyond the axes)", out, len(s.X))
	}
	radius := s.Radius
	if radius == 0 {
		radius = vg.Points(1.2)
	}
	for c, xys := range byClass {
		sc, err := plotter.NewScatter(xys)
		if err != nil {
			if len(xys) == 0 {
				continue
			}
			return nil, err
		}
		sc.GlyphStyle.Color = ClassColor(c)
		sc.GlyphStyle.Radius = radius
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		p.Add(sc)
		// A bigger glyph in the legend than on the plot, to be readable.
		legend := *sc
		legend.GlyphStyle.Radius = vg.Points(4)
		p.Legend.Add(s.ClassNames[c], &legend)
	}
	// The legend goes top right, in a strip of the data area that the
	// scales leave free, so that it covers no point.
	p.Y.Tick.Marker = plainTicks{}
	if len(xs) > 0 {
		var ys []float64
		for _, xys := range byClass {
			for _, xy := range xys {
				ys = append(ys, xy.Y)
			}
		}
		room := &legendRoom{x: span(xs), y: span(ys)}
		room.extend(p, 0.3, 0)
		p.X.Tick.Marker, p.Y.Tick.Marker = room, yTicks{room}
	}
	p.Legend.Top = true
	p.Legend.Padding = vg.Points(1)
	return p, nil
}

// robustBox reports whether a point lies within the axes a scatter gives
// its points: for 200 points or more, the 0.5th to 99.5th percentiles on
// each axis, widened by a tenth, so that a few outliers do not shrink
// everything else into a dot; fewer points are all kept.
func robustBox(x, y []float64) func(x, y float64) bool {
	if len(x) < 200 {
		return func(float64, float64) bool { return true }
	}
	bounds := func(v []float64) (lo, hi float64) {
		v = slices.Sorted(slices.Values(v))
		lo, hi = v[len(v)/200], v[len(v)-1-len(v)/200]
		return lo - 0.1*(hi-lo), hi + 0.1*(hi-lo)
	}
	xlo, xhi := bounds(x)
	ylo, yhi := bounds(y)
	return func(x, y float64) bool { return x >= xlo && x <= xhi && y >= ylo && y <= yhi }
}

// A fitter is an axis' ticker that also finishes its plot's layout once
// the canvas is known: Figure calls fit just before it draws the plot.
type fitter interface {
	plot.Ticker
	fit(p *plot.Plot, c draw.Canvas)
}

// keepAspect ticks an image grid's x axis with its column labels; fit
// widens one of the axes' ranges so that the image keeps square pixels
// whatever the panel's shape. The image stays against the axis that has
// labels (rows at the left, columns below), centred otherwise.
type keepAspect struct {
	plot.ConstantTicks
	w, h         float64 // the image's size, in its own units.
	leftLabels   bool    // row labels: keep the image at the left.
	bottomLabels bool    // column labels: keep the image at the bottom.
}

func (k *keepAspect) fit(p *plot.Plot, c draw.Canvas) {
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, k.w, 0, k.h
	data := p.DataCanvas(c)
	dw, dh := float64(data.Size().X), float64(data.Size().Y)
	if dw <= 0 || dh <= 0 {
		return
	}
	// place spreads extra room around [0, size]: all after it when anchored.
	place := func(size, extra float64, anchored bool) (float64, float64) {
		if anchored {
			return 0, size + extra
		}
		return -extra / 2, size + extra/2
	}
	if dw/dh > k.w/k.h { // the panel is wider than the image.
		p.X.Min, p.X.Max = place(k.w, k.h*dw/dh-k.w, k.leftLabels)
	} else {
		p.Y.Min, p.Y.Max = place(k.h, k.w*dh/dw-k.h, k.bottomLabels)
	}
}

// plainTicks are gonum's default ticks without the trailing zeros that it
// gives steps such as 2.5 ("2500.00" becomes "2500", "0.50" "0.5").
type plainTicks struct{}

func (plainTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i, t := range ticks {
		if strings.Contains(t.Label, ".") && !strings.ContainsAny(t.Label, "eE") {
			ticks[i].Label = strings.TrimSuffix(strings.TrimRight(t.Label, "0"), ".")
		}
	}
	return ticks
}

// logTicks labels a log axis at its powers of ten where it spans two or
// more, else at 1, 2 and 5 times them, else as a linear axis would: every
// log axis gets at least two labelled ticks (gonum's LogTicks labels powers
// of ten only, so a range inside one decade had one label or none).
type logTicks struct{}

func (logTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.LogTicks{Prec: -1}.Ticks(min, max)
	if labelled(ticks, min, max) >= 2 {
		return ticks
	}
	var more []plot.Tick
	for k := math.Floor(math.Log10(min)); k <= math.Ceil(math.Log10(max)); k++ {
		for _, m := range []float64{1, 2, 5} {
			if v := m * math.Pow(10, k); v >= min && v <= max {
				more = append(more, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', 3, 64)})
			}
		}
	}
	if labelled(more, min, max) >= 2 {
		return more
	}
	return plainTicks{}.Ticks(min, max)
}

// labelled counts the ticks in [min, max] with a label.
func labelled(ticks []plot.Tick, min, max float64) int {
	n := 0
	for _, t := range ticks {
		if t.Label != "" && t.Value >= min && t.Value <= max {
			n++
		}
	}
	return n
}

// legendRoom ticks a scatter's axes over its points only; fit extends one
// axis by a strip as large as the legend on the canvas, so that the legend
// covers no point: the x axis to the right where the legend takes at most
// 45 % of the width, else the y axis upwards (long class names in a narrow
// panel: a band above the points). Drawn some other way, the strip is 30 %
// of the x range.
type legendRoom struct{ x, y [2]float64 } // each lo < hi.

func (r *legendRoom) Ticks(min, max float64) []plot.Tick { return plainTicks{}.Ticks(r.x[0], r.x[1]) }

// yTicks ticks the y axis over the points only.
type yTicks struct{ r *legendRoom }

func (t yTicks) Ticks(min, max float64) []plot.Tick { return plainTicks{}.Ticks(t.r.y[0], t.r.y[1]) }

func (r *legendRoom) fit(p *plot.Plot, c draw.Canvas) {
	r.extend(p, 0, 0) // the legend's size on the data area that it will have.
	data := p.DataCanvas(c)
	w, h := data.Size().X, data.Size().Y
	if w <= 0 || h <= 0 {
		return
	}
	size := p.Legend.Rectangle(data).Size()
	if across := float64((size.X + vg.Points(6)) / w); across <= 0.45 {
		r.extend(p, across, 0)
	} else {
		r.extend(p, 0, min(0.6, float64((size.Y+vg.Points(4))/h)))
	}
}

// extend sets the axes' ranges so that a strip at the right takes the share
// across of the x range, and a band at the top the share up of the y range.
func (r *legendRoom) extend(p *plot.Plot, across, up float64) {
	p.X.Min, p.X.Max = r.x[0], r.x[0]+(r.x[1]-r.x[0])/(1-across)
	p.Y.Min, p.Y.Max = r.y[0], r.y[0]+(r.y[1]-r.y[0])/(1-up)
}

// span is the range of v, or a unit range around its one value.
func span(v []float64) [2]float64 {
	lo, hi := slices.Min(v), slices.Max(v)
	if lo == hi {
		return [2]float64{lo - 0.5, hi + 0.5}
	}
	return [2]float64{lo, hi}
}

// Series is one line of a line chart.
type Series struct {
	Name       string // legend entry; none if empty (a lone series that the y label names).
	X, Y       []float64
	Dashed     bool
	PointsOnly bool // measured points, not joined by a line.
	// Color, when set, is the series' colour, so that a run keeps one colour
	// in every panel of a figure; nil: ClassColor of its place in the panel.
	Color color.Color
}

// Corner is a corner of a chart's plotting area, where its legend goes.
type Corner int

const (
	TopRight Corner = iota
	TopLeft
	BottomLeft
	BottomRight
)

// Lines is a chart of several series against a common x axis.
type Lines struct {
	Title          string
	XLabel, YLabel string
	Series         []Series
	LogX, LogY     bool
	Points         bool   // mark each point too.
	Legend         Corner // where the legend goes, the top right unless set.
}

// Plot draws the series with a legend.
func (l *Lines) Plot() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = l.Title, l.XLabel, l.YLabel
	p.X.Tick.Marker, p.Y.Tick.Marker = plainTicks{}, plainTicks{}
	if l.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logTicks{}
	}
	if l.LogX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = logTicks{}
	}
	for i, s := range l.Series {
		var colour color.Color = ClassColor(i)
		if s.Color != nil {
			colour = s.Color
		}
		if len(s.X) != len(s.Y) {
			return nil, fmt.Errorf("chart: lines %q: series %q has %d x and %d y", l.Title, s.Name, len(s.X), len(s.Y))
		}
		xys := make(plotter.XYs, len(s.X))
		for j := range s.X {
			xys[j] = plotter.XY{X: s.X[j], Y: s.Y[j]}
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, fmt.Errorf("chart: lines %q: series %q: %w", l.Title, s.Name, err)
		}
		if s.PointsOnly {
			points.Color = colour
			points.Radius = vg.Points(1.5)
			p.Add(points)
			legend := *points
			legend.Radius = vg.Points(3)
			if s.Name != "" {
				p.Legend.Add(s.Name, &legend)
			}
			continue
		}
		line.Color = colour
		line.Width = vg.Points(1.5)
		if s.Dashed {
			line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		p.Add(line)
		thumbs := []plot.Thumbnailer{line}
		if l.Points {
			points.Color = colour
			points.Radius = vg.Points(2)
			p.Add(points)
			thumbs = append(thumbs, points)
		}
		if s.Name != "" {
			p.Legend.Add(s.Name, thumbs...)
		}
	}
	p.Legend.Top, p.Legend.Left = l.Legend == TopRight || l.Legend == TopLeft, l.Legend == TopLeft || l.Legend == BottomLeft
	if slices.ContainsFunc(l.Series, func(s Series) bool { return s.Name != "" }) {
		p.Y.Tick.Marker = &legendBand{inner: p.Y.Tick.Marker, top: p.Legend.Top, log: l.LogY}
	}
	p.Add(plotter.NewGrid())
	return p, nil
}

// legendBand keeps a line chart's legend off its data: at drawing, the y
// axis grows by a band as tall as the legend (above the data for a legend
// at the top, below for one at the bottom), and is ticked over the data's
// range only. The range is the one set when the plot is first drawn (a
// figure may set it after Plot).
type legendBand struct {
	inner    plot.Ticker
	top, log bool
	set      bool
	lo, hi   float64
}

func (b *legendBand) Ticks(min, max float64) []plot.Tick {
	if b.set {
		min, max = b.lo, b.hi
	}
	return b.inner.Ticks(min, max)
}

func (b *legendBand) fit(p *plot.Plot, c draw.Canvas) {
	if !b.set {
		b.lo, b.hi, b.set = p.Y.Min, p.Y.Max, true
	}
	p.Y.Min, p.Y.Max = b.lo, b.hi
	data := p.DataCanvas(c)
	h := data.Size().Y
	if h <= 0 || !(b.lo < b.hi) {
		return
	}
	share := min(0.5, float64((p.Legend.Rectangle(data).Size().Y+vg.Points(4))/h))
	lo, hi := b.lo, b.hi
	if b.log {
		if lo <= 0 {
			return
		}
		lo, hi = math.Log10(lo), math.Log10(hi)
	}
	span := (hi - lo) / (1 - share)
	if b.top {
		hi = lo + span
	} else {
		lo = hi - span
	}
	if b.log {
		lo, hi = math.Pow(10, lo), math.Pow(10, hi)
	}
	p.Y.Min, p.Y.Max = lo, hi
}

// Bars is a bar chart of one value per category.
type Bars struct {
	Title          string
	XLabel, YLabel string
	Categories     []string
	Values         []float64
}

// Plot draws the bars, one colour per category.
func (b *Bars) Plot() (*plot.Plot, error) {
	if len(b.Categories) != len(b.Values) || len(b.Values) == 0 {
		return nil, fmt.Errorf("chart: bars %q: %d categories and %d values", b.Title, len(b.Categories), len(b.Values))
	}
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = b.Title, b.XLabel, b.YLabel
	width := vg.Points(18)
	for i, v := range b.Values {
		bar, err := plotter.NewBarChart(plotter.Values{v}, width)
		if err != nil {
			return nil, fmt.Errorf("chart: bars %q: %w", b.Title, err)
		}
		bar.Color = ClassColor(i)
		bar.LineStyle.Width = 0
		bar.XMin = float64(i)
		p.Add(bar)
	}
	p.NominalX(b.Categories...)
	p.Add(plotter.NewGrid())
	return p, nil
}

// Labelled is a set of grey images with a class each, as ImageSetGrid and
// LabelHistogram read it (datasets.ImageSet is one).
type Labelled interface {
	Len() int
	Image(i int) []float32 // grey levels in [0, 1], row by row.
	ImageSize() (rows, cols int)
	Classes() []string // the class names, by index.
	Class(i int) int   // the class index of image i.
}

// ImageSetGrid lays out the first rows×cols images of a data set, each
// column labelled with its class name.
func ImageSetGrid(title string, set Labelled, rows, cols int) *Grid {
	height, width := set.ImageSize()
	g := &Grid{Title: title, Rows: rows, Cols: cols, Height: height, Width: width}
	n := min(rows*cols, set.Len())
	for i := range n {
		g.Images = append(g.Images, set.Image(i))
	}
	for r := range rows {
		var labels []string
		for c := range cols {
			if i := r*cols + c; i < n {
				labels = append(labels, set.Classes()[set.Class(i)])
			}
		}
		g.RowLabels = append(g.RowLabels, strings.Join(labels, " "))
	}
	g.YLabel = "labels, left to right"
	return g
}

// LabelHistogram counts the examples of each class of a data set.
func LabelHistogram(title string, set Labelled) *Bars {
	counts := make([]float64, len(set.Classes()))
	for i := range set.Len() {
		counts[set.Class(i)]++
	}
	return &Bars{Title: title, XLabel: "class", YLabel: "examples", Categories: set.Classes(), Values: counts}
}

// Strips draws each group's values (one a seed) as points in a column of
// its own, with their mean as a bar across it: how far a comparison's arms
// lie apart against how far their seeds spread.
type Strips struct {
	Title, YLabel string
	Groups        []Strip
}

// Strip is one column of Strips.
type Strip struct {
	Name   string
	Values []float64
	Color  color.Color // nil: StripColor (the column's name says which arm it is).
}

// StripColor is a strip's colour unless it names one: one neutral colour, so
// that a strip never seems to be the run of that colour in another panel.
var StripColor color.Color = color.Gray{Y: 0x30}

// stripTicks marks a strips panel (its columns' names), which prints
// narrower than other axes: four fit in a row at PrintWidth. Its fit moves
// the first column right where its slanted name would pass the panel's
// left edge.
type stripTicks struct{ plot.ConstantTicks }

func (s stripTicks) fit(p *plot.Plot, c draw.Canvas) {
	rot := p.X.Tick.Label.Rotation
	if rot == 0 || len(s.ConstantTicks) == 0 {
		return
	}
	data := p.DataCanvas(c)
	w := float64(data.Size().X)
	if w <= 0 {
		return
	}
	first := s.ConstantTicks[0]
	sty := p.X.Tick.Label
	reach := float64(sty.Width(first.Label))*math.Cos(rot) + float64(sty.Height(first.Label))*math.Sin(rot) + 2
	// The share of the data area's width that the first column needs at its left.
	need := min(0.6, (reach-float64(data.Min.X-c.Min.X))/w)
	if need > p.X.Norm(first.Value) {
		p.X.Min = (first.Value - need*p.X.Max) / (1 - need)
	}
}

// Plot draws the strips.
func (s *Strips) Plot() (*plot.Plot, error) {
	if len(s.Groups) == 0 {
		return nil, fmt.Errorf("chart: strips %q have no groups", s.Title)
	}
	p := plot.New()
	p.Title.Text, p.Y.Label.Text = s.Title, s.YLabel
	p.Y.Tick.Marker = plainTicks{}
	var names plot.ConstantTicks
	for i, g := range s.Groups {
		if len(g.Values) == 0 {
			return nil, fmt.Errorf("chart: strips %q: group %q has no values", s.Title, g.Name)
		}
		colour := StripColor
		if g.Color != nil {
			colour = g.Color
		}
		xys := make(plotter.XYs, len(g.Values))
		mean := 0.0
		for j, v := range g.Values {
			// side by side, so that equal values stay visible.
			xys[j] = plotter.XY{X: float64(i) + 0.12*(float64(j)-float64(len(g.Values)-1)/2), Y: v}
			mean += v / float64(len(g.Values))
		}
		points, err := plotter.NewScatter(xys)
		if err != nil {
			return nil, fmt.Errorf("chart: strips %q: group %q: %w", s.Title, g.Name, err)
		}
		points.Color, points.Radius, points.Shape = colour, vg.Points(3), draw.CircleGlyph{}
		bar, err := plotter.NewLine(plotter.XYs{{X: float64(i) - 0.3, Y: mean}, {X: float64(i) + 0.3, Y: mean}})
		if err != nil {
			return nil, err
		}
		bar.Color, bar.Width = ClassColor(3), vg.Points(1.2) // the mean in red, apart from the points.
		p.Add(bar, points)
		names = append(names, plot.Tick{Value: float64(i), Label: g.Name})
	}
	p.X.Tick.Marker = stripTicks{names}
	if slices.ContainsFunc(s.Groups, func(g Strip) bool { return len(g.Name) > 6 }) { // long names slanted, apart.
		p.X.Tick.Label.Rotation = math.Pi / 6
		p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YTop
	}
	p.X.Min, p.X.Max = -0.6, float64(len(s.Groups))-0.4
	pad := 0.08 * (p.Y.Max - p.Y.Min) // points off the frame.
	if pad == 0 {
		pad = 0.05 * max(math.Abs(p.Y.Max), 1e-9)
	}
	p.Y.Min, p.Y.Max = p.Y.Min-pad, p.Y.Max+pad
	p.Add(plotter.NewGrid())
	return p, nil
}
