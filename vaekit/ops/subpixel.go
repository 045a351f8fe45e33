package ops

import (
	. "github.com/gomlx/gomlx/core/graph"
)

// A stride-s convolution with a k-tap kernel uses, for each output phase,
// only every s-th tap: with j = ⌈k/s⌉ taps per phase (the kernel padded
// with zero taps to j·s), both strided convolutions become stride-1
// convolutions with j×j kernels, which backends run natively and fast, and
// which multiply no inserted zeros.

// subPixelTranspose is ConvTranspose with stride s > 1 as one stride-1
// convolution of x (padded by j−1) whose s² output phases are channels,
// then depth-to-space: phase (φh, φw) at m is output (m·s+φh, m·s+φw) of
// the full transposed convolution, which padding p then crops.
func subPixelTranspose(x, kernel *Node, s, p, outH, outW int) *Node {
	kd, xd := kernel.Shape().Dimensions, x.Shape().Dimensions // kernel [kh, kw, out, in]
	bsz, h, w, cin, cout := xd[0], xd[1], xd[2], xd[3], kd[2]
	jh, jw := (kd[0]+s-1)/s, (kd[1]+s-1)/s
	zero := ScalarZero(x.Graph(), x.DType())
	// Kernel tap (j·s+φ) of phase φ is tap j′ = j−1−j of the stride-1 kernel (flipped).
	k := Pad(kernel, zero, PadAxis{End: jh*s - kd[0]}, PadAxis{End: jw*s - kd[1]}, PadAxis{}, PadAxis{})
	k = Reverse(Reshape(k, jh, s, jw, s, cout, cin), 0, 2)
	k = Reshape(TransposeAllAxes(k, 0, 2, 5, 1, 3, 4), jh, jw, cin, s*s*cout) // [j′h, j′w, in, (φh, φw, out)]
	y := nativeConvGrad(x, k, convParams{stride: 1, dilation: 1, pads: [2][2]int{{jh - 1, jh - 1}, {jw - 1, jw - 1}}, byTaps: true})
	mh, mw := h+jh-1, w+jw-1
	y = Reshape(TransposeAllAxes(Reshape(y, bsz, mh, mw, s, s, cout), 0, 1, 3, 2, 4, 5), bsz, mh*s, mw*s, cout)
	return cropOrExtend(y, p, outH, outW)
}

// spaceToDepthConv is Conv with stride s > 1 as space-to-depth of the
// padded x (s×s blocks become channels) and a stride-1 convolution by the
// kernel regrouped alike: tap (j·s+φ) reads block o+j at phase φ.
func spaceToDepthConv(x, kernel *Node, s, p, oh, ow int) *Node {
	kd, xd := kernel.Shape().Dimensions, x.Shape().Dimensions // kernel [kh, kw, in, out]
	bsz, cin, cout := xd[0], xd[3], kd[3]
	jh, jw := (kd[0]+s-1)/s, (kd[1]+s-1)/s
	nh, nw := oh+jh-1, ow+jw-1 // blocks needed
	zero := ScalarZero(x.Graph(), x.DType())
	// Pad by p (low) and to nh·s rows in all; rows past that are never read.
	if extra := p + xd[1] - nh*s; extra > 0 {
		x = Slice(x, AxisRange(), AxisRange(0, xd[1]-extra), AxisRange(), AxisRange())
	}
	if extra := p + xd[2] - nw*s; extra > 0 {
		x = Slice(x, AxisRange(), AxisRange(), AxisRange(0, xd[2]-extra), AxisRange())
	}
	h, w := x.Shape().Dimensions[1], x.Shape().Dimensions[2]
	x = Pad(x, zero, PadAxis{}, PadAxis{Start: p, End: nh*s - h - p}, PadAxis{Start: p, End: nw*s - w - p}, PadAxis{})
	blocks := Reshape(TransposeAllAxes(Reshape(x, bsz, nh, s, nw, s, cin), 0, 1, 3, 2, 4, 5), bsz, nh, nw, s*s*cin)
	k := Pad(kernel, zero, PadAxis{End: jh*s - kd[0]}, PadAxis{End: jw*s - kd[1]}, PadAxis{}, PadAxis{})
	k = Reshape(TransposeAllAxes(Reshape(k, jh, s, jw, s, cin, cout), 0, 2, 1, 3, 4, 5), jh, jw, s*s*cin, cout)
	return nativeConvGrad(blocks, k, convParams{stride: 1, dilation: 1, byTaps: true})
}
