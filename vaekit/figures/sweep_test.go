package figures

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/experiments"
	"github.com/vaekit/vaekit/vaekit/verdict"
)

// TestSweepVAE sweeps the KL weight of a small VAE: a larger weight must
// buy a smaller KL with a worse reconstruction, and the figure, table and
// reading must say which run is which.
func TestSweepVAE(t *testing.T) {
	s := klSweep(t, 1)
	if len(s.Runs) != 2 {
		t.Fatalf("%d runs, want 2", len(s.Runs))
	}
	low, high := s.Runs[0], s.Runs[1]
	for i, want := range []float64{0.25, 4} {
		exp := s.Runs[i].Hyperparameters.(experiments.VAEExperiment)
		if exp.KLWeight != want || exp.Epochs != 2 || exp.TrainSize != 3000 || exp.Latent != 2 {
			t.Errorf("run %d trained %+v, want KLWeight %g, 2 epochs, 3000 images, the base's latent size", i, exp, want)
		}
		if len(s.Runs[i].Curves) != 1 || len(s.Runs[i].Curves[0].X) != 2 || len(s.Runs[i].Samples) != 16 {
			t.Errorf("run %d: curves %+v and %d samples, want the test ELBO of 2 epochs and 16 samples", i, s.Runs[i].Curves, len(s.Runs[i].Samples))
		}
	}
	t.Logf("KL weight 0.25: %v; 4: %v", low.Metrics, high.Metrics)
	if !(high.Metrics["test_kl_nats"] < low.Metrics["test_kl_nats"] && high.Metrics["test_recon_nats"] > low.Metrics["test_recon_nats"]) {
		t.Errorf("KL weight 4 against 0.25: KL %.2f vs %.2f, reconstruction %.2f vs %.2f; want a smaller KL and a worse reconstruction",
			high.Metrics["test_kl_nats"], low.Metrics["test_kl_nats"], high.Metrics["test_recon_nats"], low.Metrics["test_recon_nats"])
	}
	res, err := s.Draw()
	if err != nil {
		t.Fatal(err)
	}
	table, reading := res.Metrics["table"].(string), res.Metrics["reading"].(string)
	t.Logf("table:\n%sreading: %s", table, reading)
	if !strings.HasPrefix(table, "kl_weight\tEpochs\tTrainSize\ttest_elbo_nats") || strings.Count(table, "\n") != 3 ||
		!strings.Contains(reading, "best test_kl_nats at kl_weight=4 (") {
		t.Errorf("table %q or reading %q does not name the runs", table, reading)
	}
	if len(res.Figure.Panels) != 2 || len(res.Figure.Panels[0]) != 2 {
		t.Errorf("the figure has %d rows, want curves above samples, a column per run", len(res.Figure.Panels))
	}
}

// TestSweepErrors checks what a sweep refuses, before anything trains.
func TestSweepErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"KLWeight"}, "want NAME=V1,V2"},
		{[]string{"KLWeight=1,,2"}, "an empty value"},
		{nil, "at least one"},
	} {
		if _, err := ParseSweep(c.args); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseSweep(%q): %v, want an error saying %q", c.args, err, c.want)
		}
	}
	opts := experiments.Options{Quick: true, Models: t.TempDir()}
	for _, c := range []struct {
		params []SweepParam
		want   string
	}{
		{[]SweepParam{{"Beta", []string{"1"}}}, `no field "Beta"; it has Hidden, Latent, KLWeight`},
		{[]SweepParam{{"Latent", []string{"two"}}}, "Latent=two: want int"},
		{[]SweepParam{{"Hidden", []string{"256/x"}}}, "Hidden=256/x: want []int"},
		{[]SweepParam{{"Latent", []string{"1", "2", "3"}}, {"KLWeight", []string{"1", "2", "3"}}}, "a sweep of 9 runs: at most 8"},
	} {
		if _, err := MeasureSweepVAE(context.Background(), experiments.DefaultVAEExperiment(true, 0), c.params, opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("sweep %+v: %v, want an error saying %q", c.params, err, c.want)
		}
	}
	exp := experiments.DefaultVAEExperiment(true, 0)
	if err := setField(&exp, "hidden", "128/64"); err != nil || len(exp.Hidden) != 2 || exp.Hidden[1] != 64 {
		t.Errorf("Hidden=128/64: %v, %v", err, exp.Hidden)
	}
	if err := setField(&exp, "optimizer", "adam"); err != nil || exp.Optimizer != "adam" {
		t.Errorf("optimizer=adam (a field of the embedded TrainConfig, by its JSON name): %v, %q", err, exp.Optimizer)
	}
}

// TestSweepSeeds sweeps the KL weight over two seeds (the first seed's runs
// are TestSweepVAE's): a setting a table line with mean ± sd, the seeds'
// values kept, both seeds' curves in its column, and the rule's verdicts,
// which must find the KL weight's large effect on the KL term.
func TestSweepSeeds(t *testing.T) {
	s := klSweep(t, 2)
	if len(s.Runs) != 4 || s.arms() != 2 || strings.Join(s.Seeds, ",") != "0,1" {
		t.Fatalf("%d runs in %d settings over seeds %v, want 2 settings × seeds 0,1", len(s.Runs), s.arms(), s.Seeds)
	}
	for i, r := range s.Runs {
		if exp := r.Hyperparameters.(experiments.VAEExperiment); exp.Seed != int64(i%2) {
			t.Errorf("run %d trained with seed %d, want %d", i, exp.Seed, i%2)
		}
	}
	if s.Runs[0].Metrics["test_elbo_nats"] == s.Runs[1].Metrics["test_elbo_nats"] {
		t.Errorf("seeds 0 and 1 gave the same ELBO %g: the seed did not change the run", s.Runs[0].Metrics["test_elbo_nats"])
	}
	res, err := s.Draw()
	if err != nil {
		t.Fatal(err)
	}
	table, reading := res.Metrics["table"].(string), res.Metrics["reading"].(string)
	t.Logf("table:\n%sreading: %s", table, reading)
	if strings.Count(table, "\n") != 3 || strings.Count(table, "±") != 8 || !strings.Contains(table, "\t0,1\n") {
		t.Errorf("table %q: want a line a setting, each metric mean ± sd, the seeds named", table)
	}
	var kl *verdict.Verdict
	for _, v := range s.Verdicts() {
		if v.Metric == "test_kl_nats" {
			kl = &v
		}
	}
	if kl == nil || kl.Better != "kl_weight=4" || !strings.Contains(reading, kl.Text) {
		t.Errorf("the KL term's verdict %+v (in the reading %q), want kl_weight=4 lower beyond seed spread", kl, reading)
	}
	stats := res.Metrics["settings"].([]map[string]any)[1]["metrics"].(map[string]verdict.Stats)["test_kl_nats"]
	if len(stats.PerSeed) != 2 || stats.PerSeed[1] != s.Runs[3].Metrics["test_kl_nats"] {
		t.Errorf("kl_weight=4's KL per seed %v, want runs 3 and 4's", stats.PerSeed)
	}
	if len(res.Figure.Panels[0]) != 2 {
		t.Errorf("the figure has %d columns, want one a setting (its seeds' curves together)", len(res.Figure.Panels[0]))
	}
}

// klSweep is the quick KL-weight sweep of these tests (0.25 and 4, 2 epochs
// on 3,000 digits) over seeds, the models kept in $VAEKIT_MODELS.
func klSweep(t *testing.T, seeds int) *Sweep {
	setData(t)
	opts := experiments.Options{Quick: true, Models: os.Getenv(vaekit.ModelsEnv), Seeds: seeds}
	if opts.Models == "" {
		opts.Models = t.TempDir()
	}
	params, err := ParseSweep([]string{"kl_weight=0.25,4", "Epochs=2", "TrainSize=3000"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := MeasureSweepVAE(context.Background(), experiments.DefaultVAEExperiment(true, 0), params, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
