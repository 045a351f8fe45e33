package vaekit

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestRunRecords trains two small models in directories named by RunDir and
// reads back what their records say: what keyed them, the code, backend and
// progress, and what differs between the two.
func TestRunRecords(t *testing.T) {
	testBackend(t)
	data := ImageData(mnistTest(t, 500))
	root := t.TempDir()
	type hyper struct {
		Hidden       int
		LearningRate float64
	}
	var dirs []string
	for i, h := range []hyper{{16, 1e-3}, {16, 3e-3}} {
		dir, err := RunDir(root, "tiny-ae", h)
		if err != nil {
			t.Fatal(err)
		}
		if again, err := RunDir(root, "tiny-ae", h); err != nil || again != dir {
			t.Fatalf("RunDir again: %q (%v), first %q", again, err, dir)
		}
		if _, err := newTinyFit(t, data, dir, 1+i).Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, dir)
	}
	// A directory named but never trained, and one that is not a model.
	untrained, err := RunDir(root, "tiny-ae", hyper{32, 1e-3})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "other"), 0o755); err != nil {
		t.Fatal(err)
	}

	runs, err := Runs(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 3 {
		t.Fatalf("Runs listed %d runs, want the 3 named by RunDir: %+v", len(runs), runs)
	}
	byDir := map[string]Run{}
	for _, r := range runs {
		byDir[r.Dir] = r
	}
	for i, dir := range dirs {
		checkRunRecord(t, i, dir, byDir[dir])
	}
	if r := byDir[untrained]; r.RunRecord != nil {
		t.Errorf("a directory never trained has a record: %+v", r.RunRecord)
	}

	diff := Differences(byDir[dirs[0]], byDir[dirs[1]])
	t.Logf("differences: %q", diff)
	for _, want := range []string{"key.LearningRate: 0.001 → 0.003", "step: 10 → 20", "epochs_done: 1 → 2"} {
		if !slices.Contains(diff, want) {
			t.Errorf("differences lack %q: %q", want, diff)
		}
	}
	for _, line := range diff {
		if strings.HasPrefix(line, "dir:") || strings.HasPrefix(line, "key.Hidden") || strings.HasPrefix(line, "backend") {
			t.Errorf("differences list what is the same or not compared: %q", line)
		}
	}

	// A damaged record is an error naming its file; a directory without a key is none of Runs' business.
	if err := os.WriteFile(filepath.Join(dirs[0], runFile), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Runs(root); err == nil || !strings.Contains(err.Error(), filepath.Join(dirs[0], runFile)) {
		t.Errorf("a damaged run.json: %v", err)
	}
	if _, err := ReadRun(filepath.Join(root, "other")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadRun of a directory without key.json: %v", err)
	}
}

// checkRunRecord checks run i's record, trained for 1+i epochs of 10 steps.
func checkRunRecord(t *testing.T, i int, dir string, r Run) {
	t.Helper()
	if r.Kind != "tiny-ae" || r.RunRecord == nil {
		t.Fatalf("run %s: kind %q, record %v", dir, r.Kind, r.RunRecord)
	}
	t.Logf("%s: %+v", filepath.Base(dir), *r.RunRecord)
	if want := 10 * (1 + i); r.Step != want || r.Epochs != 1+i || !r.Finished || r.Final["loss"] <= 0 || r.Seconds <= 0 {
		t.Errorf("run %d's record: step %d (want %d), %d epochs, finished %v, final loss %g, %g s", i, r.Step, want, r.Epochs, r.Finished, r.Final["loss"], r.Seconds)
	}
	if r.Backend == "" || r.Build == "" || r.Modules["github.com/gomlx/gomlx"] == "" || (r.Code.Commit == "" && r.Code.Version == "") {
		t.Errorf("run %d's record lacks the backend, build, GoMLX version or code version: %+v", i, *r.RunRecord)
	}
	if !strings.Contains(string(r.Key), `"LearningRate"`) {
		t.Errorf("run %d's key %s lacks its hyperparameters", i, r.Key)
	}
	if r.Backend == "xla:cpu" && r.Plugin != xlaPlugin {
		t.Errorf("run %d's record names the XLA CPU plugin %q, this process runs %q", i, r.Plugin, xlaPlugin)
	}
}
