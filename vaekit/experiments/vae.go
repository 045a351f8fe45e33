package experiments

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/internal/atomicfile"
	"github.com/vaekit/vaekit/vaekit"
)

// VAEExperiment is everything that determines the VAE figures: the model's
// hyperparameters, how much data it trains on, and the manifold's grid.
type VAEExperiment struct {
	vaekit.VAEConfig
	TrainSize int `json:"train_size"` // first N training images; 0 for all 60,000.
	GridSize  int `json:"grid_size"`  // the manifold is GridSize×GridSize digits.
}

// DefaultVAEExperiment is the article's setting (Keras blog: 784-256-2,
// batch 100, RMSprop, 50 epochs, all of MNIST); quick trains 5 epochs on the
// first 10,000 digits.
func DefaultVAEExperiment(quick bool, seed int64) VAEExperiment {
	exp := VAEExperiment{VAEConfig: vaekit.DefaultVAEConfig(), GridSize: 15}
	exp.Seed = seed
	if quick {
		exp.Epochs, exp.TrainSize = 5, 10000
	}
	return exp
}

// TrainedVAE is a VAE trained on MNIST with what its figures need.
type TrainedVAE struct {
	Experiment VAEExperiment
	VAE        *vaekit.VAE
	History    *vaekit.History
	Train      *datasets.ImageSet
	Test       *datasets.ImageSet
	TestELBO   vaekit.ELBO
	Dir        string // checkpoint directory.
	Network    string // the fingerprint of its networks.

	opts Options
	nll  *vaekit.NLL // see TestNLL.
}

// TrainVAE trains (or loads, if this experiment was trained before) a VAE on
// MNIST, evaluating the test ELBO after each epoch.
func TrainVAE(ctx context.Context, exp VAEExperiment, opts Options) (*TrainedVAE, error) {
	if exp.GridSize <= 0 {
		return nil, fmt.Errorf("VAEExperiment.GridSize must be positive, got %d", exp.GridSize)
	}
	trainSet, test, err := LoadImages(ctx, opts, exp.TrainSize, 0)
	if err != nil {
		return nil, err
	}
	vae, err := vaekit.NewVAE(exp.VAEConfig, trainSet.Rows*trainSet.Cols)
	if err != nil {
		return nil, err
	}
	dir, err := ModelDir(opts, "vae", exp.VAEConfig, vae, trainSet)
	if err != nil {
		return nil, err
	}
	testData := vaekit.ImageData(test)
	trainOpts := opts.TrainOptions(dir)
	trainOpts.OnEpoch = func(epoch int, m map[string]float64) error {
		e, err := vae.Evaluate(testData)
		m["test_recon"], m["test_kl"], m["test_elbo"] = e.Recon, e.KL, e.ELBO
		if err == nil && opts.OnEpoch != nil {
			opts.OnEpoch(epoch, m, func() ([][]float32, error) { return vae.Sample(16, 7) })
		}
		return err
	}
	hist, err := vae.Train(ctx, vaekit.ImageData(trainSet), trainOpts)
	if err != nil {
		return nil, err
	}
	t := &TrainedVAE{Experiment: exp, VAE: vae, History: hist, Train: trainSet, Test: test, Dir: dir, opts: opts}
	if t.Network, err = vae.Fingerprint(); err != nil {
		return nil, err
	}
	if t.TestELBO, err = vae.Evaluate(testData); err != nil {
		return nil, err
	}
	return t, nil
}

// NLLSamples is k, the importance samples per test image of a VAE's
// nll_iw: 5,000 as Burda et al. (2016) use, 50 in a quick run.
func NLLSamples(quick bool) int {
	if quick {
		return 50
	}
	return 5000
}

// TestNLL is the VAE's importance-weighted NLL on the test set, with
// NLLSamples per image: computed on first use (minutes for the article's
// VAE at k = 5,000; a VAE with a convolutional decoder takes far longer), then
// kept in the model's directory beside the checkpoint it was computed for.
func (t *TrainedVAE) TestNLL() (vaekit.NLL, error) {
	if t.nll != nil {
		return *t.nll, nil
	}
	type record struct {
		vaekit.NLL
		Step int `json:"step"` // the checkpoint's global step.
	}
	k, n := NLLSamples(t.opts.Quick), t.Test.Count
	step := len(t.History.Epochs) * t.History.StepsPerEpoch
	path := filepath.Join(t.Dir, "nll_iw.json")
	var saved record
	if raw, err := os.ReadFile(path); err == nil && json.Unmarshal(raw, &saved) == nil &&
		saved.Samples == k && saved.Images == n && saved.Step == step && saved.Seed == 1 {
		t.nll = &saved.NLL
		return saved.NLL, nil
	}
	if t.opts.Progress {
		fmt.Fprintf(vaekit.Messages(), "nll_iw: importance-weighted NLL of the %d test images, k = %d\n", n, k)
	}
	nll, err := t.VAE.ImportanceNLL(vaekit.ImageData(t.Test), k, 1, t.opts.Progress)
	if err != nil {
		return nll, err
	}
	raw, _ := json.Marshal(record{nll, step})
	if err := atomicfile.WriteFile(path, append(raw, '\n')); err != nil {
		return nll, err
	}
	t.nll = &nll
	return nll, nil
}

// LatentPlane is the plane of the latent space that the 2-D figures draw:
// the latent space itself when it has two dimensions; for a larger one, the
// plane through 0 of the two principal directions (PCA) of the test set's
// codes, so that a reader who changes the latent size still gets both
// pictures.
type LatentPlane struct {
	Axes   [2][]float32 // unit directions in the latent space
	Labels [2]string
	Codes  [][]float32 // z_mean of the test set
}

// Plane is the latent plane of t's test codes (see LatentPlane); figure
// names what asks for it in the error a 1-D latent space gives.
func (t *TrainedVAE) Plane(figure string) (*LatentPlane, error) {
	d := t.Experiment.Latent
	if d < 2 {
		return nil, fmt.Errorf("%s draws a plane of the latent space, but this VAE has a %d-D latent space: "+
			"set Latent ≥ 2 (vae-training-curves and the ELBO work for any size)", figure, d)
	}
	codes, err := t.VAE.Encode(vaekit.ImageData(t.Test))
	if err != nil {
		return nil, err
	}
	pl := &LatentPlane{Codes: codes, Labels: [2]string{"z[0]", "z[1]"}}
	if d == 2 {
		pl.Axes = [2][]float32{{1, 0}, {0, 1}}
		return pl, nil
	}
	flat := make([]float32, 0, len(codes)*d)
	for _, c := range codes {
		flat = append(flat, c...)
	}
	pca, err := vaekit.FitPCA(&vaekit.Data{Name: "z_mean", X: flat, Shape: []int{d}}, 2)
	if err != nil {
		return nil, err
	}
	total := 0.0
	for _, c := range codes {
		for j, v := range c {
			dv := float64(v) - pca.Mean[j]
			total += dv * dv
		}
	}
	total /= float64(len(codes) - 1)
	for k := range 2 {
		pl.Axes[k] = make([]float32, d)
		for j := range d {
			pl.Axes[k][j] = float32(pca.Components.At(k, j))
		}
		pl.Labels[k] = fmt.Sprintf("principal direction %d of z (%.0f%% of the variance)", k+1, 100*pca.Variances[k]/total)
	}
	return pl, nil
}

// Project gives the coordinates of a code on the plane.
func (pl *LatentPlane) Project(z []float32) (x, y float64) {
	for j, v := range z {
		x += float64(v * pl.Axes[0][j])
		y += float64(v * pl.Axes[1][j])
	}
	return x, y
}

// Point is the latent code at coordinates (x, y) of the plane.
func (pl *LatentPlane) Point(x, y float64) []float32 {
	z := make([]float32, len(pl.Axes[0]))
	for j := range z {
		z[j] = float32(x)*pl.Axes[0][j] + float32(y)*pl.Axes[1][j]
	}
	return z
}

// DCGANVAEExperiment is a VAE on the DCGAN's footing: a latent of the
// DCGAN's noise size, the DCGAN's generator as its decoder (its output as
// Bernoulli logits) and its discriminator's body as its encoder, on the same
// data and batch size, with Adam 1e-3 for twice the DCGAN's epochs (a VAE
// step is about half a GAN step's work: comparable training time, which the
// figure's JSON reports).
func DCGANVAEExperiment(gexp GANExperiment) VAEExperiment {
	exp := VAEExperiment{VAEConfig: vaekit.DefaultVAEConfig(), TrainSize: gexp.TrainSize, GridSize: 15}
	exp.Latent, exp.Hidden = gexp.Noise, nil
	exp.TrainConfig = vaekit.TrainConfig{Optimizer: "adam", LearningRate: 1e-3, Epochs: 2 * gexp.Epochs, BatchSize: gexp.BatchSize,
		Seed: gexp.Seed}
	latent := gexp.Noise
	exp.Encoder = func(scope *model.Scope, x *Node) (mean, logVar *Node) {
		b := x.Shape().Dimensions[0]
		h := vaekit.DCGANFeatures(scope, AddScalar(MulScalar(Reshape(x, b, 28, 28, 1), 2), -1)) // to [−1, 1], as the DCGAN's D sees images
		return layers.Dense(scope.In("z_mean"), h, true, latent), layers.Dense(scope.In("z_log_var"), h, true, latent)
	}
	exp.Decoder = func(scope *model.Scope, z *Node) *Node {
		return Reshape(vaekit.DCGANGenerator(scope, z), z.Shape().Dimensions[0], 28*28)
	}
	return exp
}
