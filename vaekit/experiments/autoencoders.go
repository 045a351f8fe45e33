package experiments

import (
	"context"

	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
)

// AEExperiment determines a dense autoencoder figure.
type AEExperiment struct {
	vaekit.AEConfig
	TrainSize int `json:"train_size"` // first N training digits; 0 for all.
	TestSize  int `json:"test_size"`  // first N test digits scored; 0 for all.
}

// DefaultAEExperiment is the lecture's deep AE 784-1000-500-250-code (ReLU,
// BCE, Adam 1e-3, batch 100) for 20 epochs on all of MNIST; quick trains 3
// epochs on 10,000 digits and scores 2,000.
func DefaultAEExperiment(quick bool, seed int64, code int) AEExperiment {
	exp := AEExperiment{AEConfig: vaekit.DefaultAEConfig()}
	exp.Layers = []int{1000, 500, 250, code}
	exp.Seed = seed
	if quick {
		exp.Epochs, exp.TrainSize, exp.TestSize = 3, 10000, 2000
	}
	return exp
}

// TrainedAE is a dense autoencoder trained on MNIST with its data.
type TrainedAE struct {
	Experiment AEExperiment
	AE         *vaekit.AE
	History    *vaekit.History
	Train      *datasets.ImageSet
	Test       *datasets.ImageSet
}

// TrainAE trains (or loads) a dense autoencoder on MNIST.
func TrainAE(ctx context.Context, exp AEExperiment, opts Options) (*TrainedAE, error) {
	train, test, err := LoadImages(ctx, opts, exp.TrainSize, exp.TestSize)
	if err != nil {
		return nil, err
	}
	ae, hist, err := FitAE(ctx, "ae", exp.AEConfig, exp.AEConfig, vaekit.ImageData(train), opts)
	if err != nil {
		return nil, err
	}
	return &TrainedAE{Experiment: exp, AE: ae, History: hist, Train: train, Test: test}, nil
}

// FitAE trains (or loads) a dense autoencoder of cfg on data, the way every
// figure does: checkpointed under kind by hyper (the figure's
// hyperparameters) and the data's name and size.
func FitAE(ctx context.Context, kind string, hyper any, cfg vaekit.AEConfig, data *vaekit.Data, opts Options) (*vaekit.AE, *vaekit.History, error) {
	ae, err := vaekit.NewAE(cfg, data.Shape[0])
	if err != nil {
		return nil, nil, err
	}
	dir, err := RunDir(opts, kind, hyper, ae, data.Name, data.Len())
	if err != nil {
		return nil, nil, err
	}
	hist, err := ae.Train(ctx, data, opts.TrainOptions(dir))
	if err != nil {
		return nil, nil, err
	}
	return ae, hist, nil
}

// DatasetOf is what a figure's JSON says of its data: the name, the splits
// and their sizes.
func DatasetOf(train, test *datasets.ImageSet) map[string]any {
	return map[string]any{"name": DataName(train), "train": train.Name, "train_size": train.Count, "test": test.Name, "test_size": test.Count}
}

// About is what a figure made of this one autoencoder says of it.
func (t *TrainedAE) About() About {
	return About{Hyperparameters: t.Experiment, Dataset: DatasetOf(t.Train, t.Test), History: t.History}
}

// DefaultCodeL2 is the weight of the code penalty in decoder-generation.
const DefaultCodeL2 = 0.05

// DenoisingExperiment determines the denoising figure.
type DenoisingExperiment struct {
	AEExperiment
	Gaussian float64 `json:"gaussian_sigma"` // σ of the Gaussian noise.
	Masking  float64 `json:"masking_rate"`   // share of pixels zeroed by masking noise.
	Show     int     `json:"show"`
}

// DefaultDenoisingExperiment: a 784-512-128 autoencoder, Gaussian σ 0.5 and
// masking 50 %, 10 epochs on all of MNIST; quick: 3 epochs on 10,000.
func DefaultDenoisingExperiment(quick bool, seed int64) DenoisingExperiment {
	exp := DenoisingExperiment{AEExperiment: DefaultAEExperiment(quick, seed, 128), Gaussian: 0.5, Masking: 0.5, Show: 8}
	exp.Layers = []int{512, 128}
	if !quick {
		exp.Epochs = 10
	}
	return exp
}
