package vaekit

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/loss"
	"github.com/vaekit/vaekit/vaekit/ops"
)

// The decoders of a convolutional autoencoder (ConvAEConfig.Unpool).
const (
	// UnpoolLocations: max-unpooling to the locations recorded by the
	// encoder's max pooling (zeros elsewhere), then deconvolution.
	UnpoolLocations = "locations"
	// UnpoolCopy: copy-to-all unpooling (each value fills its 2×2 block),
	// then deconvolution.
	UnpoolCopy = "copy"
	// UpsampleConv: nearest-neighbour upsampling then an ordinary
	// convolution, the usual Keras decoder.
	UpsampleConv = "upsample"
)

// ConvAEConfig holds a convolutional autoencoder's hyperparameters; the
// defaults (DefaultConvAEConfig) are the benchmark's conv-ae.
type ConvAEConfig struct {
	Channels []int  `json:"channels"` // per encoder stage (conv + ReLU + 2×2 max-pool).
	Kernel   int    `json:"kernel"`   // odd kernel size of every (de)convolution.
	Unpool   string `json:"unpool"`   // UnpoolLocations, UnpoolCopy or UpsampleConv.
	TrainConfig
}

// DefaultConvAEConfig: conv 1→32 3×3 + ReLU + max-pool, conv 32→64 + ReLU +
// max-pool; decoder unpool, deconv 64→32 + ReLU, unpool, deconv 32→1; BCE
// from logits, Adam 1e-3, batch 100.
func DefaultConvAEConfig() ConvAEConfig {
	return ConvAEConfig{Channels: []int{32, 64}, Kernel: 3, Unpool: UnpoolLocations,
		TrainConfig: TrainConfig{Optimizer: "adam", LearningRate: 1e-3, Epochs: 5, BatchSize: 100}}
}

// Validate names the first bad field.
func (c ConvAEConfig) Validate() error {
	if err := checkFinite(c); err != nil {
		return err
	}
	switch {
	case len(c.Channels) == 0:
		return fmt.Errorf("ConvAEConfig.Channels: need at least one stage")
	case c.Kernel <= 0 || c.Kernel%2 == 0:
		return fmt.Errorf("ConvAEConfig.Kernel must be odd and positive (to keep sizes), got %d", c.Kernel)
	case c.Unpool != UnpoolLocations && c.Unpool != UnpoolCopy && c.Unpool != UpsampleConv:
		return fmt.Errorf("ConvAEConfig.Unpool must be %q, %q or %q, got %q", UnpoolLocations, UnpoolCopy, UpsampleConv, c.Unpool)
	}
	if err := checkSizes("ConvAEConfig.Channels", c.Channels); err != nil {
		return err
	}
	return c.TrainConfig.check("ConvAEConfig")
}

// ConvAE is the lecture's convolutional autoencoder: convolutions and max
// pooling down, unpooling and deconvolution up, for square grey images.
type ConvAE struct {
	*Model
	Config ConvAEConfig
	Side   int // image side (28 for MNIST).

	reconstruct *Eval // x → sigmoid outputs
	features    *Eval // x → first stage's feature maps, before pooling
}

// NewConvAE builds an untrained convolutional autoencoder for side×side
// images; side must be divisible by 2^len(Channels).
func NewConvAE(cfg ConvAEConfig, side int) (*ConvAE, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if side%(1<<len(cfg.Channels)) != 0 {
		return nil, fmt.Errorf("ConvAE: %d×%d images cannot be max-pooled %d times by 2", side, side, len(cfg.Channels))
	}
	a := &ConvAE{Config: cfg, Side: side}
	var err error
	a.Model, err = NewModel(Spec{Name: "convolutional autoencoder", Config: &a.Config.TrainConfig, ExampleSize: side * side,
		Networks: func(scope *model.Scope, x []*Node) []*Node {
			return []*Node{Reshape(Sigmoid(a.Logits(scope, x[0])), x[0].Shape().Dimensions...)}
		},
		NetworkInputs: []shapes.Shape{shapes.Make(dtypes.Float32, 1, side*side)},
		// The mean of the pixels' Bernoulli cross-entropies.
		Loss: func(scope *model.Scope, x, _ *Node) (*Node, []*Node) {
			flat := Reshape(a.Logits(scope, x), x.Shape().Dimensions...)
			return loss.BinaryCrossentropyLogits([]*Node{x}, []*Node{flat}), nil
		},
		Preview:      func(data *Data) ([][]float32, error) { return reconstructions(data, a.reconstruct) },
		PreviewTitle: "examples (above) and their reconstructions now",
	})
	if err != nil {
		return nil, err
	}
	if a.reconstruct, err = newEval(a.backend, a.Store, func(scope *model.Scope, x *Node) *Node {
		return Reshape(Sigmoid(a.Logits(scope, x)), x.Shape().Dimensions...)
	}); err != nil {
		return nil, err
	}
	if a.features, err = newEval(a.backend, a.Store, func(scope *model.Scope, x *Node) *Node {
		return a.stage(scope.In("encoder"), a.image(x), 0)
	}); err != nil {
		return nil, err
	}
	return a, nil
}

// image reshapes flat examples [B, side²] to [B, side, side, 1].
func (a *ConvAE) image(x *Node) *Node {
	return Reshape(x, x.Shape().Dimensions[0], a.Side, a.Side, 1)
}

// stage is encoder stage i before pooling: convolution + ReLU.
func (a *ConvAE) stage(encoder *model.Scope, h *Node, i int) *Node {
	k := a.Config.Kernel
	return activation.Relu(ops.ConvLayer(encoder.In("stage_%d", i), h).Channels(a.Config.Channels[i]).Kernel(k).Stride(1).Padding(k / 2).Done())
}

// Logits runs the whole autoencoder on flat examples x [B, side²] and
// returns the output logits [B, side, side, 1].
func (a *ConvAE) Logits(scope *model.Scope, x *Node) *Node {
	cfg := a.Config
	h := a.image(x)
	indices := make([]*Node, len(cfg.Channels))
	encoder, decoder := scope.In("encoder"), scope.In("decoder")
	for i := range cfg.Channels {
		h, indices[i] = ops.MaxPoolWithIndices(a.stage(encoder, h, i), 2)
	}
	k := cfg.Kernel
	for i := len(cfg.Channels) - 1; i >= 0; i-- {
		out := 1
		if i > 0 {
			out = cfg.Channels[i-1]
		}
		dec := decoder.In("stage_%d", i)
		switch cfg.Unpool {
		case UnpoolLocations:
			h = ops.ConvTransposeLayer(dec, ops.Unpool(h, indices[i], 2)).Channels(out).Kernel(k).Stride(1).Padding(k / 2).Done()
		case UnpoolCopy:
			h = ops.ConvTransposeLayer(dec, ops.UnpoolCopy(h, 2)).Channels(out).Kernel(k).Stride(1).Padding(k / 2).Done()
		case UpsampleConv:
			h = ops.ConvLayer(dec, ops.UnpoolCopy(h, 2)).Channels(out).Kernel(k).Stride(1).Padding(k / 2).Done()
		}
		if i > 0 {
			h = activation.Relu(h)
		}
	}
	return h
}

// Reconstruct returns the autoencoder's outputs (in [0, 1]) for every
// example of data.
func (a *ConvAE) Reconstruct(data *Data) ([][]float32, error) {
	return mapBatches(data, a.reconstruct)
}

// Features returns the feature maps of the first encoder stage (after the
// ReLU, before pooling) of data's first n examples: [n][side][side][C].
func (a *ConvAE) Features(data *Data, n int) ([][][][]float32, error) {
	x, _ := data.Batch(0, n)
	out, err := a.features.Call(x)
	if err != nil {
		return nil, err
	}
	return out[0].Value().([][][][]float32), nil
}
