// Package chart draws vaekit's figures with gonum/plot and writes them as
// PNG and SVG: image grids with row and column labels, scatter plots
// coloured by class with a legend, and line charts.
//
// A Figure is one or more panels (gonum plots) laid out in a grid under a
// title. The same Figure is saved to files by the vaekit command and shown
// inline by a GoNB notebook (Display).
package chart

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gomlx/gomlx/ui/notebooks"
	"github.com/janpfeifer/gonb/gonbui"
	"github.com/vaekit/vaekit/internal/atomicfile"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"
)

// DefaultDPI is the resolution of PNG files unless a Figure says otherwise.
var DefaultDPI = 150

// Figure is a titled grid of panels.
type Figure struct {
	Title  string
	Panels [][]*plot.Plot // rows of panels; rows of different lengths each fill the width.
	// RowHeights are the rows' shares of the height (nil: equal), so that a
	// row of image grids gets the height its images need and no empty band.
	RowHeights []float64
	// Size of the whole figure; zero picks 4 inches a panel.
	Width, Height vg.Length
	DPI           int // PNG resolution; zero means DefaultDPI.
}

// New returns a figure of one row of panels.
func New(title string, panels ...*plot.Plot) *Figure {
	return &Figure{Title: title, Panels: [][]*plot.Plot{panels}}
}

// Size sets the figure's size in inches and returns it.
func (f *Figure) Size(width, height float64) *Figure {
	f.Width, f.Height = vg.Length(width)*vg.Inch, vg.Length(height)*vg.Inch
	return f
}

func (f *Figure) size() (w, h vg.Length) {
	w, h = f.Width, f.Height
	if w == 0 {
		cols := 0
		for _, row := range f.Panels {
			cols = max(cols, len(row))
		}
		w = vg.Length(4*cols) * vg.Inch
	}
	if h == 0 {
		h = vg.Length(4*len(f.Panels))*vg.Inch + f.titleHeight()
	}
	return
}

func (f *Figure) titleHeight() vg.Length {
	if f.Title == "" {
		return 0
	}
	return 0.45*vg.Inch + 0.2*vg.Inch*vg.Length(strings.Count(f.Title, "\n"))
}

var titleStyle = text.Style{
	Color:   color.Black,
	Font:    font.From(plot.DefaultFont, 12),
	XAlign:  draw.XCenter,
	YAlign:  draw.YTop,
	Handler: plot.DefaultTextHandler,
}

// PrintWidth is the widest a figure is drawn: A4's text width (21 cm less
// two 2.5 cm margins, 6.3 in) and a little. Texts keep their sizes in points
// (10 to 12, none below 7), so a figure printed at this width shows them at
// those sizes, where a 16 in figure scaled onto the page showed 4 pt ticks.
const PrintWidth = 6.5 * vg.Inch

// PrintHeight is the tallest a figure may be: A4's text height (29.7 cm
// less two 2.5 cm margins, 9.7 in) less room for its caption.
const PrintHeight = 9 * vg.Inch

// minPanelWidth is the narrowest a panel of axes gets when a wide figure
// is laid out again for PrintWidth, and minImageWidth an image panel's:
// wider figures put their panels in more rows.
const (
	minPanelWidth = 2.9 * vg.Inch
	minImageWidth = 1.4 * vg.Inch
	minStripWidth = 1.55 * vg.Inch // a strips panel (two or three columns).
	imageCaption  = 0.55 * vg.Inch // an image panel's title and labels.
	minAxesHeight = 2.4 * vg.Inch  // a printed row with axes in it is no lower.
)

// StripHeight is the height of a row of Strips panels.
const StripHeight = 2.1 * vg.Inch

// minWidth is the narrowest panel p may be printed.
func minWidth(p *plot.Plot) vg.Length {
	if p == nil {
		return 0
	}
	switch p.X.Tick.Marker.(type) {
	case *keepAspect:
		return minImageWidth
	case stripTicks:
		return minStripWidth
	}
	return minPanelWidth
}

// perRow is how many of row's panels fit side by side at PrintWidth.
func perRow(row []*plot.Plot) int {
	widest := vg.Length(0)
	for n, p := range row {
		widest = max(widest, minWidth(p))
		if vg.Length(n+1)*widest > PrintWidth {
			return max(1, n)
		}
	}
	return len(row)
}

// forPrint is f laid out at most PrintWidth wide: a figure wider than that
// puts as many panels a row as fit (axes at least minPanelWidth, images
// minImageWidth), and scales each row's panels by one factor, so that they
// keep their shapes (a row of images no taller than its images need). A
// grid's columns stay together where its rows split alike (a sweep's curves
// above their samples); other rows are split where they are.
func (f *Figure) forPrint() *Figure {
	w, h := f.size()
	if len(f.Panels) == 0 {
		return f
	}
	if w <= PrintWidth {
		title := wrap(titleStyle, f.Title, w-0.2*vg.Inch)
		if title == f.Title {
			return f
		}
		out := *f
		out.Title = title
		out.Width, out.Height = w, h+out.titleHeight()-f.titleHeight()
		return &out
	}
	heights := f.RowSizes()
	type band struct {
		panels []*plot.Plot
		height float64
	}
	split := make([][]band, len(f.Panels)) // each row's new rows.
	alike := true
	for i, row := range f.Panels {
		per := perRow(row)
		alike = alike && len(row) == len(f.Panels[0]) && per == perRow(f.Panels[0])
		panelW := float64(PrintWidth) / float64(per)
		scale := panelW / (float64(w) / float64(len(row)))
		for start := 0; start < len(row); start += per {
			padded := make([]*plot.Plot, per) // nil panels keep a short last row's panels the width of the others.
			copy(padded, row[start:min(start+per, len(row))])
			height := float64(heights[i]) * scale
			need, images, strips := 0.0, true, true
			for _, p := range padded {
				if p == nil {
					continue
				}
				k, isImage := p.X.Tick.Marker.(*keepAspect)
				_, isStrip := p.X.Tick.Marker.(stripTicks)
				images, strips = images && isImage, strips && isStrip
				if isImage {
					need = max(need, panelW*k.h/k.w+float64(imageCaption))
				}
			}
			switch {
			case images:
				height = min(height, need)
			case strips:
				height = float64(StripHeight)
			default:
				height = max(height, float64(minAxesHeight))
			}
			split[i] = append(split[i], band{padded, height})
		}
	}
	var bands []band
	if alike { // chunk by chunk: a grid's columns stay together.
		for c := range split[0] {
			for i := range split {
				bands = append(bands, split[i][c])
			}
		}
	} else {
		for _, row := range split {
			bands = append(bands, row...)
		}
	}
	out := &Figure{Title: wrap(titleStyle, f.Title, PrintWidth-0.2*vg.Inch), DPI: f.DPI, Width: PrintWidth}
	out.Height = out.titleHeight()
	for _, b := range bands {
		out.Panels = append(out.Panels, b.panels)
		out.RowHeights = append(out.RowHeights, b.height)
		out.Height += vg.Length(b.height)
	}
	return out
}

// RowSizes are the heights its rows are drawn with (before it is laid out
// for print): their shares (RowHeights, or equal) of the height below the title.
func (f *Figure) RowSizes() []vg.Length {
	_, h := f.size()
	shares := f.RowHeights
	if len(shares) != len(f.Panels) {
		shares = slices.Repeat([]float64{1}, len(f.Panels))
	}
	total := 0.0
	for _, s := range shares {
		total += s
	}
	sizes := make([]vg.Length, len(shares))
	for i, s := range shares {
		sizes[i] = vg.Length(s/total) * (h - f.titleHeight())
	}
	return sizes
}

// Dimensions is the figure's size as set, or as its panels make it (before
// it is laid out for print).
func (f *Figure) Dimensions() (w, h vg.Length) { return f.size() }

// draw renders the figure on a canvas of its size.
func (f *Figure) draw(c vg.CanvasSizer) error {
	if len(f.Panels) == 0 || len(f.Panels[0]) == 0 {
		return fmt.Errorf("chart: figure %q has no panels", f.Title)
	}
	dc := draw.New(c)
	for _, row := range f.Panels {
		for _, p := range row {
			if p != nil {
				printStyle(p, (dc.Max.X-dc.Min.X)/vg.Length(len(row))-0.3*vg.Inch)
			}
		}
	}
	if f.Title != "" {
		top := dc.Max.Y - 0.1*vg.Inch
		dc.FillText(titleStyle, vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: top}, f.Title)
		dc.Max.Y -= f.titleHeight()
	}
	tiles := draw.Tiles{
		Rows: len(f.Panels), Cols: len(f.Panels[0]),
		PadX: 0.2 * vg.Inch, PadY: 0.2 * vg.Inch,
		PadTop: 0.05 * vg.Inch, PadBottom: 0.1 * vg.Inch, PadLeft: 0.1 * vg.Inch, PadRight: 0.15 * vg.Inch,
	}
	rectangular := true
	for _, row := range f.Panels {
		if len(row) == 0 {
			return fmt.Errorf("chart: figure %q has an empty row", f.Title)
		}
		rectangular = rectangular && len(row) == tiles.Cols
	}
	if rectangular && f.RowHeights == nil { // one grid: axes aligned across rows and columns.
		drawRows(f.Panels, plot.Align(f.Panels, tiles, dc))
		return nil
	}
	// Otherwise each row is a band of its share of the height, filled across.
	shares := f.RowHeights
	if len(shares) != len(f.Panels) {
		if shares != nil {
			return fmt.Errorf("chart: figure %q has %d rows and %d row heights", f.Title, len(f.Panels), len(shares))
		}
		shares = slices.Repeat([]float64{1}, len(f.Panels))
	}
	total := 0.0
	for _, h := range shares {
		total += h
	}
	top := dc.Max.Y
	for i, row := range f.Panels {
		band := dc
		band.Max.Y = top
		band.Min.Y = top - vg.Length(shares[i]/total)*(dc.Max.Y-dc.Min.Y)
		top = band.Min.Y
		rowTiles := tiles
		rowTiles.Rows, rowTiles.Cols = 1, len(row)
		drawRows([][]*plot.Plot{row}, plot.Align([][]*plot.Plot{row}, rowTiles, band))
	}
	return nil
}

// Text sizes in a panel, in points: gonum's defaults (12 for titles, axis
// labels and legends) crowd a panel a third or half of a page wide.
const (
	panelTitleSize = 11
	axisLabelSize  = 10
	tickLabelSize  = 9
	legendSize     = 9
)

// printStyle sets p's texts to the panel sizes (a smaller size set by a
// figure stays), and breaks its title into lines no wider than width.
func printStyle(p *plot.Plot, width vg.Length) {
	for _, st := range []struct {
		size *font.Length
		max  font.Length
	}{
		{&p.Title.TextStyle.Font.Size, panelTitleSize}, {&p.X.Label.TextStyle.Font.Size, axisLabelSize},
		{&p.Y.Label.TextStyle.Font.Size, axisLabelSize}, {&p.X.Tick.Label.Font.Size, tickLabelSize},
		{&p.Y.Tick.Label.Font.Size, tickLabelSize}, {&p.Legend.TextStyle.Font.Size, legendSize},
	} {
		*st.size = min(*st.size, st.max)
	}
	p.Title.Text = wrap(p.Title.TextStyle, p.Title.Text, width)
}

// wrap breaks text into lines no wider than width in style, at spaces,
// keeping its own line breaks and a parenthesis that fits a line on one
// (text that fits, or a width of 0, stays as it is).
func wrap(style text.Style, s string, width vg.Length) string {
	if s == "" || width <= 0 {
		return s
	}
	var out []string
	for _, para := range strings.Split(s, "\n") {
		if style.Width(para) <= width {
			out = append(out, para)
			continue
		}
		var units []string // words, and parentheses that fit a line.
		for _, word := range strings.Fields(para) {
			if n := len(units); n > 0 && strings.Count(units[n-1], "(") > strings.Count(units[n-1], ")") &&
				style.Width(units[n-1]+" "+word) <= width {
				units[n-1] += " " + word
				continue
			}
			units = append(units, word)
		}
		line := ""
		for _, unit := range units {
			if line != "" && style.Width(line+" "+unit) > width {
				out, line = append(out, line), unit
				continue
			}
			line = strings.TrimSpace(line + " " + unit)
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// drawRows draws rows of panels on their canvases.
func drawRows(panels [][]*plot.Plot, canvases [][]draw.Canvas) {
	for i, row := range panels {
		for j, p := range row {
			if p != nil {
				for _, marker := range []plot.Ticker{p.X.Tick.Marker, p.Y.Tick.Marker} {
					if layout, ok := marker.(fitter); ok {
						layout.fit(p, canvases[i][j])
					}
				}
				p.Draw(canvases[i][j])
			}
		}
	}
}

// PNG renders the figure as PNG, laid out for print.
func (f *Figure) PNG() ([]byte, error) { return f.forPrint().png() }

func (f *Figure) png() ([]byte, error) {
	w, h := f.size()
	dpi := f.DPI
	if dpi == 0 {
		dpi = DefaultDPI
	}
	c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(color.White))
	if err := f.draw(c); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// SVG renders the figure as SVG, laid out for print.
func (f *Figure) SVG() ([]byte, error) {
	f = f.forPrint()
	w, h := f.size()
	return f.vector(vgsvg.New(w, h))
}

// PDF renders the figure as PDF, vector, with its fonts embedded, laid out
// for print.
func (f *Figure) PDF() ([]byte, error) {
	f = f.forPrint()
	w, h := f.size()
	c := vgpdf.New(w, h)
	c.EmbedFonts(true)
	return f.vector(c)
}

// vector draws the figure on a vector canvas and returns the file it writes.
func (f *Figure) vector(c interface {
	vg.CanvasSizer
	io.WriterTo
}) ([]byte, error) {
	if err := f.draw(c); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Save writes dir/name.png, .svg and .pdf as a set, atomically (a reader
// never sees half a file), creating dir if needed.
func (f *Figure) Save(dir, name string) error {
	files, err := f.Files(dir, name)
	if err != nil {
		return err
	}
	return atomicfile.WriteFiles(files)
}

// Files renders the figure as the contents of dir/name.png, .svg and .pdf
// (for reports), for writing with other files as one set.
func (f *Figure) Files(dir, name string) (map[string][]byte, error) {
	png, err := f.PNG()
	if err != nil {
		return nil, fmt.Errorf("chart: rendering %s.png: %w", name, err)
	}
	svg, err := f.SVG()
	if err != nil {
		return nil, fmt.Errorf("chart: rendering %s.svg: %w", name, err)
	}
	pdf, err := f.PDF()
	if err != nil {
		return nil, fmt.Errorf("chart: rendering %s.pdf: %w", name, err)
	}
	base := filepath.Join(dir, name)
	return map[string][]byte{base + ".png": png, base + ".svg": svg, base + ".pdf": pdf}, nil
}

// HTML is the figure as an HTML image (PNG at 72 dpi, inline), for a
// notebook view that is redrawn in place (explorers, a sweep's live view):
// drawn for the screen at its own size, not laid out for print.
func (f *Figure) HTML() (string, error) {
	f.DPI = 72
	png, err := f.png()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf(`<div class="vaekit-explorer"><img alt="explorer" src="data:image/png;base64,%s"/></div>`,
		base64.StdEncoding.EncodeToString(png)), nil
}

// Display shows the figure inline when running in a GoNB notebook (as PNG,
// which every Jupyter front end shows at once), and does nothing elsewhere.
func (f *Figure) Display() error {
	if !notebooks.IsGoNB() {
		return nil
	}
	png, err := f.PNG()
	if err != nil {
		return err
	}
	gonbui.DisplayPNG(png)
	return nil
}

// MinPrintFont is the smallest text, in points, a figure may print with.
const MinPrintFont = 7

var (
	svgWidth    = regexp.MustCompile(`<svg width="([0-9.e+-]+)pt" height="([0-9.e+-]+)pt"`)
	svgFontSize = regexp.MustCompile(`font-size="([0-9.e+-]+)px"`)
)

// CheckPrint reads an SVG this package wrote (its width in points, its
// user unit the point) and says what would not print on an A4 page: wider
// than PrintWidth, taller than PrintHeight, or a text smaller than MinPrintFont.
func CheckPrint(svg []byte) error {
	m := svgWidth.FindSubmatch(svg)
	if m == nil {
		return fmt.Errorf("chart: not an SVG of this package (no width in points)")
	}
	var problems []string
	if w, err := strconv.ParseFloat(string(m[1]), 64); err != nil || w > PrintWidth.Points()+0.01 {
		problems = append(problems, fmt.Sprintf("%s pt wide, more than %.0f pt (%.1f in)", m[1], PrintWidth.Points(), PrintWidth.Points()/72))
	}
	if h, err := strconv.ParseFloat(string(m[2]), 64); err != nil || h > PrintHeight.Points()+0.01 {
		problems = append(problems, fmt.Sprintf("%s pt tall, more than %.0f pt (%.1f in)", m[2], PrintHeight.Points(), PrintHeight.Points()/72))
	}
	smallest, texts := math.Inf(1), 0
	for _, f := range svgFontSize.FindAllSubmatch(svg, -1) {
		if size, err := strconv.ParseFloat(string(f[1]), 64); err == nil {
			smallest, texts = min(smallest, size), texts+1
		}
	}
	if texts > 0 && smallest < MinPrintFont {
		problems = append(problems, fmt.Sprintf("a text of %.3g pt, less than %d", smallest, MinPrintFont))
	}
	if problems != nil {
		return fmt.Errorf("chart: does not print on an A4 page: %s", strings.Join(problems, "; "))
	}
	return nil
}
