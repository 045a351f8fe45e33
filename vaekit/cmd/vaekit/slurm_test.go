package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vaekit/vaekit/internal/slurmtest"
	"github.com/vaekit/vaekit/vaekit/slurm"
)

// TestSweepOnSlurm runs a quick two-setting sweep through a one-node Slurm
// brought up for the test, as a user would: submitted detached, one task
// cancelled mid-training (after its first progress line), then the same
// command again, which must submit that run alone, resume it from its
// checkpoint, follow it and draw the figure the local sweep draws from the
// same runs.
func TestSweepOnSlurm(t *testing.T) {
	cluster := slurmtest.Start(t)
	t.Setenv("SLURM_CONF", cluster.Conf) // for the commands, and for this test's own squeue and scancel.
	scoreData(t)
	exe := buildVaekit(t)
	models, out := t.TempDir(), t.TempDir()
	// A progress line in a task's log every second: the test cancels task 1
	// once it has trained a second (of about 20 s here; task 0 takes 2 s).
	t.Setenv("VAEKIT_PROGRESS_EVERY", "1s")
	sweep := []string{"sweep", "--slurm", "--quick", "--models", models, "--out", out, "vae", "Epochs=5,60", "TrainSize=4000"}
	vaekitRun := func(args ...string) (string, string) { t.Helper(); return runVaekit(t, exe, args...) }

	_, stderr := vaekitRun(append([]string{"sweep", "--detach"}, sweep[1:]...)...)
	t.Logf("submitted:\n%s", stderr)
	m := regexp.MustCompile(`submitted job (\d+), 2 task\(s\) of 2 runs; logs in (\S+)`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("the first command did not say it submitted both runs as one job:\n%s", stderr)
	}
	job := &slurm.Job{ID: m[1], Dir: m[2]}
	// The overhead of a task, for docs/cluster.md: from sbatch's return to the
	// task's log (opened by slurmd as it launches the task) and to the task's
	// first line (vaekit started, its backend loaded).
	returned := time.Now()
	var opened time.Duration
	for deadline := returned.Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		raw, err := os.ReadFile(job.Log(0))
		if err == nil && opened == 0 {
			opened = time.Since(returned)
		}
		if bytes.Contains(raw, []byte("vaekit: backend")) {
			t.Logf("task 0: log opened %.2f s and vaekit's first line %.2f s after the submitting command returned", opened.Seconds(), time.Since(returned).Seconds())
			break
		}
	}
	if _, again := vaekitRun(append([]string{"sweep", "--detach"}, sweep[1:]...)...); !strings.Contains(again, "still has") || strings.Contains(again, "submitted job") {
		t.Errorf("run again while its tasks are queued or running, the command did not follow the job it submitted:\n%s", again)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	waitFor(t, ctx, "task 1's first progress line", func() bool {
		raw, _ := os.ReadFile(job.Log(1))
		return bytes.Contains(raw, []byte("[step="))
	})
	if err := job.Cancel(ctx, 1); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, "the job to leave the queue", func() bool {
		states, err := job.States(ctx)
		return err == nil && len(states) == 0
	})
	if tail := slurm.Tail(job.Log(1), 5); !strings.Contains(tail, "interrupted") {
		t.Errorf("the cancelled task did not stop as on Ctrl-C (a checkpoint saved); its log ends:\n%s", tail)
	}

	stdout, stderr := vaekitRun(sweep...)
	t.Logf("run again:\n%s", stderr)
	m = regexp.MustCompile(`submitted job (\d+), 1 task\(s\) of 2 runs; logs in (\S+)`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("run again, the command did not submit the cancelled run alone:\n%s", stderr)
	}
	if !strings.Contains(stderr, "run Epochs=5 TrainSize=4000 finished") {
		t.Errorf("the run that finished is not said to be finished:\n%s", stderr)
	}
	again := &slurm.Job{ID: m[1], Dir: m[2]}
	if log, _ := os.ReadFile(again.Log(0)); !bytes.Contains(log, []byte("resuming")) {
		t.Errorf("the cancelled run was not resumed from its checkpoint; its task's log:\n%s", log)
	}

	local, _ := vaekitRun(append([]string{"sweep"}, sweep[2:]...)...)
	if strip(local) != strip(stdout) {
		t.Errorf("the figure drawn after Slurm differs from the local sweep's:\nSlurm:\n%s\nlocal:\n%s", stdout, local)
	}
}

// strip drops the line naming the files written (it names --out).
func strip(stdout string) string {
	var keep []string
	for _, l := range strings.Split(stdout, "\n") {
		if !strings.Contains(l, ": wrote ") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// waitFor polls done until it holds, failing the test when ctx ends first.
func waitFor(t *testing.T, ctx context.Context, what string, done func() bool) {
	t.Helper()
	for !done() {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, context.Cause(ctx))
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// TestFiguresOnSlurm makes a quick comparison figure at two seeds through a
// one-node Slurm, as a user would: one task per seed trains that seed's runs,
// then the command draws the figure with both seeds and the rule's verdict
// here, training nothing itself; run again, it submits nothing.
func TestFiguresOnSlurm(t *testing.T) {
	cluster := slurmtest.Start(t)
	t.Setenv("SLURM_CONF", cluster.Conf)
	scoreData(t) // relative: the command makes it absolute for its tasks.
	exe := buildVaekit(t)
	models, out := t.TempDir(), t.TempDir()
	args := []string{"figures", "--slurm", "--quick", "--seeds", "2", "--models", models, "--out", out, "ae-vs-pca-recon"}
	vaekitRun := func() (string, string) { t.Helper(); return runVaekit(t, exe, args...) }

	stdout, stderr := vaekitRun()
	t.Logf("first run:\n%s%s", stderr, stdout)
	if !regexp.MustCompile(`submitted job \d+, 2 task\(s\) of 2 runs`).MatchString(stderr) {
		t.Errorf("the command did not submit the figure's two seeds as two tasks of one job:\n%s", stderr)
	}
	if strings.Contains(stderr, "[step=") {
		t.Errorf("the draw after Slurm trained here instead of reusing the tasks' runs:\n%s", stderr)
	}
	if !strings.Contains(stdout, "ae-vs-pca-recon: mse_per_image: PCA") {
		t.Errorf("no verdict on the figure's comparison over the two seeds:\n%s", stdout)
	}
	raw, err := os.ReadFile(filepath.Join(out, "ae-vs-pca-recon.json"))
	if err != nil {
		t.Fatal(err)
	}
	var fig struct {
		Metrics struct {
			PerSeed map[string][]float64 `json:"per_seed"`
		} `json:"metrics"`
	}
	if err := json.Unmarshal(raw, &fig); err != nil {
		t.Fatal(err)
	}
	if got := fig.Metrics.PerSeed["mse_per_image_ae"]; len(got) != 2 || got[0] == got[1] {
		t.Errorf("per_seed of the AE's error: %v, want two seeds' values, not one repeated", got)
	}

	_, stderr = vaekitRun()
	if !strings.Contains(stderr, "all 2 runs finished") || strings.Contains(stderr, "submitted job") {
		t.Errorf("run again, the command did not draw from the finished runs without submitting:\n%s", stderr)
	}
}

// buildVaekit builds the command into a temporary directory: the Slurm tasks
// run a copy of the very executable that submitted them.
func buildVaekit(t *testing.T) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "vaekit")
	if out, err := exec.Command("go", "build", "-o", exe, ".").CombinedOutput(); err != nil {
		t.Fatalf("building vaekit: %v\n%s", err, out)
	}
	return exe
}

// runVaekit runs exe with args, failing the test if it fails; its standard
// output and error.
func runVaekit(t *testing.T, exe string, args ...string) (string, string) {
	t.Helper()
	cmd := exec.Command(exe, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("vaekit %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), stderr.String()
}
