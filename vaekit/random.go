package vaekit

import (
	"math"
	"math/rand/v2"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// NormalNoise is N(0, 1) noise of the given shape from scope's random state:
// GoMLX's RandomNormal made safe where denormal floats are flushed to zero,
// as XLA's CPU runtime does. GoMLX keeps Box–Muller's u₁ off 0 with the
// smallest denormal float, which is flushed back to 0, and log 0 then makes an
// infinite sample once in 2³² draws (a full run of the denoising figure went
// NaN at step 2,077).
func NormalNoise(scope *model.Scope, g *Graph, shape shapes.Shape) *Node {
	u1 := uniformNoise(scope, g, shape)
	return boxMuller(u1, uniformNoise(scope, g, shape))
}

// uniformNoise is scope's U[0, 1) draw; a test replaces it to reach the draw
// of exactly 0 that a run meets once in 2³² values.
var uniformNoise = func(scope *model.Scope, g *Graph, shape shapes.Shape) *Node {
	return scope.RandomUniform(g, shape)
}

// boxMuller maps two U[0, 1) draws to an N(0, 1) one, with u₁ kept at least
// 2⁻³³ (a normal float; the draws' own step is 2⁻³²).
func boxMuller(u1, u2 *Node) *Node {
	u1 = Max(u1, Scalar(u1.Graph(), u1.DType(), 0x1p-33))
	return Mul(Sqrt(MulScalar(Log(u1), -2)), Cos(MulScalar(u2, 2*math.Pi)))
}

// NormalSamples returns n vectors of dim independent N(0, 1) values,
// reproducible from seed: the latent codes of a model's samples.
func NormalSamples(n, dim int, seed uint64) [][]float32 {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	z := make([][]float32, n)
	for i := range z {
		z[i] = make([]float32, dim)
		for j := range z[i] {
			z[i][j] = float32(rng.NormFloat64())
		}
	}
	return z
}

// normalCDF is Φ, the CDF of N(0, 1).
func normalCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }
