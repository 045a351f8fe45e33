package experiments

import (
	"context"

	"github.com/vaekit/vaekit/vaekit"
)

// PretrainExperiment determines the pretraining figure.
type PretrainExperiment struct {
	vaekit.ClassifierConfig
	PretrainEpochs int `json:"pretrain_epochs"` // per layer, on all training images (no labels).
	// OvercompleteL1 weighs the L1 penalty on the codes of a layer wider
	// than its input (vaekit.Pretrain): the lecture asks for a strong one.
	OvercompleteL1 float64 `json:"overcomplete_l1"`
	FineTuneSteps  int     `json:"fine_tune_steps"` // the same budget for both inits and every label count.
	LabelCounts    []int   `json:"label_counts"`    // labelled examples (the first N); 0 means all.
	TrainSize      int     `json:"train_size"`
	TestSize       int     `json:"test_size"`
}

// DefaultPretrainExperiment: 784-500-500-2000-10, ReLU, Adam 1e-3, batch
// 100; 5 pretraining epochs per layer, the over-complete 500→2000 layer with
// an L1 penalty of 0.1 on its codes; 2,000 fine-tuning steps; quick: 1
// epoch and 120 steps on 10,000 digits, 2,000 test digits.
func DefaultPretrainExperiment(quick bool, seed int64) PretrainExperiment {
	exp := PretrainExperiment{
		ClassifierConfig: vaekit.ClassifierConfig{Layers: []int{500, 500, 2000}, Classes: 10, Optimizer: "adam", LearningRate: 1e-3,
			BatchSize: 100, Seed: seed},
		PretrainEpochs: 5, OvercompleteL1: 0.1, FineTuneSteps: 2000, LabelCounts: []int{100, 600, 1000, 0},
	}
	if quick {
		exp.PretrainEpochs, exp.FineTuneSteps, exp.TrainSize, exp.TestSize = 1, 120, 10000, 2000
	}
	return exp
}

// TrainSteps trains a classifier for about steps steps (whole epochs, at
// least one), its batch size capped by the number of examples.
func TrainSteps(ctx context.Context, clf *vaekit.Classifier, data *vaekit.Data, steps int, dir string, progress bool) (trained int, err error) {
	clf.Config.BatchSize = min(clf.Config.BatchSize, data.Len())
	perEpoch := data.Len() / clf.Config.BatchSize
	clf.Config.Epochs = max(1, (steps+perEpoch-1)/perEpoch)
	_, err = clf.Train(ctx, data, vaekit.TrainOptions{Dir: dir, Progress: progress})
	return clf.Config.Epochs * perEpoch, err
}
