package figures

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/chart"
	"github.com/vaekit/vaekit/vaekit/experiments"
)

// expect is what each figure's files must show.
var expect = map[string]struct {
	metrics []string // keys of metrics in NAME.json
	texts   []string // texts in NAME.svg (titles, legends, labels)
	minW    int      // smallest PNG width in pixels (at most 975: 6.5 in, chart.PrintWidth, at 150 dpi)
}{
	"vae-latent-scatter":  {[]string{"test_elbo_nats", "test_recon_nats", "test_kl_nats", "input", "test_nll_iw_nats", "nll_iw_samples", "reference"}, []string{"z[0]", "z[1]", "0", "9"}, 900},
	"vae-manifold":        {[]string{"test_elbo_nats", "grid_size", "grid_x", "grid_y"}, []string{"z[0]", "z[1]"}, 975},
	"ae-vs-pca-recon":     {[]string{"mse_per_image_pca30", "mse_per_image_logistic_pca30", "mse_per_image_ae", "reference", "comparison"}, []string{"original"}, 975},
	"ae-vs-pca-2d":        {[]string{"knn5_accuracy_pca", "knn5_accuracy_ae"}, []string{"code[0]", "code[1]", "0", "9"}, 975},
	"decoder-generation":  {[]string{"code_l2", "box_plain", "box_l2", "box_l2_2sd", "precision_plain", "digits_l2_2sd", "reference"}, []string{"code[0]", "code[1]", "plain AE,", "±2σ around 0"}, 975},
	"denoising":           {[]string{"mse_per_image_gaussian_noisy", "mse_per_image_gaussian_denoised", "mse_per_image_gaussian_plain_ae", "mse_per_image_masking_denoised"}, []string{"clean", "denoising AE"}, 975},
	"pretraining":         {[]string{"pretraining_gain_points", "pretraining_stages", "test_accuracy_pretrained_100_labels", "test_accuracy_random_100_labels"}, []string{"pretrained, then fine-tuned", "random init", "test accuracy (fraction correct)"}, 975},
	"dcgan-samples":       {[]string{"mnist_fid", "kid", "precision", "recall", "fid_classifier_test_accuracy", "fid_samples", "batch_dependence", "reference", "d_at_end", "d_at_end_note"}, []string{"D loss", "G loss", "D(x)", "D(G(z))", "generator step"}, 975},
	"cgan-samples":        {[]string{"mnist_fid", "kid", "precision", "recall", "requested_label_accuracy", "reference"}, []string{"requested digit", "9"}, 975},
	"gan-k-steps":         {[]string{"mnist_fid_k1", "mnist_fid_k2", "mnist_fid_k5", "precision_k1", "recall_k5", "reference"}, []string{"mnist_fid (lower is better)", "k = 1"}, 975},
	"gan-loss-saturation": {[]string{"mean_d_of_g_saturating", "mean_grad_non-saturating", "mnist_fid_saturating", "mnist_fid_non-saturating", "generator_grad_norm", "mean_generator_grad_norm_saturating"}, []string{"mean D(G(z))", "closed form D/(1−D)", "generator step", "gradient reaching the generator", "measured, saturating"}, 975},
	"vae-vs-gan-samples":  {[]string{"mnist_fid_vae", "mnist_fid_dcgan", "kid_vae", "precision_dcgan", "recall_dcgan", "vae_test_elbo_nats", "mnist_fid_vae_dcgan_networks", "batch_dependence", "pairs", "reference"}, []string{"dense VAE, 2-D z", "conv VAE, 100-D z", "DCGAN, 100-D z"}, 975},
	"dcgan-latent-walk":   {[]string{"class_counts_in_pool", "arithmetic_read_as", "batch_dependence"}, []string{"interpolation", "class means 0–9"}, 975},
	"conv-ae":             {[]string{"mse_per_image_locations", "mse_per_image_copy", "mse_per_image_upsample", "mse_per_image_narrow_upsample", "code_size", "location_bits", "ranking"}, []string{"original"}, 975},
	"unpooling":           {[]string{"deconv_vs_conv_max_abs_diff", "unpooled_nonzero_pixels"}, []string{"after 2×2 max", "locations", "copy-to-all", "output position"}, 975},
	"ae-vs-jpeg":          {[]string{"mnist", "fashion", "psnr_note", "bytes_note"}, []string{"bytes per image", "PSNR (dB)", "JPEG, payload only", "original"}, 975},
	"image-search":        {[]string{"mse_per_image", "mse_per_image_training", "folds", "precision_at_1_pixels", "precision_at_1_ae", "precision_at_9_pca30"}, []string{"precision@k", "k nearest faces", "query", "face", "AE"}, 975},
	"text-retrieval":      {[]string{"precision_at_recall_0.1_ae", "precision_at_recall_0.5_lsa", "precision_at_recall_0.1_tfidf", "recalls"}, []string{"recall", "precision", "LSA, 2 dimensions", "sci.space"}, 975},
	"vae-training-curves": {[]string{"final_recon_nats", "final_kl_nats", "final_test_recon_nats", "final_test_kl_nats"}, []string{"epoch", "test", "train (batch mean)"}, 975},
}

func setData(t *testing.T) {
	if os.Getenv(datasets.DataEnv) == "" {
		t.Setenv(datasets.DataEnv, filepath.Join("..", "..", "..", "shared", "datasets"))
	}
}

// TestQuickFigures makes every figure of the catalogue in quick mode, as CI
// and `vaekit figures --quick all` do, and checks what its files contain.
func TestQuickFigures(t *testing.T) {
	setData(t)
	out := t.TempDir()
	opts := experiments.Options{Quick: true, Out: out, Models: os.Getenv(vaekit.ModelsEnv)}
	if opts.Models == "" {
		opts.Models = t.TempDir()
	}
	for _, spec := range All() {
		t.Run(spec.Name, func(t *testing.T) {
			want, ok := expect[spec.Name]
			if !ok {
				t.Fatalf("figure %s has no expectations in this test", spec.Name)
			}
			rec, _, err := Run(context.Background(), spec.Name, opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %.1fs on %s, metrics %v", spec.Name, rec.WallSeconds, rec.Backend, rec.Metrics)
			raw, err := os.ReadFile(filepath.Join(out, spec.Name+".png"))
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("%s.png: %v", spec.Name, err)
			}
			if img.Bounds().Dx() < want.minW {
				t.Errorf("%s.png is %d pixels wide, want at least %d", spec.Name, img.Bounds().Dx(), want.minW)
			}
			svg, err := os.ReadFile(filepath.Join(out, spec.Name+".svg"))
			if err != nil {
				t.Fatal(err)
			}
			if err := chart.CheckPrint(svg); err != nil {
				t.Errorf("%s.svg: %v", spec.Name, err)
			}
			for _, text := range want.texts {
				if !strings.Contains(string(svg), ">"+text+"<") {
					t.Errorf("%s.svg does not show %q", spec.Name, text)
				}
			}
			var got map[string]any
			raw, err = os.ReadFile(filepath.Join(out, spec.Name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatalf("%s.json: %v", spec.Name, err)
			}
			for _, key := range []string{"name", "hyperparameters", "dataset", "backend", "seed", "wall_seconds", "metrics"} {
				if _, ok := got[key]; !ok {
					t.Errorf("%s.json lacks %q", spec.Name, key)
				}
			}
			metrics, _ := got["metrics"].(map[string]any)
			for _, key := range want.metrics {
				if _, ok := metrics[key]; !ok {
					t.Errorf("%s.json lacks the metric %q", spec.Name, key)
				}
			}
			checkReference(t, spec.Name, metrics)
			if check := numberChecks[spec.Name]; check != nil {
				check(t, metrics)
			}
			if got["quick"] != true || got["name"] != spec.Name {
				t.Errorf("%s.json: quick=%v name=%v", spec.Name, got["quick"], got["name"])
			}
			// The runs it names are model directories with their keys; only unpooling trains nothing.
			if len(rec.Runs) == 0 && spec.Name != "unpooling" {
				t.Errorf("%s.json names no runs", spec.Name)
			}
			for _, run := range rec.Runs {
				if _, err := vaekit.ReadRun(filepath.Join(opts.Models, run)); err != nil {
					t.Errorf("%s.json names run %s: %v", spec.Name, run, err)
				}
			}
			if strings.HasPrefix(spec.Name, "gan-") || strings.HasPrefix(spec.Name, "dcgan-") {
				if !slices.ContainsFunc(rec.Runs, func(r string) bool { return strings.HasPrefix(r, "mnist-classifier-") }) {
					t.Errorf("%s.json's runs %v lack the mnist_fid classifier's", spec.Name, rec.Runs)
				}
			}
		})
	}
}

// numberChecks check a quick figure's numbers from its JSON, where no test
// of its own makes the figure again.
var numberChecks = map[string]func(t *testing.T, metrics map[string]any){
	"text-retrieval": textRetrievalNumbers,
}

// checkReference checks a figure's reference (see Result.References): it
// names its source, and where the reference is a bound (the grey targets'
// entropy under the reconstruction term) or real data (which a quick GAN's
// samples do not match), this run's numbers lie on the right side of it.
func checkReference(t *testing.T, name string, metrics map[string]any) {
	ref, ok := metrics["reference"].(map[string]any)
	if !ok {
		return
	}
	if s, _ := ref["source"].(string); s == "" {
		t.Errorf("%s.json: reference without a source: %v", name, ref)
	}
	lines := (&Result{Metrics: metrics}).References()
	if measured := len(lines) - 1 - strings.Count(strings.Join(lines, "\n"), "not measured here"); measured < 1 {
		t.Errorf("%s: reference lines %q: want a reference beside this run's number", name, lines)
	}
	worse := func(key string, higherIsWorse bool) {
		want, _ := ref[key].(float64)
		for k, v := range metrics {
			if k == key || (strings.HasPrefix(k, key+"_") && !strings.HasPrefix(k, key+"_std")) {
				if got, _ := v.(float64); (got < want) == higherIsWorse {
					t.Errorf("%s.json: %s = %.3g beyond its reference %.3g (%s)", name, k, got, want, ref["source"])
				}
			}
		}
	}
	if _, ok := ref["test_recon_nats"]; ok {
		worse("test_recon_nats", true) // a cross-entropy is never below the entropy.
	}
	if _, ok := ref["mnist_fid"]; ok {
		worse("mnist_fid", true) // a quick GAN is farther from the test digits than real digits are.
	}
}

// TestConvAEFigureNumbers checks the quick conv-AE figures' numbers: every
// decoder reconstructs well, and the 1-D deconvolution equals the convolution.
func TestConvAEFigureNumbers(t *testing.T) {
	setData(t)
	opts := experiments.Options{Quick: true, Models: os.Getenv(vaekit.ModelsEnv)}
	if opts.Models == "" {
		opts.Models = t.TempDir()
	}
	res, err := ConvAEFigure(context.Background(), experiments.DefaultConvAEExperiment(true, 0), opts)
	if err != nil {
		t.Fatal(err)
	}
	codeSizes := res.Metrics["code_size"].(map[string]int)
	for _, key := range []string{"locations", "copy", "upsample", "narrow_locations", "narrow_copy", "narrow_upsample"} {
		mse := res.Metrics["mse_per_image_"+key].(float64)
		t.Logf("quick conv AE, %s: code %d numbers, mse_per_image %.2f", key, codeSizes[key], mse)
		// PCA with 30 components gives about 14; a blank output about 100. The narrow code (392 numbers)
		// learns slower: after the quick run's 60 steps its unpool-to-locations decoder was at 38.
		limit := 30.0
		if strings.HasPrefix(key, "narrow_") {
			limit = 60
		}
		if mse <= 0 || mse > limit {
			t.Errorf("%s: mse_per_image %.2f out of range (0, %g]", key, mse, limit)
		}
	}
	// The wide code is 7·7·64 numbers, four times the image; the narrow one 7·7·8, half of it. Unpooling to the
	// recorded locations also gives its decoder 2 bits per pooled value: 2·(14·14·32 + 7·7·C).
	bits := res.Metrics["location_bits"].(map[string]int)
	if codeSizes["locations"] != 3136 || codeSizes["narrow_upsample"] != 392 || bits["narrow_locations"] != 2*(6272+392) || bits["narrow_copy"] != 0 {
		t.Errorf("code sizes %v, location bits %v", codeSizes, bits)
	}
	t.Logf("rankings: %v", res.Metrics["ranking"])
	tc, err := experiments.TrainConvAE(context.Background(), experiments.DefaultConvAEExperiment(true, 0), vaekit.UnpoolLocations, opts)
	if err != nil {
		t.Fatal(err)
	}
	un, err := UnpoolingFigure(tc)
	if err != nil {
		t.Fatal(err)
	}
	if d := un.Metrics["deconv_vs_conv_max_abs_diff"].(float64); d > 1e-12 {
		t.Errorf("deconvolution and convolution differ by %g", d)
	}
	if nz := un.Metrics["unpooled_nonzero_pixels"].(int); nz == 0 || nz > un.Metrics["pooled_pixels"].(int) {
		t.Errorf("unpooling to locations has %d non-zero pixels for %d pooled ones", nz, un.Metrics["pooled_pixels"])
	}
}

// TestAutoencoderFigureNumbers checks what the quick autoencoder figures
// must show whatever the noise of a short run: the deep AE beats PCA with
// the same code size, its 2-D codes separate digits better, and denoising
// AEs denoise better than a plain AE.
func TestAutoencoderFigureNumbers(t *testing.T) {
	setData(t)
	ctx := context.Background()
	opts := experiments.Options{Quick: true, Models: os.Getenv(vaekit.ModelsEnv)}
	if opts.Models == "" {
		opts.Models = t.TempDir()
	}
	recon, err := AEvsPCARecon(ctx, experiments.DefaultAEExperiment(true, 0, 30), opts)
	if err != nil {
		t.Fatal(err)
	}
	ae, pca := recon.Metrics["mse_per_image_ae"].(float64), recon.Metrics["mse_per_image_pca30"].(float64)
	t.Logf("quick: AE-30 mse %.2f, PCA-30 mse %.2f", ae, pca)
	if !(ae < pca) || pca < 10 || pca > 20 {
		t.Errorf("AE-30 %.2f should beat PCA-30 %.2f (≈ 14)", ae, pca)
	}
	// Logistic PCA, a linear map each way with a logistic output: 8.1 at full settings (H&S: 8.01); quick, 3
	// epochs leave it far from converged, but it must reconstruct better than an image of zeros (about 100).
	if lp := recon.Metrics["mse_per_image_logistic_pca30"].(float64); !(lp > ae) || lp > 60 {
		t.Errorf("logistic PCA-30 %.2f: want worse than the deep AE's %.2f and far below 100", lp, ae)
	}
	two, err := AEvsPCA2D(ctx, experiments.DefaultAEExperiment(true, 0, 2), opts)
	if err != nil {
		t.Fatal(err)
	}
	if a, p := two.Metrics["knn5_accuracy_ae"].(float64), two.Metrics["knn5_accuracy_pca"].(float64); !(a > p) || p < 0.2 {
		t.Errorf("2-D codes: AE 5-NN accuracy %.3f should beat PCA's %.3f", a, p)
	}
	den, err := Denoising(ctx, experiments.DefaultDenoisingExperiment(true, 0), opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, noise := range []string{"gaussian", "masking"} {
		noisy := den.Metrics["mse_per_image_"+noise+"_noisy"].(float64)
		denoised := den.Metrics["mse_per_image_"+noise+"_denoised"].(float64)
		plain := den.Metrics["mse_per_image_"+noise+"_plain_ae"].(float64)
		if !(denoised < plain && denoised < noisy) {
			t.Errorf("%s: denoised %.1f should beat the plain AE %.1f and the noisy input %.1f", noise, denoised, plain, noisy)
		}
	}
	if _, err := AEvsPCA2D(ctx, experiments.DefaultAEExperiment(true, 0, 30), opts); err == nil {
		t.Error("ae-vs-pca-2d accepted a 30-D code")
	}
}

// TestVAEFigureNumbers checks that the quick VAE learned something a reader
// would recognise: an ELBO far better than chance, a KL that is used.
func TestVAEFigureNumbers(t *testing.T) {
	setData(t)
	opts := experiments.Options{Quick: true, Models: os.Getenv(vaekit.ModelsEnv)}
	if opts.Models == "" {
		opts.Models = t.TempDir()
	}
	tv, err := experiments.TrainVAE(context.Background(), experiments.DefaultVAEExperiment(true, 0), opts)
	if err != nil {
		t.Fatal(err)
	}
	e := tv.TestELBO
	t.Logf("quick VAE: test ELBO %.2f nats (recon %.2f, KL %.2f)", e.ELBO, e.Recon, e.KL)
	if e.ELBO < -200 || e.ELBO > -120 || e.KL < 2 || e.KL > 15 || e.N != 10000 {
		t.Errorf("quick VAE test ELBO out of the expected range: %+v", e)
	}
	nll, err := tv.TestNLL()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("quick VAE: nll_iw %.2f nats (k = %d, %d images), −ELBO %.2f", nll.NLL, nll.Samples, nll.Images, -e.ELBO)
	if nll.Samples != experiments.NLLSamples(true) || nll.Images != 10000 || nll.NLL > -e.ELBO || nll.NLL < -e.ELBO-20 {
		t.Errorf("quick VAE nll_iw %+v: want k = %d on the 10,000 test images, below −ELBO %.2f by less than 20 nats", nll, experiments.NLLSamples(true), -e.ELBO)
	}
	// Loaded again, the estimate comes from the model's directory: the same number.
	again, err := experiments.TrainVAE(context.Background(), experiments.DefaultVAEExperiment(true, 0), opts)
	if err != nil {
		t.Fatal(err)
	}
	if saved, err := again.TestNLL(); err != nil || saved != nll {
		t.Errorf("nll_iw of the loaded VAE: %+v (%v), first %+v", saved, err, nll)
	}
	// A 3-D model is drawn on the principal plane of its codes: orthonormal
	// axes, the first with the larger variance; a 1-D model says why not.
	exp := experiments.DefaultVAEExperiment(true, 0)
	exp.Latent, exp.Epochs, exp.TrainSize = 3, 1, 1000
	t3, err := experiments.TrainVAE(context.Background(), exp, opts)
	if err != nil {
		t.Fatal(err)
	}
	pl, err := t3.Plane("test")
	if err != nil {
		t.Fatal(err)
	}
	dot := func(a, b []float32) (s float64) {
		for i := range a {
			s += float64(a[i] * b[i])
		}
		return s
	}
	if math.Abs(dot(pl.Axes[0], pl.Axes[0])-1) > 1e-4 || math.Abs(dot(pl.Axes[1], pl.Axes[1])-1) > 1e-4 ||
		math.Abs(dot(pl.Axes[0], pl.Axes[1])) > 1e-4 {
		t.Errorf("the principal plane's axes are not orthonormal: %v", pl.Axes)
	}
	var v [2]float64
	for _, c := range pl.Codes {
		x, y := pl.Project(c)
		v[0] += x * x
		v[1] += y * y
	}
	if v[0] < v[1] || !strings.Contains(pl.Labels[0], "principal direction 1") {
		t.Errorf("the first principal direction has less spread (%.1f) than the second (%.1f); labels %q", v[0], v[1], pl.Labels)
	}
	if _, err := VAELatentScatter(t3); err != nil {
		t.Errorf("latent scatter of a 3-D VAE: %v", err)
	}
	if _, err := VAEManifold(t3, 4); err != nil {
		t.Errorf("manifold of a 3-D VAE: %v", err)
	}
	if _, err := VAETrainingCurves(t3); err != nil {
		t.Errorf("training curves of a 3-D VAE: %v", err)
	}
	exp.Latent = 1
	t1, err := experiments.TrainVAE(context.Background(), exp, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VAEManifold(t1, 4); err == nil || !strings.Contains(err.Error(), "1-D latent space") {
		t.Errorf("manifold of a 1-D VAE: %v", err)
	}
}

// TestGANFigureNumbers checks mnist_fid's classifier and scale: at least
// 98 % test accuracy, real digits close to the test set, the quick DCGAN
// farther away, and the GAN's generator steps leaving samples in [0, 1].
func TestGANFigureNumbers(t *testing.T) {
	setData(t)
	ctx := context.Background()
	opts := experiments.Options{Quick: true, Models: os.Getenv(vaekit.ModelsEnv)}
	if opts.Models == "" {
		opts.Models = t.TempDir()
	}
	scorer, err := experiments.NewFIDScorer(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if scorer.Accuracy < 0.98 {
		t.Errorf("the mnist_fid classifier has %.4f test accuracy, want at least 0.98", scorer.Accuracy)
	}
	train, _, err := experiments.LoadImages(context.Background(), experiments.Options{}, experiments.FIDSamples, 1)
	if err != nil {
		t.Fatal(err)
	}
	real, err := scorer.Quality(vaekit.ImageData(train).Rows())
	if err != nil {
		t.Fatal(err)
	}
	realFID := real.FID
	sg, err := MeasureDCGANSamples(ctx, experiments.DefaultDCGANExperiment(true, 0), scorer, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("classifier accuracy %.4f; mnist_fid of %d real training digits %.2f, of the quick DCGAN %.1f",
		scorer.Accuracy, experiments.FIDSamples, realFID, sg.Quality.FID)
	t.Logf("real training digits: KID %.4f, precision %.3f, recall %.3f; quick DCGAN: KID %.4f, precision %.3f, recall %.3f",
		real.KID, real.Precision, real.Recall, sg.Quality.KID, sg.Quality.Precision, sg.Quality.Recall)
	if realFID > 5 || sg.Quality.FID <= realFID {
		t.Errorf("mnist_fid: real digits %.2f (want < 5), quick DCGAN %.1f (want more)", realFID, sg.Quality.FID)
	}
	if sg.Quality.KID <= real.KID || sg.Quality.Precision >= real.Precision {
		t.Errorf("the quick DCGAN's KID %.4f and precision %.3f, real digits' %.4f and %.3f: want the DCGAN's KID above and precision below",
			sg.Quality.KID, sg.Quality.Precision, real.KID, real.Precision)
	}
	if sg.BatchDependence > 1e-4 {
		t.Errorf("the quick DCGAN's samples depend on their batch: %g apart alone and in a batch of 64", sg.BatchDependence)
	}
}

// TestCompressionFigureNumbers checks ae-vs-jpeg's quick numbers: more bits
// and higher JPEG qualities cost more bytes and give a higher PSNR, and the
// MNIST-trained AE does worse on Fashion-MNIST than on MNIST.
func TestCompressionFigureNumbers(t *testing.T) {
	setData(t)
	opts := experiments.Options{Quick: true, Models: os.Getenv(vaekit.ModelsEnv)}
	if opts.Models == "" {
		opts.Models = t.TempDir()
	}
	res, err := AEvsJPEG(context.Background(), experiments.DefaultCompressionExperiment(true, 0), opts)
	if err != nil {
		t.Fatal(err)
	}
	psnrAtMost := map[string]float64{}
	for _, set := range []string{"mnist", "fashion"} {
		points := res.Metrics[set].(map[string]any)["points"].(map[string][]experiments.RatePoint)
		for key, pts := range points {
			for i := 1; i < len(pts); i++ {
				if pts[i].Bytes < pts[i-1].Bytes || pts[i].PSNR <= pts[i-1].PSNR {
					t.Errorf("%s %s: %+v after %+v: more bytes should give a higher PSNR", set, key, pts[i], pts[i-1])
				}
			}
			t.Logf("%s %s: %+v", set, key, pts)
		}
		ae := points["ae_code30"]
		psnrAtMost[set] = ae[len(ae)-1].PSNR
	}
	if psnrAtMost["fashion"] >= psnrAtMost["mnist"] {
		t.Errorf("the MNIST AE at 8 bits: %.2f dB on Fashion-MNIST, %.2f dB on MNIST; out of domain should be worse",
			psnrAtMost["fashion"], psnrAtMost["mnist"])
	}
	if os.Getenv("VAEKIT_VIEW") != "" {
		_ = res.Figure.Save(os.Getenv("VAEKIT_VIEW"), "ae-vs-jpeg")
	}
}

// TestImageSearchNumbers checks image-search's quick numbers: retrieval of
// the same person is far above chance (1 in 44 for 9 of 399) in every space,
// and the AE reconstructs the faces.
func TestImageSearchNumbers(t *testing.T) {
	setData(t)
	opts := experiments.Options{Quick: true, Models: os.Getenv(vaekit.ModelsEnv)}
	if opts.Models == "" {
		opts.Models = t.TempDir()
	}
	res, err := ImageSearch(context.Background(), experiments.DefaultImageSearchExperiment(true, 0), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("image-search quick: %v", res.Metrics)
	for _, key := range []string{"precision_at_1_pixels", "precision_at_1_pca30", "precision_at_1_ae"} {
		if p := res.Metrics[key].(float64); p < 0.5 {
			t.Errorf("%s = %.3f, want well above chance (9 of a fold's 199 other faces: 0.045)", key, p)
		}
	}
	// Held-out people are reconstructed worse than the faces the autoencoder trained on.
	if mse, train := res.Metrics["mse_per_image"].(float64), res.Metrics["mse_per_image_training"].(float64); mse <= 0 || mse > 100 || !(train < mse) {
		t.Errorf("held-out faces reconstructed with mse %.1f per face, training faces %.1f: want both in (0, 100), the held-out worse", mse, train)
	}
	if os.Getenv("VAEKIT_VIEW") != "" {
		_ = res.Figure.Save(os.Getenv("VAEKIT_VIEW"), "image-search")
	}
}

// textRetrievalNumbers checks text-retrieval's quick numbers (the figure's
// JSON, made by TestQuickFigures: the same figure made twice took a minute
// more of CI): every method retrieves same-newsgroup posts above chance
// (about 1 in 20) at low recall, and precision falls as recall grows.
func textRetrievalNumbers(t *testing.T, metrics map[string]any) {
	for _, key := range []string{"ae", "lsa", "tfidf"} {
		p1, ok1 := metrics["precision_at_recall_0.1_"+key].(float64)
		p5, ok5 := metrics["precision_at_recall_0.5_"+key].(float64)
		t.Logf("%s: precision %.3f at recall 0.1, %.3f at 0.5", key, p1, p5)
		if !ok1 || !ok5 || p1 < 0.15 || p5 > p1 {
			t.Errorf("%s: precision %.3f at recall 0.1 and %.3f at 0.5: want above chance, falling with recall", key, p1, p5)
		}
	}
}

// TestMeasurementsRedraw checks that a figure's measurements hold all its
// drawing needs: measured, written as JSON and read back (as a notebook
// or a report might keep them), they draw the same metrics and titles.
func TestMeasurementsRedraw(t *testing.T) {
	setData(t)
	opts := experiments.Options{Quick: true, Models: os.Getenv(vaekit.ModelsEnv)}
	if opts.Models == "" {
		opts.Models = t.TempDir()
	}
	ctx := context.Background()
	tv, err := experiments.TrainVAE(ctx, experiments.DefaultVAEExperiment(true, 0), opts)
	if err != nil {
		t.Fatal(err)
	}
	ae := experiments.DefaultAEExperiment(true, 0, 30)
	for _, c := range []struct {
		name    string
		measure func() (redrawer, error)
		fresh   redrawer
	}{
		{"vae-latent-scatter", func() (redrawer, error) { return MeasureVAELatentScatter(tv) }, &LatentScatter{}},
		{"vae-manifold", func() (redrawer, error) { return MeasureVAEManifold(tv, 5) }, &Manifold{}},
		{"ae-vs-pca-recon", func() (redrawer, error) { return MeasureAEvsPCARecon(ctx, ae, opts) }, &Reconstructions{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := c.measure()
			if err != nil {
				t.Fatal(err)
			}
			raw, err := json.Marshal(m)
			if err == nil {
				err = json.Unmarshal(raw, c.fresh)
			}
			if err != nil {
				t.Fatalf("%T through JSON: %v", m, err)
			}
			want, err := m.Draw()
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.fresh.Draw()
			if err != nil {
				t.Fatalf("drawn from its JSON: %v", err)
			}
			w, _ := json.Marshal(want.Metrics)
			g, _ := json.Marshal(got.Metrics)
			if !bytes.Equal(w, g) || got.Figure.Title != want.Figure.Title || got.History == nil {
				t.Errorf("drawn from its JSON: metrics %s, title %q; drawn at once: %s, %q", g, got.Figure.Title, w, want.Figure.Title)
			}
		})
	}
}

type redrawer interface{ Draw() (*Result, error) }

// TestLogisticPCAArm: ae-vs-pca-recon's logistic PCA is one linear layer
// each way whatever networks the deep autoencoder's experiment brings — a
// notebook writes its deep encoder out, and the arm must not train it — so
// the arm's run is the same model with the library's networks or one's own.
func TestLogisticPCAArm(t *testing.T) {
	setData(t)
	opts := experiments.Options{Quick: true, Models: t.TempDir()}
	plan := func(exp experiments.AEExperiment) string {
		_, err := experiments.TrainAE(vaekit.PlanOnly(context.Background()), logisticPCA(exp), opts)
		p, ok := vaekit.AsPlanned(err)
		if !ok {
			t.Fatalf("planning the logistic PCA arm: %v", err)
		}
		return p.Dir
	}
	library := experiments.DefaultAEExperiment(true, 0, 30)
	own := library
	deep := func(scope *model.Scope, x *graph.Node) *graph.Node {
		return layers.Dense(scope.In("layer_1"), activation.Relu(layers.Dense(scope.In("layer_0"), x, true, 100)), true, 30)
	}
	own.Encoder = deep
	own.Decoder = func(scope *model.Scope, z *graph.Node) *graph.Node {
		return layers.Dense(scope.In("layer_0"), z, true, 784)
	}
	if a, b := plan(library), plan(own); a != b || a == "" {
		t.Errorf("the logistic PCA arm of an experiment with its own networks is kept in %q, with the library's in %q: want one run", b, a)
	}
	if arm := logisticPCA(own); len(arm.Layers) != 1 || arm.Layers[0] != 30 || arm.Encoder != nil || arm.Decoder != nil {
		t.Errorf("logisticPCA gave layers %v, own networks %v: want one 30-number layer, the library's networks", arm.Layers, arm.Encoder != nil)
	}
}
