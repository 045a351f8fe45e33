package experiments

import (
	"context"
	"fmt"

	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
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
		return nil, fmt.Errorf("experiments.TrainModel(%s): the model is nil (make it with vaekit.NewModel)", kind)
	}
	train, test, err := LoadImages(ctx, opts, trainSize, 0)
	if err != nil {
		return nil, err
	}
	dir, err := ModelDir(opts, kind, hyper, m, train)
	if err != nil {
		return nil, err
	}
	t := &TrainedModel{Model: m, Train: train, Test: test, Dir: dir}
	testData := vaekit.ImageData(test)
	trainOpts := opts.TrainOptions(dir)
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
	return About{Hyperparameters: hyper, History: t.History, Network: t.Network,
		Dataset: map[string]any{"name": t.Train.Name, "train": t.Train.Count, "test": t.Test.Count}}
}
