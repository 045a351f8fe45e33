package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/experiments"
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

// trainOnSlurm trains w's unfinished runs as the tasks of one Slurm job array and
// follows them. It reports whether every run is finished (the caller then
// draws as it would locally, reusing them) or, if not, the exit status. Run
// again, it follows a job still queued, or submits only what is unfinished.
func trainOnSlurm(ctx context.Context, w *slurm.Work, root string, f *slurmFlags, stderr io.Writer) (bool, int) {
	fail := func(err error) (bool, int) {
		sayError(stderr, "vaekit "+w.What+" --slurm", err)
		if ctx.Err() != nil {
			return false, exitInterrupted
		}
		return false, 1
	}
	exe := func() (string, error) {
		self, err := os.Executable()
		if err != nil {
			return "", err
		}
		return slurm.KeepExecutable(root, self)
	}
	job, _, err := w.Submit(ctx, exe, f.opts, stderr)
	if err != nil {
		return fail(err)
	}
	if job == nil {
		fmt.Fprintf(stderr, "vaekit: %s: drawing\n", w.What)
		return true, 0
	}
	if f.detach {
		fmt.Fprintf(stderr, "vaekit: %s: detached; the same command, run again, follows job %s or draws once it is done\n", w.What, job.ID)
		return false, 0
	}
	if !w.Follow(ctx, job, stderr) {
		fmt.Fprintf(stderr, "vaekit: stopped following job %s; its tasks go on (scancel %s stops them): the same command, run again, follows them\n", job.ID, job.ID)
		return false, exitInterrupted
	}
	runs, err := w.Status(ctx)
	if err != nil {
		return fail(err)
	}
	if unfinished := w.Unfinished(job, runs); unfinished != "" {
		fmt.Fprintf(stderr, "vaekit: %s: %s\n", w.What, unfinished)
		return false, 1
	}
	return true, 0
}

// absModels is the models directory, absolute (the tasks run elsewhere).
func absModels(dir string) (string, error) {
	if dir == "" {
		dir = vaekit.ModelsDir()
	}
	return filepath.Abs(dir)
}

// figuresWork is figures at seeds as Slurm work: each task makes one figure
// at one seed (vaekit figures --seed S NAME), which trains its runs, into a
// directory of its own; the run is finished once its figure is written
// there. The draw afterwards (--seeds) reuses the runs by their keys.
func figuresWork(names []string, quick bool, seed int64, seeds int, opts experiments.Options) *slurm.Work {
	label := strings.Join(names, " ")
	if len(names) > 3 {
		label = fmt.Sprintf("%s … (%d figures)", strings.Join(names[:3], " "), len(names))
	}
	w := &slurm.Work{What: "figures " + label, JobName: "vaekit-figures",
		Dir: slurm.WorkDir(opts.Models, "figures", map[string]any{"names": names, "quick": quick, "seed": seed, "seeds": seeds, "dataset": opts.Dataset})}
	type run struct {
		name string
		seed int64
	}
	var runs []run
	for _, n := range names {
		for k := range seeds {
			runs = append(runs, run{n, seed + int64(k)})
			w.Labels = append(w.Labels, fmt.Sprintf("%s seed %d", n, seed+int64(k)))
		}
	}
	out := func(i int) string {
		return filepath.Join(w.Dir, "out", fmt.Sprintf("%s-seed%d", runs[i].name, runs[i].seed))
	}
	w.Args = func(exe string, i int) []string {
		args := []string{exe, "figures"}
		if quick {
			args = append(args, "--quick")
		}
		if opts.Dataset != "" {
			args = append(args, "--dataset", opts.Dataset)
		}
		return append(args, "--models", opts.Models, "--seed", strconv.FormatInt(runs[i].seed, 10), "--out", out(i), runs[i].name)
	}
	w.Status = func(context.Context) ([]slurm.RunState, error) {
		states := make([]slurm.RunState, len(runs))
		for i, r := range runs {
			_, err := os.Stat(filepath.Join(out(i), r.name+".json"))
			switch {
			case err == nil:
				states[i].Finished = true
			case !errors.Is(err, fs.ErrNotExist):
				return nil, err
			}
		}
		return states, nil
	}
	return w
}
