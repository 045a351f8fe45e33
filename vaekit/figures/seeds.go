package figures

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/chart"
	"github.com/vaekit/vaekit/vaekit/experiments"
	"github.com/vaekit/vaekit/vaekit/verdict"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// Comparison is two arms of a figure, compared over seeds by package
// verdict's rule: one metric of each, by its key in the figure's JSON.
type Comparison struct {
	Metric       string // what is compared, as the verdict names it: "mnist_fid".
	A, B         string // the two arms' keys: "mnist_fid_saturating".
	NameA, NameB string // the two arms' names: "saturating".
	Larger       bool   // a larger value is better.
}

// qualityComparisons compares two GAN arms (their metric keys ending in
// suffixA and suffixB) on mnist_fid, KID, precision and recall.
func qualityComparisons(suffixA, nameA, suffixB, nameB string) []Comparison {
	var cs []Comparison
	for _, m := range []struct {
		name   string
		larger bool
	}{{"mnist_fid", false}, {"kid", false}, {"precision", true}, {"recall", true}} {
		cs = append(cs, Comparison{Metric: m.name, A: m.name + suffixA, B: m.name + suffixB, NameA: nameA, NameB: nameB, Larger: m.larger})
	}
	return cs
}

// Seeded makes the catalogue's figure name with mk, a notebook's own
// version of it (its networks, its hyperparameters): once, or with
// opts.Seeds of 2 or more once a seed as Run does, opts.Seed, opts.Seed+1, …
// passed to mk in its options (mk builds its experiment with that seed),
// each comparison of the catalogue's figure given its verdict.
func Seeded(ctx context.Context, name string, opts experiments.Options, mk func(ctx context.Context, opts experiments.Options) (*Result, error)) (*Result, error) {
	spec, err := find(name)
	if err != nil {
		return nil, err
	}
	spec.Make = mk
	return spec.makeOverSeeds(ctx, opts)
}

// makeOverSeeds makes the figure: once, or with opts.Seeds of 2 or more once a seed.
func (spec Spec) makeOverSeeds(ctx context.Context, opts experiments.Options) (*Result, error) {
	if opts.Seeds > 1 {
		return makeSeeds(ctx, spec, opts)
	}
	return spec.Make(ctx, opts)
}

// maxFigureSeeds bounds opts.Seeds for a figure.
const maxFigureSeeds = 10

// makeSeeds makes spec once a seed (opts.Seed, opts.Seed+1, …, each run kept
// under its key like any; vaekit.SeedsAtOnce of them at the same time, the
// first error stopping the rest), and returns the first seed's figure with a row
// below it: each compared metric's per-seed values, arm by arm. Its JSON
// keeps the first seed's metrics, and the seeds' numbers (per_seed), the
// rule's verdicts (verdict) and where the metrics disagree (reading).
func makeSeeds(ctx context.Context, spec Spec, opts experiments.Options) (*Result, error) {
	n := opts.Seeds
	if n > maxFigureSeeds {
		return nil, fmt.Errorf("%d seeds: at most %d", n, maxFigureSeeds)
	}
	atOnce, err := vaekit.SeedsAtOnce()
	if err != nil {
		return nil, err
	}
	results, seeds := make([]*Result, n), make([]int64, n)
	var failed struct {
		sync.Mutex
		err error // the first seed's error: it stopped the others.
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	slots := make(chan struct{}, atOnce)
	for k := range n {
		o := opts
		o.Seed, o.Seeds = opts.Seed+int64(k), 0
		seeds[k] = o.Seed
		slots <- struct{}{}
		if ctx.Err() != nil {
			break
		}
		if opts.Progress {
			fmt.Fprintf(vaekit.Messages(), "%s: seed %d (%d of %d)\n", spec.Name, o.Seed, k+1, n)
		}
		wg.Go(func() {
			defer func() { <-slots }()
			r, err := spec.Make(ctx, o)
			if err != nil {
				failed.Lock()
				if failed.err == nil {
					failed.err = fmt.Errorf("seed %d: %w", o.Seed, err)
					cancel() // the other seeds stop (what they trained is kept).
				}
				failed.Unlock()
			}
			results[k] = r
		})
	}
	wg.Wait()
	if failed.err != nil {
		return nil, failed.err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res := results[0]
	perSeed := map[string][]float64{}
	for key, v := range res.Metrics {
		if _, ok := v.(float64); !ok {
			continue
		}
		values := make([]float64, 0, n)
		for _, r := range results {
			if f, ok := r.Metrics[key].(float64); ok {
				values = append(values, f)
			}
		}
		if len(values) == n {
			perSeed[key] = values
		}
	}
	var verdicts []verdict.Verdict
	var strips []*plot.Plot
	for _, c := range spec.Compare {
		a, okA := perSeed[c.A]
		b, okB := perSeed[c.B]
		if !okA || !okB {
			continue
		}
		verdicts = append(verdicts, verdict.Compare(c.Metric, c.NameA, a, c.NameB, b, c.Larger))
		better := "lower is better"
		if c.Larger {
			better = "higher is better"
		}
		p, err := (&chart.Strips{Title: c.Metric, YLabel: better, Groups: []chart.Strip{{Name: c.NameA, Values: a}, {Name: c.NameB, Values: b}}}).Plot()
		if err != nil {
			return nil, err
		}
		strips = append(strips, p)
	}
	var reading []string
	for _, v := range verdicts {
		reading = append(reading, v.Text)
	}
	reading = append(reading, verdict.Disagreements(verdicts)...)
	res.Metrics["seeds"], res.Metrics["per_seed"] = seeds, perSeed
	res.Metrics["verdict"], res.Metrics["rule"] = verdicts, verdict.Rule
	if len(reading) > 0 {
		res.Metrics["seeds_reading"] = strings.Join(reading, ". ") + "."
	}
	if len(strips) > 0 {
		res.Figure = withStrips(res.Figure, strips, seeds)
	}
	return res, nil
}

// withStrips adds the strips under fig, at most four a row, and says in the
// title which seed the rest shows. Where the figure would pass an A4 page's
// height, its own rows give up the room (image grids keep their shapes,
// smaller).
func withStrips(fig *chart.Figure, strips []*plot.Plot, seeds []int64) *chart.Figure {
	w, h := fig.Dimensions()
	out := &chart.Figure{Title: fmt.Sprintf("%s (seed %d; below, %d seeds)", fig.Title, seeds[0], len(seeds)), DPI: fig.DPI, Width: w}
	out.Panels = slices.Clone(fig.Panels)
	rows := (len(strips) + 3) / 4
	var shares []float64
	total := vg.Length(0)
	for _, size := range fig.RowSizes() {
		shares, total = append(shares, float64(size)), total+size
	}
	title := h - total
	// A quarter inch spare: the longer title may take a line more.
	if room := chart.PrintHeight - 0.25*vg.Inch - title - vg.Length(rows)*chart.StripHeight; total > room {
		for i := range shares {
			shares[i] *= float64(room / total)
		}
		h -= total - room
	}
	for start := 0; start < len(strips); start += 4 {
		row := make([]*plot.Plot, max(3, min(4, len(strips)-start))) // nil pads a short row: strips stay narrow.
		copy(row, strips[start:])
		out.Panels = append(out.Panels, row)
		shares = append(shares, float64(chart.StripHeight))
		h += chart.StripHeight
	}
	out.RowHeights, out.Height = shares, h
	return out
}
