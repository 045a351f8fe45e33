package vaekit

import (
	"context"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/loss"
)

// softmaxSpec is a model the library does not define, built through the
// public door: softmax regression on MNIST, with an optional weight penalty.
func softmaxSpec(cfg *TrainConfig, penalty float64) Spec {
	logits := func(scope *model.Scope, x *Node) *Node { return layers.Dense(scope.In("softmax"), x, true, 10) }
	return Spec{Name: "softmax regression", Config: cfg, ExampleSize: 784, Labels: true,
		Networks:      func(scope *model.Scope, x []*Node) []*Node { return []*Node{logits(scope, x[0])} },
		NetworkInputs: []shapes.Shape{shapes.Make(dtypes.Float32, 1, 784)},
		Loss: func(scope *model.Scope, x, labels *Node) (*Node, []*Node) {
			l := logits(scope, x)
			xent := loss.SparseCategoricalCrossEntropyLogits([]*Node{InsertAxes(labels, -1)}, []*Node{l})
			total := xent
			if penalty > 0 {
				total = Add(xent, MulScalar(ReduceAllSum(Square(l)), penalty))
			}
			return total, []*Node{xent}
		},
		Metrics: []string{"xent"},
	}
}

func TestNewModelNamesWhatIsMissing(t *testing.T) {
	testBackend(t)
	cfg := &TrainConfig{Optimizer: "adam", LearningRate: 1e-3, Epochs: 1, BatchSize: 50}
	for _, c := range []struct {
		part string
		edit func(*Spec)
	}{
		{"Spec.Name", func(s *Spec) { s.Name = "" }},
		{"Spec.Config", func(s *Spec) { s.Config = nil }},
		{"Spec.ExampleSize", func(s *Spec) { s.ExampleSize = 0 }},
		{"Spec.Networks", func(s *Spec) { s.Networks = nil }},
		{"Spec.NetworkInputs", func(s *Spec) { s.NetworkInputs = nil }},
		{"Spec.Loss and Spec.Step", func(s *Spec) { s.Loss = nil }},
		{"Spec.Loss and Spec.Step", func(s *Spec) { s.Step = s.Loss }},
		{"LearningRate", func(s *Spec) { s.Config = &TrainConfig{Optimizer: "adam", BatchSize: 50} }},
	} {
		spec := softmaxSpec(cfg, 0)
		c.edit(&spec)
		if _, err := NewModel(spec); err == nil || !strings.Contains(err.Error(), c.part) {
			t.Errorf("without %s: got %v", c.part, err)
		}
	}
	// A Loss that reports another number of metrics than Metrics names is an
	// error of Train, not a panic.
	spec := softmaxSpec(cfg, 0)
	spec.Metrics = []string{"xent", "accuracy"}
	m, err := NewModel(spec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Train(context.Background(), ImageData(mnistTest(t, 100)), TrainOptions{}); err == nil ||
		!strings.Contains(err.Error(), "Spec.Metrics names 2") {
		t.Errorf("a Loss of one metric for two names: got %v", err)
	}
	if _, err := m.Train(context.Background(), &Data{Name: "flat", X: make([]float32, 100), Shape: []int{10}}, TrainOptions{}); err == nil ||
		!strings.Contains(err.Error(), "the model takes 784") {
		t.Errorf("examples of 10 values: got %v", err)
	}
}

func TestNewModelTrainsAModelOfOnesOwn(t *testing.T) {
	testBackend(t)
	data := ImageData(mnistTest(t, 1000))
	fingerprint := func(penalty float64) (*Model, string) {
		cfg := &TrainConfig{Optimizer: "adam", LearningRate: 3e-3, Epochs: 3, BatchSize: 50, Seed: 1}
		m, err := NewModel(softmaxSpec(cfg, penalty))
		if err != nil {
			t.Fatal(err)
		}
		f, err := m.Fingerprint()
		if err != nil {
			t.Fatal(err)
		}
		return m, f
	}
	m, plain := fingerprint(0)
	_, again := fingerprint(0)
	_, penalised := fingerprint(1e-4)
	if plain != again {
		t.Errorf("the same model has fingerprints %s and %s", plain, again)
	}
	if penalised == plain {
		t.Errorf("a loss with a weight penalty has the plain loss's fingerprint %s", plain)
	}
	summary, err := m.Summary()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(summary, "/softmax/dense") || !strings.Contains(summary, "7850") {
		t.Errorf("the summary lacks the 784×10 + 10 softmax layer:\n%s", summary)
	}
	dir := t.TempDir()
	hist, err := m.Train(context.Background(), data, TrainOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	first, last := hist.Epochs[0].Metrics["xent"], hist.Last()["xent"]
	t.Logf("cross-entropy by epoch: %.3f … %.3f", first, last)
	if !(last < first) || !(last < 1.0) {
		t.Errorf("softmax regression did not learn: cross-entropy %.3f, then %.3f", first, last)
	}
	// A second model in the same directory loads the finished run.
	again2, _ := fingerprint(0)
	hist2, err := again2.Train(context.Background(), data, TrainOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if got := hist2.Last()["xent"]; got != last {
		t.Errorf("the finished run reloaded reports cross-entropy %.4f, it ended at %.4f", got, last)
	}
}

// mustFingerprint is m's fingerprint, or the test's end.
func mustFingerprint(t *testing.T, m *Model) string {
	t.Helper()
	f, err := m.Fingerprint()
	if err != nil {
		t.Fatal(err)
	}
	return f
}
