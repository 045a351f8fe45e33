// Package verdict turns per-seed numbers into the conclusions vaekit prints:
// a summary of each arm (mean ± standard deviation over seeds, the seeds'
// own values kept) and one rule for comparing two arms.
//
// The rule: arm A is lower (or higher) than arm B beyond seed spread when
// every seed of A lies below (above) every seed of B, with at least two
// seeds in each arm; otherwise there is no difference beyond seed spread.
// Where the arms do not differ, every ordering of their seeds is equally
// likely, so the rule calls a difference by chance with probability
// 2·nA!·nB!/(nA+nB)!: 1/3 for 2 seeds against 2, 1/10 for 3 against 3,
// 1/126 for 5 against 5 (the Mann–Whitney test at U = 0). It never reads a
// gap between means as a finding when the seeds of the two arms overlap.
package verdict

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Rule is the rule in a sentence, kept beside the verdicts it gave.
const Rule = "A differs from B beyond seed spread when every seed of A lies on the same side of every seed of B " +
	"(at least two seeds each); otherwise no difference beyond seed spread"

// Stats summarises one arm's per-seed values.
type Stats struct {
	N        int       `json:"n"`
	Mean     float64   `json:"mean"`
	SD       float64   `json:"sd"` // sample standard deviation (n − 1); 0 for one seed.
	Min, Max float64   `json:"-"`
	PerSeed  []float64 `json:"per_seed"`
}

// Of summarises values (one per seed).
func Of(values []float64) Stats {
	s := Stats{N: len(values), PerSeed: slices.Clone(values)}
	if s.N == 0 {
		return s
	}
	s.Min, s.Max = slices.Min(values), slices.Max(values)
	for _, v := range values {
		s.Mean += v
	}
	s.Mean /= float64(s.N)
	if s.Min == s.Max { // a deterministic arm (PCA, LSA): exactly its value, no rounding's spread.
		s.Mean = s.Min
		return s
	}
	if s.N > 1 {
		for _, v := range values {
			s.SD += (v - s.Mean) * (v - s.Mean)
		}
		s.SD = math.Sqrt(s.SD / float64(s.N-1))
	}
	return s
}

// String is "mean ± sd" ("mean" for one seed), in %.4g.
func (s Stats) String() string {
	if s.N < 2 {
		return fmt.Sprintf("%.4g", s.Mean)
	}
	return fmt.Sprintf("%.4g ± %.2g", s.Mean, s.SD)
}

// Order is what a comparison found.
type Order int

const (
	// Unknown: fewer than two seeds in an arm; the rule says nothing.
	Unknown Order = iota
	// Same: no difference beyond seed spread.
	Same
	// Lower: A below B beyond seed spread.
	Lower
	// Higher: A above B beyond seed spread.
	Higher
)

// Verdict is the rule applied to two arms of one metric.
type Verdict struct {
	Metric string `json:"metric"`
	A      string `json:"a"`
	B      string `json:"b"`
	Order  Order  `json:"-"`
	// Better names the better arm ("" where the order is Same or Unknown).
	Better string `json:"better,omitempty"`
	Text   string `json:"verdict"`
}

// Compare applies the rule to metric's per-seed values a (arm nameA) and b
// (arm nameB); larger says whether a larger value is better.
func Compare(metric string, nameA string, a []float64, nameB string, b []float64, larger bool) Verdict {
	v := Verdict{Metric: metric, A: nameA, B: nameB}
	sa, sb := Of(a), Of(b)
	switch {
	case sa.N < 2 || sb.N < 2:
		v.Order = Unknown
		v.Text = fmt.Sprintf("%s: %s %s against %s %s, fewer than two seeds in an arm: no verdict", metric, nameA, sa, nameB, sb)
		return v
	case sa.Max < sb.Min:
		v.Order = Lower
	case sa.Min > sb.Max:
		v.Order = Higher
	default:
		v.Order = Same
		v.Text = fmt.Sprintf("%s: %s %s against %s %s: no difference beyond seed spread", metric, nameA, sa, nameB, sb)
		return v
	}
	word := "lower"
	if v.Order == Higher {
		word = "higher"
	}
	if (v.Order == Higher) == larger {
		v.Better = nameA
	} else {
		v.Better = nameB
	}
	v.Text = fmt.Sprintf("%s: %s %s is %s than %s %s beyond seed spread (%s better; %d and %d seeds)",
		metric, nameA, sa, word, nameB, sb, v.Better, sa.N, sb.N)
	return v
}

// Agreement says, of several metrics' verdicts on the same two arms,
// whether they point the same way: "" when they do (or none finds a
// difference), else a sentence naming which metric favours which arm.
func Agreement(verdicts []Verdict) string {
	favour := map[string][]string{}
	var arms []string
	for _, v := range verdicts {
		if v.Better == "" {
			continue
		}
		if _, ok := favour[v.Better]; !ok {
			arms = append(arms, v.Better)
		}
		favour[v.Better] = append(favour[v.Better], v.Metric)
	}
	if len(arms) < 2 {
		return ""
	}
	var parts []string
	for _, arm := range arms {
		parts = append(parts, fmt.Sprintf("%s favour %s", strings.Join(favour[arm], " and "), arm))
	}
	return "the metrics disagree: " + strings.Join(parts, "; ")
}

// Disagreements groups verdicts by the two arms they compare, in the order
// first met, and says for each pair whose metrics disagree (Agreement):
// "A against B: the metrics disagree: …".
func Disagreements(verdicts []Verdict) []string {
	pairs := map[[2]string][]Verdict{}
	var order [][2]string
	for _, v := range verdicts {
		pair := [2]string{v.A, v.B}
		if _, seen := pairs[pair]; !seen {
			order = append(order, pair)
		}
		pairs[pair] = append(pairs[pair], v)
	}
	var out []string
	for _, pair := range order {
		if d := Agreement(pairs[pair]); d != "" {
			out = append(out, fmt.Sprintf("%s against %s: %s", pair[0], pair[1], d))
		}
	}
	return out
}
