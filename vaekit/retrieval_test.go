package vaekit

import (
	"math"
	"slices"
	"testing"
)

// TestPrecisionAtKHandCase: points 0, 1, 10, 11, 12 on a line, labelled
// a a b b a. Nearest first: 0→1, 1→0, 10→11, 11→10 (tie with 12, broken by
// index), 12→11. Precision@1 = 4/5; @2: every query has one of two right,
// but 12 has none, so (4 × ½ + 0)/5 = 0.4.
func TestPrecisionAtKHandCase(t *testing.T) {
	items := [][]float32{{0}, {1}, {10}, {11}, {12}}
	labels := []int32{0, 0, 1, 1, 0}
	got, err := PrecisionAtK(items, labels, []int{1, 2}, Euclidean)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got[0]-0.8) > 1e-12 || math.Abs(got[1]-0.4) > 1e-12 {
		t.Errorf("precision@1, @2 = %v, want [0.8 0.4]", got)
	}
	if nb := Neighbours(items, 3, 3, Euclidean); !slices.Equal(nb, []int{2, 4, 1}) {
		t.Errorf("neighbours of 11: %v, want [2 4 1]", nb)
	}
	if _, err := PrecisionAtK(items, labels, []int{5}, Euclidean); err == nil {
		t.Error("k = 5 of 5 items accepted (a query has only 4 others)")
	}
	if _, err := PrecisionAtK(items, labels[:3], []int{1}, Euclidean); err == nil {
		t.Error("mismatched labels accepted")
	}
}

func TestCosineDistance(t *testing.T) {
	for _, c := range []struct {
		a, b []float32
		want float64
	}{{[]float32{1, 0}, []float32{0, 1}, 1}, {[]float32{1, 1}, []float32{2, 2}, 0}, {[]float32{1, 0}, []float32{-3, 0}, 2}, {[]float32{0, 0}, []float32{1, 2}, 1}} {
		if got := CosineDistance(c.a, c.b); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("CosineDistance(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

// TestPrecisionAtRecallHandCase: database 1, 2, 3, 4 labelled a b a a; the
// query 0 (label a) ranks them 1 2 3 4: hits at ranks 1, 3, 4. Recall 1/3
// needs 1 hit: precision 1/1; 2/3 needs 2: 2/3; 1 needs 3: 3/4.
func TestPrecisionAtRecallHandCase(t *testing.T) {
	db := [][]float32{{1}, {2}, {3}, {4}}
	got, err := PrecisionAtRecall([][]float32{{0}}, []int32{0}, db, []int32{0, 1, 0, 0}, []float64{1.0 / 3, 2.0 / 3, 1}, Euclidean)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{1, 2.0 / 3, 0.75}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Errorf("precision at recalls = %v, want %v", got, want)
			break
		}
	}
	if _, err := PrecisionAtRecall([][]float32{{0}}, []int32{5}, db, []int32{0, 1, 0, 0}, []float64{0.5}, Euclidean); err == nil {
		t.Error("a query without relevant items gave a precision")
	}
}
