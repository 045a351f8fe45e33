package vaekit

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers"
	"github.com/gomlx/gomlx/ml/layers/activation"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/vaekit/vaekit/vaekit/ops"
)

// benchSteps times training steps of a BENCHMARKS.md model (as `vaekit
// bench` builds it) on one fixed batch of real MNIST digits, after a
// warm-up step that compiles the graph. CI runs these briefly; compare runs
// with benchstat.
func benchSteps(b *testing.B, name string) {
	m, batch, err := benchModel(name)
	if err != nil {
		b.Fatal(err)
	}
	trainer := m.Trainer
	data := ImageData(mnistTest(b, batch))
	x, _ := data.Batch(0, batch)
	step := func() {
		if _, err := trainer.TrainStep(train.Batch{Inputs: []*tensors.Tensor{x}}); err != nil {
			b.Fatal(err)
		}
	}
	step()
	b.ResetTimer()
	for range b.N {
		step()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
}

func BenchmarkVAEStep(b *testing.B)    { benchSteps(b, "vae-mlp") }
func BenchmarkDeepAEStep(b *testing.B) { benchSteps(b, "deep-ae") }
func BenchmarkConvAEStep(b *testing.B) { benchSteps(b, "conv-ae") }
func BenchmarkDCGANStep(b *testing.B)  { benchSteps(b, "dcgan") }

func TestBenchLine(t *testing.T) {
	res, err := Bench("vae-mlp", 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps < 3 || res.Batch != 100 || res.StepsPerS <= 0 || math.Abs(res.ExamplesPerS-100*res.StepsPerS) > 1e-6*res.ExamplesPerS ||
		res.Backend == "" || res.Build == "" || res.PeakMemoryMiB <= 0 {
		t.Errorf("bench line: %+v", res)
	}
	if _, err := Bench("resnet", 1, 0); err == nil {
		t.Error("an unknown model was benchmarked")
	}
}

// dcganParts are the DCGAN's layers (DCGANGenerator, DCGANFeatures and the
// logit) as PyTorch's DCGAN groups them, each with its input's shape (batch
// 64, channels last), and the two strided layers again without their batch
// norm; scripts/dcgan-parts builds the same in PyTorch.
var dcganParts = []struct {
	name string
	in   []int
	fn   func(scope *model.Scope, x *Node) *Node
}{
	{"G-dense-bn-relu", []int{64, 100}, func(scope *model.Scope, x *Node) *Node {
		return activation.Relu(ops.BatchNorm(scope.In("bn"), layers.Dense(scope, x, true, 7*7*128)))
	}},
	{"G-deconv1-bn-relu", []int{64, 7, 7, 128}, func(scope *model.Scope, x *Node) *Node {
		return activation.Relu(ops.BatchNorm(scope.In("bn"), ops.ConvTransposeLayer(scope, x).Channels(64).Kernel(4).Stride(2).Padding(1).Done()))
	}},
	{"G-deconv1-relu", []int{64, 7, 7, 128}, func(scope *model.Scope, x *Node) *Node { // without its batch norm.
		return activation.Relu(ops.ConvTransposeLayer(scope, x).Channels(64).Kernel(4).Stride(2).Padding(1).Done())
	}},
	{"G-deconv2-tanh", []int{64, 14, 14, 64}, func(scope *model.Scope, x *Node) *Node {
		return Tanh(ops.ConvTransposeLayer(scope, x).Channels(1).Kernel(4).Stride(2).Padding(1).Done())
	}},
	{"D-conv1-lrelu", []int{64, 28, 28, 1}, func(scope *model.Scope, x *Node) *Node {
		return activation.LeakyReluWith(ops.ConvLayer(scope, x).Channels(64).Kernel(4).Stride(2).Padding(1).Done(), 0.2)
	}},
	{"D-conv2-bn-lrelu", []int{64, 14, 14, 64}, func(scope *model.Scope, x *Node) *Node {
		return activation.LeakyReluWith(ops.BatchNorm(scope.In("bn"), ops.ConvLayer(scope, x).Channels(128).Kernel(4).Stride(2).Padding(1).Done()), 0.2)
	}},
	{"D-conv2-lrelu", []int{64, 14, 14, 64}, func(scope *model.Scope, x *Node) *Node { // without its batch norm.
		return activation.LeakyReluWith(ops.ConvLayer(scope, x).Channels(128).Kernel(4).Stride(2).Padding(1).Done(), 0.2)
	}},
	{"D-dense", []int{64, 7 * 7 * 128}, func(scope *model.Scope, x *Node) *Node {
		return layers.Dense(scope, x, true, 1)
	}},
}

// BenchmarkDCGANParts times each of the DCGAN's layers as a training step of
// its own, on the default backend: forward, the loss Σ y², and the gradients
// with respect to its input and its variables ("grad"), then also the
// DCGAN's Adam update of those variables ("step"). Beside
// scripts/dcgan-parts, it says which layer keeps the DCGAN behind
// PyTorch (docs/benchmarks.md).
func BenchmarkDCGANParts(b *testing.B) {
	for _, p := range dcganParts {
		for _, what := range []string{"grad", "step"} {
			b.Run(p.name+"/"+what, func(b *testing.B) {
				store := model.NewStore()
				opt, err := DefaultDCGANConfig().NewOptimizer()
				if err != nil {
					b.Fatal(err)
				}
				adam := opt.(interface { // Adam's update from gradients already computed.
					UpdateGraphWithGradients(scope *model.Scope, grads []*Node, lossDType dtypes.DType)
				})
				exec, err := model.NewExec(MustBackend(), store, func(scope *model.Scope, x *Node) []*Node {
					g := x.Graph()
					scope.SetTraining(g, true)
					loss := ReduceAllSum(Square(p.fn(scope, x)))
					var vars []*Node
					for v := range scope.IterVariables() {
						if v.Trainable && v.InUseByGraph(g) {
							vars = append(vars, v.NodeValue(g))
						}
					}
					grads := Gradient(loss, append(vars, x)...)
					if what == "step" {
						adam.UpdateGraphWithGradients(scope, grads[:len(vars)], loss.DType())
					}
					return append([]*Node{loss}, grads...)
				})
				if err != nil {
					b.Fatal(err)
				}
				r := rand.New(rand.NewPCG(1, 2))
				x := tensors.FromShape(shapes.Make(dtypes.Float32, p.in...))
				tensors.MutableFlatData(x, func(flat []float32) {
					for i := range flat {
						flat[i] = float32(r.NormFloat64())
					}
				})
				exec.MustCall(x) // compiles
				b.ResetTimer()
				for range b.N {
					exec.MustCall(x)
				}
				b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/step")
			})
		}
	}
}
