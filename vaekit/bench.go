package vaekit

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"syscall"
	"time"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
)

// BenchModels are the four models of the speed benchmark
// (docs/benchmarks.md), as its PyTorch peer names them.
var BenchModels = []string{"vae-mlp", "deep-ae", "conv-ae", "dcgan"}

// BenchOverhead is the benchmark's trivial model (overheadSpec): its step
// time is the fixed cost of a training step.
const BenchOverhead = "overhead"

// BenchResult is one line of `vaekit bench`: the peer's fields, plus the
// backend, the build and the process's peak memory.
type BenchResult struct {
	Model        string  `json:"model"`
	Batch        int     `json:"batch"`
	Steps        int     `json:"steps"`
	Seconds      float64 `json:"seconds"`
	StepsPerS    float64 `json:"steps_per_s"`
	ExamplesPerS float64 `json:"examples_per_s"`
	GFLOPPerStep float64 `json:"gflop_per_step"` // BenchGFLOP: the model's nominal work.
	GFLOPS       float64 `json:"gflops"`         // GFLOPPerStep × steps/s.
	Backend      string  `json:"backend"`
	Devices      int     `json:"devices"`
	StepsPerCall int     `json:"steps_per_call"` // steps in each call of the program (Fit.StepsPerCall).
	// FirstCallSeconds is the first call's time: the program's compilation
	// (which grows with StepsPerCall) and its steps.
	FirstCallSeconds float64 `json:"first_call_seconds"`
	Build            string  `json:"build"`
	Plugin           string  `json:"plugin,omitempty"` // the XLA CPU plugin and the flags vaekit set for it.
	PeakMemoryMiB    float64 `json:"peak_memory_mib"`
}

// benchModel builds a benchmark model through the public constructors,
// with the benchmark's settings, and gives its batch size.
func benchModel(model string) (*Model, int, error) {
	switch model {
	case "vae-mlp":
		m, err := NewVAE(DefaultVAEConfig(), 784)
		if err != nil {
			return nil, 0, err
		}
		return m.Model, m.Config.BatchSize, nil
	case "deep-ae":
		m, err := NewAE(DefaultAEConfig(), 784)
		if err != nil {
			return nil, 0, err
		}
		return m.Model, m.Config.BatchSize, nil
	case "conv-ae":
		m, err := NewConvAE(DefaultConvAEConfig(), 28)
		if err != nil {
			return nil, 0, err
		}
		return m.Model, m.Config.BatchSize, nil
	case "dcgan":
		m, err := NewGAN(DefaultDCGANConfig())
		if err != nil {
			return nil, 0, err
		}
		return m.Model, m.Config.BatchSize, nil
	case BenchOverhead:
		m, err := NewModel(overheadSpec())
		if err != nil {
			return nil, 0, err
		}
		return m, m.spec.Config.BatchSize, nil
	}
	return nil, 0, fmt.Errorf("unknown benchmark model %q (want one of %v, or %s)", model, BenchModels, BenchOverhead)
}

// overheadSpec is the benchmark's trivial model: one output per example
// (784 → 1), squared, with Adam, on the benchmark's batch of 100. Its
// arithmetic is negligible, so its step time is what every step pays
// whatever its model: the batch's transfer, the executable's call, the
// optimizer's bookkeeping.
func overheadSpec() Spec {
	out := func(scope *model.Scope, x *graph.Node) *graph.Node {
		return layers.Dense(scope.In("overhead"), x, true, 1)
	}
	return Spec{Name: "overhead", ExampleSize: 784,
		Config:        &TrainConfig{Optimizer: "adam", LearningRate: 1e-3, Epochs: 1, BatchSize: 100},
		Networks:      func(scope *model.Scope, x []*graph.Node) []*graph.Node { return []*graph.Node{out(scope, x[0])} },
		NetworkInputs: []shapes.Shape{shapes.Make(dtypes.Float32, 1, 784)},
		Loss: func(scope *model.Scope, x, _ *graph.Node) (*graph.Node, []*graph.Node) {
			return graph.ReduceAllMean(graph.Square(out(scope, x))), nil
		},
	}
}

// Bench times training steps of a benchmark model on random data of the
// real shape (the cost of a step does not depend on the values, and the
// peer does the same): 5 warm-up steps (compilation), then at least steps
// steps and at least minTime.
func Bench(model string, steps int, minTime time.Duration) (*BenchResult, error) {
	m, batch, err := benchModel(model)
	if err != nil {
		return nil, err
	}
	trainer := m.Trainer
	perCall, err := StepsPerCall()
	if err != nil {
		return nil, err
	}
	backend, err := Backend()
	if err != nil {
		return nil, err
	}
	devices, err := Devices()
	if err != nil {
		return nil, err
	}
	if err := checkDevices(backend, devices, batch); err != nil {
		return nil, fmt.Errorf("bench %s: %w", model, err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, batch*784)
	for i := range x {
		x[i] = rng.Float32()
	}
	var step func() error
	if devices == 1 {
		// Fit's program: the data on the device (one batch of random values),
		// each call perCall steps on batches gathered there.
		exec, err := m.steps(perCall)
		if err != nil {
			return nil, err
		}
		defer exec.Finalize()
		data := tensors.FromFlatDataAndDimensions(x, batch, 784)
		defer data.MustFinalizeAll()
		rows := make([]int32, perCall*batch)
		for i := range rows {
			rows[i] = int32(i % batch)
		}
		step = func() error {
			index := tensors.FromFlatDataAndDimensions(rows, perCall, batch)
			defer index.MustFinalizeAll()
			out, err := exec.Call(data, index)
			for _, t := range out {
				t.MustFinalizeAll()
			}
			return err
		}
	} else {
		perCall = 1
	}
	if devices > 1 {
		// The same batch, split over the devices, through the path Fit takes.
		shards := &batches{data: &Data{Name: "random", X: x, Shape: []int{784}}, batchSize: batch, shards: devices}
		ds, err := distribute(backend, shards, devices)
		if err != nil {
			return nil, err
		}
		loop := train.NewLoop(trainer)
		step = func() error {
			_, err := loop.RunSteps(ds, 1)
			return err
		}
	}
	first, firstCall := time.Now(), 0.0
	for i := range 5 {
		if err := step(); err != nil {
			return nil, fmt.Errorf("bench %s: %w", model, err)
		}
		if i == 0 {
			firstCall = time.Since(first).Seconds()
		}
	}
	start := time.Now()
	n := 0
	for n < steps || time.Since(start) < minTime {
		if err := step(); err != nil {
			return nil, fmt.Errorf("bench %s: %w", model, err)
		}
		n += perCall
	}
	secs := time.Since(start).Seconds()
	gflop := BenchGFLOP(model)
	return &BenchResult{Model: model, Batch: batch, Steps: n, Seconds: secs, StepsPerS: float64(n) / secs,
		ExamplesPerS: float64(n*batch) / secs, GFLOPPerStep: gflop, GFLOPS: gflop * float64(n) / secs,
		Backend: BackendName(backend), Devices: devices, StepsPerCall: perCall, Build: BuildFlags(), Plugin: xlaPlugin, PeakMemoryMiB: peakMemoryMiB(), FirstCallSeconds: firstCall}, nil
}

// BenchGFLOP is the nominal work of one training step of a benchmark model,
// in GFLOP, counted the way the peer computes it: the multiply-adds of its
// matrix products and (transposed) convolutions, ×2 flops each, ×3 for the
// forward pass and the two products of the backward pass. A DCGAN step is
// one generator forward pass and its backward pass (3×G) and three
// discriminator passes with their backward passes (real, fake for D, fake
// for G: 9×D), as in the peer. Element-wise work is not counted: this is the
// work a matrix-product ceiling bounds.
func BenchGFLOP(model string) float64 {
	conv := func(outH, outW, cout, k, cin int) float64 { return float64(outH * outW * cout * k * k * cin) }
	var macs float64 // per example, forward
	batch, passes := 100.0, 3.0
	switch model {
	case "vae-mlp":
		macs = 784*256 + 256*2*2 + 2*256 + 256*784
	case "deep-ae":
		macs = 2 * (784*1000 + 1000*500 + 500*250 + 250*30)
	case "conv-ae":
		macs = conv(28, 28, 32, 3, 1) + conv(14, 14, 64, 3, 32) + // encoder
			conv(14, 14, 32, 3, 64) + conv(28, 28, 1, 3, 32) // decoder (a transposed conv costs its adjoint's)
	case "dcgan":
		g := 100*7*7*128 + conv(7, 7, 128, 4, 64) + conv(14, 14, 64, 4, 1) // dense, then the adjoints of D-like convs
		d := conv(14, 14, 64, 4, 1) + conv(7, 7, 128, 4, 64) + 7*7*128
		macs, batch, passes = 3*g+9*d, 64, 1
	default:
		return 0
	}
	return 2 * macs * passes * batch / 1e9
}

// BenchMatMul times float32 products of two n×n matrices on the backend, the
// ceiling that the benchmark models' matrix products can at best reach, and
// returns GFLOP/s (2n³ flops a product).
func BenchMatMul(n int, minTime time.Duration) (float64, error) {
	backend, err := Backend()
	if err != nil {
		return 0, err
	}
	exec, err := graph.NewExec(backend, func(a, b *graph.Node) *graph.Node { return graph.MatMul(a, b) })
	if err != nil {
		return 0, err
	}
	rng := rand.New(rand.NewPCG(3, 4))
	a := make([]float32, n*n)
	for i := range a {
		a[i] = rng.Float32()
	}
	ta, tb := tensors.FromFlatDataAndDimensions(a, n, n), tensors.FromFlatDataAndDimensions(a, n, n)
	product := func() error {
		out, err := exec.Exec(ta, tb)
		if err == nil {
			out[0].FinalizeAll()
		}
		return err
	}
	if err := product(); err != nil { // compiles
		return 0, err
	}
	start, count := time.Now(), 0
	for count < 3 || time.Since(start) < minTime {
		if err := product(); err != nil {
			return 0, err
		}
		count++
	}
	return 2 * float64(n) * float64(n) * float64(n) * float64(count) / time.Since(start).Seconds() / 1e9, nil
}

// peakMemoryMiB is the process's peak resident memory (Linux: KiB units).
func peakMemoryMiB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	if runtime.GOOS == "darwin" {
		return float64(ru.Maxrss) / (1 << 20)
	}
	return float64(ru.Maxrss) / 1024
}
