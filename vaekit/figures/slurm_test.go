package figures

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/internal/slurmtest"
	"github.com/vaekit/vaekit/vaekit/experiments"
	"github.com/vaekit/vaekit/vaekit/slurm"
)

// TestSweepVAEOnSlurm sweeps as a notebook's cell does with
// opts.WithSlurm: each run trains as a task of a one-node Slurm (running a
// vaekit command built from this module) and is measured here once it is
// finished. A base the tasks cannot reproduce is refused before anything is
// submitted.
func TestSweepVAEOnSlurm(t *testing.T) {
	setData(t) // relative: made absolute for the tasks.
	params, err := ParseSweep([]string{"kl_weight=0.25,4", "Epochs=2", "TrainSize=3000"})
	if err != nil {
		t.Fatal(err)
	}
	models := t.TempDir()
	opts := experiments.Options{Quick: true, Models: models}.WithSlurm(slurm.Options{})
	ctx := context.Background()

	changed := experiments.DefaultVAEExperiment(true, 0)
	changed.Latent = 3
	if _, err := MeasureSweepVAE(ctx, changed, params, opts); err == nil || !strings.Contains(err.Error(), "sweep a changed hyperparameter as a parameter") {
		t.Errorf("a sweep whose base the tasks cannot reproduce (latent 3): %v, want it refused, saying what to do", err)
	}

	cluster := slurmtest.Start(t)
	t.Setenv("SLURM_CONF", cluster.Conf)
	s, err := MeasureSweepVAE(ctx, experiments.DefaultVAEExperiment(true, 0), params, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range s.Runs {
		if r.Metrics["test_elbo_nats"] == 0 || len(r.Samples) != 16 {
			t.Errorf("run %d was not measured: %v, %d samples", i, r.Metrics, len(r.Samples))
		}
	}
	logs, _ := filepath.Glob(filepath.Join(models, "slurm", "*", "*", "task-*.log"))
	if len(logs) != 2 {
		t.Fatalf("task logs %v, want one for each of the 2 runs", logs)
	}
	for _, l := range logs {
		if raw, _ := os.ReadFile(l); !strings.Contains(string(raw), "[step=") {
			t.Errorf("%s: the task did not train its run:\n%s", l, raw)
		}
	}
}
