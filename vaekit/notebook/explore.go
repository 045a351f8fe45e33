package notebook

import (
	"context"
	"fmt"
	"image/color"
	"math"
	"slices"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/comms"
	"github.com/janpfeifer/gonb/gonbui/dom"
	"github.com/janpfeifer/gonb/gonbui/widgets"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/chart"
	"github.com/vaekit/vaekit/vaekit/compress"
	"github.com/vaekit/vaekit/vaekit/experiments"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// exploreSpan is how far the sliders move z on the latent plane, in units
// of the prior's standard deviation.
const exploreSpan = 3.0

// ExploreVAE lets a reader move through the VAE's latent plane in a notebook
// cell: two sliders set z on the plane the figures draw, and the digit
// decoded from z is shown beside the test images' codes, z marked among
// them. The Stop button ends it, as does ExploreIdle without a move (so a
// Run All goes on by itself); the last view stays in the notebook.
// Without an interactive front end (a headless run of the notebook) it shows
// the view at z = 0 and returns.
func ExploreVAE(ctx context.Context, t *experiments.TrainedVAE, opts experiments.Options) error {
	pl, err := t.Plane("the latent explorer")
	if err != nil {
		return err
	}
	v := &planeView{test: t.Test, xLabel: pl.Labels[0], yLabel: pl.Labels[1], name: "z",
		decode: func(x, y float64) ([][]float32, error) { return t.VAE.Decode([][]float32{pl.Point(x, y)}) }}
	for _, m := range pl.Codes {
		x, y := pl.Project(m)
		v.codes = append(v.codes, [2]float64{x, y})
	}
	return explorePlane(ctx, v, exploreSpan)
}

// ExploreAE is ExploreVAE for an autoencoder with a 2-D code: the sliders
// move the code over the span of the test images' codes.
func ExploreAE(ctx context.Context, t *experiments.TrainedAE, opts experiments.Options) error {
	if code := t.Experiment.Layers[len(t.Experiment.Layers)-1]; code != 2 {
		return fmt.Errorf("the code explorer moves a 2-D code, this autoencoder's has %d numbers", code)
	}
	codes, err := t.AE.Encode(vaekit.ImageData(t.Test))
	if err != nil {
		return err
	}
	v := &planeView{test: t.Test, xLabel: "code[0]", yLabel: "code[1]", name: "code",
		decode: func(x, y float64) ([][]float32, error) { return t.AE.Decode([][]float32{{float32(x), float32(y)}}) }}
	span := 0.0
	for _, c := range codes {
		v.codes = append(v.codes, [2]float64{float64(c[0]), float64(c[1])})
		span = max(span, math.Abs(float64(c[0])), math.Abs(float64(c[1])))
	}
	return explorePlane(ctx, v, span)
}

// planeView is a plane of codes: the test images' codes and a decoder.
type planeView struct {
	test           *datasets.ImageSet
	codes          [][2]float64 // of test's images
	xLabel, yLabel string
	name           string // of a point of the plane ("z", "code").
	decode         func(x, y float64) ([][]float32, error)
	id             string
}

// explorePlane runs a plane explorer: two sliders over ±span, and Stop.
func explorePlane(ctx context.Context, v *planeView, span float64) error {
	v.id = "vaekit-explorer-" + gonbui.UniqueID()
	if err := v.show(0, 0, false); err != nil {
		return err
	}
	controls := "vaekit-explorer-controls-" + gonbui.UniqueID()
	gonbui.DisplayHTML(fmt.Sprintf(`<div id=%q class="vaekit-explorer-controls">move %s: </div>`, controls, v.name))
	type controlSet struct {
		x, y *widgets.SliderBuilder
		stop *widgets.ButtonBuilder
	}
	c, ok := withFrontEnd(func() controlSet {
		return controlSet{widgets.Slider(-100, 100, 0).AppendTo(controls).Done(),
			widgets.Slider(-100, 100, 0).AppendTo(controls).Done(), widgets.Button("Stop").AppendTo(controls).Done()}
	})
	if !ok {
		dom.SetInnerHtml(controls, fmt.Sprintf("no live front end (run the notebook in JupyterLab to move %s): the view at %s = 0", v.name, v.name))
		return v.show(0, 0, true)
	}
	x, y := 0.0, 0.0
	return runControls(ctx, controls, c.stop, []*widgets.SliderBuilder{c.x, c.y}, nil,
		func(i, p int) {
			if i == 0 {
				x = span * float64(p) / 100
			} else {
				y = span * float64(p) / 100
			}
		},
		func(final bool) error { return v.show(x, y, final) },
		func() string { return fmt.Sprintf("%s = (%.2f, %.2f)", v.name, x, y) })
}

// runControls runs an explorer until its Stop button, ctx, or a spell
// without a move (ExploreIdle) ends it, so that Run All never waits for a
// person: each move of a slider or select (its index among sliders, then
// selects, and its value) goes to set, then the view is shown again; at the
// end the view is shown for good and the controls say where it stopped and
// how to explore again.
func runControls(ctx context.Context, controls string, stop *widgets.ButtonBuilder,
	sliders []*widgets.SliderBuilder, selects []*widgets.SelectBuilder,
	set func(i, value int), show func(final bool) error, where func() string) error {
	var inputs []*comms.AddressChan[int]
	for _, s := range sliders {
		inputs = append(inputs, s.Listen().LatestOnly())
	}
	for _, s := range selects {
		inputs = append(inputs, s.Listen().LatestOnly())
	}
	stops := stop.Listen()
	defer stops.Close()
	type move struct{ i, value int }
	moves, done := make(chan move), make(chan struct{})
	defer close(done)
	for i, in := range inputs {
		defer in.Close()
		go func() {
			for v := range in.C {
				select {
				case moves <- move{i, v}:
				case <-done:
					return
				}
			}
		}()
	}
	idle := time.NewTimer(ExploreIdle)
	defer idle.Stop()
	for {
		select {
		case m := <-moves:
			set(m.i, m.value)
			idle.Reset(ExploreIdle)
		case <-stops.C:
			dom.SetInnerHtml(controls, "stopped at "+where()+"; run this cell again to explore")
			return show(true)
		case <-idle.C:
			dom.SetInnerHtml(controls, fmt.Sprintf("left alone for %v, so the notebook went on: stopped at %s; run this cell again to explore",
				ExploreIdle, where()))
			return show(true)
		case <-ctx.Done():
			return show(true)
		}
		if err := show(false); err != nil {
			return err
		}
	}
}

// ExploreIdle is how long an explorer waits for a move before it gives the
// kernel back (its last view stays): a cell that waited for a click would
// hold every cell after it in a Run All.
var ExploreIdle = 30 * time.Second

// withFrontEnd builds an explorer's widgets and reports whether that took
// less than 10 s: a widget's Done waits for the notebook's front end, which a
// headless run of the notebook has not (build then never returns).
func withFrontEnd[T any](build func() T) (T, bool) {
	built := make(chan T, 1)
	go func() { built <- build() }()
	select {
	case w := <-built:
		return w, true
	case <-time.After(10 * time.Second):
		var none T
		return none, false
	}
}

// showHTML shows a view in place, or for good (the transient block cleared).
func showHTML(id, page string, final bool) {
	if final {
		gonbui.UpdateHTML(id, "")
		gonbui.DisplayHTML(page)
	} else {
		gonbui.UpdateHTML(id, page)
	}
}

func (v *planeView) show(x, y float64, final bool) error {
	page, err := v.html(x, y)
	if err != nil {
		return err
	}
	showHTML(v.id, page, final)
	return nil
}

func (v *planeView) html(x, y float64) (string, error) {
	const shown = 2000 // test codes drawn: enough for the clusters, quick to redraw.
	s := &chart.Scatter{Title: "test images' codes, and " + v.name, XLabel: v.xLabel, YLabel: v.yLabel,
		ClassNames: v.test.ClassNames}
	if s.ClassNames == nil {
		s.ClassNames = []string{v.test.Name}
	}
	for i, c := range v.codes[:min(shown, len(v.codes))] {
		s.X, s.Y = append(s.X, c[0]), append(s.Y, c[1])
		class := 0
		if v.test.Labels != nil {
			class = int(v.test.Labels[i])
		}
		s.Classes = append(s.Classes, class)
	}
	sp, err := s.Plot()
	if err != nil {
		return "", err
	}
	mark, err := plotter.NewScatter(plotter.XYs{{X: x, Y: y}})
	if err != nil {
		return "", err
	}
	mark.GlyphStyle = draw.GlyphStyle{Shape: draw.CrossGlyph{}, Radius: vg.Points(9), Color: color.Black}
	sp.Add(mark)
	img, err := v.decode(x, y)
	if err != nil {
		return "", err
	}
	g := &chart.Grid{Title: fmt.Sprintf("decoded from %s = (%.2f, %.2f)", v.name, x, y), Rows: 1, Cols: 1,
		Height: v.test.Rows, Width: v.test.Cols, Images: img}
	gp, err := g.Plot()
	if err != nil {
		return "", err
	}
	return chart.New("", sp, gp).Size(10, 4.6).HTML()
}

// ExploreGAN lets a reader walk the generator's latent space in a notebook
// cell: a slider moves z along the straight line between two codes, and
// the image generated from z is shown between the line's two ends; for a
// conditional GAN a select picks the digit asked for. Stop, ExploreIdle
// without a move and a headless run end it as in ExploreVAE.
func ExploreGAN(ctx context.Context, t *experiments.TrainedGAN, opts experiments.Options) error {
	ends := t.GAN.UniformNoise(2, 21)
	v := &lineView{gan: t.GAN, a: ends[0], b: ends[1], id: "vaekit-explorer-" + gonbui.UniqueID()}
	if err := v.show(0.5, 0, false); err != nil {
		return err
	}
	controls := "vaekit-explorer-controls-" + gonbui.UniqueID()
	gonbui.DisplayHTML(fmt.Sprintf(`<div id=%q class="vaekit-explorer-controls">walk from one code to the other: </div>`, controls))
	type controlSet struct {
		walk  *widgets.SliderBuilder
		digit *widgets.SelectBuilder
		stop  *widgets.ButtonBuilder
	}
	c, ok := withFrontEnd(func() (c controlSet) {
		c.walk = widgets.Slider(0, 100, 50).AppendTo(controls).Done()
		if t.Experiment.Conditional {
			c.digit = widgets.Select([]string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}).AppendTo(controls).Done()
		}
		c.stop = widgets.Button("Stop").AppendTo(controls).Done()
		return c
	})
	if !ok {
		dom.SetInnerHtml(controls, "no live front end (run the notebook in JupyterLab to walk): the view halfway")
		return v.show(0.5, 0, true)
	}
	var selects []*widgets.SelectBuilder
	if c.digit != nil {
		selects = append(selects, c.digit)
	}
	f, digit := 0.5, int32(0)
	return runControls(ctx, controls, c.stop, []*widgets.SliderBuilder{c.walk}, selects,
		func(i, p int) {
			if i == 0 {
				f = float64(p) / 100
			} else {
				digit = int32(p)
			}
		},
		func(final bool) error { return v.show(f, digit, final) },
		func() string { return fmt.Sprintf("%.0f%% of the way", 100*f) })
}

// lineView is a straight line between two codes of a GAN's latent space.
type lineView struct {
	gan  *vaekit.GAN
	a, b []float32
	id   string
}

func (v *lineView) show(f float64, digit int32, final bool) error {
	z := make([]float32, len(v.a))
	for j := range z {
		z[j] = float32(1-f)*v.a[j] + float32(f)*v.b[j]
	}
	labels := []int32{digit, digit, digit}
	images, err := v.gan.Generate([][]float32{v.a, z, v.b}, labels)
	if err != nil {
		return err
	}
	title := fmt.Sprintf("generated along the line, at %.0f%%", 100*f)
	if v.gan.Config.Conditional {
		title += fmt.Sprintf(", digit %d asked for", digit)
	}
	g := &chart.Grid{Title: title, Rows: 1, Cols: 3, Height: 28, Width: 28, Images: images,
		ColLabels: []string{"one end", "z", "the other end"}}
	return showGrid(v.id, g, 6, 2.8, final)
}

// showGrid shows a grid of images as an explorer's view, width × height inches.
func showGrid(id string, g *chart.Grid, width, height float64, final bool) error {
	gp, err := g.Plot()
	if err != nil {
		return err
	}
	page, err := chart.New("", gp).Size(width, height).HTML()
	if err != nil {
		return err
	}
	showHTML(id, page, final)
	return nil
}

// ExploreCompression lets a reader set the autoencoder's code size and bits
// per code number, and JPEG's quality, in a notebook cell, and see the same
// test images through both codecs with their bytes per image and PSNR (over
// the first 500 test images). Stop, ExploreIdle without a move and a headless run end
// it as in ExploreVAE.
func ExploreCompression(ctx context.Context, exp experiments.CompressionExperiment, opts experiments.Options) error {
	if len(exp.CodeSizes) == 0 || len(exp.Bits) == 0 {
		return fmt.Errorf("the compression explorer needs code sizes and bits, got %v, %v", exp.CodeSizes, exp.Bits)
	}
	v := &codecView{id: "vaekit-explorer-" + gonbui.UniqueID(), bits: exp.Bits}
	for _, code := range exp.CodeSizes {
		m, err := experiments.TrainCompressionAE(ctx, exp, code, opts)
		if err != nil {
			return err
		}
		if v.test == nil {
			v.test = m.AE.Test.Subset(500)
			v.originals = vaekit.ImageData(v.test).Rows()
		}
		codes, err := m.AE.AE.Encode(vaekit.ImageData(v.test))
		if err != nil {
			return err
		}
		v.models, v.codes = append(v.models, m), append(v.codes, codes)
	}
	model, bits, quality := len(v.models)-1, len(exp.Bits)/2, 50
	if err := v.show(model, bits, quality, false); err != nil {
		return err
	}
	controls := "vaekit-explorer-controls-" + gonbui.UniqueID()
	gonbui.DisplayHTML(fmt.Sprintf(`<div id=%q class="vaekit-explorer-controls">code size, bits per number, JPEG quality: </div>`, controls))
	type controlSet struct {
		code          *widgets.SelectBuilder
		bits, quality *widgets.SliderBuilder
		stop          *widgets.ButtonBuilder
	}
	c, ok := withFrontEnd(func() (c controlSet) {
		var names []string
		for _, m := range v.models {
			names = append(names, fmt.Sprintf("%d-number code", m.Code))
		}
		c.code = widgets.Select(names).SetDefault(model).AppendTo(controls).Done()
		c.bits = widgets.Slider(0, len(exp.Bits)-1, bits).AppendTo(controls).Done()
		c.quality = widgets.Slider(1, 100, quality).AppendTo(controls).Done()
		c.stop = widgets.Button("Stop").AppendTo(controls).Done()
		return c
	})
	if !ok {
		dom.SetInnerHtml(controls, "no live front end (run the notebook in JupyterLab to change the codecs): the view at the middle setting")
		return v.show(model, bits, quality, true)
	}
	return runControls(ctx, controls, c.stop, []*widgets.SliderBuilder{c.bits, c.quality}, []*widgets.SelectBuilder{c.code},
		func(i, value int) {
			switch i {
			case 0:
				bits = value
			case 1:
				quality = value
			default:
				model = value
			}
		},
		func(final bool) error { return v.show(model, bits, quality, final) },
		func() string {
			return fmt.Sprintf("%d numbers × %d bits, JPEG quality %d", v.models[model].Code, v.bits[bits], quality)
		})
}

// codecView shows test images through an autoencoder's quantised code and
// through JPEG.
type codecView struct {
	models    []experiments.CompressionAE
	codes     [][][]float32 // of the test images, by model.
	bits      []int
	test      *datasets.ImageSet
	originals [][]float32
	id        string
}

func (v *codecView) show(model, bits, quality int, final bool) error {
	m, b := v.models[model], v.bits[bits]
	recon, err := experiments.QuantizedReconstruction(m, b, v.codes[model])
	if err != nil {
		return err
	}
	aePSNR, err := compress.PSNR(v.originals, recon)
	if err != nil {
		return err
	}
	_, jpeg, decoded, err := experiments.JPEGPoint(v.originals, v.test, quality)
	if err != nil {
		return err
	}
	const show = 8
	g := &chart.Grid{Title: fmt.Sprintf("%d %s test images: bytes per image and PSNR", len(v.originals), experiments.DataName(v.test)),
		Rows: 3, Cols: show, Height: v.test.Rows, Width: v.test.Cols,
		Images: slices.Concat(v.originals[:show], recon[:show], decoded[:show]),
		RowLabels: []string{"original",
			fmt.Sprintf("AE %d×%d bits\n%d bytes, %.1f dB", m.Code, b, m.Quantizers[b].Bytes(), aePSNR),
			fmt.Sprintf("JPEG q%d\n%.0f bytes, %.1f dB", quality, jpeg.Bytes, jpeg.PSNR)}}
	return showGrid(v.id, g, 9, 3.8, final)
}
