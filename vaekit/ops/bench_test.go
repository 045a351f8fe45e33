package ops

import (
	"fmt"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// BenchmarkDCGANLayers times each DCGAN layer forward ("fwd"), and forward
// then the gradient with respect to its input ("dx") or its kernel ("dk"),
// for each algorithm, on XLA: the measurement behind Auto
// (docs/benchmarks.md). go test -bench DCGANLayers ./vaekit/ops
func BenchmarkDCGANLayers(b *testing.B) {
	backend, err := backendFor("xla:cpu")
	if err != nil {
		b.Skip(err)
	}
	for _, l := range []struct {
		name      string
		xs, ks    []int
		transpose bool
	}{
		{"G-deconv-128-64", []int{64, 7, 7, 128}, []int{4, 4, 64, 128}, true},
		{"G-deconv-64-1", []int{64, 14, 14, 64}, []int{4, 4, 1, 64}, true},
		{"D-conv-1-64", []int{64, 28, 28, 1}, []int{4, 4, 1, 64}, false},
		{"D-conv-64-128", []int{64, 14, 14, 64}, []int{4, 4, 64, 128}, false},
	} {
		for name, alg := range map[string]Algorithm{"im2col": Im2col, "native": Native, "subpixel": SubPixel} {
			for _, what := range []string{"fwd", "dx", "dk"} {
				b.Run(fmt.Sprintf("%s/%s/%s", l.name, name, what), func(b *testing.B) {
					exec := MustNewExec(backend, func(x, k *Node) *Node {
						var y *Node
						if l.transpose {
							y = ConvTranspose(x, k).Stride(2).Padding(1).Algorithm(alg).Done()
						} else {
							y = Conv(x, k).Stride(2).Padding(1).Algorithm(alg).Done()
						}
						loss := ReduceAllSum(Square(y))
						switch what {
						case "dx":
							return Gradient(loss, x)[0]
						case "dk":
							return Gradient(loss, k)[0]
						}
						return loss
					})
					x := tensors.FromShape(shapes.Make(dtypes.Float32, l.xs...))
					k := tensors.FromShape(shapes.Make(dtypes.Float32, l.ks...))
					exec.MustCall(x, k) // compiles
					b.ResetTimer()
					for range b.N {
						exec.MustCall(x, k)
					}
				})
			}
		}
	}
}
