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
	"os"
	"strings"
	"sync"

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
	if b.algorithm.subPixel(x, s, s*s*cout) {
		return subPixelTranspose(x, kernel, s, p, outH, outW)
	}
	if b.algorithm.native(x, s) {
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
	return cropOrExtend(full, p, outH, outW)
}

// cropOrExtend keeps rows [p, p+outH) and columns [p, p+outW) of a full
// transposed convolution y: it crops the padding, or extends with zeros
// for an output padding that reaches past y.
func cropOrExtend(y *Node, p, outH, outW int) *Node {
	d := y.Shape().Dimensions
	if extra := p + outH - d[1]; extra > 0 {
		y = Pad(y, ScalarZero(y.Graph(), y.DType()), PadAxis{}, PadAxis{End: extra}, PadAxis{}, PadAxis{})
	}
	if extra := p + outW - d[2]; extra > 0 {
		y = Pad(y, ScalarZero(y.Graph(), y.DType()), PadAxis{}, PadAxis{}, PadAxis{End: extra}, PadAxis{})
	}
	if p > 0 || outH != d[1] || outW != d[2] {
		y = Slice(y, AxisRange(), AxisRange(p, p+outH), AxisRange(p, p+outW), AxisRange())
	}
	return y
}

// tapViews are, for each tap (di, dj) of a kh×kw kernel in row-major order,
// the strided view of the padded x that the tap reads for an oh×ow output
// at stride s: im2col's patches, and the kernel gradient's factors.
func tapViews(x *Node, kh, kw, s, oh, ow int) []*Node {
	views := make([]*Node, 0, kh*kw)
	for di := range kh {
		for dj := range kw {
			views = append(views, Slice(x, AxisRange(),
				AxisRange(di, di+s*(oh-1)+1).Stride(s), AxisRange(dj, dj+s*(ow-1)+1).Stride(s), AxisRange()))
		}
	}
	return views
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
	if b.algorithm.subPixel(x, s, 0) {
		return spaceToDepthConv(x, kernel, s, p, oh, ow)
	}
	if b.algorithm.native(x, 1) {
		if y := nativeConv(x, kernel, s, 1, [2][2]int{{p, p}, {p, p}}); y != nil {
			return y
		}
	}
	if p > 0 {
		x = Pad(x, ScalarZero(x.Graph(), x.DType()), PadAxis{}, PadAxis{Start: p, End: p}, PadAxis{Start: p, End: p}, PadAxis{})
	}
	patches := Concatenate(tapViews(x, kd[0], kd[1], s, oh, ow), -1) // [B, oh, ow, kh*kw*Cin], in kernel order (di, dj, cin).
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
	// Auto is, on XLA, Native for convolutions and stride-1 transposed
	// ones, and for strided transposed ones SubPixel where its convolution
	// has at least 32 output channels (stride² × out; Im2col below); on the
	// Go backend (whose native convolution is slow), Im2col. Measured per
	// layer of the DCGAN and conv AE (docs/benchmarks.md).
	Auto Algorithm = iota
	// Native uses the backend's convolution (graph.Convolve), a transposed
	// one as the convolution of the input dilated by the stride, with exact
	// gradients (grad.go: GoMLX's own shifts even kernels). A transposed
	// convolution whose padding exceeds kernel−1 falls back to Im2col.
	Native
	// Im2col computes with matrix products over shifted views of the input
	// (col2im for the transpose): exact on every backend.
	Im2col
	// SubPixel computes a strided transposed convolution as one stride-1
	// convolution that gives each of the stride² output phases its own
	// channels, then depth-to-space; and a strided convolution as
	// space-to-depth, then a stride-1 convolution (subpixel.go). Neither
	// multiplies inserted zeros. Stride 1 is computed as Native.
	SubPixel
)

// AlgorithmEnv, when set, makes Auto one algorithm everywhere (auto, native,
// im2col or subpixel): how docs/benchmarks.md compares them.
const AlgorithmEnv = "VAEKIT_CONV"

var envAlgorithm = sync.OnceValue(func() Algorithm {
	switch v := os.Getenv(AlgorithmEnv); v {
	case "", "auto":
		return Auto
	case "native":
		return Native
	case "im2col":
		return Im2col
	case "subpixel":
		return SubPixel
	default:
		exceptions.Panicf("$%s=%q: want auto, native, im2col or subpixel", AlgorithmEnv, v)
		return Auto
	}
})

// resolve is a, or for Auto what $VAEKIT_CONV asks for.
func (a Algorithm) resolve() Algorithm {
	if a == Auto {
		return envAlgorithm()
	}
	return a
}

// subPixel says whether to compute a convolution of stride (or a
// transposed one of stride) s as SubPixel; phases is the number of output
// channels its inner convolution would have (0 for a convolution).
func (a Algorithm) subPixel(x *Node, s, phases int) bool {
	switch a.resolve() {
	case SubPixel:
		return s > 1
	case Auto:
		return s > 1 && phases >= 32 && onXLA(x)
	}
	return false
}

func onXLA(x *Node) bool { return strings.HasPrefix(x.Graph().Backend().Name(), "xla") }

// native says whether to compute natively a convolution of x with the
// input dilated by dilation (a transposed convolution's stride).
func (a Algorithm) native(x *Node, dilation int) bool {
	switch a.resolve() {
	case Native, SubPixel:
		return true
	case Im2col:
		return false
	}
	return onXLA(x) && dilation == 1
}

// nativeConv convolves x [B, H, W, Cin] with kernel [kh, kw, Cin, Cout]
// through graph.Convolve, with x dilated by inputDilation and padded by
// pads (low, high per spatial axis), and gives it the exact gradients of
// grad.go. It returns nil for a negative padding (a transposed
// convolution whose output padding exceeds its padding's complement).
func nativeConv(x, kernel *Node, stride, inputDilation int, pads [2][2]int) *Node {
	return nativeConvGrad(x, kernel, convParams{stride: stride, dilation: inputDilation, pads: pads})
}

// nativeConvGrad is nativeConv with its parameters and kernel gradient's form in p.
func nativeConvGrad(x, kernel *Node, p convParams) *Node {
	stride, inputDilation, pads := p.stride, p.dilation, p.pads
	for axis := range 2 {
		if pads[axis][0] < 0 || pads[axis][1] < 0 {
			return nil
		}
	}
	conv := Convolve(x, kernel).StridePerAxis(stride, stride).PaddingPerDim([][2]int{pads[0], pads[1]})
	if inputDilation > 1 {
		conv = conv.InputDilationPerAxis(inputDilation, inputDilation)
	}
	y := conv.Done()
	record(y, p)
	return y
}
