package vaekit

import (
	"context"
	"fmt"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/vaekit/vaekit/vaekit/ops"
)

// ClassifierConfig is a ReLU classifier and how it trains: optional
// convolution stages (5×5, stride 2, ReLU) on 28×28 images, then dense
// hidden layers (a multilayer perceptron when there is no convolution).
type ClassifierConfig struct {
	Conv         []int   `json:"conv,omitempty"` // channels of each convolution stage, e.g. [32, 64].
	Layers       []int   `json:"layers"`         // dense hidden sizes, e.g. [500, 500, 2000].
	Classes      int     `json:"classes"`        // outputs (softmax).
	Optimizer    string  `json:"optimizer"`
	LearningRate float64 `json:"learning_rate"`
	BatchSize    int     `json:"batch_size"`
	Seed         int64   `json:"seed"`
}

// Validate names the first bad field.
func (c ClassifierConfig) Validate() error {
	if err := checkFinite(c); err != nil {
		return err
	}
	if len(c.Layers) == 0 || c.Classes < 2 || c.BatchSize <= 0 || c.LearningRate <= 0 {
		return fmt.Errorf("ClassifierConfig: Layers %v, Classes %d, BatchSize %d, LearningRate %g: want at least one layer, "+
			"2 classes and positive values", c.Layers, c.Classes, c.BatchSize, c.LearningRate)
	}
	for i, l := range c.Layers {
		if l <= 0 {
			return fmt.Errorf("ClassifierConfig.Layers[%d] must be positive, got %d", i, l)
		}
	}
	_, err := NewOptimizer(c.Optimizer, c.LearningRate)
	return err
}

// hidden applies hidden layers 0..n-1 of an MLP (scope "net/layer_i").
func hidden(net *model.Scope, x *Node, sizes []int) *Node {
	h := x
	for i, size := range sizes {
		h = activation.Relu(dense(net.In("layer_%d", i), h, size))
	}
	return h
}

// Classifier is a ReLU network with a linear head of class logits.
type Classifier struct {
	Config  ClassifierConfig
	Store   *model.Store
	Trainer *train.Trainer

	logits, features *evalExec
}

// NewClassifier builds a classifier. Its dense hidden layers start from init's
// "net/layer_i" variables when init is not nil (pretrained weights, copied
// and trainable), else from random values.
func NewClassifier(cfg ClassifierConfig, init *model.Store) (*Classifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	backend, err := Backend()
	if err != nil {
		return nil, err
	}
	m := &Classifier{Config: cfg, Store: model.NewStore()}
	SetSeed(m.Store, cfg.Seed)
	if init != nil {
		for i := range cfg.Layers {
			for _, name := range []string{"weights", "biases"} {
				path := fmt.Sprintf("/net/layer_%d/%s", i, name)
				v := init.GetVariable(path)
				if v == nil {
					return nil, fmt.Errorf("NewClassifier: the initial weights lack %s", path)
				}
				clone, err := v.CloneToStore(m.Store)
				if err != nil {
					return nil, err
				}
				clone.SetTrainable(true)
			}
		}
	}
	opt, _ := NewOptimizer(cfg.Optimizer, cfg.LearningRate)
	lossFn := func(labels, logits []*Node) *Node {
		return loss.SparseCategoricalCrossEntropyLogits([]*Node{InsertAxes(labels[0], -1)}, logits)
	}
	m.Trainer = train.NewTrainer(backend, m.Store, m.Logits, lossFn, opt, nil, nil)
	if m.logits, err = newEvalExec(backend, m.Store, m.Logits); err != nil {
		return nil, err
	}
	if m.features, err = newEvalExec(backend, m.Store, func(scope *model.Scope, x *Node) *Node {
		return m.body(scope.In("net"), x)
	}); err != nil {
		return nil, err
	}
	return m, nil
}

// Logits maps x [B, d] to class logits [B, classes].
func (m *Classifier) Logits(scope *model.Scope, x *Node) *Node {
	net := scope.In("net")
	return dense(net.In("head"), m.body(net, x), m.Config.Classes)
}

// body is everything but the head: the penultimate features.
func (m *Classifier) body(net *model.Scope, x *Node) *Node {
	if len(m.Config.Conv) > 0 {
		b := x.Shape().Dimensions[0]
		h := Reshape(x, b, 28, 28, 1)
		for i, c := range m.Config.Conv {
			h = activation.Relu(ops.ConvLayer(net.In("conv_%d", i), h, c, 5, 2, 2))
		}
		x = Reshape(h, b, -1)
	}
	return hidden(net, x, m.Config.Layers)
}

// TrainSteps trains on labelled data for about steps steps (whole epochs,
// at least one), with the batch size capped by the data size.
func (m *Classifier) TrainSteps(ctx context.Context, data *Data, steps int, dir string, progress bool) (*History, error) {
	if data.Labels == nil {
		return nil, fmt.Errorf("Classifier: data %q has no labels", data.Name)
	}
	batch := min(m.Config.BatchSize, data.Len())
	perEpoch := data.Len() / batch
	fit := &Fit{Trainer: m.Trainer, Data: data, BatchSize: batch, Epochs: max(1, (steps+perEpoch-1)/perEpoch),
		Seed: m.Config.Seed, Dir: dir, Progress: progress}
	return fit.Run(ctx)
}

// Predict returns the class with the largest logit for every example.
func (m *Classifier) Predict(data *Data) ([]int32, error) {
	logits, err := mapBatches(data, m.logits)
	if err != nil {
		return nil, err
	}
	classes := make([]int32, len(logits))
	for i, row := range logits {
		for c, v := range row {
			if v > row[classes[i]] {
				classes[i] = int32(c)
			}
		}
	}
	return classes, nil
}

// Accuracy is the share of data's examples whose largest logit is their label.
func (m *Classifier) Accuracy(data *Data) (float64, error) {
	classes, err := m.Predict(data)
	if err != nil {
		return 0, err
	}
	correct := 0
	for i, c := range classes {
		if c == data.Labels[i] {
			correct++
		}
	}
	return float64(correct) / float64(len(classes)), nil
}
