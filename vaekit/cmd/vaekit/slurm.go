package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vaekit/vaekit/internal/atomicfile"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/experiments"
	"github.com/vaekit/vaekit/vaekit/figures"
	"github.com/vaekit/vaekit/vaekit/slurm"
)

// slurmFlags are vaekit sweep's flags for Slurm.
type slurmFlags struct {
	on, detach bool
	opts       slurm.Options
}

func (f *slurmFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.on, "slurm", false, "train each run as a task of a Slurm job array (sbatch), follow them, then draw (docs/cluster.md)")
	fs.BoolVar(&f.detach, "detach", false, "with --slurm: return once submitted; the same command later follows the tasks or draws")
	fs.StringVar(&f.opts.Partition, "partition", "", "with --slurm: sbatch's --partition")
	fs.StringVar(&f.opts.Time, "time", "", "with --slurm: each task's time limit (sbatch's --time, e.g. 2:00:00)")
	fs.IntVar(&f.opts.CPUsPerTask, "cpus-per-task", 0, "with --slurm: sbatch's --cpus-per-task")
	fs.StringVar(&f.opts.GPUs, "gpus", "", "with --slurm: sbatch's --gpus, per task")
	fs.StringVar(&f.opts.Gres, "gres", "", "with --slurm: sbatch's --gres (e.g. gpu:1)")
	fs.StringVar(&f.opts.Account, "account", "", "with --slurm: sbatch's --account")
	fs.StringVar(&f.opts.QOS, "qos", "", "with --slurm: sbatch's --qos")
	fs.StringVar(&f.opts.Sbatch, "sbatch", "", "with --slurm: more of sbatch's arguments, as one string")
}

// check says which Slurm flag was given without --slurm.
func (f *slurmFlags) check(fs *flag.FlagSet) error {
	var stray []string
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "detach", "partition", "time", "cpus-per-task", "gpus", "gres", "account", "qos", "sbatch":
			if !f.on {
				stray = append(stray, "--"+fl.Name)
			}
		}
	})
	if len(stray) > 0 {
		return fmt.Errorf("%s only with --slurm", strings.Join(stray, ", "))
	}
	return nil
}

// slurmPoll is how often a followed job's queue is read.
const slurmPoll = 2 * time.Second

// sweepRunner is what a sweep on Slurm needs of the local sweep: how to
// plan (or measure) a sweep of given parameters.
type sweepRunner struct {
	model string
	quick bool
	seed  int64
	opts  experiments.Options
	// measure measures (or, under vaekit.PlanOnly, plans) the sweep of params.
	measure func(ctx context.Context, params []figures.SweepParam) error
}

// slurmSweep trains the sweep's unfinished runs as Slurm tasks and follows
// them. It reports whether every run is finished (the caller then draws the
// figure as the local sweep does, reusing them) or, if not, the exit status.
func (s *sweepRunner) onSlurm(ctx context.Context, params []figures.SweepParam, f *slurmFlags, stderr io.Writer) (bool, int) {
	fail := func(err error) (bool, int) {
		sayError(stderr, "vaekit sweep --slurm", err)
		if ctx.Err() != nil {
			return false, exitInterrupted
		}
		return false, 1
	}
	if err := slurm.Available(); err != nil {
		return fail(err)
	}
	runs, err := figures.SweepRuns(params)
	if err != nil {
		return fail(err)
	}
	root := s.opts.Models
	if root == "" {
		root = vaekit.ModelsDir()
	}
	if root, err = filepath.Abs(root); err != nil {
		return fail(err)
	}
	s.opts.Models = root
	name := figures.SweepName(s.model, params)
	key, _ := json.Marshal(map[string]any{"model": s.model, "quick": s.quick, "seed": s.seed, "params": figures.SweepArgs(params)})
	sum := sha256.Sum256(key)
	jobsDir := filepath.Join(root, "slurm", name+"-"+hex.EncodeToString(sum[:4]))
	record := filepath.Join(jobsDir, "job.json")
	labels := make([]string, len(runs))
	for i, r := range runs {
		labels[i] = strings.Join(figures.SweepArgs(r), " ")
	}

	job, err := slurm.Load(record)
	if err != nil {
		return fail(err)
	}
	var states map[int]string
	if job != nil {
		if states, err = job.States(ctx); err != nil {
			return fail(err)
		}
	}
	if len(states) > 0 {
		fmt.Fprintf(stderr, "vaekit: sweep %s: job %s, submitted %s, still has %d task(s) in the queue: following it\n",
			name, job.ID, job.Submitted.Local().Format(time.DateTime), len(states))
	} else {
		planned, err := s.plan(ctx, runs)
		if err != nil {
			return fail(err)
		}
		var tasks []slurm.Task
		exe := ""
		for i, p := range planned {
			if p.Finished {
				fmt.Fprintf(stderr, "vaekit: sweep %s: run %s finished (%s)\n", name, labels[i], p.Dir)
				continue
			}
			if exe == "" {
				if exe, err = keepExecutable(root); err != nil {
					return fail(err)
				}
			}
			tasks = append(tasks, slurm.Task{Name: labels[i], Args: s.taskArgs(exe, runs[i], fmt.Sprintf("task-%d", len(tasks)))})
		}
		if len(tasks) == 0 {
			fmt.Fprintf(stderr, "vaekit: sweep %s: all %d runs finished: drawing\n", name, len(runs))
			return true, 0
		}
		dir := filepath.Join(jobsDir, time.Now().UTC().Format("20060102-150405.000"))
		if job, err = slurm.Submit(ctx, dir, "vaekit-"+name, tasks, f.opts); err != nil {
			return fail(err)
		}
		if err := job.Save(record); err != nil {
			return fail(fmt.Errorf("job %s submitted, but its record was not kept (cancel it with scancel %s): %w", job.ID, job.ID, err))
		}
		fmt.Fprintf(stderr, "vaekit: sweep %s: submitted job %s, %d task(s) of %d runs; logs in %s\n", name, job.ID, len(tasks), len(runs), dir)
		for i, t := range job.Tasks {
			fmt.Fprintf(stderr, "  task %d: %s (%s)\n", i, t.Name, job.Log(i))
		}
	}
	if f.detach {
		fmt.Fprintf(stderr, "vaekit: sweep %s: detached; the same command, run again, follows job %s or draws once it is done\n", name, job.ID)
		return false, 0
	}
	if !s.follow(ctx, job, runs, labels, stderr) {
		fmt.Fprintf(stderr, "vaekit: stopped following job %s; its tasks go on (scancel %s stops them): the same command, run again, follows them\n", job.ID, job.ID)
		return false, exitInterrupted
	}
	planned, err := s.plan(ctx, runs)
	if err != nil {
		return fail(err)
	}
	unfinished := 0
	for i, t := range job.Tasks {
		for k, l := range labels {
			if l != t.Name || planned[k].Finished {
				continue
			}
			unfinished++
			fmt.Fprintf(stderr, "vaekit: sweep %s: task %d (%s) of job %s ended without a finished run (step %d of %d); the last lines of %s:\n%s\n",
				name, i, t.Name, job.ID, planned[k].Step, planned[k].Steps, job.Log(i), indent(slurm.Tail(job.Log(i), 8)))
		}
	}
	if unfinished > 0 {
		fmt.Fprintf(stderr, "vaekit: sweep %s: %d run(s) unfinished: run the same command again; it submits only those, each resuming from its last checkpoint\n", name, unfinished)
		return false, 1
	}
	return true, 0
}

// plan finds where each run stands, without training or waiting for a lock.
func (s *sweepRunner) plan(ctx context.Context, runs [][]figures.SweepParam) ([]*vaekit.Planned, error) {
	planned := make([]*vaekit.Planned, len(runs))
	for i, r := range runs {
		err := s.measure(vaekit.PlanOnly(ctx), r)
		p, ok := vaekit.AsPlanned(err)
		if !ok {
			if err == nil {
				err = errors.New("the run was measured instead of planned")
			}
			return nil, fmt.Errorf("finding run %s: %w", strings.Join(figures.SweepArgs(r), " "), err)
		}
		planned[i] = p
	}
	return planned, nil
}

// taskArgs is the command a task runs: the sweep of one run, as a user would
// type it, its figure written to out beside the task's log.
func (s *sweepRunner) taskArgs(exe string, run []figures.SweepParam, out string) []string {
	args := []string{exe, "sweep"}
	if s.quick {
		args = append(args, "--quick")
	}
	args = append(args, "--models", s.opts.Models, "--seed", strconv.FormatInt(s.seed, 10), "--out", out, s.model)
	return append(args, figures.SweepArgs(run)...)
}

// follow shows the job's tasks as they move (queued, running with their
// step, ended) until none is in the queue; false if ctx ended first.
func (s *sweepRunner) follow(ctx context.Context, job *slurm.Job, runs [][]figures.SweepParam, labels []string, stderr io.Writer) bool {
	dirs := map[string]string{}
	if planned, err := s.plan(ctx, runs); err == nil {
		for i, p := range planned {
			dirs[labels[i]] = p.Dir
		}
	}
	last := make([]string, len(job.Tasks))
	for {
		states, err := job.States(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return false
			}
			fmt.Fprintf(stderr, "vaekit: %v (trying again)\n", err)
		}
		for i, t := range job.Tasks {
			state, queued := states[i]
			if !queued {
				state = "ended"
			}
			if run, err := vaekit.ReadRun(dirs[t.Name]); err == nil && run.RunRecord != nil && state != "PENDING" {
				state += fmt.Sprintf(", step %d saved", run.Step)
				if run.Finished {
					state += ", finished"
				}
			}
			if err == nil && state != last[i] {
				fmt.Fprintf(stderr, "vaekit: job %s task %d (%s): %s\n", job.ID, i, t.Name, state)
				last[i] = state
			}
		}
		if err == nil && len(states) == 0 {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(slurmPoll):
		}
	}
}

// keepExecutable copies this program into root/slurm/bin, named by its
// content, so that tasks run this very build (`go run` deletes its own)
// from a directory the nodes share.
func keepExecutable(root string) (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	raw, err := os.ReadFile(self)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(raw)
	path := filepath.Join(root, "slurm", "bin", "vaekit-"+hex.EncodeToString(sum[:6]))
	if st, err := os.Stat(path); err == nil && st.Size() == int64(len(raw)) {
		return path, nil
	}
	return path, atomicfile.WriteExecutable(path, raw)
}

func indent(s string) string { return "    " + strings.ReplaceAll(s, "\n", "\n    ") }
