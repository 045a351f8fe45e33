package ops

import (
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
	"github.com/gomlx/gomlx/support/exceptions"
)

// ConvLayerBuilder configures a trainable convolution; ConvLayer makes one.
type ConvLayerBuilder struct {
	scope                             *model.Scope
	x                                 *Node
	channels, kernel, stride, padding int
	transposed                        bool
	outputPadding                     int
}

// ConvLayer starts a trainable convolution of x [B, H, W, Cin] with bias, in
// scope.In("conv"): weights [kernel, kernel, Cin, channels] (initialised by
// the scope's initializer, He by default) and biases [channels] (zeros).
// Set Channels, then Kernel, Stride and Padding (defaults 3, 1 and 0), and
// call Done:
//
//	h = ops.ConvLayer(scope.In("conv_1"), x).Channels(64).Kernel(4).Stride(2).Padding(1).Done()
func ConvLayer(scope *model.Scope, x *Node) *ConvLayerBuilder {
	return &ConvLayerBuilder{scope: scope, x: x, kernel: 3, stride: 1}
}

// ConvTransposeLayer starts a trainable transposed convolution
// (deconvolution) with bias, in scope.In("conv_transpose"): weights
// [kernel, kernel, Cin, channels], in GoMLX's usual kernel layout so that
// initializers read the right fan-in, and biases [channels]. Its options
// are ConvLayer's and OutputPadding.
func ConvTransposeLayer(scope *model.Scope, x *Node) *ConvLayerBuilder {
	return &ConvLayerBuilder{scope: scope, x: x, kernel: 3, stride: 1, transposed: true}
}

// Channels sets the output channels (required).
func (b *ConvLayerBuilder) Channels(n int) *ConvLayerBuilder { b.channels = n; return b }

// Kernel sets the kernel's side.
func (b *ConvLayerBuilder) Kernel(k int) *ConvLayerBuilder { b.kernel = k; return b }

// Stride sets the stride on both spatial axes.
func (b *ConvLayerBuilder) Stride(s int) *ConvLayerBuilder { b.stride = s; return b }

// Padding sets the zero padding on each side of both spatial axes (of the
// input; of a transposed convolution, what its output loses on each side).
func (b *ConvLayerBuilder) Padding(p int) *ConvLayerBuilder { b.padding = p; return b }

// OutputPadding adds rows and columns at the end of a transposed
// convolution's output (PyTorch's output_padding).
func (b *ConvLayerBuilder) OutputPadding(p int) *ConvLayerBuilder { b.outputPadding = p; return b }

// Done builds the layer and returns its output.
func (b *ConvLayerBuilder) Done() *Node {
	if b.channels <= 0 || b.kernel <= 0 || b.stride <= 0 || b.padding < 0 || b.outputPadding < 0 {
		exceptions.Panicf("ops.ConvLayer: Channels, Kernel and Stride must be positive and the paddings >= 0, got channels %d, kernel %d, stride %d, padding %d, output padding %d",
			b.channels, b.kernel, b.stride, b.padding, b.outputPadding)
	}
	if b.outputPadding > 0 && !b.transposed {
		exceptions.Panicf("ops.ConvLayer: OutputPadding is for a transposed convolution (ConvTransposeLayer)")
	}
	x, g := b.x, b.x.Graph()
	scope := b.scope.In("conv")
	if b.transposed {
		scope = b.scope.In("conv_transpose")
	}
	cin := x.Shape().Dimensions[x.Rank()-1]
	w := scope.VariableWithShape("weights", shapes.Make(x.DType(), b.kernel, b.kernel, cin, b.channels)).NodeValue(g)
	bias := Reshape(scope.VariableWithShape("biases", shapes.Make(x.DType(), b.channels)).NodeValue(g), 1, 1, 1, b.channels)
	if b.transposed {
		w = Transpose(w, 2, 3) // ConvTranspose takes [kernel, kernel, channels, Cin].
		return Add(ConvTranspose(x, w).Stride(b.stride).Padding(b.padding).OutputPadding(b.outputPadding).Done(), bias)
	}
	return Add(Conv(x, w).Stride(b.stride).Padding(b.padding).Done(), bias)
}

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
		mean = batchMean(x, axes)
		variance = batchMean(Square(Sub(x, mean)), axes)
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
	// (x − mean)/√(variance + ε)·gamma + beta as x·scale + shift, per-channel
	// scale and shift (as PyTorch's CPU kernel computes it): two operations on
	// the whole batch, and so two reductions over it in their gradient, not four
	// (training adds one, the variance's).
	scale := Div(ExpandLeftToRank(gamma, x.Rank()), Sqrt(AddScalar(variance, 1e-5)))
	shift := Sub(ExpandLeftToRank(beta, x.Rank()), Mul(mean, scale))
	return Add(Mul(x, scale), shift)
}

// batchMean is x's mean over every axis but the last (the channels), kept as
// axes of 1. On XLA it is a product with a row of 1/N, which XLA CPU runs
// faster than the reduction (the DCGAN's batch norms, docs/benchmarks.md);
// the Go backend runs the reduction faster.
func batchMean(x *Node, axes []int) *Node {
	if !onXLA(x) {
		return ReduceAndKeep(x, ReduceMean, axes...)
	}
	c := x.Shape().Dimensions[len(axes)]
	n := x.Shape().Size() / c
	w := BroadcastToDims(Scalar(x.Graph(), x.DType(), 1/float64(n)), 1, n)
	return ExpandLeftToRank(Reshape(MatMul(w, Reshape(x, n, c)), c), x.Rank())
}

// BatchNormMomentum is the weight of each training batch's statistics in
// BatchNorm's running averages.
const BatchNormMomentum = 0.1
