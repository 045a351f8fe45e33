package experiments

import (
	"context"

	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
)

// ConvAEExperiment determines the convolutional-AE figures.
type ConvAEExperiment struct {
	vaekit.ConvAEConfig
	// NarrowChannels replaces the last stage's channels in conv-ae's second
	// configuration, whose code is smaller than the image (0: none).
	NarrowChannels int `json:"narrow_channels,omitempty"`
	TrainSize      int `json:"train_size"` // first N training images; 0 for all.
	TestSize       int `json:"test_size"`  // first N test images scored; 0 for all.
	Show           int `json:"show"`       // test digits shown per row.
}

// DefaultConvAEExperiment: the benchmark's conv AE (32 and 64 channels,
// 3×3, Adam 1e-3, batch 100) for 2 epochs on all of MNIST, and for conv-ae
// a narrow one (32 and 8 channels: a code of 392 numbers, half the image);
// quick trains one epoch on 6,000 digits and scores 1,000.
func DefaultConvAEExperiment(quick bool, seed int64) ConvAEExperiment {
	exp := ConvAEExperiment{ConvAEConfig: vaekit.DefaultConvAEConfig(), NarrowChannels: 8, Show: 10}
	exp.Seed, exp.Epochs = seed, 2
	if quick {
		exp.Epochs, exp.TrainSize, exp.TestSize = 1, 6000, 1000
	}
	return exp
}

// TrainedConvAE is a convolutional AE trained on MNIST, with its test data.
type TrainedConvAE struct {
	Experiment ConvAEExperiment
	AE         *vaekit.ConvAE
	History    *vaekit.History
	Train      *datasets.ImageSet
	Test       *datasets.ImageSet
}

// TrainConvAE trains (or loads) the convolutional AE with the given decoder.
func TrainConvAE(ctx context.Context, exp ConvAEExperiment, unpool string, opts Options) (*TrainedConvAE, error) {
	exp.Unpool = unpool
	train, test, err := LoadImages(ctx, opts, exp.TrainSize, exp.TestSize)
	if err != nil {
		return nil, err
	}
	ae, err := vaekit.NewConvAE(exp.ConvAEConfig, train.Rows)
	if err != nil {
		return nil, err
	}
	// The model is its ConvAEConfig: the figure's other settings do not change it.
	dir, err := ModelDir(opts, "conv-ae", exp.ConvAEConfig, ae, train)
	if err != nil {
		return nil, err
	}
	hist, err := ae.Train(ctx, vaekit.ImageData(train), opts.TrainOptions(dir))
	if err != nil {
		return nil, err
	}
	return &TrainedConvAE{Experiment: exp, AE: ae, History: hist, Train: train, Test: test}, nil
}
