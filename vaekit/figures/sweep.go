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
// of one setting (every parameter one value): what a scheduler submits as
// a task each (vaekit sweep --slurm).
func SweepRuns(params []SweepParam) ([][]SweepParam, error) {
	all, err := settings(params)
	if err != nil {
		return nil, err
	}
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

// maxSweepRuns bounds a sweep: each run is a column of its figure.
const maxSweepRuns = 8

// settings is the sweep's runs: every combination of the values, the first
// parameter's slowest.
func settings(params []SweepParam) ([][]string, error) {
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
	if len(runs) > maxSweepRuns {
		return nil, fmt.Errorf("a sweep of %d runs: at most %d (one column each)", len(runs), maxSweepRuns)
	}
	return runs, nil
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
// parameters' values, trained (or loaded: each run is kept under its own
// hyperparameters) one after the other.
type Sweep struct {
	Model  string // "vae" or "gan".
	Params []SweepParam
	Runs   []SweepRun
	Base   any // the experiment every run starts from.
	experiments.About
}

// SweepRun is one setting's run.
type SweepRun struct {
	Setting         []string // a value per parameter.
	Hyperparameters any
	Metrics         map[string]float64
	Curves          []chart.Series // per epoch.
	Samples         [][]float32    // 16.
	Dir             string
	done            bool
}

// label names a run by the parameters that vary: "KLWeight=4".
func (s *Sweep) label(i int) string {
	var parts, all []string
	for j, p := range s.Params {
		all = append(all, p.Name+"="+s.Runs[i].Setting[j])
		if len(p.Values) > 1 {
			parts = append(parts, all[j])
		}
	}
	if len(parts) == 0 {
		parts = all
	}
	return strings.Join(parts, ", ")
}

// SweepVAE trains the VAE once per setting of params from base and shows
// them side by side: in a notebook, live, one column per run with its test
// ELBO by epoch and its samples; then a table, a reading and the figure.
func SweepVAE(ctx context.Context, base experiments.VAEExperiment, params []SweepParam, opts experiments.Options) (*Result, error) {
	return drawn(MeasureSweepVAE(ctx, base, params, opts))
}

// MeasureSweepVAE trains (or loads) one VAE per setting and measures each.
func MeasureSweepVAE(ctx context.Context, base experiments.VAEExperiment, params []SweepParam, opts experiments.Options) (*Sweep, error) {
	return measureSweep(ctx, "vae", base, params, opts, func(exp *experiments.VAEExperiment, opts experiments.Options, r *SweepRun) error {
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
	return measureSweep(ctx, "gan", base, params, opts, func(exp *experiments.GANExperiment, opts experiments.Options, r *SweepRun) error {
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

// measureSweep runs train for each setting of params applied to base.
func measureSweep[E any](ctx context.Context, model string, base E, params []SweepParam, opts experiments.Options,
	train func(exp *E, opts experiments.Options, r *SweepRun) error) (*Sweep, error) {
	all, err := settings(params)
	if err != nil {
		return nil, err
	}
	s := &Sweep{Model: model, Params: params, Base: base}
	exps := make([]E, len(all))
	for i, setting := range all {
		exps[i] = base
		for j, p := range params {
			if err := setField(&exps[i], p.Name, setting[j]); err != nil {
				return nil, fmt.Errorf("sweep: %w", err)
			}
		}
		s.Runs = append(s.Runs, SweepRun{Setting: setting, Hyperparameters: exps[i]})
	}
	view := newSweepView(s)
	inner := opts
	if view != nil {
		inner.Progress = false // the sweep's view shows each run's progress in its column.
	}
	for i := range s.Runs {
		r := &s.Runs[i]
		if opts.Progress {
			fmt.Fprintf(vaekit.Messages(), "sweep: run %d of %d, %s\n", i+1, len(s.Runs), s.label(i))
		}
		if view != nil {
			inner.OnEpoch = func(epoch int, metrics map[string]float64, samples func() ([][]float32, error)) {
				view.epoch(i, epoch, metrics, samples)
			}
		}
		if err := train(&exps[i], inner, r); err != nil {
			return nil, fmt.Errorf("sweep run %s: %w", s.label(i), err)
		}
		r.done = true
		if view != nil {
			view.show(false)
		}
	}
	if view != nil {
		view.clear()
	}
	s.Hyperparameters = map[string]any{"base": base, "parameters": params}
	return s, nil
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

// Table is the sweep's numbers, one line a run.
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
	fmt.Fprintln(&b, strings.Join(header, "\t"))
	for _, r := range s.Runs {
		row := slices.Clone(r.Setting)
		for _, m := range s.keyMetrics() {
			row = append(row, fmt.Sprintf("%.4g", r.Metrics[m.name]))
		}
		row = append(row, fmt.Sprintf("%.0f", r.Metrics["train_seconds"]))
		fmt.Fprintln(&b, strings.Join(row, "\t"))
	}
	return b.String()
}

// Reading says what the numbers show: for each key metric, the best run,
// and from the first setting to the last, where that way it went.
func (s *Sweep) Reading() string {
	var parts []string
	first, last := s.Runs[0], s.Runs[len(s.Runs)-1]
	for _, m := range s.keyMetrics() {
		best := 0
		for i, r := range s.Runs {
			if v, b := r.Metrics[m.name], s.Runs[best].Metrics[m.name]; (m.larger && v > b) || (!m.larger && v < b) {
				best = i
			}
		}
		part := fmt.Sprintf("best %s at %s (%.4g)", m.name, s.label(best), s.Runs[best].Metrics[m.name])
		if len(s.Runs) > 1 {
			part += fmt.Sprintf("; from %s to %s it goes %.4g → %.4g", s.label(0), s.label(len(s.Runs)-1),
				first.Metrics[m.name], last.Metrics[m.name])
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, ". ") + "."
}

// Draw is the sweep's figure: one column per run, its curves above its samples.
func (s *Sweep) Draw() (*Result, error) {
	fig, err := s.figure()
	if err != nil {
		return nil, err
	}
	var runs []map[string]any
	for i, r := range s.Runs {
		setting := map[string]string{}
		for j, p := range s.Params {
			setting[p.Name] = r.Setting[j]
		}
		run := map[string]any{"setting": setting, "label": s.label(i), "hyperparameters": r.Hyperparameters, "metrics": r.Metrics}
		if r.Dir != "" {
			run["run"] = filepath.Base(r.Dir)
		}
		runs = append(runs, run)
	}
	metrics := map[string]any{"model": s.Model, "parameters": s.Params, "runs": runs, "table": s.Table(), "reading": s.Reading()}
	return &Result{Figure: fig, Metrics: metrics, About: s.About}, nil
}

// figure draws the runs done so far; the others are columns titled "waiting".
func (s *Sweep) figure() (*chart.Figure, error) {
	var curves, samples []*plot.Plot
	legend := false
	for i, r := range s.Runs {
		title := s.label(i)
		if !r.done {
			title += " (waiting)"
			if len(r.Curves) > 0 && len(r.Curves[0].X) > 0 {
				title = s.label(i) + " (training)"
			}
		}
		var series []chart.Series
		for _, c := range r.Curves {
			if len(c.X) > 0 {
				series = append(series, c)
			}
		}
		lines := &chart.Lines{Title: title, XLabel: "epoch", Series: series, Points: true}
		if i == 0 { // the columns share their y axis: one label names it.
			lines.YLabel = s.curveTitle()
		}
		if len(series) == 1 {
			lines.Series[0].Name = ""
		}
		legend = legend || len(series) > 1
		cp, err := lines.Plot()
		if err != nil {
			if len(series) > 0 {
				return nil, err
			}
			cp = plot.New() // nothing yet.
			cp.Title.Text = title
		}
		grid := &chart.Grid{Rows: 4, Cols: 4, Height: 28, Width: 28, Images: r.Samples}
		if grid.Images == nil {
			grid.Images = make([][]float32, 16)
		}
		if r.Metrics != nil {
			grid.Title = s.summary(r)
		}
		gp, err := grid.Plot()
		if err != nil {
			return nil, err
		}
		curves, samples = append(curves, cp), append(samples, gp)
	}
	shareY(curves, legend)
	fig := &chart.Figure{Title: fmt.Sprintf("%s sweep: %s", strings.ToUpper(s.Model), s.paramNames()),
		Panels: [][]*plot.Plot{curves, samples}}
	return fig.Size(3.4*float64(len(s.Runs))+0.6, 7.2), nil
}

// summary is a run's key numbers, above its samples.
func (s *Sweep) summary(r SweepRun) string {
	if s.Model == "gan" {
		return fmt.Sprintf("FID %.1f, P %.2f, R %.2f", r.Metrics["mnist_fid"], r.Metrics["precision"], r.Metrics["recall"])
	}
	return fmt.Sprintf("ELBO %.1f, NLL %.1f", r.Metrics["test_elbo_nats"], r.Metrics["test_nll_iw_nats"])
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
		name += "-" + strings.ToLower(p.Name)
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
// compare at a glance.
func shareY(plots []*plot.Plot, legend bool) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range plots {
		if p.Y.Min < p.Y.Max {
			lo, hi = min(lo, p.Y.Min), max(hi, p.Y.Max)
		}
	}
	if legend { // a strip above the curves for the legend, which goes top right.
		hi += 0.22 * (hi - lo)
	}
	for _, p := range plots {
		if p.Y.Min < p.Y.Max {
			p.Y.Min, p.Y.Max = lo, hi
		}
	}
}
