package vaekit

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/metric"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/gomlx/gomlx/support/exceptions"
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
	if _, err := c.NewOptimizer(); err != nil {
		return fmt.Errorf("%s.Optimizer: %w", name, err)
	}
	return nil
}

// NewOptimizer returns a new GoMLX optimizer of the config's kind and
// settings (each network that trains apart needs its own).
func (c TrainConfig) NewOptimizer() (optimizer.Interface, error) {
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
	// StepsPerCall runs this many steps in each call of the compiled
	// program (0: StepsPerCall()); see Fit.StepsPerCall.
	StepsPerCall int
}

// Objective is what a model optimises, on a batch of examples x (and their
// labels, nil unless Spec.Labels): the loss, a scalar, and the scalars that
// Spec.Metrics names, in its order (reported and kept in the History).
type Objective func(scope *model.Scope, x, labels *Node) (loss *Node, metrics []*Node)

// Spec is a model in parts, from which NewModel makes a Model that trains,
// resumes, checkpoints, shows its live view, and has a Summary and a
// Fingerprint. Every vaekit model is made this way (NewVAE, NewGAN, …);
// docs/extending.md builds a conditional VAE with one.
type Spec struct {
	Name   string       // the kind of model, for titles and errors ("conditional VAE").
	Config *TrainConfig // how it trains, read at each Train: point it into the model's own config.
	// ExampleSize is the number of values of an example (784 for MNIST);
	// data of another size is an error.
	ExampleSize int
	// Labels: each batch carries its examples' labels (int32 [batch]) and
	// data without labels is an error.
	Labels bool
	// Networks builds the model's networks on inputs of NetworkInputs'
	// shapes (one example): Summary lists the variables it creates, and
	// Fingerprint hashes its graph, with the objective's.
	Networks      func(scope *model.Scope, inputs []*Node) []*Node
	NetworkInputs []shapes.Shape
	// Loss is minimised by one optimizer, Config's. A model whose networks
	// each have their own update (a GAN) gives Step instead: the whole
	// training step, which updates the variables itself (with optimizers
	// from TrainConfig.NewOptimizer) and returns its loss only to report it.
	Loss, Step Objective
	Metrics    []string // names of what Loss or Step returns besides the loss.
	// BatchesPerStep is how many batches of Config.BatchSize a step takes
	// (a GAN's k discriminator updates); 0 means 1.
	BatchesPerStep int
	// Preview makes the images the live view shows while the model trains
	// on data (samples, or reconstructions of a few examples); nil for none.
	Preview      func(data *Data) ([][]float32, error)
	PreviewTitle string // what the preview shows ("samples now" when empty).
}

// check names the first missing or inconsistent part.
func (s *Spec) check() error {
	name := cmp.Or(s.Name, "Spec")
	switch {
	case s.Name == "":
		return errors.New("vaekit.NewModel: Spec.Name is empty (name the kind of model)")
	case s.Config == nil:
		return fmt.Errorf("vaekit.NewModel(%s): Spec.Config is nil (point it at the model's TrainConfig)", name)
	case s.ExampleSize <= 0:
		return fmt.Errorf("vaekit.NewModel(%s): Spec.ExampleSize must be positive, got %d", name, s.ExampleSize)
	case s.Networks == nil:
		return fmt.Errorf("vaekit.NewModel(%s): Spec.Networks is nil (the function that builds the networks)", name)
	case len(s.NetworkInputs) == 0:
		return fmt.Errorf("vaekit.NewModel(%s): Spec.NetworkInputs is empty (the shapes Networks takes)", name)
	case (s.Loss == nil) == (s.Step == nil):
		return fmt.Errorf("vaekit.NewModel(%s): give exactly one of Spec.Loss and Spec.Step", name)
	case s.BatchesPerStep < 0:
		return fmt.Errorf("vaekit.NewModel(%s): Spec.BatchesPerStep must be >= 0, got %d", name, s.BatchesPerStep)
	}
	return s.Config.check(name + " config")
}

// Model is a trainable model: its variables, its GoMLX trainer, and what
// NewModel was given.
type Model struct {
	Store   *model.Store
	Trainer *train.Trainer

	backend compute.Backend
	spec    Spec
	opt     optimizer.Interface // Loss's optimizer (nil for a Step).
}

// NewModel makes a model from its parts, with a new store seeded by
// Config.Seed. The networks' variables are created on first use.
func NewModel(spec Spec) (*Model, error) {
	if err := spec.check(); err != nil {
		return nil, err
	}
	backend, err := Backend()
	if err != nil {
		return nil, err
	}
	m := &Model{Store: model.NewStore(), backend: backend, spec: spec}
	SetSeed(m.Store, spec.Config.Seed)
	if spec.Step != nil {
		m.Trainer = train.NewTrainer(backend, m.Store, m.trainStep, nil, stepCounter{}, lossMetrics(spec.Metrics...), nil)
	} else {
		opt, err := spec.Config.NewOptimizer()
		if err != nil {
			return nil, err
		}
		m.Trainer = train.NewTrainer(backend, m.Store, m.trainStep, nil, opt, lossMetrics(spec.Metrics...), nil)
		m.opt = opt
	}
	return m, nil
}

// steps is the program that runs k training steps in one call of the
// backend. Its inputs are the training data, kept on the device between
// calls (the examples [N, ...] and, for a model with labels, the labels
// [N]), and the rows of the k steps' batches, [k, batch]: each step gathers
// its batch on the device, so a call moves only indices. The trainer's step
// is unrolled k times, each step's update applied before the next reads
// the variables, as k calls would. It returns the steps' losses and
// Spec.Metrics, each as a [k] vector. A call pays a step's fixed cost (the
// call, the batch's transfer) once for k.
func (m *Model) steps(k int) (*model.Exec, error) {
	return model.NewExec(m.backend, m.Store, func(scope *model.Scope, inputs []*Node) []*Node {
		g := inputs[0].Graph()
		scope.Store().SetTraining(g, true)
		data, index := inputs[:len(inputs)-1], inputs[len(inputs)-1]
		step := optimizer.GetGlobalStepVar(scope)
		columns := make([][]*Node, 1+len(m.spec.Metrics)) // loss, then the metrics.
		for i := range k {
			if i > 0 {
				// The networks again, on the same variables: a scope that has
				// not visited them in this graph. A step may have cut the
				// gradient through its updated values (a GAN's UpdateD): this
				// step differentiates them again, as a new call's parameters.
				scope = scope.Store().Scope(scope.Scope())
				for v := range scope.IterVariables() {
					if v.Trainable && v.InUseByGraph(g) {
						v.SetNodeValue(Identity(v.NodeValue(g)))
					}
				}
			}
			rows := Reshape(Slice(index, AxisElem(i)), -1, 1)
			batch := make([]*Node, len(data))
			for j, d := range data {
				batch[j] = Gather(d, rows)
			}
			step0 := step.NodeValue(g)
			loss, metrics := m.objective(scope, batch)
			if m.opt != nil {
				m.opt.UpdateGraph(scope, g, loss)
			} else { // a Step updated its networks and counted their updates: one step.
				step.SetNodeValue(AddScalar(step0, 1))
			}
			for j, v := range append([]*Node{loss}, metrics...) {
				columns[j] = append(columns[j], ConvertDType(v, dtypes.Float64))
			}
		}
		out := make([]*Node, len(columns))
		for j, c := range columns {
			out[j] = Stack(c, 0)
		}
		return out
	})
}

// trainStep is the Trainer's graph: the objective on one step's batch.
func (m *Model) trainStep(scope *model.Scope, inputs []*Node) []*Node {
	var step *model.Variable
	var step0 *Node
	if m.spec.Step != nil { // the step's own updates count global steps; a model's step is one.
		step = optimizer.GetGlobalStepVar(scope)
		step0 = step.NodeValue(inputs[0].Graph())
	}
	loss, metrics := m.objective(scope, inputs)
	if step != nil {
		step.SetNodeValue(step0)
	}
	train.AddMainLoss(loss)
	return metrics
}

// objective calls Loss or Step and checks what it gives.
func (m *Model) objective(scope *model.Scope, inputs []*Node) (*Node, []*Node) {
	var labels *Node
	if m.spec.Labels {
		labels = inputs[1]
	}
	fn, part := m.spec.Loss, "Loss"
	if fn == nil {
		fn, part = m.spec.Step, "Step"
	}
	loss, metrics := fn(scope, inputs[0], labels)
	if loss == nil || loss.Rank() != 0 {
		exceptions.Panicf("%s: Spec.%s must give a scalar loss, it gave %s", m.spec.Name, part, shapeOf(loss))
	}
	if len(metrics) != len(m.spec.Metrics) {
		exceptions.Panicf("%s: Spec.%s gave %d metrics, Spec.Metrics names %d (%v)", m.spec.Name, part, len(metrics), len(m.spec.Metrics), m.spec.Metrics)
	}
	return loss, metrics
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

// stepCounter is the Trainer's "optimizer" for a model with a Step, which
// updates its networks itself: this only counts the step.
type stepCounter struct{}

func (stepCounter) UpdateGraph(scope *model.Scope, g *Graph, _ *Node) {
	step := optimizer.GetGlobalStepVar(scope)
	step.SetNodeValue(AddScalar(step.NodeValue(g), 1))
}
func (stepCounter) Clear(*model.Scope) error { return nil }

// trainData checks data against the spec, dropping labels it does not use.
func (m *Model) trainData(data *Data) (*Data, error) {
	if d := data.size(); d != m.spec.ExampleSize {
		return nil, fmt.Errorf("%s: data %q has examples of %d values, the model takes %d", m.spec.Name, data.Name, d, m.spec.ExampleSize)
	}
	if !m.spec.Labels {
		return &Data{Name: data.Name, X: data.X, Shape: data.Shape}, nil
	}
	if data.Labels == nil {
		return nil, fmt.Errorf("%s: data %q has no labels, the model trains on labelled examples", m.spec.Name, data.Name)
	}
	return data, nil
}

// Train fits the model on data for its config's epochs. With a directory,
// an interrupted run resumes where it stopped and a finished one is loaded.
func (m *Model) Train(ctx context.Context, data *Data, opts TrainOptions) (*History, error) {
	if data == nil {
		return nil, fmt.Errorf("vaekit: Train: data is nil")
	}
	data, err := m.trainData(data)
	if err != nil {
		return nil, err
	}
	cfg := m.spec.Config
	fit := &Fit{Trainer: m.Trainer, Data: data, BatchSize: max(m.spec.BatchesPerStep, 1) * cfg.BatchSize, Epochs: cfg.Epochs,
		Seed: cfg.Seed, Dir: opts.Dir, Progress: opts.Progress, OnEpoch: opts.OnEpoch, OnStep: opts.OnStep,
		RecordEvery: opts.RecordEvery, Record: opts.Record, LabelsAsInput: m.spec.Labels, Devices: opts.Devices,
		StepsPerCall: opts.StepsPerCall, steps: func(k int) (*model.Exec, []string, error) {
			exec, err := m.steps(k)
			return exec, m.spec.Metrics, err
		}}
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
	if m.spec.Preview != nil && side*side == data.size() {
		preview = func() ([][]float32, error) { return m.spec.Preview(data) }
	}
	view := NewWatcher(fmt.Sprintf("%s on %s, seed %d", m.spec.Name, data.Name, m.spec.Config.Seed), preview, cmp.Or(m.spec.PreviewTitle, "samples now"), side)
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
	if _, err := m.networksGraph(); err != nil {
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

// Fingerprint identifies the model's networks and its objective: a hash of
// their graphs' operations and shapes. Two models that compute the same way
// share it; a changed layer, size, activation or loss changes it. Trained
// models are kept under it (with the config), so an edited model trains anew.
func (m *Model) Fingerprint() (string, error) {
	networks, err := m.networksGraph()
	if err != nil {
		return "", err
	}
	objective, err := m.objectiveGraph()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(networks + "\n" + objective))
	return hex.EncodeToString(sum[:8]), nil
}

// graphText is a compiled graph's operations and shapes, without the line
// that names the graph.
func graphText(g *Graph) string {
	lines := strings.Split(g.String(), "\n")[1:]
	return strings.Join(slices.DeleteFunc(lines, func(s string) bool { return s == "" }), "\n")
}

// networksGraph builds Spec.Networks on one example, in the model's store
// (creating its variables), and returns its text.
func (m *Model) networksGraph() (string, error) {
	exec, err := newEval(m.backend, m.Store, m.spec.Networks)
	if err != nil {
		return "", err
	}
	defer exec.exec.Finalize()
	g, err := exec.Compile(m.spec.NetworkInputs...)
	if err != nil {
		return "", err
	}
	return graphText(g), nil
}

// objectiveGraph builds the objective in training mode on a small batch, in
// a store of its own (what the model optimises, without touching its
// state), and returns its text.
func (m *Model) objectiveGraph() (string, error) {
	scratch := model.NewStore()
	SetSeed(scratch, m.spec.Config.Seed)
	exec, err := model.NewExec(m.backend, scratch, func(scope *model.Scope, inputs []*Node) []*Node {
		scope.SetTraining(inputs[0].Graph(), true)
		loss, metrics := m.objective(scope, inputs)
		return append([]*Node{loss}, metrics...)
	})
	if err != nil {
		return "", err
	}
	defer exec.Finalize()
	n := 2 * max(m.spec.BatchesPerStep, 1)
	inputs := []shapes.Shape{shapes.Make(dtypes.Float32, n, m.spec.ExampleSize)}
	if m.spec.Labels {
		inputs = append(inputs, shapes.Make(dtypes.Int32, n))
	}
	g, err := exec.Compile(inputs...)
	if err != nil {
		return "", err
	}
	return graphText(g), nil
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
