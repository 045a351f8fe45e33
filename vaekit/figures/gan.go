package figures

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/chart"
	"gonum.org/v1/plot"
)

const articleGAN = "003_1f33b21602acb63f.txt"

// GANExperiment determines a GAN figure.
type GANExperiment struct {
	vaekit.GANConfig
	TrainSize int `json:"train_size"` // first N training digits; 0 for all.
}

// DefaultDCGANExperiment: the DCGAN for 5 epochs on all of MNIST; quick: one
// pass over 16,000 digits (250 steps).
func DefaultDCGANExperiment(quick bool, seed int64) GANExperiment {
	exp := GANExperiment{GANConfig: vaekit.DefaultDCGANConfig()}
	exp.Seed = seed
	if quick {
		exp.Epochs, exp.TrainSize = 1, 16000
	}
	return exp
}

// DefaultMLPGANExperiment: the MLP GAN for 20 epochs on all of MNIST;
// quick: one epoch (937 steps).
func DefaultMLPGANExperiment(quick bool, seed int64) GANExperiment {
	exp := GANExperiment{GANConfig: vaekit.DefaultMLPGANConfig()}
	exp.Seed, exp.Epochs = seed, 20
	if quick {
		exp.Epochs = 1
	}
	return exp
}

// TrainedGAN is a GAN trained on MNIST, with its snapshots: samples from
// fixed noise taken during training.
type TrainedGAN struct {
	Experiment GANExperiment
	GAN        *vaekit.GAN
	History    *vaekit.History
	Train      *datasets.ImageSet
	Snapshots  []Snapshot
	Probes     []Probe
	Dir        string // checkpoint directory.
}

// Snapshot is what the generator made of fixed noise at a step.
type Snapshot struct {
	Step   int         `json:"step"`
	Images [][]float32 `json:"images"`
}

// Probe is, at a step, D(G(z)) and the generator losses' gradients for
// fixed noise (see vaekit.GAN.Probe).
type Probe struct {
	Step int `json:"step"`
	vaekit.GANProbe
}

// ganRecord is what TrainGAN records at a step (History.Records): a
// snapshot, a probe, or both.
type ganRecord struct {
	Snapshot *Snapshot `json:"snapshot,omitempty"`
	Probe    *Probe    `json:"probe,omitempty"`
}

const snapshotRows = 6 // snapshots over a training run.

// TrainGAN trains (or loads) a GAN on MNIST. During training it records
// snapshots of samples from fixed noise and probes of the generator's
// gradients in the run's history (a resumed or reused run keeps them).
func TrainGAN(ctx context.Context, exp GANExperiment, opts Options) (*TrainedGAN, error) {
	train, _, err := loadImages(ctx, opts, exp.TrainSize, 1)
	if err != nil {
		return nil, err
	}
	gan, err := vaekit.NewGAN(exp.GANConfig)
	if err != nil {
		return nil, err
	}
	dir, err := modelDir(opts, "gan", struct {
		vaekit.GANConfig
		Step string `json:"step"`
	}{exp.GANConfig, vaekit.GANStep}, gan, train)
	if err != nil {
		return nil, err
	}
	perEpoch := train.Count / (exp.DSteps * exp.BatchSize)
	total := perEpoch * exp.Epochs
	var onEpoch func(int, map[string]float64) error
	if opts.epochHook != nil {
		z, labels := gan.UniformNoise(16, 99), probeLabels(exp.Conditional, 16)
		onEpoch = func(epoch int, m map[string]float64) error {
			opts.epochHook(epoch, m, func() ([][]float32, error) { return gan.Generate(z, labels) })
			return nil
		}
	}
	hist, err := gan.Train(ctx, vaekit.ImageData(train), vaekit.TrainOptions{Dir: dir, Progress: opts.Progress,
		RecordEvery: max(1, total/200), Record: ganRecorder(gan, exp.Conditional, total), OnEpoch: onEpoch})
	if err != nil {
		return nil, err
	}
	t := &TrainedGAN{Experiment: exp, GAN: gan, History: hist, Train: train, Dir: dir}
	for _, r := range hist.Records {
		var rec ganRecord
		if err := json.Unmarshal(r.Data, &rec); err != nil {
			return nil, fmt.Errorf("the GAN's history in %s has a damaged record at step %d (%v): delete %s to train again",
				dir, r.Step, err, dir)
		}
		if rec.Snapshot != nil {
			t.Snapshots = append(t.Snapshots, *rec.Snapshot)
		}
		if rec.Probe != nil {
			t.Probes = append(t.Probes, *rec.Probe)
		}
	}
	return t, nil
}

// ganRecorder records, over a run of total steps, snapshotRows snapshots
// of fixed noise and 40 probes.
func ganRecorder(gan *vaekit.GAN, conditional bool, total int) func(step int) (any, error) {
	snapAt := map[int]bool{}
	for i := 1; i <= snapshotRows; i++ {
		snapAt[max(1, total*i/snapshotRows)] = true
	}
	fixedZ, probeZ := gan.UniformNoise(10, 99), gan.UniformNoise(64, 7)
	var labels []int32
	if conditional {
		labels = []int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	}
	probeEvery := max(1, total/40)
	return func(step int) (any, error) {
		var rec ganRecord
		if snapAt[step] {
			images, err := gan.Generate(fixedZ, labels)
			if err != nil {
				return nil, err
			}
			rec.Snapshot = &Snapshot{Step: step, Images: images}
		}
		if step%probeEvery == 0 || step == 1 {
			p, err := gan.Probe(probeZ, probeLabels(conditional, len(probeZ)))
			if err != nil {
				return nil, err
			}
			rec.Probe = &Probe{Step: step, GANProbe: *p}
		}
		if rec.Snapshot == nil && rec.Probe == nil {
			return nil, nil
		}
		return rec, nil
	}
}

func probeLabels(conditional bool, n int) []int32 {
	if !conditional {
		return nil
	}
	labels := make([]int32, n)
	for i := range labels {
		labels[i] = int32(i % 10)
	}
	return labels
}

// Samples draws n images from the GAN (labels cycling 0–9 if conditional).
func (t *TrainedGAN) Samples(n int, seed uint64) ([][]float32, []int32, error) {
	labels := probeLabels(t.Experiment.Conditional, n)
	images, err := t.GAN.Generate(t.GAN.UniformNoise(n, seed), labels)
	return images, labels, err
}

func ganDataset(t *TrainedGAN) map[string]any {
	return map[string]any{"name": dataName(t.Train), "train": t.Train.Name, "train_size": t.Train.Count}
}

func init() {
	register(Spec{Name: "dcgan-samples", Article: articleGAN,
		Summary: "DCGAN on MNIST: samples of fixed noise over training, and the D/G losses, D(x) and D(G(z))",
		Make: func(ctx context.Context, opts Options) (*Result, error) {
			scorer, err := sharedScorer(ctx, opts)
			if err != nil {
				return nil, err
			}
			return DCGANSamples(ctx, DefaultDCGANExperiment(opts.Quick, opts.Seed), scorer, opts)
		}})
	register(Spec{Name: "cgan-samples", Article: articleGAN,
		Summary: "conditional GAN: a 10×10 grid, row = requested digit",
		Make: func(ctx context.Context, opts Options) (*Result, error) {
			exp := DefaultMLPGANExperiment(opts.Quick, opts.Seed)
			exp.Conditional = true
			scorer, err := sharedScorer(ctx, opts)
			if err != nil {
				return nil, err
			}
			return CGANSamples(ctx, exp, scorer, opts)
		}})
}

// scoredGAN is a trained GAN with FIDSamples of its samples and their scores.
type scoredGAN struct {
	t       *TrainedGAN
	samples [][]float32
	labels  []int32
	q       SampleQuality
}

// scoreGAN trains (or loads) a GAN and scores its samples with scorer.
func scoreGAN(ctx context.Context, scorer *FIDScorer, exp GANExperiment, opts Options) (*scoredGAN, error) {
	t, err := TrainGAN(ctx, exp, opts)
	if err != nil {
		return nil, err
	}
	samples, labels, err := t.Samples(FIDSamples, 1)
	if err != nil {
		return nil, err
	}
	q, err := scorer.Quality(samples)
	if err != nil {
		return nil, err
	}
	return &scoredGAN{t: t, samples: samples, labels: labels, q: q}, nil
}

// batchDependence is the largest absolute pixel difference between samples
// generated alone and in a batch of 64: a sample must depend on its own
// code only (batch norm in inference mode), so it is expected ≤ 1e-4.
func batchDependence(g *vaekit.GAN) (float64, error) {
	return g.BatchDependence(g.UniformNoise(64, 3))
}

// batchDependenceNote says in a figure's JSON what batch_dependence is.
const batchDependenceNote = "largest absolute pixel difference between samples generated alone and in a batch of 64 (expected <= 1e-4: batch norm in inference mode)"

// about is what a figure made of this one GAN says of it.
func (t *TrainedGAN) about() About {
	return About{Hyperparameters: t.Experiment, Dataset: ganDataset(t), History: t.History}
}

// Scored is what every GAN figure's JSON says of the mnist_fid scorer.
type Scored struct {
	Scorer map[string]any // its classifier and reference set.
}

func (s Scored) metrics() map[string]any { return maps.Clone(s.Scorer) }

// put adds q's numbers to metrics, each key ending in suffix.
func (q SampleQuality) put(metrics map[string]any, suffix string) {
	metrics["mnist_fid"+suffix], metrics["kid"+suffix], metrics["kid_std"+suffix] = q.FID, q.KID, q.KIDStd
	metrics["precision"+suffix], metrics["recall"+suffix] = q.Precision, q.Recall
}

// GANSnapshots is what dcgan-samples measures: samples of fixed noise
// over training, and the final generator's mnist_fid.
type GANSnapshots struct {
	About
	Scored
	Quality         SampleQuality // of the final generator's samples.
	Snapshots       []Snapshot
	Steps           int // generator steps.
	DataName        string
	BatchDependence float64 // see batchDependence.
}

// DCGANSamples shows snapshots of the DCGAN's samples over training and its
// training curves, with mnist_fid of the final generator.
func DCGANSamples(ctx context.Context, exp GANExperiment, scorer *FIDScorer, opts Options) (*Result, error) {
	return drawn(MeasureDCGANSamples(ctx, exp, scorer, opts))
}

// MeasureDCGANSamples trains (or loads) the GAN and scores it.
func MeasureDCGANSamples(ctx context.Context, exp GANExperiment, scorer *FIDScorer, opts Options) (*GANSnapshots, error) {
	sg, err := scoreGAN(ctx, scorer, exp, opts)
	if err != nil {
		return nil, err
	}
	t := sg.t
	deps, err := batchDependence(t.GAN)
	if err != nil {
		return nil, err
	}
	return &GANSnapshots{About: t.about(), Scored: Scored{fidMetrics(scorer)}, Quality: sg.q, Snapshots: t.Snapshots,
		Steps: len(t.History.Epochs) * t.History.StepsPerEpoch, DataName: dataName(t.Train), BatchDependence: deps}, nil
}

// Draw is dcgan-samples: the snapshots beside the training curves.
func (g *GANSnapshots) Draw() (*Result, error) {
	grid := &chart.Grid{Title: "samples of the same noise during training", Rows: len(g.Snapshots), Cols: 10,
		Height: 28, Width: 28}
	for _, s := range g.Snapshots {
		grid.Images = append(grid.Images, s.Images...)
		grid.RowLabels = append(grid.RowLabels, fmt.Sprintf("step %d", s.Step))
	}
	gp, err := grid.Plot()
	if err != nil {
		return nil, err
	}
	cp, err := ganCurves(g.History)
	if err != nil {
		return nil, err
	}
	fig := chart.New(fmt.Sprintf("DCGAN on %s (mnist_fid %.1f, precision %.2f, recall %.2f)", g.DataName,
		g.Quality.FID, g.Quality.Precision, g.Quality.Recall), gp, cp).Size(14, 6.5)
	metrics := g.metrics()
	g.Quality.put(metrics, "")
	metrics["steps"] = g.Steps
	metrics["batch_dependence"], metrics["batch_dependence_note"] = g.BatchDependence, batchDependenceNote
	return &Result{Figure: fig, Metrics: metrics, About: g.About}, nil
}

// ganCurves plots D and G losses, D(x) and D(G(z)) per recorded step.
func ganCurves(h *vaekit.History) (*plot.Plot, error) {
	if len(h.Steps) == 0 {
		return nil, fmt.Errorf("the GAN's history has no recorded steps")
	}
	names := map[string]string{"d_loss": "D loss", "g_loss": "G loss", "d_real": "D(x)", "d_fake": "D(G(z))"}
	var series []chart.Series
	for _, key := range []string{"d_loss", "g_loss", "d_real", "d_fake"} {
		s := chart.Series{Name: names[key], Dashed: key == "d_real" || key == "d_fake"}
		for _, r := range h.Steps {
			s.X = append(s.X, float64(r.Step))
			s.Y = append(s.Y, r.Metrics[key])
		}
		series = append(series, s)
	}
	return (&chart.Lines{Title: "training curves", XLabel: "generator step", YLabel: "loss (nats) / probability",
		Series: series}).Plot()
}

// ConditionalSamples is what cgan-samples measures: a 10×10 grid (row =
// requested digit, the same noise in each column), mnist_fid, and how often
// the classifier reads the requested digit.
type ConditionalSamples struct {
	About
	Scored
	Quality           SampleQuality
	RequestedAccuracy float64
	Images            [][]float32 // row by row.
}

// CGANSamples shows a conditional GAN's 10×10 grid (row = requested digit),
// with mnist_fid and how often the classifier reads the requested digit.
func CGANSamples(ctx context.Context, exp GANExperiment, scorer *FIDScorer, opts Options) (*Result, error) {
	return drawn(MeasureCGANSamples(ctx, exp, scorer, opts))
}

// MeasureCGANSamples trains (or loads) the conditional GAN, scores its
// samples and generates the grid.
func MeasureCGANSamples(ctx context.Context, exp GANExperiment, scorer *FIDScorer, opts Options) (*ConditionalSamples, error) {
	if !exp.Conditional {
		return nil, fmt.Errorf("cgan-samples needs a conditional GAN (GANConfig.Conditional)")
	}
	sg, err := scoreGAN(ctx, scorer, exp, opts)
	if err != nil {
		return nil, err
	}
	t := sg.t
	c := &ConditionalSamples{About: t.about(), Scored: Scored{fidMetrics(scorer)}, Quality: sg.q}
	requested := flatData("cgan", sg.samples)
	requested.Labels = sg.labels
	if c.RequestedAccuracy, err = scorer.Classifier.Accuracy(requested); err != nil {
		return nil, err
	}
	z := t.GAN.UniformNoise(10, 5)
	for digit := range 10 {
		row := make([]int32, 10)
		for i := range row {
			row[i] = int32(digit)
		}
		images, err := t.GAN.Generate(z, row) // the same 10 noises in every row: style stays, digit changes.
		if err != nil {
			return nil, err
		}
		c.Images = append(c.Images, images...)
	}
	return c, nil
}

// Draw is cgan-samples.
func (c *ConditionalSamples) Draw() (*Result, error) {
	grid := &chart.Grid{Rows: 10, Cols: 10, Height: 28, Width: 28, YLabel: "requested digit", Images: c.Images,
		XLabel: "the same noise z in each column"}
	for digit := range 10 {
		grid.RowLabels = append(grid.RowLabels, fmt.Sprint(digit))
	}
	gp, err := grid.Plot()
	if err != nil {
		return nil, err
	}
	fig := chart.New(fmt.Sprintf("Conditional GAN (mnist_fid %.1f, requested digit recognised %.1f%%)", c.Quality.FID, 100*c.RequestedAccuracy), gp).Size(7.5, 8)
	metrics := c.metrics()
	c.Quality.put(metrics, "")
	metrics["requested_label_accuracy"] = c.RequestedAccuracy
	if ref, ok := metrics["reference"].(map[string]any); ok {
		ref = maps.Clone(ref)
		ref["requested_label_accuracy"] = metrics["fid_classifier_test_accuracy"]
		ref["source"] = fmt.Sprint(ref["source"], "; requested_label_accuracy: the classifier's accuracy on the real test digits")
		metrics["reference"] = ref
	}
	metrics["requested_label_note"] = "share of 5,000 samples (labels 0–9 in turn) that the classifier reads as the requested digit"
	return &Result{Figure: fig, Metrics: metrics, About: c.About}, nil
}

func init() {
	register(Spec{Name: "gan-k-steps", Article: articleGAN,
		Summary: "sample quality (mnist_fid) against k discriminator steps per generator step",
		Make: func(ctx context.Context, opts Options) (*Result, error) {
			scorer, err := sharedScorer(ctx, opts)
			if err != nil {
				return nil, err
			}
			return GANKSteps(ctx, DefaultMLPGANExperiment(opts.Quick, opts.Seed), []int{1, 2, 5}, scorer, opts)
		}})
	register(Spec{Name: "gan-loss-saturation", Article: articleGAN,
		Summary: "generator gradient against D(G(z)) for log(1−D(G(z))) and −log D(G(z)): closed forms and a real run",
		Make: func(ctx context.Context, opts Options) (*Result, error) {
			scorer, err := sharedScorer(ctx, opts)
			if err != nil {
				return nil, err
			}
			return GANLossSaturation(ctx, DefaultMLPGANExperiment(opts.Quick, opts.Seed), scorer, opts)
		}})
	register(Spec{Name: "vae-vs-gan-samples", Article: articleGAN,
		Summary: "VAE samples (z ~ N(0, I)) beside DCGAN samples, with mnist_fid for each",
		Make: func(ctx context.Context, opts Options) (*Result, error) {
			scorer, err := sharedScorer(ctx, opts)
			if err != nil {
				return nil, err
			}
			return VAEvsGAN(ctx, DefaultVAEExperiment(opts.Quick, opts.Seed), DefaultDCGANExperiment(opts.Quick, opts.Seed), scorer, opts)
		}})
	register(Spec{Name: "dcgan-latent-walk", Article: articleGAN,
		Summary: "interpolation and vector arithmetic in the DCGAN latent space",
		Make: func(ctx context.Context, opts Options) (*Result, error) {
			scorer, err := sharedScorer(ctx, opts)
			if err != nil {
				return nil, err
			}
			return DCGANLatentWalk(ctx, DefaultDCGANExperiment(opts.Quick, opts.Seed), scorer, opts)
		}})
}

// KSteps is what gan-k-steps measures: for each k, the mnist_fid of a GAN
// trained with k discriminator steps per generator step, and 10 samples.
type KSteps struct {
	About
	Scored
	Ks             []int
	Quality        []SampleQuality // for each k.
	Samples        [][][]float32   // 10 for each k.
	GeneratorSteps int             // of each run.
}

// GANKSteps trains the same GAN with k discriminator steps per generator
// step, for each k, with the same number of generator steps (so k times
// the discriminator updates and data), and scores each with mnist_fid.
func GANKSteps(ctx context.Context, exp GANExperiment, ks []int, scorer *FIDScorer, opts Options) (*Result, error) {
	return drawn(MeasureGANKSteps(ctx, exp, ks, scorer, opts))
}

// MeasureGANKSteps trains (or loads) and scores one GAN per k.
func MeasureGANKSteps(ctx context.Context, exp GANExperiment, ks []int, scorer *FIDScorer, opts Options) (*KSteps, error) {
	if len(ks) == 0 {
		return nil, fmt.Errorf("gan-k-steps needs at least one k")
	}
	m := &KSteps{Scored: Scored{fidMetrics(scorer)}, Ks: ks}
	for _, k := range ks {
		e := exp
		e.DSteps, e.Epochs = k, exp.Epochs*k // an epoch has k× fewer generator steps.
		sg, err := scoreGAN(ctx, scorer, e, opts)
		if err != nil {
			return nil, err
		}
		m.Quality = append(m.Quality, sg.q)
		m.Samples = append(m.Samples, sg.samples[:10])
		m.About = sg.t.about()
		m.GeneratorSteps = len(sg.t.History.Epochs) * sg.t.History.StepsPerEpoch
	}
	m.Hyperparameters = map[string]any{"base": exp, "k": ks}
	return m, nil
}

// Draw is gan-k-steps: mnist_fid against k, beside each k's samples.
func (m *KSteps) Draw() (*Result, error) {
	grid := &chart.Grid{Rows: len(m.Ks), Cols: 10, Height: 28, Width: 28, Title: "samples of the same noise"}
	var line chart.Series // one series, named by the y label.
	metrics := m.metrics()
	for i, k := range m.Ks {
		m.Quality[i].put(metrics, fmt.Sprintf("_k%d", k))
		line.X, line.Y = append(line.X, float64(k)), append(line.Y, m.Quality[i].FID)
		grid.Images = append(grid.Images, m.Samples[i]...)
		grid.RowLabels = append(grid.RowLabels, fmt.Sprintf("k = %d\n(FID %.1f)", k, m.Quality[i].FID))
	}
	lp, err := (&chart.Lines{Title: "sample quality against k", XLabel: "k (discriminator steps per generator step)",
		YLabel: "mnist_fid (lower is better)", Series: []chart.Series{line}, Points: true}).Plot()
	if err != nil {
		return nil, err
	}
	gp, err := grid.Plot()
	if err != nil {
		return nil, err
	}
	fig := chart.New(fmt.Sprintf("k discriminator steps per generator step (%d generator steps each)", m.GeneratorSteps), lp, gp).Size(13, 4.3)
	return &Result{Figure: fig, Metrics: metrics, About: m.About}, nil
}

// Saturation is what gan-loss-saturation measures: one run trained with
// each generator loss, its probes (D(G(z)) and both losses' gradients on
// fixed noise during training) and its mnist_fid.
type Saturation struct {
	About
	Scored
	Runs []SaturationRun
}

// SaturationRun is one generator loss's run.
type SaturationRun struct {
	Loss            string
	Quality         SampleQuality
	Probes          []Probe
	MeanD, MeanGrad float64 // over every probe, of D(G(z)) and of this loss's gradient at D's logit.
	MeanGenGrad     float64 // over every probe, of the norm of this loss's gradient at the generator's parameters.
}

// grad is the run's own loss's gradient at D's logit in a probe.
func (r *SaturationRun) grad(p Probe) []float32 {
	if r.Loss == vaekit.Saturating {
		return p.Saturating
	}
	return p.NonSat
}

// genGrad is the norm of the run's own loss's gradient at the generator's parameters in a probe.
func (r *SaturationRun) genGrad(p Probe) float64 {
	if r.Loss == vaekit.Saturating {
		return float64(p.GenGradSat)
	}
	return float64(p.GenGradNonSat)
}

// GANLossSaturation tests the theory of the saturating loss where it
// matters, at the generator's parameters: for each code, the two losses'
// gradients reach the generator through D's logit scaled by D(G(z)) and
// 1 − D(G(z)) (the closed forms), so their norms' ratio should follow
// D/(1 − D); the measured ratio, on fixed noise during two real runs (one
// trained with each loss), can disagree, since the codes' gradients add up
// with different weights. Beside it: the gradient norm that reached each
// run's generator over training, D(G(z)) over training, and each run's
// mnist_fid.
func GANLossSaturation(ctx context.Context, exp GANExperiment, scorer *FIDScorer, opts Options) (*Result, error) {
	return drawn(MeasureGANLossSaturation(ctx, exp, scorer, opts))
}

// MeasureGANLossSaturation trains (or loads) and scores a GAN with each
// generator loss.
func MeasureGANLossSaturation(ctx context.Context, exp GANExperiment, scorer *FIDScorer, opts Options) (*Saturation, error) {
	s := &Saturation{Scored: Scored{fidMetrics(scorer)}}
	for _, loss := range []string{vaekit.Saturating, vaekit.NonSaturating} {
		e := exp
		e.GLoss = loss
		sg, err := scoreGAN(ctx, scorer, e, opts)
		if err != nil {
			return nil, err
		}
		r := SaturationRun{Loss: loss, Quality: sg.q, Probes: sg.t.Probes}
		n := 0
		for _, p := range r.Probes {
			for i, d := range p.DOfG {
				r.MeanD, r.MeanGrad, n = r.MeanD+float64(d), r.MeanGrad+float64(r.grad(p)[i]), n+1
			}
			r.MeanGenGrad += r.genGrad(p) / float64(len(r.Probes))
		}
		if n == 0 {
			return nil, fmt.Errorf("gan-loss-saturation: the %s run recorded no probe", loss)
		}
		r.MeanD, r.MeanGrad = r.MeanD/float64(n), r.MeanGrad/float64(n)
		s.Runs = append(s.Runs, r)
		s.About = sg.t.about()
	}
	s.Hyperparameters = exp
	return s, nil
}

// Draw is gan-loss-saturation: the theory's ratio with the measured ones,
// the gradient that reached each generator, and D(G(z)), over training.
func (s *Saturation) Draw() (*Result, error) {
	theory := chart.Series{Name: "closed form D/(1−D)"}
	for i := 1; i < 100; i++ {
		d := float64(i) / 100
		theory.X, theory.Y = append(theory.X, d), append(theory.Y, d/(1-d))
	}
	ratios := []chart.Series{theory}
	var norms, dOfG []chart.Series
	metrics := s.metrics()
	gradNorms := map[string]any{}
	for _, r := range s.Runs {
		label := fmt.Sprintf("%s run (mnist_fid %.1f)", r.Loss, r.Quality.FID)
		dashed := r.Loss == vaekit.NonSaturating
		ratio := chart.Series{Name: "measured, " + r.Loss + " run", PointsOnly: true}
		norm, d := chart.Series{Name: label, Dashed: dashed}, chart.Series{Name: label, Dashed: dashed}
		var steps []int
		var own []float64
		for _, p := range r.Probes {
			if len(p.DOfG) == 0 || !(p.GenGradNonSat > 0) {
				continue
			}
			mean := 0.0
			for _, v := range p.DOfG {
				mean += float64(v) / float64(len(p.DOfG))
			}
			ratio.X, ratio.Y = append(ratio.X, mean), append(ratio.Y, float64(p.GenGradSat)/float64(p.GenGradNonSat))
			norm.X, norm.Y = append(norm.X, float64(p.Step)), append(norm.Y, r.genGrad(p))
			d.X, d.Y = append(d.X, float64(p.Step)), append(d.Y, mean)
			steps, own = append(steps, p.Step), append(own, r.genGrad(p))
		}
		ratios, norms, dOfG = append(ratios, ratio), append(norms, norm), append(dOfG, d)
		gradNorms[r.Loss] = map[string]any{"steps": steps, "norm": own}
		metrics["mean_d_of_g_"+r.Loss] = r.MeanD
		metrics["mean_grad_"+r.Loss] = r.MeanGrad
		metrics["mean_generator_grad_norm_"+r.Loss] = r.MeanGenGrad
		r.Quality.put(metrics, "_"+r.Loss)
	}
	metrics["generator_grad_norm"] = gradNorms
	rp, err := (&chart.Lines{Title: "saturating ÷ non-saturating gradient at G's parameters", XLabel: "mean D(G(z))",
		YLabel: "ratio of gradient norms", Series: ratios, LogY: true, Legend: chart.BottomRight}).Plot()
	if err != nil {
		return nil, err
	}
	np, err := (&chart.Lines{Title: "gradient norm reaching the generator", XLabel: "generator step",
		YLabel: "‖∂ loss / ∂ θ_G‖ (own loss)", Series: norms, LogY: true, Points: true}).Plot()
	if err != nil {
		return nil, err
	}
	dp, err := (&chart.Lines{Title: "D(G(z)) on fixed noise", XLabel: "generator step", YLabel: "mean D(G(z))",
		Series: dOfG, Points: true}).Plot()
	if err != nil {
		return nil, err
	}
	dp.Y.Min, dp.Y.Max = 0, 1
	metrics["note"] = "theory: for one code, both losses' gradients reach the generator through D's logit, scaled by D(G(z)) (saturating) and 1 − D(G(z)) (non-saturating), so their norms' ratio is D/(1 − D); the measured ratio is over 64 fixed codes. generator_grad_norm is the norm of each run's own loss's gradient at all of the generator's parameters. Adam divides each step by a running RMS of the gradient, so a uniformly smaller gradient slows it far less than it would slow SGD."
	fig := chart.New("Saturating vs non-saturating generator loss", rp, np, dp).Size(16, 5.5)
	return &Result{Figure: fig, Metrics: metrics, About: s.About}, nil
}

// VAEvsGANSamples is what vae-vs-gan-samples measures: samples of the
// article's VAE, of a VAE on the DCGAN's footing (its latent size and
// networks) and of the DCGAN, each scored with mnist_fid.
type VAEvsGANSamples struct {
	About
	Scored
	VAEs            []SampledVAE
	GANQuality      SampleQuality
	GANLatent       int
	GANTrainSeconds float64
	GAN             [][]float32 // 20 samples.
	BatchDependence float64     // the GAN's, see batchDependence.
}

// SampledVAE is one VAE of vae-vs-gan-samples.
type SampledVAE struct {
	Name         string
	Latent       int
	Quality      SampleQuality
	ELBO         float64 // test ELBO, nats.
	TrainSeconds float64
	Samples      [][]float32 // 20 of them.
}

// VAEvsGAN compares samples of the article-000 VAE (a 2-D latent, dense
// networks), of a VAE with the DCGAN's latent size and networks
// (DCGANVAEExperiment) and of the DCGAN, each with its mnist_fid: the first
// pair is the article's, the second holds the networks and the latent size
// fixed, so that what differs is the model family.
func VAEvsGAN(ctx context.Context, vexp VAEExperiment, gexp GANExperiment, scorer *FIDScorer, opts Options) (*Result, error) {
	return drawn(MeasureVAEvsGAN(ctx, vexp, gexp, scorer, opts))
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

// MeasureVAEvsGAN trains (or loads) the three models and scores their samples.
func MeasureVAEvsGAN(ctx context.Context, vexp VAEExperiment, gexp GANExperiment, scorer *FIDScorer, opts Options) (*VAEvsGANSamples, error) {
	g, err := scoreGAN(ctx, scorer, gexp, opts)
	if err != nil {
		return nil, err
	}
	m := &VAEvsGANSamples{About: g.t.about(), Scored: Scored{fidMetrics(scorer)}, GANQuality: g.q, GANLatent: gexp.Noise,
		GANTrainSeconds: g.t.History.TrainSeconds, GAN: g.samples[:20]}
	if m.BatchDependence, err = batchDependence(g.t.GAN); err != nil {
		return nil, err
	}
	equal := DCGANVAEExperiment(gexp)
	for _, v := range []struct {
		name string
		exp  VAEExperiment
	}{{fmt.Sprintf("the article's VAE (dense, %d-D latent)", vexp.Latent), vexp},
		{fmt.Sprintf("VAE with the DCGAN's networks (%d-D latent)", equal.Latent), equal}} {
		t, err := TrainVAE(ctx, v.exp, opts)
		if err != nil {
			return nil, err
		}
		samples, err := t.VAE.Sample(FIDSamples, 1)
		if err != nil {
			return nil, err
		}
		q, err := scorer.Quality(samples)
		if err != nil {
			return nil, err
		}
		m.VAEs = append(m.VAEs, SampledVAE{Name: v.name, Latent: v.exp.Latent, Quality: q, ELBO: t.TestELBO.ELBO,
			TrainSeconds: t.History.TrainSeconds, Samples: samples[:20]})
	}
	m.Hyperparameters = map[string]any{"vae": vexp, "vae_dcgan_networks": equal, "dcgan": gexp}
	return m, nil
}

// Draw is vae-vs-gan-samples: two rows of each model, and a conclusion
// drawn from the numbers.
func (m *VAEvsGANSamples) Draw() (*Result, error) {
	grid := &chart.Grid{Cols: 10, Height: 28, Width: 28}
	var pairs []map[string]any
	metrics := m.metrics()
	for i, v := range m.VAEs {
		grid.RowLabels = append(grid.RowLabels, fmt.Sprintf("VAE, %d-D z\n(FID %.1f)", v.Latent, v.Quality.FID), "")
		grid.Images = append(grid.Images, v.Samples...)
		pair := map[string]any{"vae": v.Name, "vae_latent": v.Latent, "gan_latent": m.GANLatent, "vae_test_elbo_nats": v.ELBO,
			"vae_train_seconds": v.TrainSeconds, "gan_train_seconds": m.GANTrainSeconds}
		v.Quality.put(pair, "_vae")
		m.GANQuality.put(pair, "_gan")
		pairs = append(pairs, pair)
		if i == 0 { // the article's pair keeps its keys
			v.Quality.put(metrics, "_vae")
			metrics["vae_test_elbo_nats"] = v.ELBO
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
	m.GANQuality.put(metrics, "_dcgan")
	metrics["pairs"] = pairs
	metrics["conclusion"] = m.conclusion()
	metrics["vae_note"] = "VAE samples are the decoder's Bernoulli means for z ~ N(0, I), as the article shows them"
	metrics["batch_dependence"], metrics["batch_dependence_note"] = m.BatchDependence, batchDependenceNote
	return &Result{Figure: fig, Metrics: metrics, About: m.About}, nil
}

// conclusion says what the scores show, pair by pair.
func (m *VAEvsGANSamples) conclusion() string {
	var parts []string
	g := m.GANQuality
	for _, v := range m.VAEs {
		verdict := "the GAN's samples score better"
		if v.Quality.FID <= g.FID {
			verdict = "the VAE's samples score as well or better"
		}
		parts = append(parts, fmt.Sprintf("%s: mnist_fid %.1f against the DCGAN's %.1f (%d-D against %d-D latent): %s; precision %.2f against %.2f (%s), recall %.2f against %.2f (%s)",
			v.Name, v.Quality.FID, g.FID, v.Latent, m.GANLatent, verdict,
			v.Quality.Precision, g.Precision, better(v.Quality.Precision, g.Precision, "realistic"),
			v.Quality.Recall, g.Recall, better(v.Quality.Recall, g.Recall, "covering the test digits")))
	}
	return strings.Join(parts, "; ")
}

// better says which model's samples are the more (VAE's first, GAN's second) of what.
func better(vae, gan float64, what string) string {
	switch {
	case vae > gan:
		return "the VAE's more " + what
	case gan > vae:
		return "the GAN's more " + what
	}
	return "equally " + what
}

// LatentWalk is what dcgan-latent-walk measures: generations along
// straight lines between codes, of the class-mean codes (by the
// classifier's reading of 2,000 samples) and of their arithmetic.
type LatentWalk struct {
	About
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
func DCGANLatentWalk(ctx context.Context, exp GANExperiment, scorer *FIDScorer, opts Options) (*Result, error) {
	return drawn(MeasureDCGANLatentWalk(ctx, exp, scorer, opts))
}

// MeasureDCGANLatentWalk trains (or loads) the DCGAN and generates the walk.
func MeasureDCGANLatentWalk(ctx context.Context, exp GANExperiment, scorer *FIDScorer, opts Options) (*LatentWalk, error) {
	t, err := TrainGAN(ctx, exp, opts)
	if err != nil {
		return nil, err
	}
	w := &LatentWalk{About: t.about(), Steps: 10, Triples: [][3]int{{9, 4, 7}, {8, 0, 1}}}
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
	if w.ArithmeticAre, err = scorer.Classifier.Predict(flatData("arithmetic", sums)); err != nil {
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
	classes, err := clf.Predict(flatData("pool", images))
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
