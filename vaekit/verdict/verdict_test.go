package verdict

import (
	"math"
	"strings"
	"testing"
)

func TestOf(t *testing.T) {
	s := Of([]float64{1, 2, 3, 6})
	if s.N != 4 || s.Mean != 3 || math.Abs(s.SD-math.Sqrt(14.0/3)) > 1e-12 || s.Min != 1 || s.Max != 6 {
		t.Errorf("Of(1, 2, 3, 6) = %+v", s)
	}
	if one := Of([]float64{5}); one.SD != 0 || one.String() != "5" {
		t.Errorf("one seed: %+v %q", one, one.String())
	}
	// A deterministic arm: the same value each seed, whose sum rounds.
	if same := Of([]float64{0.1, 0.1, 0.1}); same.SD != 0 || same.Mean != 0.1 || same.String() != "0.1 ± 0" {
		t.Errorf("three equal seeds: %+v %q, want 0.1 ± 0", same, same.String())
	}
}

func TestCompare(t *testing.T) {
	for _, c := range []struct {
		name   string
		a, b   []float64
		larger bool
		order  Order
		better string
		says   string
	}{
		{"apart, lower better", []float64{1, 2, 3}, []float64{4, 5, 6}, false, Lower, "A", "lower than B 5 ± 1 beyond seed spread (A better"},
		{"apart, larger better", []float64{1, 2, 3}, []float64{4, 5, 6}, true, Lower, "B", "(B better"},
		{"above", []float64{10, 11}, []float64{1, 2}, false, Higher, "B", "higher than B"},
		{"overlap by one seed", []float64{1, 2, 4.5}, []float64{4, 5, 6}, false, Same, "", "no difference beyond seed spread"},
		{"means apart, seeds overlap", []float64{0, 0, 10}, []float64{6, 6, 6}, false, Same, "", "no difference"},
		{"ties", []float64{1, 2}, []float64{2, 3}, false, Same, "", "no difference"},
		{"one seed", []float64{1}, []float64{5, 6}, false, Unknown, "", "no verdict"},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := Compare("m", "A", c.a, "B", c.b, c.larger)
			if v.Order != c.order || v.Better != c.better || !strings.Contains(v.Text, c.says) {
				t.Errorf("Compare(%v, %v) = %+v, want order %d, better %q, saying %q", c.a, c.b, v, c.order, c.better, c.says)
			}
		})
	}
}

func TestAgreement(t *testing.T) {
	fid := Compare("mnist_fid", "sat", []float64{50, 52}, "non-sat", []float64{70, 75}, false)
	recall := Compare("recall", "sat", []float64{0.80, 0.81}, "non-sat", []float64{0.85, 0.86}, true)
	kid := Compare("kid", "sat", []float64{20, 22}, "non-sat", []float64{21, 23}, false)
	if got := Agreement([]Verdict{fid, kid}); got != "" {
		t.Errorf("one metric apart, one within spread: %q, want agreement", got)
	}
	got := Agreement([]Verdict{fid, recall, kid})
	if !strings.Contains(got, "mnist_fid favour sat") || !strings.Contains(got, "recall favour non-sat") {
		t.Errorf("FID against recall: %q", got)
	}
}

func TestDisagreements(t *testing.T) {
	fid := Compare("mnist_fid", "sat", []float64{50, 52}, "non-sat", []float64{70, 75}, false)
	recall := Compare("recall", "sat", []float64{0.80, 0.81}, "non-sat", []float64{0.85, 0.86}, true)
	other := Compare("mnist_fid", "k1", []float64{1, 2}, "k2", []float64{3, 4}, false)
	got := Disagreements([]Verdict{fid, other, recall})
	if len(got) != 1 || !strings.HasPrefix(got[0], "sat against non-sat: the metrics disagree: ") {
		t.Errorf("Disagreements = %q, want one sentence, on sat against non-sat", got)
	}
}
