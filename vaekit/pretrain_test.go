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
	first, err := Pretrain(ctx, one, data, 1, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	both, err := Pretrain(ctx, cfg, data, 1, TrainOptions{})
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
