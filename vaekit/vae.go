package vaekit

import (
	"errors"
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/support/exceptions"
)

// Input treatments of a VAE with a Bernoulli decoder.
const (
	// InputGrey feeds grey levels in [0, 1] and uses them as the Bernoulli
	// targets, as the Keras blog (and article 000) does. The "reconstruction
	// nats" are then a cross-entropy, not a log-likelihood: it cannot reach 0.
	InputGrey = "grey"
	// InputBinarized samples each pixel as 1 with probability its grey level,
	// anew at every step (dynamic binarisation): the ELBO is then a true bound
	// on log p(x) of binary MNIST, comparable with the literature.
	InputBinarized = "binarized"
)

// VAEConfig holds a VAE's hyperparameters. DefaultVAEConfig gives the
// Keras-blog setting that article 000 follows.
type VAEConfig struct {
	Hidden   []int   `json:"hidden"`    // the default encoder's layer sizes (its decoder mirrors them).
	Latent   int     `json:"latent"`    // size of z.
	KLWeight float64 `json:"kl_weight"` // weight of the KL term (1 is the ELBO; β-VAE otherwise).
	Input    string  `json:"input"`     // InputGrey or InputBinarized.
	TrainConfig
	// Encoder and Decoder are the networks; nil ones are DenseEncoder(Hidden,
	// Latent) and DenseDecoder(Hidden, dim).
	Encoder VAEEncoder `json:"-"`
	Decoder Network    `json:"-"`
	// Loss gives the terms of the objective from the networks; nil is NegELBO.
	Loss VAELoss `json:"-"`
}

// VAELoss is a VAE's objective per example of x [batch, dim], from its
// networks: a reconstruction term and a KL term, each [batch], in nats. The
// VAE minimises their batch means, recon + KLWeight·kl.
type VAELoss func(scope *model.Scope, x *Node, encoder VAEEncoder, decoder Network) (recon, kl *Node)

// VAEEncoder is a VAE's q(z|x): from x [batch, dim] to the mean and the
// log-variance of z, each [batch, latent].
type VAEEncoder func(scope *model.Scope, x *Node) (mean, logVar *Node)

// Network is a network of one input and one output, e.g. a decoder from
// codes [batch, code] to logits [batch, dim].
type Network func(scope *model.Scope, x *Node) *Node

// DefaultVAEConfig is the Keras blog's VAE: 784-256-2, batch 100, RMSprop
// (learning rate 1e-3), 50 epochs, grey-level input.
func DefaultVAEConfig() VAEConfig {
	return VAEConfig{Hidden: []int{256}, Latent: 2, KLWeight: 1, Input: InputGrey,
		TrainConfig: TrainConfig{Optimizer: "rmsprop", LearningRate: 1e-3, Epochs: 50, BatchSize: 100}}
}

// Validate checks every field and names the first bad one.
func (c VAEConfig) Validate() error {
	if err := checkFinite(c); err != nil {
		return err
	}
	switch {
	case len(c.Hidden) == 0 && (c.Encoder == nil || c.Decoder == nil):
		return errors.New("VAEConfig.Hidden: the default networks need at least one hidden layer")
	case c.Latent <= 0:
		return fmt.Errorf("VAEConfig.Latent must be positive, got %d", c.Latent)
	case c.KLWeight < 0:
		return fmt.Errorf("VAEConfig.KLWeight must be >= 0, got %g", c.KLWeight)
	case c.Input != InputGrey && c.Input != InputBinarized:
		return fmt.Errorf("VAEConfig.Input must be %q or %q, got %q", InputGrey, InputBinarized, c.Input)
	}
	if err := checkSizes("VAEConfig.Hidden", c.Hidden); err != nil {
		return err
	}
	return c.TrainConfig.check("VAEConfig")
}

// VAE is a variational autoencoder: an encoder giving the mean and
// log-variance of q(z|x), the reparameterisation trick, and a Bernoulli
// decoder from logits. Its loss is the negative ELBO: reconstruction
// cross-entropy (summed over pixels) plus the analytic KL divergence to N(0, I).
type VAE struct {
	*Model
	Config VAEConfig // its Encoder and Decoder are set (the defaults when nil).
	Dim    int       // input size (784 for MNIST).

	encode *Eval // x → z_mean, z_log_var
	decode *Eval // z → Bernoulli means
	terms  *Eval // x → per-image reconstruction and KL nats
}

// NewVAE builds an untrained VAE for inputs of size dim.
func NewVAE(cfg VAEConfig, dim int) (*VAE, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	v := &VAE{Config: cfg, Dim: dim}
	if v.Config.Encoder == nil {
		v.Config.Encoder = DenseEncoder(cfg.Hidden, cfg.Latent)
	}
	if v.Config.Decoder == nil {
		v.Config.Decoder = DenseDecoder(cfg.Hidden, dim)
	}
	if v.Config.Loss == nil {
		v.Config.Loss = NegELBO
	}
	var err error
	v.Model, err = NewModel(Spec{Name: "VAE", Config: &v.Config.TrainConfig, ExampleSize: dim,
		// The networks with the loss's terms, so that the fingerprint covers both.
		Networks: func(scope *model.Scope, x []*Node) []*Node {
			recon, kl := v.Terms(scope, x[0])
			return []*Node{recon, kl}
		},
		NetworkInputs: []shapes.Shape{shapes.Make(dtypes.Float32, 1, dim)},
		Loss:          v.loss, Metrics: []string{"recon", "kl"},
		Preview: func(*Data) ([][]float32, error) { return v.Sample(32, 7) },
	})
	if err != nil {
		return nil, err
	}
	if v.encode, err = newEval(v.backend, v.Store, func(scope *model.Scope, x *Node) []*Node {
		mean, logVar := v.encoder(scope, x)
		return []*Node{mean, logVar}
	}); err != nil {
		return nil, err
	}
	if v.decode, err = newEval(v.backend, v.Store, func(scope *model.Scope, z *Node) *Node {
		return Sigmoid(v.decoder(scope, z))
	}); err != nil {
		return nil, err
	}
	if v.terms, err = newEval(v.backend, v.Store, func(scope *model.Scope, x *Node) []*Node {
		recon, kl := v.Terms(scope, x)
		return []*Node{recon, kl}
	}); err != nil {
		return nil, err
	}
	return v, nil
}

// DenseEncoder is the Keras blog's encoder: dense ReLU layers of the given
// sizes, then two dense heads, z_mean and z_log_var, of size latent.
func DenseEncoder(hidden []int, latent int) VAEEncoder {
	return func(scope *model.Scope, x *Node) (mean, logVar *Node) {
		h := x
		for i, size := range hidden {
			h = activation.Relu(layers.Dense(scope.In("hidden_%d", i), h, true, size))
		}
		return layers.Dense(scope.In("z_mean"), h, true, latent), layers.Dense(scope.In("z_log_var"), h, true, latent)
	}
}

// DenseDecoder mirrors DenseEncoder: the hidden layers in reverse order,
// then dim logits.
func DenseDecoder(hidden []int, dim int) Network {
	return func(scope *model.Scope, z *Node) *Node {
		h := z
		for i := len(hidden) - 1; i >= 0; i-- {
			h = activation.Relu(layers.Dense(scope.In("hidden_%d", i), h, true, hidden[i]))
		}
		return layers.Dense(scope.In("logits"), h, true, dim)
	}
}

// encoder runs the Encoder in scope "encoder" and checks what it gives.
func (v *VAE) encoder(scope *model.Scope, x *Node) (mean, logVar *Node) {
	mean, logVar = v.Config.Encoder(scope.In("encoder"), x)
	want := shapes.Make(x.DType(), x.Shape().Dimensions[0], v.Config.Latent)
	if mean == nil || logVar == nil || !mean.Shape().Equal(want) || !logVar.Shape().Equal(want) {
		exceptions.Panicf("VAE.Encoder must give a mean and a log-variance of shape %s (VAEConfig.Latent = %d), it gave %s and %s",
			want, v.Config.Latent, shapeOf(mean), shapeOf(logVar))
	}
	return mean, logVar
}

// decoder runs the Decoder in scope "decoder" and checks what it gives.
func (v *VAE) decoder(scope *model.Scope, z *Node) *Node {
	logits := v.Config.Decoder(scope.In("decoder"), z)
	if want := shapes.Make(z.DType(), z.Shape().Dimensions[0], v.Dim); logits == nil || !logits.Shape().Equal(want) {
		exceptions.Panicf("VAE.Decoder must give logits of shape %s, it gave %s", want, shapeOf(logits))
	}
	return logits
}

func shapeOf(n *Node) string {
	if n == nil {
		return "nil"
	}
	return n.Shape().String()
}

// Reparameterize draws z = mean + exp(logVar/2)·ε with ε ~ N(0, I): the
// randomness is an input of the graph, so gradients flow to mean and logVar.
// ε comes from NormalNoise, which stays finite where GoMLX's RandomNormal can
// draw an infinity on XLA's CPU runtime.
func Reparameterize(scope *model.Scope, mean, logVar *Node) *Node {
	eps := NormalNoise(scope, mean.Graph(), mean.Shape())
	return Add(mean, Mul(Exp(MulScalar(logVar, 0.5)), eps))
}

// KLDivergence is KL(N(mean, exp(logVar)) ‖ N(0, I)) per example, in nats:
// ½ Σ (exp(logVar) + mean² − 1 − logVar), the article's −½ Σ (1 + log σ² − μ² − σ²).
func KLDivergence(mean, logVar *Node) *Node {
	terms := Sub(Add(Exp(logVar), Square(mean)), OnePlus(logVar))
	return MulScalar(ReduceSum(terms, -1), 0.5)
}

// BernoulliNLL is −log p(target | logits) per example, in nats, summed over
// the last axis: Σ softplus(l) − t·l, stable for any logit.
func BernoulliNLL(logits, target *Node) *Node {
	return ReduceSum(Sub(softplus(logits), Mul(target, logits)), -1)
}

// softplus is log(1 + eˣ) = max(x, 0) + log1p(e^−|x|): GoMLX's Softplus
// (LogAddExp(x, 0)) without the two Wheres that guard a difference of two
// infinities, which cannot arise against 0. The Go backend runs Where element
// by element: a fifth of a VAE step there. For finite x the same values, bit
// for bit, and gradients; softplus(−∞) is 0, where GoMLX's gives −∞
// (TestSoftplus).
func softplus(x *Node) *Node {
	return Add(Max(x, ZerosLike(x)), Log1p(Exp(Neg(Abs(x)))))
}

// NegELBO is the article's VAE loss, per example: the reconstruction
// cross-entropy of x under a Bernoulli decoder, with one sample of z drawn by
// the reparameterisation trick, and the KL divergence of q(z|x) from N(0, I).
// Their sum is the negative ELBO. Notebook 01 writes it out in a cell.
func NegELBO(scope *model.Scope, x *Node, encoder VAEEncoder, decoder Network) (recon, kl *Node) {
	mean, logVar := encoder(scope, x)
	z := Reparameterize(scope, mean, logVar)
	return BernoulliNLL(decoder(scope, z), x), KLDivergence(mean, logVar)
}

// Terms returns the per-example reconstruction and KL nats of x by the
// config's Loss (for binarized input, of one binarisation of x).
func (v *VAE) Terms(scope *model.Scope, x *Node) (recon, kl *Node) {
	if v.Config.Input == InputBinarized {
		u := scope.RandomUniform(x.Graph(), x.Shape())
		x = ConvertDType(LessThan(u, x), x.DType())
	}
	recon, kl = v.Config.Loss(scope, x, v.encoder, v.decoder)
	if want := shapes.Make(x.DType(), x.Shape().Dimensions[0]); recon == nil || kl == nil || !recon.Shape().Equal(want) || !kl.Shape().Equal(want) {
		exceptions.Panicf("VAEConfig.Loss must give the reconstruction and KL terms per example, of shape %s, it gave %s and %s",
			want, shapeOf(recon), shapeOf(kl))
	}
	return recon, kl
}

// loss is the VAE's objective: the batch mean of its terms, KL weighted
// (KLWeight 1: the negative ELBO); it reports both terms.
func (v *VAE) loss(scope *model.Scope, x, _ *Node) (*Node, []*Node) {
	recon, kl := v.Terms(scope, x)
	reconMean, klMean := ReduceAllMean(recon), ReduceAllMean(kl)
	return Add(reconMean, MulScalar(klMean, v.Config.KLWeight)), []*Node{reconMean, klMean}
}

// ELBO is an evaluation of the evidence lower bound, per image, in nats.
type ELBO struct {
	Recon float64 `json:"recon_nats"` // E_q[−log p(x|z)], one sample of z.
	KL    float64 `json:"kl_nats"`    // KL(q(z|x) ‖ p(z)).
	ELBO  float64 `json:"elbo_nats"`  // −(Recon + KL): a lower bound of log p(x).
	N     int     `json:"images"`
}

// evalBatch is the batch size of evaluation and encoding: large, since no
// gradients are kept, and fixed, so that one graph serves all batches.
const evalBatch = 500

// Evaluate computes the ELBO over every example of data.
func (v *VAE) Evaluate(data *Data) (ELBO, error) {
	var e ELBO
	err := forBatches(data, func(x *tensors.Tensor, from, n int) error {
		out, err := v.terms.Call(x)
		if err != nil {
			return err
		}
		recon, kl := out[0].Value().([]float32), out[1].Value().([]float32)
		for i := range n {
			e.Recon += float64(recon[i])
			e.KL += float64(kl[i])
		}
		return nil
	})
	if err != nil {
		return ELBO{}, fmt.Errorf("VAE.Evaluate(%s): %w", data.Name, err)
	}
	e.N = data.Len()
	e.Recon /= float64(e.N)
	e.KL /= float64(e.N)
	e.ELBO = -(e.Recon + e.KL)
	return e, nil
}

// Encode returns the means of q(z|x) for every example of data, [n][latent].
func (v *VAE) Encode(data *Data) ([][]float32, error) {
	return mapBatches(data, v.encode)
}

// Decode returns the Bernoulli means (pixel intensities in [0, 1]) of p(x|z)
// for each latent vector.
func (v *VAE) Decode(z [][]float32) ([][]float32, error) {
	if len(z) == 0 {
		return nil, nil
	}
	for i, zi := range z {
		if len(zi) != v.Config.Latent {
			return nil, fmt.Errorf("VAE.Decode: z[%d] has %d values, the latent space has %d", i, len(zi), v.Config.Latent)
		}
	}
	out, err := v.decode.Call(tensors.FromValue(z))
	if err != nil {
		return nil, err
	}
	return out[0].Value().([][]float32), nil
}

// Sample draws n images from the model: z ~ N(0, I) (with seed), decoded.
func (v *VAE) Sample(n int, seed uint64) ([][]float32, error) {
	return v.Decode(NormalSamples(n, v.Config.Latent, seed))
}
