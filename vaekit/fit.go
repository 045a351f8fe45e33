package vaekit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/vaekit/vaekit/internal/atomicfile"
)

// ErrInterrupted is returned by Fit.Run when its context is cancelled: the
// run was checkpointed at the step where it stopped, and running the same
// Fit again resumes from there.
var ErrInterrupted = errors.New("training interrupted")

// DivergedError reports a non-finite loss. The variables in memory are
// unusable; the checkpoint directory still holds the last good checkpoint.
type DivergedError struct {
	Step       int     // global step whose loss was not finite.
	Loss       float64 // NaN or ±Inf.
	Checkpoint int     // global step of the last good checkpoint (-1: none).
	Dir        string
}

func (e *DivergedError) Error() string {
	msg := fmt.Sprintf("training diverged at step %d: loss is %v", e.Step, e.Loss)
	switch {
	case e.Dir == "":
		return msg + " (no checkpoint directory)"
	case e.Checkpoint < 0:
		return msg + "; no checkpoint had been saved yet in " + e.Dir
	}
	return fmt.Sprintf("%s; the last good checkpoint (step %d) is kept in %s; lower the learning rate and resume",
		msg, e.Checkpoint, e.Dir)
}

// Fit trains a GoMLX trainer on in-memory data for a number of epochs,
// with a progress bar, a per-epoch metric history and, given a directory,
// checkpoints: a run that was interrupted resumes where it stopped, and a
// run that already finished is not repeated (its model and history are
// loaded).
type Fit struct {
	Trainer   *train.Trainer // model, loss, optimizer and train metrics (GoMLX).
	Data      *Data
	BatchSize int
	Epochs    int
	Seed      int64 // the order of the examples in each epoch.

	// Dir keeps checkpoints and history.json; "" keeps nothing on disk.
	Dir string
	// SaveEvery is the least time between two checkpoints at epoch ends
	// (default 30s): short epochs do not write a checkpoint each. The last
	// epoch and an interruption always save, and a long epoch saves midway
	// every 20 SaveEvery (10 minutes by default).
	SaveEvery time.Duration
	// Progress shows a progress line (terminal or notebook) with the loss.
	Progress bool
	// OnEpoch may add metrics (e.g. on the test set) to an epoch's record.
	OnEpoch func(epoch int, metrics map[string]float64) error
	// OnStep is called after each step with the global step and the step's
	// metrics (by GoMLX short name, e.g. "loss").
	OnStep func(step int, metrics map[string]float64)
	// RecordEvery keeps every n-th step's metrics in History.Steps (0: none),
	// for per-step curves.
	RecordEvery int
	// Record may keep anything (JSON) about a step in History.Records, e.g.
	// samples of the model as it trains: a nil value keeps nothing.
	Record func(step int) (any, error)
	// LabelsAsInput passes the labels to the model function as a second
	// input (conditional models) instead of to the loss.
	LabelsAsInput bool
	// Devices splits every batch over this many devices of the XLA backend
	// (data parallel, through GoMLX's distributed training); 0 takes
	// Devices(), the process's setting.
	Devices int
	// StepsPerCall runs this many steps in each call of the compiled program
	// (0: StepsPerCall(), the process's setting), paying a step's fixed cost
	// once for them all: the same updates, in the same order. A Model's Fit
	// (Model.Train) on one device keeps the data on the device and gathers
	// each batch there, at any StepsPerCall; a run with Record takes one
	// step a call. A call never passes an epoch's end, so OnEpoch sees the
	// model as the epoch left it.
	StepsPerCall int

	// steps makes the k-step program (Model.steps) and names its metrics;
	// nil: the trainer's own step, on batches made on the host.
	steps func(k int) (*model.Exec, []string, error)
	done  func() // called when Run ends, trained or not.
}

// History is the per-epoch record of a training run, kept in memory and in
// Dir/history.json.
type History struct {
	StepsPerEpoch int     `json:"steps_per_epoch"`
	Epochs        []Epoch `json:"epochs"`
	// TrainSeconds is the wall time spent in training steps, over all runs.
	TrainSeconds float64 `json:"train_seconds"`
	// Partial holds the sums of an epoch interrupted midway.
	Partial *EpochSums `json:"partial,omitempty"`
	// Steps holds every Fit.RecordEvery-th step's metrics.
	Steps []Epoch `json:"steps,omitempty"`
	// Records holds what Fit.Record kept, in step order.
	Records []StepRecord `json:"records,omitempty"`
}

// StepRecord is what Fit.Record kept at a step.
type StepRecord struct {
	Step int             `json:"step"`
	Data json.RawMessage `json:"data"`
}

// Epoch is one epoch's metrics: the mean of the training batches' values
// (names as GoMLX's short metric names, e.g. "loss") and what OnEpoch added.
type Epoch struct {
	Epoch   int                `json:"epoch"` // 1-based.
	Step    int                `json:"step"`  // global step at its end.
	Metrics map[string]float64 `json:"metrics"`
}

// EpochSums accumulates per-step metrics within an epoch.
type EpochSums struct {
	Steps int                `json:"steps"`
	Sums  map[string]float64 `json:"sums"`
}

// Series returns the epochs and the values of one metric, for a chart.
func (h *History) Series(name string) (epochs, values []float64) {
	for _, e := range h.Epochs {
		if v, ok := e.Metrics[name]; ok {
			epochs = append(epochs, float64(e.Epoch))
			values = append(values, v)
		}
	}
	return
}

// Last returns the metrics of the last epoch (nil if none).
func (h *History) Last() map[string]float64 {
	if len(h.Epochs) == 0 {
		return nil
	}
	return h.Epochs[len(h.Epochs)-1].Metrics
}

const historyFile = "history.json"

func (f *Fit) validate() error {
	switch {
	case f.Trainer == nil:
		return errors.New("vaekit.Fit: Trainer is nil")
	case f.Data == nil:
		return errors.New("vaekit.Fit: Data is nil")
	case f.BatchSize <= 0:
		return fmt.Errorf("vaekit.Fit: BatchSize must be positive, got %d", f.BatchSize)
	case f.Epochs < 0:
		return fmt.Errorf("vaekit.Fit: Epochs must be >= 0, got %d", f.Epochs)
	}
	if err := f.Data.check(); err != nil {
		return err
	}
	if n := f.Data.Len(); f.BatchSize > n {
		return fmt.Errorf("vaekit.Fit: BatchSize %d is larger than the %d examples of %q", f.BatchSize, n, f.Data.Name)
	}
	return nil
}

// devices is the number of devices this run trains over.
func (f *Fit) devices() (int, error) {
	if f.Devices > 0 {
		return f.Devices, nil
	}
	if f.Devices < 0 {
		return 0, fmt.Errorf("vaekit.Fit: Devices must be >= 0, got %d", f.Devices)
	}
	return Devices()
}

// Run trains until Epochs are done. Cancelling ctx stops it after the
// current step, saves a checkpoint and returns ErrInterrupted.
func (f *Fit) Run(ctx context.Context) (*History, error) {
	if f.done != nil {
		defer f.done()
	}
	if err := f.validate(); err != nil {
		return nil, err
	}
	devices, err := f.devices()
	if err != nil {
		return nil, err
	}
	if err := checkDevices(f.Trainer.Backend(), devices, f.BatchSize); err != nil {
		return nil, fmt.Errorf("vaekit.Fit: %w", err)
	}
	ds := &batches{data: f.Data, batchSize: f.BatchSize, seed: uint64(f.Seed), labelsAsInput: f.LabelsAsInput, shards: devices}
	if planning(ctx) {
		return nil, f.plan(ds.stepsPerEpoch())
	}
	r, err := f.resume(ctx, ds.stepsPerEpoch())
	if err != nil {
		return nil, err
	}
	defer r.close()
	if r.step >= r.target {
		if r.step > 0 && f.Progress {
			fmt.Fprintf(Messages(), "vaekit: %s: reusing %s, trained to epoch %d (step %d)\n",
				f.Data.Name, filepath.Base(f.Dir), r.step/r.perEpoch, r.step)
		}
		return r.hist, nil
	}
	if r.step > 0 && f.Progress {
		fmt.Fprintf(Messages(), "vaekit: %s: resuming %s from epoch %d (step %d)\n", f.Data.Name, filepath.Base(f.Dir), r.step/r.perEpoch, r.step)
	}
	ds.startStep = r.step
	var source train.Dataset = ds
	if devices > 1 {
		if source, err = distribute(f.Trainer.Backend(), ds, devices); err != nil {
			return nil, err
		}
	}
	if f.Progress {
		r.progress = newProgressLine(r.step, r.target)
		defer r.progress.end()
	}
	perCall, err := f.stepsPerCall()
	if err != nil {
		return nil, err
	}
	if f.steps != nil && devices == 1 {
		err = r.runCalls(ds, perCall)
	} else {
		loop := train.NewLoop(f.Trainer)
		loop.OnStep("vaekit.Fit", 0, func(loop *train.Loop, metrics []*tensors.Tensor) error {
			r.trained(time.Since(r.stepStarted))
			defer func() { r.stepStarted = time.Now() }()
			loss, values := r.values(metrics)
			if err := r.onStep(loop.LoopStep+1, loss, values); err != nil {
				return err
			}
			return r.afterCall(loop.LoopStep + 1)
		})
		_, err = loop.RunSteps(source, r.target-r.step)
	}
	if err != nil {
		var diverged *DivergedError
		switch {
		case errors.As(err, &diverged):
			return r.hist, diverged
		case errors.Is(err, ErrInterrupted):
			return r.hist, fmt.Errorf("%w at step %d; checkpoint saved in %s, run again to resume", ErrInterrupted, r.lastSaved, f.Dir)
		}
		return r.hist, fmt.Errorf("vaekit.Fit: %w", err)
	}
	return r.hist, nil
}

// fitRun is one Run in progress: where it resumed, the epoch's sums and
// the checkpoints.
type fitRun struct {
	*Fit
	ctx                   context.Context
	hist                  *History
	ckpt                  *checkpoints  // nil without a directory.
	step, perEpoch        int           // the global step it resumed from; steps per epoch.
	target                int           // the global step it trains to.
	lastSaved             int           // global step of the last checkpoint (-1: none).
	lastSave, stepStarted time.Time     // stepStarted: when the trainer's step began (one step a call).
	started               time.Time     // when this Run started.
	sums                  *EpochSums    // of the epoch under way.
	names                 []string      // of the trainer's metrics ("" for moving averages).
	progress              *progressLine // nil without Progress.
}

// resume opens the checkpoint directory (if any), restores the model and
// its history, and drops the history's records past the checkpoint's step.
func (f *Fit) resume(ctx context.Context, perEpoch int) (*fitRun, error) {
	r := &fitRun{Fit: f, ctx: ctx, perEpoch: perEpoch, target: f.Epochs * perEpoch, lastSaved: -1, started: time.Now().UTC(),
		hist: &History{StepsPerEpoch: perEpoch}, names: metricNames(f.Trainer)}
	store := f.Trainer.Store()
	var err error
	if f.Dir != "" {
		if r.ckpt, err = openCheckpoints(ctx, store, f.Dir, 2, Messages()); err != nil {
			return nil, err
		}
		if r.hist, err = loadHistory(f.Dir, perEpoch); err != nil {
			r.close()
			return nil, err
		}
	}
	if r.step, err = currentStep(store); err != nil {
		r.close()
		return nil, err
	}
	// GoMLX's checkpoints do not record which variables are trainable: the
	// random generator's state would come back trainable, and the optimizer
	// would then give it moments of its own.
	if rng := store.GetVariable(model.JoinPath(model.ScopeSeparator, model.RNGStateVariableName)); rng != nil {
		rng.SetTrainable(false)
	}
	if r.ckpt != nil && r.step > 0 {
		r.lastSaved = r.step
	}
	h := r.hist
	for len(h.Epochs) > 0 && h.Epochs[len(h.Epochs)-1].Step > r.step {
		h.Epochs = h.Epochs[:len(h.Epochs)-1]
	}
	for len(h.Steps) > 0 && h.Steps[len(h.Steps)-1].Step > r.step {
		h.Steps = h.Steps[:len(h.Steps)-1]
	}
	for len(h.Records) > 0 && h.Records[len(h.Records)-1].Step > r.step {
		h.Records = h.Records[:len(h.Records)-1]
	}
	r.sums = h.Partial
	if r.sums == nil || r.step%perEpoch == 0 {
		r.sums = &EpochSums{Sums: map[string]float64{}}
	}
	h.Partial = nil
	r.lastSave, r.stepStarted = time.Now(), time.Now()
	return r, nil
}

// trainingTime is TrainingTime's sum.
var trainingTime struct {
	sync.Mutex
	busy
}

// busy sums the time covered by intervals added in about the order they
// end: runs training at the same time (a figure's seeds) count their
// overlap once.
type busy struct {
	sum   time.Duration
	until time.Time // the end of the last interval counted.
}

// add counts the interval from start to end, less what was counted already.
func (b *busy) add(start, end time.Time) {
	if start.Before(b.until) {
		start = b.until
	}
	if end.After(start) {
		b.sum += end.Sub(start)
		b.until = end
	}
}

// TrainingTime is the wall time this process has spent in training steps,
// over every run so far (while several train at once, counted once): what a
// figure's time splits off as training (the rest is loading, measuring and
// drawing).
func TrainingTime() time.Duration {
	trainingTime.Lock()
	defer trainingTime.Unlock()
	return trainingTime.sum
}

func (r *fitRun) close() {
	if r.ckpt != nil {
		r.ckpt.Close()
	}
}

// StepsPerCallEnv, when set, is the number of training steps each call of
// the compiled program runs (Fit.StepsPerCall's default; 1 if unset).
const StepsPerCallEnv = "VAEKIT_STEPS_PER_CALL"

// StepsPerCall returns the steps a call runs by default ($VAEKIT_STEPS_PER_CALL, else 1).
func StepsPerCall() (int, error) { return countEnv(StepsPerCallEnv, "steps a call") }

// SeedsAtOnceEnv, when set, is how many seeds of a figure train at the same
// time (default 2): on 2 cores, two seeds at once made the quick
// ae-vs-pca-recon over 2 seeds 1.26× faster and the quick conv-ae 1.07×
// (docs/benchmarks.md, round eight): a step's fixed cost and a seed's
// measuring overlap the other's training.
const SeedsAtOnceEnv = "VAEKIT_SEEDS_AT_ONCE"

// SeedsAtOnce returns how many seeds of a figure train at the same time
// ($VAEKIT_SEEDS_AT_ONCE, else 2).
func SeedsAtOnce() (int, error) {
	if os.Getenv(SeedsAtOnceEnv) == "" {
		return 2, nil
	}
	return countEnv(SeedsAtOnceEnv, "seeds at once")
}

// stepsPerCall is the number of steps a call of the program runs.
func (f *Fit) stepsPerCall() (int, error) {
	k := f.StepsPerCall
	if k < 0 {
		return 0, fmt.Errorf("vaekit.Fit: StepsPerCall must be >= 0, got %d", k)
	}
	if k == 0 {
		var err error
		if k, err = StepsPerCall(); err != nil {
			return 0, err
		}
	}
	if f.Record != nil {
		return 1, nil
	}
	return k, nil
}

// values reads a trainer step's metrics: the loss (the first) and the named
// ones (the moving averages, unnamed, are not fetched).
func (r *fitRun) values(metrics []*tensors.Tensor) (loss float64, values map[string]float64) {
	values = make(map[string]float64, len(r.names))
	for i, name := range r.names {
		if name != "" {
			values[name] = scalar(metrics[i])
		}
	}
	return scalar(metrics[0]), values
}

// runCalls trains to the target with Model.steps: the data goes to the
// device once, and each call runs perCall steps on the batches it gathers
// there. A call never passes an epoch's end or the target: where fewer
// steps are left, a program for that many (compiled once) takes them.
func (r *fitRun) runCalls(ds *batches, perCall int) error {
	data := []*tensors.Tensor{tensors.FromFlatDataAndDimensions(r.Data.X, append([]int{r.Data.Len()}, r.Data.Shape...)...)}
	if r.Data.Labels != nil {
		data = append(data, tensors.FromFlatDataAndDimensions(r.Data.Labels, r.Data.Len()))
	}
	defer func() {
		for _, t := range data {
			t.MustFinalizeAll()
		}
	}()
	programs := map[int]*model.Exec{}
	defer func() {
		for _, p := range programs {
			p.Finalize()
		}
	}()
	var names []string // the programs' columns: the loss, then the metrics.
	for step := r.step; step < r.target; {
		k := min(perCall, r.target-step, r.perEpoch-step%r.perEpoch)
		program := programs[k]
		if program == nil {
			var metrics []string
			var err error
			if program, metrics, err = r.steps(k); err != nil {
				return err
			}
			programs[k], names = program, append([]string{r.names[0]}, metrics...)
		}
		rows := ds.rows(step, k)
		args := make([]any, 0, len(data)+1)
		for _, t := range data {
			args = append(args, t)
		}
		start := time.Now()
		out, err := program.Call(append(args, rows)...)
		rows.MustFinalizeAll()
		if err != nil {
			return err
		}
		columns := make([][]float64, len(out))
		for j, t := range out {
			columns[j] = tensors.MustCopyFlatData[float64](t)
			t.MustFinalizeAll()
		}
		r.trained(time.Since(start))
		for i := range k {
			values := make(map[string]float64, len(names))
			for j, name := range names {
				values[name] = columns[j][i]
			}
			step++
			if err := r.onStep(step, columns[0][i], values); err != nil {
				return err
			}
		}
		if err := r.afterCall(step); err != nil {
			return err
		}
	}
	return nil
}

// trained counts d as time spent in training steps.
func (r *fitRun) trained(d time.Duration) {
	r.hist.TrainSeconds += d.Seconds()
	trainingTime.Lock()
	defer trainingTime.Unlock()
	end := time.Now()
	trainingTime.add(end.Add(-d), end)
}

// onStep takes a finished step's loss and named metrics: it stops on
// divergence, adds them to the epoch's sums and the per-step records.
func (r *fitRun) onStep(step int, loss float64, values map[string]float64) error {
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return &DivergedError{Step: step, Loss: loss, Checkpoint: r.lastSaved, Dir: r.Dir}
	}
	for name, v := range values {
		r.sums.Sums[name] += v
	}
	r.sums.Steps++
	if r.RecordEvery > 0 && step%r.RecordEvery == 0 {
		r.hist.Steps = append(r.hist.Steps, Epoch{Epoch: (step-1)/r.perEpoch + 1, Step: step, Metrics: values})
	}
	if r.progress != nil {
		r.progress.update(step, values)
	}
	if r.OnStep != nil {
		r.OnStep(step, values)
	}
	if r.Record != nil {
		v, err := r.Record(step)
		if err != nil {
			return fmt.Errorf("vaekit.Fit: recording step %d: %w", step, err)
		}
		if v != nil {
			raw, err := json.Marshal(v)
			if err != nil {
				return fmt.Errorf("vaekit.Fit: recording step %d: %w", step, err)
			}
			r.hist.Records = append(r.hist.Records, StepRecord{Step: step, Data: raw})
		}
	}
	return nil
}

// afterCall follows a call of the program that ended at step: it closes an
// epoch at its end, and checkpoints when due or interrupted.
func (r *fitRun) afterCall(step int) error {
	if step%r.perEpoch == 0 {
		if err := r.endEpoch(step); err != nil {
			return err
		}
	} else if r.ctx.Err() != nil || time.Since(r.lastSave) >= 20*r.saveEvery() {
		// Midway through a long epoch: keep its sums with the checkpoint.
		r.hist.Partial = r.sums
		err := r.save(step)
		r.hist.Partial = nil
		if err != nil {
			return err
		}
	}
	if r.ctx.Err() != nil {
		return ErrInterrupted
	}
	return nil
}

// endEpoch records the epoch's means (with what OnEpoch adds) and saves a
// checkpoint at the last epoch, on interruption, or when SaveEvery passed.
func (r *fitRun) endEpoch(step int) error {
	epoch := Epoch{Epoch: step / r.perEpoch, Step: step, Metrics: map[string]float64{}}
	for name, sum := range r.sums.Sums {
		epoch.Metrics[name] = sum / float64(r.sums.Steps)
	}
	if r.OnEpoch != nil {
		if err := r.OnEpoch(epoch.Epoch, epoch.Metrics); err != nil {
			return fmt.Errorf("vaekit.Fit: epoch %d: %w", epoch.Epoch, err)
		}
	}
	for name, v := range epoch.Metrics {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("vaekit.Fit: epoch %d: metric %q is %v, not a number that can be recorded "+
				"(the model diverged, or the metric divides by zero)", epoch.Epoch, name, v)
		}
	}
	r.hist.Epochs = append(r.hist.Epochs, epoch)
	r.sums = &EpochSums{Sums: map[string]float64{}}
	if step == r.target || r.ctx.Err() != nil || time.Since(r.lastSave) >= r.saveEvery() {
		return r.save(step)
	}
	return nil
}

func (r *fitRun) saveEvery() time.Duration {
	if r.SaveEvery == 0 {
		return 30 * time.Second
	}
	return r.SaveEvery
}

// save writes a checkpoint, then the history (which must not run ahead of
// it), then the run's record.
func (r *fitRun) save(step int) error {
	if r.ckpt == nil {
		return nil
	}
	r.lastSave = time.Now()
	if err := r.ckpt.Save(); err != nil {
		return fmt.Errorf("vaekit.Fit: saving a checkpoint at step %d in %s: %w", step, r.Dir, err)
	}
	r.lastSaved = step
	if err := WriteJSON(filepath.Join(r.Dir, historyFile), r.hist); err != nil {
		return err
	}
	return writeRunRecord(r.Dir, r.Fit, step, r.hist, r.started)
}

// currentStep reads the global step, loading it from a checkpoint if one is attached.
func currentStep(store *model.Store) (step int, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("vaekit.Fit: reading the global step: %v", r)
		}
	}()
	return int(optimizer.GetGlobalStep(store)), nil
}

// metricNames returns the short names of the trainer's metrics, "" for the
// moving averages (their mean over an epoch means nothing).
func metricNames(trainer *train.Trainer) []string {
	var names []string
	for _, m := range trainer.TrainMetrics() {
		name := m.ShortName()
		if strings.HasPrefix(name, "~") {
			name = ""
		}
		names = append(names, name)
	}
	return names
}

func scalar(t *tensors.Tensor) float64 { return shapes.ConvertTo[float64](t.Value()) }

func loadHistory(dir string, perEpoch int) (*History, error) {
	path := filepath.Join(dir, historyFile)
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &History{StepsPerEpoch: perEpoch}, nil
	}
	if err != nil {
		return nil, err
	}
	var h History
	if err := json.Unmarshal(raw, &h); err != nil {
		return nil, fmt.Errorf("vaekit.Fit: %s is damaged (%v); delete %s to train from scratch", path, err, dir)
	}
	if h.StepsPerEpoch != perEpoch {
		return nil, fmt.Errorf("vaekit.Fit: %s was trained with %d steps per epoch, this run has %d (another batch size "+
			"or data size): use another directory, or delete %s", dir, h.StepsPerEpoch, perEpoch, dir)
	}
	return &h, nil
}

// WriteJSON writes v as indented JSON to path, atomically.
func WriteJSON(path string, v any) error {
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(raw, '\n'))
}
