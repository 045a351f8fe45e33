package vaekit

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/train"
)

// benchSteps times training steps of a BENCHMARKS.md model (as `vaekit
// bench` builds it) on one fixed batch of real MNIST digits, after a
// warm-up step that compiles the graph. CI runs these briefly; compare runs
// with benchstat.
func benchSteps(b *testing.B, name string) {
	m, batch, err := benchModel(name)
	if err != nil {
		b.Fatal(err)
	}
	trainer := m.Trainer
	data := ImageData(mnistTest(b, batch))
	x, _ := data.Batch(0, batch)
	step := func() {
		if _, err := trainer.TrainStep(train.Batch{Inputs: []*tensors.Tensor{x}}); err != nil {
			b.Fatal(err)
		}
	}
	step()
	b.ResetTimer()
	for range b.N {
		step()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
}

func BenchmarkVAEStep(b *testing.B)    { benchSteps(b, "vae-mlp") }
func BenchmarkDeepAEStep(b *testing.B) { benchSteps(b, "deep-ae") }
func BenchmarkConvAEStep(b *testing.B) { benchSteps(b, "conv-ae") }
func BenchmarkDCGANStep(b *testing.B)  { benchSteps(b, "dcgan") }

func TestBenchLine(t *testing.T) {
	res, err := Bench("vae-mlp", 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps < 3 || res.Batch != 100 || res.StepsPerS <= 0 || math.Abs(res.ExamplesPerS-100*res.StepsPerS) > 1e-6*res.ExamplesPerS ||
		res.Backend == "" || res.Build == "" || res.PeakMemoryMiB <= 0 {
		t.Errorf("bench line: %+v", res)
	}
	if _, err := Bench("resnet", 1, 0); err == nil {
		t.Error("an unknown model was benchmarked")
	}
}
