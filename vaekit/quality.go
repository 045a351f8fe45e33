package vaekit

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// KID is the kernel inception distance (Bińkowski et al. 2018) between
// two sets of feature vectors: the unbiased estimate of the squared maximum
// mean discrepancy under the cubic polynomial kernel k(x, y) = (xᵀy/d + 1)³,
// averaged over subsets of size drawn (without replacement, seeded) from
// each set, as torch-fidelity does (its defaults: 100 subsets of 1,000).
// Unlike the Fréchet distance it is unbiased at any sample size, so it can
// be negative when the sets come from one distribution. It returns the mean
// over subsets and their standard deviation.
func KID(real, fake [][]float32, subsets, size int, seed uint64) (mean, std float64, err error) {
	if err := checkFeatures("KID", real, fake); err != nil {
		return 0, 0, err
	}
	size = min(size, len(real), len(fake))
	if subsets < 1 || size < 2 {
		return 0, 0, fmt.Errorf("KID: %d subsets of %d vectors (sets of %d and %d): need at least 1 subset of 2", subsets, size, len(real), len(fake))
	}
	d := float64(len(real[0]))
	rng := kidRand(seed)
	m := float64(size)
	values := make([]float64, subsets)
	for s := range values {
		x := pack(pick(real, size, rng))
		y := pack(pick(fake, size, rng))
		kxx, kxxDiag := kernelSum(x, x, d)
		kyy, kyyDiag := kernelSum(y, y, d)
		kxy, _ := kernelSum(x, y, d)
		values[s] = (kxx-kxxDiag+kyy-kyyDiag)/(m*(m-1)) - 2*kxy/(m*m)
	}
	for _, v := range values {
		mean += v
	}
	mean /= float64(subsets)
	for _, v := range values {
		std += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(std / float64(subsets)), nil
}

// kernelSum is the sum of (aᵢᵀbⱼ/d + 1)³ over all pairs, and over i = j.
func kernelSum(a, b blas32.General, d float64) (sum, diag float64) {
	gramBlocks(a, b, func(from int, g blas32.General) {
		for i := range g.Rows {
			row := g.Data[i*g.Stride : i*g.Stride+g.Cols]
			for j, v := range row {
				k := float64(v)/d + 1
				k = k * k * k
				sum += k
				if from+i == j {
					diag += k
				}
			}
		}
	})
	return sum, diag
}

// PrecisionRecall is Kynkäänniemi et al.'s (2019) improved precision and
// recall of generated feature vectors against real ones: each set's
// manifold is the union of balls around its vectors reaching each one's
// k-th nearest neighbour in its own set (k = 3 in the paper); precision is
// the share of fake vectors inside the real manifold (are the samples
// realistic?), recall the share of real vectors inside the fake manifold
// (do the samples cover the data?). Both depend on the set sizes: the paper
// compares sets of equal size.
func PrecisionRecall(real, fake [][]float32, k int) (precision, recall float64, err error) {
	if err := checkFeatures("PrecisionRecall", real, fake); err != nil {
		return 0, 0, err
	}
	if k < 1 || k >= len(real) || k >= len(fake) {
		return 0, 0, fmt.Errorf("PrecisionRecall: k = %d needs sets of more than k vectors (got %d real and %d generated)", k, len(real), len(fake))
	}
	r, f := pack(real), pack(fake)
	return inManifold(f, r, k), inManifold(r, f, k), nil
}

// inManifold is the share of query rows within the k-NN ball of some row of set.
func inManifold(query, set blas32.General, k int) float64 {
	setNorms, queryNorms := squaredNorms(set), squaredNorms(query)
	radii := make([]float64, set.Rows) // squared distance to the k-th neighbour, itself excluded.
	nearest := make([]float64, 0, k+1)
	gramBlocks(set, set, func(from int, g blas32.General) {
		for i := range g.Rows {
			nearest = nearest[:0]
			for j, v := range g.Data[i*g.Stride : i*g.Stride+g.Cols] {
				if j == from+i {
					continue
				}
				d := setNorms[from+i] + setNorms[j] - 2*float64(v)
				if len(nearest) == k && d >= nearest[k-1] {
					continue
				}
				pos := sort.SearchFloat64s(nearest, d)
				nearest = append(nearest, 0)
				copy(nearest[pos+1:], nearest[pos:])
				nearest[pos] = d
				nearest = nearest[:min(len(nearest), k)]
			}
			radii[from+i] = nearest[k-1]
		}
	})
	inside := 0
	gramBlocks(query, set, func(from int, g blas32.General) {
		for i := range g.Rows {
			for j, v := range g.Data[i*g.Stride : i*g.Stride+g.Cols] {
				// A relative tolerance: a vector of the set itself lies at distance 0 up to rounding.
				if queryNorms[from+i]+setNorms[j]-2*float64(v) <= radii[j]+1e-6*(queryNorms[from+i]+setNorms[j]) {
					inside++
					break
				}
			}
		}
	})
	return float64(inside) / float64(query.Rows)
}

// gramBlocks calls fn with the inner products of a's rows with b's rows,
// 512 rows of a at a time (from is the first one's index): the full matrix
// of two 10,000-vector sets would take 400 MB.
func gramBlocks(a, b blas32.General, fn func(from int, g blas32.General)) {
	const rows = 512
	g := blas32.General{Cols: b.Rows, Stride: b.Rows, Data: make([]float32, rows*b.Rows)}
	for from := 0; from < a.Rows; from += rows {
		n := min(rows, a.Rows-from)
		block := blas32.General{Rows: n, Cols: a.Cols, Stride: a.Stride, Data: a.Data[from*a.Stride:]}
		g.Rows = n
		blas32.Gemm(blas.NoTrans, blas.Trans, 1, block, b, 0, g)
		fn(from, g)
	}
}

func squaredNorms(m blas32.General) []float64 {
	norms := make([]float64, m.Rows)
	for i := range norms {
		for _, v := range m.Data[i*m.Stride : i*m.Stride+m.Cols] {
			norms[i] += float64(v) * float64(v)
		}
	}
	return norms
}

// pack copies rows into one row-major matrix.
func pack(rows [][]float32) blas32.General {
	m := blas32.General{Rows: len(rows), Cols: len(rows[0]), Stride: len(rows[0])}
	m.Data = make([]float32, 0, m.Rows*m.Cols)
	for _, r := range rows {
		m.Data = append(m.Data, r...)
	}
	return m
}

// kidRand is the source of KID's subsets.
func kidRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x6b6964)) }

// pick draws n of rows without replacement.
func pick(rows [][]float32, n int, rng *rand.Rand) [][]float32 {
	out := make([][]float32, n)
	for i, j := range rng.Perm(len(rows))[:n] {
		out[i] = rows[j]
	}
	return out
}

func checkFeatures(name string, real, fake [][]float32) error {
	if len(real) == 0 || len(fake) == 0 {
		return fmt.Errorf("%s: %d real and %d generated feature vectors, need both", name, len(real), len(fake))
	}
	d := len(real[0])
	for set, rows := range map[string][][]float32{"real": real, "generated": fake} {
		for i, r := range rows {
			if len(r) != d || d == 0 {
				return fmt.Errorf("%s: %s vector %d has %d values, the first real one %d", name, set, i, len(r), d)
			}
		}
	}
	return nil
}
