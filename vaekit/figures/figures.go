// Package figures is the catalogue of the figures of vaekit's four source
// articles: each has a stable name, and Make trains what it needs, draws it and writes
// NAME.png, NAME.svg, NAME.pdf and NAME.json. The vaekit command and the notebooks
// use the same catalogue.
//
// Each figure function is its Measure… function, which trains or loads the
// models (through package experiments) and returns the numbers and images
// as a typed value, followed by that value's Draw: a notebook can take
// either. The notebooks' own helpers (options, explorers) are in package
// notebook.
package figures

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/vaekit/vaekit/internal/atomicfile"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/chart"
	"github.com/vaekit/vaekit/vaekit/experiments"
)

// Result is what a figure produced: the chart and what goes in its JSON.
type Result struct {
	Figure  *chart.Figure
	Metrics map[string]any
	experiments.About
}

// drawn draws what a Measure… function returned: figure functions are
// Measure… then Draw.
func drawn[M interface{ Draw() (*Result, error) }](m M, err error) (*Result, error) {
	if err != nil {
		return nil, err
	}
	return m.Draw()
}

// Spec is one figure of the catalogue.
type Spec struct {
	Name    string
	Article string // source article file, in shared/articles.
	Summary string
	Make    func(ctx context.Context, opts experiments.Options) (*Result, error)
	// Compare lists the figure's comparisons: with opts.Seeds of 2 or more,
	// Run makes it once a seed and gives each comparison a verdict.
	Compare []Comparison
}

var catalogue []Spec

// register adds a figure to the catalogue (from the init of its file).
func register(s Spec) {
	if _, dup := Lookup(s.Name); dup {
		panic("figures: duplicate name " + s.Name)
	}
	catalogue = append(catalogue, s)
	slices.SortFunc(catalogue, func(a, b Spec) int { return strings.Compare(a.Name, b.Name) })
}

// All returns the catalogue, sorted by name.
func All() []Spec { return slices.Clone(catalogue) }

// Lookup finds a figure by name.
func Lookup(name string) (Spec, bool) {
	for _, s := range catalogue {
		if s.Name == name {
			return s, true
		}
	}
	return Spec{}, false
}

// find is Lookup, or an error naming the figures there are.
func find(name string) (Spec, error) {
	if s, ok := Lookup(name); ok {
		return s, nil
	}
	return Spec{}, fmt.Errorf("unknown figure %q; known figures: %s", name, strings.Join(Names(), ", "))
}

// Names lists the figure names.
func Names() []string {
	names := make([]string, len(catalogue))
	for i, s := range catalogue {
		names[i] = s.Name
	}
	return names
}

// Record is the content of NAME.json.
type Record struct {
	Name            string         `json:"name"`
	Article         string         `json:"article"`
	Quick           bool           `json:"quick"`
	Metrics         map[string]any `json:"metrics"`
	Hyperparameters any            `json:"hyperparameters"`
	Network         string         `json:"network,omitempty"`
	Dataset         map[string]any `json:"dataset"`
	Backend         string         `json:"backend"`
	Build           string         `json:"build"`
	Seed            int64          `json:"seed"`
	WallSeconds     float64        `json:"wall_seconds"`
	// Time splits WallSeconds (a figure the command made; nil for one a
	// notebook exported).
	Time    *Timing         `json:"time,omitempty"`
	History *vaekit.History `json:"history,omitempty"`
	// Runs are the model directories (under the models directory) the figure
	// used: `vaekit runs` shows how each was made.
	Runs  []string `json:"runs,omitempty"`
	Files []string `json:"files"`
}

// Timing is where a figure's seconds went: training steps (vaekit.TrainingTime),
// drawing (the PNG, SVG and PDF), and the rest, measuring: loading kept
// models, NLL, FID, classifiers and the figure's own computations.
type Timing struct {
	Training  float64 `json:"training_seconds"`
	Measuring float64 `json:"measuring_seconds"`
	Drawing   float64 `json:"drawing_seconds"`
}

// String is the split in a line, as `vaekit figures --timing` prints it.
func (t Timing) String() string {
	return fmt.Sprintf("training %.0f s, measuring %.0f s, drawing %.1f s", t.Training, t.Measuring, t.Drawing)
}

// Run makes the named figure and writes its files under opts.Out; with
// opts.Seeds of 2 or more, once a seed, its comparisons given verdicts.
func Run(ctx context.Context, name string, opts experiments.Options) (*Record, *Result, error) {
	spec, err := find(name)
	if err != nil {
		return nil, nil, err
	}
	backend, err := vaekit.Backend()
	if err != nil {
		return nil, nil, err
	}
	start, trained := time.Now(), vaekit.TrainingTime()
	opts = opts.WithRunLog() // this figure's runs alone.
	res, err := spec.makeOverSeeds(ctx, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("figure %s: %w", name, err)
	}
	t := &Timing{Training: (vaekit.TrainingTime() - trained).Seconds()}
	t.Measuring = time.Since(start).Seconds() - t.Training
	rec, err := save(spec, res, opts, vaekit.BackendName(backend), t)
	return rec, res, err
}

// Export writes a figure made in a notebook as opts.Out/NAME.{png,svg,pdf,json},
// exactly as the vaekit command would; its wall time is the model's training
// time. A name of the catalogue gets its article; any other is a figure of
// one's own (a sweep's, a new model's), named by lower-case letters, digits,
// '-' and '_'.
func Export(name string, res *Result, opts experiments.Options) (*Record, error) {
	spec, ok := Lookup(name)
	if !ok {
		if !ownName.MatchString(name) {
			return nil, fmt.Errorf("figure name %q: want lower-case letters, digits, '-' and '_' (the catalogue's: %s)", name, strings.Join(Names(), ", "))
		}
		spec = Spec{Name: name}
	}
	backend, err := vaekit.Backend()
	if err != nil {
		return nil, err
	}
	return save(spec, res, opts, vaekit.BackendName(backend), nil)
}

// ownName is what a figure of one's own may be called: a file name anywhere.
var ownName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// save writes the figure's files. With t (a figure Run made), its wall time
// is t's sum, t's drawing the files' rendering; without (one a notebook
// exported), its model's training time.
func save(spec Spec, res *Result, opts experiments.Options, backend string, t *Timing) (*Record, error) {
	seconds := 0.0
	if res.History != nil {
		seconds = res.History.TrainSeconds
	}
	rec := &Record{
		Name: spec.Name, Article: spec.Article, Quick: opts.Quick,
		Metrics: res.Metrics, Hyperparameters: res.Hyperparameters, Network: res.Network, Dataset: res.Dataset,
		Backend: backend, Build: vaekit.BuildFlags(), Seed: seedOf(res.Hyperparameters, opts.Seed),
		WallSeconds: seconds, History: withoutRecords(res.History), Runs: opts.Runs(),
		Files: []string{spec.Name + ".png", spec.Name + ".svg", spec.Name + ".pdf", spec.Name + ".json"},
	}
	// The three files as a set: a failure (a full disk) leaves the old set.
	drawing := time.Now()
	files, err := res.Figure.Files(opts.Out, spec.Name)
	if err != nil {
		return nil, fmt.Errorf("figure %s: %w", spec.Name, err)
	}
	if t != nil {
		t.Drawing = time.Since(drawing).Seconds()
		rec.Time, rec.WallSeconds = t, t.Training+t.Measuring+t.Drawing
	}
	js, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("figure %s: %w", spec.Name, err)
	}
	files[filepath.Join(opts.Out, spec.Name+".json")] = append(js, '\n')
	if err := atomicfile.WriteFiles(files); err != nil {
		return nil, fmt.Errorf("figure %s: %w", spec.Name, err)
	}
	return rec, nil
}

// withoutRecords is a history for a figure's JSON: its metrics, not the
// samples a run recorded (they are in the figure).
func withoutRecords(h *vaekit.History) *vaekit.History {
	if h == nil || h.Records == nil {
		return h
	}
	c := *h
	c.Records = nil
	return &c
}
