package figures

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/chart"
	"github.com/vaekit/vaekit/vaekit/experiments"
)

func init() {
	register(Spec{Name: "pretraining", Article: articleLecture,
		Summary: "greedy layer-wise AE pretraining then fine-tuning with 100/600/1000/all labels, vs random init",
		Make: func(ctx context.Context, opts experiments.Options) (*Result, error) {
			return Pretraining(ctx, experiments.DefaultPretrainExperiment(opts.Quick, opts.Seed), opts)
		},
		Compare: []Comparison{
			{Metric: "test accuracy, 100 labels", A: "test_accuracy_pretrained_100_labels", B: "test_accuracy_random_100_labels", NameA: "pretrained", NameB: "random init", Larger: true},
			{Metric: "test accuracy, 600 labels", A: "test_accuracy_pretrained_600_labels", B: "test_accuracy_random_600_labels", NameA: "pretrained", NameB: "random init", Larger: true},
			{Metric: "test accuracy, 1000 labels", A: "test_accuracy_pretrained_1000_labels", B: "test_accuracy_random_1000_labels", NameA: "pretrained", NameB: "random init", Larger: true},
			{Metric: "test accuracy, 10000 labels", A: "test_accuracy_pretrained_10000_labels", B: "test_accuracy_random_10000_labels", NameA: "pretrained", NameB: "random init", Larger: true},
			{Metric: "test accuracy, 60000 labels", A: "test_accuracy_pretrained_60000_labels", B: "test_accuracy_random_60000_labels", NameA: "pretrained", NameB: "random init", Larger: true}}})
}

// PretrainAccuracy is what pretraining measures: test accuracy after
// fine-tuning with each number of labels, from pretrained and from random
// weights.
type PretrainAccuracy struct {
	experiments.About
	Experiment         experiments.PretrainExperiment
	Labels             []int     // labelled training examples of each fine-tuning.
	Steps              []int     // fine-tuning steps each did (whole epochs: at least FineTuneSteps).
	Pretrained, Random []float64 // test accuracy (0–1) after each.
	Stages             []PretrainStage
}

// PretrainStage is how one layer's pretraining ended (its last epoch's
// means): the reconstruction error of its input and its codes' L1 norm.
type PretrainStage struct {
	Layer        string  `json:"layer"` // "500→2000"
	OverComplete bool    `json:"over_complete"`
	L1           float64 `json:"l1_weight"`
	Recon        float64 `json:"recon"`   // cross-entropy of the pixels (first layer), squared error of the codes below (others).
	CodeL1       float64 `json:"code_l1"` // mean Σ|code|.
}

// Pretraining measures test accuracy after fine-tuning with few or many
// labels, from pretrained and from random weights, with the same budget.
func Pretraining(ctx context.Context, exp experiments.PretrainExperiment, opts experiments.Options) (*Result, error) {
	return drawn(MeasurePretraining(ctx, exp, opts))
}

// MeasurePretraining pretrains (or loads) the stack, then fine-tunes (or
// loads) a classifier from each start for each number of labels.
func MeasurePretraining(ctx context.Context, exp experiments.PretrainExperiment, opts experiments.Options) (*PretrainAccuracy, error) {
	trainSet, testSet, err := experiments.LoadImages(ctx, opts, exp.TrainSize, exp.TestSize)
	if err == nil {
		err = experiments.RequireLabels("pretraining", trainSet)
	}
	if err != nil {
		return nil, err
	}
	train, test := vaekit.ImageData(trainSet), vaekit.ImageData(testSet)
	dir, err := experiments.ModelDir(opts, "pretrain", struct {
		Config         vaekit.ClassifierConfig
		Epochs         int
		OvercompleteL1 float64 `json:",omitempty"`
	}{exp.ClassifierConfig, exp.PretrainEpochs, exp.OvercompleteL1}, nil, trainSet)
	if err != nil {
		return nil, err
	}
	pretrained, stages, err := vaekit.Pretrain(ctx, exp.ClassifierConfig, train, exp.PretrainEpochs, exp.OvercompleteL1,
		opts.TrainOptions(dir))
	if err != nil {
		return nil, err
	}
	a := &PretrainAccuracy{Experiment: exp, About: experiments.About{Hyperparameters: exp, Dataset: experiments.DatasetOf(trainSet, testSet)}}
	in := train.Shape[0]
	for i, h := range stages {
		last := h.Epochs[len(h.Epochs)-1].Metrics
		s := PretrainStage{Layer: fmt.Sprintf("%d→%d", in, exp.Layers[i]), Recon: last["recon"], CodeL1: last["code_l1"]}
		if exp.Layers[i] > in {
			s.OverComplete, s.L1 = true, exp.OvercompleteL1
		}
		a.Stages, in = append(a.Stages, s), exp.Layers[i]
	}
	for _, n := range exp.LabelCounts {
		labelled := trainSet.Subset(n)
		a.Labels = append(a.Labels, labelled.Count)
		for _, init := range []struct {
			name  string
			store *model.Store
			acc   *[]float64
		}{{"pretrained", pretrained, &a.Pretrained}, {"random", nil, &a.Random}} {
			mlp, err := vaekit.NewClassifier(exp.ClassifierConfig, init.store)
			if err != nil {
				return nil, err
			}
			runDir, err := experiments.ModelDir(opts, "finetune", struct {
				Pretraining, Init string // the pretrained model's directory, and which start.
				Config            vaekit.ClassifierConfig
				Steps             int
			}{filepath.Base(dir), init.name, exp.ClassifierConfig, exp.FineTuneSteps}, mlp, labelled)
			if err != nil {
				return nil, err
			}
			steps, err := experiments.TrainSteps(ctx, mlp, vaekit.ImageData(labelled), exp.FineTuneSteps, runDir, opts.Progress)
			if err != nil {
				return nil, err
			}
			if init.name == "random" { // both starts train the same steps.
				a.Steps = append(a.Steps, steps)
			}
			acc, err := mlp.Accuracy(test)
			if err != nil {
				return nil, err
			}
			*init.acc = append(*init.acc, acc)
		}
	}
	return a, nil
}

// Draw is pretraining: accuracy against labels, both starts.
func (a *PretrainAccuracy) Draw() (*Result, error) {
	exp := a.Experiment
	metrics := map[string]any{}
	series := []chart.Series{{Name: "pretrained, then fine-tuned"}, {Name: "random init", Dashed: true}}
	effects := map[string]float64{}
	for i, n := range a.Labels {
		for si, acc := range []float64{a.Pretrained[i], a.Random[i]} {
			series[si].X, series[si].Y = append(series[si].X, float64(n)), append(series[si].Y, acc)
		}
		metrics[fmt.Sprintf("test_accuracy_pretrained_%d_labels", n)] = a.Pretrained[i]
		metrics[fmt.Sprintf("test_accuracy_random_%d_labels", n)] = a.Random[i]
		effects[fmt.Sprintf("%d_labels", n)] = 100 * (a.Pretrained[i] - a.Random[i])
	}
	sizes := strings.ReplaceAll(strings.Trim(fmt.Sprint(exp.Layers), "[]"), " ", "-")
	steps := fmt.Sprintf("%d fine-tuning steps", a.Steps[0])
	if lo, hi := slices.Min(a.Steps), slices.Max(a.Steps); lo != hi {
		steps = fmt.Sprintf("%d–%d fine-tuning steps", lo, hi)
	}
	stepsByLabels := map[string]int{}
	for i, n := range a.Labels {
		stepsByLabels[fmt.Sprintf("%d_labels", n)] = a.Steps[i]
	}
	metrics["fine_tune_steps"] = stepsByLabels
	metrics["pretraining_stages"] = a.Stages
	title := fmt.Sprintf("784-%s-10, %s", sizes, steps)
	for _, st := range a.Stages {
		if st.OverComplete && st.L1 > 0 {
			title += fmt.Sprintf("; over-complete %s pretrained with L1 %.2g on its codes", st.Layer, st.L1)
		}
	}
	lines := &chart.Lines{Title: title,
		XLabel: "labelled training examples (log scale)", YLabel: "test accuracy (fraction correct)", Series: series, Points: true,
		LogX: true, Legend: chart.TopLeft}
	p, err := lines.Plot()
	if err != nil {
		return nil, err
	}
	if slices.Equal(exp.Layers, []int{500, 500, 2000}) && slices.Contains(a.Labels, 60000) {
		metrics["reference"] = map[string]any{"source": "Hinton & Salakhutdinov, Science 2006: 784-500-500-2000-10 on all 60,000 labels, " +
			"pretrained as RBMs then fine-tuned by backprop (1.2 % test error), against the best reported backprop from random weights (1.6 %); " +
			"here the layers are pretrained as autoencoders and fine-tuned for fewer steps",
			"test_accuracy_pretrained_60000_labels": 0.988, "test_accuracy_random_60000_labels": 0.984}
	}
	metrics["pretraining_gain_points"] = effects
	metrics["note"] = "gain = pretrained minus random-init test accuracy, in percentage points, same architecture, labels and steps"
	fig := chart.New("Greedy layer-wise autoencoder pretraining", p).Size(6.5, 4.2)
	return &Result{Figure: fig, Metrics: metrics, About: a.About}, nil
}
