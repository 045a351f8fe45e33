package vaekit

import (
	"context"
	"fmt"
	"math"
	"path/filepath"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
)

// Pretrain is greedy layer-wise autoencoder pretraining of a classifier's dense hidden
// layers: layer i is trained as an autoencoder (ReLU code, its own decoder)
// on the codes of layers 0..i-1, which are frozen. The first layer
// reconstructs pixels with Bernoulli cross-entropy, the others the previous
// ReLU codes with squared error. It returns a store holding "net/layer_i"
// for NewClassifier.
//
// Each stage is a model of its own, trained for epochs (checkpointed under
// opts.Dir/stage_i when set); layers are copied from one stage to the next.
// A layer wider than its input (over-complete) is trained with
// overcompleteL1·mean Σ|code| added to its loss: without a strong penalty
// such a layer can copy its input through and learn nothing (the lecture's
// warning). Each stage reports its reconstruction error ("recon") and its
// codes' mean L1 norm ("code_l1"); the histories are returned in stage order.
func Pretrain(ctx context.Context, cfg ClassifierConfig, data *Data, epochs int, overcompleteL1 float64, opts TrainOptions) (*model.Store, []*History, error) {
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	if len(cfg.Conv) > 0 {
		return nil, nil, fmt.Errorf("Pretrain: layer-wise pretraining is for dense layers, the config has convolutions %v", cfg.Conv)
	}
	if overcompleteL1 < 0 || math.IsNaN(overcompleteL1) || math.IsInf(overcompleteL1, 0) {
		return nil, nil, fmt.Errorf("Pretrain: overcompleteL1 %g, want a finite value >= 0", overcompleteL1)
	}
	var prev *model.Store
	var histories []*History
	for stage := range cfg.Layers {
		stageCfg := cfg.TrainConfig
		stageCfg.Seed, stageCfg.Epochs = cfg.Seed+int64(stage), epochs
		l1 := 0.0
		if in := data.size(); stage > 0 {
			in = cfg.Layers[stage-1]
			if cfg.Layers[stage] > in {
				l1 = overcompleteL1
			}
		} else if cfg.Layers[0] > in {
			l1 = overcompleteL1
		}
		m, err := pretrainStage(cfg, stage, l1, &stageCfg, data.size())
		if err != nil {
			return nil, nil, err
		}
		if prev != nil {
			for i := range stage {
				for _, name := range []string{"weights", "biases"} {
					clone, err := prev.GetVariable(fmt.Sprintf("/net/layer_%d/dense/%s", i, name)).CloneToStore(m.Store)
					if err != nil {
						return nil, nil, err
					}
					clone.SetTrainable(false) // frozen: only layer `stage` and its decoder learn.
				}
			}
		}
		stageOpts := opts
		if opts.Dir != "" {
			stageOpts.Dir = filepath.Join(opts.Dir, fmt.Sprintf("stage_%d", stage))
		}
		h, err := m.Train(ctx, data, stageOpts)
		if err != nil {
			return nil, nil, fmt.Errorf("pretraining layer %d: %w", stage, err)
		}
		prev, histories = m.Store, append(histories, h)
	}
	return prev, histories, nil
}

// pretrainStage is the autoencoder that trains layer stage of cfg on the
// frozen codes of the layers below it, with l1·mean Σ|code| added to its loss.
func pretrainStage(cfg ClassifierConfig, stage int, l1 float64, train *TrainConfig, dim int) (*Model, error) {
	// code is layer stage's ReLU code of the frozen codes below it.
	code := func(scope *model.Scope, x *Node) (in, code *Node) {
		net := scope.In("net")
		in = StopGradient(hidden(net, x, cfg.Layers[:stage]))
		return in, activation.Relu(layers.Dense(net.In("layer_%d", stage), in, true, cfg.Layers[stage]))
	}
	decode := func(scope *model.Scope, code *Node, size int) *Node {
		return layers.Dense(scope.In("pretrain").In("decoder_%d", stage), code, true, size)
	}
	return NewModel(Spec{Name: fmt.Sprintf("pretraining layer %d", stage), Config: train, ExampleSize: dim,
		Networks: func(scope *model.Scope, x []*Node) []*Node {
			in, c := code(scope, x[0])
			return []*Node{decode(scope, c, in.Shape().Dimensions[1])}
		},
		NetworkInputs: []shapes.Shape{shapes.Make(dtypes.Float32, 1, dim)},
		// Pixels are reconstructed by Bernoulli cross-entropy, ReLU codes by squared error.
		Loss: func(scope *model.Scope, x, _ *Node) (*Node, []*Node) {
			in, c := code(scope, x)
			out := decode(scope, c, in.Shape().Dimensions[1])
			var recon *Node
			if stage == 0 {
				recon = ReduceAllMean(BernoulliNLL(out, in))
			} else {
				recon = ReduceAllMean(ReduceSum(Square(Sub(out, in)), -1))
			}
			codeL1 := ReduceAllMean(ReduceSum(Abs(c), -1))
			loss := recon
			if l1 > 0 {
				loss = Add(recon, MulScalar(codeL1, l1))
			}
			return loss, []*Node{recon, codeL1}
		},
		Metrics: []string{"recon", "code_l1"},
	})
}
