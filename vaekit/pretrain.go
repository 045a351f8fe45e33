package vaekit

import (
	"context"
	"fmt"
	"path/filepath"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
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
func Pretrain(ctx context.Context, cfg ClassifierConfig, data *Data, epochs int, opts TrainOptions) (*model.Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(cfg.Conv) > 0 {
		return nil, fmt.Errorf("Pretrain: layer-wise pretraining is for dense layers, the config has convolutions %v", cfg.Conv)
	}
	var prev *model.Store
	for stage := range cfg.Layers {
		stageCfg := cfg.TrainConfig
		stageCfg.Seed, stageCfg.Epochs = cfg.Seed+int64(stage), epochs
		m, err := newModel(&stageCfg)
		if err != nil {
			return nil, err
		}
		store := m.Store
		m.name = fmt.Sprintf("pretraining layer %d", stage)
		if prev != nil {
			for i := range stage {
				for _, name := range []string{"weights", "biases"} {
					clone, err := prev.GetVariable(fmt.Sprintf("/net/layer_%d/dense/%s", i, name)).CloneToStore(store)
					if err != nil {
						return nil, err
					}
					clone.SetTrainable(false) // frozen: only layer `stage` and its decoder learn.
				}
			}
		}
		opt, _ := stageCfg.optimizer()
		m.Trainer = train.NewTrainer(m.backend, store, func(scope *model.Scope, x *Node) *Node {
			net := scope.In("net")
			in := StopGradient(hidden(net, x, cfg.Layers[:stage]))
			code := activation.Relu(layers.Dense(net.In("layer_%d", stage), in, true, cfg.Layers[stage]))
			out := layers.Dense(scope.In("pretrain").In("decoder_%d", stage), code, true, in.Shape().Dimensions[1])
			var recon *Node
			if stage == 0 {
				recon = BernoulliNLL(out, in)
			} else {
				recon = ReduceSum(Square(Sub(out, in)), -1)
			}
			train.AddMainLoss(ReduceAllMean(recon))
			return out
		}, nil, opt, nil, nil)
		stageOpts := opts
		if opts.Dir != "" {
			stageOpts.Dir = filepath.Join(opts.Dir, fmt.Sprintf("stage_%d", stage))
		}
		unlabelled := &Data{Name: data.Name, X: data.X, Shape: data.Shape}
		if _, err := m.Train(ctx, unlabelled, stageOpts); err != nil {
			return nil, fmt.Errorf("pretraining layer %d: %w", stage, err)
		}
		prev = store
	}
	return prev, nil
}
