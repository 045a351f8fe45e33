package vaekit

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
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
	case len(c.Layers) == 0:
		return fmt.Errorf("AEConfig.Layers: need at least the code layer")
	case c.Loss != LossBCE && c.Loss != LossMSE:
		return fmt.Errorf("AEConfig.Loss must be %q or %q, got %q", LossBCE, LossMSE, c.Loss)
	case c.Noise != NoiseNone && c.Noise != NoiseGaussian && c.Noise != NoiseMasking:
		return fmt.Errorf("AEConfig.Noise must be \"\", %q or %q, got %q", NoiseGaussian, NoiseMasking, c.Noise)
	case c.NoiseLevel < 0 || (c.Noise == NoiseMasking && c.NoiseLevel > 1):
		return fmt.Errorf("AEConfig.NoiseLevel %g is out of range for noise %q", c.NoiseLevel, c.Noise)
	case c.CodeL2 < 0:
		return fmt.Errorf("AEConfig.CodeL2 must be >= 0, got %g", c.CodeL2)
	}
	for i, l := range c.Layers {
		if l <= 0 {
			return fmt.Errorf("AEConfig.Layers[%d] must be positive, got %d", i, l)
		}
	}
	return c.TrainConfig.check("AEConfig")
}

// Corrupt applies input noise in the graph: Gaussian noise of standard
// deviation level (not clipped, so its level is exactly what it says), or
// masking noise that zeroes each value with probability level.
func Corrupt(scope *model.Scope, x *Node, noise string, level float64) *Node {
	switch noise {
	case NoiseGaussian:
		return Add(x, MulScalar(scope.RandomNormal(x.Graph(), x.Shape()), level))
	case NoiseMasking:
		keep := GreaterOrEqual(scope.RandomUniform(x.Graph(), x.Shape()), Scalar(x.Graph(), x.DType(), level))
		return Mul(x, ConvertDType(keep, x.DType()))
	}
	return x
}

// AE is a dense autoencoder: ReLU hidden layers, a linear code layer, and a
// decoder mirroring the encoder to sigmoid outputs.
type AE struct {
	Model
	Config AEConfig
	Dim    int

	encode, reconstruct, decode, corrupt *evalExec
}

// NewAE builds an untrained autoencoder for inputs of size dim.
func NewAE(cfg AEConfig, dim int) (*AE, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &AE{Config: cfg, Dim: dim}
	var err error
	if a.Model, err = newModel(&a.Config.TrainConfig); err != nil {
		return nil, err
	}
	opt, _ := cfg.optimizer()
	a.Trainer = train.NewTrainer(a.backend, a.Store, a.trainGraph, nil, opt, lossMetrics("recon"), nil)
	a.trainData = func(data *Data) (*Data, error) {
		if d := data.size(); d != a.Dim {
			return nil, fmt.Errorf("AE: data %q has examples of %d values, the model takes %d", data.Name, d, a.Dim)
		}
		return data, nil
	}
	for _, e := range []struct {
		exec **evalExec
		fn   func(*model.Scope, *Node) *Node
	}{
		{&a.encode, a.Encoder},
		{&a.reconstruct, func(s *model.Scope, x *Node) *Node { return Sigmoid(a.Logits(s, x)) }},
		{&a.decode, func(s *model.Scope, z *Node) *Node { return Sigmoid(a.Decoder(s, z)) }},
		{&a.corrupt, func(s *model.Scope, x *Node) *Node { return Corrupt(s, x, cfg.Noise, cfg.NoiseLevel) }},
	} {
		if *e.exec, err = newEvalExec(a.backend, a.Store, e.fn); err != nil {
			return nil, err
		}
	}
	a.forward = func() (*Graph, error) { return a.reconstruct.Compile(shapes.Make(dtypes.Float32, 1, dim)) }
	return a, nil
}

// dense is a fully connected layer x·W + b with W [in, out] and b [out] in
// scope (W stays reachable by the name "weights" for tied decoders).
func dense(scope *model.Scope, x *Node, out int) *Node {
	in := x.Shape().Dimensions[x.Rank()-1]
	w := scope.VariableWithShape("weights", shapes.Make(x.DType(), in, out)).NodeValue(x.Graph())
	b := scope.VariableWithShape("biases", shapes.Make(x.DType(), out)).NodeValue(x.Graph())
	return Add(MatMul(x, w), ExpandLeftToRank(b, 2))
}

// Encoder maps x [B, dim] to codes [B, code].
func (a *AE) Encoder(scope *model.Scope, x *Node) *Node {
	enc := scope.In("encoder")
	h := x
	for i, out := range a.Config.Layers {
		h = dense(enc.In("layer_%d", i), h, out)
		if i < len(a.Config.Layers)-1 {
			h = activation.Relu(h)
		}
	}
	return h
}

// Decoder maps codes [B, code] to output logits [B, dim].
func (a *AE) Decoder(scope *model.Scope, z *Node) *Node {
	// At, not In: a tied decoder reads the encoder's variables again.
	enc, dec := scope.At("encoder"), scope.In("decoder")
	sizes := append([]int{a.Dim}, a.Config.Layers...)
	h := z
	for i := len(a.Config.Layers) - 1; i >= 0; i-- {
		in, out := sizes[i+1], sizes[i]
		layer := dec.In("layer_%d", i)
		var w *Node
		if a.Config.Tied {
			// The encoder's own weights variable, transposed: one variable, two uses.
			w = Transpose(enc.At("layer_%d", i).VariableWithShape("weights",
				shapes.Make(z.DType(), out, in)).NodeValue(z.Graph()), 0, 1)
		} else {
			w = layer.VariableWithShape("weights", shapes.Make(z.DType(), in, out)).NodeValue(z.Graph())
		}
		b := layer.VariableWithShape("biases", shapes.Make(z.DType(), out)).NodeValue(z.Graph())
		h = Add(MatMul(h, w), ExpandLeftToRank(b, 2))
		if i > 0 {
			h = activation.Relu(h)
		}
	}
	return h
}

// Logits runs the whole autoencoder.
func (a *AE) Logits(scope *model.Scope, x *Node) *Node { return a.Decoder(scope, a.Encoder(scope, x)) }

// ReconLoss is the per-example reconstruction loss of the clean target
// from output logits, summed over pixels.
func (a *AE) ReconLoss(logits, target *Node) *Node {
	if a.Config.Loss == LossMSE {
		return ReduceSum(Square(Sub(Sigmoid(logits), target)), -1)
	}
	return BernoulliNLL(logits, target)
}

func (a *AE) trainGraph(scope *model.Scope, x *Node) []*Node {
	noisy := Corrupt(scope, x, a.Config.Noise, a.Config.NoiseLevel)
	code := a.Encoder(scope, noisy)
	recon := ReduceAllMean(a.ReconLoss(a.Decoder(scope, code), x))
	loss := recon
	if a.Config.CodeL2 > 0 {
		loss = Add(loss, MulScalar(ReduceAllMean(ReduceSum(Square(code), -1)), a.Config.CodeL2))
	}
	train.AddMainLoss(loss)
	return []*Node{recon}
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
