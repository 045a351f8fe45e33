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
	// Step is the training step; nil is FakesOnce.
	Step GANStep `json:"-"`
}

// GANStep is a GAN's training step on k·B real images x [k·B, 784] in [0, 1]
// (and their labels, nil for an unconditional GAN): it updates both networks
// (GAN.UpdateD, GAN.UpdateG) and returns the loss to report and, in this
// order, D's loss, G's loss, mean D(x) and mean D(G(z)) of its last updates.
type GANStep func(g *GAN, scope *model.Scope, x, labels *Node) (loss *Node, metrics []*Node)

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
	*Model           // its Trainer's step is Config.Step.
	Config GANConfig // its Generator and Discriminator are set (Arch's when nil).

	optD, optG      optimizer.Interface
	generate, probe *Eval
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
	if g.Config.Step == nil {
		g.Config.Step = FakesOnce
	}
	g.optD, _ = cfg.NewOptimizer()
	g.optG, _ = cfg.NewOptimizer()
	var err error
	g.Model, err = NewModel(Spec{Name: cfg.Arch + " GAN", Config: &g.Config.TrainConfig, ExampleSize: g.side * g.side,
		Labels: cfg.Conditional, BatchesPerStep: cfg.DSteps,
		// The two networks, D(G(z)).
		Networks: func(scope *model.Scope, in []*Node) []*Node {
			return []*Node{g.Discriminator(scope, g.Generator(scope, in[0], in[1]), in[1])}
		},
		NetworkInputs: []shapes.Shape{shapes.Make(dtypes.Float32, 1, cfg.Noise), shapes.Make(dtypes.Int32, 1)},
		Step: func(scope *model.Scope, x, labels *Node) (*Node, []*Node) {
			return g.Config.Step(g, scope, x, labels)
		},
		Metrics: []string{"d_loss", "g_loss", "d_real", "d_fake"},
		Preview: func(*Data) ([][]float32, error) {
			labels := make([]int32, 32)
			for i := range labels {
				labels[i] = int32(i % max(g.Config.Classes, 1))
			}
			return g.Generate(g.UniformNoise(32, 99), labels)
		},
	})
	if err != nil {
		return nil, err
	}
	if g.generate, err = newEval(g.backend, g.Store, func(scope *model.Scope, z, labels *Node) *Node {
		return MulScalar(OnePlus(g.Generator(scope, z, labels)), 0.5) // to [0, 1].
	}); err != nil {
		return nil, err
	}
	if g.probe, err = newEval(g.backend, g.Store, g.probeGraph); err != nil {
		return nil, err
	}
	return g, nil
}

// withLabel appends the one-hot label to the last axis of x (flat inputs).
func (g *GAN) withLabel(x, labels *Node) *Node {
	if !g.Config.Conditional {
		return x
	}
	return Concatenate([]*Node{x, OneHot(labels, g.Config.Classes, x.DType())}, -1)
}

// Generator runs Config.Generator in scope "generator" on codes z [B, noise]
// (and labels), and checks its images [B, 28, 28, 1] in [−1, 1].
func (g *GAN) Generator(root *model.Scope, z, labels *Node) *Node {
	images := g.Config.Generator(g.initialized(root.At("generator")), z, labels)
	if want := shapes.Make(z.DType(), z.Shape().Dimensions[0], g.side, g.side, 1); images == nil || !images.Shape().Equal(want) {
		exceptions.Panicf("GAN.Generator must give images of shape %s, it gave %s", want, shapeOf(images))
	}
	return images
}

// Discriminator runs Config.Discriminator in scope "discriminator" on images
// [B, 28, 28, 1] in [−1, 1] (and labels), and checks its logits [B].
func (g *GAN) Discriminator(root *model.Scope, x, labels *Node) *Node {
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
	h := activation.Relu(ops.BatchNorm(scope.In("bn_0"), layers.Dense(scope, z, true, 7*7*128)))
	h = Reshape(h, b, 7, 7, 128)
	h = activation.Relu(ops.BatchNorm(scope.In("bn_1"), ops.ConvTransposeLayer(scope.In("deconv_1"), h).Channels(64).Kernel(4).Stride(2).Padding(1).Done()))
	return ops.ConvTransposeLayer(scope.In("deconv_2"), h).Channels(1).Kernel(4).Stride(2).Padding(1).Done()
}

// DCGANFeatures is the DCGAN's discriminator up to its logit: images
// [B, 28, 28, c] → conv 64 (4×4, stride 2) + LeakyReLU 0.2 → conv 128 +
// batch norm + LeakyReLU: [B, 7·7·128]. A VAE can take it as its encoder's
// body.
func DCGANFeatures(scope *model.Scope, x *Node) *Node {
	b := x.Shape().Dimensions[0]
	h := activation.LeakyReluWith(ops.ConvLayer(scope.In("conv_1"), x).Channels(64).Kernel(4).Stride(2).Padding(1).Done(), 0.2)
	h = activation.LeakyReluWith(ops.BatchNorm(scope.In("bn_2"), ops.ConvLayer(scope.In("conv_2"), h).Channels(128).Kernel(4).Stride(2).Padding(1).Done()), 0.2)
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

// Noise draws b codes z ~ U(−1, 1), [b, noise], in the graph.
func (g *GAN) Noise(scope *model.Scope, gr *Graph, b int) *Node {
	u := scope.RandomUniform(gr, shapes.Make(dtypes.Float32, b, g.Config.Noise))
	return AddScalar(MulScalar(u, 2), -1)
}

// Images maps flat examples x [B, 784] in [0, 1] to images [B, 28, 28, 1]
// in [−1, 1], the range of the generator's tanh.
func (g *GAN) Images(x *Node) *Node {
	return AddScalar(MulScalar(Reshape(x, x.Shape().Dimensions[0], g.side, g.side, 1), 2), -1)
}

// UpdateD adds to the step one update of the discriminator's variables
// (by its own optimizer) that lowers loss. The updated values are constants
// for what the step computes after it: the generator's update differentiates
// through D, not through D's update (GoMLX would build that gradient too).
func (g *GAN) UpdateD(scope *model.Scope, loss *Node) {
	g.optD.UpdateGraph(scope.At("discriminator"), loss.Graph(), loss)
	constants(scope.At("discriminator"), loss.Graph())
}

// UpdateG adds one update of the generator's variables that lowers loss.
func (g *GAN) UpdateG(scope *model.Scope, loss *Node) {
	g.optG.UpdateGraph(scope.At("generator"), loss.Graph(), loss)
	constants(scope.At("generator"), loss.Graph())
}

// constants cuts the gradient through the current values of scope's
// variables in gr.
func constants(scope *model.Scope, gr *Graph) {
	for v := range scope.IterVariables() {
		if v.InUseByGraph(gr) {
			v.SetNodeValue(StopGradient(v.NodeValue(gr)))
		}
	}
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
	real := Sub(softplus(realLogits), MulScalar(realLogits, t))
	return Add(ReduceAllMean(real), ReduceAllMean(softplus(fakeLogits)))
}

// GLoss is the generator's loss per sample from D's logits on its images:
// −log D(G(z)) (non-saturating) or log(1 − D(G(z))) (saturating).
func GLoss(kind string, fakeLogits *Node) *Node {
	if kind == Saturating {
		return Neg(softplus(fakeLogits)) // log(1 − σ(l)) = −softplus(l).
	}
	return softplus(Neg(fakeLogits)) // −log σ(l) = softplus(−l).
}

// FakesOnce is the GAN's default step, as in PyTorch's DCGAN tutorial (and
// Goodfellow et al.'s algorithm 1, with k): k discriminator updates, each on
// B real images and B fresh fakes, then one generator update that scores
// the last B fakes with the just-updated discriminator. Notebook 04 writes
// it out in a cell.
func FakesOnce(g *GAN, scope *model.Scope, x, labels *Node) (loss *Node, metrics []*Node) {
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

// Part is the i-th of k equal parts of x along its first axis (nil for nil x).
func Part(x *Node, i, k int) *Node {
	if x == nil {
		return nil
	}
	n := x.Shape().Dimensions[0] / k
	return Slice(x, AxisRange(i*n, (i+1)*n))
}

// probeGraph measures, for noise z and labels, D(G(z)) per sample, the
// magnitude of the gradient of each generator loss with respect to D's
// logit (the quantity whose saturation the article discusses: its closed
// forms are D(G(z)) and 1 − D(G(z))), and what actually reaches the
// generator: the norm of each loss's gradient (batch mean) with respect to
// all of the generator's parameters.
func (g *GAN) probeGraph(scope *model.Scope, z, labels *Node) []*Node {
	logits := g.Discriminator(scope, g.Generator(scope, z, labels), labels)
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
