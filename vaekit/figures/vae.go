package figures

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/chart"
	"github.com/vaekit/vaekit/vaekit/experiments"
)

const articleVAE = "000_53502645aca5e0ea.txt"

func init() {
	register(Spec{Name: "vae-latent-scatter", Article: articleVAE,
		Summary: "2-D latent means of the MNIST test set, coloured by digit",
		Make: func(ctx context.Context, opts experiments.Options) (*Result, error) {
			t, err := experiments.TrainVAE(ctx, experiments.DefaultVAEExperiment(opts.Quick, opts.Seed), opts)
			if err != nil {
				return nil, err
			}
			return VAELatentScatter(t)
		}})
	register(Spec{Name: "vae-manifold", Article: articleVAE,
		Summary: "digits decoded from a regular grid over the test codes' 2-D latent plane (1st–99th percentiles)",
		Make: func(ctx context.Context, opts experiments.Options) (*Result, error) {
			exp := experiments.DefaultVAEExperiment(opts.Quick, opts.Seed)
			t, err := experiments.TrainVAE(ctx, exp, opts)
			if err != nil {
				return nil, err
			}
			return VAEManifold(t, exp.GridSize)
		}})
	register(Spec{Name: "vae-training-curves", Article: articleVAE,
		Summary: "reconstruction and KL terms per epoch, train and test",
		Make: func(ctx context.Context, opts experiments.Options) (*Result, error) {
			t, err := experiments.TrainVAE(ctx, experiments.DefaultVAEExperiment(opts.Quick, opts.Seed), opts)
			if err != nil {
				return nil, err
			}
			return VAETrainingCurves(t)
		}})
}

// vaeSummary is what every VAE figure's JSON says of its VAE.
type vaeSummary struct {
	experiments.About
	TestELBO vaekit.ELBO
	TestNLL  vaekit.NLL
	Input    string // how the images were taken as targets.
	// ReconFloor is the grey targets' own entropy per test image, which no
	// decoder's reconstruction term goes below (0 for binarised targets).
	ReconFloor float64
}

// summarize is what the VAE figures say of t beside their plots.
func summarize(t *experiments.TrainedVAE) (vaeSummary, error) {
	nll, err := t.TestNLL()
	if err != nil {
		return vaeSummary{}, err
	}
	input, floor := "grey levels in [0,1] as Bernoulli targets (Keras blog)", greyEntropy(t.Test)
	if t.Experiment.Input == vaekit.InputBinarized {
		input, floor = "dynamically binarised (pixel ~ Bernoulli(grey level))", 0
	}
	return vaeSummary{TestELBO: t.TestELBO, TestNLL: nll, Input: input, ReconFloor: floor, About: experiments.About{
		Hyperparameters: t.Experiment,
		Dataset: map[string]any{"name": experiments.DataName(t.Train), "train": t.Train.Name, "train_size": t.Train.Count,
			"test": t.Test.Name, "test_size": t.Test.Count},
		History: t.History,
		Network: t.Network,
	}}, nil
}

// greyEntropy is the mean over set's images of Σ −x log x − (1−x) log(1−x)
// over pixels x in [0, 1]: the cross-entropy of grey targets with
// themselves, the least a Bernoulli decoder's reconstruction term can be.
func greyEntropy(set *datasets.ImageSet) float64 {
	var h [256]float64
	for v := 1; v < 255; v++ {
		x := float64(v) / 255
		h[v] = -x*math.Log(x) - (1-x)*math.Log1p(-x)
	}
	total := 0.0
	for _, v := range set.Pixels {
		total += h[v]
	}
	return total / float64(set.Count)
}

func (s vaeSummary) result(fig *chart.Figure) *Result {
	r := &Result{Figure: fig, About: s.About, Metrics: map[string]any{
		"test_elbo_nats":   s.TestELBO.ELBO,
		"test_recon_nats":  s.TestELBO.Recon,
		"test_kl_nats":     s.TestELBO.KL,
		"input":            s.Input,
		"elbo_note":        "per test image, one sample of z; test_elbo_nats = -(test_recon_nats + test_kl_nats)",
		"test_nll_iw_nats": s.TestNLL.NLL,
		"nll_iw_samples":   s.TestNLL.Samples,
		"nll_iw_note": "importance-weighted estimate of -log p(x) per test image (Burda et al. 2016, k samples of q(z|x) each; same targets as the ELBO): " +
			"at most -test_elbo_nats in expectation, falling towards -log p(x) as k grows; the gap to -ELBO is what the bound leaves out",
	}}
	if s.ReconFloor > 0 {
		r.Metrics["reference"] = map[string]any{"source": "the grey targets' own entropy per test image (Σ −x log x − (1−x) log(1−x)): " +
			"the floor of test_recon_nats, which no decoder removes; published likelihoods are on binarised digits, whose floor is 0",
			"test_recon_nats": s.ReconFloor}
	}
	return r
}

// LatentScatter is what vae-latent-scatter measures: the test images'
// codes (the means of q(z|x)) on the latent plane, with their classes.
type LatentScatter struct {
	vaeSummary
	X, Y           []float64
	Labels         []int
	ClassNames     []string
	XLabel, YLabel string
	Latent         int // dimensions of the latent space (more than 2: X, Y are on its principal plane).
	DataName       string
}

// VAELatentScatter draws the means of q(z|x) of the whole test set (on the
// principal plane when the latent space has more than two dimensions).
func VAELatentScatter(t *experiments.TrainedVAE) (*Result, error) {
	return drawn(MeasureVAELatentScatter(t))
}

// MeasureVAELatentScatter encodes the test set.
func MeasureVAELatentScatter(t *experiments.TrainedVAE) (*LatentScatter, error) {
	pl, err := t.Plane("vae-latent-scatter")
	if err != nil {
		return nil, err
	}
	if err := experiments.RequireLabels("vae-latent-scatter", t.Test); err != nil {
		return nil, err
	}
	sum, err := summarize(t)
	if err != nil {
		return nil, err
	}
	s := &LatentScatter{vaeSummary: sum, XLabel: pl.Labels[0], YLabel: pl.Labels[1], ClassNames: t.Test.ClassNames,
		Latent: t.Experiment.Latent, DataName: experiments.DataName(t.Test)}
	for i, m := range pl.Codes {
		x, y := pl.Project(m)
		s.X, s.Y = append(s.X, x), append(s.Y, y)
		s.Labels = append(s.Labels, int(t.Test.Labels[i]))
	}
	return s, nil
}

// Draw is vae-latent-scatter.
func (s *LatentScatter) Draw() (*Result, error) {
	sc := &chart.Scatter{Title: fmt.Sprintf("z_mean of %d %s test images", len(s.X), s.DataName),
		XLabel: s.XLabel, YLabel: s.YLabel, ClassNames: s.ClassNames, X: s.X, Y: s.Y, Classes: s.Labels}
	if s.Latent > 2 {
		sc.Title = fmt.Sprintf("z_mean of %d %s test images (%d-D), on its principal plane", len(s.X), s.DataName, s.Latent)
	}
	p, err := sc.Plot()
	if err != nil {
		return nil, err
	}
	return s.result(chart.New(fmt.Sprintf("VAE latent space (test ELBO %.1f nats)", s.TestELBO.ELBO), p).Size(7, 6.4)), nil
}

// Manifold is what vae-manifold measures: the digits decoded from an n×n
// grid of the latent plane, evenly spaced over the codes the test images
// actually use.
type Manifold struct {
	vaeSummary
	X, Y           []float64   // the grid's coordinates on each axis, increasing.
	Images         [][]float32 // row by row: z[0] left to right, z[1] top to bottom decreasing.
	Rows, Cols     int         // of an image.
	XLabel, YLabel string
}

// VAEManifold decodes an n×n grid of the latent plane, evenly spaced between
// the 1st and 99th percentiles of the test images' codes on each axis, z[0]
// left to right, z[1] bottom to top (on the principal plane when the latent
// space has more than two dimensions). The article's grid, the 5–95 %
// quantiles of N(0, 1) (±1.64), misses the digits whose codes lie further
// out (the 7s of the full run sit above 2).
func VAEManifold(t *experiments.TrainedVAE, n int) (*Result, error) {
	return drawn(MeasureVAEManifold(t, n))
}

// MeasureVAEManifold decodes the grid.
func MeasureVAEManifold(t *experiments.TrainedVAE, n int) (*Manifold, error) {
	pl, err := t.Plane("vae-manifold")
	if err != nil {
		return nil, err
	}
	if n < 2 {
		return nil, fmt.Errorf("vae-manifold: the grid needs at least 2×2 digits, got %d", n)
	}
	sum, err := summarize(t)
	if err != nil {
		return nil, err
	}
	m := &Manifold{vaeSummary: sum, Rows: t.Test.Rows, Cols: t.Test.Cols, XLabel: pl.Labels[0], YLabel: pl.Labels[1]}
	projected := make([][]float32, len(pl.Codes))
	for i, c := range pl.Codes {
		x, y := pl.Project(c)
		projected[i] = []float32{float32(x), float32(y)}
	}
	lo, hi := percentileBox(projected)
	for i := range n {
		f := float64(i) / float64(n-1)
		m.X, m.Y = append(m.X, lo[0]+f*(hi[0]-lo[0])), append(m.Y, lo[1]+f*(hi[1]-lo[1]))
	}
	var z [][]float32
	for r := range n {
		for c := range n {
			z = append(z, pl.Point(m.X[c], m.Y[n-1-r]))
		}
	}
	if m.Images, err = t.VAE.Decode(z); err != nil {
		return nil, err
	}
	return m, nil
}

// Draw is vae-manifold.
func (m *Manifold) Draw() (*Result, error) {
	n := len(m.X)
	g := &chart.Grid{Rows: n, Cols: n, Height: m.Rows, Width: m.Cols, Images: m.Images, XLabel: m.XLabel, YLabel: m.YLabel}
	tick := func(v float64) string { return strings.Replace(fmt.Sprintf("%.1f", v), "-0.0", "0.0", 1) }
	for i := range n {
		g.ColLabels = append(g.ColLabels, tick(m.X[i]))
		g.RowLabels = append(g.RowLabels, tick(m.Y[n-1-i]))
	}
	p, err := g.Plot()
	if err != nil {
		return nil, err
	}
	res := m.result(chart.New(fmt.Sprintf("Digits decoded from a %d×%d grid over the test codes' plane", n, n), p).Size(7, 7.4))
	res.Metrics["grid_size"] = n
	res.Metrics["grid_x"], res.Metrics["grid_y"] = []float64{m.X[0], m.X[n-1]}, []float64{m.Y[0], m.Y[n-1]}
	res.Metrics["grid_note"] = "evenly spaced between the 1st and 99th percentiles of the test images' codes on each axis"
	return res, nil
}

// VAETrainingCurves draws the reconstruction and KL terms per epoch: its
// measurements are the trained VAE's History.
func VAETrainingCurves(t *experiments.TrainedVAE) (*Result, error) {
	h := t.History
	if len(h.Epochs) == 0 {
		return nil, fmt.Errorf("vae-training-curves: the VAE trained for 0 epochs")
	}
	panel := func(title, train, test string) (*chart.Lines, error) {
		l := &chart.Lines{Title: title, XLabel: "epoch", YLabel: "nats per image", Points: len(h.Epochs) < 15}
		for _, s := range []struct{ name, key string }{{"train (batch mean)", train}, {"test", test}} {
			x, y := h.Series(s.key)
			if len(x) == 0 {
				return nil, fmt.Errorf("vae-training-curves: the history has no %q", s.key)
			}
			l.Series = append(l.Series, chart.Series{Name: s.name, X: x, Y: y, Dashed: s.key == test})
		}
		return l, nil
	}
	recon, err := panel("Reconstruction −log p(x|z)", "recon", "test_recon")
	if err != nil {
		return nil, err
	}
	kl, err := panel("KL(q(z|x) ‖ p(z))", "kl", "test_kl")
	if err != nil {
		return nil, err
	}
	rp, err := recon.Plot()
	if err != nil {
		return nil, err
	}
	kp, err := kl.Plot()
	if err != nil {
		return nil, err
	}
	sum, err := summarize(t)
	if err != nil {
		return nil, err
	}
	res := sum.result(chart.New("VAE training: the two terms of the loss", rp, kp).Size(10, 4.4))
	last := h.Epochs[len(h.Epochs)-1].Metrics
	for _, k := range []string{"recon", "kl", "test_recon", "test_kl"} {
		res.Metrics["final_"+k+"_nats"] = last[k]
	}
	res.Metrics["epochs"] = len(h.Epochs)
	return res, nil
}
