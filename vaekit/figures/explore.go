package figures

import (
	"context"
	"encoding/base64"
	"fmt"
	"image/color"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/dom"
	"github.com/janpfeifer/gonb/gonbui/widgets"
	"github.com/vaekit/vaekit/vaekit/chart"
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
// them. The Stop button ends it, as does the time opts allows (a minute in
// quick mode, an hour otherwise); the last view stays in the notebook.
// Without an interactive front end (a headless run of the notebook) it shows
// the view at z = 0 and returns.
func ExploreVAE(ctx context.Context, t *TrainedVAE, opts Options) error {
	pl, err := t.plane("the latent explorer")
	if err != nil {
		return err
	}
	e := &vaeExplorer{t: t, pl: pl, id: "vaekit-explorer-" + gonbui.UniqueID()}
	if err := e.show(0, 0, false); err != nil {
		return err
	}
	controls := "vaekit-explorer-controls-" + gonbui.UniqueID()
	gonbui.DisplayHTML(fmt.Sprintf(`<div id=%q class="vaekit-explorer-controls">move z: </div>`, controls))
	built := make(chan [3]any, 1)
	go func() { // Done waits for the front end, which a headless run has not.
		sx := widgets.Slider(-100, 100, 0).AppendTo(controls).Done()
		sy := widgets.Slider(-100, 100, 0).AppendTo(controls).Done()
		stop := widgets.Button("Stop").AppendTo(controls).Done()
		built <- [3]any{sx, sy, stop}
	}()
	var w [3]any
	select {
	case w = <-built:
	case <-time.After(10 * time.Second):
		dom.SetInnerHtml(controls, "no interactive front end: the view at z = 0")
		return e.show(0, 0, true)
	}
	sx, sy, stop := w[0].(*widgets.SliderBuilder), w[1].(*widgets.SliderBuilder), w[2].(*widgets.ButtonBuilder)
	xs, ys, stops := sx.Listen().LatestOnly(), sy.Listen().LatestOnly(), stop.Listen()
	defer xs.Close()
	defer ys.Close()
	defer stops.Close()
	limit := time.Hour
	if opts.Quick {
		limit = time.Minute
	}
	deadline := time.After(limit)
	x, y := 0.0, 0.0
	for {
		select {
		case v := <-xs.C:
			x = exploreSpan * float64(v) / 100
		case v := <-ys.C:
			y = exploreSpan * float64(v) / 100
		case <-stops.C:
			dom.SetInnerHtml(controls, fmt.Sprintf("stopped at z = (%.2f, %.2f)", x, y))
			return e.show(x, y, true)
		case <-deadline:
			dom.SetInnerHtml(controls, fmt.Sprintf("ended after %v at z = (%.2f, %.2f)", limit, x, y))
			return e.show(x, y, true)
		case <-ctx.Done():
			return e.show(x, y, true)
		}
		if err := e.show(x, y, false); err != nil {
			return err
		}
	}
}

// vaeExplorer draws the explorer's view.
type vaeExplorer struct {
	t  *TrainedVAE
	pl *latentPlane
	id string
}

// show draws the view at (x, y) on the plane: in place, or for good.
func (e *vaeExplorer) show(x, y float64, final bool) error {
	page, err := e.html(x, y)
	if err != nil {
		return err
	}
	if final {
		gonbui.UpdateHTML(e.id, "")
		gonbui.DisplayHTML(page)
	} else {
		gonbui.UpdateHTML(e.id, page)
	}
	return nil
}

func (e *vaeExplorer) html(x, y float64) (string, error) {
	const shown = 2000 // test codes drawn: enough for the clusters, quick to redraw.
	s := &chart.Scatter{Title: "test images' codes, and z", XLabel: e.pl.labels[0], YLabel: e.pl.labels[1],
		ClassNames: e.t.Test.ClassNames}
	for i, m := range e.pl.codes[:min(shown, len(e.pl.codes))] {
		px, py := e.pl.project(m)
		s.X, s.Y = append(s.X, px), append(s.Y, py)
		if e.t.Test.Labels != nil {
			s.Classes = append(s.Classes, int(e.t.Test.Labels[i]))
		} else {
			s.Classes = append(s.Classes, 0)
		}
	}
	if s.ClassNames == nil {
		s.ClassNames = []string{e.t.Test.Name}
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
	img, err := e.t.VAE.Decode([][]float32{e.pl.point(x, y)})
	if err != nil {
		return "", err
	}
	side := e.t.Test.Rows
	g := &chart.Grid{Title: fmt.Sprintf("decoded from z = (%.2f, %.2f)", x, y), Rows: 1, Cols: 1,
		Height: side, Width: e.t.Test.Cols, Images: img}
	gp, err := g.Plot()
	if err != nil {
		return "", err
	}
	fig := chart.New("", sp, gp).Size(10, 4.6)
	fig.DPI = 72
	png, err := fig.PNG()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf(`<div class="vaekit-explorer"><img alt="latent explorer" src="data:image/png;base64,%s"/></div>`,
		base64.StdEncoding.EncodeToString(png)), nil
}
