package figures

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/chart"
	"github.com/vaekit/vaekit/vaekit/experiments"
	"github.com/vaekit/vaekit/vaekit/verdict"
)

// TestFigureSeeds makes ae-vs-pca-recon quick with two seeds (the first's
// models are TestQuickFigures'): the JSON keeps both seeds' numbers, the
// comparisons' verdicts by the rule (the AE against PCA and against
// logistic PCA), and the figure a row of per-seed strips under the first
// seed's, still fit for an A4 page.
func TestFigureSeeds(t *testing.T) {
	setData(t)
	out := t.TempDir()
	opts := experiments.Options{Quick: true, Out: out, Models: os.Getenv(vaekit.ModelsEnv), Seeds: 2, Seed: 0}
	if opts.Models == "" {
		opts.Models = t.TempDir()
	}
	rec, res, err := Run(context.Background(), "ae-vs-pca-recon", opts)
	if err != nil {
		t.Fatal(err)
	}
	perSeed := res.Metrics["per_seed"].(map[string][]float64)
	ae := perSeed["mse_per_image_ae"]
	if len(ae) != 2 || ae[0] != res.Metrics["mse_per_image_ae"] || ae[0] == ae[1] {
		t.Errorf("the AE's mse per seed %v: want two seeds' own values, the first the figure's %v", ae, res.Metrics["mse_per_image_ae"])
	}
	verdicts := res.Metrics["verdict"].([]verdict.Verdict)
	if len(verdicts) != 2 {
		t.Errorf("verdicts %+v: want the AE judged against PCA and against logistic PCA", verdicts)
	}
	for _, v := range verdicts {
		if v.Order == verdict.Unknown || v.B != "deep AE" || !strings.Contains(res.Metrics["seeds_reading"].(string), v.Text) {
			t.Errorf("verdict %+v, reading %q: want the deep AE judged over 2 seeds and the reading to say so", v, res.Metrics["seeds_reading"])
		}
	}
	t.Logf("%s", res.Metrics["seeds_reading"])
	if tm := rec.Time; tm == nil || tm.Measuring < 0 || tm.Training > rec.WallSeconds {
		t.Errorf("time %+v of wall %g s: the seeds train at once, and their overlap counts once", tm, rec.WallSeconds)
	}
	if rows := len(res.Figure.Panels); rows != 2 || !strings.Contains(res.Figure.Title, "2 seeds") {
		t.Errorf("the figure has %d rows titled %q, want the seeds' strips in a second", rows, res.Figure.Title)
	}
	svg, err := os.ReadFile(filepath.Join(out, rec.Name+".svg"))
	if err != nil {
		t.Fatal(err)
	}
	if err := chart.CheckPrint(svg); err != nil {
		t.Error(err)
	}
	if !strings.Contains(string(svg), ">deep AE<") {
		t.Errorf("the strips do not name the arms")
	}
}

// TestSeededUnknownFigure: a notebook's Seeded names a figure of the
// catalogue (its comparisons come from there); another name is an error
// that lists the figures, before anything trains.
func TestSeededUnknownFigure(t *testing.T) {
	made := false
	_, err := Seeded(context.Background(), "ae-vs-pca", experiments.Options{Seeds: 3}, func(context.Context, experiments.Options) (*Result, error) {
		made = true
		return nil, nil
	})
	if err == nil || made || !strings.Contains(err.Error(), `unknown figure "ae-vs-pca"`) || !strings.Contains(err.Error(), "ae-vs-pca-recon") {
		t.Errorf("Seeded with an unknown name: err %v, made %v; want an error naming the known figures, nothing made", err, made)
	}
}

// TestSeedsStopAtFirstError: a figure's seeds are made at the same time
// (vaekit.SeedsAtOnce); one that fails stops the others, and its error is
// the figure's, naming the seed.
func TestSeedsStopAtFirstError(t *testing.T) {
	t.Setenv(vaekit.SeedsAtOnceEnv, "2")
	stopped := make(chan error, 1)
	_, err := Seeded(context.Background(), "ae-vs-pca-recon", experiments.Options{Seeds: 2, Seed: 7}, func(ctx context.Context, o experiments.Options) (*Result, error) {
		if o.Seed == 8 {
			return nil, errors.New("no space left on device")
		}
		<-ctx.Done() // seed 7 runs until stopped: the test ends only if it is.
		stopped <- ctx.Err()
		return nil, ctx.Err()
	})
	if err == nil || !strings.Contains(err.Error(), "seed 8: no space left on device") {
		t.Errorf("err %v: want seed 8's error", err)
	}
	if e := <-stopped; !errors.Is(e, context.Canceled) {
		t.Errorf("seed 7 ended with %v: want it stopped", e)
	}
}

// TestSeedsAtOnceBadValue: a bad $VAEKIT_SEEDS_AT_ONCE is an error naming
// it, before anything trains.
func TestSeedsAtOnceBadValue(t *testing.T) {
	t.Setenv(vaekit.SeedsAtOnceEnv, "two")
	made := false
	_, err := Seeded(context.Background(), "ae-vs-pca-recon", experiments.Options{Seeds: 2}, func(context.Context, experiments.Options) (*Result, error) {
		made = true
		return nil, errors.New("made")
	})
	if err == nil || made || !strings.Contains(err.Error(), "VAEKIT_SEEDS_AT_ONCE") {
		t.Errorf("err %v, made %v: want an error naming $VAEKIT_SEEDS_AT_ONCE, nothing made", err, made)
	}
}

// TestFigureTime: a figure's seconds split into training, measuring and
// drawing, which add up to its wall time; made again from its kept models,
// it spends none in training.
func TestFigureTime(t *testing.T) {
	setData(t)
	opts := experiments.Options{Quick: true, Out: t.TempDir(), Models: t.TempDir()}
	var took []Timing
	for range 2 {
		rec, _, err := Run(context.Background(), "ae-vs-pca-recon", opts)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Time == nil {
			t.Fatal("no time in the record")
		}
		tm := *rec.Time
		if tm.Measuring < 0 || tm.Drawing <= 0 || math.Abs(tm.Training+tm.Measuring+tm.Drawing-rec.WallSeconds) > 1e-9 {
			t.Errorf("time %+v does not split wall time %g", tm, rec.WallSeconds)
		}
		took = append(took, tm)
	}
	if took[0].Training <= 0 || took[1].Training != 0 {
		t.Errorf("training seconds %g, then from kept models %g: want some, then none", took[0].Training, took[1].Training)
	}
}
