package vaekit

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/gomlx/compute"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/metric"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// TrainConfig is how a model trains. Every model's config embeds it, so
// its fields read as the model's own (cfg.Epochs, cfg.LearningRate).
type TrainConfig struct {
	Optimizer    string  `json:"optimizer"` // "adam", "rmsprop" or "sgd".
	LearningRate float64 `json:"learning_rate"`
	Beta1        float64 `json:"beta1,omitempty"` // Adam's β1; 0 means 0.9.
	Epochs       int     `json:"epochs"`
	BatchSize    int     `json:"batch_size"`
	Seed         int64   `json:"seed"` // initial weights, noise in the graph, order of the examples.
}

// check names the first bad field, as a field of the model's config name.
func (c TrainConfig) check(name string) error {
	switch {
	case c.LearningRate <= 0:
		return fmt.Errorf("%s.LearningRate must be positive, got %g", name, c.LearningRate)
	case c.Beta1 < 0 || c.Beta1 >= 1:
		return fmt.Errorf("%s.Beta1 must be in [0, 1), got %g", name, c.Beta1)
	case c.Epochs < 0:
		return fmt.Errorf("%s.Epochs must be >= 0, got %d", name, c.Epochs)
	case c.BatchSize <= 0:
		return fmt.Errorf("%s.BatchSize must be positive, got %d", name, c.BatchSize)
	}
	if _, err := c.optimizer(); err != nil {
		return fmt.Errorf("%s.Optimizer: %w", name, err)
	}
	return nil
}

// optimizer returns a new GoMLX optimizer (each network that trains apart
// needs its own).
func (c TrainConfig) optimizer() (optimizer.Interface, error) {
	switch strings.ToLower(c.Optimizer) {
	case "rmsprop":
		return optimizer.RMSProp().LearningRate(c.LearningRate).Done(), nil
	case "adam":
		beta1 := c.Beta1
		if beta1 == 0 {
			beta1 = 0.9
		}
		return optimizer.Adam().LearningRate(c.LearningRate).Betas(beta1, 0.999).Done(), nil
	case "sgd":
		return optimizer.StochasticGradientDescent().WithLearningRate(c.LearningRate).Done(), nil
	}
	return nil, fmt.Errorf("unknown optimizer %q (want adam, rmsprop or sgd)", c.Optimizer)
}

// TrainOptions are what a training run takes beyond the model's config.
type TrainOptions struct {
	Dir      string // checkpoints and history.json; "" keeps nothing on disk.
	Progress bool   // a progress bar with the loss (terminal or notebook).
	// OnEpoch may add metrics (e.g. on a test set) to an epoch's record.
	OnEpoch func(epoch int, metrics map[string]float64) error
	// OnStep is called after each step with its metrics.
	OnStep func(step int, metrics map[string]float64)
	// RecordEvery keeps every n-th step's metrics in History.Steps (0: none).
	RecordEvery int
	// Record may keep anything (JSON) about a step in History.Records.
	Record func(step int) (any, error)
	// Devices splits every batch over this many XLA devices (0: Devices()).
	Devices int
}

// Model is what every vaekit model embeds: its variables, its GoMLX
// trainer, and one way to train it and to describe it.
type Model struct {
	Store   *model.Store
	Trainer *train.Trainer

	backend compute.Backend
	config  *TrainConfig // the model's own config, read at each Train.
	// trainData checks (and adapts) the data a model trains on.
	trainData func(*Data) (*Data, error)
	// stepExamples is the number of examples a step takes (default BatchSize).
	stepExamples  func() int
	labelsAsInput bool
	// forward builds the model's graph: it creates the variables (Summary)
	// and returns its text (Fingerprint).
	forward func() (*Graph, error)
	// preview makes the images a notebook shows while the model trains on
	// data (samples, or reconstructions of a few examples); nil for none.
	preview      func(data *Data) ([][]float32, error)
	previewTitle string // what the preview shows ("samples now" when empty).
	name         string // of the kind of model, for titles.
}

// newModel makes the backend, a seeded store and the model's harness.
func newModel(config *TrainConfig) (Model, error) {
	backend, err := Backend()
	if err != nil {
		return Model{}, err
	}
	store := model.NewStore()
	SetSeed(store, config.Seed)
	return Model{Store: store, backend: backend, config: config}, nil
}

// SetSeed makes a store's random numbers (variable initialisation, noise in
// the graph) deterministic. It sets the seed rather than the generator's
// state, so that a checkpoint loaded later restores its own state.
func SetSeed(store *model.Store, seed int64) {
	store.SetParam(model.JoinPath(model.ScopeSeparator, model.ParamInitialSeed), seed)
}

// lossMetrics reports a model function's outputs, by name, as loss metrics
// (averaged over each epoch in the History).
func lossMetrics(names ...string) []metric.Interface {
	var metrics []metric.Interface
	for i, name := range names {
		metrics = append(metrics, metric.NewBaseMetric(name, name, metric.LossMetricType,
			func(_ *model.Scope, _, predictions []*Node) *Node { return predictions[i] }, nil))
	}
	return metrics
}

// Train fits the model on data for its config's epochs. With a directory,
// an interrupted run resumes where it stopped and a finished one is loaded.
func (m *Model) Train(ctx context.Context, data *Data, opts TrainOptions) (*History, error) {
	if data == nil {
		return nil, fmt.Errorf("vaekit: Train: data is nil")
	}
	if m.trainData != nil {
		var err error
		if data, err = m.trainData(data); err != nil {
			return nil, err
		}
	}
	batch := m.config.BatchSize
	if m.stepExamples != nil {
		batch = m.stepExamples()
	}
	fit := &Fit{Trainer: m.Trainer, Data: data, BatchSize: batch, Epochs: m.config.Epochs, Seed: m.config.Seed,
		Dir: opts.Dir, Progress: opts.Progress, OnEpoch: opts.OnEpoch, OnStep: opts.OnStep,
		RecordEvery: opts.RecordEvery, Record: opts.Record, LabelsAsInput: m.labelsAsInput, Devices: opts.Devices}
	if opts.Progress {
		m.watch(fit, data)
	}
	return fit.Run(ctx)
}

// Watcher follows a run as it trains, as a notebook's live view does.
type Watcher interface {
	Step(step int, metrics map[string]float64) // after each step.
	Epoch(metrics map[string]float64)          // at each epoch's end, with what OnEpoch added.
	Done()                                     // when training ends, trained or not.
}

// NewWatcher, when set, makes a Watcher (or nil, for none) for each run
// trained with Progress: its title, and a preview of its images (nil for a
// model without) titled previewTitle, side×side pixels each. Importing
// vaekit/live sets it for GoNB notebooks; the core knows no notebook.
var NewWatcher func(title string, preview func() ([][]float32, error), previewTitle string, side int) Watcher

// watch lets NewWatcher's Watcher follow the run: the fit's step and epoch
// hooks also feed it, after the caller's own.
func (m *Model) watch(fit *Fit, data *Data) {
	if NewWatcher == nil {
		return
	}
	var preview func() ([][]float32, error)
	side := int(math.Round(math.Sqrt(float64(data.size()))))
	if m.preview != nil && side*side == data.size() {
		preview = func() ([][]float32, error) { return m.preview(data) }
	}
	view := NewWatcher(fmt.Sprintf("%s on %s", m.name, data.Name), preview, cmp.Or(m.previewTitle, "samples now"), side)
	if view == nil {
		return
	}
	onStep, onEpoch := fit.OnStep, fit.OnEpoch
	fit.OnStep = func(step int, metrics map[string]float64) {
		if onStep != nil {
			onStep(step, metrics)
		}
		view.Step(step, metrics)
	}
	fit.OnEpoch = func(epoch int, metrics map[string]float64) error {
		if onEpoch != nil {
			if err := onEpoch(epoch, metrics); err != nil {
				return err
			}
		}
		view.Epoch(metrics)
		return nil
	}
	fit.done = view.Done
}

// Summary lists the model's trainable variables layer by layer, with their
// shapes and parameter counts, and the total.
func (m *Model) Summary() (string, error) {
	if _, err := m.forward(); err != nil {
		return "", err
	}
	type layer struct {
		name   string
		shapes []string
		params int
	}
	var layers []*layer
	total := 0
	for v := range m.Store.IterVariables() {
		if !v.Trainable {
			continue
		}
		scope, name := model.SplitPath(v.Path())
		if len(layers) == 0 || layers[len(layers)-1].name != scope {
			layers = append(layers, &layer{name: scope})
		}
		l := layers[len(layers)-1]
		l.shapes = append(l.shapes, fmt.Sprintf("%s %v", name, v.Shape().Dimensions))
		l.params += v.Shape().Size()
		total += v.Shape().Size()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-40s %-44s %10s\n", "layer", "variables", "parameters")
	for _, l := range layers {
		fmt.Fprintf(&b, "%-40s %-44s %10d\n", l.name, strings.Join(l.shapes, ", "), l.params)
	}
	fmt.Fprintf(&b, "%-40s %-44s %10d\n", "total", "", total)
	return b.String(), nil
}

// Fingerprint identifies the model's networks: a hash of its graph's
// operations and shapes. Two models whose networks compute the same way
// share it; a changed layer, size or activation changes it. Trained models
// are kept under it (with the config), so an edited network trains anew.
func (m *Model) Fingerprint() (string, error) {
	g, err := m.forward()
	if err != nil {
		return "", err
	}
	lines := strings.Split(g.String(), "\n")
	lines = slices.DeleteFunc(lines[1:], func(s string) bool { return s == "" }) // the first names the graph.
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(sum[:8]), nil
}

// exampleSize is a Model.trainData check: every example has size values.
func exampleSize(model string, size int) func(*Data) (*Data, error) {
	return func(data *Data) (*Data, error) {
		if d := data.size(); d != size {
			return nil, fmt.Errorf("%s: data %q has examples of %d values, the model takes %d", model, data.Name, d, size)
		}
		return data, nil
	}
}

// checkSizes names the first size that is not positive: field[i].
func checkSizes(field string, sizes []int) error {
	for i, n := range sizes {
		if n <= 0 {
			return fmt.Errorf("%s[%d] must be positive, got %d", field, i, n)
		}
	}
	return nil
}
