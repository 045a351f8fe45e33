package vaekit

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"unsafe"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// ballastAE is tinyAE with a large unused variable, so that writing a
// checkpoint takes long enough to be killed in the middle of it.
func ballastAE(scope *model.Scope, x *Node) *Node {
	scope.VariableWithShape("ballast", shapes.Make(x.DType(), 2048, 2048)).NodeValue(x.Graph())
	return tinyAE(scope, x)
}

func newBallastFit(t *testing.T, data *Data, dir string) *Fit {
	store := model.NewStore()
	SetSeed(store, 42)
	trainer := train.NewTrainer(MustBackend(), store, ballastAE, nil, optimizer.Adam().LearningRate(1e-3).Done(), nil, nil)
	return &Fit{Trainer: trainer, Data: data, BatchSize: 50, Epochs: 3, Seed: 7, Dir: dir, SaveEvery: 1} // every step.
}

const killDirEnv = "VAEKIT_TEST_KILL_DIR"

// TestCheckpointKilledDuringSave kills a training process (SIGKILL) while
// it writes its second checkpoint; a rerun must set the partial checkpoint
// aside and resume from the first.
func TestCheckpointKilledDuringSave(t *testing.T) {
	data := ImageData(mnistTest(t, 500)) // 10 steps per epoch; a checkpoint after every step.
	if dir := os.Getenv(killDirEnv); dir != "" {
		killOnSecondCheckpoint(t, dir)
		newBallastFit(t, data, dir).Run(context.Background())
		t.Fatal("the process was not killed during its second save")
	}
	testBackend(t)
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCheckpointKilledDuringSave$", "-test.count=1")
	cmd.Env = append(os.Environ(), killDirEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child: %v, want killed by SIGKILL\n%s", err, out)
	}
	partial := false
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && strings.HasSuffix(e.Name(), ".json") && fi.Size() == 0 && strings.HasPrefix(e.Name(), "checkpoint-") {
			partial = true
		}
	}
	if !partial {
		t.Fatalf("no partial checkpoint left by the kill: %v", entries)
	}

	resumed := newBallastFit(t, data, dir)
	resumed.SaveEvery = 0 // the default: the rerun need not save every step.
	first := 0
	resumed.OnStep = func(step int, _ map[string]float64) {
		if first == 0 {
			first = step
		}
	}
	hist, err := resumed.Run(context.Background())
	if err != nil {
		t.Fatalf("rerun after the kill: %v", err)
	}
	if first != 2 || len(hist.Epochs) != 3 {
		t.Errorf("rerun started at step %d with %d epochs at the end, want step 2 (after the first checkpoint) and 3", first, len(hist.Epochs))
	}
	if aside, _ := os.ReadDir(filepath.Join(dir, damagedDir)); len(aside) == 0 {
		t.Errorf("the damaged checkpoint was not set aside in %s", damagedDir)
	}
}

// killOnSecondCheckpoint SIGKILLs this process as soon as the second
// checkpoint's metadata file is created: GoMLX creates it empty, writes the
// variables, and fills it last.
func killOnSecondCheckpoint(t *testing.T, dir string) {
	fd, err := syscall.InotifyInit1(0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := syscall.InotifyAddWatch(fd, dir, syscall.IN_CREATE); err != nil {
		t.Fatal(err)
	}
	go func() {
		seen := 0
		buf := make([]byte, 4096)
		for {
			n, err := syscall.Read(fd, buf)
			if err != nil {
				return
			}
			for off := 0; off < n; {
				ev := (*syscall.InotifyEvent)(unsafe.Pointer(&buf[off]))
				name := strings.TrimRight(string(buf[off+syscall.SizeofInotifyEvent:off+syscall.SizeofInotifyEvent+int(ev.Len)]), "\x00")
				off += syscall.SizeofInotifyEvent + int(ev.Len)
				if strings.HasPrefix(name, "checkpoint-") && strings.HasSuffix(name, ".json") {
					if seen++; seen == 2 {
						syscall.Kill(os.Getpid(), syscall.SIGKILL)
					}
				}
			}
		}
	}()
}

// TestCheckpointOnFullDisk saves (after every step) onto a filesystem too
// small for a second checkpoint: the run fails naming the save, leaves no
// partial file, and once there is room a rerun resumes from the first.
func TestCheckpointOnFullDisk(t *testing.T) {
	testBackend(t)
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=320k"); err != nil {
		t.Skipf("cannot mount a small tmpfs here (%v): the full-disk case needs root", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) }) // GoMLX keeps the failed file open.
	data := ImageData(mnistTest(t, 500))
	fit := newTinyFit(t, data, dir, 3)
	fit.SaveEvery = 1
	_, err := fit.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "saving a checkpoint at step 2 ") {
		t.Fatalf("run on a full disk: %v, want the failed save at step 2 named", err)
	}
	t.Logf("full disk: %v", err)
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if got := strings.Join(names, " "); strings.Count(got, "checkpoint-") != 3 || !strings.Contains(got, "step-00000001.ok") {
		t.Errorf("after the failed save the directory holds %v, want the step-1 checkpoint's three files only", names)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_REMOUNT, "size=16m"); err != nil {
		t.Fatal(err)
	}
	resumed := newTinyFit(t, data, dir, 3)
	var once sync.Once
	first := 0
	resumed.OnStep = func(step int, _ map[string]float64) { once.Do(func() { first = step }) }
	if _, err := resumed.Run(context.Background()); err != nil || first != 2 {
		t.Errorf("rerun with room: %v, first step %d, want 2", err, first)
	}
}

// TestOnlyCheckpointDamaged: a run killed while it saved its first
// checkpoint left nothing good; a rerun sets it aside, says so and trains
// from scratch (it once stopped, asking the user to remove the files).
func TestOnlyCheckpointDamaged(t *testing.T) {
	testBackend(t)
	dir := t.TempDir()
	names := []string{"checkpoint-n0000001-x-step-00000010.json", "checkpoint-n0000001-x-step-00000010.bin"}
	cutShort := func() {
		for _, name := range names {
			if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	cutShort()
	var said strings.Builder
	if err := (&checkpoints{dir: dir}).setAsideDamaged(&said); err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if _, err := os.Stat(filepath.Join(dir, damagedDir, name)); err != nil {
			t.Errorf("%s not set aside: %v", name, err)
		}
	}
	if !strings.Contains(said.String(), "training from scratch") {
		t.Errorf("said %q, want it to say it trains from scratch", said.String())
	}

	cutShort()
	fit := newTinyFit(t, ImageData(mnistTest(t, 100)), dir, 1)
	first := -1
	fit.OnStep = func(step int, _ map[string]float64) {
		if first < 0 {
			first = step
		}
	}
	if _, err := fit.Run(context.Background()); err != nil {
		t.Fatalf("rerun after a first save cut short: %v", err)
	}
	if first != 1 {
		t.Errorf("first step %d, want 1 (from scratch)", first)
	}
}

// TestTwoRunsOneDirectory runs the same training twice at once on one
// directory: the second waits for the first and reuses its result.
func TestTwoRunsOneDirectory(t *testing.T) {
	testBackend(t)
	data := ImageData(mnistTest(t, 500))
	dir := t.TempDir()
	first := newTinyFit(t, data, dir, 2)
	second := newTinyFit(t, data, dir, 2)
	started := make(chan struct{})
	var startOnce sync.Once
	first.OnStep = func(int, map[string]float64) { startOnce.Do(func() { close(started) }) }
	trainedBySecond := 0
	second.OnStep = func(int, map[string]float64) { trainedBySecond++ }
	errs := make(chan error, 1)
	go func() { _, err := first.Run(context.Background()); errs <- err }()
	<-started // the first run holds the directory now.
	hist, err := second.Run(context.Background())
	if err := <-errs; err != nil {
		t.Fatalf("first run: %v", err)
	}
	if err != nil || len(hist.Epochs) != 2 {
		t.Fatalf("second run: %v", err)
	}
	if trainedBySecond != 0 {
		t.Errorf("the second run trained %d steps itself, want it to reuse the first run's model", trainedBySecond)
	}
}

func TestAdvice(t *testing.T) {
	for _, c := range []struct {
		err  error
		want []string // "" for no advice.
	}{
		{fmt.Errorf("saving: %w", &fs.PathError{Op: "write", Path: "/m/vae-1/x.bin", Err: syscall.ENOSPC}),
			[]string{"/m/vae-1/x.bin is full", "run the same command again"}},
		{fmt.Errorf("saving: %w", &os.LinkError{Op: "rename", Old: "/m/a.tmp", New: "/m/a", Err: syscall.EROFS}),
			[]string{"/m/a cannot be written", "run the same command again"}},
		{fmt.Errorf("saving: %w", syscall.ENOSPC), []string{"the model directory is full"}},
		{errors.New("training diverged"), nil},
	} {
		got := Advice(c.err)
		if (got == "") != (c.want == nil) {
			t.Errorf("Advice(%v) = %q", c.err, got)
		}
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("Advice(%v) = %q, want it to say %q", c.err, got, w)
			}
		}
	}
}
