package vaekit

import (
	"fmt"
	"math"
	"sort"
)

// Distance between two vectors, smaller for closer ones.
type Distance func(a, b []float32) float64

// Euclidean is the squared Euclidean distance (the same order as the distance).
func Euclidean(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		e := float64(a[i] - b[i])
		d += e * e
	}
	return d
}

// CosineDistance is 1 − the cosine similarity; 1 for a zero vector.
func CosineDistance(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 1
	}
	return 1 - dot/math.Sqrt(na*nb)
}

// Neighbours returns the indices of the k items nearest to item q, itself
// excluded, nearest first (ties by index).
func Neighbours(items [][]float32, q, k int, dist Distance) []int {
	type nb struct {
		i int
		d float64
	}
	all := make([]nb, 0, len(items)-1)
	for i, v := range items {
		if i != q {
			all = append(all, nb{i, dist(items[q], v)})
		}
	}
	sort.SliceStable(all, func(a, b int) bool { return all[a].d < all[b].d })
	k = min(k, len(all))
	out := make([]int, k)
	for i := range out {
		out[i] = all[i].i
	}
	return out
}

// PrecisionAtK is leave-one-out retrieval precision: each item in turn is
// the query, the others are ranked by distance, and precision@k is the share
// of the k nearest that have the query's label, averaged over all queries;
// one value for each k of ks.
func PrecisionAtK(items [][]float32, labels []int32, ks []int, dist Distance) ([]float64, error) {
	if len(items) != len(labels) || len(items) < 2 {
		return nil, fmt.Errorf("PrecisionAtK: %d items and %d labels (want at least 2 items, one label each)", len(items), len(labels))
	}
	maxK := 0
	for _, k := range ks {
		if k <= 0 || k >= len(items) {
			return nil, fmt.Errorf("PrecisionAtK: k = %d, want 1..%d", k, len(items)-1)
		}
		maxK = max(maxK, k)
	}
	out := make([]float64, len(ks))
	for q := range items {
		nbs := Neighbours(items, q, maxK, dist)
		for j, k := range ks {
			same := 0
			for _, i := range nbs[:k] {
				if labels[i] == labels[q] {
					same++
				}
			}
			out[j] += float64(same) / float64(k)
		}
	}
	for j := range out {
		out[j] /= float64(len(items))
	}
	return out, nil
}

// PrecisionAtRecall ranks the database for each query by distance and
// reports, for each recall level r, the precision at the first rank where
// the share r of the query's relevant items (same label) has been found,
// averaged over the queries (Hinton & Salakhutdinov's document-retrieval
// curves). Queries with no relevant item are skipped.
func PrecisionAtRecall(queries [][]float32, queryLabels []int32, db [][]float32, dbLabels []int32, recalls []float64, dist Distance) ([]float64, error) {
	if len(queries) != len(queryLabels) || len(db) != len(dbLabels) || len(db) == 0 || len(queries) == 0 {
		return nil, fmt.Errorf("PrecisionAtRecall: %d queries (%d labels), %d database items (%d labels)",
			len(queries), len(queryLabels), len(db), len(dbLabels))
	}
	for _, r := range recalls {
		if r <= 0 || r > 1 {
			return nil, fmt.Errorf("PrecisionAtRecall: recall %g, want (0, 1]", r)
		}
	}
	relevant := map[int32]int{}
	for _, l := range dbLabels {
		relevant[l]++
	}
	out := make([]float64, len(recalls))
	type ranked struct {
		d   float64
		hit bool
	}
	order := make([]ranked, len(db))
	used := 0
	for qi, q := range queries {
		total := relevant[queryLabels[qi]]
		if total == 0 {
			continue
		}
		used++
		for i, v := range db {
			order[i] = ranked{dist(q, v), dbLabels[i] == queryLabels[qi]}
		}
		sort.SliceStable(order, func(a, b int) bool { return order[a].d < order[b].d })
		for j, r := range recalls {
			need := int(math.Ceil(r * float64(total)))
			found := 0
			for rank, o := range order {
				if o.hit {
					found++
				}
				if found == need {
					out[j] += float64(need) / float64(rank+1)
					break
				}
			}
		}
	}
	if used == 0 {
		return nil, fmt.Errorf("PrecisionAtRecall: no query has a relevant item in the database")
	}
	for j := range out {
		out[j] /= float64(used)
	}
	return out, nil
}
