package vaekit

import (
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/train"
)

// benchStep times training steps of a GoMLX trainer on one fixed batch of
// real MNIST digits (after a warm-up step that compiles the graph).
func benchStep(b *testing.B, trainer *train.Trainer, batch int) {
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

func BenchmarkVAEStep(b *testing.B) {
	vae, err := NewVAE(DefaultVAEConfig(), 784)
	if err != nil {
		b.Fatal(err)
	}
	benchStep(b, vae.Trainer, 100)
}

func BenchmarkConvAEStep(b *testing.B) {
	ae, err := NewConvAE(DefaultConvAEConfig(), 28)
	if err != nil {
		b.Fatal(err)
	}
	benchStep(b, ae.Trainer, 100)
}

func BenchmarkDCGANStep(b *testing.B) {
	g, err := NewGAN(DefaultDCGANConfig())
	if err != nil {
		b.Fatal(err)
	}
	benchStep(b, g.Trainer, 64)
}

func BenchmarkDeepAEStep(b *testing.B) {
	ae, err := NewAE(DefaultAEConfig(), 784)
	if err != nil {
		b.Fatal(err)
	}
	benchStep(b, ae.Trainer, 100)
}
