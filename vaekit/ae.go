package vaekit

import (
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

// Losses of a dense autoencoder (AEConfig.Loss).
const (
	LossBCE = "bce" // Bernoulli cross-entropy from logits, summed over pixels.
	LossMSE = "mse" // squared error of sigmoid outputs, summed over pixels.
)

// Input corruptions of a denoising autoencoder (AEConfig.Noise).
const (
	NoiseNone     = ""
	NoiseGaussian = "gaussian" // x + level·N(0, 1), not clipped.
	NoiseMasking  = "masking"  // each pixel set to 0 with probability level.
)

// AEConfig holds a dense autoencoder's hyperparameters.
type AEConfig struct {
	// Layers are the encoder's sizes after the input; the last is the code,
	// e.g. [1000, 500, 250, 30]. The decoder mirrors them.
	Layers []int `json:"layers"`
	// Tied makes each decoder layer use the transpose of its encoder
	// layer's weights (with a bias of its own), as PCA's Wᵀ does.
	Tied bool   `json:"tied"`
	Loss string `json:"loss"` // LossBCE or LossMSE.
	// CodeL2 adds CodeL2·mean‖code‖² to the loss, keeping codes near 0.
	CodeL2     float64 `json:"code_l2"`
	Noise      string  `json:"noise"`       // NoiseNone, NoiseGaussian or NoiseMasking.
	NoiseLevel float64 `json:"noise_level"` // Gaussian σ, or masking probability.
	TrainConfig
	// Encoder maps inputs [B, dim] to codes [B, code], Decoder codes to
	// output logits [B, dim]; nil ones are the dense networks of Layers.
	Encoder, Decoder Network `json:"-"`
}

// DefaultAEConfig is the lecture's deep autoencoder 784-1000-500-250-30
// (ReLU hidden layers, linear code, sigmoid output, BCE), Adam 1e-3,
// batch 100.
func DefaultAEConfig() AEConfig {
	return AEConfig{Layers: []int{1000, 500, 250, 30}, Loss: LossBCE,
		TrainConfig: TrainConfig{Optimizer: "adam", LearningRate: 1e-3, Epochs: 20, BatchSize: 100}}
}

// Validate names the first bad field.
func (c AEConfig) Validate() error {
	if err := checkFinite(c); err != nil {
		return err
	}
	switch {
	case len(c.Layers) == 0 && (c.Encoder == nil || c.Decoder == nil):
		return fmt.Errorf("AEConfig.Layers: the default networks need at least the code layer")
	case c.Tied && (c.Encoder != nil || c.Decoder != nil):
		return fmt.Errorf("AEConfig.Tied ties the default networks' weights; with your own Encoder or Decoder, tie them there")
	case c.Loss != LossBCE && c.Loss != LossMSE:
		return fmt.Errorf("AEConfig.Loss must be %q or %q, got %q", LossBCE, LossMSE, c.Loss)
	case c.Noise != NoiseNone && c.Noise != NoiseGaussian && c.Noise != NoiseMasking:
		return fmt.Errorf("AEConfig.Noise must be \"\", %q or %q, got %q", NoiseGaussian, NoiseMasking, c.Noise)
	case c.NoiseLevel < 0 || (c.Noise == NoiseMasking && c.NoiseLevel > 1):
		return fmt.Errorf("AEConfig.NoiseLevel %g is out of range for noise %q", c.NoiseLevel, c.Noise)
	case c.CodeL2 < 0:
		return fmt.Errorf("AEConfig.CodeL2 must be >= 0, got %g", c.CodeL2)
	}
	if err := checkSizes("AEConfig.Layers", c.Layers); err != nil {
		return err
	}
	return c.TrainConfig.check("AEConfig")
}

// Corrupt applies input noise in the graph: Gaussian noise of standard
// deviation level (not clipped, so its level is exactly what it says), or
// masking noise that zeroes each value with probability level.
func Corrupt(scope *model.Scope, x *Node, noise string, level float64) *Node {
	switch noise {
	case NoiseGaussian:
		return Add(x, MulScalar(NormalNoise(scope, x.Graph(), x.Shape()), level))
	case NoiseMasking:
		keep := GreaterOrEqual(scope.RandomUniform(x.Graph(), x.Shape()), Scalar(x.Graph(), x.DType(), level))
		return Mul(x, ConvertDType(keep, x.DType()))
	}
	return x
}

// AE is an autoencoder, by default dense: ReLU hidden layers, a linear code
// layer, and a decoder mirroring the encoder to sigmoid outputs.
type AE struct {
	*Model
	Config AEConfig
	Dim    int

	encode, reconstruct, decode, corrupt *Eval
}

// NewAE builds an untrained autoencoder for inputs of size dim.
func NewAE(cfg AEConfig, dim int) (*AE, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &AE{Config: cfg, Dim: dim}
	if a.Config.Encoder == nil {
		a.Config.Encoder = a.denseEncoder
	}
	var err error
	a.Model, err = NewModel(Spec{Name: "autoencoder", Config: &a.Config.TrainConfig, ExampleSize: dim,
		Networks: func(scope *model.Scope, x []*Node) []*Node {
			return []*Node{Sigmoid(a.Logits(scope, x[0]))}
		},
		NetworkInputs: []shapes.Shape{shapes.Make(dtypes.Float32, 1, dim)},
		Loss:          a.loss, Metrics: []string{"recon"},
		Preview:      func(data *Data) ([][]float32, error) { return reconstructions(data, a.reconstruct) },
		PreviewTitle: "examples (above) and their reconstructions now",
	})
	if err != nil {
		return nil, err
	}
	for _, e := range []struct {
		exec **Eval
		fn   func(*model.Scope, *Node) *Node
	}{
		{&a.encode, a.encoder},
		{&a.reconstruct, func(s *model.Scope, x *Node) *Node { return Sigmoid(a.Logits(s, x)) }},
		{&a.decode, func(s *model.Scope, z *Node) *Node { return Sigmoid(a.decoder(s, z)) }},
		{&a.corrupt, func(s *model.Scope, x *Node) *Node { return Corrupt(s, x, cfg.Noise, cfg.NoiseLevel) }},
	} {
		if *e.exec, err = newEval(a.backend, a.Store, e.fn); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// encoder runs the Encoder in scope "encoder".
func (a *AE) encoder(scope *model.Scope, x *Node) *Node {
	return a.Config.Encoder(scope.In("encoder"), x)
}

// decoder runs the Decoder in scope "decoder" and checks its logits.
func (a *AE) decoder(scope *model.Scope, z *Node) *Node {
	var logits *Node
	if a.Config.Decoder == nil {
		logits = a.denseDecoder(scope, z)
	} else {
		logits = a.Config.Decoder(scope.In("decoder"), z)
	}
	if want := shapes.Make(z.DType(), z.Shape().Dimensions[0], a.Dim); logits == nil || !logits.Shape().Equal(want) {
		exceptions.Panicf("AE.Decoder must give logits of shape %s, it gave %s", want, shapeOf(logits))
	}
	return logits
}

// denseEncoder is the default encoder: Layers, ReLU but for the linear code.
func (a *AE) denseEncoder(enc *model.Scope, x *Node) *Node {
	h := x
	for i, out := range a.Config.Layers {
		h = layers.Dense(enc.In("layer_%d", i), h, true, out)
		if i < len(a.Config.Layers)-1 {
			h = activation.Relu(h)
		}
	}
	return h
}

// denseDecoder is the default decoder, mirroring denseEncoder; a tied one
// reads the encoder's weights, transposed. It takes the model's root scope.
func (a *AE) denseDecoder(scope *model.Scope, z *Node) *Node {
	// At, not In: a tied decoder reads the encoder's variables again.
	enc, dec := scope.At("encoder"), scope.In("decoder")
	sizes := append([]int{a.Dim}, a.Config.Layers...)
	h := z
	for i := len(a.Config.Layers) - 1; i >= 0; i-- {
		in, out := sizes[i+1], sizes[i]
		layer := dec.In("layer_%d", i)
		if a.Config.Tied {
			// The encoder's own weights variable, transposed: one variable, two uses.
			w := enc.At("layer_%d", i).At("dense").VariableWithShape("weights", shapes.Make(z.DType(), out, in))
			b := layer.In("dense").VariableWithShape("biases", shapes.Make(z.DType(), out))
			h = Add(MatMul(h, Transpose(w.NodeValue(z.Graph()), 0, 1)), ExpandLeftToRank(b.NodeValue(z.Graph()), 2))
		} else {
			h = layers.Dense(layer, h, true, out)
		}
		if i > 0 {
			h = activation.Relu(h)
		}
	}
	return h
}

// Logits runs the whole autoencoder.
func (a *AE) Logits(scope *model.Scope, x *Node) *Node { return a.decoder(scope, a.encoder(scope, x)) }

// ReconLoss is the per-example reconstruction loss of the clean target
// from output logits, summed over pixels.
func (a *AE) ReconLoss(logits, target *Node) *Node {
	if a.Config.Loss == LossMSE {
		return ReduceSum(Square(Sub(Sigmoid(logits), target)), -1)
	}
	return BernoulliNLL(logits, target)
}

// loss reconstructs the clean x from its corrupted copy (a denoising
// autoencoder's objective; without noise, a plain one's), plus the code penalty.
func (a *AE) loss(scope *model.Scope, x, _ *Node) (*Node, []*Node) {
	noisy := Corrupt(scope, x, a.Config.Noise, a.Config.NoiseLevel)
	code := a.encoder(scope, noisy)
	recon := ReduceAllMean(a.ReconLoss(a.decoder(scope, code), x))
	loss := recon
	if a.Config.CodeL2 > 0 {
		loss = Add(loss, MulScalar(ReduceAllMean(ReduceSum(Square(code), -1)), a.Config.CodeL2))
	}
	return loss, []*Node{recon}
}

// Encode returns the codes of every example of data.
func (a *AE) Encode(data *Data) ([][]float32, error) { return mapBatches(data, a.encode) }

// Reconstruct returns the outputs (in [0, 1]) for every example of data.
func (a *AE) Reconstruct(data *Data) ([][]float32, error) { return mapBatches(data, a.reconstruct) }

// Decode returns the outputs for codes z.
func (a *AE) Decode(z [][]float32) ([][]float32, error) {
	out, err := a.decode.Call(tensors.FromValue(z))
	if err != nil {
		return nil, err
	}
	return out[0].Value().([][]float32), nil
}

// Corrupt returns data with the model's input noise applied (drawn from
// the model's random state): what the denoising autoencoder sees.
func (a *AE) Corrupt(data *Data) (*Data, error) {
	rows, err := mapBatches(data, a.corrupt)
	if err != nil {
		return nil, err
	}
	out := &Data{Name: data.Name + "+" + a.Config.Noise, Shape: data.Shape, Labels: data.Labels}
	for _, r := range rows {
		out.X = append(out.X, r...)
	}
	return out, nil
}
