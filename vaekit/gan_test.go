package vaekit

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/vaekit/ops"
)

func TestGeneratorLossGradientsClosedForm(t *testing.T) {
	testBackend(t)
	logits := []float32{-8, -3, -1, 0, 0.5, 2, 6}
	for _, kind := range []string{Saturating, NonSaturating} {
		exec := MustNewExec(MustBackend(), func(l *Node) *Node {
			return Gradient(ReduceAllSum(GLoss(kind, l)), l)[0]
		})
		grad := exec.MustCall(tensors.FromValue(logits))[0].Value().([]float32)
		for i, l := range logits {
			d := 1 / (1 + math.Exp(-float64(l))) // D(G(z))
			want := d                            // saturating: |∂ log(1−D)/∂l| = D
			if kind == NonSaturating {
				want = 1 - d // |∂ −log D/∂l| = 1 − D
			}
			if math.Abs(math.Abs(float64(grad[i]))-want) > 1e-5 {
				t.Errorf("%s at D=%.4f: |gradient| %g, closed form %g", kind, d, grad[i], want)
			}
		}
	}
}

// TestDLossSmoothedClosedForm: with real target t, D's loss on a real logit l
// is −t log σ(l) − (1−t) log(1−σ(l)), whose gradient is σ(l) − t; t = 1 (or
// 0, the default) is the unsmoothed loss.
func TestDLossSmoothedClosedForm(t *testing.T) {
	testBackend(t)
	real := []float32{-3, 0, 1.5, 4}
	fake := []float32{0, 0, 0, 0}
	for _, target := range []float64{0, 0.9, 1} {
		exec := MustNewExec(MustBackend(), func(r, f *Node) (*Node, *Node) {
			loss := DLossSmoothed(r, f, target)
			return loss, Gradient(loss, r)[0]
		})
		out := exec.MustCall(tensors.FromValue(real), tensors.FromValue(fake))
		loss, grad := out[0].Value().(float32), out[1].Value().([]float32)
		tt := target
		if tt == 0 {
			tt = 1
		}
		want := math.Log(2) // the fakes' part: −log(1 − σ(0)).
		for i, l := range real {
			p := 1 / (1 + math.Exp(-float64(l)))
			want += (-tt*math.Log(p) - (1-tt)*math.Log(1-p)) / float64(len(real))
			if g := (p - tt) / float64(len(real)); math.Abs(float64(grad[i])-g) > 1e-5 {
				t.Errorf("t=%g, l=%g: gradient %g, closed form %g", target, l, grad[i], g)
			}
		}
		if math.Abs(float64(loss)-want) > 1e-4 {
			t.Errorf("t=%g: loss %g, closed form %g", target, loss, want)
		}
	}
}

// snapshot copies a GAN's weights and optimizer states; not BatchNorm's
// running statistics, which follow every pass of a network in training mode
// (the D step generates its fakes with G in training mode, as PyTorch's DCGAN).
func snapshot(t *testing.T, g *GAN) map[string][]float64 {
	vars := map[string][]float64{}
	for v := range g.Store.IterVariables() {
		if strings.Contains(v.Path(), "/running_") {
			continue
		}
		val, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		var flat []float64
		switch val.DType().String() {
		case "Float32":
			for _, x := range tensors.MustCopyFlatData[float32](val) {
				flat = append(flat, float64(x))
			}
		case "Int64":
			for _, x := range tensors.MustCopyFlatData[int64](val) {
				flat = append(flat, float64(x))
			}
		default:
			continue
		}
		vars[v.Path()] = flat
	}
	return vars
}

// owner says whose state a variable is: "generator", "discriminator" or "".
func owner(path string) string {
	for _, who := range []string{"generator", "discriminator"} {
		if strings.HasPrefix(path, "/"+who+"/") || strings.HasPrefix(path, "/AdamOptimizer/"+who+"/") {
			return who
		}
	}
	return ""
}

func TestGANStepsTouchOnlyTheirOwnNetwork(t *testing.T) {
	testBackend(t)
	data := ImageData(mnistTest(t, 64))
	for _, arch := range []string{ArchMLP, ArchDCGAN} {
		cfg := DefaultMLPGANConfig()
		if arch == ArchDCGAN {
			cfg = DefaultDCGANConfig()
		}
		cfg.Conditional, cfg.BatchSize = true, 32
		g, err := NewGAN(cfg)
		if err != nil {
			t.Fatal(err)
		}
		dStep, err := model.NewExec(MustBackend(), g.Store, func(scope *model.Scope, x, labels *Node) *Node {
			fake := g.Generator(scope, g.Noise(scope, x.Graph(), x.Shape().Dimensions[0]), labels)
			dLoss := DLossSmoothed(g.Discriminator(scope, g.Images(x), labels), g.Discriminator(scope, StopGradient(fake), labels), 1)
			g.UpdateD(scope, dLoss)
			return dLoss
		})
		if err != nil {
			t.Fatal(err)
		}
		gStep, err := model.NewExec(MustBackend(), g.Store, func(scope *model.Scope, labels *Node) []*Node {
			fake := g.Generator(scope, g.Noise(scope, labels.Graph(), labels.Shape().Dimensions[0]), labels)
			gLoss := ReduceAllMean(GLoss(NonSaturating, g.Discriminator(scope, fake, labels)))
			g.UpdateG(scope, gLoss)
			return []*Node{gLoss}
		})
		if err != nil {
			t.Fatal(err)
		}
		x, labels := data.Batch(0, 32)
		// A first round of both steps creates every variable and optimizer state.
		if _, err := dStep.Call(x, labels); err != nil {
			t.Fatal(err)
		}
		if _, err := gStep.Call(labels); err != nil {
			t.Fatal(err)
		}
		for _, step := range []struct {
			name  string
			run   func() error
			moves string
		}{
			{"D step", func() error { _, err := dStep.Call(x, labels); return err }, "discriminator"},
			{"G step", func() error { _, err := gStep.Call(labels); return err }, "generator"},
		} {
			before := snapshot(t, g)
			if err := step.run(); err != nil {
				t.Fatal(err)
			}
			after := snapshot(t, g)
			moved := map[string]int{}
			for path, b := range before {
				if !slices.Equal(b, after[path]) {
					moved[owner(path)]++
				}
			}
			other := "generator"
			if step.moves == "generator" {
				other = "discriminator"
			}
			if moved[other] != 0 || moved[step.moves] == 0 {
				t.Errorf("%s %s changed %d variables of the %s and %d of the %s", arch, step.name,
					moved[step.moves], step.moves, moved[other], other)
			}
		}
	}
}

func TestGANTrains(t *testing.T) {
	testBackend(t)
	data := ImageData(mnistTest(t, 1280))
	cfg := DefaultMLPGANConfig()
	cfg.DSteps, cfg.Epochs, cfg.Seed = 2, 2, 1
	g, err := NewGAN(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hist, err := g.Train(context.Background(), data, TrainOptions{RecordEvery: 1})
	if err != nil {
		t.Fatal(err)
	}
	// 1280 images, k = 2 batches of 64 per step: 10 steps an epoch.
	if len(hist.Steps) != 20 || hist.StepsPerEpoch != 10 {
		t.Fatalf("recorded %d steps, %d per epoch; want 20 and 10", len(hist.Steps), hist.StepsPerEpoch)
	}
	first := hist.Steps[0].Metrics
	for _, k := range []string{"d_loss", "g_loss", "d_real", "d_fake"} {
		if _, ok := first[k]; !ok {
			t.Errorf("step metrics lack %q: %v", k, first)
		}
	}
	last := hist.Steps[len(hist.Steps)-1].Metrics
	t.Logf("MLP GAN: first step %v, last %v", first, last)
	if !(last["d_real"] > last["d_fake"]) {
		t.Errorf("after 20 steps D should tell real (%.3f) from fake (%.3f)", last["d_real"], last["d_fake"])
	}
	images, err := g.Generate(g.UniformNoise(5, 1), nil)
	if err != nil || len(images) != 5 || len(images[0]) != 784 {
		t.Fatalf("Generate: %v", err)
	}
	for _, v := range images[0] {
		if v < 0 || v > 1 {
			t.Fatalf("a generated pixel is %g, outside [0, 1]", v)
		}
	}
	p, err := g.Probe(g.UniformNoise(8, 2), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range p.DOfG {
		if math.Abs(float64(p.Saturating[i]-d)) > 1e-5 || math.Abs(float64(p.NonSat[i]-(1-d))) > 1e-5 {
			t.Errorf("probe %d: D=%.4f, saturating %.4f, non-saturating %.4f", i, d, p.Saturating[i], p.NonSat[i])
		}
	}
	// For one code both losses' gradients reach the generator through the same logit, scaled by D and 1 − D:
	// the norms' ratio is D/(1 − D) exactly.
	one, err := g.Probe(g.UniformNoise(1, 3), nil)
	if err != nil {
		t.Fatal(err)
	}
	d := float64(one.DOfG[0])
	ratio := float64(one.GenGradSat) / float64(one.GenGradNonSat)
	t.Logf("one code: D(G(z)) %.4f, generator gradient norms %.4g (saturating) and %.4g", d, one.GenGradSat, one.GenGradNonSat)
	if !(one.GenGradNonSat > 0) || math.Abs(ratio-d/(1-d)) > 1e-3*d/(1-d) {
		t.Errorf("one code: generator gradient norms %g and %g, ratio %g, want D/(1−D) = %g", one.GenGradSat, one.GenGradNonSat, ratio, d/(1-d))
	}
}

// TestGANNetworksAsValues: DCGAN's networks written out as notebook 04 does
// are the defaults (same fingerprint), a changed one is not, and a generator
// of the wrong shape is refused by name.
func TestGANNetworksAsValues(t *testing.T) {
	testBackend(t)
	generator := func(scope *model.Scope, z, labels *Node) *Node {
		b := z.Shape().Dimensions[0]
		h := activation.Relu(ops.BatchNorm(scope.In("bn_0"), layers.Dense(scope, z, true, 7*7*128)))
		h = Reshape(h, b, 7, 7, 128)
		h = activation.Relu(ops.BatchNorm(scope.In("bn_1"), ops.ConvTransposeLayer(scope.In("deconv_1"), h).Channels(64).Kernel(4).Stride(2).Padding(1).Done()))
		return Tanh(ops.ConvTransposeLayer(scope.In("deconv_2"), h).Channels(1).Kernel(4).Stride(2).Padding(1).Done())
	}
	discriminator := func(scope *model.Scope, x, labels *Node) *Node {
		b := x.Shape().Dimensions[0]
		h := activation.LeakyReluWith(ops.ConvLayer(scope.In("conv_1"), x).Channels(64).Kernel(4).Stride(2).Padding(1).Done(), 0.2)
		h = activation.LeakyReluWith(ops.BatchNorm(scope.In("bn_2"), ops.ConvLayer(scope.In("conv_2"), h).Channels(128).Kernel(4).Stride(2).Padding(1).Done()), 0.2)
		return Reshape(layers.Dense(scope.In("logit"), Reshape(h, b, -1), true, 1), b)
	}
	fingerprint := func(g, d GANNetwork) string {
		cfg := DefaultDCGANConfig()
		cfg.Generator, cfg.Discriminator = g, d
		gan, err := NewGAN(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return mustFingerprint(t, gan.Model)
	}
	def := fingerprint(nil, nil)
	if same := fingerprint(generator, discriminator); same != def {
		t.Errorf("the written-out DCGAN networks have fingerprint %s, the defaults %s", same, def)
	}
	wider := func(scope *model.Scope, x, labels *Node) *Node {
		b := x.Shape().Dimensions[0]
		h := activation.LeakyReluWith(ops.ConvLayer(scope.In("conv_1"), x).Channels(96).Kernel(4).Stride(2).Padding(1).Done(), 0.2)
		return Reshape(layers.Dense(scope.In("logit"), Reshape(h, b, -1), true, 1), b)
	}
	if changed := fingerprint(nil, wider); changed == def {
		t.Errorf("a changed discriminator kept the default fingerprint %s", def)
	}
	cfg := DefaultDCGANConfig()
	cfg.Generator = func(scope *model.Scope, z, labels *Node) *Node {
		return Reshape(layers.Dense(scope, z, true, 14*14), -1, 14, 14, 1)
	}
	g, err := NewGAN(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Generate(g.UniformNoise(2, 1), nil); err == nil || !strings.Contains(err.Error(), "GAN.Generator must give") {
		t.Errorf("a generator of 14×14 images: got %v", err)
	}
}

// TestBatchNormModes: in training, BatchNorm normalises with the batch's own
// statistics and moves its running averages by BatchNormMomentum; elsewhere
// it uses the running averages, so each output depends on its own input only.
func TestBatchNormModes(t *testing.T) {
	testBackend(t)
	store := model.NewStore()
	batchNorm := func(training bool) *model.Exec {
		e, err := model.NewExec(MustBackend(), store, func(scope *model.Scope, x *Node) *Node {
			scope.SetTraining(x.Graph(), training)
			return ops.BatchNorm(scope.In("bn"), x)
		})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	train, infer := batchNorm(true), batchNorm(false)
	x := [][]float32{{1, 10}, {3, 20}, {5, 60}} // channel means 3 and 30, variances 8/3 and 1400/3
	out, err := train.Call(tensors.FromValue(x))
	if err != nil {
		t.Fatal(err)
	}
	got := out[0].Value().([][]float32)
	if math.Abs(float64(got[0][0])+math.Sqrt(1.5)) > 1e-3 || math.Abs(float64(got[1][1])-(20.0-30)/math.Sqrt(1400.0/3)) > 1e-3 {
		t.Errorf("training mode: %v, want each channel standardised by its batch statistics", got)
	}
	// Running averages after one step from (0, 1): 0.1·batch mean, 0.9 + 0.1·batch variance.
	mean := []float64{0.3, 3}
	variance := []float64{0.9 + 0.8/3, 0.9 + 140.0/3}
	single := [][]float32{{2, 50}}
	for _, batch := range [][][]float32{single, {{2, 50}, {100, -7}, {0, 0}}} {
		out, err := infer.Call(tensors.FromValue(batch))
		if err != nil {
			t.Fatal(err)
		}
		got := out[0].Value().([][]float32)[0]
		for c := range 2 {
			want := (float64(single[0][c]) - mean[c]) / math.Sqrt(variance[c]+1e-5)
			if math.Abs(float64(got[c])-want) > 1e-4 {
				t.Errorf("inference on a batch of %d, channel %d: %g, want %g (the running averages)", len(batch), c, got[c], want)
			}
		}
	}
}

// TestGANSampleIndependentOfBatch: a DCGAN, trained a few steps, generates
// the same image for a code alone as in a batch of 64.
func TestGANSampleIndependentOfBatch(t *testing.T) {
	testBackend(t)
	cfg := DefaultDCGANConfig()
	cfg.Epochs, cfg.BatchSize = 1, 32
	g, err := NewGAN(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Train(context.Background(), ImageData(mnistTest(t, 160)), TrainOptions{}); err != nil {
		t.Fatal(err)
	}
	z := g.UniformNoise(64, 5)
	diff, err := g.BatchDependence(z)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("largest pixel difference, alone vs in a batch of 64: %g", diff)
	if diff > 1e-4 {
		t.Errorf("a sample generated alone differs from the same code in a batch of 64 by %g", diff)
	}
}

// TestGANStepInTheFingerprint: notebook 04's step, written out as there, is
// the library's (same fingerprint: models are shared); a step that draws
// fresh fakes for the generator is another model.
func TestGANStepInTheFingerprint(t *testing.T) {
	testBackend(t)
	writtenOut := func(g *GAN, scope *model.Scope, x, labels *Node) (loss *Node, metrics []*Node) {
		k := g.Config.DSteps
		b := x.Shape().Dimensions[0] / k
		var dLoss, dReal, dFake, fake, fakeLabels *Node
		for i := range k {
			real, realLabels := Part(x, i, k), Part(labels, i, k)
			fake, fakeLabels = g.Generator(scope, g.Noise(scope, x.Graph(), b), realLabels), realLabels
			realLogits := g.Discriminator(scope, g.Images(real), realLabels)
			fakeLogits := g.Discriminator(scope, StopGradient(fake), fakeLabels)
			dLoss = DLossSmoothed(realLogits, fakeLogits, g.Config.RealLabel)
			g.UpdateD(scope, dLoss)
			dReal, dFake = ReduceAllMean(Sigmoid(realLogits)), ReduceAllMean(Sigmoid(fakeLogits))
		}
		gLoss := ReduceAllMean(GLoss(g.Config.GLoss, g.Discriminator(scope, fake, fakeLabels)))
		g.UpdateG(scope, gLoss)
		return Add(dLoss, gLoss), []*Node{dLoss, gLoss, dReal, dFake}
	}
	freshFakes := func(g *GAN, scope *model.Scope, x, labels *Node) (*Node, []*Node) {
		_, metrics := FakesOnce(g, scope, x, labels)
		fake := g.Generator(scope, g.Noise(scope, x.Graph(), x.Shape().Dimensions[0]), labels)
		gLoss := ReduceAllMean(GLoss(g.Config.GLoss, g.Discriminator(scope, fake, labels)))
		g.UpdateG(scope, gLoss)
		return Add(metrics[0], gLoss), []*Node{metrics[0], gLoss, metrics[2], metrics[3]}
	}
	for _, k := range []int{1, 2} {
		fingerprint := func(step GANStep) string {
			cfg := DefaultMLPGANConfig()
			cfg.DSteps, cfg.Step = k, step
			g, err := NewGAN(cfg)
			if err != nil {
				t.Fatal(err)
			}
			return mustFingerprint(t, g.Model)
		}
		def, same, other := fingerprint(nil), fingerprint(writtenOut), fingerprint(freshFakes)
		if def != same {
			t.Errorf("k = %d: the written-out step has fingerprint %s, FakesOnce %s", k, same, def)
		}
		if other == def {
			t.Errorf("k = %d: a step with fresh fakes for G has FakesOnce's fingerprint %s", k, def)
		}
	}
}
