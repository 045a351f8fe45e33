package figures

import (
	"context"
	"fmt"
	"maps"
	"math"

	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/chart"
	"github.com/vaekit/vaekit/vaekit/experiments"
	"gonum.org/v1/plot"
)

const articleGAN = "003_1f33b21602acb63f.txt"

func init() {
	register(Spec{Name: "dcgan-samples", Article: articleGAN,
		Summary: "DCGAN on MNIST: samples of fixed noise over training, and the D/G losses, D(x) and D(G(z))",
		Make: func(ctx context.Context, opts experiments.Options) (*Result, error) {
			scorer, err := experiments.SharedFIDScorer(ctx, opts)
			if err != nil {
				return nil, err
			}
			return DCGANSamples(ctx, experiments.DefaultDCGANExperiment(opts.Quick, opts.Seed), scorer, opts)
		}})
	register(Spec{Name: "cgan-samples", Article: articleGAN,
		Summary: "conditional GAN: a 10×10 grid, row = requested digit",
		Make: func(ctx context.Context, opts experiments.Options) (*Result, error) {
			exp := experiments.DefaultMLPGANExperiment(opts.Quick, opts.Seed)
			exp.Conditional = true
			scorer, err := experiments.SharedFIDScorer(ctx, opts)
			if err != nil {
				return nil, err
			}
			return CGANSamples(ctx, exp, scorer, opts)
		}})
}

// scoredGAN is a trained GAN with FIDSamples of its samples and their scores.
type scoredGAN struct {
	t       *experiments.TrainedGAN
	samples [][]float32
	labels  []int32
	q       experiments.SampleQuality
}

// scoreGAN trains (or loads) a GAN and scores its samples with scorer.
func scoreGAN(ctx context.Context, scorer *experiments.FIDScorer, exp experiments.GANExperiment, opts experiments.Options) (*scoredGAN, error) {
	t, err := experiments.TrainGAN(ctx, exp, opts)
	if err != nil {
		return nil, err
	}
	samples, labels, err := t.Samples(experiments.FIDSamples, 1)
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

// Scored is what every GAN figure's JSON says of the mnist_fid scorer.
type Scored struct {
	Scorer map[string]any // its classifier and reference set.
}

func (s Scored) metrics() map[string]any { return maps.Clone(s.Scorer) }

// GANSnapshots is what dcgan-samples measures: samples of fixed noise
// over training, and the final generator's mnist_fid.
type GANSnapshots struct {
	experiments.About
	Scored
	Quality         experiments.SampleQuality // of the final generator's samples.
	Snapshots       []experiments.Snapshot
	Steps           int // generator steps.
	DataName        string
	BatchDependence float64 // see batchDependence.
}

// DCGANSamples shows snapshots of the DCGAN's samples over training and its
// training curves, with mnist_fid of the final generator.
func DCGANSamples(ctx context.Context, exp experiments.GANExperiment, scorer *experiments.FIDScorer, opts experiments.Options) (*Result, error) {
	return drawn(MeasureDCGANSamples(ctx, exp, scorer, opts))
}

// MeasureDCGANSamples trains (or loads) the GAN and scores it.
func MeasureDCGANSamples(ctx context.Context, exp experiments.GANExperiment, scorer *experiments.FIDScorer, opts experiments.Options) (*GANSnapshots, error) {
	sg, err := scoreGAN(ctx, scorer, exp, opts)
	if err != nil {
		return nil, err
	}
	t := sg.t
	deps, err := batchDependence(t.GAN)
	if err != nil {
		return nil, err
	}
	return &GANSnapshots{About: t.About(), Scored: Scored{experiments.FIDMetrics(scorer)}, Quality: sg.q, Snapshots: t.Snapshots,
		Steps: len(t.History.Epochs) * t.History.StepsPerEpoch, DataName: experiments.DataName(t.Train), BatchDependence: deps}, nil
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
	lp, pp, end, err := ganCurves(g.History)
	if err != nil {
		return nil, err
	}
	// The snapshots across the page, the losses and D's outputs below them, each on its own axis.
	fig := &chart.Figure{Title: fmt.Sprintf("DCGAN on %s (mnist_fid %.1f, precision %.2f, recall %.2f)", g.DataName,
		g.Quality.FID, g.Quality.Precision, g.Quality.Recall), Panels: [][]*plot.Plot{{gp}, {lp, pp}},
		RowHeights: []float64{0.5 + 0.33*float64(len(g.Snapshots)), 2.9}}
	fig.Size(6.5, 0.45+0.5+0.33*float64(len(g.Snapshots))+2.9)
	metrics := g.metrics()
	g.Quality.AddTo(metrics, "")
	metrics["steps"] = g.Steps
	metrics["d_at_end"], metrics["d_at_end_note"] = end.values(), end.String()
	metrics["batch_dependence"], metrics["batch_dependence_note"] = g.BatchDependence, batchDependenceNote
	return &Result{Figure: fig, Metrics: metrics, About: g.About}, nil
}

// ganCurves plots, per recorded step, the D and G losses (nats) and, on an
// axis of their own, D's outputs D(x) and D(G(z)) (probabilities), and says
// where D's outputs end.
func ganCurves(h *vaekit.History) (losses, probs *plot.Plot, end dAtEnd, err error) {
	if len(h.Steps) == 0 {
		return nil, nil, end, fmt.Errorf("the GAN's history has no recorded steps")
	}
	series := func(key, name string) chart.Series {
		s := chart.Series{Name: name}
		for _, r := range h.Steps {
			s.X = append(s.X, float64(r.Step))
			s.Y = append(s.Y, r.Metrics[key])
		}
		return s
	}
	dReal, dFake := series("d_real", "D(x)"), series("d_fake", "D(G(z))")
	end = dAtEnd{Real: tailMean(dReal.Y), Fake: tailMean(dFake.Y), Steps: len(dReal.Y) - len(dReal.Y)*9/10}
	if losses, err = (&chart.Lines{Title: "losses", XLabel: "generator step", YLabel: "loss (nats)",
		Series: []chart.Series{series("d_loss", "D loss"), series("g_loss", "G loss")}}).Plot(); err != nil {
		return nil, nil, end, err
	}
	half := chart.Series{Name: "½", X: []float64{dReal.X[0], dReal.X[len(dReal.X)-1]}, Y: []float64{0.5, 0.5}, Dashed: true}
	if probs, err = (&chart.Lines{Title: "D's outputs", XLabel: "generator step", YLabel: "probability",
		Series: []chart.Series{dReal, dFake, half}}).Plot(); err != nil {
		return nil, nil, end, err
	}
	probs.Y.Min, probs.Y.Max = 0, 1
	return losses, probs, end, nil
}

// dAtEnd is where D's outputs end: their means over the last tenth of the
// recorded steps. At the game's equilibrium both are ½ (D cannot tell).
type dAtEnd struct {
	Real, Fake float64
	Steps      int // recorded steps averaged.
}

func (e dAtEnd) values() map[string]float64 {
	return map[string]float64{"d_real": e.Real, "d_fake": e.Fake}
}

// String says where D ended against ½, from the numbers.
func (e dAtEnd) String() string {
	say := "D still tells real from generated"
	switch {
	case math.Abs(e.Real-0.5) < 0.1 && math.Abs(e.Fake-0.5) < 0.1:
		say = "both within 0.1 of ½: D can barely tell real from generated"
	case e.Real > e.Fake:
		say = fmt.Sprintf("D(x) %.2f above D(G(z)) (½ each at the equilibrium): D still tells real from generated", e.Real-e.Fake)
	}
	return fmt.Sprintf("over the last %d recorded steps D(x) averages %.2f and D(G(z)) %.2f; %s", e.Steps, e.Real, e.Fake, say)
}

// tailMean is the mean of ys' last tenth (at least one value).
func tailMean(ys []float64) float64 {
	tail := ys[len(ys)*9/10:]
	sum := 0.0
	for _, y := range tail {
		sum += y
	}
	return sum / float64(len(tail))
}

// ConditionalSamples is what cgan-samples measures: a 10×10 grid (row =
// requested digit, the same noise in each column), mnist_fid, and how often
// the classifier reads the requested digit.
type ConditionalSamples struct {
	experiments.About
	Scored
	Quality           experiments.SampleQuality
	RequestedAccuracy float64
	Images            [][]float32 // row by row.
}

// CGANSamples shows a conditional GAN's 10×10 grid (row = requested digit),
// with mnist_fid and how often the classifier reads the requested digit.
func CGANSamples(ctx context.Context, exp experiments.GANExperiment, scorer *experiments.FIDScorer, opts experiments.Options) (*Result, error) {
	return drawn(MeasureCGANSamples(ctx, exp, scorer, opts))
}

// MeasureCGANSamples trains (or loads) the conditional GAN, scores its
// samples and generates the grid.
func MeasureCGANSamples(ctx context.Context, exp experiments.GANExperiment, scorer *experiments.FIDScorer, opts experiments.Options) (*ConditionalSamples, error) {
	if !exp.Conditional {
		return nil, fmt.Errorf("cgan-samples needs a conditional GAN (GANConfig.Conditional)")
	}
	sg, err := scoreGAN(ctx, scorer, exp, opts)
	if err != nil {
		return nil, err
	}
	t := sg.t
	c := &ConditionalSamples{About: t.About(), Scored: Scored{experiments.FIDMetrics(scorer)}, Quality: sg.q}
	requested := experiments.FlatData("cgan", sg.samples)
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
	c.Quality.AddTo(metrics, "")
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
