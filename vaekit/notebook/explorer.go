package notebook

import (
	"context"
	"fmt"
	"strings"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/dom"
	"github.com/janpfeifer/gonb/gonbui/widgets"
	"github.com/vaekit/vaekit/vaekit/chart"
)

// Slider is one control of Explore: a value from Min to Max (in 200 steps),
// starting at Start.
type Slider struct {
	Name            string
	Min, Max, Start float64
}

// Explore is the explorer of a model of one's own: sliders (and, with
// choices, a select) set values, and view draws the images for them, live
// in the cell. Stop, ExploreIdle without a move and a headless run end it
// as in ExploreVAE; the last view stays.
func Explore(ctx context.Context, sliders []Slider, choices []string, view func(values []float64, choice int) (*chart.Grid, error)) error {
	if len(sliders) == 0 && len(choices) == 0 {
		return fmt.Errorf("notebook.Explore: no slider and no choice to explore with")
	}
	values := make([]float64, len(sliders))
	var names []string
	for i, s := range sliders {
		if !(s.Min < s.Max) || s.Start < s.Min || s.Start > s.Max {
			return fmt.Errorf("notebook.Explore: slider %q: want Min < Max and Start between them, got %g, %g, %g", s.Name, s.Min, s.Max, s.Start)
		}
		values[i] = s.Start
		names = append(names, s.Name)
	}
	choice := 0
	id := "vaekit-explorer-" + gonbui.UniqueID()
	show := func(final bool) error {
		g, err := view(values, choice)
		if err != nil {
			return err
		}
		width := min(7.5, 1.2+0.75*float64(g.Cols))
		return showGrid(id, g, width, 0.9+0.75*float64(g.Rows), final)
	}
	where := func() string {
		var parts []string
		for i, name := range names {
			parts = append(parts, fmt.Sprintf("%s = %.2f", name, values[i]))
		}
		if len(choices) > 0 {
			parts = append(parts, choices[choice])
		}
		return strings.Join(parts, ", ")
	}
	if err := show(false); err != nil {
		return err
	}
	controls := "vaekit-explorer-controls-" + gonbui.UniqueID()
	gonbui.DisplayHTML(fmt.Sprintf(`<div id=%q class="vaekit-explorer-controls">move %s: </div>`, controls, strings.Join(names, ", ")))
	type controlSet struct {
		sliders []*widgets.SliderBuilder
		choice  *widgets.SelectBuilder
		stop    *widgets.ButtonBuilder
	}
	c, ok := withFrontEnd(func() (c controlSet) {
		for _, s := range sliders {
			c.sliders = append(c.sliders, widgets.Slider(0, 200, sliderStep(s, s.Start)).AppendTo(controls).Done())
		}
		if len(choices) > 0 {
			c.choice = widgets.Select(choices).AppendTo(controls).Done()
		}
		c.stop = widgets.Button("Stop").AppendTo(controls).Done()
		return c
	})
	if !ok {
		dom.SetInnerHtml(controls, "no live front end (run the notebook in JupyterLab to explore): the view at "+where())
		return show(true)
	}
	var selects []*widgets.SelectBuilder
	if c.choice != nil {
		selects = append(selects, c.choice)
	}
	return runControls(ctx, controls, c.stop, c.sliders, selects,
		func(i, p int) {
			if i < len(sliders) {
				s := sliders[i]
				values[i] = s.Min + (s.Max-s.Min)*float64(p)/200
			} else {
				choice = p
			}
		}, show, where)
}

// sliderStep is the slider position (0–200) of value v.
func sliderStep(s Slider, v float64) int { return int(0.5 + 200*(v-s.Min)/(s.Max-s.Min)) }
