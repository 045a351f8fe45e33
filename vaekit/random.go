package vaekit

import (
	"math"
	"math/rand/v2"
)

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
