package figures

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/chart"
	"github.com/vaekit/vaekit/vaekit/experiments"
	"gonum.org/v1/plot"
)

func init() {
	register(Spec{Name: "ae-vs-pca-recon", Article: articleLecture,
		Summary: "test digits: original, PCA and logistic PCA with 30 components, deep AE 784-1000-500-250-30",
		Make: func(ctx context.Context, opts experiments.Options) (*Result, error) {
			return AEvsPCARecon(ctx, experiments.DefaultAEExperiment(opts.Quick, opts.Seed, 30), opts)
		},
		Compare: []Comparison{{Metric: "mse_per_image", A: "mse_per_image_pca30", B: "mse_per_image_ae", NameA: "PCA", NameB: "deep AE"},
			{Metric: "mse_per_image", A: "mse_per_image_logistic_pca30", B: "mse_per_image_ae", NameA: "logistic PCA", NameB: "deep AE"}}})
	register(Spec{Name: "ae-vs-pca-2d", Article: articleLecture,
		Summary: "2-D codes of the test set: PCA beside a deep AE 784-1000-500-250-2",
		Make: func(ctx context.Context, opts experiments.Options) (*Result, error) {
			return AEvsPCA2D(ctx, experiments.DefaultAEExperiment(opts.Quick, opts.Seed, 2), opts)
		},
		Compare: []Comparison{{Metric: "knn5_accuracy", A: "knn5_accuracy_ae", B: "knn5_accuracy_pca", NameA: "deep AE", NameB: "PCA", Larger: true}}})
	register(Spec{Name: "decoder-generation", Article: articleLecture,
		Summary: "digits decoded from grids of the 2-D code, one change a panel: plain AE, an L2 code penalty, a box around 0",
		Make: func(ctx context.Context, opts experiments.Options) (*Result, error) {
			return DecoderGeneration(ctx, experiments.DefaultAEExperiment(opts.Quick, opts.Seed, 2), experiments.DefaultCodeL2, opts)
		},
		Compare: []Comparison{ // one change each: the penalty (each grid over its codes' box), then the box.
			{Metric: "precision of the grid's decodes", A: "precision_plain", B: "precision_l2", NameA: "plain AE", NameB: "L2 penalty", Larger: true},
			{Metric: "precision of the grid's decodes", A: "precision_l2", B: "precision_l2_2sd", NameA: "codes' box", NameB: "±2σ box", Larger: true}}})
	register(Spec{Name: "denoising", Article: articleLecture,
		Summary: "clean / corrupted / denoised digits for Gaussian and masking noise, and a plain AE on noisy input",
		Make: func(ctx context.Context, opts experiments.Options) (*Result, error) {
			return Denoising(ctx, experiments.DefaultDenoisingExperiment(opts.Quick, opts.Seed), opts)
		},
		Compare: []Comparison{
			{Metric: "mse_per_image (Gaussian noise)", A: "mse_per_image_gaussian_denoised", B: "mse_per_image_gaussian_plain_ae", NameA: "denoising AE", NameB: "plain AE"},
			{Metric: "mse_per_image (masking noise)", A: "mse_per_image_masking_denoised", B: "mse_per_image_masking_plain_ae", NameA: "denoising AE", NameB: "plain AE"}}})
}

// Reconstructions is what ae-vs-pca-recon measures: the mean squared error
// per test image through PCA, logistic PCA and a deep autoencoder with the
// same code size, and the first test images with their reconstructions.
//
// Logistic PCA (Hinton & Salakhutdinov's second baseline) is fitted here as
// a linear encoder and a linear decoder with a logistic output, trained by
// cross-entropy: the deep AE's experiment with its hidden layers removed.
// (Collins et al.'s logistic PCA finds each image's code by optimisation
// instead of a linear map: its error can only be lower or equal.)
type Reconstructions struct {
	experiments.About
	Code                         int
	MSEPCA, MSELogistic, MSEAE   float64
	Originals, PCA, Logistic, AE [][]float32 // the first 10 test images.
}

// logisticPCA is exp's logistic PCA arm: its training (data, loss,
// optimizer, epochs, seed) with vaekit's dense networks of one layer each
// way, a linear code and logits out, whatever networks exp brings (a
// notebook's deep encoder would make the arm a deep autoencoder again).
func logisticPCA(exp experiments.AEExperiment) experiments.AEExperiment {
	exp.Layers = []int{exp.Layers[len(exp.Layers)-1]}
	exp.Encoder, exp.Decoder, exp.Tied = nil, nil, false
	return exp
}

// AEvsPCARecon compares reconstructions by PCA and by a deep autoencoder
// with the same code size, with Hinton & Salakhutdinov's measure.
func AEvsPCARecon(ctx context.Context, exp experiments.AEExperiment, opts experiments.Options) (*Result, error) {
	return drawn(MeasureAEvsPCARecon(ctx, exp, opts))
}

// MeasureAEvsPCARecon trains (or loads) the autoencoder, fits PCA and
// reconstructs the test set with both.
func MeasureAEvsPCARecon(ctx context.Context, exp experiments.AEExperiment, opts experiments.Options) (*Reconstructions, error) {
	t, err := experiments.TrainAE(ctx, exp, opts)
	if err != nil {
		return nil, err
	}
	code := exp.Layers[len(exp.Layers)-1]
	pca, err := vaekit.FitPCA(vaekit.ImageData(t.Train), code)
	if err != nil {
		return nil, err
	}
	logisticExp := logisticPCA(exp)
	logistic, err := experiments.TrainAE(ctx, logisticExp, opts)
	if err != nil {
		return nil, err
	}
	test := vaekit.ImageData(t.Test)
	pcaRecon := pca.Reconstruct(test)
	aeRecon, err := t.AE.Reconstruct(test)
	if err != nil {
		return nil, err
	}
	logisticRecon, err := logistic.AE.Reconstruct(test)
	if err != nil {
		return nil, err
	}
	r := &Reconstructions{About: t.About(), Code: code, PCA: pcaRecon[:10], Logistic: logisticRecon[:10], AE: aeRecon[:10]}
	r.Hyperparameters = map[string]any{"deep_ae": exp, "logistic_pca": logisticExp}
	r.MSEPCA, _ = vaekit.MSEPerImage(test, pcaRecon)
	r.MSELogistic, _ = vaekit.MSEPerImage(test, logisticRecon)
	r.MSEAE, _ = vaekit.MSEPerImage(test, aeRecon)
	for i := range 10 {
		r.Originals = append(r.Originals, t.Test.Image(i))
	}
	return r, nil
}

// Draw is ae-vs-pca-recon: originals above the three reconstructions.
func (r *Reconstructions) Draw() (*Result, error) {
	g := &chart.Grid{Rows: 4, Cols: len(r.Originals), Height: 28, Width: 28, RowLabels: []string{
		"original", fmt.Sprintf("PCA-%d\n(mse %.2f)", r.Code, r.MSEPCA), fmt.Sprintf("logistic\nPCA-%d\n(mse %.2f)", r.Code, r.MSELogistic),
		fmt.Sprintf("deep AE-%d\n(mse %.2f)", r.Code, r.MSEAE)}}
	g.Images = slices.Concat(r.Originals, r.PCA, r.Logistic, r.AE)
	p, err := g.Plot()
	if err != nil {
		return nil, err
	}
	fig := chart.New(fmt.Sprintf("Reconstructions from a %d-number code: PCA, logistic PCA, deep autoencoder", r.Code), p).Size(6.5, 3.0)
	metrics := map[string]any{
		fmt.Sprintf("mse_per_image_pca%d", r.Code):          r.MSEPCA,
		fmt.Sprintf("mse_per_image_logistic_pca%d", r.Code): r.MSELogistic,
		"mse_per_image_ae": r.MSEAE,
		"mse_note":         "sum of squared errors per 28×28 test image, pixels in [0,1], as Hinton & Salakhutdinov (Science 2006)",
		"logistic_pca_note": "a linear encoder and a linear decoder with a logistic output, trained by cross-entropy (the deep AE's experiment without its hidden layers); " +
			"Collins et al.'s logistic PCA optimises each image's code instead, which can only lower the error",
		"comparison": fmt.Sprintf("AE %.2f vs logistic PCA %.2f vs PCA %.2f here; H&S: AE 3.00 vs logistic PCA 8.01 vs PCA 13.87, with RBM pretraining",
			r.MSEAE, r.MSELogistic, r.MSEPCA),
	}
	if r.Code == 30 { // their code size: the numbers compare.
		metrics["reference"] = map[string]any{"source": "Hinton & Salakhutdinov, Science 2006, Fig. 2: a 784-1000-500-250-30 autoencoder pretrained as RBMs; logistic PCA and PCA with 30 components",
			"mse_per_image_ae": 3.00, "mse_per_image_pca30": 13.87, "mse_per_image_logistic_pca30": 8.01}
	}
	return &Result{Figure: fig, Metrics: metrics, About: r.About}, nil
}

// codeScatter draws 2-D codes coloured by class.
func codeScatter(title string, codes [][]float32, labels []int, classNames []string) (*plot.Plot, error) {
	s := &chart.Scatter{Title: title, XLabel: "code[0]", YLabel: "code[1]", ClassNames: classNames, Classes: labels}
	for _, c := range codes {
		s.X = append(s.X, float64(c[0]))
		s.Y = append(s.Y, float64(c[1]))
	}
	return s.Plot()
}

// separation is the 5-NN accuracy of test codes against (up to 10,000)
// training codes: how well digits are separated in the code plane.
func separation(trainCodes [][]float32, train *datasets.ImageSet, testCodes [][]float32, test *datasets.ImageSet) (float64, error) {
	n := min(len(trainCodes), 10000)
	refLabels := make([]int32, n)
	for i := range n {
		refLabels[i] = int32(train.Labels[i])
	}
	qLabels := make([]int32, len(testCodes))
	for i := range qLabels {
		qLabels[i] = int32(test.Labels[i])
	}
	return vaekit.KNNAccuracy(trainCodes[:n], refLabels, testCodes, qLabels, 5)
}

// PlaneCodes is what ae-vs-pca-2d measures: the 2-D codes of the test
// images by PCA and by the autoencoder, and how well each separates the
// classes (5-NN accuracy against training codes).
type PlaneCodes struct {
	experiments.About
	PCA, AE          [][]float32
	KNNPCA, KNNAE    float64
	Labels           []int // of the test images.
	ClassNames       []string
	DataName, Layers string
}

// AEvsPCA2D shows the 2-D codes of PCA and of a deep autoencoder, with
// their 5-NN accuracy as a separation score.
func AEvsPCA2D(ctx context.Context, exp experiments.AEExperiment, opts experiments.Options) (*Result, error) {
	return drawn(MeasureAEvsPCA2D(ctx, exp, opts))
}

// MeasureAEvsPCA2D trains (or loads) the 2-D autoencoder, fits PCA and
// codes the test set with both.
func MeasureAEvsPCA2D(ctx context.Context, exp experiments.AEExperiment, opts experiments.Options) (*PlaneCodes, error) {
	if code := exp.Layers[len(exp.Layers)-1]; code != 2 {
		return nil, fmt.Errorf("ae-vs-pca-2d draws 2-D codes, but the AE's code has %d numbers", code)
	}
	t, err := experiments.TrainAE(ctx, exp, opts)
	if err == nil {
		err = experiments.RequireLabels("ae-vs-pca-2d", t.Test)
	}
	if err != nil {
		return nil, err
	}
	trainData, testData := vaekit.ImageData(t.Train), vaekit.ImageData(t.Test)
	pca, err := vaekit.FitPCA(trainData, 2)
	if err != nil {
		return nil, err
	}
	ref := vaekit.ImageData(t.Train.Subset(10000))
	pcaTrain := pca.Project(ref)
	aeTrain, err := t.AE.Encode(ref)
	if err != nil {
		return nil, err
	}
	c := &PlaneCodes{About: t.About(), PCA: pca.Project(testData), ClassNames: t.Test.ClassNames, DataName: experiments.DataName(t.Test),
		Layers: strings.Trim(strings.ReplaceAll(fmt.Sprint(exp.Layers), " ", "-"), "[]")}
	if c.AE, err = t.AE.Encode(testData); err != nil {
		return nil, err
	}
	if c.KNNPCA, err = separation(pcaTrain, t.Train, c.PCA, t.Test); err != nil {
		return nil, err
	}
	if c.KNNAE, err = separation(aeTrain, t.Train, c.AE, t.Test); err != nil {
		return nil, err
	}
	for _, l := range t.Test.Labels {
		c.Labels = append(c.Labels, int(l))
	}
	return c, nil
}

// Draw is ae-vs-pca-2d: the two scatters side by side.
func (c *PlaneCodes) Draw() (*Result, error) {
	pp, err := codeScatter(fmt.Sprintf("PCA (5-NN accuracy %.1f%%)", 100*c.KNNPCA), c.PCA, c.Labels, c.ClassNames)
	if err != nil {
		return nil, err
	}
	ap, err := codeScatter(fmt.Sprintf("deep AE 784-%s (5-NN accuracy %.1f%%)", c.Layers, 100*c.KNNAE), c.AE, c.Labels, c.ClassNames)
	if err != nil {
		return nil, err
	}
	fig := chart.New(fmt.Sprintf("2-D codes of %d %s test images", len(c.AE), c.DataName), pp, ap).Size(13, 6)
	return &Result{Figure: fig, Metrics: map[string]any{
		"knn5_accuracy_pca": c.KNNPCA, "knn5_accuracy_ae": c.KNNAE,
		"score_note": "5-nearest-neighbour accuracy of the test codes against 10,000 training codes, in the 2-D code plane",
	}, About: c.About}, nil
}

// DecoderGrids is what decoder-generation measures: digits decoded from a
// regular grid of the 2-D code plane, in three panels that each change one
// thing from the one before: a plain autoencoder over the box of its test
// codes; an autoencoder trained with an L2 penalty on its code, over the same
// kind of box; that one again over a box of ±2 standard deviations around 0.
// Each panel's numbers are of a denser grid's decodes over the same box: their
// precision in the mnist_fid classifier's features (the share that lies among
// real digits), and how many of the ten digits the classifier reads in them.
// (Recall says nothing here: a grid's decodes are each other's nearest
// neighbours, so their neighbourhoods hold no real digit.)
type DecoderGrids struct {
	experiments.About
	CodeL2 float64
	Size   int // each drawn grid is Size×Size.
	Scored int // each scored grid is Scored×Scored.
	Grids  []DecoderGrid
	// Real is the precision of as many real training digits: the reference.
	Real experiments.SampleQuality
}

// DecoderGrid is one panel: codes from Lo to Hi, code[0] left to right,
// code[1] bottom to top.
type DecoderGrid struct {
	Name, Title string
	Lo, Hi      [2]float64
	CodeRMS     float64     // root mean square of its model's test codes.
	Images      [][]float32 // row by row.
	Quality     experiments.SampleQuality
	Digits      int // how many of the ten digits the classifier reads among its scored decodes.
}

// DecoderGeneration decodes regular grids of the 2-D code plane of a plain
// autoencoder and of one trained with an L2 penalty on its code (see
// DecoderGrids), and scores each grid's decodes.
func DecoderGeneration(ctx context.Context, exp experiments.AEExperiment, codeL2 float64, opts experiments.Options) (*Result, error) {
	return drawn(MeasureDecoderGeneration(ctx, exp, codeL2, opts))
}

// MeasureDecoderGeneration trains (or loads) both autoencoders, decodes
// their grids and scores them.
func MeasureDecoderGeneration(ctx context.Context, exp experiments.AEExperiment, codeL2 float64, opts experiments.Options) (*DecoderGrids, error) {
	plain, err := experiments.TrainAE(ctx, exp, opts)
	if err != nil {
		return nil, err
	}
	penalised := exp
	penalised.CodeL2 = codeL2
	reg, err := experiments.TrainAE(ctx, penalised, opts)
	if err != nil {
		return nil, err
	}
	scorer, err := experiments.NewFIDScorer(ctx, opts)
	if err != nil {
		return nil, err
	}
	d := &DecoderGrids{CodeL2: codeL2, Size: 12, Scored: 30, About: reg.About()}
	d.Hyperparameters = map[string]any{"plain": exp, "l2": penalised}
	var real [][]float32
	for i := range d.Scored * d.Scored {
		real = append(real, plain.Train.Image(i))
	}
	if d.Real, err = scorer.Quality(real); err != nil {
		return nil, err
	}
	for _, m := range []struct {
		name  string
		t     *experiments.TrainedAE
		box   func(codes [][]float32) (lo, hi [2]float64)
		title string
	}{
		{"plain", plain, percentileBox, "plain AE,\nits codes' 1–99 % box"},
		{"l2", reg, percentileBox, fmt.Sprintf("L2 code penalty %.2g,\nits codes' 1–99 %% box", codeL2)},
		{"l2_2sd", reg, stdBox, fmt.Sprintf("L2 code penalty %.2g,\n±2σ around 0", codeL2)},
	} {
		codes, err := m.t.AE.Encode(vaekit.ImageData(m.t.Test))
		if err != nil {
			return nil, err
		}
		g := DecoderGrid{Name: m.name, Title: m.title, CodeRMS: rms(codes)}
		g.Lo, g.Hi = m.box(codes)
		if g.Images, err = m.t.AE.Decode(gridCodes(g.Lo, g.Hi, d.Size)); err != nil {
			return nil, err
		}
		scored, err := m.t.AE.Decode(gridCodes(g.Lo, g.Hi, d.Scored))
		if err != nil {
			return nil, err
		}
		if g.Quality, err = scorer.Quality(scored); err != nil {
			return nil, err
		}
		read, err := scorer.Classifier.Predict(experiments.FlatData("decodes", scored))
		if err != nil {
			return nil, err
		}
		seen := map[int32]bool{}
		for _, c := range read {
			seen[c] = true
		}
		g.Digits = len(seen)
		d.Grids = append(d.Grids, g)
	}
	return d, nil
}

// gridCodes are the n×n codes of a regular grid from lo to hi, row by row,
// code[1] from the top (hi) down.
func gridCodes(lo, hi [2]float64, n int) [][]float32 {
	var z [][]float32
	for r := range n {
		for c := range n {
			z = append(z, []float32{float32(lerp(lo[0], hi[0], c, n)), float32(lerp(lo[1], hi[1], n-1-r, n))})
		}
	}
	return z
}

// Draw is decoder-generation: the three grids side by side, each titled with
// what it changes, its decodes' precision and the digits read in them.
func (d *DecoderGrids) Draw() (*Result, error) {
	n := d.Size
	var panels []*plot.Plot
	metrics := map[string]any{"code_l2": d.CodeL2, "grid": n, "scored_grid": d.Scored,
		"scored_note": fmt.Sprintf("precision of the %d decodes of a %d×%d grid over the panel's box against as many test digits, in the mnist_fid classifier's features; digits: how many of the ten the classifier reads among them", d.Scored*d.Scored, d.Scored, d.Scored),
		"reference":   map[string]any{"source": fmt.Sprintf("%d real training digits, scored as the decodes", d.Scored*d.Scored)}}
	ref := metrics["reference"].(map[string]any)
	for _, m := range d.Grids {
		title := fmt.Sprintf("%s\nprecision %.2f, digits %d of 10", m.Title, m.Quality.Precision, m.Digits)
		g := &chart.Grid{Title: title, Rows: n, Cols: n, Height: 28, Width: 28, XLabel: "code[0]", YLabel: "code[1]", Images: m.Images}
		for i := 0; i < n; i += 3 {
			g.ColLabels = append(g.ColLabels, fmt.Sprintf("%.1f", lerp(m.Lo[0], m.Hi[0], i, n)), "", "")
			g.RowLabels = append(g.RowLabels, fmt.Sprintf("%.1f", lerp(m.Lo[1], m.Hi[1], n-1-i, n)), "", "")
		}
		p, err := g.Plot()
		if err != nil {
			return nil, err
		}
		panels = append(panels, p)
		metrics["box_"+m.Name] = map[string]any{"lo": m.Lo, "hi": m.Hi}
		metrics["code_rms_"+m.Name] = m.CodeRMS
		metrics["precision_"+m.Name], metrics["digits_"+m.Name] = m.Quality.Precision, m.Digits
		ref["precision_"+m.Name], ref["digits_"+m.Name] = d.Real.Precision, 10
	}
	title := fmt.Sprintf("Generating with the decoder: grids of 2-D codes, one change a panel (real digits: precision %.2f)", d.Real.Precision)
	fig := chart.New(title, panels...).Size(6.5, 3.1)
	return &Result{Figure: fig, Metrics: metrics, About: d.About}, nil
}

func lerp(lo, hi float64, i, n int) float64 { return lo + (hi-lo)*float64(i)/float64(n-1) }

func rms(codes [][]float32) float64 {
	s := 0.0
	for _, c := range codes {
		for _, v := range c {
			s += float64(v) * float64(v)
		}
	}
	return math.Sqrt(s / float64(len(codes)*len(codes[0])))
}

// percentileBox is the box between the 1st and 99th percentiles of each
// code coordinate.
func percentileBox(codes [][]float32) (lo, hi [2]float64) {
	for d := range 2 {
		v := make([]float64, len(codes))
		for i, c := range codes {
			v[i] = float64(c[d])
		}
		slices.Sort(v)
		lo[d], hi[d] = v[len(v)/100], v[len(v)-1-len(v)/100]
	}
	return
}

// stdBox is ±2 standard deviations (around 0) of each code coordinate.
func stdBox(codes [][]float32) (lo, hi [2]float64) {
	for d := range 2 {
		s := 0.0
		for _, c := range codes {
			s += float64(c[d]) * float64(c[d])
		}
		sd := math.Sqrt(s / float64(len(codes)))
		lo[d], hi[d] = -2*sd, 2*sd
	}
	return
}

// Denoised is what the denoising figure measures: per noise, the first
// test images clean, corrupted, denoised by the denoising AE and passed
// through the plain AE, and each one's mean squared error to the clean
// images over the test set.
type Denoised struct {
	experiments.About
	Noises []NoiseResult
}

// NoiseResult is one noise's row of the denoising figure.
type NoiseResult struct {
	Kind                            string
	Level                           float64
	MSENoisy, MSEDenoised, MSEPlain float64
	Clean, Noisy, Denoised, Plain   [][]float32 // the first Show test images.
}

// Denoising trains a plain AE and one denoising AE per noise, and shows
// clean, corrupted, denoised, and the plain AE's output from the corrupted.
func Denoising(ctx context.Context, exp experiments.DenoisingExperiment, opts experiments.Options) (*Result, error) {
	return drawn(MeasureDenoising(ctx, exp, opts))
}

// MeasureDenoising trains (or loads) the three autoencoders and passes the
// corrupted test set through them.
func MeasureDenoising(ctx context.Context, exp experiments.DenoisingExperiment, opts experiments.Options) (*Denoised, error) {
	plain, err := experiments.TrainAE(ctx, exp.AEExperiment, opts)
	if err != nil {
		return nil, err
	}
	d := &Denoised{About: plain.About()}
	d.Hyperparameters = exp
	clean := vaekit.ImageData(plain.Test)
	for _, noise := range []struct {
		kind  string
		level float64
	}{{vaekit.NoiseGaussian, exp.Gaussian}, {vaekit.NoiseMasking, exp.Masking}} {
		dexp := exp.AEExperiment
		dexp.Noise, dexp.NoiseLevel = noise.kind, noise.level
		dae, err := experiments.TrainAE(ctx, dexp, opts)
		if err != nil {
			return nil, err
		}
		noisy, err := dae.AE.Corrupt(clean)
		if err != nil {
			return nil, err
		}
		denoised, err := dae.AE.Reconstruct(noisy)
		if err != nil {
			return nil, err
		}
		plainOut, err := plain.AE.Reconstruct(noisy)
		if err != nil {
			return nil, err
		}
		r := NoiseResult{Kind: noise.kind, Level: noise.level}
		noisyRows := noisy.Rows()
		r.MSENoisy, _ = vaekit.MSEPerImage(clean, noisyRows)
		r.MSEDenoised, _ = vaekit.MSEPerImage(clean, denoised)
		r.MSEPlain, _ = vaekit.MSEPerImage(clean, plainOut)
		show := min(exp.Show, clean.Len())
		r.Clean, r.Noisy, r.Denoised, r.Plain = clean.Rows()[:show], noisyRows[:show], denoised[:show], plainOut[:show]
		d.Noises = append(d.Noises, r)
	}
	return d, nil
}

// Draw is the denoising figure: a panel of four rows per noise, one above
// the other, each titled with its noise.
func (d *Denoised) Draw() (*Result, error) {
	metrics := map[string]any{"mse_note": "sum of squared errors to the clean test image, per image, pixels in [0,1]"}
	fig := &chart.Figure{Title: "Denoising autoencoders: the same digits under two kinds of noise"}
	for _, r := range d.Noises {
		metrics["mse_per_image_"+r.Kind+"_noisy"] = r.MSENoisy
		metrics["mse_per_image_"+r.Kind+"_denoised"] = r.MSEDenoised
		metrics["mse_per_image_"+r.Kind+"_plain_ae"] = r.MSEPlain
		title := fmt.Sprintf("Gaussian noise, σ = %.2g", r.Level)
		if r.Kind == "masking" {
			title = fmt.Sprintf("masking noise, %.0f %% of the pixels set to 0", 100*r.Level)
		}
		g := &chart.Grid{Title: title, Rows: 4, Cols: len(r.Clean), Height: 28, Width: 28, RowLabels: []string{
			"clean", fmt.Sprintf("noisy\n(mse %.1f)", r.MSENoisy),
			fmt.Sprintf("denoising AE\n(mse %.1f)", r.MSEDenoised), fmt.Sprintf("plain AE\n(mse %.1f)", r.MSEPlain)}}
		g.Images = slices.Concat(r.Clean, r.Noisy, r.Denoised, r.Plain)
		p, err := g.Plot()
		if err != nil {
			return nil, err
		}
		p.Y.Tick.Label.Font.Size = 9
		fig.Panels = append(fig.Panels, []*plot.Plot{p})
	}
	fig.Size(6.5, 7.4)
	return &Result{Figure: fig, Metrics: metrics, About: d.About}, nil
}
