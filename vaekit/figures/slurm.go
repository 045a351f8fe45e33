package figures

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/experiments"
	"github.com/vaekit/vaekit/vaekit/slurm"
)

// SweepWork is a sweep's runs as Slurm work: run i (runs[i], a setting and
// seed) is a task running `vaekit sweep` of that one run, as a user would type
// it, with the library's experiment at seed; plan says where run i stands
// (what its training would find, under vaekit.PlanOnly).
func SweepWork(model string, quick bool, seed int64, name string, runs [][]SweepParam, models string,
	plan func(ctx context.Context, i int) (*vaekit.Planned, error)) *slurm.Work {
	var all []string
	for _, r := range runs {
		all = append(all, strings.Join(SweepArgs(r), " "))
	}
	w := &slurm.Work{What: name, JobName: "vaekit-" + name, Labels: all,
		Dir: slurm.WorkDir(models, name, map[string]any{"model": model, "quick": quick, "seed": seed, "runs": all})}
	w.Args = func(exe string, i int) []string {
		args := []string{exe, "sweep"}
		if quick {
			args = append(args, "--quick")
		}
		args = append(args, "--models", models, "--seed", strconv.FormatInt(seed, 10), "--out", fmt.Sprintf("out-%d", i), model)
		return append(args, SweepArgs(runs[i])...)
	}
	// Each run is planned once; then its record is read where the planning found it.
	found := make([]*vaekit.Planned, len(runs))
	w.Status = func(ctx context.Context) ([]slurm.RunState, error) {
		states := make([]slurm.RunState, len(runs))
		for i := range runs {
			var p *vaekit.Planned
			var err error
			if found[i] == nil {
				p, err = plan(ctx, i)
				found[i] = p
			} else {
				p, err = vaekit.PlanDir(found[i].Dir, found[i].Steps)
			}
			if err != nil {
				return nil, fmt.Errorf("finding run %s: %w", w.Labels[i], err)
			}
			states[i] = slurm.RunState{Finished: p.Finished, Dir: p.Dir}
			if !p.Finished {
				states[i].Detail = fmt.Sprintf("step %d of %d", p.Step, p.Steps)
			}
		}
		return states, nil
	}
	return w
}

// planned is what err says of a run planned under vaekit.PlanOnly.
func planned(err error) (*vaekit.Planned, error) {
	p, ok := vaekit.AsPlanned(err)
	if !ok {
		if err == nil {
			err = errors.New("the run was measured instead of planned")
		}
		return nil, err
	}
	return p, nil
}

// sweepOnSlurm submits the sweep's unfinished runs as Slurm tasks and
// returns how to wait for run i to be finished. The tasks run vaekit sweep,
// which trains library's experiment: each run must be kept where this
// sweep's own experiment would be, or the sweep is refused, saying why.
func sweepOnSlurm[E any](ctx context.Context, s *Sweep, exps []E, library E, opts experiments.Options, train sweepTrain[E]) (func(context.Context, int) error, error) {
	models := opts.Models
	if models == "" {
		models = vaekit.ModelsDir()
	}
	models, err := filepath.Abs(models)
	if err != nil {
		return nil, err
	}
	quiet := opts
	quiet.Models, quiet.Progress, quiet.OnEpoch, quiet.Slurm = models, false, nil, nil
	plan := func(ctx context.Context, exp E) (*vaekit.Planned, error) {
		return planned(train(vaekit.PlanOnly(ctx), &exp, quiet, &SweepRun{}))
	}
	theirs, err := expand(s, library)
	if err != nil {
		return nil, err
	}
	runs := make([][]SweepParam, len(exps))
	for i := range exps {
		runs[i] = s.runParams(i)
		mine, err := plan(ctx, exps[i])
		if err != nil {
			return nil, fmt.Errorf("sweep run %s: %w", s.runLabel(i), err)
		}
		task, err := plan(ctx, theirs[i])
		if err != nil {
			return nil, fmt.Errorf("sweep run %s: %w", s.runLabel(i), err)
		}
		if mine.Dir != task.Dir {
			return nil, fmt.Errorf("sweep run %s on Slurm: its task runs vaekit sweep, which trains the library's networks "+
				"and hyperparameters, and this sweep's differ (kept in %s, the task's in %s): sweep a changed hyperparameter "+
				"as a parameter (PARAM=V), or train here, without Slurm", s.runLabel(i), filepath.Base(mine.Dir), filepath.Base(task.Dir))
		}
	}
	seed := int64(0)
	if v, ok := findField(reflect.ValueOf(&library).Elem(), "Seed"); ok && v.CanInt() {
		seed = v.Int()
	}
	w := SweepWork(s.Model, opts.Quick, seed, SweepName(s.Model, s.Params), runs, models,
		func(ctx context.Context, i int) (*vaekit.Planned, error) { return plan(ctx, exps[i]) })
	exe := func() (string, error) {
		if opts.Slurm.Executable != "" {
			return slurm.KeepExecutable(models, opts.Slurm.Executable)
		}
		return buildVaekit(ctx, models)
	}
	job, _, err := w.Submit(ctx, exe, *opts.Slurm, vaekit.Messages())
	if err != nil || job == nil {
		return nil, err
	}
	return func(ctx context.Context, i int) error {
		said := ""
		for {
			runs, err := w.Status(ctx)
			if err != nil {
				return err
			}
			if runs[i].Finished {
				return nil
			}
			states, err := job.States(ctx)
			if err != nil {
				return err
			}
			if len(states) == 0 { // the job ended: a last look, then its unfinished tasks named.
				if runs, err = w.Status(ctx); err != nil || runs[i].Finished {
					return err
				}
				return fmt.Errorf("sweep on Slurm: %s", w.Unfinished(job, runs))
			}
			state := "ended"
			for k := range job.Tasks {
				if w.Run(job, k) == i {
					if st, ok := states[k]; ok {
						state = fmt.Sprintf("task %d of job %s %s", k, job.ID, strings.ToLower(st))
					}
				}
			}
			if runs[i].Detail != "" {
				state += ", " + runs[i].Detail
			}
			if state != said {
				fmt.Fprintf(vaekit.Messages(), "sweep: run %s on Slurm: %s\n", s.runLabel(i), state)
				said = state
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("sweep on Slurm: stopped waiting for job %s (its tasks go on; scancel %s stops them): %w", job.ID, job.ID, context.Cause(ctx))
			case <-time.After(slurm.Poll):
			}
		}
	}, nil
}

// buildVaekit builds the vaekit command of this module (a notebook's cell is
// not it) and keeps it under models for the tasks.
func buildVaekit(ctx context.Context, models string) (string, error) {
	tmp, err := os.MkdirTemp("", "vaekit-build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	exe := filepath.Join(tmp, "vaekit")
	fmt.Fprintln(vaekit.Messages(), "sweep: building the vaekit command for the Slurm tasks")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", exe, "github.com/vaekit/vaekit/vaekit/cmd/vaekit")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the vaekit command for the Slurm tasks (go build github.com/vaekit/vaekit/vaekit/cmd/vaekit): %v\n%s", err, out)
	}
	return slurm.KeepExecutable(models, exe)
}
