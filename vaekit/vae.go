package vaekit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/metric"
	"github.com/gomlx/gomlx/ml/train/optimizer"
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
	Hidden       []int   `json:"hidden"`        // encoder layer sizes (the decoder mirrors them).
	Latent       int     `json:"latent"`        // size of z.
	Optimizer    string  `json:"optimizer"`     // "rmsprop", "adam" or "sgd".
	LearningRate float64 `json:"learning_rate"` // of the optimizer.
	Epochs       int     `json:"epochs"`
	BatchSize    int     `json:"batch_size"`
	KLWeight     float64 `json:"kl_weight"` // weight of the KL term (1 is the ELBO; β-VAE otherwise).
	Input        string  `json:"input"`     // InputGrey or InputBinarized.
	Seed         int64   `json:"seed"`
}

// DefaultVAEConfig is the Keras blog's VAE: 784-256-2, batch 100, RMSprop
// (learning rate 1e-3), 50 epochs, grey-level input.
func DefaultVAEConfig() VAEConfig {
	return VAEConfig{Hidden: []int{256}, Latent: 2, Optimizer: "rmsprop", LearningRate: 1e-3,
		Epochs: 50, BatchSize: 100, KLWeight: 1, Input: InputGrey}
}

// Validate checks every field and names the first bad one.
func (c VAEConfig) Validate() error {
	if err := checkFinite(c); err != nil {
		return err
	}
	switch {
	case len(c.Hidden) == 0:
		return errors.New("VAEConfig.Hidden: need at least one hidden layer")
	case c.Latent <= 0:
		return fmt.Errorf("VAEConfig.Latent must be positive, got %d", c.Latent)
	case c.LearningRate <= 0 || math.IsNaN(c.LearningRate):
		return fmt.Errorf("VAEConfig.LearningRate must be positive, got %g", c.LearningRate)
	case c.Epochs < 0:
		return fmt.Errorf("VAEConfig.Epochs must be >= 0, got %d", c.Epochs)
	case c.BatchSize <= 0:
		return fmt.Errorf("VAEConfig.BatchSize must be positive, got %d", c.BatchSize)
	case c.KLWeight < 0:
		return fmt.Errorf("VAEConfig.KLWeight must be >= 0, got %g", c.KLWeight)
	case c.Input != InputGrey && c.Input != InputBinarized:
		return fmt.Errorf("VAEConfig.Input must be %q or %q, got %q", InputGrey, InputBinarized, c.Input)
	}
	for i, h := range c.Hidden {
		if h <= 0 {
			return fmt.Errorf("VAEConfig.Hidden[%d] must be positive, got %d", i, h)
		}
	}
	_, err := NewOptimizer(c.Optimizer, c.LearningRate)
	return err
}

// NewOptimizer returns a GoMLX optimizer by name: "rmsprop", "adam" or "sgd".
func NewOptimizer(name string, learningRate float64) (optimizer.Interface, error) {
	switch strings.ToLower(name) {
	case "rmsprop":
		return optimizer.RMSProp().LearningRate(learningRate).Done(), nil
	case "adam":
		return optimizer.Adam().LearningRate(learningRate).Done(), nil
	case "sgd":
		return optimizer.StochasticGradientDescent().WithLearningRate(learningRate).Done(), nil
	}
	return nil, fmt.Errorf("unknown optimizer %q (want rmsprop, adam or sgd)", name)
}

// VAE is a variational autoencoder with a dense ReLU encoder giving z_mean
// and z_log_var, the reparameterisation trick, and a Bernoulli decoder
// from logits. Its loss is the negative ELBO: reconstruction cross-entropy
// (summed over pixels) plus the analytic KL divergence to N(0, I).
type VAE struct {
	Config  VAEConfig
	Dim     int // input size (784 for MNIST).
	Store   *model.Store
	Trainer *train.Trainer

	encode *evalExec // x → z_mean, z_log_var
	decode *evalExec // z → Bernoulli means
	terms  *evalExec // x → per-image reconstruction and KL nats
}

// NewVAE builds an untrained VAE for inputs of size dim.
func NewVAE(cfg VAEConfig, dim int) (*VAE, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	backend, err := Backend()
	if err != nil {
		return nil, err
	}
	opt, _ := NewOptimizer(cfg.Optimizer, cfg.LearningRate)
	v := &VAE{Config: cfg, Dim: dim, Store: model.NewStore()}
	SetSeed(v.Store, cfg.Seed)
	metricOf := func(name string, i int) metric.Interface {
		return metric.NewBaseMetric(name, name, metric.LossMetricType,
			func(_ *model.Scope, _, predictions []*Node) *Node { return predictions[i] }, nil)
	}
	v.Trainer = train.NewTrainer(backend, v.Store, v.trainGraph, nil, opt,
		[]metric.Interface{metricOf("recon", 0), metricOf("kl", 1)}, nil)
	if v.encode, err = newEvalExec(backend, v.Store, func(scope *model.Scope, x *Node) []*Node {
		mean, logVar := v.Encoder(scope, x)
		return []*Node{mean, logVar}
	}); err != nil {
		return nil, err
	}
	if v.decode, err = newEvalExec(backend, v.Store, func(scope *model.Scope, z *Node) *Node {
		return Sigmoid(v.Decoder(scope, z))
	}); err != nil {
		return nil, err
	}
	if v.terms, err = newEvalExec(backend, v.Store, func(scope *model.Scope, x *Node) []*Node {
		recon, kl := v.Terms(scope, x)
		return []*Node{recon, kl}
	}); err != nil {
		return nil, err
	}
	return v, nil
}

// Encoder maps x [batch, dim] to the parameters of q(z|x): z_mean and
// z_log_var, each [batch, latent].
func (v *VAE) Encoder(scope *model.Scope, x *Node) (mean, logVar *Node) {
	scope = scope.In("encoder")
	h := x
	for i, size := range v.Config.Hidden {
		h = activation.Relu(layers.Dense(scope.In("hidden_%d", i), h, true, size))
	}
	mean = layers.Dense(scope.In("z_mean"), h, true, v.Config.Latent)
	logVar = layers.Dense(scope.In("z_log_var"), h, true, v.Config.Latent)
	return
}

// Decoder maps z [batch, latent] to the logits of p(x|z), [batch, dim]:
// the hidden layers in reverse order, then dim Bernoulli logits.
func (v *VAE) Decoder(scope *model.Scope, z *Node) (logits *Node) {
	scope = scope.In("decoder")
	h := z
	for i := len(v.Config.Hidden) - 1; i >= 0; i-- {
		h = activation.Relu(layers.Dense(scope.In("hidden_%d", i), h, true, v.Config.Hidden[i]))
	}
	return layers.Dense(scope.In("logits"), h, true, v.Dim)
}

// Reparameterize draws z = mean + exp(logVar/2)·ε with ε ~ N(0, I): the
// randomness is an input of the graph, so gradients flow to mean and logVar.
func Reparameterize(scope *model.Scope, mean, logVar *Node) *Node {
	eps := scope.RandomNormal(mean.Graph(), mean.Shape())
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
	return ReduceSum(Sub(Softplus(logits), Mul(target, logits)), -1)
}

// Terms returns the per-example reconstruction nats and KL nats of x, with
// one sample of z (and, for binarized input, one binarisation of x).
func (v *VAE) Terms(scope *model.Scope, x *Node) (recon, kl *Node) {
	if v.Config.Input == InputBinarized {
		u := scope.RandomUniform(x.Graph(), x.Shape())
		x = ConvertDType(LessThan(u, x), x.DType())
	}
	mean, logVar := v.Encoder(scope, x)
	z := Reparameterize(scope, mean, logVar)
	return BernoulliNLL(v.Decoder(scope, z), x), KLDivergence(mean, logVar)
}

// trainGraph is the training step's model: it adds the loss (mean negative
// ELBO, KL weighted) and returns the batch means of its two terms.
func (v *VAE) trainGraph(scope *model.Scope, x *Node) []*Node {
	recon, kl := v.Terms(scope, x)
	reconMean, klMean := ReduceAllMean(recon), ReduceAllMean(kl)
	train.AddMainLoss(Add(reconMean, MulScalar(klMean, v.Config.KLWeight)))
	return []*Node{reconMean, klMean}
}

// Train fits the VAE on data with Config's epochs and batch size.
// With a checkpoint directory, an interrupted run resumes and a finished
// one is reused. onEpoch may add metrics (e.g. test ELBO) to each epoch.
func (v *VAE) Train(ctx context.Context, data *Data, dir string, progress bool,
	onEpoch func(epoch int, metrics map[string]float64) error) (*History, error) {
	if d := data.size(); d != v.Dim {
		return nil, fmt.Errorf("VAE: data %q has examples of %d values, the model takes %d", data.Name, d, v.Dim)
	}
	fit := &Fit{Trainer: v.Trainer, Data: data, BatchSize: v.Config.BatchSize, Epochs: v.Config.Epochs,
		Seed: v.Config.Seed, Dir: dir, Progress: progress, OnEpoch: onEpoch}
	return fit.Run(ctx)
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

// forBatches calls fn on data in fixed-size batches; the last one is
// padded by repeating its first example, and fn is told how many are real.
func forBatches(data *Data, fn func(x *tensors.Tensor, from, n int) error) error {
	if err := data.check(); err != nil {
		return err
	}
	total := data.Len()
	for from := 0; from < total; from += evalBatch {
		n := min(evalBatch, total-from)
		x, _ := data.gather(func(i int) int {
			if i < n {
				return from + i
			}
			return from
		}, evalBatch)
		if err := fn(x, from, n); err != nil {
			return err
		}
	}
	return nil
}
