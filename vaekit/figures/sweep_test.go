package figures

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/experiments"
)

// TestSweepVAE sweeps the KL weight of a small VAE: a larger weight must
// buy a smaller KL with a worse reconstruction, and the figure, table and
// reading must say which run is which.
func TestSweepVAE(t *testing.T) {
	setData(t)
	opts := experiments.Options{Quick: true, Models: os.Getenv(vaekit.ModelsEnv)}
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
