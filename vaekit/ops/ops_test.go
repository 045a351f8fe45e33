package ops

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	_ "github.com/gomlx/compute/gobackend"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/go-xla/compute/xla"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// onBackends runs a test on the pure Go backend and, where a PJRT plugin
// is installed, on XLA too; it says when XLA is skipped and why.
func onBackends(t *testing.T, test func(t *testing.T, b compute.Backend)) {
	t.Helper()
	configs := []string{"go"}
	xla.EnableAutoInstall(false) // never download a plugin in a test.
	if plugins := xla.GetAvailablePlugins(); len(plugins) > 0 {
		configs = append(configs, "xla:"+plugins[0])
	} else {
		t.Logf("XLA skipped: no PJRT plugin installed (PJRT_PLUGIN_LIBRARY_PATH or %s=1 to install one)", "VAEKIT_XLA_INSTALL")
	}
	for _, config := range configs {
		t.Run(config, func(t *testing.T) {
			b, err := backendFor(config)
			if err != nil {
				t.Fatalf("backend %s: %v", config, err)
			}
			test(t, b)
		})
	}
}

var backends = map[string]compute.Backend{}

func backendFor(config string) (compute.Backend, error) {
	if b, ok := backends[config]; ok {
		return b, nil
	}
	b, err := compute.NewWithConfig(config)
	if err == nil {
		backends[config] = b
	}
	return b, err
}

// img is a dense [b][h][w][c] float64 array for reference loops.
type img struct {
	b, h, w, c int
	v          []float64
}

func newImg(b, h, w, c int) *img { return &img{b, h, w, c, make([]float64, b*h*w*c)} }
func (m *img) at(n, i, j, k int) *float64 {
	return &m.v[((n*m.h+i)*m.w+j)*m.c+k]
}
func randImg(rng *rand.Rand, b, h, w, c int) *img {
	m := newImg(b, h, w, c)
	for i := range m.v {
		m.v[i] = rng.NormFloat64()
	}
	return m
}
func (m *img) tensor() *tensors.Tensor {
	return tensors.FromFlatDataAndDimensions(m.v, m.b, m.h, m.w, m.c)
}
func fromTensor(t *tensors.Tensor) *img {
	d := t.Shape().Dimensions
	return &img{d[0], d[1], d[2], d[3], tensors.MustCopyFlatData[float64](t)}
}

// refConv is a plain strided, zero-padded convolution: x [b,h,w,cin],
// kernel as img [kh,kw,cin,cout] (b=kh, h=kw, w=cin, c=cout).
func refConv(x, k *img, stride, pad int) *img {
	oh, ow := ConvOutputSize(x.h, k.b, stride, pad), ConvOutputSize(x.w, k.h, stride, pad)
	out := newImg(x.b, oh, ow, k.c)
	for n := range x.b {
		for i := range oh {
			for j := range ow {
				for co := range k.c {
					sum := 0.0
					for di := range k.b {
						for dj := range k.h {
							y, z := i*stride-pad+di, j*stride-pad+dj
							if y < 0 || y >= x.h || z < 0 || z >= x.w {
								continue
							}
							for ci := range x.c {
								sum += *x.at(n, y, z, ci) * *k.at(di, dj, ci, co)
							}
						}
					}
					*out.at(n, i, j, co) = sum
				}
			}
		}
	}
	return out
}

// refConvT is the transposed convolution by its definition: every input
// pixel scatters kernel-weighted copies into the output. kernel as img
// [kh,kw,cout,cin].
func refConvT(x, k *img, stride, pad, outPad int) *img {
	oh, ow := OutputSize(x.h, k.b, stride, pad, outPad), OutputSize(x.w, k.h, stride, pad, outPad)
	out := newImg(x.b, oh, ow, k.w)
	for n := range x.b {
		for i := range x.h {
			for j := range x.w {
				for ci := range x.c {
					for di := range k.b {
						for dj := range k.h {
							y, z := i*stride-pad+di, j*stride-pad+dj
							if y < 0 || y >= oh || z < 0 || z >= ow {
								continue
							}
							for co := range k.w {
								*out.at(n, y, z, co) += *x.at(n, i, j, ci) * *k.at(di, dj, co, ci)
							}
						}
					}
				}
			}
		}
	}
	return out
}

func maxDiff(a, b *img) float64 {
	if len(a.v) != len(b.v) || a.h != b.h || a.w != b.w || a.c != b.c {
		return math.Inf(1)
	}
	d := 0.0
	for i := range a.v {
		d = max(d, math.Abs(a.v[i]-b.v[i]))
	}
	return d
}

type convCase struct{ h, w, k, cin, cout, stride, pad, outPad int }

func convCases() []convCase {
	var cases []convCase
	for _, h := range []int{1, 4, 7} {
		for _, k := range []int{1, 2, 3, 4} {
			for _, s := range []int{1, 2, 3} {
				for _, p := range []int{0, 1, 2, 4} {
					for op := range s {
						if OutputSize(h, k, s, p, op) <= 0 {
							continue
						}
						cases = append(cases, convCase{h, h + 1, k, 2, 3, s, p, op})
					}
				}
			}
		}
	}
	return cases
}

// algorithms are the ways Conv and ConvTranspose compute, each tested.
var algorithms = map[string]Algorithm{"native": Native, "im2col": Im2col, "subpixel": SubPixel}

// onBackendsAndAlgorithms runs a test for every backend and algorithm.
func onBackendsAndAlgorithms(t *testing.T, test func(t *testing.T, b compute.Backend, a Algorithm)) {
	onBackends(t, func(t *testing.T, b compute.Backend) {
		for name, a := range algorithms {
			t.Run(name, func(t *testing.T) { test(t, b, a) })
		}
	})
}

func TestConvTransposeMatchesReference(t *testing.T) {
	onBackendsAndAlgorithms(t, func(t *testing.T, b compute.Backend, a Algorithm) {
		rng := rand.New(rand.NewPCG(1, 2))
		for _, c := range convCases() {
			x := randImg(rng, 2, c.h, c.w, c.cin)
			k := randImg(rng, c.k, c.k, c.cout, c.cin)
			want := refConvT(x, k, c.stride, c.pad, c.outPad)
			got := fromTensor(MustExecOnce(b, func(x, k *Node) *Node {
				return ConvTranspose(x, k).Stride(c.stride).Padding(c.pad).OutputPadding(c.outPad).Algorithm(a).Done()
			}, x.tensor(), k.tensor()))
			if d := maxDiff(got, want); d > 1e-9 {
				t.Errorf("%+v: output %dx%d, want %dx%d, max difference %g", c, got.h, got.w, want.h, want.w, d)
			}
		}
		t.Logf("%d shape/stride/padding cases checked", len(convCases()))
	})
}

// TestAdjoint checks ⟨conv(x), y⟩ = ⟨x, convT(y)⟩ with GoMLX's own strided
// convolution: the transpose is the adjoint of the convolution.
func TestAdjoint(t *testing.T) {
	onBackendsAndAlgorithms(t, func(t *testing.T, b compute.Backend, a Algorithm) {
		rng := rand.New(rand.NewPCG(3, 4))
		checked := 0
		for _, c := range convCases() {
			if c.k > c.h+2*c.pad {
				continue
			}
			oh, ow := ConvOutputSize(c.h, c.k, c.stride, c.pad), ConvOutputSize(c.w, c.k, c.stride, c.pad)
			if OutputSize(oh, c.k, c.stride, c.pad, c.outPad) != c.h || OutputSize(ow, c.k, c.stride, c.pad, c.outPad) != c.w {
				continue // this output padding does not give x's size back.
			}
			x := randImg(rng, 2, c.h, c.w, c.cout)
			y := randImg(rng, 2, oh, ow, c.cin)
			k := randImg(rng, c.k, c.k, c.cout, c.cin) // conv: cout → cin; convT: cin → cout.
			out := MustExecOnceN(b, func(x, y, k *Node) []*Node {
				conv := Conv(x, k).Stride(c.stride).Padding(c.pad).Algorithm(a).Done()
				gomlxConv := Convolve(x, k).StridePerAxis(c.stride, c.stride).PaddingPerDim([][2]int{{c.pad, c.pad}, {c.pad, c.pad}}).Done()
				convT := ConvTranspose(y, k).Stride(c.stride).Padding(c.pad).OutputPadding(c.outPad).Algorithm(a).Done()
				return []*Node{ReduceAllSum(Mul(conv, y)), ReduceAllSum(Mul(x, convT)), conv, gomlxConv}
			}, x.tensor(), y.tensor(), k.tensor())
			lhs, rhs := out[0].Value().(float64), out[1].Value().(float64)
			if math.Abs(lhs-rhs) > 1e-9*max(1, math.Abs(lhs)) {
				t.Errorf("%+v: <conv(x), y> = %.12g but <x, convT(y)> = %.12g", c, lhs, rhs)
			}
			ref := refConv(x, k, c.stride, c.pad)
			if d := maxDiff(fromTensor(out[2]), ref); d > 1e-9 {
				t.Errorf("%+v: Conv differs from the reference by %g", c, d)
			}
			if d := maxDiff(fromTensor(out[3]), ref); d > 1e-9 {
				t.Errorf("%+v: GoMLX's Convolve differs from the reference by %g", c, d)
			}
			checked++
		}
		if checked < 25 {
			t.Errorf("only %d cases checked", checked)
		}
		t.Logf("adjoint identity checked on %d cases", checked)
	})
}

// numericGrad compares the graph gradients of f with central differences.
func checkGradients(t *testing.T, b compute.Backend, name string, f func(inputs []*Node) *Node, inputs ...*img) {
	t.Helper()
	tens := make([]any, len(inputs))
	for i, in := range inputs {
		tens[i] = in.tensor()
	}
	grads := MustExecOnceN(b, func(ins []*Node) []*Node {
		return Gradient(f(ins), ins...)
	}, tens...)
	value := MustNewExec(b, func(ins []*Node) *Node { return f(ins) })
	const eps = 1e-6
	rng := rand.New(rand.NewPCG(5, 6))
	for i, in := range inputs {
		g := tensors.MustCopyFlatData[float64](grads[i])
		for trial := 0; trial < 8; trial++ {
			j := rng.IntN(len(in.v))
			orig := in.v[j]
			in.v[j] = orig + eps
			plus := value.MustCall(argsOf(inputs)...)[0].Value().(float64)
			in.v[j] = orig - eps
			minus := value.MustCall(argsOf(inputs)...)[0].Value().(float64)
			in.v[j] = orig
			num := (plus - minus) / (2 * eps)
			if math.Abs(num-g[j]) > 1e-5*max(1, math.Abs(num)) {
				t.Errorf("%s: d/d input%d[%d]: graph %g, finite differences %g", name, i, j, g[j], num)
			}
		}
	}
}

func argsOf(inputs []*img) []any {
	out := make([]any, len(inputs))
	for i, in := range inputs {
		out[i] = in.tensor()
	}
	return out
}

func TestGradients(t *testing.T) {
	onBackendsAndAlgorithms(t, func(t *testing.T, b compute.Backend, a Algorithm) {
		rng := rand.New(rand.NewPCG(7, 8))
		for _, c := range []convCase{{3, 4, 3, 2, 3, 2, 1, 1}, {4, 4, 4, 2, 2, 2, 1, 0}, {2, 3, 2, 1, 2, 1, 0, 0},
			{3, 3, 3, 2, 2, 3, 4, 2}, {4, 5, 3, 2, 3, 1, 1, 0}, {4, 5, 3, 2, 3, 1, 0, 0}} {
			x := randImg(rng, 5, c.h, c.w, c.cin)
			k := randImg(rng, c.k, c.k, c.cout, c.cin)
			oh, ow := OutputSize(c.h, c.k, c.stride, c.pad, c.outPad), OutputSize(c.w, c.k, c.stride, c.pad, c.outPad)
			r := randImg(rng, 5, oh, ow, c.cout)
			checkGradients(t, b, fmt.Sprintf("ConvTranspose %+v", c), func(in []*Node) *Node {
				out := ConvTranspose(in[0], in[1]).Stride(c.stride).Padding(c.pad).OutputPadding(c.outPad).Algorithm(a).Done()
				return ReduceAllSum(Mul(Square(out), in[2])) // a non-linear read-out, weighted by random r.
			}, x, k, r)
		}
		for _, c := range []convCase{{5, 6, 3, 2, 3, 2, 1, 0}, {4, 4, 4, 2, 2, 2, 1, 0}, {5, 5, 2, 1, 2, 1, 0, 0},
			{5, 6, 3, 2, 3, 1, 1, 0}, {5, 6, 3, 2, 3, 1, 0, 0}, {5, 6, 3, 2, 3, 1, 2, 0}, {6, 5, 5, 2, 2, 1, 2, 0}} {
			x := randImg(rng, 5, c.h, c.w, c.cin)
			k := randImg(rng, c.k, c.k, c.cin, c.cout)
			oh, ow := ConvOutputSize(c.h, c.k, c.stride, c.pad), ConvOutputSize(c.w, c.k, c.stride, c.pad)
			r := randImg(rng, 5, oh, ow, c.cout)
			checkGradients(t, b, fmt.Sprintf("Conv %+v", c), func(in []*Node) *Node {
				return ReduceAllSum(Mul(Square(Conv(in[0], in[1]).Stride(c.stride).Padding(c.pad).Algorithm(a).Done()), in[2]))
			}, x, k, r)
		}
		// Pooling and unpooling: the gradient reaches the maxima (and only them).
		x := randImg(rng, 2, 4, 6, 3)
		r := randImg(rng, 2, 4, 6, 3)
		checkGradients(t, b, "Unpool(MaxPool)", func(in []*Node) *Node {
			pooled, idx := MaxPoolWithIndices(in[0], 2)
			return ReduceAllSum(Mul(Unpool(Square(pooled), idx, 2), in[1]))
		}, x, r)
		checkGradients(t, b, "UnpoolCopy(MaxPool)", func(in []*Node) *Node {
			pooled, _ := MaxPoolWithIndices(in[0], 2)
			return ReduceAllSum(Mul(UnpoolCopy(Square(pooled), 2), in[1]))
		}, x, r)
	})
}

func TestPoolAndUnpool(t *testing.T) {
	onBackends(t, func(t *testing.T, b compute.Backend) {
		rng := rand.New(rand.NewPCG(9, 10))
		for _, window := range []int{2, 3} {
			x := randImg(rng, 2, 6, 12, 3)
			out := MustExecOnceN(b, func(x *Node) []*Node {
				pooled, idx := MaxPoolWithIndices(x, window)
				return []*Node{pooled, idx, Unpool(pooled, idx, window), UnpoolCopy(pooled, window),
					MaxPool(x).Window(window).Done()}
			}, x.tensor())
			pooled, unpooled, copied, gomlxPool := fromTensor(out[0]), fromTensor(out[2]), fromTensor(out[3]), fromTensor(out[4])
			idx := tensors.MustCopyFlatData[int32](out[1])
			if d := maxDiff(pooled, gomlxPool); d != 0 {
				t.Errorf("window %d: pooled values differ from GoMLX's MaxPool by %g", window, d)
			}
			// Unpool keeps exactly the maxima, at their places, and zeros elsewhere.
			for n := range x.b {
				for i := range x.h {
					for j := range x.w {
						for c := range x.c {
							pi, pj := i/window, j/window
							flat := ((n*pooled.h+pi)*pooled.w+pj)*pooled.c + c
							isArg := int(idx[flat]) == (i%window)*window+j%window
							want := 0.0
							if isArg {
								want = *x.at(n, i, j, c)
								if want != *pooled.at(n, pi, pj, c) {
									t.Fatalf("window %d: recorded index does not point at the maximum", window)
								}
							}
							if got := *unpooled.at(n, i, j, c); got != want {
								t.Fatalf("window %d: unpooled[%d,%d,%d,%d] = %g, want %g", window, n, i, j, c, got, want)
							}
							if got := *copied.at(n, i, j, c); got != *pooled.at(n, pi, pj, c) {
								t.Fatalf("window %d: copy-to-all[%d,%d,%d,%d] = %g, want the block's max", window, n, i, j, c, got)
							}
						}
					}
				}
			}
		}
		// Ties: the first maximum in row-major order wins, and only it is kept.
		// The 2×2 windows of [[5 5 3 7] [5 5 7 7]] are (5 5 5 5) and (3 7 7 7).
		tie := tensors.FromFlatDataAndDimensions([]float64{5, 5, 3, 7, 5, 5, 7, 7}, 1, 2, 4, 1)
		out := MustExecOnceN(b, func(x *Node) []*Node {
			p, idx := MaxPoolWithIndices(x, 2)
			return []*Node{idx, Unpool(p, idx, 2)}
		}, tie)
		if idx := tensors.MustCopyFlatData[int32](out[0]); idx[0] != 0 || idx[1] != 1 {
			t.Errorf("tie-break indices %v, want [0 1] (first maximum in row-major order)", idx)
		}
		if got := tensors.MustCopyFlatData[float64](out[1]); fmt.Sprint(got) != "[5 0 0 7 0 0 0 0]" {
			t.Errorf("unpooled ties: %v, want [5 0 0 7 0 0 0 0]", got)
		}
	})
}

// TestNativeIsUsed checks which shapes Native really computes natively (the
// others fall back to im2col): the models' shapes must, or the speed is lost.
func TestNativeIsUsed(t *testing.T) {
	b, err := backendFor("go")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name                    string
		transpose               bool
		h, k, stride, pad, outP int
		want                    bool
	}{
		{"conv-ae 3×3", false, 14, 3, 1, 1, 0, true},
		{"conv-ae transposed 3×3", true, 14, 3, 1, 1, 0, true},
		{"DCGAN D 4×4 stride 2", false, 28, 4, 2, 1, 0, true},
		{"DCGAN G 4×4 stride 2", true, 7, 4, 2, 1, 0, true},
		{"classifier 5×5 stride 2", false, 28, 5, 2, 2, 0, true},
		{"padding past kernel−1", false, 7, 2, 1, 2, 0, true},
		{"output padding past padding", true, 7, 3, 2, 0, 1, true},
		{"transposed, padding past kernel−1", true, 7, 2, 1, 2, 0, false}, // a negative padding natively
	} {
		g := NewGraph(b, c.name)
		x := Parameter(g, "x", shapes.Make(dtypes.Float32, 2, c.h, c.h, 3))
		k := Parameter(g, "k", shapes.Make(dtypes.Float32, c.k, c.k, 3, 3))
		if c.transpose {
			ConvTranspose(x, k).Stride(c.stride).Padding(c.pad).OutputPadding(c.outP).Algorithm(Native).Done()
		} else {
			Conv(x, k).Stride(c.stride).Padding(c.pad).Algorithm(Native).Done()
		}
		native := false
		for _, n := range g.Nodes() {
			native = native || n.Type() == NodeTypeConvGeneral
		}
		if native != c.want {
			t.Errorf("%s: native convolution used = %v, want %v", c.name, native, c.want)
		}
		g.Finalize()
	}
}
