package chart

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

func testPanels(t *testing.T) (*Figure, []string) {
	t.Helper()
	grid := &Grid{Title: "grid", Rows: 2, Cols: 3, Height: 4, Width: 4, RowLabels: []string{"original", "decoded"},
		ColLabels: []string{"a", "b", "c"}}
	for k := range 6 {
		img := make([]float32, 16)
		for i := range img {
			img[i] = float32(k*16+i) / 96
		}
		grid.Images = append(grid.Images, img)
	}
	gp, err := grid.Plot()
	if err != nil {
		t.Fatal(err)
	}
	sc := &Scatter{Title: "scatter", XLabel: "z[0]", YLabel: "z[1]", ClassNames: []string{"zero", "one", "two"}}
	for i := range 90 {
		sc.X = append(sc.X, math.Cos(float64(i)))
		sc.Y = append(sc.Y, math.Sin(float64(i)))
		sc.Classes = append(sc.Classes, i%3)
	}
	sp, err := sc.Plot()
	if err != nil {
		t.Fatal(err)
	}
	lines := &Lines{Title: "curves", XLabel: "epoch", YLabel: "nats", Series: []Series{
		{Name: "train", X: []float64{1, 2, 3}, Y: []float64{3, 2, 1}},
		{Name: "test", X: []float64{1, 2, 3}, Y: []float64{3.5, 2.5, 1.5}, Dashed: true},
	}}
	lp, err := lines.Plot()
	if err != nil {
		t.Fatal(err)
	}
	return New("A test figure", gp, sp, lp), []string{"A test figure", "original", "decoded", "zero", "two", "z[0]", "epoch", "test"}
}

func TestFigureFiles(t *testing.T) {
	fig, texts := testPanels(t)
	fig.DPI = 100
	dir := t.TempDir()
	if err := fig.Save(dir, "test-figure"); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "test-figure.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	// 3 panels of 4 inches (12 in) laid out for print: two a row, 6.5 in wide, each panel
	// scaled by 6.5/8, 3.25 in tall, plus the title; at 100 dpi.
	if b := img.Bounds(); b.Dx() != 650 || b.Dy() != 695 {
		t.Errorf("PNG is %dx%d, want 650x695", b.Dx(), b.Dy())
	}
	svg, err := os.ReadFile(filepath.Join(dir, "test-figure.svg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range texts {
		if !strings.Contains(string(svg), ">"+want+"<") {
			t.Errorf("SVG does not show the text %q", want)
		}
	}
	pdf, err := os.ReadFile(filepath.Join(dir, "test-figure.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	// A vector page of the figure's printed size (6.5 × 6.95 inches, in points), its fonts embedded.
	for _, want := range []string{"%PDF-", "/MediaBox [0 0 468.00 500.40]", "/FontFile2"} {
		if !bytes.Contains(pdf, []byte(want)) {
			t.Errorf("the PDF lacks %q", want)
		}
	}
	if os.Getenv("CHART_KEEP") != "" {
		os.WriteFile(filepath.Join(os.Getenv("CHART_KEEP"), "test-figure.png"), raw, 0o644)
		os.WriteFile(filepath.Join(os.Getenv("CHART_KEEP"), "test-figure.pdf"), pdf, 0o644)
	}
}

func TestBadInput(t *testing.T) {
	if _, err := (&Grid{Rows: 1, Cols: 1, Height: 2, Width: 2, Images: [][]float32{{1}}}).Plot(); err == nil {
		t.Error("an image of the wrong size was accepted")
	}
	if _, err := (&Scatter{X: []float64{1}, Y: []float64{1}, Classes: []int{3}, ClassNames: []string{"a"}}).Plot(); err == nil {
		t.Error("a class outside the names was accepted")
	}
	if _, err := (&Figure{Title: "empty row", Panels: [][]*plot.Plot{{plot.New()}, {}}}).PNG(); err == nil {
		t.Error("a figure with an empty row was accepted")
	}
	// Rows of different lengths each fill the width.
	if _, err := (&Figure{Title: "two rows", Panels: [][]*plot.Plot{{plot.New(), plot.New()}, {plot.New()}}}).PNG(); err != nil {
		t.Errorf("a figure of two panels above one: %v", err)
	}
}

// A scatter's legend gets room of its own on the canvas the figure draws
// (a strip at the right, or a band at the top when the class names would
// take most of the width), so that no point lies under it, however long
// the names and however narrow the panel; the ticks stay over the points.
func TestScatterLegendRoom(t *testing.T) {
	for _, c := range []struct {
		names []string
		w     float64 // the panel's width, inches.
	}{
		{[]string{"0", "1"}, 4},
		{[]string{"soc.religion.christian", "talk.politics.mideast"}, 4},
		{[]string{"soc.religion.christian", "talk.politics.mideast", "comp.graphics", "sci.crypt", "sci.space", "rec.sport.hockey"}, 3},
	} {
		sc := &Scatter{Title: "codes", ClassNames: c.names}
		for i := range 300 {
			sc.X, sc.Y = append(sc.X, float64(i)), append(sc.Y, float64(i%17))
			sc.Classes = append(sc.Classes, i%len(c.names))
		}
		p, err := sc.Plot()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := New("", p, p).Size(2*c.w, 3).PNG(); err != nil {
			t.Fatal(err)
		}
		canvas := draw.New(vgimg.New(vg.Length(c.w)*vg.Inch, 3*vg.Inch))
		p.X.Tick.Marker.(fitter).fit(p, canvas)
		data := p.DataCanvas(canvas)
		// At the top right (gonum's Legend.Rectangle mirrors a right legend to the left).
		size := p.Legend.Rectangle(data).Size()
		r := vg.Points(1.2) // a point's radius.
		legend := vg.Rectangle{Min: vg.Point{X: data.Max.X - size.X - r, Y: data.Max.Y - size.Y - r}, Max: data.Max}
		for i := range sc.X {
			at := vg.Point{X: data.X(p.X.Norm(sc.X[i])), Y: data.Y(p.Y.Norm(sc.Y[i]))}
			if at.X >= legend.Min.X && at.X <= legend.Max.X && at.Y >= legend.Min.Y && at.Y <= legend.Max.Y {
				t.Fatalf("%v in %v in: point %d (%v, %v) lies under the legend %v", c.names, c.w, i, sc.X[i], sc.Y[i], legend)
			}
		}
		for _, tick := range p.X.Tick.Marker.Ticks(p.X.Min, p.X.Max) {
			if tick.Value > 299 {
				t.Errorf("%v: an x tick at %v, in the legend's strip", c.names, tick.Value)
			}
		}
		for _, tick := range p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max) {
			if tick.Value > 16 {
				t.Errorf("%v: a y tick at %v, in the legend's band", c.names, tick.Value)
			}
		}
	}
}

// An image grid keeps square pixels in a panel of any shape: a black 28×28
// image drawn in a wide and in a tall figure comes out square, next to its
// column label when it has one, centred when it has none.
func TestGridKeepsAspect(t *testing.T) {
	for _, c := range []struct {
		size   [2]float64
		labels []string
	}{{[2]float64{8, 3}, nil}, {[2]float64{3, 8}, nil}, {[2]float64{3, 8}, []string{"query"}}} {
		size := c.size
		g := &Grid{Rows: 1, Cols: 1, Height: 28, Width: 28, Images: [][]float32{make([]float32, 28*28)}, ColLabels: c.labels}
		p, err := g.Plot()
		if err != nil {
			t.Fatal(err)
		}
		fig := New("", p).Size(size[0], size[1])
		fig.DPI = 100
		raw, err := fig.PNG()
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		// The image's box: the rows and columns with many black pixels
		// (a label's text has few).
		rows, cols := map[int]int{}, map[int]int{}
		for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
			for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
				if r, _, _, _ := img.At(x, y).RGBA(); r < 0x2000 {
					rows[y]++
					cols[x]++
				}
			}
		}
		box := image.Rectangle{Min: img.Bounds().Max, Max: img.Bounds().Min}
		for y, n := range rows {
			if n > 50 {
				box.Min.Y, box.Max.Y = min(box.Min.Y, y), max(box.Max.Y, y+1)
			}
		}
		for x, n := range cols {
			if n > 50 {
				box.Min.X, box.Max.X = min(box.Min.X, x), max(box.Max.X, x+1)
			}
		}
		if w, h := box.Dx(), box.Dy(); w < 100 || w-h > 2 || h-w > 2 {
			t.Errorf("figure %gx%g in: the image is drawn %d×%d pixels, want a square over 100", size[0], size[1], w, h)
		}
		below, above := img.Bounds().Max.Y-box.Max.Y, box.Min.Y-img.Bounds().Min.Y
		if c.labels != nil && below > 60 || c.labels == nil && size[1] > size[0] && (below-above > 30 || above-below > 30) {
			t.Errorf("figure %gx%g in, column labels %q: %d pixels above the image, %d below", size[0], size[1], c.labels, above, below)
		}
	}
}

func TestPlainTicks(t *testing.T) {
	var labels []string
	for _, tick := range (plainTicks{}).Ticks(1, 18720) {
		if tick.Label != "" {
			labels = append(labels, tick.Label)
		}
	}
	if !slices.Contains(labels, "2500") || slices.ContainsFunc(labels, func(l string) bool { return strings.Contains(l, ".") }) {
		t.Errorf("ticks of 1…18720: %q, want whole numbers such as 2500", labels)
	}
	for _, tick := range (plainTicks{}).Ticks(0, 1.4) {
		if tick.Label == "" {
			continue
		}
		if v, err := strconv.ParseFloat(tick.Label, 64); err != nil || math.Abs(v-tick.Value) > 1e-9 || strings.HasSuffix(tick.Label, "0") && strings.Contains(tick.Label, ".") {
			t.Errorf("tick %v labelled %q", tick.Value, tick.Label)
		}
	}
}

// A scatter whose points share one x (a collapsed code) still draws.
func TestScatterOneX(t *testing.T) {
	sc := &Scatter{X: []float64{1, 1, 1}, Y: []float64{0, 1, 2}, Classes: []int{0, 0, 1}, ClassNames: []string{"a", "b"}}
	p, err := sc.Plot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New("one x", p).PNG(); err != nil {
		t.Fatal(err)
	}
}

// TestScatterRobustAxes: a few far outliers do not set a scatter's axes
// (everything else would shrink into a dot), and the axis says they are out.
func TestScatterRobustAxes(t *testing.T) {
	s := &Scatter{Title: "codes", XLabel: "code[0]", YLabel: "code[1]", ClassNames: []string{"a", "b"}}
	for i := range 1000 {
		s.X, s.Y, s.Classes = append(s.X, float64(i%10)/10), append(s.Y, float64(i%7)/7), append(s.Classes, i%2)
	}
	for _, far := range []float64{1000, -500, 800} {
		s.X, s.Y, s.Classes = append(s.X, far), append(s.Y, 0.5), append(s.Classes, 0)
	}
	p, err := s.Plot()
	if err != nil {
		t.Fatal(err)
	}
	if p.X.Max-p.X.Min > 5 {
		t.Errorf("the x axis spans [%g, %g]: the outliers set it", p.X.Min, p.X.Max)
	}
	if !strings.Contains(p.X.Label.Text, "3 of 1003 points beyond the axes") {
		t.Errorf("the x label %q does not say that 3 points are beyond the axes", p.X.Label.Text)
	}
}

// TestForPrint lays a figure four panels wide (16 in) out for an A4 page:
// two panels a row, the first column of a grid above its second, at most
// PrintWidth wide with every text at least 7 pt; a narrow figure stays as
// it is.
func TestForPrint(t *testing.T) {
	fig, _ := testPanels(t)
	extra, _ := testPanels(t)
	fig.Panels = [][]*plot.Plot{append(fig.Panels[0], extra.Panels[0][2])} // grid, scatter, lines, lines.
	if w, _ := fig.size(); w != 16*vg.Inch {
		t.Fatalf("natural width %v, want 16 in", w)
	}
	printed := fig.forPrint()
	if len(printed.Panels) != 2 || len(printed.Panels[0]) != 2 || printed.Panels[1][0] != fig.Panels[0][2] {
		t.Errorf("laid out as %d rows of %d, want 2 rows of 2, the third panel first in the second", len(printed.Panels), len(printed.Panels[0]))
	}
	if w, h := printed.size(); w != PrintWidth || h > 8*vg.Inch {
		t.Errorf("printed %v × %v, want %v wide and at most 8 in tall", w, h, PrintWidth)
	}
	svg, err := fig.SVG()
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckPrint(svg); err != nil {
		t.Error(err)
	}
	wide := bytes.Replace(svg, []byte(`<svg width="468pt"`), []byte(`<svg width="1152pt"`), 1)
	if err := CheckPrint(wide); err == nil || !strings.Contains(err.Error(), "1152 pt wide") {
		t.Errorf("a 16 in SVG: %v, want it refused", err)
	}
	tall := regexp.MustCompile(`(<svg width="[0-9.]+pt" height=")[0-9.]+pt"`).ReplaceAll(svg, []byte(`${1}720pt"`))
	if err := CheckPrint(tall); err == nil || !strings.Contains(err.Error(), "720 pt tall") {
		t.Errorf("a 10 in tall SVG: %v, want it refused", err)
	}
	tiny := append(slices.Clone(svg), []byte(`<text font-size="4.5px">x</text>`)...)
	if err := CheckPrint(tiny); err == nil || !strings.Contains(err.Error(), "4.5 pt") {
		t.Errorf("a 4.5 pt text: %v, want it refused", err)
	}
	narrow := New("narrow", fig.Panels[0][1])
	if narrow.forPrint() != narrow {
		t.Errorf("a 4 in figure was laid out again")
	}
	grid := &Figure{Panels: [][]*plot.Plot{fig.Panels[0][:3], extra.Panels[0]}} // a sweep's shape: curves above samples.
	if p := grid.forPrint(); len(p.Panels) != 4 || p.Panels[1][0] != extra.Panels[0][0] || p.Panels[3][1] != nil {
		t.Errorf("a 3-column grid: rows %d, want its first two columns (two rows) above its third (two rows, padded)", len(p.Panels))
	}
}

// TestStripsPrintNarrow: four strips panels share a printed row, the
// height of a row of strips, under a figure laid out again for print.
func TestStripsPrintNarrow(t *testing.T) {
	fig, _ := testPanels(t)
	var strips []*plot.Plot
	for i := range 4 {
		p, err := (&Strips{Title: fmt.Sprint("metric ", i), Groups: []Strip{{Name: "A", Values: []float64{1, 2, 3}}, {Name: "B", Values: []float64{2, 3, 4}}}}).Plot()
		if err != nil {
			t.Fatal(err)
		}
		strips = append(strips, p)
	}
	fig.Panels = append(fig.Panels, strips)
	printed := fig.forPrint()
	last := printed.Panels[len(printed.Panels)-1]
	if len(last) != 4 || last[3] != strips[3] {
		t.Errorf("strips printed %d a row, want 4", len(last))
	}
	if h := printed.RowHeights[len(printed.RowHeights)-1]; h != float64(StripHeight) {
		t.Errorf("a row of strips printed %v tall, want %v", vg.Length(h), StripHeight)
	}
}

func TestWrap(t *testing.T) {
	style := titleStyle
	width := style.Width("Greedy layer-wise autoencoder pretraining (seed")
	for _, c := range []struct{ in, want string }{
		{"short", "short"},
		{"Greedy layer-wise autoencoder pretraining (seed 0; below, 3 seeds)", "Greedy layer-wise autoencoder pretraining\n(seed 0; below, 3 seeds)"},
		{"two\nlines kept", "two\nlines kept"},
		{"a (parenthesis far too long to fit on one line of this width, so it is broken at spaces like any text)", ""},
	} {
		got := wrap(style, c.in, width)
		if c.want != "" && got != c.want {
			t.Errorf("wrap(%q) = %q, want %q", c.in, got, c.want)
		}
		for _, line := range strings.Split(got, "\n") {
			if style.Width(line) > width && strings.Contains(line, " ") {
				t.Errorf("wrap(%q): line %q wider than the width", c.in, line)
			}
		}
	}
}

// TestLogTicks: every log axis gets two labelled ticks or more, inside one
// decade too (gonum's own labelled 0.3 to 0.9 nowhere).
func TestLogTicks(t *testing.T) {
	for _, c := range [][2]float64{{0.3, 0.9}, {1, 1000}, {0.012, 0.018}, {3, 40}, {0.9, 1.1}} {
		if n := labelled(logTicks{}.Ticks(c[0], c[1]), c[0], c[1]); n < 2 {
			t.Errorf("log axis %g to %g: %d labelled ticks, want 2 or more", c[0], c[1], n)
		}
	}
	if n := labelled(plot.LogTicks{Prec: -1}.Ticks(0.3, 0.9), 0.3, 0.9); n >= 2 {
		t.Errorf("gonum's LogTicks labels 0.3 to 0.9 %d times now: logTicks may be dropped", n)
	}
}
