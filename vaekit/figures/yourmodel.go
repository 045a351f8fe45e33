package figures

import (
	"context"
	"fmt"
	"strings"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/dom"
	"github.com/janpfeifer/gonb/gonbui/widgets"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/chart"
)

// TrainedModel is a model of one's own (made by vaekit.NewModel) after
// TrainModel, with its run.
type TrainedModel struct {
	Model       *vaekit.Model
	History     *vaekit.History
	Train, Test *datasets.ImageSet
	Dir         string // where its checkpoints and run record are kept.
	Network     string // its fingerprint.
}

// TrainModel trains a model of one's own as the library's models train: on
// opts' training images (the first trainSize; 0 is all), with the live view
// when opts.Progress, kept in opts' models directory under kind, hyper (its
// hyperparameters, which must marshal to JSON) and the model's fingerprint,
// so that running the cell again, or another notebook, loads it. onEpoch,
// when not nil, may add metrics on the test images to each epoch's record.
func TrainModel(ctx context.Context, kind string, m *vaekit.Model, hyper any, trainSize int,
	onEpoch func(test *vaekit.Data, metrics map[string]float64) error, opts Options) (*TrainedModel, error) {
	if m == nil {
		return nil, fmt.Errorf("figures.TrainModel(%s): the model is nil (make it with vaekit.NewModel)", kind)
	}
	train, test, err := loadImages(ctx, opts, trainSize, 0)
	if err != nil {
		return nil, err
	}
	dir, err := modelDir(opts, kind, hyper, m, train)
	if err != nil {
		return nil, err
	}
	t := &TrainedModel{Model: m, Train: train, Test: test, Dir: dir}
	testData := vaekit.ImageData(test)
	trainOpts := vaekit.TrainOptions{Dir: dir, Progress: opts.Progress}
	if onEpoch != nil {
		trainOpts.OnEpoch = func(_ int, metrics map[string]float64) error { return onEpoch(testData, metrics) }
	}
	if t.History, err = m.Train(ctx, vaekit.ImageData(train), trainOpts); err != nil {
		return nil, err
	}
	if t.Network, err = m.Fingerprint(); err != nil {
		return nil, err
	}
	return t, nil
}

// About is what a figure of the model says of its run (its JSON's
// hyperparameters, data, history and fingerprint).
func (t *TrainedModel) About(hyper any) About {
	return About{Hyperparameters: hyper, History: withoutRecords(t.History), Network: t.Network,
		Dataset: map[string]any{"name": t.Train.Name, "train": t.Train.Count, "test": t.Test.Count}}
}

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
		return fmt.Errorf("figures.Explore: no slider and no choice to explore with")
	}
	values := make([]float64, len(sliders))
	var names []string
	for i, s := range sliders {
		if !(s.Min < s.Max) || s.Start < s.Min || s.Start > s.Max {
			return fmt.Errorf("figures.Explore: slider %q: want Min < Max and Start between them, got %g, %g, %g", s.Name, s.Min, s.Max, s.Start)
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
