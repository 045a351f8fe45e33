package vaekit

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/vaekit/vaekit/datasets"
	"gonum.org/v1/gonum/mat"
)

func randomFeatures(n, d int, seed uint64, scale func(j int) float64, shift float64) [][]float32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	rows := make([][]float32, n)
	for i := range rows {
		rows[i] = make([]float32, d)
		common := rng.NormFloat64() // correlates the coordinates.
		for j := range d {
			rows[i][j] = float32(scale(j)*(rng.NormFloat64()+0.5*common) + shift)
		}
	}
	return rows
}

func TestFrechetDistance(t *testing.T) {
	one := func(int) float64 { return 1 }
	a, _ := FitGaussian(randomFeatures(2000, 8, 1, one, 0))
	if d, err := FrechetDistance(a, a); err != nil || math.Abs(d) > 1e-6 {
		t.Errorf("distance of a set to itself: %g (%v), want 0", d, err)
	}
	// The same set shifted by 0.5 in each of 8 coordinates: exactly 8·0.25.
	shifted, _ := FitGaussian(randomFeatures(2000, 8, 1, one, 0.5))
	if d, _ := FrechetDistance(a, shifted); math.Abs(d-2) > 1e-6 {
		t.Errorf("shift by 0.5 in 8 dimensions: distance %g, want 2", d)
	}
	// Independent Gaussians with diagonal covariances: Σ (σ₁ − σ₂)² + ‖μ₁ − μ₂‖².
	diagA := &Gaussian{Mean: []float64{0, 1, 2}, Cov: diagSym(1, 4, 9)}
	diagB := &Gaussian{Mean: []float64{1, 1, 0}, Cov: diagSym(4, 4, 1)}
	want := 1.0 + 4 + (1.0 + 0 + 4)
	if d, _ := FrechetDistance(diagA, diagB); math.Abs(d-want) > 1e-9 {
		t.Errorf("diagonal Gaussians: distance %g, want %g", d, want)
	}
}

func TestClassifierOnRealDigits(t *testing.T) {
	testBackend(t)
	mnistTest(t, 1) // sets VAEKIT_DATA when unset.
	trainSet, err := datasets.LoadMNIST(datasets.Train)
	if err != nil {
		t.Fatal(err)
	}
	mlp, err := NewClassifier(ClassifierConfig{Layers: []int{512, 128}, Classes: 10, Optimizer: "adam", LearningRate: 1e-3, BatchSize: 100, Epochs: 6}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mlp.Train(context.Background(), ImageData(trainSet.Subset(5000)), TrainOptions{}); err != nil { // 300 steps
		t.Fatal(err)
	}
	test := ImageData(mnistTest(t, 2000))
	acc, err := mlp.Accuracy(test)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("classifier on 5,000 digits, 300 steps: test accuracy %.3f", acc)
	if acc < 0.9 {
		t.Errorf("accuracy %.3f on real digits, want > 0.9", acc)
	}
	features, err := mlp.Features(test)
	if err != nil || len(features) != 2000 || len(features[0]) != 128 {
		t.Fatalf("features: %v", err)
	}
	// mnist_fid of real test digits against other real test digits is small,
	// against noise it is large.
	half1, _ := FitGaussian(features[:1000])
	half2, _ := FitGaussian(features[1000:])
	noise := &Data{Name: "noise", X: make([]float32, 1000*784), Shape: []int{784}}
	rng := rand.New(rand.NewPCG(3, 3))
	for i := range noise.X {
		noise.X[i] = rng.Float32()
	}
	nf, _ := mlp.Features(noise)
	noiseG, _ := FitGaussian(nf)
	same, _ := FrechetDistance(half1, half2)
	far, _ := FrechetDistance(half1, noiseG)
	t.Logf("Fréchet distance: real vs real %.2f, real vs uniform noise %.2f", same, far)
	if !(far > 10*same) {
		t.Errorf("real vs real %.2f should be far below real vs noise %.2f", same, far)
	}
}

func diagSym(values ...float64) *mat.SymDense {
	m := mat.NewSymDense(len(values), nil)
	for i, v := range values {
		m.SetSym(i, i, v)
	}
	return m
}
