package vaekit

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
)

// Planned is what Fit returns, as its error and without training, under a
// context from PlanOnly: where the run is kept and how far it went. A
// scheduler (vaekit sweep --slurm) learns this way which runs of a sweep
// are left to train, through the same code that would train them, so the
// directories it finds are the ones a training would use.
type Planned struct {
	Dir      string // the run's model directory ("" when Fit keeps nothing on disk).
	Step     int    // the last step saved (0: none).
	Steps    int    // the steps the run asks for.
	Finished bool   // every epoch asked for was trained.
}

func (p *Planned) Error() string {
	state := "not started"
	switch {
	case p.Finished:
		state = "finished"
	case p.Step > 0:
		state = fmt.Sprintf("at step %d of %d", p.Step, p.Steps)
	}
	return fmt.Sprintf("vaekit: planned run %s: %s", p.Dir, state)
}

type planKey struct{}

// PlanOnly returns ctx under which Fit trains nothing: it returns a *Planned
// at once. It reads the run's record (run.json) and takes no lock, so it
// does not wait for a run training elsewhere.
func PlanOnly(ctx context.Context) context.Context { return context.WithValue(ctx, planKey{}, true) }

func planning(ctx context.Context) bool { return ctx.Value(planKey{}) != nil }

// AsPlanned finds the *Planned in err, if Fit planned instead of training.
func AsPlanned(err error) (*Planned, bool) {
	var p *Planned
	ok := errors.As(err, &p)
	return p, ok
}

func (f *Fit) plan(perEpoch int) error {
	p, err := PlanDir(f.Dir, f.Epochs*perEpoch)
	if err != nil {
		return err
	}
	return p
}

// PlanDir is where the run kept in dir stands, asked for steps in all, from
// its record alone: what a scheduler that planned it once (PlanOnly) reads
// again to follow it, without planning anew.
func PlanDir(dir string, steps int) (*Planned, error) {
	p := &Planned{Dir: dir, Steps: steps}
	if dir == "" {
		return p, nil
	}
	run, err := ReadRun(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return p, nil
	case err != nil:
		return nil, err
	}
	if run.RunRecord != nil {
		p.Step = run.Step
		p.Finished = run.Finished || run.Step >= p.Steps
	}
	return p, nil
}
