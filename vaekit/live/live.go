// Package live shows a vaekit model training in a GoNB notebook cell,
// redrawn in place. Importing it is enough (vaekit/notebook does): it sets
// vaekit.NewWatcher, as image/png registers its decoder, so that the core
// package links no notebook code.
package live

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"html"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/gomlx/gomlx/ui/notebooks"
	"github.com/janpfeifer/gonb/gonbui"
	"github.com/vaekit/vaekit/vaekit"
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

func init() { vaekit.NewWatcher = New }

// New is a live view for a notebook cell, or nil outside GoNB.
func New(title string, preview func() ([][]float32, error), previewTitle string, side int) vaekit.Watcher {
	if !notebooks.IsGoNB() {
		return nil
	}
	return &liveView{id: "vaekit-live-" + gonbui.UniqueID(), title: title, preview: preview, previewTitle: previewTitle, side: side,
		steps: map[string]*chart.Series{}, epochs: map[string]*chart.Series{}}
}

// Step takes a step's metrics; the view is redrawn every liveEvery.
func (v *liveView) Step(step int, metrics map[string]float64) {
	v.lastStep = step
	for name, value := range metrics {
		add(v.steps, name, float64(step), value)
	}
	if !v.shown || time.Since(v.last) >= liveEvery {
		v.show(false)
	}
}

// Epoch takes an epoch's metrics, at its last step (the last one taken),
// and redraws the view.
func (v *liveView) Epoch(metrics map[string]float64) {
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
func (v *liveView) Done() {
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

// html draws the view: the per-step terms and the per-epoch metrics, in
// panels of one scale each (scaleGroups), and the preview grid.
func (v *liveView) html() (string, error) {
	var panels []*plot.Plot
	for _, p := range []struct {
		kind   string
		series map[string]*chart.Series
	}{{"by step", v.steps}, {"each epoch", v.epochs}} {
		for _, group := range scaleGroups(p.series) {
			lines := &chart.Lines{XLabel: "step", Legend: chart.TopRight}
			var names []string
			for _, s := range group {
				lines.Series = append(lines.Series, *s)
				lines.Points = lines.Points || len(s.X) < 30
				names = append(names, s.Name)
			}
			lines.Title = p.kind + ": " + strings.Join(names, ", ")
			pl, err := lines.Plot()
			if err != nil {
				return "", err
			}
			if isProbability(group[0]) {
				pl.Y.Min, pl.Y.Max = 0, 1
			} else {
				robustY(pl, group)
			}
			legendRoom(pl, false, len(lines.Series))
			panels = append(panels, pl)
		}
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
	cols := min(len(panels), 3)
	fig := &chart.Figure{Title: v.title}
	for i := 0; i < len(panels); i += cols {
		row := make([]*plot.Plot, cols)
		copy(row, panels[i:min(i+cols, len(panels))])
		fig.Panels = append(fig.Panels, row)
	}
	fig.Size(4.2*float64(cols), 0.4+3.2*float64(len(fig.Panels)))
	fig.DPI = 80
	png, err := fig.PNG()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("<div class=\"vaekit-live\"><img alt=%q src=\"data:image/png;base64,%s\"/></div>",
		v.title, base64.StdEncoding.EncodeToString(png)), nil
}

// robustY fits a panel's y axis to the series past their first 5 % of
// points, so that the first steps' large losses do not flatten the rest.
func robustY(p *plot.Plot, group []*chart.Series) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range group {
		tail := s.Y[len(s.Y)/20:]
		lo, hi = min(lo, slices.Min(tail)), max(hi, slices.Max(tail))
	}
	if margin := 0.05 * (hi - lo); margin > 0 {
		p.Y.Min, p.Y.Max = lo-margin, hi+margin
	}
}

// scaleGroups sorts series into panels of one scale each, on linear axes:
// probabilities (every value in [0, 1]) together; the others by sign and
// size, a panel holding series whose typical values are within 10× of each
// other (a VAE's KL apart from its reconstruction, the ELBO, negative, apart
// from both).
func scaleGroups(series map[string]*chart.Series) [][]*chart.Series {
	var probs, rest []*chart.Series
	for _, name := range slices.Sorted(maps.Keys(series)) {
		if s := series[name]; isProbability(s) {
			probs = append(probs, s)
		} else {
			rest = append(rest, s)
		}
	}
	slices.SortStableFunc(rest, func(a, b *chart.Series) int { return cmp.Compare(typical(a), typical(b)) })
	var groups [][]*chart.Series
	if len(probs) > 0 {
		groups = append(groups, probs)
	}
	for _, s := range rest {
		if n := len(groups); n > 0 && !isProbability(groups[n-1][0]) && sameScale(typical(groups[n-1][0]), typical(s)) {
			groups[n-1] = append(groups[n-1], s)
			continue
		}
		groups = append(groups, []*chart.Series{s})
	}
	return groups
}

// typical is a series' median value.
func typical(s *chart.Series) float64 {
	y := slices.Sorted(slices.Values(s.Y))
	return y[len(y)/2]
}

// sameScale: a and b have one sign and are within 10× of each other.
func sameScale(a, b float64) bool {
	if (a < 0) != (b < 0) {
		return false
	}
	a, b = math.Abs(a), math.Abs(b)
	return max(a, b) <= 10*min(a, b)
}

// isProbability: every value in [0, 1], and the name of one (D(x), D(G(z)), …).
func isProbability(s *chart.Series) bool {
	return slices.Min(s.Y) >= 0 && slices.Max(s.Y) <= 1 && (strings.HasPrefix(s.Name, "d_real") || strings.HasPrefix(s.Name, "d_fake") ||
		strings.Contains(s.Name, "accuracy"))
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
