package figures

// vae-vs-gan-samples and dcgan-latent-walk: the DCGAN's samples beside
// VAEs', and its latent space walked along lines and class means.

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/chart"
	"github.com/vaekit/vaekit/vaekit/experiments"
)

func init() {
	register(Spec{Name: "vae-vs-gan-samples", Article: articleGAN,
		Summary: "VAE samples (z ~ N(0, I)) beside DCGAN samples, with mnist_fid for each",
		Make: func(ctx context.Context, opts experiments.Options) (*Result, error) {
			scorer, err := experiments.SharedFIDScorer(ctx, opts)
			if err != nil {
				return nil, err
			}
			return VAEvsGAN(ctx, experiments.DefaultVAEExperiment(opts.Quick, opts.Seed), experiments.DefaultDCGANExperiment(opts.Quick, opts.Seed), scorer, opts)
		},
		Compare: append(qualityComparisons("_vae", "dense VAE", "_dcgan", "DCGAN"),
			qualityComparisons("_vae_dcgan_networks", "conv VAE", "_dcgan", "DCGAN")...)})
	register(Spec{Name: "dcgan-latent-walk", Article: articleGAN,
		Summary: "interpolation and vector arithmetic in the DCGAN latent space",
		Make: func(ctx context.Context, opts experiments.Options) (*Result, error) {
			scorer, err := experiments.SharedFIDScorer(ctx, opts)
			if err != nil {
				return nil, err
			}
			return DCGANLatentWalk(ctx, experiments.DefaultDCGANExperiment(opts.Quick, opts.Seed), scorer, opts)
		}})
}

// VAEvsGANSamples is what vae-vs-gan-samples measures: samples of the
// article's VAE, of a VAE on the DCGAN's footing (its latent size and
// networks) and of the DCGAN, each scored with mnist_fid.
type VAEvsGANSamples struct {
	experiments.About
	Scored
	VAEs            []SampledVAE
	GANQuality      experiments.SampleQuality
	GANLatent       int
	GANTrainSeconds float64
	GAN             [][]float32 // 20 samples.
	BatchDependence float64     // the GAN's, see batchDependence.
}

// SampledVAE is one VAE of vae-vs-gan-samples.
type SampledVAE struct {
	Name         string
	Short        string // in the figure: "dense VAE", "conv VAE".
	Latent       int
	Quality      experiments.SampleQuality
	ELBO         float64 // test ELBO, nats.
	TrainSeconds float64
	Samples      [][]float32 // 20 of them.
}

// VAEvsGAN compares samples of the article-000 VAE (a 2-D latent, dense
// networks), of a VAE with the DCGAN's latent size and networks
// (DCGANVAEExperiment) and of the DCGAN, each with its mnist_fid: the first
// pair is the article's, the second holds the networks and the latent size
// fixed, so that what differs is the model family.
func VAEvsGAN(ctx context.Context, vexp experiments.VAEExperiment, gexp experiments.GANExperiment, scorer *experiments.FIDScorer, opts experiments.Options) (*Result, error) {
	return drawn(MeasureVAEvsGAN(ctx, vexp, gexp, scorer, opts))
}

// MeasureVAEvsGAN trains (or loads) the three models and scores their samples.
func MeasureVAEvsGAN(ctx context.Context, vexp experiments.VAEExperiment, gexp experiments.GANExperiment, scorer *experiments.FIDScorer, opts experiments.Options) (*VAEvsGANSamples, error) {
	g, err := scoreGAN(ctx, scorer, gexp, opts)
	if err != nil {
		return nil, err
	}
	m := &VAEvsGANSamples{About: g.t.About(), Scored: Scored{experiments.FIDMetrics(scorer)}, GANQuality: g.q, GANLatent: gexp.Noise,
		GANTrainSeconds: g.t.History.TrainSeconds, GAN: g.samples[:20]}
	if m.BatchDependence, err = batchDependence(g.t.GAN); err != nil {
		return nil, err
	}
	equal := experiments.DCGANVAEExperiment(gexp)
	for _, v := range []struct {
		name, short string
		exp         experiments.VAEExperiment
	}{{fmt.Sprintf("the article's VAE (dense, %d-D latent)", vexp.Latent), "dense VAE", vexp},
		{fmt.Sprintf("VAE with the DCGAN's networks (%d-D latent)", equal.Latent), "conv VAE", equal}} {
		t, err := experiments.TrainVAE(ctx, v.exp, opts)
		if err != nil {
			return nil, err
		}
		samples, err := t.VAE.Sample(experiments.FIDSamples, 1)
		if err != nil {
			return nil, err
		}
		q, err := scorer.Quality(samples)
		if err != nil {
			return nil, err
		}
		m.VAEs = append(m.VAEs, SampledVAE{Name: v.name, Short: v.short, Latent: v.exp.Latent, Quality: q, ELBO: t.TestELBO.ELBO,
			TrainSeconds: t.History.TrainSeconds, Samples: samples[:20]})
	}
	m.Hyperparameters = map[string]any{"vae": vexp, "vae_dcgan_networks": equal, "dcgan": gexp}
	return m, nil
}

// Draw is vae-vs-gan-samples: two rows of each model, with their scores. It
// states no conclusion: one seed's gap is no finding; over seeds, the
// catalogue's comparisons give the verdicts (seeds_reading).
func (m *VAEvsGANSamples) Draw() (*Result, error) {
	grid := &chart.Grid{Cols: 10, Height: 28, Width: 28}
	var pairs []map[string]any
	metrics := m.metrics()
	for i, v := range m.VAEs {
		grid.RowLabels = append(grid.RowLabels, fmt.Sprintf("%s, %d-D z\n(FID %.1f)", v.Short, v.Latent, v.Quality.FID), "")
		grid.Images = append(grid.Images, v.Samples...)
		pair := map[string]any{"vae": v.Name, "vae_latent": v.Latent, "gan_latent": m.GANLatent, "vae_test_elbo_nats": v.ELBO,
			"vae_train_seconds": v.TrainSeconds, "gan_train_seconds": m.GANTrainSeconds}
		v.Quality.AddTo(pair, "_vae")
		m.GANQuality.AddTo(pair, "_gan")
		pairs = append(pairs, pair)
		switch i {
		case 0: // the article's pair keeps its keys
			v.Quality.AddTo(metrics, "_vae")
			metrics["vae_test_elbo_nats"] = v.ELBO
		case 1: // the pair with the networks and the latent size held fixed
			v.Quality.AddTo(metrics, "_vae_dcgan_networks")
		}
	}
	grid.RowLabels = append(grid.RowLabels, fmt.Sprintf("DCGAN, %d-D z\n(FID %.1f)", m.GANLatent, m.GANQuality.FID), "")
	grid.Images = append(grid.Images, m.GAN...)
	grid.Rows = len(grid.RowLabels)
	p, err := grid.Plot()
	if err != nil {
		return nil, err
	}
	fig := chart.New("Samples: VAEs (Bernoulli means) vs DCGAN", p).Size(8, 0.7+0.66*float64(grid.Rows))
	m.GANQuality.AddTo(metrics, "_dcgan")
	metrics["pairs"] = pairs
	metrics["vae_note"] = "VAE samples are the decoder's Bernoulli means for z ~ N(0, I), as the article shows them"
	metrics["batch_dependence"], metrics["batch_dependence_note"] = m.BatchDependence, batchDependenceNote
	return &Result{Figure: fig, Metrics: metrics, About: m.About}, nil
}

// LatentWalk is what dcgan-latent-walk measures: generations along
// straight lines between codes, of the class-mean codes (by the
// classifier's reading of 2,000 samples) and of their arithmetic.
type LatentWalk struct {
	experiments.About
	Steps           int           // images along each line.
	Lines           [][][]float32 // each line's Steps images.
	ClassMeans      [][]float32   // the images of the mean codes of digits 0–9.
	ClassCounts     []int         // samples read as each digit, of 2,000.
	Triples         [][3]int      // (a, b, c): z̄(a) − z̄(b) + z̄(c).
	Arithmetic      [][]float32   // per triple: the images of a, b, c and the sum.
	ArithmeticAre   []int32       // what the classifier reads in each sum's image.
	BatchDependence float64       // see batchDependence.
}

// DCGANLatentWalk shows straight lines between latent codes, and vector
// arithmetic: the mean code of generated samples that the classifier reads
// as each digit, decoded, and differences of those means added to them.
func DCGANLatentWalk(ctx context.Context, exp experiments.GANExperiment, scorer *experiments.FIDScorer, opts experiments.Options) (*Result, error) {
	return drawn(MeasureDCGANLatentWalk(ctx, exp, scorer, opts))
}

// MeasureDCGANLatentWalk trains (or loads) the DCGAN and generates the walk.
func MeasureDCGANLatentWalk(ctx context.Context, exp experiments.GANExperiment, scorer *experiments.FIDScorer, opts experiments.Options) (*LatentWalk, error) {
	t, err := experiments.TrainGAN(ctx, exp, opts)
	if err != nil {
		return nil, err
	}
	w := &LatentWalk{About: t.About(), Steps: 10, Triples: [][3]int{{9, 4, 7}, {8, 0, 1}}}
	if w.BatchDependence, err = batchDependence(t.GAN); err != nil {
		return nil, err
	}
	z := interpolations(t.GAN.UniformNoise(8, 11), w.Steps)
	meanRow, counts, err := classMeanCodes(t.GAN, scorer.Classifier, 2000)
	if err != nil {
		return nil, err
	}
	w.ClassCounts = counts
	z = append(z, meanRow...)
	for _, tr := range w.Triples {
		sum := make([]float32, t.GAN.Config.Noise)
		for j := range sum {
			sum[j] = meanRow[tr[0]][j] - meanRow[tr[1]][j] + meanRow[tr[2]][j]
		}
		z = append(z, meanRow[tr[0]], meanRow[tr[1]], meanRow[tr[2]], sum)
	}
	out, err := t.GAN.Generate(z, nil)
	if err != nil {
		return nil, err
	}
	for i := 0; i < 4; i++ {
		w.Lines = append(w.Lines, out[i*w.Steps:(i+1)*w.Steps])
	}
	w.ClassMeans, w.Arithmetic = out[4*w.Steps:4*w.Steps+10], out[4*w.Steps+10:]
	var sums [][]float32
	for i := 3; i < len(w.Arithmetic); i += 4 {
		sums = append(sums, w.Arithmetic[i])
	}
	if w.ArithmeticAre, err = scorer.Classifier.Predict(experiments.FlatData("arithmetic", sums)); err != nil {
		return nil, err
	}
	return w, nil
}

// Draw is dcgan-latent-walk: the lines, the class means, then the triples.
func (w *LatentWalk) Draw() (*Result, error) {
	cells := slices.Concat(slices.Concat(w.Lines...), w.ClassMeans)
	var arith []string
	for i, tr := range w.Triples {
		cells = append(cells, w.Arithmetic[4*i:4*i+4]...)
		cells = append(cells, nil)
		arith = append(arith, fmt.Sprintf("%d, %d, %d, %d−%d+%d", tr[0], tr[1], tr[2], tr[0], tr[1], tr[2]))
	}
	labels := []string{"class means 0–9", strings.Join(arith, " | ")}
	for range w.Lines {
		labels = append([]string{"interpolation"}, labels...)
	}
	grid := &chart.Grid{Rows: len(w.Lines) + 2, Cols: w.Steps, Height: 28, Width: 28, Images: cells, RowLabels: labels}
	p, err := grid.Plot()
	if err != nil {
		return nil, err
	}
	fig := chart.New("DCGAN latent space: straight lines, class means and their arithmetic", p).Size(9, 0.7+0.62*float64(grid.Rows))
	return &Result{Figure: fig, Metrics: map[string]any{"class_counts_in_pool": w.ClassCounts, "triples": w.Triples,
		"arithmetic_read_as": w.ArithmeticAre, "note": "class means: mean latent code of the samples (of 2,000) that the mnist_fid classifier reads as each digit",
		"batch_dependence": w.BatchDependence, "batch_dependence_note": batchDependenceNote},
		About: w.About}, nil
}

// interpolations are the straight lines, in steps, between consecutive
// pairs of codes.
func interpolations(ends [][]float32, steps int) [][]float32 {
	var z [][]float32
	for r := 0; r+1 < len(ends); r += 2 {
		a, b := ends[r], ends[r+1]
		for i := range steps {
			f := float32(i) / float32(steps-1)
			zi := make([]float32, len(a))
			for j := range zi {
				zi[j] = (1-f)*a[j] + f*b[j]
			}
			z = append(z, zi)
		}
	}
	return z
}

// classMeanCodes generates n samples and returns, for each digit, the mean
// latent code of the samples the classifier reads as that digit (zeros for
// a digit never read), and how many there were.
func classMeanCodes(gan *vaekit.GAN, clf *vaekit.Classifier, n int) ([][]float32, []int, error) {
	pool := gan.UniformNoise(n, 12)
	images, err := gan.Generate(pool, nil)
	if err != nil {
		return nil, nil, err
	}
	classes, err := clf.Predict(experiments.FlatData("pool", images))
	if err != nil {
		return nil, nil, err
	}
	means := make([][]float32, 10)
	counts := make([]int, 10)
	for c := range means {
		means[c] = make([]float32, gan.Config.Noise)
	}
	for i, c := range classes {
		for j, v := range pool[i] {
			means[c][j] += v
		}
		counts[c]++
	}
	for c := range means {
		for j := range means[c] {
			if counts[c] > 0 {
				means[c][j] /= float32(counts[c])
			}
		}
	}
	return means, counts, nil
}
