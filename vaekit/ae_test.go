package vaekit

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"

	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"gonum.org/v1/gonum/mat"
)

func TestPCAOnALineAndAPlane(t *testing.T) {
	// Points on the line c + s·u in 3-D: one component, u, recovers them exactly.
	u := []float64{1.0 / 3, 2.0 / 3, 2.0 / 3}
	c := []float64{0.5, -1, 2}
	line := &Data{Name: "line", Shape: []int{3}}
	for i := range 20 {
		s := float64(i) - 7.5
		for j := range 3 {
			line.X = append(line.X, float32(c[j]+s*u[j]))
		}
	}
	p, err := FitPCA(line, 1)
	if err != nil {
		t.Fatal(err)
	}
	dot := 0.0
	for j := range 3 {
		dot += p.Components.At(0, j) * u[j]
	}
	if math.Abs(math.Abs(dot)-1) > 1e-6 {
		t.Errorf("first component %v is not ±%v", mat.Row(nil, 0, p.Components), u)
	}
	if mse, _ := MSEPerImage(line, p.Reconstruct(line)); mse > 1e-9 {
		t.Errorf("a line is not reconstructed exactly by 1 component: error %g", mse)
	}
	// A plane in 5-D: two components suffice, one does not.
	plane := &Data{Name: "plane", Shape: []int{5}}
	for i := range 30 {
		a, b := math.Sin(float64(i)), math.Cos(float64(3*i))
		plane.X = append(plane.X, float32(a), float32(b), float32(a+b), float32(2*a-b), 1)
	}
	for k, wantExact := range map[int]bool{1: false, 2: true} {
		p, err := FitPCA(plane, k)
		if err != nil {
			t.Fatal(err)
		}
		mse, _ := MSEPerImage(plane, p.Reconstruct(plane))
		if exact := mse < 1e-9; exact != wantExact {
			t.Errorf("plane with %d components: reconstruction error %g", k, mse)
		}
	}
	if _, err := FitPCA(plane, 6); err == nil || !strings.Contains(err.Error(), "k = 6") {
		t.Errorf("k larger than the dimension: %v", err)
	}
	// The leading components of a fit are the fit of fewer, to the last bit.
	for _, fit := range []func(*Data, int) (*PCA, error){FitPCA, FitLSA} {
		p4, err := fit(plane, 4)
		if err != nil {
			t.Fatal(err)
		}
		lead, err := p4.Leading(2)
		if err != nil {
			t.Fatal(err)
		}
		p2, err := fit(plane, 2)
		if err != nil {
			t.Fatal(err)
		}
		if !mat.Equal(lead.Components, p2.Components) || !slices.Equal(lead.Variances, p2.Variances) || !slices.Equal(lead.Mean, p2.Mean) {
			t.Errorf("the 2 leading components of 4 differ from a fit of 2: %v against %v", lead.Variances, p2.Variances)
		}
		if _, err := p4.Leading(5); err == nil || !strings.Contains(err.Error(), "k = 5") {
			t.Errorf("Leading(5) of 4 components: %v", err)
		}
	}
}

func TestPCAFullRankIsExact(t *testing.T) {
	data := ImageData(mnistTest(t, 40)) // 40 centred images span at most 39 directions.
	p, err := FitPCA(data, 39)
	if err != nil {
		t.Fatal(err)
	}
	mse, _ := MSEPerImage(data, p.Reconstruct(data))
	t.Logf("PCA with k = rank on 40 MNIST digits: mse_per_image %.3g", mse)
	if mse > 1e-6 {
		t.Errorf("k = rank should reconstruct exactly, error %g", mse)
	}
	for i := 1; i < len(p.Variances); i++ {
		if p.Variances[i] > p.Variances[i-1]+1e-12 {
			t.Fatalf("variances are not sorted: %v", p.Variances[:i+1])
		}
	}
}

func TestTiedWeightsShareOneVariable(t *testing.T) {
	data := ImageData(mnistTest(t, 200))
	count := func(tied bool) (decoderWeights, total int) {
		cfg := DefaultAEConfig()
		cfg.Layers, cfg.Tied, cfg.Epochs, cfg.BatchSize = []int{64, 8}, tied, 1, 50
		ae, err := NewAE(cfg, 784)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ae.Train(context.Background(), data, TrainOptions{}); err != nil {
			t.Fatal(err)
		}
		for v := range ae.Store.IterVariables() {
			if !v.Trainable {
				continue
			}
			if strings.HasPrefix(v.Path(), "/decoder/") && strings.HasSuffix(v.Path(), "/weights") {
				decoderWeights++
			}
			total += v.Shape().Size()
		}
		return
	}
	tiedW, tiedTotal := count(true)
	untiedW, untiedTotal := count(false)
	if tiedW != 0 || untiedW != 2 {
		t.Errorf("decoder weight variables: tied %d (want 0), untied %d (want 2)", tiedW, untiedW)
	}
	// Untied has a second copy of 784·64 + 64·8 weights.
	if untiedTotal-tiedTotal != 784*64+64*8 {
		t.Errorf("parameters: tied %d, untied %d, want a difference of %d", tiedTotal, untiedTotal, 784*64+64*8)
	}
}

func TestNoiseLevels(t *testing.T) {
	zeros := &Data{Name: "zeros", X: make([]float32, 500*784), Shape: []int{784}}
	ones := &Data{Name: "ones", X: make([]float32, 500*784), Shape: []int{784}}
	for i := range ones.X {
		ones.X[i] = 1
	}
	for _, tc := range []struct {
		noise string
		level float64
		data  *Data
	}{{NoiseGaussian, 0.3, zeros}, {NoiseGaussian, 0.7, zeros}, {NoiseMasking, 0.25, ones}, {NoiseMasking, 0.6, ones}} {
		cfg := DefaultAEConfig()
		cfg.Layers, cfg.Noise, cfg.NoiseLevel = []int{4}, tc.noise, tc.level
		ae, err := NewAE(cfg, 784)
		if err != nil {
			t.Fatal(err)
		}
		noisy, err := ae.Corrupt(tc.data)
		if err != nil {
			t.Fatal(err)
		}
		var sum, sum2, zeroed float64
		for _, v := range noisy.X {
			sum += float64(v)
			sum2 += float64(v) * float64(v)
			if v == 0 {
				zeroed++
			}
		}
		n := float64(len(noisy.X))
		switch tc.noise {
		case NoiseGaussian:
			std := math.Sqrt(sum2/n - (sum/n)*(sum/n))
			if math.Abs(std-tc.level) > 0.01 || math.Abs(sum/n) > 0.01 {
				t.Errorf("gaussian %.2f: noise has mean %.4f and std %.4f", tc.level, sum/n, std)
			}
		case NoiseMasking:
			if frac := zeroed / n; math.Abs(frac-tc.level) > 0.01 {
				t.Errorf("masking %.2f: %.4f of the pixels were zeroed", tc.level, frac)
			}
		}
	}
	if _, err := NewAE(AEConfig{Layers: []int{2}, Loss: LossBCE, Noise: NoiseMasking, NoiseLevel: 1.5, Optimizer: "adam",
		LearningRate: 1, BatchSize: 1}, 4); err == nil || !strings.Contains(err.Error(), "NoiseLevel") {
		t.Errorf("masking level 1.5: %v", err)
	}
}

func TestKNNAccuracyHandCase(t *testing.T) {
	ref := [][]float32{{0, 0}, {0, 1}, {5, 5}, {5, 6}, {6, 5}}
	refLabels := []int32{0, 0, 1, 1, 1}
	query := [][]float32{{0, 0.4}, {5.5, 5.5}, {4, 4}, {0.1, 0}}
	// 1-NN: 0, 1, 1, 0. Labels given: 0, 1, 0, 0 → 3/4.
	acc, err := KNNAccuracy(ref, refLabels, query, []int32{0, 1, 0, 0}, 1)
	if err != nil || acc != 0.75 {
		t.Errorf("1-NN accuracy %v (%v), want 0.75", acc, err)
	}
	// 3-NN of (0, 0.4): (0,0), (0,1) and (5,5) → 0 wins 2 to 1.
	acc, _ = KNNAccuracy(ref, refLabels, query[:1], []int32{0}, 3)
	if acc != 1 {
		t.Errorf("3-NN accuracy %v, want 1", acc)
	}
}

func TestAETrainsAndDenoises(t *testing.T) {
	testBackend(t)
	data := ImageData(mnistTest(t, 2000))
	cfg := DefaultAEConfig()
	cfg.Layers, cfg.Epochs, cfg.Noise, cfg.NoiseLevel = []int{256, 32}, 3, NoiseGaussian, 0.5
	ae, err := NewAE(cfg, 784)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := ae.Reconstruct(data)
	mseBefore, _ := MSEPerImage(data, before)
	hist, err := ae.Train(context.Background(), data, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	noisy, _ := ae.Corrupt(data)
	denoised, _ := ae.Reconstruct(noisy)
	mseNoisy, _ := MSEPerImage(data, noisy.Rows())
	mseDenoised, _ := MSEPerImage(data, denoised)
	t.Logf("denoising AE, 3 epochs on 2000 digits: mse %.1f untrained; noisy input %.1f → denoised %.1f; recon loss %v",
		mseBefore, mseNoisy, mseDenoised, hist.Last()["recon"])
	if !(mseDenoised < mseNoisy && mseDenoised < mseBefore/2) {
		t.Errorf("the denoising AE did not denoise: noisy %.1f, denoised %.1f", mseNoisy, mseDenoised)
	}
}

// TestPCAFewExamplesMatchesCovariance: with fewer examples than dimensions
// FitPCA decomposes the Gram matrix; its components and variances must be
// the covariance matrix's.
func TestPCAFewExamplesMatchesCovariance(t *testing.T) {
	data := ImageData(mnistTest(t, 60)) // 60 examples of 784 pixels.
	p, err := FitPCA(data, 5)
	if err != nil {
		t.Fatal(err)
	}
	n, d := data.Len(), 784
	x := mat.NewDense(n, d, nil)
	for i := range n {
		for j := range d {
			x.Set(i, j, float64(data.X[i*d+j])-p.Mean[j])
		}
	}
	cov := mat.NewSymDense(d, nil)
	cov.SymOuterK(1/float64(n-1), x.T())
	var eig mat.EigenSym
	if !eig.Factorize(cov, true) {
		t.Fatal("covariance eigendecomposition failed")
	}
	values := eig.Values(nil)
	var vectors mat.Dense
	eig.VectorsTo(&vectors)
	for r := range 5 {
		col := d - 1 - r // gonum sorts eigenvalues in ascending order.
		if math.Abs(values[col]-p.Variances[r]) > 1e-6*values[col] {
			t.Errorf("component %d: variance %g, covariance says %g", r, p.Variances[r], values[col])
		}
		dot := 0.0
		for j := range d {
			dot += vectors.At(j, col) * p.Components.At(r, j)
		}
		if math.Abs(math.Abs(dot)-1) > 1e-6 {
			t.Errorf("component %d: |cos| with the covariance eigenvector = %g, want 1", r, math.Abs(dot))
		}
	}
}

// TestAENetworksWrittenOut: notebook 02's networks, written out as there,
// are the library's dense ones (same fingerprint: models are shared).
func TestAENetworksWrittenOut(t *testing.T) {
	testBackend(t)
	encoder := func(sizes []int) Network {
		return func(scope *model.Scope, x *Node) *Node {
			h := x
			for i, size := range sizes {
				h = layers.Dense(scope.In("layer_%d", i), h, true, size)
				if i < len(sizes)-1 {
					h = activation.Relu(h)
				}
			}
			return h
		}
	}
	decoder := func(sizes []int) Network {
		return func(scope *model.Scope, z *Node) *Node {
			outs := append([]int{784}, sizes...)
			h := z
			for i := len(sizes) - 1; i >= 0; i-- {
				h = layers.Dense(scope.In("layer_%d", i), h, true, outs[i])
				if i > 0 {
					h = activation.Relu(h)
				}
			}
			return h
		}
	}
	fingerprint := func(written bool) string {
		cfg := DefaultAEConfig()
		if written {
			cfg.Encoder, cfg.Decoder = encoder(cfg.Layers), decoder(cfg.Layers)
		}
		a, err := NewAE(cfg, 784)
		if err != nil {
			t.Fatal(err)
		}
		return mustFingerprint(t, a.Model)
	}
	if def, same := fingerprint(false), fingerprint(true); def != same {
		t.Errorf("the written-out networks have fingerprint %s, the library's %s", same, def)
	}
}
