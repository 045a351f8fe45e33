package figures

// gan-k-steps and gan-loss-saturation: how two of the GAN's training
// choices (discriminator steps per generator step, the generator's loss)
// change what it learns.

import (
	"context"
	"fmt"
	"image/color"
	"slices"
	"strconv"
	"strings"

	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/chart"
	"github.com/vaekit/vaekit/vaekit/experiments"
	"gonum.org/v1/plot"
)

func init() {
	register(Spec{Name: "gan-k-steps", Article: articleGAN,
		Summary: "sample quality (mnist_fid) against k discriminator steps per generator step",
		Make: func(ctx context.Context, opts experiments.Options) (*Result, error) {
			scorer, err := experiments.SharedFIDScorer(ctx, opts)
			if err != nil {
				return nil, err
			}
			return GANKSteps(ctx, experiments.DefaultMLPGANExperiment(opts.Quick, opts.Seed), []int{1, 2, 5}, scorer, opts)
		},
		Compare: append(qualityComparisons("_k1", "k = 1", "_k2", "k = 2"), qualityComparisons("_k2", "k = 2", "_k5", "k = 5")...)})
	register(Spec{Name: "gan-loss-saturation", Article: articleGAN,
		Summary: "generator gradient against D(G(z)) for log(1−D(G(z))) and −log D(G(z)): closed forms and a real run",
		Make: func(ctx context.Context, opts experiments.Options) (*Result, error) {
			scorer, err := experiments.SharedFIDScorer(ctx, opts)
			if err != nil {
				return nil, err
			}
			return GANLossSaturation(ctx, experiments.DefaultMLPGANExperiment(opts.Quick, opts.Seed), scorer, opts)
		},
		Compare: qualityComparisons("_saturating", "saturating", "_non-saturating", "non-saturating")})
}

// KSteps is what gan-k-steps measures: for each k, the mnist_fid of a GAN
// trained with k discriminator steps per generator step, and 10 samples.
type KSteps struct {
	experiments.About
	Scored
	Ks             []int
	Quality        []experiments.SampleQuality // for each k.
	Samples        [][][]float32               // 10 for each k.
	GeneratorSteps []int                       // for each k, as its run did them.
}

// GANKSteps trains the same GAN with k discriminator steps per generator
// step, for each k, with the same number of generator steps (so k times
// the discriminator updates and data), and scores each with mnist_fid.
func GANKSteps(ctx context.Context, exp experiments.GANExperiment, ks []int, scorer *experiments.FIDScorer, opts experiments.Options) (*Result, error) {
	return drawn(MeasureGANKSteps(ctx, exp, ks, scorer, opts))
}

// MeasureGANKSteps trains (or loads) and scores one GAN per k.
func MeasureGANKSteps(ctx context.Context, exp experiments.GANExperiment, ks []int, scorer *experiments.FIDScorer, opts experiments.Options) (*KSteps, error) {
	if len(ks) == 0 {
		return nil, fmt.Errorf("gan-k-steps needs at least one k")
	}
	m := &KSteps{Scored: Scored{experiments.FIDMetrics(scorer)}, Ks: ks}
	for _, k := range ks {
		e := exp
		e.DSteps, e.Epochs = k, exp.Epochs*k // an epoch has k× fewer generator steps.
		sg, err := scoreGAN(ctx, scorer, e, opts)
		if err != nil {
			return nil, err
		}
		m.Quality = append(m.Quality, sg.q)
		m.Samples = append(m.Samples, sg.samples[:10])
		m.About = sg.t.About()
		m.GeneratorSteps = append(m.GeneratorSteps, len(sg.t.History.Epochs)*sg.t.History.StepsPerEpoch)
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
		m.Quality[i].AddTo(metrics, fmt.Sprintf("_k%d", k))
		line.X, line.Y = append(line.X, float64(k)), append(line.Y, m.Quality[i].FID)
		grid.Images = append(grid.Images, m.Samples[i]...)
		grid.RowLabels = append(grid.RowLabels, fmt.Sprintf("k = %d\n(FID %.1f)", k, m.Quality[i].FID))
	}
	line.PointsOnly = true // measured at these k only: no line through the others.
	lp, err := (&chart.Lines{Title: "sample quality against k", XLabel: "k (discriminator steps per generator step)",
		YLabel: "mnist_fid (lower is better)", Series: []chart.Series{line}}).Plot()
	if err != nil {
		return nil, err
	}
	var ticks plot.ConstantTicks // every k labelled.
	for _, k := range m.Ks {
		ticks = append(ticks, plot.Tick{Value: float64(k), Label: strconv.Itoa(k)})
	}
	lp.X.Tick.Marker = ticks
	gp, err := grid.Plot()
	if err != nil {
		return nil, err
	}
	steps := fmt.Sprintf("%d generator steps each", m.GeneratorSteps[0])
	if slices.Min(m.GeneratorSteps) != slices.Max(m.GeneratorSteps) {
		var each []string
		for _, n := range m.GeneratorSteps {
			each = append(each, strconv.Itoa(n))
		}
		steps = strings.Join(each, ", ") + " generator steps"
	}
	metrics["generator_steps"] = m.GeneratorSteps
	// The curve above the samples, a row of digits a k, across the page.
	fig := &chart.Figure{Title: fmt.Sprintf("k discriminator steps per generator step (%s)", steps),
		Panels: [][]*plot.Plot{{lp}, {gp}}, RowHeights: []float64{2.6, 0.4 + 0.62*float64(len(m.Ks))}}
	fig.Size(6.5, 0.45+2.6+0.4+0.62*float64(len(m.Ks)))
	return &Result{Figure: fig, Metrics: metrics, About: m.About}, nil
}

// Saturation is what gan-loss-saturation measures: one run trained with
// each generator loss, its probes (D(G(z)) and both losses' gradients on
// fixed noise during training) and its mnist_fid.
type Saturation struct {
	experiments.About
	Scored
	Runs []SaturationRun
}

// SaturationRun is one generator loss's run.
type SaturationRun struct {
	Loss            string
	Quality         experiments.SampleQuality
	Probes          []experiments.Probe
	MeanD, MeanGrad float64 // over every probe, of D(G(z)) and of this loss's gradient at D's logit.
	MeanGenGrad     float64 // over every probe, of the norm of this loss's gradient at the generator's parameters.
}

// grad is the run's own loss's gradient at D's logit in a probe.
func (r *SaturationRun) grad(p experiments.Probe) []float32 {
	if r.Loss == vaekit.Saturating {
		return p.Saturating
	}
	return p.NonSat
}

// genGrad is the norm of the run's own loss's gradient at the generator's parameters in a probe.
func (r *SaturationRun) genGrad(p experiments.Probe) float64 {
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
func GANLossSaturation(ctx context.Context, exp experiments.GANExperiment, scorer *experiments.FIDScorer, opts experiments.Options) (*Result, error) {
	return drawn(MeasureGANLossSaturation(ctx, exp, scorer, opts))
}

// MeasureGANLossSaturation trains (or loads) and scores a GAN with each
// generator loss.
func MeasureGANLossSaturation(ctx context.Context, exp experiments.GANExperiment, scorer *experiments.FIDScorer, opts experiments.Options) (*Saturation, error) {
	s := &Saturation{Scored: Scored{experiments.FIDMetrics(scorer)}}
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
		s.About = sg.t.About()
	}
	s.Hyperparameters = exp
	return s, nil
}

// lossColor is each generator loss's colour, the same in every panel.
var lossColor = map[string]color.Color{vaekit.Saturating: chart.ClassColor(0), vaekit.NonSaturating: chart.ClassColor(1)}

// maxGradPoints bounds the measured points a loss gets in the first panel.
const maxGradPoints = 400

// Draw is gan-loss-saturation: article 003's two gradient curves against
// D(G(z)) (the closed forms, and the values measured through the graph on
// fixed noise during both runs), then the theory's ratio at the generator's
// parameters with the measured ones, the gradient that reached each
// generator, and D(G(z)), over training. Each loss has one colour throughout.
func (s *Saturation) Draw() (*Result, error) {
	black := color.Black
	theory := chart.Series{Name: "closed form D/(1−D)", Color: black}
	for i := 1; i < 100; i++ {
		d := float64(i) / 100
		theory.X, theory.Y = append(theory.X, d), append(theory.Y, d/(1-d))
	}
	// The article's curves: |∂loss/∂logit| is D for log(1 − D) and 1 − D for −log D.
	curves := []chart.Series{
		{Name: "log(1−D), saturating: D", X: []float64{0, 1}, Y: []float64{0, 1}, Color: lossColor[vaekit.Saturating]},
		{Name: "−log D, non-sat.: 1−D", X: []float64{0, 1}, Y: []float64{1, 0}, Color: lossColor[vaekit.NonSaturating], Dashed: true},
	}
	measured := map[string]*chart.Series{
		vaekit.Saturating:    {Name: "measured, saturating", PointsOnly: true, Color: lossColor[vaekit.Saturating]},
		vaekit.NonSaturating: {Name: "measured, non-sat.", PointsOnly: true, Color: lossColor[vaekit.NonSaturating]},
	}
	total := 0
	for _, r := range s.Runs {
		for _, p := range r.Probes {
			total += len(p.DOfG)
		}
	}
	stride := max(1, total/maxGradPoints)
	k := 0
	for _, r := range s.Runs {
		for _, p := range r.Probes {
			for i, d := range p.DOfG {
				if k++; k%stride != 0 || i >= len(p.Saturating) || i >= len(p.NonSat) {
					continue
				}
				for loss, g := range map[string]float32{vaekit.Saturating: p.Saturating[i], vaekit.NonSaturating: p.NonSat[i]} {
					m := measured[loss]
					m.X, m.Y = append(m.X, float64(d)), append(m.Y, float64(g))
				}
			}
		}
	}
	curves = append(curves, *measured[vaekit.Saturating], *measured[vaekit.NonSaturating])

	ratios := []chart.Series{theory}
	var norms, dOfG []chart.Series
	metrics := s.metrics()
	gradNorms := map[string]any{}
	for _, r := range s.Runs {
		label := fmt.Sprintf("%s (FID %.1f)", r.Loss, r.Quality.FID)
		dashed := r.Loss == vaekit.NonSaturating
		c := lossColor[r.Loss]
		ratio := chart.Series{Name: r.Loss + " run", PointsOnly: true, Color: c}
		norm, d := chart.Series{Name: label, Dashed: dashed, Color: c}, chart.Series{Name: label, Dashed: dashed, Color: c}
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
		r.Quality.AddTo(metrics, "_"+r.Loss)
	}
	metrics["generator_grad_norm"] = gradNorms
	gp, err := (&chart.Lines{Title: "gradient at D's logit", XLabel: "D(G(z))", YLabel: "|∂ loss / ∂ logit|",
		Series: curves, Legend: chart.TopLeft}).Plot()
	if err != nil {
		return nil, err
	}
	gp.X.Min, gp.X.Max, gp.Y.Min, gp.Y.Max = 0, 1, 0, 1
	rp, err := (&chart.Lines{Title: "sat. ÷ non-sat. at G's parameters", XLabel: "mean D(G(z))",
		YLabel: "ratio of gradient norms", Series: ratios, LogY: true, Legend: chart.TopLeft}).Plot()
	if err != nil {
		return nil, err
	}
	np, err := (&chart.Lines{Title: "gradient reaching the generator", XLabel: "generator step",
		YLabel: "‖∂ loss / ∂ G's weights‖", Series: norms, LogY: true, Points: true}).Plot()
	if err != nil {
		return nil, err
	}
	dp, err := (&chart.Lines{Title: "D(G(z)) on fixed noise", XLabel: "generator step", YLabel: "mean D(G(z))",
		Series: dOfG, Points: true}).Plot()
	if err != nil {
		return nil, err
	}
	dp.Y.Min, dp.Y.Max = 0, 1
	metrics["note"] = "article 003's curves: the gradient of each generator loss at D's logit is D(G(z)) for log(1 − D(G(z))) and 1 − D(G(z)) for −log D(G(z)); the points are those gradients measured through the graph on 64 fixed codes during both runs. Then, at the generator's parameters: for one code, both losses' gradients reach the generator through D's logit, scaled by D(G(z)) (saturating) and 1 − D(G(z)) (non-saturating), so their norms' ratio is D/(1 − D); the measured ratio is over the 64 codes. generator_grad_norm is the norm of each run's own loss's gradient at all of the generator's parameters. Adam divides each step by a running RMS of the gradient, so a uniformly smaller gradient slows it far less than it would slow SGD."
	fig := &chart.Figure{Title: "Saturating vs non-saturating generator loss", Panels: [][]*plot.Plot{{gp, rp}, {np, dp}}}
	fig.Size(6.5, 6.6)
	return &Result{Figure: fig, Metrics: metrics, About: s.About}, nil
}
