package vaekit

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/vaekit/vaekit/datasets"
)

// testBackend is the backend of every test; it says which it is in the log.
func testBackend(t testing.TB) {
	t.Helper()
	b, err := Backend()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("backend: %s (%s)", BackendName(b), BuildFlags())
}

// mnistTest loads the first n MNIST test images.
func mnistTest(t testing.TB, n int) *datasets.ImageSet {
	t.Helper()
	if os.Getenv(datasets.DataEnv) == "" {
		t.Setenv(datasets.DataEnv, filepath.Join("..", "..", "shared", "datasets"))
	}
	set, err := datasets.LoadMNIST(datasets.Test)
	if err != nil {
		t.Fatal(err)
	}
	return set.Subset(n)
}

// tinyAE is a small dense autoencoder with a noisy code, so that the
// store's random state matters for reproducibility.
func tinyAE(scope *model.Scope, x *Node) *Node {
	h := activation.Relu(layers.Dense(scope.In("enc"), x, true, 16))
	h = Add(h, MulScalar(NormalNoise(scope, x.Graph(), h.Shape()), 0.1))
	logits := layers.Dense(scope.In("dec"), h, true, 784)
	train.AddMainLoss(loss.BinaryCrossentropyLogits([]*Node{x}, []*Node{logits}))
	return logits
}

func newTinyFit(t *testing.T, data *Data, dir string, epochs int) *Fit {
	store := model.NewStore()
	SetSeed(store, 42)
	trainer := train.NewTrainer(MustBackend(), store, tinyAE, nil, optimizer.Adam().LearningRate(1e-3).Done(), nil, nil)
	return &Fit{Trainer: trainer, Data: data, BatchSize: 50, Epochs: epochs, Seed: 7, Dir: dir}
}

func variables(t *testing.T, store *model.Store) map[string][]float64 {
	vars := map[string][]float64{}
	for v := range store.IterVariables() {
		val, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		var flat []float64
		switch data := val.Value().(type) {
		case [][]float32:
			for _, row := range data {
				for _, x := range row {
					flat = append(flat, float64(x))
				}
			}
		case []float32:
			for _, x := range data {
				flat = append(flat, float64(x))
			}
		default:
			continue // counters and the RNG state are compared through their effects.
		}
		vars[v.Path()] = flat
	}
	return vars
}

func TestFitResumesExactly(t *testing.T) {
	testBackend(t)
	data := ImageData(mnistTest(t, 500)) // 10 steps per epoch.

	// Every 4th step keeps a record; a resumed run must keep the same ones, once each.
	record := func(step int) (any, error) {
		if step%4 != 0 {
			return nil, nil
		}
		return map[string]int{"step": step}, nil
	}
	// Uninterrupted: 3 epochs.
	full := newTinyFit(t, data, t.TempDir(), 3)
	full.Record = record
	fullHist, err := full.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(fullHist.Epochs) != 3 || fullHist.Epochs[2].Step != 30 {
		t.Fatalf("history: %+v", fullHist.Epochs)
	}
	first, last := fullHist.Epochs[0].Metrics["loss"], fullHist.Epochs[2].Metrics["loss"]
	if !(last < first) {
		t.Errorf("training did not lower the loss: epoch 1 %.4f, epoch 3 %.4f", first, last)
	}

	// Interrupted at step 14 (midway through epoch 2), then resumed in a fresh process-like state.
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	part := newTinyFit(t, data, dir, 3)
	part.Record = record
	part.OnStep = func(step int, _ map[string]float64) {
		if step == 14 {
			cancel()
		}
	}
	_, err = part.Run(ctx)
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("interrupted run: got %v", err)
	}
	t.Logf("interrupted: %v", err)
	resumed := newTinyFit(t, data, dir, 3)
	resumed.Record = record
	var steps []int
	resumed.OnStep = func(step int, _ map[string]float64) { steps = append(steps, step) }
	hist, err := resumed.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if steps[0] != 15 || steps[len(steps)-1] != 30 {
		t.Errorf("resumed run did steps %d..%d, want 15..30", steps[0], steps[len(steps)-1])
	}
	sameVariables(t, full.Trainer.Store(), resumed.Trainer.Store())
	if got, want := recordSteps(hist), recordSteps(fullHist); len(want) != 7 || !slices.Equal(got, want) {
		t.Errorf("records at steps %v after resuming, %v uninterrupted (want 4, 8, …, 28)", got, want)
	}
	for i := range hist.Epochs {
		got, want := hist.Epochs[i].Metrics["loss"], fullHist.Epochs[i].Metrics["loss"]
		if math.Abs(got-want) > 1e-9*math.Abs(want) {
			t.Errorf("epoch %d loss: resumed %.8f, uninterrupted %.8f", i+1, got, want)
		}
	}

	// A finished run is reused, not repeated.
	again := newTinyFit(t, data, dir, 3)
	again.OnStep = func(step int, _ map[string]float64) { t.Errorf("a finished run trained again (step %d)", step) }
	if h, err := again.Run(context.Background()); err != nil || len(h.Epochs) != 3 {
		t.Errorf("reuse: %v, %d epochs", err, len(h.Epochs))
	}
}

// sameVariables fails the test unless the uninterrupted run's store a and
// the resumed run's b hold the same variables with the same values.
func sameVariables(t *testing.T, a, b *model.Store) {
	t.Helper()
	va, vb := variables(t, a), variables(t, b)
	if len(va) == 0 || len(va) != len(vb) {
		t.Fatalf("variables: %v vs %v", slices.Sorted(maps.Keys(va)), slices.Sorted(maps.Keys(vb)))
	}
	for name, v := range va {
		if !slices.Equal(v, vb[name]) {
			t.Errorf("variable %s differs between the uninterrupted and the resumed run", name)
		}
	}
}

// recordSteps is the steps of a history's records.
func recordSteps(h *History) (steps []int) {
	for _, r := range h.Records {
		steps = append(steps, r.Step)
	}
	return steps
}

// explodingModel's loss is 1/(9 − step): finite for 9 steps, then +Inf.
// (Not exp(10·step): the Go backend's SIMD exp saturates at 1.7e38 instead
// of overflowing to +Inf, in compute v0.1.14.)
func explodingModel(scope *model.Scope, x *Node) *Node {
	g := x.Graph()
	step := ConvertDType(optimizer.GetGlobalStepVar(scope).NodeValue(g), x.DType())
	y := layers.Dense(scope.In("dense"), x, true, 1)
	blowUp := Reciprocal(Sub(Scalar(g, x.DType(), 9), step))
	train.AddMainLoss(Add(blowUp, ReduceAllMean(Square(y))))
	return y
}

func TestFitStopsOnDivergence(t *testing.T) {
	testBackend(t)
	data := ImageData(mnistTest(t, 250)) // 5 steps per epoch.
	store := model.NewStore()
	SetSeed(store, 1)
	dir := t.TempDir()
	fit := &Fit{
		Trainer: train.NewTrainer(MustBackend(), store, explodingModel, nil, optimizer.StochasticGradientDescent().Done(), nil, nil),
		Data:    data, BatchSize: 50, Epochs: 4, Dir: dir, SaveEvery: time.Nanosecond, // a checkpoint every step.
	}
	hist, err := fit.Run(context.Background())
	var diverged *DivergedError
	if !errors.As(err, &diverged) {
		t.Fatalf("want a DivergedError, got %v", err)
	}
	t.Logf("diverged: %v", err)
	if diverged.Step != 10 || diverged.Checkpoint != 9 || !math.IsInf(diverged.Loss, 1) {
		t.Errorf("diverged at step %d (checkpoint %d, loss %v), want step 10, checkpoint 9 (the last finite step), +Inf",
			diverged.Step, diverged.Checkpoint, diverged.Loss)
	}
	if !strings.Contains(err.Error(), "step 10") || !strings.Contains(err.Error(), dir) {
		t.Errorf("message should name the step and the directory: %v", err)
	}
	if len(hist.Epochs) != 1 {
		t.Errorf("history has %d epochs, want 1", len(hist.Epochs))
	}
	// The last good checkpoint is there and loads: the finite state of step 9.
	store2 := model.NewStore()
	resume := &Fit{
		Trainer: train.NewTrainer(MustBackend(), store2, explodingModel, nil, optimizer.StochasticGradientDescent().Done(), nil, nil),
		Data:    data, BatchSize: 50, Epochs: 1, Dir: dir,
	}
	if h, err := resume.Run(context.Background()); err != nil || len(h.Epochs) != 1 || h.Epochs[0].Step != 5 {
		t.Errorf("loading the last good checkpoint: %v", err)
	}
	if step, _ := currentStep(store2); step != 9 {
		t.Errorf("the kept checkpoint is at step %d, want 9", step)
	}
}

func TestFitBadInput(t *testing.T) {
	data := ImageData(mnistTest(t, 100))
	for name, fit := range map[string]*Fit{
		"batch too large": newTinyFit(t, data, "", 1),
		"zero batch":      {Trainer: newTinyFit(t, data, "", 1).Trainer, Data: data, Epochs: 1},
		"no data":         {Trainer: newTinyFit(t, data, "", 1).Trainer, BatchSize: 10},
	} {
		if name == "batch too large" {
			fit.BatchSize = 1000
		}
		if _, err := fit.Run(context.Background()); err == nil {
			t.Errorf("%s: no error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

// TestFitNonFiniteMetric: a metric added by OnEpoch that is not a finite
// number stops the run with its name (it used to fail as a JSON error).
func TestFitNonFiniteMetric(t *testing.T) {
	fit := newTinyFit(t, ImageData(mnistTest(t, 100)), t.TempDir(), 1)
	fit.OnEpoch = func(epoch int, metrics map[string]float64) error {
		metrics["test_elbo"] = math.NaN()
		return nil
	}
	if _, err := fit.Run(context.Background()); err == nil || !strings.Contains(err.Error(), `metric "test_elbo" is NaN`) {
		t.Errorf("got %v, want the NaN metric named", err)
	}
}

// TestStepsPerCall: the data kept on the device with batches gathered
// there, one or several steps a call, is the same training as the
// trainer's own step on batches from the host (the same losses step by
// step, the same variables after, within float32 rounding), for a model
// with a Loss (the VAE, whose ε is drawn from the store's random state) and
// one with a Step (the GAN, two optimizers); an epoch of 5 steps at 4 a
// call also takes a one-step program for its last step.
func TestStepsPerCall(t *testing.T) {
	testBackend(t)
	data := ImageData(mnistTest(t, 500))
	vae := func() *Model { return twoEpochVAE(t).Model }
	gan := func() *Model {
		cfg := DefaultMLPGANConfig()
		cfg.Epochs, cfg.BatchSize = 2, 100
		m, err := NewGAN(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return m.Model
	}
	for name, make := range map[string]func() *Model{"vae": vae, "gan": gan} {
		run := func(k int) (*Model, []float64) {
			m := make()
			var losses []float64
			opts := TrainOptions{StepsPerCall: k, OnStep: func(step int, metrics map[string]float64) { losses = append(losses, metrics["loss"]) }}
			if k > 0 {
				if _, err := m.Train(context.Background(), data, opts); err != nil {
					t.Fatalf("%s, %d steps a call: %v", name, k, err)
				}
				return m, losses
			}
			// The trainer's step, on batches made on the host.
			d, err := m.trainData(data)
			if err != nil {
				t.Fatal(err)
			}
			cfg := m.spec.Config
			fit := &Fit{Trainer: m.Trainer, Data: d, BatchSize: max(m.spec.BatchesPerStep, 1) * cfg.BatchSize, Epochs: cfg.Epochs,
				Seed: cfg.Seed, LabelsAsInput: m.spec.Labels, OnStep: opts.OnStep}
			if _, err := fit.Run(context.Background()); err != nil {
				t.Fatalf("%s, the trainer's step: %v", name, err)
			}
			return m, losses
		}
		host, hostLosses := run(0)
		for _, k := range []int{1, 4} {
			m, losses := run(k)
			if len(hostLosses) != 10 || len(losses) != 10 {
				t.Fatalf("%s: %d and %d steps, want 10", name, len(hostLosses), len(losses))
			}
			for i := range losses {
				if math.Abs(losses[i]-hostLosses[i]) > 1e-4*math.Abs(hostLosses[i]) {
					t.Errorf("%s: step %d's loss %.6f at %d steps a call, %.6f by the trainer", name, i+1, losses[i], k, hostLosses[i])
				}
			}
			closeVariables(t, fmt.Sprintf("%s, %d steps a call", name, k), host.Store, m.Store)
		}
	}
}

// closeVariables fails unless a and b hold the same variables with values
// equal within float32 rounding of a few steps' arithmetic.
func closeVariables(t *testing.T, name string, a, b *model.Store) {
	t.Helper()
	va, vb := variables(t, a), variables(t, b)
	if !slices.Equal(slices.Sorted(maps.Keys(va)), slices.Sorted(maps.Keys(vb))) {
		t.Fatalf("%s: variables %v and %v", name, slices.Sorted(maps.Keys(va)), slices.Sorted(maps.Keys(vb)))
	}
	for path, x := range va {
		for i := range x {
			if d := math.Abs(x[i] - vb[path][i]); d > 1e-4*(1+math.Abs(x[i])) {
				t.Errorf("%s: %s[%d] is %v by the trainer, %v here", name, path, i, x[i], vb[path][i])
				break
			}
		}
	}
}

// TestStepsPerCallResumes: interrupted midway through a call's steps, a run
// of several steps a call finishes the call, saves there, and resumed
// (another process's model, from the checkpoint) ends with the variables of
// the uninterrupted run, exactly.
func TestStepsPerCallResumes(t *testing.T) {
	testBackend(t)
	data := ImageData(mnistTest(t, 500)) // 5 steps an epoch: calls of 4 and 1.
	vae := func() *VAE { return twoEpochVAE(t) }
	full := vae()
	if _, err := full.Train(context.Background(), data, TrainOptions{StepsPerCall: 4}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var last int
	_, err := vae().Train(ctx, data, TrainOptions{Dir: dir, StepsPerCall: 4, OnStep: func(step int, _ map[string]float64) {
		if last = step; step == 6 {
			cancel()
		}
	}})
	if !errors.Is(err, ErrInterrupted) || last != 9 || !strings.Contains(err.Error(), "at step 9") {
		t.Fatalf("interrupted at step 6 of a call of steps 6–9: %v, last step %d", err, last)
	}
	resumed := vae()
	var steps []int
	if _, err := resumed.Train(context.Background(), data, TrainOptions{Dir: dir, StepsPerCall: 4,
		OnStep: func(step int, _ map[string]float64) { steps = append(steps, step) }}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(steps, []int{10}) {
		t.Errorf("resumed at steps %v, want [10]", steps)
	}
	sameVariables(t, full.Store, resumed.Store)
}

// A bad steps-a-call setting is an error naming it, before any training.
func TestStepsPerCallSetting(t *testing.T) {
	for _, c := range []struct {
		env  string
		n    int    // the count read, where valid
		want string // in the error, where not
	}{{"", 1, ""}, {"4", 4, ""}, {"0", 0, StepsPerCallEnv}, {"four", 0, StepsPerCallEnv}} {
		t.Setenv(StepsPerCallEnv, c.env)
		n, err := StepsPerCall()
		if c.want == "" && (err != nil || n != c.n) || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("$%s=%q: %d, %v", StepsPerCallEnv, c.env, n, err)
		}
	}
	t.Setenv(StepsPerCallEnv, "")
	fit := &Fit{StepsPerCall: -1}
	if _, err := fit.stepsPerCall(); err == nil || !strings.Contains(err.Error(), "StepsPerCall") {
		t.Errorf("Fit.StepsPerCall = -1: %v", err)
	}
}

// twoEpochVAE is the default VAE, trained for 2 epochs.
func twoEpochVAE(t *testing.T) *VAE {
	cfg := DefaultVAEConfig()
	cfg.Epochs = 2
	m, err := NewVAE(cfg, 784)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestBusyCountsOverlapOnce: training time sums the steps' intervals, and
// two runs training at the same time (a figure's seeds) count their overlap
// once, so that a figure's training never exceeds its wall time.
func TestBusyCountsOverlapOnce(t *testing.T) {
	at := func(s float64) time.Time { return time.Unix(0, 0).Add(time.Duration(s * float64(time.Second))) }
	for _, tc := range []struct {
		name      string
		intervals [][2]float64
		want      float64
	}{
		{"one after another", [][2]float64{{0, 1}, {2, 3}, {3, 4}}, 3},
		{"overlapping", [][2]float64{{0, 2}, {1, 3}}, 3},
		{"inside one counted", [][2]float64{{0, 4}, {1, 3}}, 4},
		{"two runs interleaved", [][2]float64{{0, 1}, {0.5, 1.5}, {1, 2}, {1.5, 2.5}}, 2.5},
	} {
		var b busy
		for _, iv := range tc.intervals {
			b.add(at(iv[0]), at(iv[1]))
		}
		if got := b.sum.Seconds(); got != tc.want {
			t.Errorf("%s: %v s, want %v", tc.name, got, tc.want)
		}
	}
}
