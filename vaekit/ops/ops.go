// Package ops holds the convolutional building blocks that GoMLX lacks and
// the lecture's convolutional autoencoder needs: max pooling that records
// where each maximum came from, the two unpoolings (to the recorded
// location, and copy-to-all), and deconvolution — the transposed
// convolution, the adjoint of a strided convolution.
//
// Everything is built from GoMLX operations whose gradients are exact on
// every backend (reshape, transpose, reductions, one-hot, pad with interior
// padding, strided slices, matrix products), so every op trains on the pure
// Go backend as on XLA. That includes the convolution itself (Conv): in
// GoMLX v0.28.8 the gradient of graph.Convolve with respect to its input is
// wrong for even kernel sizes (it comes out shifted by one pixel) and the
// graph fails to build when the padding exceeds kernel−1; and the Go
// backend's native convolution is slow (a conv-AE step ran 6× slower than
// with im2col). So Conv convolves by im2col — a matrix product of the
// kernel with the stacked, shifted views of the input — whose gradient is
// exact and which uses the backend's fast matrix product. Images are
// channels-last: [batch, height, width, channels].
package ops

import (
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/support/exceptions"
)

// toWindows regroups x [B, H, W, C] into non-overlapping window×window
// blocks: [B, H/window, W/window, C, window*window], each block in row-major
// order (index dy*window + dx).
func toWindows(x *Node, window int) *Node {
	dims := x.Shape().Dimensions
	if x.Rank() != 4 {
		exceptions.Panicf("ops: want an image batch [batch, height, width, channels], got shape %s", x.Shape())
	}
	if window < 1 || dims[1]%window != 0 || dims[2]%window != 0 {
		exceptions.Panicf("ops: %d×%d images do not divide into %d×%d windows (pad them first)", dims[1], dims[2], window, window)
	}
	b, h, w, c := dims[0], dims[1]/window, dims[2]/window, dims[3]
	x = Reshape(x, b, h, window, w, window, c)
	x = TransposeAllDims(x, 0, 1, 3, 5, 2, 4) // [b, h, w, c, dy, dx]
	return Reshape(x, b, h, w, c, window*window)
}

// fromWindows is the inverse of toWindows.
func fromWindows(blocks *Node, window int) *Node {
	dims := blocks.Shape().Dimensions
	b, h, w, c := dims[0], dims[1], dims[2], dims[3]
	x := Reshape(blocks, b, h, w, c, window, window)
	x = TransposeAllDims(x, 0, 1, 4, 2, 5, 3) // [b, h, dy, w, dx, c]
	return Reshape(x, b, h*window, w*window, c)
}

// MaxPoolWithIndices is window×window max pooling with stride window (the
// windows do not overlap), which also returns where each maximum was:
// indices [B, H/window, W/window, C] of int32 in [0, window²), the row-major
// position dy*window+dx inside its window.
//
// Ties go to the smallest index — the first maximum in row-major order — so
// that Unpool puts each value in exactly one place. H and W must be
// multiples of window.
func MaxPoolWithIndices(x *Node, window int) (pooled, indices *Node) {
	blocks := toWindows(x, window)
	return ReduceMax(blocks, -1), ArgMax(blocks, -1, dtypes.Int32)
}

// Unpool is max-unpooling with recorded locations: each value of pooled
// goes back to the position indices recorded in its window×window block,
// and the rest of the block is zero. Its gradient with respect to pooled is
// the incoming gradient at those positions.
func Unpool(pooled, indices *Node, window int) *Node {
	mask := OneHot(indices, window*window, pooled.DType())
	return fromWindows(Mul(mask, InsertAxes(pooled, -1)), window)
}

// UnpoolCopy is copy-to-all unpooling: each value fills its whole
// window×window block. (It is the same map as nearest-neighbour upsampling.)
func UnpoolCopy(pooled *Node, window int) *Node {
	dims := append(pooled.Shape().Clone().Dimensions, window*window)
	return fromWindows(BroadcastToDims(InsertAxes(pooled, -1), dims...), window)
}

// ConvTransposeBuilder configures a transposed convolution; see ConvTranspose.
type ConvTransposeBuilder struct {
	x, kernel     *Node
	stride        int
	padding       int
	outputPadding int
}

// ConvTranspose is deconvolution: the transposed convolution of x
// [B, H, W, Cin] with kernel [kh, kw, Cout, Cin], the adjoint of the strided
// convolution with the same kernel (which maps Cout channels to Cin), as in
// PyTorch's ConvTranspose2d and Keras' Conv2DTranspose. Configure with
// Stride, Padding and OutputPadding, then call Done. The output has
//
//	(H−1)·stride − 2·padding + kh + outputPadding
//
// rows (and likewise columns). It is computed as the lecture says:
// deconvolution is a convolution — insert stride−1 zeros between the input's
// pixels, pad the border by kh−1−padding, and convolve with the kernel
// flipped in space and transposed in channels.
func ConvTranspose(x, kernel *Node) *ConvTransposeBuilder {
	return &ConvTransposeBuilder{x: x, kernel: kernel, stride: 1}
}

// Stride of the convolution that this is the transpose of (default 1).
func (b *ConvTransposeBuilder) Stride(s int) *ConvTransposeBuilder { b.stride = s; return b }

// Padding of the convolution that this is the transpose of (default 0):
// it removes padding rows and columns on each side of the output.
func (b *ConvTransposeBuilder) Padding(p int) *ConvTransposeBuilder { b.padding = p; return b }

// OutputPadding adds rows and columns at the bottom and right of the output
// (default 0, must be smaller than the stride): a strided convolution maps
// several input sizes to the same output size, and this picks which one the
// transpose gives back.
func (b *ConvTransposeBuilder) OutputPadding(p int) *ConvTransposeBuilder {
	b.outputPadding = p
	return b
}

// Done builds the transposed convolution.
func (b *ConvTransposeBuilder) Done() *Node {
	x, kernel := b.x, b.kernel
	if x.Rank() != 4 || kernel.Rank() != 4 {
		exceptions.Panicf("ops.ConvTranspose: want x [batch, h, w, channels] and kernel [kh, kw, out, in], got %s and %s",
			x.Shape(), kernel.Shape())
	}
	kd := kernel.Shape().Dimensions
	if kd[3] != x.Shape().Dimensions[3] {
		exceptions.Panicf("ops.ConvTranspose: kernel %s takes %d input channels, x %s has %d",
			kernel.Shape(), kd[3], x.Shape(), x.Shape().Dimensions[3])
	}
	if b.stride < 1 || b.padding < 0 || b.outputPadding < 0 || b.outputPadding >= b.stride && b.outputPadding > 0 {
		exceptions.Panicf("ops.ConvTranspose: stride %d, padding %d, output padding %d: want stride >= 1, padding >= 0, "+
			"0 <= output padding < stride", b.stride, b.padding, b.outputPadding)
	}
	// Zeros between pixels and the border, per spatial axis. A padding larger
	// than kh-1 crops instead: pad by 0, then slice.
	var pads [4]PadAxis
	var crop [2][2]int
	for axis := 1; axis <= 2; axis++ {
		k := kd[axis-1]
		lo, hi := k-1-b.padding, k-1-b.padding+b.outputPadding
		pads[axis] = PadAxis{Start: max(lo, 0), End: max(hi, 0), Interior: b.stride - 1}
		crop[axis-1] = [2]int{max(-lo, 0), max(-hi, 0)}
	}
	dilated := Pad(x, ScalarZero(x.Graph(), x.DType()), pads[:]...)
	if crop != [2][2]int{} {
		d := dilated.Shape().Dimensions
		dilated = Slice(dilated, AxisRange(),
			AxisRange(crop[0][0], d[1]-crop[0][1]), AxisRange(crop[1][0], d[2]-crop[1][1]), AxisRange())
	}
	flipped := Transpose(Reverse(kernel, 0, 1), 2, 3) // [kh, kw, in, out]
	return Conv(dilated, flipped).Done()
}

// ConvBuilder configures a convolution; see Conv.
type ConvBuilder struct {
	x, kernel       *Node
	stride, padding int
}

// Conv is the 2-D convolution (cross-correlation, as in every framework) of
// x [B, H, W, Cin] with kernel [kh, kw, Cin, Cout], with zero Padding on
// every side and a Stride (defaults 0 and 1). The output has
// (H + 2·padding − kh)/stride + 1 rows (rounded down), likewise columns.
func Conv(x, kernel *Node) *ConvBuilder { return &ConvBuilder{x: x, kernel: kernel, stride: 1} }

// Stride of the convolution (default 1).
func (b *ConvBuilder) Stride(s int) *ConvBuilder { b.stride = s; return b }

// Padding adds p zero rows and columns on each side of the input (default 0).
func (b *ConvBuilder) Padding(p int) *ConvBuilder { b.padding = p; return b }

// Done builds the convolution: the kh·kw strided views of the padded input,
// stacked, times the kernel as a [kh·kw·Cin, Cout] matrix.
func (b *ConvBuilder) Done() *Node {
	x, kernel := b.x, b.kernel
	if x.Rank() != 4 || kernel.Rank() != 4 {
		exceptions.Panicf("ops.Conv: want x [batch, h, w, channels] and kernel [kh, kw, in, out], got %s and %s",
			x.Shape(), kernel.Shape())
	}
	kd, xd := kernel.Shape().Dimensions, x.Shape().Dimensions
	if kd[2] != xd[3] {
		exceptions.Panicf("ops.Conv: kernel %s takes %d input channels, x %s has %d", kernel.Shape(), kd[2], x.Shape(), xd[3])
	}
	if b.stride < 1 || b.padding < 0 {
		exceptions.Panicf("ops.Conv: stride %d and padding %d: want stride >= 1 and padding >= 0", b.stride, b.padding)
	}
	s, p := b.stride, b.padding
	oh, ow := ConvOutputSize(xd[1], kd[0], s, p), ConvOutputSize(xd[2], kd[1], s, p)
	if oh <= 0 || ow <= 0 {
		exceptions.Panicf("ops.Conv: a %d×%d kernel does not fit %d×%d images padded by %d", kd[0], kd[1], xd[1], xd[2], p)
	}
	if p > 0 {
		x = Pad(x, ScalarZero(x.Graph(), x.DType()), PadAxis{}, PadAxis{Start: p, End: p}, PadAxis{Start: p, End: p}, PadAxis{})
	}
	views := make([]*Node, 0, kd[0]*kd[1])
	for di := range kd[0] {
		for dj := range kd[1] {
			views = append(views, Slice(x, AxisRange(),
				AxisRange(di, di+s*(oh-1)+1).Stride(s), AxisRange(dj, dj+s*(ow-1)+1).Stride(s), AxisRange()))
		}
	}
	patches := Concatenate(views, -1) // [B, oh, ow, kh*kw*Cin], in kernel order (di, dj, cin).
	return Einsum("bhwk,ko->bhwo", patches, Reshape(kernel, kd[0]*kd[1]*kd[2], kd[3]))
}

// OutputSize is the size that ConvTranspose gives along one axis.
func OutputSize(in, kernel, stride, padding, outputPadding int) int {
	return (in-1)*stride - 2*padding + kernel + outputPadding
}

// ConvOutputSize is the size that a convolution gives along one axis.
func ConvOutputSize(in, kernel, stride, padding int) int {
	return (in+2*padding-kernel)/stride + 1
}
