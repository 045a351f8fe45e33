package ops

import (
	"runtime"
	"sync"
	"weak"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
)

// GoMLX's gradient of a convolution with respect to its input shifts even
// kernels by one pixel (its reverse convolution is padded by 2⌊(k−1)/2⌋−p
// instead of k−1−p); its kernel gradient is right. The convolutions that
// this package builds natively get the exact gradients below instead, for
// every kernel size, stride, padding and input dilation: nativeConv records
// each one's parameters, and the ConvGeneral gradient that GoMLX looks up
// (VJPRegistration) computes theirs and defers to GoMLX's for the others.

// convParams is what the exact gradients need of a convolution of x
// [B, H, W, Cin] by kernel [kh, kw, Cin, Cout], channels last: x dilated
// by dilation, padded by pads (low, high per spatial axis, ≥ 0), then
// correlated with the kernel at stride.
type convParams struct {
	stride, dilation int
	pads             [2][2]int
	// byTaps computes the kernel gradient as one matrix product per tap
	// (kernelGradByTaps) instead of as a convolution (kernelGradByConv).
	byTaps bool
}

var convs sync.Map // weak.Pointer[Node] → convParams

// record makes node's gradient the exact one.
func record(node *Node, p convParams) {
	key := weak.Make(node)
	convs.Store(key, p)
	runtime.AddCleanup(node, func(key weak.Pointer[Node]) { convs.Delete(key) }, key)
}

func init() {
	upstream := VJPRegistration[NodeTypeConvGeneral]
	VJPRegistration[NodeTypeConvGeneral] = func(node *Node, v []*Node, shape shapes.Shape) []*Node {
		p, ok := convs.Load(weak.Make(node))
		if !ok {
			return upstream(node, v, shape)
		}
		x, kernel := node.Inputs()[0], node.Inputs()[1]
		params := p.(convParams)
		dk := kernelGradByConv
		if params.byTaps {
			dk = kernelGradByTaps
		}
		return []*Node{convInputGrad(x, kernel, v[0], params), dk(x, kernel, v[0], params)}
	}
}

// convInputGrad is the gradient with respect to x: v dilated by the stride
// and correlated with the kernel flipped in space and transposed in
// channels, padded so that output position u is input position u of the
// dilated x (low k−1−p₀; a negative padding crops instead), then read at
// every dilation-th position.
func convInputGrad(x, kernel, v *Node, p convParams) *Node {
	xd, kd, vd := x.Shape().Dimensions, kernel.Shape().Dimensions, v.Shape().Dimensions
	var pads [2][2]int
	var crop [2]int
	for a := range 2 {
		k, in, out := kd[a], (xd[1+a]-1)*p.dilation+1, vd[1+a]
		low := k - 1 - p.pads[a][0]
		high := in - 1 - (out-1)*p.stride - low + k - 1
		pads[a] = [2]int{max(low, 0), max(high, 0)}
		crop[a] = max(-low, 0)
	}
	flipped := Transpose(Reverse(kernel, 0, 1), 2, 3)
	conv := Convolve(v, flipped).PaddingPerDim([][2]int{pads[0], pads[1]})
	if p.stride > 1 {
		conv = conv.InputDilationPerAxis(p.stride, p.stride)
	}
	g := conv.Done()
	d := p.dilation
	return Slice(g, AxisRange(),
		AxisRange(crop[0], crop[0]+(xd[1]-1)*d+1).Stride(d),
		AxisRange(crop[1], crop[1]+(xd[2]-1)*d+1).Stride(d), AxisRange())
}

// kernelGradByConv is the gradient with respect to the kernel: for each
// tap, Σ over batch and output positions of the padded, dilated x at that
// tap times v — itself a convolution, of x with its batch and channel axes
// exchanged by v dilated by the stride, cut to the kernel's size.
func kernelGradByConv(x, kernel, v *Node, p convParams) *Node {
	kd := kernel.Shape().Dimensions
	axes := ConvolveAxesConfig{
		InputBatch: 3, InputChannels: 0, InputSpatial: []int{1, 2},
		KernelInputChannels: 0, KernelOutputChannels: 3, KernelSpatial: []int{1, 2},
		OutputBatch: 0, OutputChannels: 3, OutputSpatial: []int{1, 2},
	}
	g := ConvGeneral(x, v, axes, nil, [][2]int{p.pads[0], p.pads[1]},
		[]int{p.dilation, p.dilation}, []int{p.stride, p.stride}, 1, 1) // [Cin, ≥kh, ≥kw, Cout]
	g = Slice(g, AxisRange(), AxisRange(0, kd[0]), AxisRange(0, kd[1]), AxisRange())
	return TransposeAllAxes(g, 1, 2, 0, 3)
}

// kernelGradByTaps is the same gradient as one matrix product per tap, of
// x's strided view at that tap by v. XLA CPU runs the convolution form
// 10–80× slower for the sub-pixel layers' few taps with many channels, and
// faster for the conv AE's 3×3 layers (docs/benchmarks.md).
func kernelGradByTaps(x, kernel, v *Node, p convParams) *Node {
	kd, vd := kernel.Shape().Dimensions, v.Shape().Dimensions
	oh, ow, s := vd[1], vd[2], p.stride
	zero := ScalarZero(x.Graph(), x.DType())
	d := p.dilation - 1
	xp := Pad(x, zero, PadAxis{}, PadAxis{Start: p.pads[0][0], End: p.pads[0][1], Interior: d},
		PadAxis{Start: p.pads[1][0], End: p.pads[1][1], Interior: d}, PadAxis{})
	flatV := Reshape(v, -1, vd[3])
	views := tapViews(xp, kd[0], kd[1], s, oh, ow)
	taps := make([]*Node, len(views))
	for i, view := range views {
		taps[i] = MatMul(Transpose(Reshape(view, -1, kd[2]), 0, 1), flatV) // [Cin, Cout]
	}
	return Reshape(Stack(taps, 0), kd...)
}
