package figures

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/vaekit/vaekit/vaekit/experiments"
)

// Show displays the figure in the notebook and exports
// opts.Out/NAME.{png,svg,pdf,json}, as the vaekit command writes them. Like
// notebook.Must, it is for notebooks: it stops the cell on an error.
func (r *Result) Show(name string, opts experiments.Options) {
	if err := r.Figure.Display(); err != nil { // outside a notebook, nothing.
		panic(err)
	}
	if _, err := Export(name, r, opts); err != nil {
		panic(err)
	}
	for _, line := range r.References() {
		fmt.Println(line)
	}
	if reading, ok := r.Metrics["seeds_reading"].(string); ok { // the verdicts over the seeds (Seeded).
		fmt.Println(reading)
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
