package vaekit

import (
	"context"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

func weights(t *testing.T, store *model.Store, path string) []float32 {
	t.Helper()
	v := store.GetVariable(path)
	if v == nil {
		t.Fatalf("no variable %s", path)
	}
	return tensors.MustCopyFlatData[float32](v.MustValue())
}

func TestPretrainFreezesEarlierLayers(t *testing.T) {
	testBackend(t)
	data := ImageData(mnistTest(t, 500))
	cfg := ClassifierConfig{Layers: []int{32, 16}, Classes: 10, Optimizer: "adam", LearningRate: 1e-3, BatchSize: 50, Seed: 5}
	ctx := context.Background()
	one := cfg
	one.Layers = cfg.Layers[:1]
	first, _, err := Pretrain(ctx, one, data, 1, 0, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	both, _, err := Pretrain(ctx, cfg, data, 1, 0, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Layer 0 after stage 0 is what stage 1 left: frozen while layer 1 trained.
	w0 := weights(t, first, "/net/layer_0/dense/weights")
	if !slices.Equal(w0, weights(t, both, "/net/layer_0/dense/weights")) {
		t.Error("pretraining layer 1 changed layer 0, which it says is frozen")
	}
	if both.GetVariable("/net/layer_0/dense/weights").Trainable || !both.GetVariable("/net/layer_1/dense/weights").Trainable {
		t.Error("in the last stage, layer 0 should be frozen and layer 1 trainable")
	}
	// The classifier starts from the pretrained layers, now all trainable.
	mlp, err := NewClassifier(cfg, both)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(w0, weights(t, mlp.Store, "/net/layer_0/dense/weights")) || !mlp.Store.GetVariable("/net/layer_0/dense/weights").Trainable {
		t.Error("NewClassifier did not start from the pretrained, trainable layer 0")
	}
	before, _ := mlp.Accuracy(data)
	mlp.Config.Epochs = 200 / (data.Len() / cfg.BatchSize) // 200 steps.
	if _, err := mlp.Train(ctx, data, TrainOptions{}); err != nil {
		t.Fatal(err)
	}
	after, _ := mlp.Accuracy(data)
	t.Logf("fine-tuning on 500 labels: accuracy %.3f → %.3f", before, after)
	if after < 0.8 || after <= before {
		t.Errorf("fine-tuning did not learn: accuracy %.3f → %.3f", before, after)
	}
	if slices.Equal(w0, weights(t, mlp.Store, "/net/layer_0/dense/weights")) {
		t.Error("fine-tuning left layer 0 unchanged: it should train the whole network")
	}
}

// TestPretrainOvercompleteL1: the L1 penalty reaches an over-complete stage
// (a layer wider than its input) and only that one: its codes' L1 norm
// shrinks, while the narrower stage below trains exactly as without it.
func TestPretrainOvercompleteL1(t *testing.T) {
	testBackend(t)
	data := ImageData(mnistTest(t, 500))
	cfg := ClassifierConfig{Layers: []int{32, 128}, Classes: 10, Optimizer: "adam", LearningRate: 1e-3, BatchSize: 50, Seed: 5}
	ctx := context.Background()
	_, plain, err := Pretrain(ctx, cfg, data, 10, 0, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, penalised, err := Pretrain(ctx, cfg, data, 10, 0.5, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	last := func(h *History, name string) float64 { return h.Epochs[len(h.Epochs)-1].Metrics[name] }
	if a, b := last(plain[0], "recon"), last(penalised[0], "recon"); a != b {
		t.Errorf("the 784→32 stage is not over-complete, yet the penalty changed it: recon %g without, %g with", a, b)
	}
	a, b := last(plain[1], "code_l1"), last(penalised[1], "code_l1")
	t.Logf("32→128 stage: code L1 %.3g without the penalty, %.3g with; recon %.3g and %.3g", a, b, last(plain[1], "recon"), last(penalised[1], "recon"))
	if !(b < 0.8*a) {
		t.Errorf("the over-complete stage's code L1 norm: %g without the penalty, %g with; want it a fifth smaller or more", a, b)
	}
	if _, _, err := Pretrain(ctx, cfg, data, 1, -1, TrainOptions{}); err == nil {
		t.Error("a negative overcompleteL1 was accepted")
	}
}
