package vaekit

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// PCA is principal component analysis fitted by gonum's symmetric
// eigendecomposition of the covariance matrix: the linear baseline of the
// autoencoders (the lecture's x̂ = Wᵀ W (x − mean) + mean).
type PCA struct {
	Mean       []float64
	Components *mat.Dense // k × d, one unit principal direction per row, by decreasing variance.
	Variances  []float64  // variance along each component (eigenvalues).
}

// FitPCA fits k components to data's examples (rows).
func FitPCA(data *Data, k int) (*PCA, error) { return fitPCA(data, k, true) }

// FitLSA is latent semantic analysis: the truncated SVD of the data matrix
// itself, not centred (for documents as word weights, the classic baseline
// of text autoencoders). Its Mean is zero; Project gives the LSA codes.
func FitLSA(data *Data, k int) (*PCA, error) { return fitPCA(data, k, false) }

func fitPCA(data *Data, k int, center bool) (*PCA, error) {
	if err := data.check(); err != nil {
		return nil, err
	}
	n, d := data.Len(), data.size()
	if k <= 0 || k > d {
		return nil, fmt.Errorf("FitPCA: k = %d components, want 1..%d", k, d)
	}
	if n < 2 {
		return nil, fmt.Errorf("FitPCA: need at least 2 examples, %q has %d", data.Name, n)
	}
	mean, centered := centerRows(data, center)
	// With fewer examples than dimensions (400 faces of 2,576 pixels), the
	// n×n Gram matrix has the same non-zero eigenvalues as the d×d covariance
	// and is far cheaper to decompose: v = Xᵀu / √(λ(n−1)).
	gram := n < d
	size := d
	if gram {
		size = n
	}
	sym := mat.NewSymDense(size, nil)
	if gram {
		sym.SymOuterK(1/float64(n-1), centered)
	} else {
		sym.SymOuterK(1/float64(n-1), centered.T())
	}
	var eig mat.EigenSym
	if !eig.Factorize(sym, true) {
		return nil, fmt.Errorf("FitPCA: the eigendecomposition of the %d×%d covariance of %q did not converge", size, size, data.Name)
	}
	values := eig.Values(nil)
	var vectors mat.Dense
	eig.VectorsTo(&vectors)
	order := make([]int, size)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return values[order[a]] > values[order[b]] })
	if k > size {
		return nil, fmt.Errorf("FitPCA: k = %d components from %d examples of %q, want at most %d", k, n, data.Name, size)
	}
	p := &PCA{Mean: mean, Components: mat.NewDense(k, d, nil), Variances: make([]float64, k)}
	for r := range k {
		col := order[r]
		p.Variances[r] = math.Max(values[col], 0)
		if !gram {
			for j := range d {
				p.Components.Set(r, j, vectors.At(j, col))
			}
			continue
		}
		// v = Xᵀu, normalised (its norm is √(λ(n−1)); normalising directly also covers λ ≈ 0).
		v := make([]float64, d)
		for i := range n {
			u := vectors.At(i, col)
			for j, x := range centered.RawRowView(i) {
				v[j] += u * x
			}
		}
		norm := 0.0
		for _, x := range v {
			norm += x * x
		}
		if norm = math.Sqrt(norm); norm > 0 {
			for j := range v {
				p.Components.Set(r, j, v[j]/norm)
			}
		}
	}
	return p, nil
}

// centerRows returns data's mean (zeros unless center) and its rows minus it.
func centerRows(data *Data, center bool) ([]float64, *mat.Dense) {
	n, d := data.Len(), data.size()
	mean := make([]float64, d)
	if center {
		for i := range n {
			for j := range d {
				mean[j] += float64(data.X[i*d+j])
			}
		}
		for j := range mean {
			mean[j] /= float64(n)
		}
	}
	centered := mat.NewDense(n, d, nil)
	for i := range n {
		row := centered.RawRowView(i)
		for j := range d {
			row[j] = float64(data.X[i*d+j]) - mean[j]
		}
	}
	return mean, centered
}

// Leading is p's first k components (k at most p's): what fitting k
// components to the same data gives, without a second eigendecomposition
// (of a 2,000-word covariance, 19 s of text-retrieval's measuring).
func (p *PCA) Leading(k int) (*PCA, error) {
	if k <= 0 || k > len(p.Variances) {
		return nil, fmt.Errorf("PCA.Leading: k = %d components, want 1..%d", k, len(p.Variances))
	}
	_, d := p.Components.Dims()
	return &PCA{Mean: p.Mean, Components: mat.DenseCopyOf(p.Components.Slice(0, k, 0, d)), Variances: p.Variances[:k:k]}, nil
}

// Project returns the k coordinates of every example of data.
func (p *PCA) Project(data *Data) [][]float32 { return rows32(p.project(data)) }

func (p *PCA) project(data *Data) *mat.Dense {
	n, d := data.Len(), data.size()
	x := mat.NewDense(n, d, nil)
	for i := range n {
		row := x.RawRowView(i)
		for j := range d {
			row[j] = float64(data.X[i*d+j]) - p.Mean[j]
		}
	}
	var z mat.Dense
	z.Mul(x, p.Components.T())
	return &z
}

// Reconstruct maps every example of data to its projection and back:
// mean + Σ z_c · component_c.
func (p *PCA) Reconstruct(data *Data) [][]float32 {
	var r mat.Dense
	r.Mul(p.project(data), p.Components)
	n, d := r.Dims()
	for i := range n {
		row := r.RawRowView(i)
		for j := range d {
			row[j] += p.Mean[j]
		}
	}
	return rows32(&r)
}

func rows32(m *mat.Dense) [][]float32 {
	n, d := m.Dims()
	out := make([][]float32, n)
	for i := range n {
		out[i] = make([]float32, d)
		for j, v := range m.RawRowView(i) {
			out[i][j] = float32(v)
		}
	}
	return out
}

// KNNAccuracy is the share of query points whose k nearest reference
// points (Euclidean) vote for their label (ties to the smallest label): a
// score of how well classes are separated in a code space.
func KNNAccuracy(ref [][]float32, refLabels []int32, query [][]float32, queryLabels []int32, k int) (float64, error) {
	if len(ref) != len(refLabels) || len(query) != len(queryLabels) || len(ref) < k || k <= 0 {
		return 0, fmt.Errorf("KNNAccuracy: %d reference points (%d labels), %d queries (%d labels), k = %d",
			len(ref), len(refLabels), len(query), len(queryLabels), k)
	}
	correct := 0
	type nb struct {
		d     float64
		label int32
	}
	best := make([]nb, 0, k+1)
	votes := map[int32]int{}
	for qi, q := range query {
		best = best[:0]
		for ri, r := range ref {
			d := Euclidean(q, r)
			if len(best) == k && d >= best[k-1].d {
				continue
			}
			pos := sort.Search(len(best), func(i int) bool { return best[i].d > d })
			best = append(best, nb{})
			copy(best[pos+1:], best[pos:])
			best[pos] = nb{d, refLabels[ri]}
			if len(best) > k {
				best = best[:k]
			}
		}
		clear(votes)
		for _, b := range best {
			votes[b.label]++
		}
		winner, most := int32(-1), 0
		for label, v := range votes {
			if v > most || (v == most && label < winner) {
				winner, most = label, v
			}
		}
		if winner == queryLabels[qi] {
			correct++
		}
	}
	return float64(correct) / float64(len(query)), nil
}
