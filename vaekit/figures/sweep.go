package figures

import (
	"context"
	"fmt"
	"html"
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gomlx/gomlx/ui/notebooks"
	"github.com/janpfeifer/gonb/gonbui"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/chart"
	"github.com/vaekit/vaekit/vaekit/experiments"
	"github.com/vaekit/vaekit/vaekit/verdict"
	"gonum.org/v1/plot"
)

// SweepParam is one hyperparameter of a sweep and the values it takes.
type SweepParam struct {
	// Name is a field of the experiment, by its Go name or its JSON name, in
	// any case: KLWeight, kl_weight, LearningRate, DSteps, Latent, Optimizer.
	Name string
	// Values as written: 0.5, 4, adam; a list field's items are separated
	// by "/": Hidden=256/512.
	Values []string
}

// ParseSweep reads sweep parameters written PARAM=V1,V2,… .
func ParseSweep(args []string) ([]SweepParam, error) {
	var params []SweepParam
	for _, arg := range args {
		name, values, ok := strings.Cut(arg, "=")
		if !ok || name == "" || values == "" {
			return nil, fmt.Errorf("sweep parameter %q: want NAME=V1,V2,… (e.g. KLWeight=0.5,1,4)", arg)
		}
		p := SweepParam{Name: name}
		for _, v := range strings.Split(values, ",") {
			if v = strings.TrimSpace(v); v == "" {
				return nil, fmt.Errorf("sweep parameter %q: an empty value", arg)
			}
			p.Values = append(p.Values, v)
		}
		params = append(params, p)
	}
	if len(params) == 0 {
		return nil, fmt.Errorf("a sweep needs at least one NAME=V1,V2,… parameter")
	}
	return params, nil
}

// SweepRuns splits a sweep into its runs, in the sweep's order, each a sweep
// of one setting (every parameter one value, the seed included): what a
// scheduler submits as a task each (vaekit sweep --slurm).
func SweepRuns(params []SweepParam) ([][]SweepParam, error) {
	if err := checkSweep(params); err != nil {
		return nil, err
	}
	all := settings(params)
	runs := make([][]SweepParam, len(all))
	for i, setting := range all {
		for j, p := range params {
			runs[i] = append(runs[i], SweepParam{Name: p.Name, Values: []string{setting[j]}})
		}
	}
	return runs, nil
}

// SweepArgs writes params as the command's arguments, PARAM=V1,V2,… each.
func SweepArgs(params []SweepParam) []string {
	args := make([]string, len(params))
	for i, p := range params {
		args[i] = p.Name + "=" + strings.Join(p.Values, ",")
	}
	return args
}

// WithSeeds adds the seed axis to a sweep: each setting trained with n
// seeds, first, first+1, …, each a run of its own. It leaves params as they
// are when n < 2 or when they already sweep Seed.
func WithSeeds(params []SweepParam, first int64, n int) []SweepParam {
	if n < 2 || slices.ContainsFunc(params, isSeed) {
		return params
	}
	seeds := SweepParam{Name: "Seed"}
	for i := range n {
		seeds.Values = append(seeds.Values, strconv.FormatInt(first+int64(i), 10))
	}
	return append(slices.Clone(params), seeds)
}

// isSeed says whether p is the seed axis: its runs are repeats of one
// setting, summarised as mean ± spread and compared by package verdict.
func isSeed(p SweepParam) bool { return strings.EqualFold(p.Name, "seed") }

// splitSeeds separates the seed axis from the settings' parameters.
func splitSeeds(params []SweepParam) (arms []SweepParam, seeds []string) {
	for _, p := range params {
		if isSeed(p) {
			seeds = append(seeds, p.Values...)
		} else {
			arms = append(arms, p)
		}
	}
	return arms, seeds
}

// maxSweepArms bounds a sweep's settings (a column of its figure each), and
// maxSweepSeeds its seeds a setting.
const maxSweepArms, maxSweepSeeds = 8, 10

func checkSweep(params []SweepParam) error {
	arms, seeds := splitSeeds(params)
	if n := len(settings(arms)); n > maxSweepArms {
		return fmt.Errorf("a sweep of %d runs: at most %d (one column each)", n, maxSweepArms)
	}
	if len(seeds) > maxSweepSeeds {
		return fmt.Errorf("a sweep over %d seeds: at most %d", len(seeds), maxSweepSeeds)
	}
	return nil
}

// settings is every combination of the values, the first parameter's
// slowest.
func settings(params []SweepParam) [][]string {
	runs := [][]string{nil}
	for _, p := range params {
		var next [][]string
		for _, r := range runs {
			for _, v := range p.Values {
				next = append(next, append(slices.Clone(r), v))
			}
		}
		runs = next
	}
	return runs
}

// setField sets the field of the struct exp points to (embedded structs
// included) named name, from text.
func setField(exp any, name, text string) error {
	v := reflect.ValueOf(exp).Elem()
	f, ok := findField(v, name)
	if !ok {
		return fmt.Errorf("%s has no field %q; it has %s", v.Type().Name(), name, strings.Join(fieldNames(v), ", "))
	}
	bad := func(err error) error {
		return fmt.Errorf("%s=%s: want %s (%v)", name, text, f.Type(), err)
	}
	switch f.Kind() {
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return bad(err)
		}
		f.SetInt(n)
	case reflect.Float64:
		x, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return bad(err)
		}
		f.SetFloat(x)
	case reflect.String:
		f.SetString(text)
	case reflect.Bool:
		b, err := strconv.ParseBool(text)
		if err != nil {
			return bad(err)
		}
		f.SetBool(b)
	case reflect.Slice:
		if f.Type().Elem().Kind() != reflect.Int {
			return fmt.Errorf("%s: a %s cannot be swept", name, f.Type())
		}
		var items []int
		for _, s := range strings.Split(text, "/") {
			n, err := strconv.Atoi(s)
			if err != nil {
				return bad(err)
			}
			items = append(items, n)
		}
		f.Set(reflect.ValueOf(items))
	default:
		return fmt.Errorf("%s: a %s cannot be swept", name, f.Type())
	}
	return nil
}

func findField(v reflect.Value, name string) (reflect.Value, bool) {
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		if sf.Anonymous && sf.Type.Kind() == reflect.Struct {
			if f, ok := findField(v.Field(i), name); ok {
				return f, true
			}
			continue
		}
		tag, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if strings.EqualFold(sf.Name, name) || (tag != "" && tag != "-" && strings.EqualFold(tag, name)) {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

func fieldNames(v reflect.Value) []string {
	var names []string
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		switch {
		case !sf.IsExported() || sf.Type.Kind() == reflect.Func:
		case sf.Anonymous && sf.Type.Kind() == reflect.Struct:
			names = append(names, fieldNames(v.Field(i))...)
		default:
			names = append(names, sf.Name)
		}
	}
	return names
}

// Sweep is what a sweep measured: one run per combination of its
// parameters' values and seed, trained (or loaded: each run is kept under
// its own hyperparameters) one after the other.
type Sweep struct {
	Model  string       // "vae" or "gan".
	Params []SweepParam // the settings' parameters (not the seed).
	// Seeds each setting is trained with, as written (nil: the base
	// experiment's own seed, one run a setting).
	Seeds []string
	Runs  []SweepRun // setting by setting, each setting's seeds in a row.
	Base  any        // the experiment every run starts from.
	experiments.About
}

// SweepRun is one run: a setting and a seed.
type SweepRun struct {
	Setting         []string // a value per parameter.
	Seed            string   // "" for the base experiment's.
	Hyperparameters any
	Metrics         map[string]float64
	Curves          []chart.Series // per epoch.
	Samples         [][]float32    // 16.
	Dir             string
	done            bool
}

// seeds is the number of runs a setting.
func (s *Sweep) seeds() int { return max(1, len(s.Seeds)) }

// arms is the number of settings.
func (s *Sweep) arms() int { return len(s.Runs) / s.seeds() }

// armRuns are setting a's runs, one a seed.
func (s *Sweep) armRuns(a int) []SweepRun { return s.Runs[a*s.seeds() : (a+1)*s.seeds()] }

// label names setting a by the parameters that vary: "KLWeight=4".
func (s *Sweep) label(a int) string {
	var parts, all []string
	setting := s.Runs[a*s.seeds()].Setting
	for j, p := range s.Params {
		all = append(all, p.Name+"="+setting[j])
		if len(p.Values) > 1 {
			parts = append(parts, all[j])
		}
	}
	if len(parts) == 0 {
		parts = all
	}
	return strings.Join(parts, ", ")
}

// runLabel names run i: its setting's label, and its seed.
func (s *Sweep) runLabel(i int) string {
	l := s.label(i / s.seeds())
	if s.Runs[i].Seed != "" {
		l += ", seed " + s.Runs[i].Seed
	}
	return l
}

// values are metric's per-seed values of setting a.
func (s *Sweep) values(a int, metric string) []float64 {
	var v []float64
	for _, r := range s.armRuns(a) {
		v = append(v, r.Metrics[metric])
	}
	return v
}

// SweepVAE trains the VAE once per setting of params from base and shows
// them side by side: in a notebook, live, one column per run with its test
// ELBO by epoch and its samples; then a table, a reading and the figure.
func SweepVAE(ctx context.Context, base experiments.VAEExperiment, params []SweepParam, opts experiments.Options) (*Result, error) {
	return drawn(MeasureSweepVAE(ctx, base, params, opts))
}

// MeasureSweepVAE trains (or loads) one VAE per setting and measures each.
func MeasureSweepVAE(ctx context.Context, base experiments.VAEExperiment, params []SweepParam, opts experiments.Options) (*Sweep, error) {
	library := experiments.DefaultVAEExperiment(opts.Quick, base.Seed)
	return measureSweep(ctx, "vae", base, library, params, opts, func(ctx context.Context, exp *experiments.VAEExperiment, opts experiments.Options, r *SweepRun) error {
		t, err := experiments.TrainVAE(ctx, *exp, opts)
		if err != nil {
			return err
		}
		nll, err := t.TestNLL()
		if err != nil {
			return err
		}
		r.Metrics = map[string]float64{"test_elbo_nats": t.TestELBO.ELBO, "test_recon_nats": t.TestELBO.Recon,
			"test_kl_nats": t.TestELBO.KL, "test_nll_iw_nats": nll.NLL, "train_seconds": t.History.TrainSeconds}
		r.Curves = epochCurves(t.History, "test_elbo")
		r.Dir = t.Dir
		r.Samples, err = t.VAE.Sample(16, 7)
		return err
	})
}

// SweepGAN is SweepVAE for a GAN: each run's D and G losses by epoch, its
// samples, and its mnist_fid, KID, precision and recall.
func SweepGAN(ctx context.Context, base experiments.GANExperiment, params []SweepParam, scorer *experiments.FIDScorer, opts experiments.Options) (*Result, error) {
	return drawn(MeasureSweepGAN(ctx, base, params, scorer, opts))
}

// MeasureSweepGAN trains (or loads) one GAN per setting and scores each.
func MeasureSweepGAN(ctx context.Context, base experiments.GANExperiment, params []SweepParam, scorer *experiments.FIDScorer, opts experiments.Options) (*Sweep, error) {
	library := experiments.DefaultMLPGANExperiment(opts.Quick, base.Seed)
	return measureSweep(ctx, "gan", base, library, params, opts, func(ctx context.Context, exp *experiments.GANExperiment, opts experiments.Options, r *SweepRun) error {
		sg, err := scoreGAN(ctx, scorer, *exp, opts)
		if err != nil {
			return err
		}
		q := sg.q
		r.Metrics = map[string]float64{"mnist_fid": q.FID, "kid": q.KID, "precision": q.Precision, "recall": q.Recall,
			"train_seconds": sg.t.History.TrainSeconds}
		r.Curves = epochCurves(sg.t.History, "d_loss", "g_loss")
		r.Samples, r.Dir = sg.samples[:16], sg.t.Dir
		return nil
	})
}

// sweepTrain trains (or loads) one run of a sweep and measures it into r.
type sweepTrain[E any] func(ctx context.Context, exp *E, opts experiments.Options, r *SweepRun) error

// measureSweep runs train for each setting of params applied to base,
// with each seed (opts.Seeds from base's own, unless params sweep Seed).
// With opts.Slurm the runs train as Slurm tasks running vaekit sweep, whose
// experiment is library (the library's own, at base's seed), and each is
// measured here as soon as it is finished.
func measureSweep[E any](ctx context.Context, model string, base, library E, params []SweepParam, opts experiments.Options,
	train sweepTrain[E]) (*Sweep, error) {
	if seed, ok := findField(reflect.ValueOf(&base).Elem(), "Seed"); ok && seed.CanInt() {
		params = WithSeeds(params, seed.Int(), opts.Seeds)
	}
	if err := checkSweep(params); err != nil {
		return nil, err
	}
	arms, seeds := splitSeeds(params)
	s := &Sweep{Model: model, Params: arms, Seeds: seeds, Base: base}
	exps, err := expand(s, base)
	if err != nil {
		return nil, err
	}
	for i := range exps {
		s.Runs = append(s.Runs, SweepRun{Setting: settings(arms)[i/s.seeds()], Hyperparameters: exps[i]})
		if seeds != nil {
			s.Runs[i].Seed = seeds[i%s.seeds()]
		}
	}
	var wait func(ctx context.Context, i int) error
	if opts.Slurm != nil {
		if wait, err = sweepOnSlurm(ctx, s, exps, library, opts, train); err != nil {
			return nil, err
		}
	}
	view := newSweepView(s)
	inner := opts
	if view != nil {
		inner.Progress = false // the sweep's view shows each run's progress in its column.
	}
	for i := range s.Runs {
		r := &s.Runs[i]
		if opts.Progress {
			fmt.Fprintf(vaekit.Messages(), "sweep: run %d of %d, %s\n", i+1, len(s.Runs), s.runLabel(i))
		}
		if view != nil {
			inner.OnEpoch = func(epoch int, metrics map[string]float64, samples func() ([][]float32, error)) {
				view.epoch(i, epoch, metrics, samples)
			}
		}
		if wait != nil {
			if err := wait(ctx, i); err != nil {
				return nil, err
			}
		}
		if err := train(ctx, &exps[i], inner, r); err != nil {
			return nil, fmt.Errorf("sweep run %s: %w", s.runLabel(i), err)
		}
		r.done = true
		if view != nil {
			view.show(false)
		}
	}
	if view != nil {
		view.clear()
	}
	s.Hyperparameters = map[string]any{"base": base, "parameters": arms, "seeds": seeds}
	return s, nil
}

// expand is each run's experiment: base with the run's setting and seed, in
// the sweep's order (settings, the first parameter's slowest; then seeds).
func expand[E any](s *Sweep, base E) ([]E, error) {
	var exps []E
	for _, setting := range settings(s.Params) {
		for k := range s.seeds() {
			exp := base
			for j, p := range s.Params {
				if err := setField(&exp, p.Name, setting[j]); err != nil {
					return nil, fmt.Errorf("sweep: %w", err)
				}
			}
			if s.Seeds != nil {
				if err := setField(&exp, "Seed", s.Seeds[k]); err != nil {
					return nil, fmt.Errorf("sweep: %w", err)
				}
			}
			exps = append(exps, exp)
		}
	}
	return exps, nil
}

// runParams is run i as a sweep of its own: each parameter one value, the
// seed's included (what its Slurm task sweeps).
func (s *Sweep) runParams(i int) []SweepParam {
	var params []SweepParam
	for j, p := range s.Params {
		params = append(params, SweepParam{Name: p.Name, Values: []string{s.Runs[i].Setting[j]}})
	}
	if s.Runs[i].Seed != "" {
		params = append(params, SweepParam{Name: "Seed", Values: []string{s.Runs[i].Seed}})
	}
	return params
}

// epochCurves are a history's per-epoch series of the named metrics.
func epochCurves(h *vaekit.History, names ...string) []chart.Series {
	var curves []chart.Series
	for _, name := range names {
		x, y := h.Series(name)
		curves = append(curves, chart.Series{Name: name, X: x, Y: y})
	}
	return curves
}

// curveTitle names what a sweep's columns plot.
func (s *Sweep) curveTitle() string {
	if s.Model == "gan" {
		return "D and G loss by epoch"
	}
	return "test ELBO by epoch (nats)"
}

// keyMetrics are the metrics a sweep's table and reading report, each
// with whether larger is better.
func (s *Sweep) keyMetrics() []struct {
	name   string
	larger bool
} {
	if s.Model == "gan" {
		return []struct {
			name   string
			larger bool
		}{{"mnist_fid", false}, {"kid", false}, {"precision", true}, {"recall", true}}
	}
	return []struct {
		name   string
		larger bool
	}{{"test_elbo_nats", true}, {"test_nll_iw_nats", false}, {"test_recon_nats", false}, {"test_kl_nats", false}}
}

// Table is the sweep's numbers, one line a setting: each metric's mean ±
// standard deviation over its seeds (the value, for one seed).
func (s *Sweep) Table() string {
	var b strings.Builder
	var header []string
	for _, p := range s.Params {
		header = append(header, p.Name)
	}
	for _, m := range s.keyMetrics() {
		header = append(header, m.name)
	}
	header = append(header, "train_seconds")
	if s.seeds() > 1 {
		header = append(header, "seeds")
	}
	fmt.Fprintln(&b, strings.Join(header, "\t"))
	for a := range s.arms() {
		row := slices.Clone(s.Runs[a*s.seeds()].Setting)
		for _, m := range s.keyMetrics() {
			row = append(row, verdict.Of(s.values(a, m.name)).String())
		}
		row = append(row, fmt.Sprintf("%.0f", verdict.Of(s.values(a, "train_seconds")).Mean))
		if s.seeds() > 1 {
			row = append(row, strings.Join(s.Seeds, ","))
		}
		fmt.Fprintln(&b, strings.Join(row, "\t"))
	}
	return b.String()
}

// Verdicts compares, for each key metric, the setting best on average with
// every other, by package verdict's rule.
func (s *Sweep) Verdicts() []verdict.Verdict {
	var out []verdict.Verdict
	for _, m := range s.keyMetrics() {
		best := s.best(m.name, m.larger)
		for a := range s.arms() {
			if a != best {
				out = append(out, verdict.Compare(m.name, s.label(best), s.values(best, m.name), s.label(a), s.values(a, m.name), m.larger))
			}
		}
	}
	return out
}

// best is the setting with the best mean of metric.
func (s *Sweep) best(metric string, larger bool) int {
	best := 0
	for a := range s.arms() {
		if v, b := verdict.Of(s.values(a, metric)).Mean, verdict.Of(s.values(best, metric)).Mean; (larger && v > b) || (!larger && v < b) {
			best = a
		}
	}
	return best
}

// Reading says what the numbers show: for each key metric, the best
// setting on average and, over several seeds, the rule's verdict against
// each other setting, and where the metrics disagree on a pair of settings;
// over one seed, how each metric went from the first setting to the last.
func (s *Sweep) Reading() string {
	var parts []string
	verdicts := s.Verdicts()
	for _, m := range s.keyMetrics() {
		best := s.best(m.name, m.larger)
		part := fmt.Sprintf("best %s at %s (%s)", m.name, s.label(best), verdict.Of(s.values(best, m.name)))
		if s.seeds() < 2 && s.arms() > 1 {
			last := s.arms() - 1
			part += fmt.Sprintf("; from %s to %s it goes %.4g → %.4g", s.label(0), s.label(last),
				s.values(0, m.name)[0], s.values(last, m.name)[0])
		}
		parts = append(parts, part)
	}
	text := strings.Join(parts, ". ") + "."
	if s.arms() < 2 {
		return text
	}
	if s.seeds() < 2 {
		return text + " One seed a setting: no verdict on any difference (sweep with 2 seeds or more)."
	}
	var found []string
	for _, v := range verdicts {
		found = append(found, v.Text)
	}
	text += " " + strings.Join(found, ". ") + "."
	var pairs []verdict.Verdict // every pair of settings on every key metric.
	for a := range s.arms() {
		for b := a + 1; b < s.arms(); b++ {
			for _, m := range s.keyMetrics() {
				pairs = append(pairs, verdict.Compare(m.name, s.label(a), s.values(a, m.name), s.label(b), s.values(b, m.name), m.larger))
			}
		}
	}
	for _, d := range verdict.Disagreements(pairs) {
		text += " " + d + "."
	}
	return text
}

// Draw is the sweep's figure: one column per setting, its seeds' curves
// above the first seed's samples.
func (s *Sweep) Draw() (*Result, error) {
	fig, err := s.figure()
	if err != nil {
		return nil, err
	}
	var runs, arms []map[string]any
	for i, r := range s.Runs {
		setting := map[string]string{}
		for j, p := range s.Params {
			setting[p.Name] = r.Setting[j]
		}
		run := map[string]any{"setting": setting, "label": s.runLabel(i), "hyperparameters": r.Hyperparameters, "metrics": r.Metrics}
		if r.Seed != "" {
			run["seed"] = r.Seed
		}
		if r.Dir != "" {
			run["run"] = filepath.Base(r.Dir)
		}
		runs = append(runs, run)
	}
	for a := range s.arms() {
		stats := map[string]verdict.Stats{}
		for name := range s.Runs[a*s.seeds()].Metrics {
			stats[name] = verdict.Of(s.values(a, name))
		}
		arms = append(arms, map[string]any{"label": s.label(a), "metrics": stats})
	}
	metrics := map[string]any{"model": s.Model, "parameters": s.Params, "runs": runs, "settings": arms,
		"table": s.Table(), "reading": s.Reading(), "verdict": s.Verdicts(), "rule": verdict.Rule}
	if s.Seeds != nil {
		metrics["seeds"] = s.Seeds
	}
	return &Result{Figure: fig, Metrics: metrics, About: s.About}, nil
}

// figure draws the runs done so far, a column a setting; the settings not
// started are columns titled "waiting".
func (s *Sweep) figure() (*chart.Figure, error) {
	var curves, samples []*plot.Plot
	for a := range s.arms() {
		runs := s.armRuns(a)
		title := s.label(a)
		done, started := true, false
		var series []chart.Series
		for k, r := range runs {
			done = done && r.done
			for j, c := range r.Curves {
				if len(c.X) > 0 {
					started = true
					if r.Seed != "" { // a colour a seed, the same in every column; a second metric dashed.
						c.Name = strings.TrimSpace(c.Name + " seed " + r.Seed)
						c.Color, c.Dashed = chart.ClassColor(k), j > 0
					}
					series = append(series, c)
				}
			}
		}
		switch {
		case !done && started:
			title += " (training)"
		case !done:
			title += " (waiting)"
		}
		lines := &chart.Lines{Title: title, XLabel: "epoch", Series: series, Points: true}
		if a == 0 { // the columns share their y axis: one label names it.
			lines.YLabel = s.curveTitle()
		}
		if len(series) == 1 {
			lines.Series[0].Name = ""
		}
		cp, err := lines.Plot()
		if err != nil {
			if len(series) > 0 {
				return nil, err
			}
			cp = plot.New() // nothing yet.
			cp.Title.Text = title
		}
		grid := &chart.Grid{Rows: 4, Cols: 4, Height: 28, Width: 28, Images: runs[0].Samples}
		if grid.Images == nil {
			grid.Images = make([][]float32, 16)
		}
		if done {
			grid.Title = s.summary(a)
		}
		gp, err := grid.Plot()
		if err != nil {
			return nil, err
		}
		curves, samples = append(curves, cp), append(samples, gp)
	}
	shareY(curves)
	fig := &chart.Figure{Title: fmt.Sprintf("%s sweep: %s", strings.ToUpper(s.Model), s.paramNames()),
		Panels: [][]*plot.Plot{curves, samples}}
	return fig.Size(3.4*float64(s.arms())+0.6, 7.2), nil
}

// summary is a setting's key numbers (mean ± sd over its seeds), above its
// samples.
func (s *Sweep) summary(a int) string {
	of := func(name string) verdict.Stats { return verdict.Of(s.values(a, name)) }
	if s.Model == "gan" {
		return fmt.Sprintf("FID %s, P %s, R %s", of("mnist_fid"), of("precision"), of("recall"))
	}
	return fmt.Sprintf("ELBO %s, NLL %s", of("test_elbo_nats"), of("test_nll_iw_nats"))
}

func (s *Sweep) paramNames() string {
	var names []string
	for _, p := range s.Params {
		names = append(names, p.Name)
	}
	return strings.Join(names, " × ")
}

// SweepName is the name a sweep's files get: sweep-MODEL-PARAM[-PARAM…].
func SweepName(model string, params []SweepParam) string {
	name := "sweep-" + model
	for _, p := range params {
		if !isSeed(p) { // a sweep over seeds draws the same comparison.
			name += "-" + strings.ToLower(p.Name)
		}
	}
	return name
}

// sweepView shows a sweep in a notebook cell while it trains: the figure
// of the runs so far, redrawn at each epoch of the run in progress.
type sweepView struct {
	s    *Sweep
	id   string
	last time.Time
}

func newSweepView(s *Sweep) *sweepView {
	if !notebooks.IsGoNB() {
		return nil
	}
	return &sweepView{s: s, id: "vaekit-sweep-" + gonbui.UniqueID()}
}

// epoch takes the metrics of run i's epoch.
func (v *sweepView) epoch(i, epoch int, metrics map[string]float64, samples func() ([][]float32, error)) {
	r := &v.s.Runs[i]
	names := []string{"test_elbo"}
	if v.s.Model == "gan" {
		names = []string{"d_loss", "g_loss"}
	}
	if len(r.Curves) == 0 {
		for _, n := range names {
			r.Curves = append(r.Curves, chart.Series{Name: n})
		}
	}
	for j, n := range names {
		if y, ok := metrics[n]; ok && !math.IsNaN(y) {
			r.Curves[j].X, r.Curves[j].Y = append(r.Curves[j].X, float64(epoch)), append(r.Curves[j].Y, y)
		}
	}
	if images, err := samples(); err == nil {
		r.Samples = images[:min(16, len(images))]
	}
	if time.Since(v.last) >= liveRedraw {
		v.show(false)
	}
}

// liveRedraw is the least time between two redraws of a sweep's view.
const liveRedraw = 2 * time.Second

func (v *sweepView) show(final bool) {
	v.last = time.Now()
	fig, err := v.s.figure()
	page := ""
	if err == nil {
		page, err = fig.HTML()
	}
	if err != nil {
		page = "<div>sweep: " + html.EscapeString(err.Error()) + "</div>"
	}
	gonbui.UpdateHTML(v.id, page)
}

// clear removes the live view: the finished figure is shown by Result.Show.
func (v *sweepView) clear() { gonbui.UpdateHTML(v.id, "") }

// shareY gives the plots that have data one y range, so that the columns
// compare at a glance (each legend gets a band of its own above it).
func shareY(plots []*plot.Plot) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range plots {
		if p.Y.Min < p.Y.Max {
			lo, hi = min(lo, p.Y.Min), max(hi, p.Y.Max)
		}
	}
	for _, p := range plots {
		if p.Y.Min < p.Y.Max {
			p.Y.Min, p.Y.Max = lo, hi
		}
	}
}
