package vaekit

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/vaekit/vaekit/vaekit/ops"
)

// ClassifierConfig is a ReLU classifier and how it trains: optional
// convolution stages (5×5, stride 2, ReLU) on 28×28 images, then dense
// hidden layers (a multilayer perceptron when there is no convolution).
type ClassifierConfig struct {
	Conv    []int `json:"conv,omitempty"` // channels of each convolution stage, e.g. [32, 64].
	Layers  []int `json:"layers"`         // dense hidden sizes, e.g. [500, 500, 2000].
	Classes int   `json:"classes"`        // outputs (softmax).
	TrainConfig
	// Body is the network up to the class logits (the features); nil is the
	// default, Conv then Layers, in scope "net" with dense layers "layer_i".
	Body Network `json:"-"`
}

// Validate names the first bad field.
func (c ClassifierConfig) Validate() error {
	if err := checkFinite(c); err != nil {
		return err
	}
	if (len(c.Layers) == 0 && c.Body == nil) || c.Classes < 2 {
		return fmt.Errorf("ClassifierConfig: Layers %v, Classes %d: want at least one layer and 2 classes", c.Layers, c.Classes)
	}
	if err := checkSizes("ClassifierConfig.Layers", c.Layers); err != nil {
		return err
	}
	return c.TrainConfig.check("ClassifierConfig")
}

// hidden applies hidden layers 0..n-1 of an MLP (scope "net/layer_i").
func hidden(net *model.Scope, x *Node, sizes []int) *Node {
	h := x
	for i, size := range sizes {
		h = activation.Relu(layers.Dense(net.In("layer_%d", i), h, true, size))
	}
	return h
}

// Classifier is a ReLU network with a linear head of class logits.
type Classifier struct {
	*Model
	Config ClassifierConfig // its Body is set (the default when nil).

	logits, features *Eval
}

// NewClassifier builds a classifier. Its dense hidden layers start from init's
// "net/layer_i" variables when init is not nil (pretrained weights, copied
// and trainable), else from random values.
func NewClassifier(cfg ClassifierConfig, init *model.Store) (*Classifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Classifier{Config: cfg}
	if m.Config.Body == nil {
		m.Config.Body = m.body
	}
	var err error
	m.Model, err = NewModel(Spec{Name: "classifier", Config: &m.Config.TrainConfig, ExampleSize: 784, Labels: true,
		Networks:      func(scope *model.Scope, x []*Node) []*Node { return []*Node{m.Logits(scope, x[0])} },
		NetworkInputs: []shapes.Shape{shapes.Make(dtypes.Float32, 1, 784)},
		// The mean cross-entropy of the softmax's class probabilities.
		Loss: func(scope *model.Scope, x, labels *Node) (*Node, []*Node) {
			return loss.SparseCategoricalCrossEntropyLogits([]*Node{InsertAxes(labels, -1)}, []*Node{m.Logits(scope, x)}), nil
		},
	})
	if err != nil {
		return nil, err
	}
	if init != nil {
		for i := range cfg.Layers {
			for _, name := range []string{"weights", "biases"} {
				path := fmt.Sprintf("/net/layer_%d/dense/%s", i, name)
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
	if m.logits, err = newEval(m.backend, m.Store, m.Logits); err != nil {
		return nil, err
	}
	if m.features, err = newEval(m.backend, m.Store, func(scope *model.Scope, x *Node) *Node {
		return m.Config.Body(scope.In("net"), x)
	}); err != nil {
		return nil, err
	}
	return m, nil
}

// Logits maps x [B, d] to class logits [B, classes].
func (m *Classifier) Logits(scope *model.Scope, x *Node) *Node {
	net := scope.In("net")
	return layers.Dense(net.In("head"), m.Config.Body(net, x), true, m.Config.Classes)
}

// body is everything but the head: the penultimate features.
func (m *Classifier) body(net *model.Scope, x *Node) *Node {
	if len(m.Config.Conv) > 0 {
		b := x.Shape().Dimensions[0]
		h := Reshape(x, b, 28, 28, 1)
		for i, c := range m.Config.Conv {
			h = activation.Relu(ops.ConvLayer(net.In("conv_%d", i), h).Channels(c).Kernel(5).Stride(2).Padding(2).Done())
		}
		x = Reshape(h, b, -1)
	}
	return hidden(net, x, m.Config.Layers)
}

// Features returns the last hidden layer's activations (the penultimate
// layer, before the class logits) for every example of data.
func (m *Classifier) Features(data *Data) ([][]float32, error) { return mapBatches(data, m.features) }

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
