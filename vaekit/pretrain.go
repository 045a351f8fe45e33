package vaekit

import (
	"context"
	"fmt"
	"path/filepath"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/loss"
)

// MLPConfig is a ReLU multilayer perceptron classifier and how it trains.
type MLPConfig struct {
	Layers       []int   `json:"layers"`  // hidden sizes, e.g. [500, 500, 2000].
	Classes      int     `json:"classes"` // outputs (softmax).
	Optimizer    string  `json:"optimizer"`
	LearningRate float64 `json:"learning_rate"`
	BatchSize    int     `json:"batch_size"`
	Seed         int64   `json:"seed"`
}

// Validate names the first bad field.
func (c MLPConfig) Validate() error {
	if len(c.Layers) == 0 || c.Classes < 2 || c.BatchSize <= 0 || c.LearningRate <= 0 {
		return fmt.Errorf("MLPConfig: Layers %v, Classes %d, BatchSize %d, LearningRate %g: want at least one layer, "+
			"2 classes and positive values", c.Layers, c.Classes, c.BatchSize, c.LearningRate)
	}
	for i, l := range c.Layers {
		if l <= 0 {
			return fmt.Errorf("MLPConfig.Layers[%d] must be positive, got %d", i, l)
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

// MLP is a classifier: ReLU hidden layers and a linear head of class logits.
type MLP struct {
	Config  MLPConfig
	Store   *model.Store
	Trainer *train.Trainer

	logits, features *model.Exec
}

// NewMLP builds an MLP classifier. Its hidden layers start from init's
// "net/layer_i" variables when init is not nil (pretrained weights, copied
// and trainable), else from random values.
func NewMLP(cfg MLPConfig, init *model.Store) (*MLP, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	backend, err := Backend()
	if err != nil {
		return nil, err
	}
	m := &MLP{Config: cfg, Store: model.NewStore()}
	SetSeed(m.Store, cfg.Seed)
	if init != nil {
		for i := range cfg.Layers {
			for _, name := range []string{"weights", "biases"} {
				path := fmt.Sprintf("/net/layer_%d/%s", i, name)
				v := init.GetVariable(path)
				if v == nil {
					return nil, fmt.Errorf("NewMLP: the initial weights lack %s", path)
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
	if m.logits, err = model.NewExec(backend, m.Store, m.Logits); err != nil {
		return nil, err
	}
	if m.features, err = model.NewExec(backend, m.Store, func(scope *model.Scope, x *Node) *Node {
		return hidden(scope.In("net"), x, m.Config.Layers)
	}); err != nil {
		return nil, err
	}
	return m, nil
}

// Logits maps x [B, d] to class logits [B, classes].
func (m *MLP) Logits(scope *model.Scope, x *Node) *Node {
	net := scope.In("net")
	return dense(net.In("head"), hidden(net, x, m.Config.Layers), m.Config.Classes)
}

// TrainSteps trains on labelled data for about steps steps (whole epochs,
// at least one), with the batch size capped by the data size.
func (m *MLP) TrainSteps(ctx context.Context, data *Data, steps int, dir string, progress bool) (*History, error) {
	if data.Labels == nil {
		return nil, fmt.Errorf("MLP: data %q has no labels", data.Name)
	}
	batch := min(m.Config.BatchSize, data.Len())
	perEpoch := data.Len() / batch
	fit := &Fit{Trainer: m.Trainer, Data: data, BatchSize: batch, Epochs: max(1, (steps+perEpoch-1)/perEpoch),
		Seed: m.Config.Seed, Dir: dir, Progress: progress}
	return fit.Run(ctx)
}

// Predict returns the class with the largest logit for every example.
func (m *MLP) Predict(data *Data) ([]int32, error) {
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
func (m *MLP) Accuracy(data *Data) (float64, error) {
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

// Pretrain is greedy layer-wise autoencoder pretraining of an MLP's hidden
// layers: layer i is trained as an autoencoder (ReLU code, its own decoder)
// on the codes of layers 0..i-1, which are frozen. The first layer
// reconstructs pixels with Bernoulli cross-entropy, the others the previous
// ReLU codes with squared error. It returns a store holding "net/layer_i"
// for NewMLP.
//
// Each stage has a store of its own (checkpointed under dir/stage_i when
// dir is set); layers are copied from one stage to the next.
func Pretrain(ctx context.Context, cfg MLPConfig, data *Data, epochs int, dir string, progress bool) (*model.Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	backend, err := Backend()
	if err != nil {
		return nil, err
	}
	var prev *model.Store
	for stage := range cfg.Layers {
		store := model.NewStore()
		SetSeed(store, cfg.Seed+int64(stage))
		if prev != nil {
			for i := range stage {
				for _, name := range []string{"weights", "biases"} {
					clone, err := prev.GetVariable(fmt.Sprintf("/net/layer_%d/%s", i, name)).CloneToStore(store)
					if err != nil {
						return nil, err
					}
					clone.SetTrainable(false) // frozen: only layer `stage` and its decoder learn.
				}
			}
		}
		opt, _ := NewOptimizer(cfg.Optimizer, cfg.LearningRate)
		trainer := train.NewTrainer(backend, store, func(scope *model.Scope, x *Node) *Node {
			net := scope.In("net")
			in := StopGradient(hidden(net, x, cfg.Layers[:stage]))
			code := activation.Relu(dense(net.In("layer_%d", stage), in, cfg.Layers[stage]))
			out := dense(scope.In("pretrain").In("decoder_%d", stage), code, in.Shape().Dimensions[1])
			var recon *Node
			if stage == 0 {
				recon = BernoulliNLL(out, in)
			} else {
				recon = ReduceSum(Square(Sub(out, in)), -1)
			}
			train.AddMainLoss(ReduceAllMean(recon))
			return out
		}, nil, opt, nil, nil)
		stageDir := ""
		if dir != "" {
			stageDir = filepath.Join(dir, fmt.Sprintf("stage_%d", stage))
		}
		unlabelled := &Data{Name: data.Name, X: data.X, Shape: data.Shape}
		fit := &Fit{Trainer: trainer, Data: unlabelled, BatchSize: cfg.BatchSize, Epochs: epochs, Seed: cfg.Seed,
			Dir: stageDir, Progress: progress}
		if _, err := fit.Run(ctx); err != nil {
			return nil, fmt.Errorf("pretraining layer %d: %w", stage, err)
		}
		prev = store
	}
	return prev, nil
}
