package vaekit

import (
	"math"
	"testing"
)

// TestKID checks the estimate against the definition computed by loops on a
// small set, and its behaviour on sets with a known answer.
func TestKID(t *testing.T) {
	one := func(int) float64 { return 1 }
	x := randomFeatures(40, 5, 1, one, 0)
	y := randomFeatures(30, 5, 2, one, 0.3)
	// One subset of all 30 (the whole of y, 30 of x drawn): the unbiased MMD² by loops over the same draw.
	got, std, err := KID(x, y, 1, 30, 9)
	if err != nil {
		t.Fatal(err)
	}
	draws := kidRand(9) // KID's draws replayed: x's subset, then y's.
	xs, ys := pick(x, 30, draws), pick(y, 30, draws)
	k := func(a, b []float32) float64 {
		dot := 0.0
		for i := range a {
			dot += float64(a[i]) * float64(b[i])
		}
		return math.Pow(dot/5+1, 3)
	}
	var sxx, syy, sxy float64
	for i := range 30 {
		for j := range 30 {
			if i != j {
				sxx += k(xs[i], xs[j])
				syy += k(ys[i], ys[j])
			}
			sxy += k(xs[i], ys[j])
		}
	}
	want := (sxx+syy)/(30*29) - 2*sxy/(30*30)
	if math.Abs(got-want) > 1e-4*math.Abs(want) || std != 0 {
		t.Errorf("KID of one subset: %g (std %g), by the definition %g (std 0)", got, std, want)
	}

	same1, same2 := randomFeatures(3000, 8, 3, one, 0), randomFeatures(3000, 8, 4, one, 0)
	shifted := randomFeatures(3000, 8, 5, one, 0.2)
	sameKID, sameStd, _ := KID(same1, same2, 50, 500, 1)
	shiftKID, _, _ := KID(same1, shifted, 50, 500, 1)
	t.Logf("KID: one distribution %.5f ± %.5f, shifted by 0.2 %.5f", sameKID, sameStd, shiftKID)
	if math.Abs(sameKID) > 3*sameStd/math.Sqrt(50)+1e-3 || shiftKID < 10*math.Abs(sameKID) || shiftKID <= 0 {
		t.Errorf("KID: %g for two samples of one distribution (want about 0), %g for a shifted one (want clearly more)", sameKID, shiftKID)
	}
	if _, _, err := KID(x, [][]float32{{1, 2}}, 10, 10, 1); err == nil {
		t.Error("KID of vectors of different sizes: no error")
	}
}

// TestPrecisionRecall checks the metric on sets whose answer is known.
func TestPrecisionRecall(t *testing.T) {
	one := func(int) float64 { return 1 }
	a := randomFeatures(1000, 6, 1, one, 0)   // one cluster
	b := randomFeatures(1000, 6, 2, one, 100) // another, far away
	both := append(append([][]float32{}, a[:500]...), b[:500]...)
	cases := []struct {
		name                  string
		real, fake            [][]float32
		precision, recall     float64 // expected
		precisionTol, recallT float64
	}{
		{"a set against itself", both, both, 1, 1, 0, 0},
		{"one of two clusters", both, append(append([][]float32{}, a[500:]...), a[:500]...), 1, 0.5, 0.25, 0.1},
		{"far away", a, b, 0, 0, 0, 0},
	}
	for _, c := range cases {
		p, r, err := PrecisionRecall(c.real, c.fake, 3)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: precision %.3f, recall %.3f", c.name, p, r)
		if math.Abs(p-c.precision) > c.precisionTol || math.Abs(r-c.recall) > c.recallT {
			t.Errorf("%s: precision %.3f, recall %.3f; want %.2f ± %.2f and %.2f ± %.2f",
				c.name, p, r, c.precision, c.precisionTol, c.recall, c.recallT)
		}
	}
	// Precision and recall swap when the sets do.
	p1, r1, _ := PrecisionRecall(both, a, 3)
	p2, r2, _ := PrecisionRecall(a, both, 3)
	if p1 != r2 || r1 != p2 {
		t.Errorf("swapping the sets: (%g, %g) then (%g, %g)", p1, r1, p2, r2)
	}
	if _, _, err := PrecisionRecall(a[:3], b, 3); err == nil {
		t.Error("k = 3 with 3 real vectors: no error")
	}
}
