package vaekit

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/vaekit/ops"
)

func TestKLDivergenceClosedForm(t *testing.T) {
	testBackend(t)
	mean := [][]float32{{1, 2}, {0, 0}, {-0.5, 3}}
	logVar := [][]float32{{0, float32(math.Log(4))}, {0, 0}, {-1, 0.5}}
	exec, err := NewExec(MustBackend(), func(m, lv *Node) *Node { return KLDivergence(m, lv) })
	if err != nil {
		t.Fatal(err)
	}
	got := exec.MustCall(tensors.FromValue(mean), tensors.FromValue(logVar))[0].Value().([]float32)
	for i := range mean {
		// KL(N(μ, σ²) ‖ N(0, 1)) = ½ Σ (σ² + μ² − 1 − log σ²).
		want := 0.0
		for j := range mean[i] {
			s2, mu, lv := math.Exp(float64(logVar[i][j])), float64(mean[i][j]), float64(logVar[i][j])
			want += 0.5 * (s2 + mu*mu - 1 - lv)
		}
		if math.Abs(float64(got[i])-want) > 1e-5 {
			t.Errorf("KL of example %d: got %g, want %g", i, got[i], want)
		}
	}
	if got[1] != 0 {
		t.Errorf("KL(N(0,1) ‖ N(0,1)) = %g, want 0", got[1])
	}
}

func TestBernoulliNLL(t *testing.T) {
	logits := [][]float32{{0, 0}, {100, -100}, {2, -1}}
	target := [][]float32{{1, 0}, {1, 0}, {0.25, 1}}
	exec, err := NewExec(MustBackend(), BernoulliNLL)
	if err != nil {
		t.Fatal(err)
	}
	got := exec.MustCall(tensors.FromValue(logits), tensors.FromValue(target))[0].Value().([]float32)
	for i := range logits {
		want := 0.0
		for j := range logits[i] {
			p, x := 1/(1+math.Exp(-float64(logits[i][j]))), float64(target[i][j])
			want -= x*math.Log(p) + (1-x)*math.Log(1-p)
		}
		if i == 1 {
			want = 0 // the direct formula underflows; the stable one must not.
		}
		if math.Abs(float64(got[i])-want) > 1e-4 {
			t.Errorf("NLL of example %d: got %g, want %g", i, got[i], want)
		}
	}
}

// TestSoftplus holds softplus to GoMLX's Softplus: bit for bit at every
// finite input, and the same gradients of a weighted sum there (a zero's sign
// aside); at ±∞ the right limits (GoMLX's gives softplus(−∞) = −∞).
func TestSoftplus(t *testing.T) {
	testBackend(t)
	inf := float32(math.Inf(1))
	xs := []float32{0, float32(math.Copysign(0, -1)), 1e-30, -1e-30, 1e-8, -1e-8, 0.5, -0.5, 1, -1, 15, -15, 17, -17,
		30, -30, 88, -88, 89, -89, 100, -100, 1e30, -1e30, math.MaxFloat32, -math.MaxFloat32, inf, -inf}
	r := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		xs = append(xs, float32(r.NormFloat64()*10))
	}
	w := make([]float32, len(xs))
	for i := range w {
		w[i] = float32(r.NormFloat64())
	}
	exec, err := NewExec(MustBackend(), func(x, w *Node) []*Node {
		var outs []*Node
		for _, f := range []func(*Node) *Node{softplus, Softplus} {
			y := f(x)
			outs = append(outs, y, Gradient(ReduceAllSum(Mul(w, y)), x)[0])
		}
		return outs
	})
	if err != nil {
		t.Fatal(err)
	}
	outs := exec.MustCall(tensors.FromValue(xs), tensors.FromValue(w))
	got, gotGrad := outs[0].Value().([]float32), outs[1].Value().([]float32)
	want, wantGrad := outs[2].Value().([]float32), outs[3].Value().([]float32)
	for i, x := range xs {
		if !math.IsInf(float64(x), 0) && math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Errorf("softplus(%g) = %g, GoMLX's Softplus %g", x, got[i], want[i])
		}
		if !math.IsInf(float64(x), 0) && gotGrad[i] != wantGrad[i] {
			t.Errorf("gradient at %g: %g, GoMLX's Softplus %g", x, gotGrad[i], wantGrad[i])
		}
	}
	// At ±∞: softplus ∞ and 0, its derivative σ(±∞) = 1 and 0.
	p, n := slices.Index(xs, inf), slices.Index(xs, -inf)
	if got[p] != inf || got[n] != 0 || gotGrad[p] != w[p] || gotGrad[n] != 0 {
		t.Errorf("at +∞ and −∞: softplus %g and %g, gradients %g and %g, want +Inf and 0, %g and 0",
			got[p], got[n], gotGrad[p], gotGrad[n], w[p])
	}
}

func TestVAEConfigErrors(t *testing.T) {
	for field, mutate := range map[string]func(*VAEConfig){
		"Latent":       func(c *VAEConfig) { c.Latent = 0 },
		"Hidden":       func(c *VAEConfig) { c.Hidden = []int{256, -1} },
		"LearningRate": func(c *VAEConfig) { c.LearningRate = 0 },
		"Input":        func(c *VAEConfig) { c.Input = "colour" },
		"optimizer":    func(c *VAEConfig) { c.Optimizer = "lbfgs" },
		"BatchSize":    func(c *VAEConfig) { c.BatchSize = 0 },
		// Non-finite numbers, named before anything trains (they surfaced as a JSON error at the end).
		"VAEConfig.LearningRate must be a finite number, got +Inf": func(c *VAEConfig) { c.LearningRate = math.Inf(1) },
		"VAEConfig.KLWeight must be a finite number, got NaN":      func(c *VAEConfig) { c.KLWeight = math.NaN() },
		"VAEConfig.KLWeight must be a finite number, got -Inf":     func(c *VAEConfig) { c.KLWeight = math.Inf(-1) },
	} {
		cfg := DefaultVAEConfig()
		mutate(&cfg)
		if _, err := NewVAE(cfg, 784); err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("bad %s: got error %v", field, err)
		}
	}
}

// TestVAETrains checks the untrained ELBO against what an untrained decoder
// must give, and that two short epochs improve it a lot.
func TestVAETrains(t *testing.T) {
	testBackend(t)
	test := ImageData(mnistTest(t, 2000))
	for _, input := range []string{InputGrey, InputBinarized} {
		cfg := DefaultVAEConfig()
		cfg.Input, cfg.Epochs, cfg.Seed = input, 2, 3
		vae, err := NewVAE(cfg, 784)
		if err != nil {
			t.Fatal(err)
		}
		before, err := vae.Evaluate(test)
		if err != nil {
			t.Fatal(err)
		}
		// An untrained decoder gives logits of order 1 to each pixel: at
		// least 784·log 2 ≈ 543 nats minus what the grey-level targets save,
		// and far from a trained model's ~150-200.
		if before.Recon < 300 || before.Recon > 3000 || before.KL < 0 || before.KL > 100 || before.N != 2000 {
			t.Errorf("%s: untrained ELBO out of range: %+v", input, before)
		}
		hist, err := vae.Train(context.Background(), test, TrainOptions{})
		if err != nil {
			t.Fatal(err)
		}
		after, err := vae.Evaluate(test)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: ELBO %.1f → %.1f nats (recon %.1f, KL %.2f) after %d epochs", input, before.ELBO, after.ELBO,
			after.Recon, after.KL, len(hist.Epochs))
		if after.ELBO < before.ELBO+150 || after.KL <= 0 {
			t.Errorf("%s: training did not improve the ELBO enough: %.1f → %.1f", input, before.ELBO, after.ELBO)
		}
		if l1, l2 := hist.Epochs[0].Metrics["loss"], hist.Epochs[1].Metrics["loss"]; !(l2 < l1) {
			t.Errorf("%s: epoch loss did not go down: %.2f → %.2f", input, l1, l2)
		}
		// The importance-weighted estimate: with k = 1 an estimate of −ELBO, then tighter as k grows.
		var nll []float64
		for _, k := range []int{1, 10, 100} {
			e, err := vae.ImportanceNLL(test, k, 5, false)
			if err != nil {
				t.Fatal(err)
			}
			if e.Samples != k || e.Images != 2000 {
				t.Errorf("%s: ImportanceNLL with k = %d used k = %d on %d images", input, k, e.Samples, e.Images)
			}
			nll = append(nll, e.NLL)
		}
		t.Logf("%s: −ELBO %.2f nats; nll_iw with k = 1, 10, 100: %.2f, %.2f, %.2f", input, -after.ELBO, nll[0], nll[1], nll[2])
		if math.Abs(nll[0]+after.ELBO) > 2 || !(nll[1] < nll[0] && nll[2] < nll[1]) || nll[2] > -after.ELBO {
			t.Errorf("%s: nll_iw %.2f, %.2f, %.2f for k = 1, 10, 100: want about −ELBO (%.2f) at k = 1, then falling and below it",
				input, nll[0], nll[1], nll[2], -after.ELBO)
		}
		// Encode, decode and sample give what they say.
		z, err := vae.Encode(&Data{Name: "3", X: test.X[:3*784], Shape: test.Shape})
		if err != nil || len(z) != 3 || len(z[0]) != 2 {
			t.Fatalf("Encode: %v, %d codes", err, len(z))
		}
		samples, err := vae.Sample(4, 1)
		if err != nil || len(samples) != 4 || len(samples[0]) != 784 {
			t.Fatalf("Sample: %v", err)
		}
		for _, p := range samples[0] {
			if p < 0 || p > 1 {
				t.Fatalf("a sample pixel is %g, outside [0, 1]", p)
			}
		}
		if _, err := vae.Decode([][]float32{{1, 2, 3}}); err == nil {
			t.Error("Decode accepted a 3-D code for a 2-D latent space")
		}
	}
}

// TestEvalSeesTraining encodes after one epoch and again after two more:
// the second encoding must be the trained encoder's, as computed here by hand
// from the variables' values. With GoMLX v0.28.16 the Go backend builds the
// variables into the executable as constants (Eval rebuilds it there); on XLA
// one executable reads them at every call: several rounds, to catch a stale
// value that shows only now and then.
func TestEvalSeesTraining(t *testing.T) {
	testBackend(t)
	data := ImageData(mnistTest(t, 500))
	for round := range 4 {
		v := vaeTrainedOneEpoch(t, data)
		first, err := v.Encode(data)
		if err != nil {
			t.Fatal(err)
		}
		v.Config.Epochs = 3
		if _, err := v.Train(context.Background(), data, TrainOptions{}); err != nil {
			t.Fatal(err)
		}
		again, err := v.Encode(data)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Equal(first[0], again[0]) {
			t.Fatalf("round %d: the codes did not change with two more epochs of training: %v", round, again[0])
		}
		value := func(path string) any {
			t.Helper()
			tensor, err := v.Store.GetVariable(path).Value()
			if err != nil {
				t.Fatal(err)
			}
			return tensor.Value()
		}
		w0, b0 := value("/encoder/hidden_0/dense/weights").([][]float32), value("/encoder/hidden_0/dense/biases").([]float32)
		w1, b1 := value("/encoder/z_mean/dense/weights").([][]float32), value("/encoder/z_mean/dense/biases").([]float32)
		for i := range 5 {
			x := data.X[i*784 : (i+1)*784]
			mean := slices.Clone(b1)
			for j := range b0 {
				h := float64(b0[j])
				for k, xk := range x {
					h += float64(xk) * float64(w0[k][j])
				}
				for l := range mean {
					mean[l] += float32(max(h, 0)) * w1[j][l]
				}
			}
			for l := range mean {
				if math.Abs(float64(again[i][l]-mean[l])) > 1e-3*(1+math.Abs(float64(mean[l]))) {
					t.Fatalf("round %d: code %d after training %v, the trained encoder gives %v", round, i, again[i], mean)
				}
			}
		}
	}
}

// vaeTrainedOneEpoch is the default VAE trained one epoch on data.
func vaeTrainedOneEpoch(t *testing.T, data *Data) *VAE {
	t.Helper()
	cfg := DefaultVAEConfig()
	cfg.Epochs = 1
	v, err := NewVAE(cfg, 784)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Train(context.Background(), data, TrainOptions{}); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestEvalCalledAtOnce: an Eval called from several goroutines at once (a
// scorer a figure's seeds share) gives each call what a call alone gives.
func TestEvalCalledAtOnce(t *testing.T) {
	testBackend(t)
	data := ImageData(mnistTest(t, 200))
	v := vaeTrainedOneEpoch(t, data)
	alone, err := v.Encode(data)
	if err != nil {
		t.Fatal(err)
	}
	const calls = 4
	codes, errs := make([][][]float32, calls), make([]error, calls)
	var wg sync.WaitGroup
	for i := range calls {
		wg.Go(func() { codes[i], errs[i] = v.Encode(data) })
	}
	wg.Wait()
	for i := range calls {
		if errs[i] != nil {
			t.Fatalf("call %d: %v", i, errs[i])
		}
		for j := range alone {
			if !slices.Equal(codes[i][j], alone[j]) {
				t.Fatalf("call %d at once with others: code %d is %v, alone %v", i, j, codes[i][j], alone[j])
			}
		}
	}
}

// TestEvalKeepsItsExecutable: an evaluation that samples (VAE.Evaluate
// draws the reparameterisation's noise, updating the random state) keeps its
// compiled executable from call to call, and its noise goes on (each call's
// ELBO differs); training replaces the variables, and the next call rebuilds
// only where the backend builds variables in as constants (Go), never on XLA.
// Rebuilding at every call cost an XLA compilation each time (Evaluate of the
// 10,000 test digits: seconds instead of tens of milliseconds).
func TestEvalKeepsItsExecutable(t *testing.T) {
	testBackend(t)
	data := ImageData(mnistTest(t, 3*evalBatch)) // three calls an evaluation
	cfg := DefaultVAEConfig()
	cfg.Epochs = 1
	v, err := NewVAE(cfg, 784)
	if err != nil {
		t.Fatal(err)
	}
	a, err := v.Evaluate(data)
	if err != nil {
		t.Fatal(err)
	}
	exec := v.terms.exec
	b, err := v.Evaluate(data)
	if err != nil {
		t.Fatal(err)
	}
	if v.terms.exec != exec {
		t.Errorf("the evaluation was rebuilt though only its own noise had moved")
	}
	if a.ELBO == b.ELBO {
		t.Errorf("two evaluations drew the same noise: ELBO %v both times", a.ELBO)
	}
	if _, err := v.Train(context.Background(), data, TrainOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Evaluate(data); err != nil {
		t.Fatal(err)
	}
	if rebuilt := v.terms.exec != exec; rebuilt != v.terms.rebuild {
		t.Errorf("after training replaced the variables the evaluation was rebuilt: %v, want %v (rebuilt only where the backend builds variables in as constants)",
			rebuilt, v.terms.rebuild)
	}
}

// TestVAENetworksAsValues: networks written out in the notebook's way are
// the default ones (same fingerprint, so the same trained model), an edited
// one trains under a new fingerprint, and a network of the wrong shape is
// refused by name.
func TestVAENetworksAsValues(t *testing.T) {
	testBackend(t)
	encoder := func(scope *model.Scope, x *Node) (mean, logVar *Node) {
		h := activation.Relu(layers.Dense(scope.In("hidden_0"), x, true, 256))
		return layers.Dense(scope.In("z_mean"), h, true, 2), layers.Dense(scope.In("z_log_var"), h, true, 2)
	}
	convEncoder := func(scope *model.Scope, x *Node) (mean, logVar *Node) {
		h := Reshape(x, x.Shape().Dimensions[0], 28, 28, 1)
		h = activation.Relu(ops.ConvLayer(scope.In("conv_0"), h).Channels(8).Kernel(3).Stride(2).Padding(1).Done())
		h = Reshape(h, h.Shape().Dimensions[0], -1)
		return layers.Dense(scope.In("z_mean"), h, true, 2), layers.Dense(scope.In("z_log_var"), h, true, 2)
	}
	fingerprint := func(enc VAEEncoder) (*VAE, string) {
		cfg := DefaultVAEConfig()
		cfg.Encoder, cfg.Epochs = enc, 1
		v, err := NewVAE(cfg, 784)
		if err != nil {
			t.Fatal(err)
		}
		f, err := v.Fingerprint()
		if err != nil {
			t.Fatal(err)
		}
		return v, f
	}
	_, def := fingerprint(nil)
	_, same := fingerprint(encoder)
	conv, edited := fingerprint(convEncoder)
	if def != same {
		t.Errorf("the written-out default encoder has fingerprint %s, the default %s", same, def)
	}
	if edited == def {
		t.Errorf("a convolutional encoder has the default's fingerprint %s", def)
	}
	summary, err := conv.Summary()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", summary)
	for _, want := range []string{"/encoder/conv_0", "/decoder/logits/dense", "total"} {
		if !strings.Contains(summary, want) {
			t.Errorf("the summary lacks %q", want)
		}
	}
	data := ImageData(mnistTest(t, 500))
	conv.Config.Epochs = 4
	hist, err := conv.Train(context.Background(), data, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if first, last := hist.Epochs[0].Metrics["recon"], hist.Last()["recon"]; !(last < first) {
		t.Errorf("the convolutional encoder's VAE did not learn: reconstruction %.1f nats, then %.1f", first, last)
	}

	cfg := DefaultVAEConfig()
	cfg.Encoder = func(scope *model.Scope, x *Node) (mean, logVar *Node) {
		h := layers.Dense(scope.In("z"), x, true, 3)
		return h, h
	}
	v, err := NewVAE(cfg, 784)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Encode(data); err == nil || !strings.Contains(err.Error(), "VAE.Encoder must give") {
		t.Errorf("an encoder of 3-D codes for a 2-D latent space: got %v", err)
	}
}

func TestVAELossInTheFingerprint(t *testing.T) {
	testBackend(t)
	// The article's loss written out as a notebook cell writes it.
	writtenOut := func(scope *model.Scope, x *Node, encoder VAEEncoder, decoder Network) (recon, kl *Node) {
		mean, logVar := encoder(scope, x)
		eps := NormalNoise(scope, x.Graph(), mean.Shape())
		z := Add(mean, Mul(Exp(MulScalar(logVar, 0.5)), eps))
		recon = BernoulliNLL(decoder(scope, z), x)
		kl = MulScalar(ReduceSum(Sub(Add(Exp(logVar), Square(mean)), OnePlus(logVar)), -1), 0.5)
		return recon, kl
	}
	squared := func(scope *model.Scope, x *Node, encoder VAEEncoder, decoder Network) (recon, kl *Node) {
		mean, logVar := encoder(scope, x)
		z := Reparameterize(scope, mean, logVar)
		return ReduceSum(Square(Sub(Sigmoid(decoder(scope, z)), x)), -1), KLDivergence(mean, logVar)
	}
	fingerprint := func(loss VAELoss) string {
		cfg := DefaultVAEConfig()
		cfg.Loss = loss
		v, err := NewVAE(cfg, 784)
		if err != nil {
			t.Fatal(err)
		}
		return mustFingerprint(t, v.Model)
	}
	def, same, other := fingerprint(nil), fingerprint(writtenOut), fingerprint(squared)
	if def != same {
		t.Errorf("the written-out negative ELBO has fingerprint %s, the default %s", same, def)
	}
	if other == def {
		t.Errorf("a squared-error reconstruction has the negative ELBO's fingerprint %s", def)
	}
}
