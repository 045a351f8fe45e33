package vaekit

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"
)

// A trained model's directory keeps a record of how the model was made, so
// that a figure can be traced to its runs months later: key.json (what
// RunDir digested: the kind, hyperparameters, network fingerprint, data) and
// run.json (RunRecord: code and library versions, backend, progress, wall
// time, final metrics), rewritten with each checkpoint.
const (
	keyFile = "key.json"
	runFile = "run.json"
)

// RunRecord is run.json: what a training run was made with, and how far it went.
type RunRecord struct {
	Code     CodeVersion        `json:"code"`
	Modules  map[string]string  `json:"modules"` // versions of GoMLX, compute and go-xla, as built.
	Build    string             `json:"build"`   // Go version, GOEXPERIMENT, platform.
	Backend  string             `json:"backend"`
	Plugin   string             `json:"xla_plugin,omitempty"` // the XLA CPU plugin and the flags vaekit set for it.
	Seed     int64              `json:"seed"`                 // of the examples' order (the hyperparameters hold the model's).
	Started  time.Time          `json:"started"`
	Updated  time.Time          `json:"updated"`
	Step     int                `json:"step"`
	Epochs   int                `json:"epochs_done"`
	Seconds  float64            `json:"train_seconds"`
	Final    map[string]float64 `json:"final_metrics,omitempty"` // the last finished epoch's.
	Finished bool               `json:"finished"`                // every epoch asked for was trained.
}

// CodeVersion is the version of vaekit that trained a model: a module
// version when it came from a module proxy, else the commit of the checkout
// it was built from and whether that checkout had changes.
type CodeVersion struct {
	Version  string `json:"version,omitempty"`
	Commit   string `json:"commit,omitempty"`
	Modified bool   `json:"modified,omitempty"`
}

var codeVersion = sync.OnceValue(func() CodeVersion {
	info, _ := debug.ReadBuildInfo()
	if info != nil {
		for _, m := range append([]*debug.Module{&info.Main}, info.Deps...) {
			if m.Path == "github.com/vaekit/vaekit" && m.Version != "" && m.Version != "(devel)" {
				return CodeVersion{Version: m.Version}
			}
		}
	}
	// Built from a checkout (the command, a test, a notebook's go.work): ask git there.
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return CodeVersion{}
	}
	dir := filepath.Dir(file)
	commit, err := exec.Command("git", "-C", dir, "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return CodeVersion{}
	}
	status, err := exec.Command("git", "-C", dir, "status", "--porcelain", "--untracked-files=no").Output()
	return CodeVersion{Commit: strings.TrimSpace(string(commit)), Modified: err != nil || len(status) > 0}
})

var moduleVersions = sync.OnceValue(func() map[string]string {
	versions := map[string]string{}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, m := range info.Deps {
			switch m.Path {
			case "github.com/gomlx/gomlx", "github.com/gomlx/compute", "github.com/gomlx/go-xla":
				versions[m.Path] = m.Version
			}
		}
	}
	return versions
})

// writeRunRecord rewrites dir's run.json for a run at step.
func writeRunRecord(dir string, f *Fit, step int, hist *History, started time.Time) error {
	r := RunRecord{Code: codeVersion(), Modules: moduleVersions(), Build: BuildFlags(), Seed: f.Seed,
		Started: started, Updated: time.Now().UTC(), Step: step, Epochs: len(hist.Epochs), Seconds: hist.TrainSeconds,
		Final: hist.Last(), Finished: len(hist.Epochs) >= f.Epochs}
	if b, err := Backend(); err == nil {
		r.Backend, r.Plugin = BackendName(b), xlaPlugin // xlaPlugin is "" but on XLA's CPU plugin.
	}
	var old RunRecord // the first run's start is kept when a run resumes.
	if raw, err := os.ReadFile(filepath.Join(dir, runFile)); err == nil && json.Unmarshal(raw, &old) == nil && !old.Started.IsZero() {
		r.Started = old.Started
	}
	return WriteJSON(filepath.Join(dir, runFile), r)
}

// Run is a trained model's directory as `vaekit runs` lists it.
type Run struct {
	Dir  string          `json:"dir"`
	Kind string          `json:"kind"`
	Key  json.RawMessage `json:"key,omitempty"` // hyperparameters, network, data.
	*RunRecord
}

// Runs lists the models under root that keep a record, oldest first; a
// directory without key.json (trained before records were kept, or not a
// model) is skipped.
func Runs(root string) ([]Run, error) {
	entries, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var runs []Run
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		run, err := ReadRun(filepath.Join(root, e.Name()))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		runs = append(runs, run)
	}
	slices.SortStableFunc(runs, func(a, b Run) int { return a.started().Compare(b.started()) })
	return runs, nil
}

func (r Run) started() time.Time {
	if r.RunRecord == nil {
		return time.Time{}
	}
	return r.Started
}

// ReadRun reads one model directory's record; its run.json is absent
// (RunRecord nil) until the first checkpoint.
func ReadRun(dir string) (Run, error) {
	var key struct {
		Kind string          `json:"kind"`
		Key  json.RawMessage `json:"key"`
	}
	raw, err := os.ReadFile(filepath.Join(dir, keyFile))
	if err != nil {
		return Run{}, err
	}
	if err := json.Unmarshal(raw, &key); err != nil {
		return Run{}, fmt.Errorf("%s: %w", filepath.Join(dir, keyFile), err)
	}
	run := Run{Dir: dir, Kind: key.Kind, Key: key.Key}
	raw, err = os.ReadFile(filepath.Join(dir, runFile))
	if errors.Is(err, os.ErrNotExist) {
		return run, nil
	}
	if err != nil {
		return Run{}, err
	}
	run.RunRecord = &RunRecord{}
	if err := json.Unmarshal(raw, run.RunRecord); err != nil {
		return Run{}, fmt.Errorf("%s: %w", filepath.Join(dir, runFile), err)
	}
	return run, nil
}

// Differences lists what differs between two runs' keys and records, one
// "field: a → b" line each, fields by their JSON path (times and the
// directory left out).
func Differences(a, b Run) []string {
	fa, fb := flatten(a), flatten(b)
	var names []string
	for name := range fa {
		names = append(names, name)
	}
	for name := range fb {
		if _, ok := fa[name]; !ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	var lines []string
	for _, name := range names {
		va, oka := fa[name]
		vb, okb := fb[name]
		switch {
		case !oka:
			va = "(none)"
		case !okb:
			vb = "(none)"
		}
		if va != vb {
			lines = append(lines, fmt.Sprintf("%s: %s → %s", name, va, vb))
		}
	}
	return lines
}

// flatten is a run's fields as "path" → JSON value text.
func flatten(r Run) map[string]string {
	out := map[string]string{}
	raw, _ := json.Marshal(r)
	var v any
	_ = json.Unmarshal(raw, &v)
	var walk func(path string, v any)
	walk = func(path string, v any) {
		if m, ok := v.(map[string]any); ok && len(m) > 0 {
			for k, child := range m {
				walk(strings.TrimPrefix(path+"."+k, "."), child)
			}
			return
		}
		switch path {
		case "dir", "started", "updated":
			return
		}
		text, _ := json.Marshal(v)
		out[path] = string(text)
	}
	walk("", v)
	return out
}
