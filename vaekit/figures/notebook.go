package figures

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	_ "github.com/vaekit/vaekit/vaekit/live" // a training's live view, in a notebook cell.
)

// NotebookOptions are a notebook's options: quick mode as $VAEKIT_QUICK
// says, figures exported to figures-out beside the notebook, progress shown.
// The seed is each experiment's own.
func NotebookOptions() Options {
	return Options{Quick: QuickFromEnv(), Out: "figures-out", Progress: true, runs: &runList{}}
}

// WithQuick returns opts in quick mode when on is true (small epochs and
// subsets, the same code: minutes a notebook), or when $VAEKIT_QUICK asks
// for it (as the tests do); else at the articles' settings.
func (o Options) WithQuick(on bool) Options {
	o.Quick = on || QuickFromEnv()
	return o
}

// FullOrQuick is full, or quick in quick mode: a notebook's hyperparameter cell
// writes both (epochs, steps), so that each is in sight.
func (o Options) FullOrQuick(full, quick int) int {
	if o.Quick {
		return quick
	}
	return full
}

// Mode says which settings a notebook runs with, for its first output.
func (o Options) Mode() string {
	if o.Quick {
		return "vaekit: quick mode (small epochs and subsets, the same code): numbers are not the articles'"
	}
	return "vaekit: full settings (the articles')"
}

// WithDataset returns opts training on your own images instead of MNIST
// (see Options.Dataset); "" keeps MNIST.
func (o Options) WithDataset(path string) Options {
	o.Dataset = path
	return o
}

// Show displays the figure in the notebook and exports
// opts.Out/NAME.{png,svg,pdf,json}, as the vaekit command writes them. Like
// Must, it is for notebooks: it stops the cell on an error.
func (r *Result) Show(name string, opts Options) {
	Must(0, r.Figure.Display()) // outside a notebook, nothing.
	Must(Export(name, r, opts))
	for _, line := range r.References() {
		fmt.Println(line)
	}
	fmt.Printf("exported %s/%s.{png,svg,pdf,json}\n", opts.Out, name)
}

// References is a line for each number of the figure's reference
// (Metrics["reference"]: the article's, the literature's or real data's),
// with this run's values of it beside (a metric's name, or the name
// followed by "_" and a variant: mnist_fid_k1, …).
func (r *Result) References() []string {
	ref, _ := r.Metrics["reference"].(map[string]any)
	var lines []string
	for _, key := range slices.Sorted(maps.Keys(ref)) {
		want, ok := ref[key].(float64)
		if !ok {
			continue
		}
		var ours []string
		for _, name := range slices.Sorted(maps.Keys(r.Metrics)) {
			v, ok := r.Metrics[name].(float64)
			variant, isVariant := strings.CutPrefix(name, key+"_")
			if !ok || (name != key && (!isVariant || strings.HasPrefix(variant, "std") || strings.HasPrefix(variant, "note"))) {
				continue
			}
			if isVariant {
				ours = append(ours, fmt.Sprintf("%.4g (%s)", v, variant))
			} else {
				ours = append(ours, fmt.Sprintf("%.4g", v))
			}
		}
		if len(ours) == 0 {
			ours = []string{"not measured here"}
		}
		lines = append(lines, fmt.Sprintf("%s: %s; reference %.4g", key, strings.Join(ours, ", "), want))
	}
	if len(lines) > 0 {
		lines = append(lines, fmt.Sprintf("  (reference: %s)", ref["source"]))
	}
	return lines
}

// Must returns v, or stops a notebook's cell with err (a panic, which GoNB
// shows as the cell's error).
func Must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// seedOf is the seed in a figure's hyperparameters (an experiment embeds
// its model's config, whose TrainConfig has the seed), else fallback.
func seedOf(hyper any, fallback int64) int64 {
	raw, err := json.Marshal(hyper)
	if err != nil {
		return fallback
	}
	var h struct {
		Seed *int64 `json:"seed"`
	}
	if json.Unmarshal(raw, &h) != nil || h.Seed == nil {
		return fallback
	}
	return *h.Seed
}
