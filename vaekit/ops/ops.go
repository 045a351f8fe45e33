// Package ops holds the convolutional building blocks that GoMLX lacks and
// the lecture's convolutional autoencoder needs: max pooling that records
// where each maximum came from, the two unpoolings (to the recorded
// location, and copy-to-all), convolution and deconvolution — the
// transposed convolution, the adjoint of a strided convolution.
//
// Conv and ConvTranspose compute in one of two ways (Algorithm): with the
// backend's own convolution (XLA's is fast; GoMLX's gradient of it is used
// only where it is exact, see Native), or by im2col on matrix products
// (exact everywhere, and the fast way on the pure Go backend, whose native
// convolution is slow). Auto picks by backend. Images are channels-last:
// [batch, height, width, channels].
package ops

import (
	"strings"

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
	algorithm     Algorithm
}

// ConvTranspose is deconvolution: the transposed convolution of x
// [B, H, W, Cin] with kernel [kh, kw, Cout, Cin], the adjoint of the strided
// convolution with the same kernel (which maps Cout channels to Cin), as in
// PyTorch's ConvTranspose2d and Keras' Conv2DTranspose. Configure with
// Stride, Padding and OutputPadding, then call Done. The output has
//
//	(H−1)·stride − 2·padding + kh + outputPadding
//
// rows (and likewise columns). As the lecture says, deconvolution is a
// convolution — of the input with stride−1 zeros inserted between its
// pixels and kh−1−padding around them, by the kernel flipped in space and
// transposed in channels — and the tests check that identity; Done computes
// it without the zeros.
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

// Algorithm chooses how to compute it (default Auto).
func (b *ConvTransposeBuilder) Algorithm(a Algorithm) *ConvTransposeBuilder {
	b.algorithm = a
	return b
}

// Done builds the transposed convolution. Natively, it is the convolution
// of the stride-dilated input described above. With Im2col it follows the
// definition "each input pixel scatters a kernel-weighted copy into the
// output": one matrix product x·Wᵀ gives every pixel's kh·kw·Cout
// contributions, and each kernel position is placed by a pad whose interior
// padding spaces the pixels out (col2im), never multiplying inserted zeros.
// Padding then crops the border; OutputPadding extends it.
func (b *ConvTransposeBuilder) Done() *Node {
	x, kernel := b.x, b.kernel
	if x.Rank() != 4 || kernel.Rank() != 4 {
		exceptions.Panicf("ops.ConvTranspose: want x [batch, h, w, channels] and kernel [kh, kw, out, in], got %s and %s",
			x.Shape(), kernel.Shape())
	}
	kd, xd := kernel.Shape().Dimensions, x.Shape().Dimensions
	if kd[3] != xd[3] {
		exceptions.Panicf("ops.ConvTranspose: kernel %s takes %d input channels, x %s has %d",
			kernel.Shape(), kd[3], x.Shape(), xd[3])
	}
	s, p, op := b.stride, b.padding, b.outputPadding
	if s < 1 || p < 0 || op < 0 || (op > 0 && op >= s) {
		exceptions.Panicf("ops.ConvTranspose: stride %d, padding %d, output padding %d: want stride >= 1, padding >= 0, "+
			"0 <= output padding < stride", s, p, op)
	}
	bsz, h, w, cin := xd[0], xd[1], xd[2], xd[3]
	kh, kw, cout := kd[0], kd[1], kd[2]
	outH, outW := OutputSize(h, kh, s, p, op), OutputSize(w, kw, s, p, op)
	if outH <= 0 || outW <= 0 {
		exceptions.Panicf("ops.ConvTranspose: padding %d leaves no output for %d×%d inputs and a %d×%d kernel", p, h, w, kh, kw)
	}
	if b.algorithm.native(x, kh, kw, s) {
		// The convolution of x, dilated by the stride, with the kernel flipped
		// in space and transposed in channels, padded by k−1−p (+ output padding).
		flipped := Transpose(Reverse(kernel, 0, 1), 2, 3)
		pads := [2][2]int{{kh - 1 - p, kh - 1 - p + op}, {kw - 1 - p, kw - 1 - p + op}}
		if y := nativeConv(x, flipped, 1, s, pads); y != nil {
			return y
		}
	}
	// contributions[b, i, j, di, dj, o] = Σ_c x[b, i, j, c] · kernel[di, dj, o, c].
	wt := Transpose(Reshape(kernel, kh*kw*cout, cin), 0, 1) // [cin, kh·kw·cout]
	contrib := Reshape(MatMul(Reshape(x, bsz*h*w, cin), wt), bsz, h, w, kh, kw, cout)
	// Scatter-add: kernel position (di, dj) lands at (i·s + di, j·s + dj) of
	// the full output, (h−1)·s + kh rows by (w−1)·s + kw columns.
	fullH, fullW := (h-1)*s+kh, (w-1)*s+kw
	zero := ScalarZero(x.Graph(), x.DType())
	var full *Node
	for di := range kh {
		for dj := range kw {
			term := Reshape(Slice(contrib, AxisRange(), AxisRange(), AxisRange(), AxisElem(di), AxisElem(dj), AxisRange()),
				bsz, h, w, cout)
			term = Pad(term, zero, PadAxis{},
				PadAxis{Start: di, End: fullH - di - (h-1)*s - 1, Interior: s - 1},
				PadAxis{Start: dj, End: fullW - dj - (w-1)*s - 1, Interior: s - 1}, PadAxis{})
			if full == nil {
				full = term
			} else {
				full = Add(full, term)
			}
		}
	}
	// Keep rows [p, p + outH): crop the padding, or extend with zeros for
	// an output padding that reaches past the full output.
	if extra := p + outH - fullH; extra > 0 {
		full = Pad(full, zero, PadAxis{}, PadAxis{End: extra}, PadAxis{}, PadAxis{})
	}
	if extra := p + outW - fullW; extra > 0 {
		full = Pad(full, zero, PadAxis{}, PadAxis{}, PadAxis{End: extra}, PadAxis{})
	}
	if p > 0 || outH != fullH || outW != fullW {
		full = Slice(full, AxisRange(), AxisRange(p, p+outH), AxisRange(p, p+outW), AxisRange())
	}
	return full
}

// ConvBuilder configures a convolution; see Conv.
type ConvBuilder struct {
	x, kernel       *Node
	stride, padding int
	algorithm       Algorithm
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

// Algorithm chooses how to compute it (default Auto).
func (b *ConvBuilder) Algorithm(a Algorithm) *ConvBuilder { b.algorithm = a; return b }

// Done builds the convolution: natively, or (Im2col) as the kh·kw strided
// views of the padded input, stacked, times the kernel as a [kh·kw·Cin,
// Cout] matrix.
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
	if b.algorithm.native(x, kd[0], kd[1], 1) {
		if y := nativeConv(x, kernel, s, 1, [2][2]int{{p, p}, {p, p}}); y != nil {
			return y
		}
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

// Algorithm is how Conv and ConvTranspose compute.
type Algorithm int

const (
	// Auto is Native on XLA where it needs neither a kernel extension nor
	// input dilation (odd kernels; transposed convolutions of stride 1), and
	// Im2col elsewhere: measured faster or as fast (docs/benchmarks.md).
	Auto Algorithm = iota
	// Native uses the backend's convolution (graph.Convolve). GoMLX's
	// gradient of it with respect to the input is exact only for odd kernel
	// sizes and paddings up to kernel−1, so an even kernel is extended by a
	// zero row and column (with one more padding row and column at the far
	// side, which gives the same output), and a padding out of that range
	// falls back to Im2col.
	Native
	// Im2col computes with matrix products over shifted views of the input
	// (col2im for the transpose): exact on every backend.
	Im2col
)

// native says whether to compute natively a convolution of x by a kh×kw
// kernel with the input dilated by dilation (a transposed convolution's stride).
func (a Algorithm) native(x *Node, kh, kw, dilation int) bool {
	switch a {
	case Native:
		return true
	case Im2col:
		return false
	}
	return strings.HasPrefix(x.Graph().Backend().Name(), "xla") && kh%2 == 1 && kw%2 == 1 && dilation == 1
}

// nativeConv convolves x [B, H, W, Cin] with kernel [kh, kw, Cin, Cout]
// through graph.Convolve, with x dilated by inputDilation and padded by
// pads (low, high per spatial axis). It returns nil where GoMLX's input
// gradient would be wrong even after extending the kernel to odd sizes.
func nativeConv(x, kernel *Node, stride, inputDilation int, pads [2][2]int) *Node {
	kd := kernel.Shape().Dimensions
	var extend [2]int
	for axis := range 2 {
		k := kd[axis]
		if k%2 == 0 {
			extend[axis] = 1
			k++
			pads[axis][1]++
		}
		if pads[axis][0] < 0 || pads[axis][1] < 0 || pads[axis][0] > k-1 || pads[axis][1] > k-1 {
			return nil
		}
	}
	if extend != [2]int{} {
		kernel = Pad(kernel, ScalarZero(kernel.Graph(), kernel.DType()),
			PadAxis{End: extend[0]}, PadAxis{End: extend[1]}, PadAxis{}, PadAxis{})
	}
	conv := Convolve(x, kernel).StridePerAxis(stride, stride).PaddingPerDim([][2]int{pads[0], pads[1]})
	if inputDilation > 1 {
		conv = conv.InputDilationPerAxis(inputDilation, inputDilation)
	}
	return conv.Done()
}
