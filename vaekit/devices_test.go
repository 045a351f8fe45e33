package vaekit

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/go-xla/compute/xla"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// xlaCPU4 is XLA's CPU plugin with 4 virtual devices, or a skip saying why not.
func xlaCPU4(t *testing.T) compute.Backend {
	t.Helper()
	xla.EnableAutoInstall(false)
	b, err := newXLACPU("xla:cpu", 4)
	if err != nil {
		t.Skipf("no XLA CPU plugin (scripts/install-xla-cpu): %v", err)
	}
	return b
}

// TestDataParallelSameTrajectory trains the same model from the same seed
// on the same global batches over 1, 2 and 4 devices: the losses must agree

// TestDataParallelDeepAE trains the lecture's deep autoencoder (16 gradients
// to all-reduce a step) over the two devices of a 2-device XLA CPU client,
// as `vaekit bench --devices 2 deep-ae` does: with XLA's default worker pool
// (one a core) this aborted in the collectives' rendezvous, or hung, in
// most runs on a 2-core machine.
func TestDataParallelDeepAE(t *testing.T) {
	xla.EnableAutoInstall(false)
	b, err := newXLACPU("xla:cpu", 2)
	if err != nil {
		t.Skipf("no XLA CPU plugin (scripts/install-xla-cpu): %v", err)
	}
	deep := func(scope *model.Scope, x *Node) *Node {
		h := x
		for i, n := range []int{1000, 500, 250, 30, 250, 500, 1000} {
			h = activation.Relu(layers.Dense(scope.In("layer_%d", i), h, true, n))
		}
		logits := layers.Dense(scope.In("out"), h, true, 784)
		train.AddMainLoss(loss.BinaryCrossentropyLogits([]*Node{x}, []*Node{logits}))
		return logits
	}
	store := model.NewStore()
	SetSeed(store, 42)
	var losses []float64
	fit := &Fit{Trainer: train.NewTrainer(b, store, deep, nil, optimizer.Adam().LearningRate(1e-3).Done(), nil, nil),
		Data: ImageData(mnistTest(t, 1000)), BatchSize: 100, Epochs: 5, Seed: 7, Devices: 2, Dir: t.TempDir()}
	fit.OnStep = func(step int, m map[string]float64) { losses = append(losses, m["loss"]) }
	if _, err := fit.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(losses) != 50 || !(losses[49] < losses[0]) {
		t.Errorf("deep AE over 2 devices: %d steps, loss %v … %v; want 50 steps and a falling loss", len(losses), losses[0], losses[len(losses)-1])
	}
}

// step by step to float tolerance (only the order of the gradient sums differs).
func TestDataParallelSameTrajectory(t *testing.T) {
	b := xlaCPU4(t)
	data := ImageData(mnistTest(t, 400)) // 4 steps an epoch at batch 100.
	losses := map[int][]float64{}
	for _, devices := range []int{1, 2, 4} {
		store := model.NewStore()
		SetSeed(store, 42)
		fit := &Fit{Trainer: train.NewTrainer(b, store, tinyAE, nil, optimizer.Adam().LearningRate(1e-3).Done(), nil, nil),
			Data: data, BatchSize: 100, Epochs: 3, Seed: 7, Devices: devices, Dir: t.TempDir(), SaveEvery: 1}
		fit.OnStep = func(step int, m map[string]float64) { losses[devices] = append(losses[devices], m["loss"]) }
		if _, err := fit.Run(context.Background()); err != nil {
			t.Fatalf("%d devices: %v", devices, err)
		}
	}
	if len(losses[1]) != 12 {
		t.Fatalf("one device ran %d steps, want 12", len(losses[1]))
	}
	for _, devices := range []int{2, 4} {
		if len(losses[devices]) != len(losses[1]) {
			t.Fatalf("%d devices ran %d steps, one device %d", devices, len(losses[devices]), len(losses[1]))
		}
		for i, want := range losses[1] {
			if got := losses[devices][i]; math.Abs(got-want) > 1e-4*math.Abs(want) {
				t.Errorf("%d devices, step %d: loss %.6f, one device %.6f", devices, i+1, got, want)
			}
		}
	}
	if !(losses[1][11] < losses[1][0]) {
		t.Errorf("the loss did not fall: %v", losses[1])
	}
	t.Logf("losses, 1 device: %.4f … %.4f; 4 devices: %.4f … %.4f", losses[1][0], losses[1][11], losses[4][0], losses[4][11])
}

func TestDataParallelErrors(t *testing.T) {
	b := xlaCPU4(t)
	data := ImageData(mnistTest(t, 200))
	for _, c := range []struct {
		devices, batch int
		says           string
	}{
		{8, 64, "the backend xla:cpu has 4"},
		{4, 50, "batch size 50 does not divide into 4"},
	} {
		store := model.NewStore()
		fit := &Fit{Trainer: train.NewTrainer(b, store, tinyAE, nil, optimizer.Adam().Done(), nil, nil),
			Data: data, BatchSize: c.batch, Epochs: 1, Devices: c.devices}
		if _, err := fit.Run(context.Background()); err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%d devices, batch %d: %v, want it to say %q", c.devices, c.batch, err, c.says)
		}
	}
	if err := checkDevices(goBackendForTest(t), 2, 100); err == nil || !strings.Contains(err.Error(), "needs the XLA backend") {
		t.Errorf("two devices on the Go backend: %v", err)
	}
}

func goBackendForTest(t *testing.T) compute.Backend {
	b, err := compute.NewWithConfig("go")
	if err != nil {
		t.Fatal(err)
	}
	return b
}
