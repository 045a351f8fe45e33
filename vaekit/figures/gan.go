package figures

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"

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
	dir, err := modelDir(opts, "gan", exp.GANConfig, gan, train)
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
