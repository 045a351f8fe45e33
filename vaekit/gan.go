package vaekit

import (
	"fmt"
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/gomlx/gomlx/support/exceptions"
	"github.com/vaekit/vaekit/vaekit/ops"
)

// GAN architectures (GANConfig.Arch).
const (
	ArchMLP   = "mlp"   // dense generator and discriminator (Goodfellow et al. 2014).
	ArchDCGAN = "dcgan" // transposed convolutions and batch norm (Radford et al. 2016).
)

// Generator losses (GANConfig.GLoss).
const (
	// NonSaturating: the generator minimises −log D(G(z)), strong gradients
	// while D rejects its samples.
	NonSaturating = "non-saturating"
	// Saturating: the generator minimises log(1 − D(G(z))), the minimax
	// game's own loss, whose gradient vanishes while D rejects its samples.
	Saturating = "saturating"
)

// GANConfig holds a GAN's hyperparameters. DefaultDCGANConfig is the
// article's DCGAN, also the speed benchmark's.
type GANConfig struct {
	Arch        string `json:"arch"`        // ArchMLP or ArchDCGAN.
	Conditional bool   `json:"conditional"` // give the class label to G and D.
	Classes     int    `json:"classes"`     // label values, for a conditional GAN.
	Noise       int    `json:"noise"`       // size of z ~ U(−1, 1).
	Hidden      []int  `json:"hidden"`      // MLP: generator sizes (the discriminator mirrors them).
	GLoss       string `json:"g_loss"`      // NonSaturating or Saturating.
	DSteps      int    `json:"d_steps"`     // k discriminator steps per generator step.
	// RealLabel is D's target for real images: below 1 is one-sided label
	// smoothing (Salimans et al. 2016); 0 means 1.
	RealLabel float64 `json:"real_label,omitempty"`
	// DefaultInit keeps GoMLX's default initialisation (scaled by fan-in)
	// instead of DCGAN's N(0, 0.02).
	DefaultInit bool `json:"default_init,omitempty"`
	// TrainConfig: each network has its own optimizer; an epoch is a pass of
	// the generator over the data, BatchSize real images per D step.
	TrainConfig
	// Generator maps z [B, noise] (and labels [B], for a conditional GAN) to
	// images [B, 28, 28, 1] in [−1, 1]; Discriminator maps such images (and
	// labels) to the logits [B] of "real". Nil ones are Arch's.
	Generator, Discriminator GANNetwork `json:"-"`
}

// GANNetwork is a GAN's generator or discriminator: a network of an input
// and the class labels (unused by an unconditional GAN).
type GANNetwork func(scope *model.Scope, x, labels *Node) *Node

// DefaultDCGANConfig: 100-d uniform noise, G dense 7·7·128 + BN + ReLU,
// deconv 128→64 (4×4, stride 2) + BN + ReLU, deconv 64→1 + tanh; D conv 1→64
// (4×4, stride 2) + LeakyReLU 0.2, conv 64→128 + BN + LeakyReLU, dense → logit;
// one D step and one non-saturating G step; Adam 2e-4, β1 0.5, batch 64.
func DefaultDCGANConfig() GANConfig {
	return GANConfig{Arch: ArchDCGAN, Noise: 100, Classes: 10, GLoss: NonSaturating, DSteps: 1,
		TrainConfig: TrainConfig{Optimizer: "adam", LearningRate: 2e-4, Beta1: 0.5, Epochs: 5, BatchSize: 64}}
}

// DefaultMLPGANConfig: the original MLP GAN (hidden 256 and 512, LeakyReLU
// 0.2, tanh output), with DCGAN's optimizer settings, GoMLX's default
// initialisation and real labels smoothed to 0.9 (docs/notes.md says why).
func DefaultMLPGANConfig() GANConfig {
	cfg := DefaultDCGANConfig()
	cfg.Arch, cfg.Hidden, cfg.RealLabel, cfg.DefaultInit = ArchMLP, []int{256, 512}, 0.9, true
	return cfg
}

// Validate names the first bad field.
func (c GANConfig) Validate() error {
	if err := checkFinite(c); err != nil {
		return err
	}
	switch {
	case c.Arch != ArchMLP && c.Arch != ArchDCGAN:
		return fmt.Errorf("GANConfig.Arch must be %q or %q, got %q", ArchMLP, ArchDCGAN, c.Arch)
	case c.RealLabel < 0 || c.RealLabel > 1:
		return fmt.Errorf("GANConfig.RealLabel must be in [0, 1] (0 means 1), got %g", c.RealLabel)
	case c.Arch == ArchMLP && len(c.Hidden) == 0:
		return fmt.Errorf("GANConfig.Hidden: an MLP GAN needs hidden layers")
	case c.GLoss != NonSaturating && c.GLoss != Saturating:
		return fmt.Errorf("GANConfig.GLoss must be %q or %q, got %q", NonSaturating, Saturating, c.GLoss)
	case c.DSteps < 1:
		return fmt.Errorf("GANConfig.DSteps (k) must be >= 1, got %d", c.DSteps)
	case c.Noise <= 0:
		return fmt.Errorf("GANConfig.Noise must be positive, got %d", c.Noise)
	case c.Conditional && c.Classes < 2:
		return fmt.Errorf("GANConfig.Classes must be >= 2 for a conditional GAN, got %d", c.Classes)
	}
	return c.TrainConfig.check("GANConfig")
}

// GAN is a generative adversarial network on 28×28 grey images: a
// generator and a discriminator with separate variables (scopes
// "generator" and "discriminator") and separate Adam optimizers. Weights
// start from N(0, 0.02), as in the DCGAN paper.
type GAN struct {
	Model            // its Trainer's step: k discriminator updates, then one generator update.
	Config GANConfig // its Generator and Discriminator are set (Arch's when nil).

	optD, optG      optimizer.Interface
	generate, probe *evalExec
	side            int
}

// NewGAN builds an untrained GAN for 28×28 images.
func NewGAN(cfg GANConfig) (*GAN, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g := &GAN{Config: cfg, side: 28}
	if g.Config.Generator == nil {
		g.Config.Generator = g.defaultGenerator
	}
	if g.Config.Discriminator == nil {
		g.Config.Discriminator = g.defaultDiscriminator
	}
	var err error
	if g.Model, err = newModel(&g.Config.TrainConfig); err != nil {
		return nil, err
	}
	g.optD, _ = cfg.optimizer()
	g.optG, _ = cfg.optimizer()
	g.Trainer = train.NewTrainer(g.backend, g.Store, g.trainGraph, nil, stepCounter{},
		lossMetrics("d_loss", "g_loss", "d_real", "d_fake"), nil)
	g.trainData = g.checkData
	g.name = cfg.Arch + " GAN"
	g.preview = func(*Data) ([][]float32, error) {
		labels := make([]int32, 32)
		for i := range labels {
			labels[i] = int32(i % max(g.Config.Classes, 1))
		}
		return g.Generate(g.UniformNoise(32, 99), labels)
	}
	g.stepExamples = func() int { return g.Config.DSteps * g.Config.BatchSize }
	g.labelsAsInput = cfg.Conditional
	if g.generate, err = newEvalExec(g.backend, g.Store, func(scope *model.Scope, z, labels *Node) *Node {
		return MulScalar(OnePlus(g.generator(scope, z, labels)), 0.5) // to [0, 1].
	}); err != nil {
		return nil, err
	}
	if g.probe, err = newEvalExec(g.backend, g.Store, g.probeGraph); err != nil {
		return nil, err
	}
	// The fingerprint's graph is the two networks alone, D(G(z)): what is measured on them may change.
	networks, err := newEvalExec(g.backend, g.Store, func(scope *model.Scope, z, labels *Node) *Node {
		return g.discriminator(scope, g.generator(scope, z, labels), labels)
	})
	if err != nil {
		return nil, err
	}
	g.forward = func() (*Graph, error) {
		return networks.Compile(shapes.Make(dtypes.Float32, 1, cfg.Noise), shapes.Make(dtypes.Int32, 1))
	}
	return g, nil
}

// checkData checks the GAN's training data (28×28 images; labels for a
// conditional GAN) and drops the labels an unconditional GAN does not use.
func (g *GAN) checkData(data *Data) (*Data, error) {
	if d := data.size(); d != g.side*g.side {
		return nil, fmt.Errorf("GAN: data %q has examples of %d values, want 28×28", data.Name, d)
	}
	if g.Config.Conditional && data.Labels == nil {
		return nil, fmt.Errorf("GAN: a conditional GAN needs labelled data, %q has none", data.Name)
	}
	if !g.Config.Conditional {
		data = &Data{Name: data.Name, X: data.X, Shape: data.Shape}
	}
	return data, nil
}

// stepCounter is the Trainer's "optimizer": the GAN updates its two
// networks itself (in trainGraph), and this only counts the step.
type stepCounter struct{}

func (stepCounter) UpdateGraph(scope *model.Scope, g *Graph, _ *Node) {
	step := optimizer.GetGlobalStepVar(scope)
	step.SetNodeValue(AddScalar(step.NodeValue(g), 1))
}
func (stepCounter) Clear(*model.Scope) error { return nil }

// BatchNorm normalises x over every axis but the last (channels), then
// scales and shifts by learnt gamma and beta. While training it uses the
// batch's own statistics and keeps running averages of them (momentum
// BatchNormMomentum, as PyTorch's 0.1); elsewhere (sampling, probing,
// encoding for a figure) it uses the running averages, so that a sample is a
// function of its own input only, whatever batch it is generated in.
func BatchNorm(scope *model.Scope, x *Node) *Node {
	c := x.Shape().Dimensions[x.Rank()-1]
	g := x.Graph()
	axes := make([]int, x.Rank()-1)
	for i := range axes {
		axes[i] = i
	}
	ones := make([]float32, c)
	for i := range ones {
		ones[i] = 1
	}
	gamma := scope.VariableWithValue("gamma", ones).NodeValue(g)
	beta := scope.VariableWithShape("beta", shapes.Make(x.DType(), c)).NodeValue(g)
	runMean := scope.WithInitializer(initializer.Zero).VariableWithShape("running_mean", shapes.Make(x.DType(), c)).SetTrainable(false)
	runVar := scope.VariableWithValue("running_variance", ones).SetTrainable(false)
	var mean, variance *Node
	if scope.IsTraining(g) {
		mean = ReduceAndKeep(x, ReduceMean, axes...)
		variance = ReduceAndKeep(Square(Sub(x, mean)), ReduceMean, axes...)
		m := BatchNormMomentum
		update := func(v *model.Variable, batch *Node) {
			v.SetNodeValue(Add(MulScalar(v.NodeValue(g), 1-m), MulScalar(StopGradient(Reshape(batch, c)), m)))
		}
		update(runMean, mean)
		update(runVar, variance)
	} else {
		mean = ExpandLeftToRank(runMean.NodeValue(g), x.Rank())
		variance = ExpandLeftToRank(runVar.NodeValue(g), x.Rank())
	}
	normed := Div(Sub(x, mean), Sqrt(AddScalar(variance, 1e-5)))
	return Add(Mul(normed, ExpandLeftToRank(gamma, x.Rank())), ExpandLeftToRank(beta, x.Rank()))
}

// BatchNormMomentum is the weight of each training batch's statistics in
// BatchNorm's running averages.
const BatchNormMomentum = 0.1

// withLabel appends the one-hot label to the last axis of x (flat inputs).
func (g *GAN) withLabel(x, labels *Node) *Node {
	if !g.Config.Conditional {
		return x
	}
	return Concatenate([]*Node{x, OneHot(labels, g.Config.Classes, x.DType())}, -1)
}

// generator runs the Generator in scope "generator" and checks its images.
func (g *GAN) generator(root *model.Scope, z, labels *Node) *Node {
	images := g.Config.Generator(g.initialized(root.At("generator")), z, labels)
	if want := shapes.Make(z.DType(), z.Shape().Dimensions[0], g.side, g.side, 1); images == nil || !images.Shape().Equal(want) {
		exceptions.Panicf("GAN.Generator must give images of shape %s, it gave %s", want, shapeOf(images))
	}
	return images
}

// discriminator runs the Discriminator in scope "discriminator" and checks its logits.
func (g *GAN) discriminator(root *model.Scope, x, labels *Node) *Node {
	logits := g.Config.Discriminator(g.initialized(root.At("discriminator")), x, labels)
	if want := shapes.Make(x.DType(), x.Shape().Dimensions[0]); logits == nil || !logits.Shape().Equal(want) {
		exceptions.Panicf("GAN.Discriminator must give logits of shape %s, it gave %s", want, shapeOf(logits))
	}
	return logits
}

// defaultGenerator is Arch's generator (see DefaultDCGANConfig, DefaultMLPGANConfig).
func (g *GAN) defaultGenerator(scope *model.Scope, z, labels *Node) *Node {
	h := g.withLabel(z, labels)
	b := z.Shape().Dimensions[0]
	if g.Config.Arch == ArchMLP {
		for i, size := range g.Config.Hidden {
			h = activation.LeakyReluWith(layers.Dense(scope.In("layer_%d", i), h, true, size), 0.2)
		}
		return Reshape(Tanh(layers.Dense(scope.In("out"), h, true, g.side*g.side)), b, g.side, g.side, 1)
	}
	return Tanh(DCGANGenerator(scope, h))
}

// DCGANGenerator is the DCGAN's generator up to its tanh: codes [B, n] →
// dense 7·7·128 + batch norm + ReLU → transposed conv 128→64 (4×4, stride 2)
// + batch norm + ReLU → transposed conv 64→1: [B, 28, 28, 1]. A VAE can
// take it as its decoder, its output as Bernoulli logits.
func DCGANGenerator(scope *model.Scope, z *Node) *Node {
	b := z.Shape().Dimensions[0]
	h := activation.Relu(BatchNorm(scope.In("bn_0"), layers.Dense(scope, z, true, 7*7*128)))
	h = Reshape(h, b, 7, 7, 128)
	h = activation.Relu(BatchNorm(scope.In("bn_1"), ops.ConvTransposeLayer(scope.In("deconv_1"), h, 64, 4, 2, 1, 0)))
	return ops.ConvTransposeLayer(scope.In("deconv_2"), h, 1, 4, 2, 1, 0)
}

// DCGANFeatures is the DCGAN's discriminator up to its logit: images
// [B, 28, 28, c] → conv 64 (4×4, stride 2) + LeakyReLU 0.2 → conv 128 +
// batch norm + LeakyReLU: [B, 7·7·128]. A VAE can take it as its encoder's
// body.
func DCGANFeatures(scope *model.Scope, x *Node) *Node {
	b := x.Shape().Dimensions[0]
	h := activation.LeakyReluWith(ops.ConvLayer(scope.In("conv_1"), x, 64, 4, 2, 1), 0.2)
	h = activation.LeakyReluWith(BatchNorm(scope.In("bn_2"), ops.ConvLayer(scope.In("conv_2"), h, 128, 4, 2, 1)), 0.2)
	return Reshape(h, b, -1)
}

// initialized gives the weights DCGAN's N(0, 0.02) initialisation unless
// DefaultInit.
func (g *GAN) initialized(scope *model.Scope) *model.Scope {
	if g.Config.DefaultInit {
		return scope
	}
	return scope.WithInitializer(initializer.RandomNormalFn(scope, 0.02))
}

// defaultDiscriminator is Arch's discriminator.
func (g *GAN) defaultDiscriminator(scope *model.Scope, x, labels *Node) *Node {
	b := x.Shape().Dimensions[0]
	var h *Node
	if g.Config.Arch == ArchMLP {
		h = g.withLabel(Reshape(x, b, g.side*g.side), labels)
		for i := len(g.Config.Hidden) - 1; i >= 0; i-- {
			h = activation.LeakyReluWith(layers.Dense(scope.In("layer_%d", i), h, true, g.Config.Hidden[i]), 0.2)
		}
	} else {
		if g.Config.Conditional {
			// The label as extra constant channels of the image.
			onehot := OneHot(labels, g.Config.Classes, x.DType())
			planes := BroadcastToDims(Reshape(onehot, b, 1, 1, g.Config.Classes), b, g.side, g.side, g.Config.Classes)
			x = Concatenate([]*Node{x, planes}, -1)
		}
		h = DCGANFeatures(scope, x)
	}
	return Reshape(layers.Dense(scope.In("logit"), h, true, 1), b)
}

// noise draws z ~ U(−1, 1), [b, noise].
func (g *GAN) noise(scope *model.Scope, gr *Graph, b int) *Node {
	u := scope.RandomUniform(gr, shapes.Make(dtypes.Float32, b, g.Config.Noise))
	return AddScalar(MulScalar(u, 2), -1)
}

// DLossSmoothed is the discriminator's loss from its logits on real and
// fake images, batch means, with target t for real images (t < 1 is
// one-sided label smoothing): −t log D(x) − (1−t) log(1 − D(x)) − log(1 − D(G(z)));
// t = 0 means 1.
func DLossSmoothed(realLogits, fakeLogits *Node, t float64) *Node {
	if t == 0 {
		t = 1
	}
	// Cross-entropy with target t from logit l: softplus(l) − t·l.
	real := Sub(Softplus(realLogits), MulScalar(realLogits, t))
	return Add(ReduceAllMean(real), ReduceAllMean(Softplus(fakeLogits)))
}

// GLoss is the generator's loss per sample from D's logits on its images:
// −log D(G(z)) (non-saturating) or log(1 − D(G(z))) (saturating).
func GLoss(kind string, fakeLogits *Node) *Node {
	if kind == Saturating {
		return Neg(Softplus(fakeLogits)) // log(1 − σ(l)) = −softplus(l).
	}
	return Softplus(Neg(fakeLogits)) // −log σ(l) = softplus(−l).
}

// GANStep names how the GAN's training step computes, in its models' keys:
// a model trained by an earlier step is trained again, not reused.
// "fakes-once": the generator step scores the last discriminator step's
// fakes (as PyTorch's DCGAN tutorial does) instead of generating anew.
const GANStep = "fakes-once"

// discriminatorStep updates D once on real images x [B, 784] in [0, 1] and
// as many fresh fakes; it returns D's loss, mean D(x) and D(G(z)), and the
// fakes (through which the generator step differentiates).
func (g *GAN) discriminatorStep(scope *model.Scope, x, labels *Node) (dLoss, dReal, dFake, fake *Node) {
	gr := x.Graph()
	b := x.Shape().Dimensions[0]
	real := AddScalar(MulScalar(Reshape(x, b, g.side, g.side, 1), 2), -1)
	fake = g.generator(scope, g.noise(scope, gr, b), labels)
	realLogits, fakeLogits := g.discriminator(scope, real, labels), g.discriminator(scope, StopGradient(fake), labels)
	dLoss = DLossSmoothed(realLogits, fakeLogits, g.Config.RealLabel)
	g.optD.UpdateGraph(scope.At("discriminator"), gr, dLoss)
	return dLoss, ReduceAllMean(Sigmoid(realLogits)), ReduceAllMean(Sigmoid(fakeLogits)), fake
}

// generatorStep updates G once by how the just-updated D scores fakes
// (labelled labels); it returns G's loss.
func (g *GAN) generatorStep(scope *model.Scope, fake, labels *Node) *Node {
	gr := fake.Graph()
	// D's weights, just updated, are constants here: without the cut, GoMLX
	// would build (and then discard) the gradient of D's own update.
	for v := range scope.At("discriminator").IterVariables() {
		if v.InUseByGraph(gr) {
			v.SetNodeValue(StopGradient(v.NodeValue(gr)))
		}
	}
	gLoss := ReduceAllMean(GLoss(g.Config.GLoss, g.discriminator(scope, fake, labels)))
	g.optG.UpdateGraph(scope.At("generator"), gr, gLoss)
	return gLoss
}

// trainGraph is one training step on k·B real images (and their labels):
// k discriminator updates, each on B real images and B fresh fakes, then one
// generator update on the last B fakes, through the updated discriminator.
func (g *GAN) trainGraph(scope *model.Scope, inputs []*Node) []*Node {
	x := inputs[0]
	gr := x.Graph()
	k, b := g.Config.DSteps, x.Shape().Dimensions[0]/g.Config.DSteps
	step := optimizer.GetGlobalStepVar(scope)
	step0 := step.NodeValue(gr)
	labelsOf := func(i int) *Node {
		if len(inputs) > 1 {
			return Slice(inputs[1], AxisRange(i*b, (i+1)*b))
		}
		return Zeros(gr, shapes.Make(dtypes.Int32, b)) // unused by an unconditional GAN.
	}
	var dLoss, dReal, dFake, fake *Node
	for i := range k {
		dLoss, dReal, dFake, fake = g.discriminatorStep(scope, Slice(x, AxisRange(i*b, (i+1)*b)), labelsOf(i))
	}
	gLoss := g.generatorStep(scope, fake, labelsOf(k-1))
	// Each Adam update counted a global step; the GAN step is one.
	step.SetNodeValue(step0)
	train.AddMainLoss(Add(dLoss, gLoss))
	return []*Node{dLoss, gLoss, dReal, dFake}
}

// probeGraph measures, for noise z and labels, D(G(z)) per sample, the
// magnitude of the gradient of each generator loss with respect to D's
// logit (the quantity whose saturation the article discusses: its closed
// forms are D(G(z)) and 1 − D(G(z))), and what actually reaches the
// generator: the norm of each loss's gradient (batch mean) with respect to
// all of the generator's parameters.
func (g *GAN) probeGraph(scope *model.Scope, z, labels *Node) []*Node {
	logits := g.discriminator(scope, g.generator(scope, z, labels), labels)
	var params []*Node
	for v := range scope.At("generator").IterVariables() {
		if v.Trainable && v.InUseByGraph(z.Graph()) {
			params = append(params, v.NodeValue(z.Graph()))
		}
	}
	outs := []*Node{Sigmoid(logits)}
	var norms []*Node
	for _, loss := range []string{Saturating, NonSaturating} {
		perSample := GLoss(loss, logits)
		outs = append(outs, Abs(Gradient(ReduceAllSum(perSample), logits)[0]))
		sq := ScalarZero(z.Graph(), logits.DType())
		for _, grad := range Gradient(ReduceAllMean(perSample), params...) {
			sq = Add(sq, L2NormSquare(grad))
		}
		norms = append(norms, Sqrt(sq))
	}
	return append(outs, norms...)
}

// Generate returns images (in [0, 1], flat 784) for latent codes z and, for
// a conditional GAN, the requested labels (nil otherwise).
func (g *GAN) Generate(z [][]float32, labels []int32) ([][]float32, error) {
	if labels == nil {
		labels = make([]int32, len(z))
	}
	if len(labels) != len(z) {
		return nil, fmt.Errorf("GAN.Generate: %d codes and %d labels", len(z), len(labels))
	}
	out, err := g.generate.Call(tensors.FromValue(z), tensors.FromValue(labels))
	if err != nil {
		return nil, err
	}
	flat := tensors.MustCopyFlatData[float32](out[0])
	size := g.side * g.side
	images := make([][]float32, len(z))
	for i := range images {
		images[i] = flat[i*size : (i+1)*size]
	}
	return images, nil
}

// BatchDependence is the largest absolute pixel difference between the
// images of codes z generated together and each generated alone (the first
// eight): 0, up to float rounding, when a sample depends on its own code only.
func (g *GAN) BatchDependence(z [][]float32) (float64, error) {
	together, err := g.Generate(z, nil)
	if err != nil {
		return 0, err
	}
	worst := 0.0
	for i := range min(len(z), 8) {
		alone, err := g.Generate(z[i:i+1], nil)
		if err != nil {
			return 0, err
		}
		for j, v := range alone[0] {
			worst = max(worst, math.Abs(float64(v-together[i][j])))
		}
	}
	return worst, nil
}

// UniformNoise returns n latent codes z ~ U(−1, 1), reproducible from seed.
func (g *GAN) UniformNoise(n int, seed uint64) [][]float32 {
	z := NormalSamples(n, g.Config.Noise, seed) // reuse the generator's stream, mapped to U(−1, 1):
	for _, zi := range z {
		for j, v := range zi {
			zi[j] = float32(2*normalCDF(float64(v)) - 1)
		}
	}
	return z
}

// GANProbe is what GAN.Probe measures on a batch of codes.
type GANProbe struct {
	DOfG       []float32 `json:"d_of_g"`              // D(G(z)) per code.
	Saturating []float32 `json:"saturating_grad"`     // |∂loss/∂logit| of log(1 − D(G(z))), per code.
	NonSat     []float32 `json:"non_saturating_grad"` // |∂loss/∂logit| of −log D(G(z)), per code.
	// The norm of each loss's gradient (mean over the codes) with respect to
	// all of the generator's parameters: what reaches the generator.
	GenGradSat    float32 `json:"generator_grad_norm_saturating"`
	GenGradNonSat float32 `json:"generator_grad_norm_non_saturating"`
}

// Probe measures D(G(z)) and both generator losses' gradients for codes z
// (and labels, for a conditional GAN), without changing the GAN.
func (g *GAN) Probe(z [][]float32, labels []int32) (*GANProbe, error) {
	if labels == nil {
		labels = make([]int32, len(z))
	}
	out, err := g.probe.Call(tensors.FromValue(z), tensors.FromValue(labels))
	if err != nil {
		return nil, err
	}
	return &GANProbe{DOfG: out[0].Value().([]float32), Saturating: out[1].Value().([]float32), NonSat: out[2].Value().([]float32),
		GenGradSat: out[3].Value().(float32), GenGradNonSat: out[4].Value().(float32)}, nil
}
