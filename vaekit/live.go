package vaekit

import (
	"encoding/base64"
	"fmt"
	"html"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/gomlx/gomlx/ui/notebooks"
	"github.com/janpfeifer/gonb/gonbui"
	"github.com/vaekit/vaekit/vaekit/chart"
	"gonum.org/v1/plot"
)

// liveEvery is how often a live view is redrawn while a model trains.
const liveEvery = 4 * time.Second

// liveView shows a model training in a notebook cell, redrawn in place: its
// loss terms step by step, what OnEpoch adds at each epoch (test numbers)
// and, for a model that makes images, a grid of them (the
// same noise or examples each time). When training ends its last state is
// displayed for good, so that it stays in the saved notebook.
type liveView struct {
	id, title    string
	preview      func() ([][]float32, error)
	previewTitle string
	side         int // of a preview image.
	steps        map[string]*chart.Series
	epochs       map[string]*chart.Series
	last         time.Time
	shown        bool
	lastStep     int // the last step taken, where an epoch's metrics go.
}

// newLiveView is a live view for a notebook cell, or nil outside GoNB.
func newLiveView(title string, preview func() ([][]float32, error), previewTitle string, side int) *liveView {
	if !notebooks.IsGoNB() {
		return nil
	}
	return &liveView{id: "vaekit-live-" + gonbui.UniqueID(), title: title, preview: preview, previewTitle: previewTitle, side: side,
		steps: map[string]*chart.Series{}, epochs: map[string]*chart.Series{}}
}

// step takes a step's metrics; the view is redrawn every liveEvery.
func (v *liveView) step(step int, metrics map[string]float64) {
	v.lastStep = step
	for name, value := range metrics {
		add(v.steps, name, float64(step), value)
	}
	if !v.shown || time.Since(v.last) >= liveEvery {
		v.show(false)
	}
}

// epoch takes an epoch's metrics, at its last step (the last one taken),
// and redraws the view.
func (v *liveView) epoch(metrics map[string]float64) {
	for name, value := range metrics {
		if v.steps[name] == nil { // what OnEpoch adds (test numbers): the steps show the rest.
			add(v.epochs, name, float64(v.lastStep), value)
		}
	}
	v.show(false)
}

func add(series map[string]*chart.Series, name string, x, y float64) {
	if math.IsNaN(y) || math.IsInf(y, 0) {
		return
	}
	s := series[name]
	if s == nil {
		s = &chart.Series{Name: name}
		series[name] = s
	}
	s.X, s.Y = append(s.X, x), append(s.Y, y)
}

// done shows the final state as an ordinary output (the transient block is
// cleared), if the view was shown at all.
func (v *liveView) done() {
	if v.shown {
		v.show(true)
	}
}

func (v *liveView) show(final bool) {
	v.last, v.shown = time.Now(), true
	page, err := v.safeHTML()
	if err != nil {
		page = fmt.Sprintf("<div class=\"vaekit-live\">%s: %s</div>", html.EscapeString(v.title), html.EscapeString(err.Error()))
	}
	if final {
		gonbui.UpdateHTML(v.id, "")
		gonbui.DisplayHTML(page)
		return
	}
	gonbui.UpdateHTML(v.id, page)
}

// safeHTML is html, with a panic of the plotting library turned into an
// error: a view must never stop the training it shows.
func (v *liveView) safeHTML() (page string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("drawing the live view: %v", r)
		}
	}()
	return v.html()
}

// html draws the view: the per-step terms (log scale when all positive), the
// per-epoch metrics, and the preview grid.
func (v *liveView) html() (string, error) {
	var panels []*plot.Plot
	for _, p := range []struct {
		title, x string
		series   map[string]*chart.Series
	}{{"training, step by step", "step", v.steps}, {"each epoch (at its last step)", "step", v.epochs}} {
		if len(p.series) == 0 {
			continue
		}
		lines := &chart.Lines{Title: p.title, XLabel: p.x, Legend: chart.TopRight}
		low, high := math.Inf(1), math.Inf(-1)
		for _, name := range slices.Sorted(maps.Keys(p.series)) {
			s := p.series[name]
			lines.Series = append(lines.Series, *s)
			low, high = min(low, slices.Min(s.Y)), max(high, slices.Max(s.Y))
			lines.Points = lines.Points || len(s.X) < 30
		}
		// A log scale for terms of different sizes, all positive; not for one value
		// (the axis would be widened below 0).
		lines.LogY = low > 0 && high > 2*low
		pl, err := lines.Plot()
		if err != nil {
			return "", err
		}
		legendRoom(pl, lines.LogY, len(lines.Series))
		panels = append(panels, pl)
	}
	if v.preview != nil {
		images, err := v.preview()
		if err != nil {
			return "", err
		}
		cols := 8
		rows := (len(images) + cols - 1) / cols
		g := &chart.Grid{Title: v.previewTitle, Rows: rows, Cols: cols, Height: v.side, Width: v.side, Images: images}
		for len(g.Images) < rows*cols {
			g.Images = append(g.Images, nil)
		}
		pl, err := g.Plot()
		if err != nil {
			return "", err
		}
		panels = append(panels, pl)
	}
	if len(panels) == 0 {
		return fmt.Sprintf("<div class=\"vaekit-live\">%s: starting</div>", html.EscapeString(v.title)), nil
	}
	fig := chart.New(v.title, panels...).Size(4.2*float64(len(panels)), 3.4)
	fig.DPI = 80
	png, err := fig.PNG()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("<div class=\"vaekit-live\"><img alt=%q src=\"data:image/png;base64,%s\"/></div>",
		v.title, base64.StdEncoding.EncodeToString(png)), nil
}

// legendRoom raises the top of a panel's y axis so that its n curves stay
// below the legend in its top right corner (a live view's curves fill
// their panel, and the legend has no background).
func legendRoom(p *plot.Plot, logY bool, n int) {
	share := min(0.6, 0.05+0.07*float64(n)) // of the axis height the legend takes.
	lo, hi := p.Y.Min, p.Y.Max
	if logY {
		lo, hi = math.Log(lo), math.Log(hi)
	}
	top := lo + (hi-lo)/(1-share)
	if logY {
		top = math.Exp(top)
	}
	if top > p.Y.Max && !math.IsInf(top, 0) {
		p.Y.Max = top
	}
}
