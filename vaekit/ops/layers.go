package ops

import (
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// ConvLayer is a trainable convolution with bias: weights [kernel, kernel,
// Cin, channels] (initialised by the scope's initializer, He by default)
// and biases [channels] (zeros), in scope.In("conv").
func ConvLayer(scope *model.Scope, x *Node, channels, kernel, stride, padding int) *Node {
	scope = scope.In("conv")
	g := x.Graph()
	cin := x.Shape().Dimensions[x.Rank()-1]
	w := scope.VariableWithShape("weights", shapes.Make(x.DType(), kernel, kernel, cin, channels)).NodeValue(g)
	b := scope.VariableWithShape("biases", shapes.Make(x.DType(), channels)).NodeValue(g)
	return Add(Conv(x, w).Stride(stride).Padding(padding).Done(), Reshape(b, 1, 1, 1, channels))
}

// ConvTransposeLayer is a trainable transposed convolution (deconvolution)
// with bias, in scope.In("conv_transpose"): weights [kernel, kernel, Cin,
// channels], in GoMLX's usual kernel layout so that initializers read the
// right fan-in, and biases [channels].
func ConvTransposeLayer(scope *model.Scope, x *Node, channels, kernel, stride, padding, outputPadding int) *Node {
	scope = scope.In("conv_transpose")
	g := x.Graph()
	cin := x.Shape().Dimensions[x.Rank()-1]
	w := scope.VariableWithShape("weights", shapes.Make(x.DType(), kernel, kernel, cin, channels)).NodeValue(g)
	w = Transpose(w, 2, 3) // ConvTranspose takes [kernel, kernel, channels, Cin].
	b := scope.VariableWithShape("biases", shapes.Make(x.DType(), channels)).NodeValue(g)
	return Add(ConvTranspose(x, w).Stride(stride).Padding(padding).OutputPadding(outputPadding).Done(), Reshape(b, 1, 1, 1, channels))
}
