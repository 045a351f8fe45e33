package vaekit

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"syscall"
	"time"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/train"
)

// BenchModels are the four models of shared/BENCHMARKS.md, as the PyTorch
// peer (peers/torch_steps.py) names them.
var BenchModels = []string{"vae-mlp", "deep-ae", "conv-ae", "dcgan"}

// BenchResult is one line of `vaekit bench`: the peer's fields, plus the
// backend, the build and the process's peak memory.
type BenchResult struct {
	Model         string  `json:"model"`
	Batch         int     `json:"batch"`
	Steps         int     `json:"steps"`
	Seconds       float64 `json:"seconds"`
	StepsPerS     float64 `json:"steps_per_s"`
	ExamplesPerS  float64 `json:"examples_per_s"`
	Backend       string  `json:"backend"`
	Build         string  `json:"build"`
	PeakMemoryMiB float64 `json:"peak_memory_mib"`
}

// benchTrainer builds a benchmark model through the public constructors,
// with the settings of BENCHMARKS.md.
func benchTrainer(model string) (*train.Trainer, int, error) {
	switch model {
	case "vae-mlp":
		m, err := NewVAE(DefaultVAEConfig(), 784)
		if err != nil {
			return nil, 0, err
		}
		return m.Trainer, m.Config.BatchSize, nil
	case "deep-ae":
		m, err := NewAE(DefaultAEConfig(), 784)
		if err != nil {
			return nil, 0, err
		}
		return m.Trainer, m.Config.BatchSize, nil
	case "conv-ae":
		m, err := NewConvAE(DefaultConvAEConfig(), 28)
		if err != nil {
			return nil, 0, err
		}
		return m.Trainer, m.Config.BatchSize, nil
	case "dcgan":
		m, err := NewGAN(DefaultDCGANConfig())
		if err != nil {
			return nil, 0, err
		}
		return m.Trainer, m.Config.BatchSize, nil
	}
	return nil, 0, fmt.Errorf("unknown benchmark model %q (want one of %v)", model, BenchModels)
}

// Bench times training steps of a benchmark model on random data of the
// real shape (the cost of a step does not depend on the values, and the
// peer does the same): 5 warm-up steps (compilation), then at least steps
// steps and at least minTime.
func Bench(model string, steps int, minTime time.Duration) (*BenchResult, error) {
	trainer, batch, err := benchTrainer(model)
	if err != nil {
		return nil, err
	}
	backend, err := Backend()
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, batch*784)
	for i := range x {
		x[i] = rng.Float32()
	}
	step := func() error {
		_, err := trainer.TrainStep(train.Batch{Inputs: []*tensors.Tensor{tensors.FromFlatDataAndDimensions(x, batch, 784)}})
		return err
	}
	for range 5 {
		if err := step(); err != nil {
			return nil, fmt.Errorf("bench %s: %w", model, err)
		}
	}
	start := time.Now()
	n := 0
	for n < steps || time.Since(start) < minTime {
		if err := step(); err != nil {
			return nil, fmt.Errorf("bench %s: %w", model, err)
		}
		n++
	}
	secs := time.Since(start).Seconds()
	return &BenchResult{Model: model, Batch: batch, Steps: n, Seconds: secs, StepsPerS: float64(n) / secs,
		ExamplesPerS: float64(n*batch) / secs, Backend: BackendName(backend), Build: BuildFlags(),
		PeakMemoryMiB: peakMemoryMiB()}, nil
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
