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
	"path/filepath"
	"slices"

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
	return 0.45 * vg.Inch
}

var titleStyle = text.Style{
	Color:   color.Black,
	Font:    font.From(plot.DefaultFont, 15),
	XAlign:  draw.XCenter,
	YAlign:  draw.YTop,
	Handler: plot.DefaultTextHandler,
}

// draw renders the figure on a canvas of its size.
func (f *Figure) draw(c vg.CanvasSizer) error {
	if len(f.Panels) == 0 || len(f.Panels[0]) == 0 {
		return fmt.Errorf("chart: figure %q has no panels", f.Title)
	}
	dc := draw.New(c)
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

// drawRows draws rows of panels on their canvases.
func drawRows(panels [][]*plot.Plot, canvases [][]draw.Canvas) {
	for i, row := range panels {
		for j, p := range row {
			if p != nil {
				if layout, ok := p.X.Tick.Marker.(fitter); ok {
					layout.fit(p, canvases[i][j])
				}
				p.Draw(canvases[i][j])
			}
		}
	}
}

// PNG renders the figure as PNG.
func (f *Figure) PNG() ([]byte, error) {
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

// SVG renders the figure as SVG.
func (f *Figure) SVG() ([]byte, error) {
	w, h := f.size()
	return f.vector(vgsvg.New(w, h))
}

// PDF renders the figure as PDF, vector, with its fonts embedded.
func (f *Figure) PDF() ([]byte, error) {
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
// notebook view that is redrawn in place (explorers, a sweep's live view).
func (f *Figure) HTML() (string, error) {
	f.DPI = 72
	png, err := f.PNG()
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
