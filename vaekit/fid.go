package vaekit

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Gaussian is the mean and covariance of feature vectors.
type Gaussian struct {
	Mean []float64
	Cov  *mat.SymDense
}

// FitGaussian estimates the mean and (n−1)-normalised covariance of rows.
func FitGaussian(rows [][]float32) (*Gaussian, error) {
	if len(rows) < 2 {
		return nil, fmt.Errorf("FitGaussian: need at least 2 vectors, got %d", len(rows))
	}
	n, d := len(rows), len(rows[0])
	mean := make([]float64, d)
	for _, r := range rows {
		for j, v := range r {
			mean[j] += float64(v)
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	centered := mat.NewDense(n, d, nil)
	for i, r := range rows {
		row := centered.RawRowView(i)
		for j, v := range r {
			row[j] = float64(v) - mean[j]
		}
	}
	cov := mat.NewSymDense(d, nil)
	cov.SymOuterK(1/float64(n-1), centered.T())
	return &Gaussian{Mean: mean, Cov: cov}, nil
}

// sqrtSym is the symmetric square root of a symmetric positive
// semi-definite matrix (gonum's eigendecomposition; tiny negative
// eigenvalues from rounding are clipped to 0).
func sqrtSym(a *mat.SymDense) (*mat.SymDense, error) {
	var eig mat.EigenSym
	if !eig.Factorize(a, true) {
		return nil, fmt.Errorf("sqrtSym: the eigendecomposition did not converge")
	}
	values := eig.Values(nil)
	var v mat.Dense
	eig.VectorsTo(&v)
	n := len(values)
	out := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			s := 0.0
			for k, lambda := range values {
				s += v.At(i, k) * math.Sqrt(math.Max(lambda, 0)) * v.At(j, k)
			}
			out.SetSym(i, j, s)
		}
	}
	return out, nil
}

// FrechetDistance is the Fréchet distance between two Gaussians:
// ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁^½ Σ₂ Σ₁^½)^½). It is what FID computes on
// Inception features; vaekit's mnist_fid computes it on an MNIST
// classifier's features.
func FrechetDistance(a, b *Gaussian) (float64, error) {
	if len(a.Mean) != len(b.Mean) {
		return 0, fmt.Errorf("FrechetDistance: %d and %d dimensions", len(a.Mean), len(b.Mean))
	}
	d := 0.0
	for i := range a.Mean {
		e := a.Mean[i] - b.Mean[i]
		d += e * e
	}
	rootA, err := sqrtSym(a.Cov)
	if err != nil {
		return 0, err
	}
	var prod, m mat.Dense
	prod.Mul(rootA, b.Cov)
	m.Mul(&prod, rootA)
	n, _ := m.Dims()
	sym := mat.NewSymDense(n, nil)
	for i := range n {
		for j := i; j < n; j++ {
			sym.SetSym(i, j, (m.At(i, j)+m.At(j, i))/2) // symmetric up to rounding.
		}
	}
	rootM, err := sqrtSym(sym)
	if err != nil {
		return 0, err
	}
	return d + mat.Trace(a.Cov) + mat.Trace(b.Cov) - 2*mat.Trace(rootM), nil
}
