package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
)

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		status int
		says   string
	}{
		{nil, 2, "Usage"},
		{[]string{"paint"}, 2, `unknown command "paint"`},
		{[]string{"figures", "--bogus"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"figures", "--seed", "x"}, 2, "invalid value"},
		{[]string{"figures"}, 2, "name at least one figure"},
		{[]string{"figures", "--quick", "vae-manifold", "no-such-figure"}, 2, "unknown figure no-such-figure; known: "},
		{[]string{"figures", "--list"}, 0, ""},
		{[]string{"bench", "resnet"}, 2, `unknown model "resnet"`},
		{[]string{"bench", "--steps"}, 2, "flag needs an argument"},
		{[]string{"--help"}, 0, "Usage"},
		{[]string{"score"}, 2, "name at least one folder of images"},
		{[]string{"figures", "--dataset", "no-such-folder", "vae-manifold"}, 2, "--dataset: stat no-such-folder: no such file"},
		{[]string{"figures", "--quick", "--out", "main_test.go", "vae-manifold"}, 2, "--out main_test.go: is a file"},
		{[]string{"sweep", "--quick", "vae"}, 2, "usage: vaekit sweep"},
		{[]string{"sweep", "--quick", "resnet", "Depth=1,2"}, 2, "usage: vaekit sweep"},
		{[]string{"sweep", "--quick", "vae", "KLWeight"}, 2, "want NAME=V1,V2"},
		{[]string{"sweep", "--quick", "--models", t.TempDir(), "vae", "Beta=1,2"}, 1, `no field "Beta"`},
		{[]string{"sweep", "--quick", "--seeds", "0", "vae", "KLWeight=1,2"}, 2, "--seeds 0: want 1 or more"},
		{[]string{"sweep", "--quick", "--seeds", "11", "--models", t.TempDir(), "vae", "KLWeight=1,2"}, 1, "over 11 seeds: at most 10"},
		{[]string{"runs", "compare", "a"}, 2, "usage: vaekit runs"},
		{[]string{"runs", "--models", t.TempDir(), "compare", "a", "b"}, 1, "a: no run record in"},
	} {
		var stdout, stderr bytes.Buffer
		status := run(tc.args, &stdout, &stderr)
		if status != tc.status || !strings.Contains(stderr.String(), tc.says) {
			t.Errorf("vaekit %v: status %d, stderr %q; want %d and %q", tc.args, status, stderr.String(), tc.status, tc.says)
		}
	}
	var stdout, stderr bytes.Buffer
	run([]string{"figures", "--list"}, &stdout, &stderr)
	for _, name := range []string{"vae-latent-scatter", "vae-manifold", "vae-training-curves"} {
		if !strings.Contains(stdout.String(), name) {
			t.Errorf("figures --list does not list %s:\n%s", name, stdout.String())
		}
	}
}

// TestInterrupts sends the command's own process SIGINT: the first one
// cancels the context (training stops after its step), the second exits
// with 130 at once.
func TestInterrupts(t *testing.T) {
	if os.Getenv("VAEKIT_TEST_INTERRUPT_CHILD") == "1" {
		var stderr bytes.Buffer
		ctx, stop := interruptContext(&stderr, os.Exit)
		defer stop()
		syscall.Kill(os.Getpid(), syscall.SIGINT)
		<-ctx.Done() // the first interrupt cancels...
		os.Stdout.WriteString("cancelled\n")
		syscall.Kill(os.Getpid(), syscall.SIGINT)
		select {} // ...and the second exits, or the test times out.
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestInterrupts$", "-test.count=1")
	cmd.Env = append(os.Environ(), "VAEKIT_TEST_INTERRUPT_CHILD=1")
	out, err := cmd.CombinedOutput()
	exit, ok := err.(*exec.ExitError)
	if !ok || exit.ExitCode() != exitInterrupted || !strings.Contains(string(out), "cancelled") {
		t.Errorf("child: %v (exit %v), output %q; want exit %d after the context was cancelled", err, exit, out, exitInterrupted)
	}
}

// TestFigureOnDevices makes a quick figure, ae-vs-pca-recon, trained on one
// and on two of XLA CPU's virtual devices, each in its own process (a
// backend's devices are fixed when it is made): the same seed and global
// batches must give the same reconstruction error within noise (seeds 0, 1
// and 2 give 11.45, 12.19 and 11.89 on one device: 3 % is well inside that).
func TestFigureOnDevices(t *testing.T) {
	if args := os.Getenv("VAEKIT_TEST_DEVICES_ARGS"); args != "" {
		os.Exit(run(strings.Fields(args), os.Stdout, os.Stderr))
	}
	if b, err := vaekit.Backend(); err != nil || !strings.HasPrefix(vaekit.BackendName(b), "xla:cpu") {
		t.Skipf("several devices are tested on XLA's CPU plugin; the backend here is %v (%v)", b, err)
	}
	if os.Getenv(datasets.DataEnv) == "" {
		t.Setenv(datasets.DataEnv, filepath.Join("..", "..", "..", "..", "shared", "datasets"))
	}
	mse := map[int]float64{}
	for _, n := range []int{1, 2} {
		out := t.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run=^TestFigureOnDevices$", "-test.count=1")
		cmd.Env = append(os.Environ(), fmt.Sprintf("VAEKIT_TEST_DEVICES_ARGS=figures --quick --devices %d --out %s --models %s ae-vs-pca-recon",
			n, out, t.TempDir()))
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%d device(s): %v\n%s", n, err, msg)
		}
		var rec struct {
			Metrics struct {
				MSE float64 `json:"mse_per_image_ae"`
			}
		}
		raw, err := os.ReadFile(filepath.Join(out, "ae-vs-pca-recon.json"))
		if err == nil {
			err = json.Unmarshal(raw, &rec)
		}
		if err != nil || rec.Metrics.MSE <= 0 {
			t.Fatalf("%d device(s): ae-vs-pca-recon.json: %v (%s)", n, err, raw)
		}
		mse[n] = rec.Metrics.MSE
	}
	t.Logf("quick ae-vs-pca-recon, AE mse per image: 1 device %.4f, 2 devices %.4f", mse[1], mse[2])
	if math.Abs(mse[2]-mse[1]) > 0.03*mse[1] {
		t.Errorf("trained over 2 devices the AE's mse per image is %.4f, over one %.4f: more than 3%% apart", mse[2], mse[1])
	}
}

// TestSweepAndRuns sweeps a small GAN's discriminator steps from the command
// line, then lists the runs and compares the two.
func TestSweepAndRuns(t *testing.T) {
	if os.Getenv(datasets.DataEnv) == "" {
		t.Setenv(datasets.DataEnv, filepath.Join("..", "..", "..", "..", "shared", "datasets"))
	}
	models, out := os.Getenv("VAEKIT_MODELS"), t.TempDir()
	if models == "" {
		models = t.TempDir()
	}
	var stdout, stderr bytes.Buffer
	if status := run([]string{"sweep", "--quick", "--models", models, "--out", out, "gan", "DSteps=1,2", "TrainSize=2000"}, &stdout, &stderr); status != 0 {
		t.Fatalf("vaekit sweep: status %d\n%s", status, stderr.String())
	}
	t.Logf("vaekit sweep:\n%s", stdout.String())
	raw, err := os.ReadFile(filepath.Join(out, "sweep-gan-dsteps-trainsize.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Metrics struct {
			Runs []struct {
				Setting map[string]string
				Metrics map[string]float64
				Run     string
			}
			Reading string
		}
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.Metrics.Runs) != 2 || rec.Metrics.Runs[1].Setting["DSteps"] != "2" || rec.Metrics.Reading == "" {
		t.Fatalf("the sweep's JSON: %+v", rec.Metrics)
	}
	for _, r := range rec.Metrics.Runs {
		for _, key := range []string{"mnist_fid", "kid", "precision", "recall"} {
			if _, ok := r.Metrics[key]; !ok {
				t.Errorf("run %v has no %s: %v", r.Setting, key, r.Metrics)
			}
		}
		if _, err := os.Stat(filepath.Join(models, r.Run, "run.json")); err != nil {
			t.Errorf("run %v names %q, which has no record: %v", r.Setting, r.Run, err)
		}
	}
	for _, ext := range []string{"png", "svg", "pdf"} {
		if _, err := os.Stat(filepath.Join(out, "sweep-gan-dsteps-trainsize."+ext)); err != nil {
			t.Error(err)
		}
	}

	stdout.Reset()
	if status := run([]string{"runs", "--models", models, "--json"}, &stdout, &stderr); status != 0 {
		t.Fatalf("vaekit runs: status %d\n%s", status, stderr.String())
	}
	listed := 0
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var r struct {
			Dir, Kind string
			Step      int
			Backend   string
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("a line of vaekit runs --json: %q: %v", line, err)
		}
		for _, sr := range rec.Metrics.Runs {
			if filepath.Base(r.Dir) == sr.Run && r.Kind == "gan" && r.Step > 0 && r.Backend != "" {
				listed++
			}
		}
	}
	if listed != 2 {
		t.Errorf("vaekit runs --json lists %d of the sweep's 2 runs with their records:\n%s", listed, stdout.String())
	}
	stdout.Reset()
	if status := run([]string{"runs", "--models", models, "compare", rec.Metrics.Runs[0].Run, rec.Metrics.Runs[1].Run}, &stdout, &stderr); status != 0 ||
		!strings.Contains(stdout.String(), "key.Hyper.d_steps: 1 → 2") {
		t.Errorf("vaekit runs compare: status %d, output %q (stderr %q), want the d_steps line", status, stdout.String(), stderr.String())
	}
}
