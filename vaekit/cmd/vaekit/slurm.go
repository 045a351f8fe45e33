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
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vaekit/vaekit/datasets"
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

// slurmWork is what a command trains on Slurm: its runs, one array task
// each, and how to tell which are finished. A sweep's run is one setting ×
// seed; a figure's is the figure at one seed.
type slurmWork struct {
	what    string   // "sweep NAME", "figures NAME …": said in messages.
	jobName string   // the job's name in the queue.
	jobsDir string   // its job record and, one directory a submission, the script and logs.
	labels  []string // each run, for people: "KLWeight=2 Seed=1".
	// args is the command line run i's task runs, the program exe first.
	args func(exe string, i int) []string
	// status says where each run stands (without training or waiting).
	status func(ctx context.Context) ([]runState, error)
}

// runState is where one run stands.
type runState struct {
	finished bool
	dir      string // its model directory, when it has one: a running task's step is read there.
	detail   string // how far an unfinished run went ("step 40 of 300"), or "".
}

// onSlurm trains w's unfinished runs as the tasks of one Slurm job array and
// follows them. It reports whether every run is finished (the caller then
// draws as it would locally, reusing them) or, if not, the exit status. Run
// again, it follows a job still queued, or submits only what is unfinished.
func (w *slurmWork) onSlurm(ctx context.Context, root string, f *slurmFlags, stderr io.Writer) (bool, int) {
	fail := func(err error) (bool, int) {
		sayError(stderr, "vaekit "+w.what+" --slurm", err)
		if ctx.Err() != nil {
			return false, exitInterrupted
		}
		return false, 1
	}
	if err := slurm.Available(); err != nil {
		return fail(err)
	}
	record := filepath.Join(w.jobsDir, "job.json")
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
		fmt.Fprintf(stderr, "vaekit: %s: job %s, submitted %s, still has %d task(s) in the queue: following it\n",
			w.what, job.ID, job.Submitted.Local().Format(time.DateTime), len(states))
	} else {
		runs, err := w.status(ctx)
		if err != nil {
			return fail(err)
		}
		var tasks []slurm.Task
		exe := ""
		for i, r := range runs {
			if r.finished {
				fmt.Fprintf(stderr, "vaekit: %s: run %s finished%s\n", w.what, w.labels[i], inParens(r.dir))
				continue
			}
			if exe == "" {
				if exe, err = keepExecutable(root); err != nil {
					return fail(err)
				}
			}
			tasks = append(tasks, slurm.Task{Name: w.labels[i], Args: w.args(exe, i)})
		}
		if len(tasks) == 0 {
			fmt.Fprintf(stderr, "vaekit: %s: all %d runs finished: drawing\n", w.what, len(runs))
			return true, 0
		}
		// Tasks start in their job's directory with this environment: a relative data path would point elsewhere.
		if data := os.Getenv(datasets.DataEnv); data != "" && !filepath.IsAbs(data) {
			abs, err := filepath.Abs(data)
			if err != nil {
				return fail(err)
			}
			os.Setenv(datasets.DataEnv, abs)
		}
		dir := filepath.Join(w.jobsDir, time.Now().UTC().Format("20060102-150405.000"))
		if job, err = slurm.Submit(ctx, dir, w.jobName, tasks, f.opts); err != nil {
			return fail(err)
		}
		if err := job.Save(record); err != nil {
			return fail(fmt.Errorf("job %s submitted, but its record was not kept (cancel it with scancel %s): %w", job.ID, job.ID, err))
		}
		fmt.Fprintf(stderr, "vaekit: %s: submitted job %s, %d task(s) of %d runs; logs in %s\n", w.what, job.ID, len(tasks), len(runs), dir)
		for i, t := range job.Tasks {
			fmt.Fprintf(stderr, "  task %d: %s (%s)\n", i, t.Name, job.Log(i))
		}
	}
	if f.detach {
		fmt.Fprintf(stderr, "vaekit: %s: detached; the same command, run again, follows job %s or draws once it is done\n", w.what, job.ID)
		return false, 0
	}
	if !w.follow(ctx, job, stderr) {
		fmt.Fprintf(stderr, "vaekit: stopped following job %s; its tasks go on (scancel %s stops them): the same command, run again, follows them\n", job.ID, job.ID)
		return false, exitInterrupted
	}
	runs, err := w.status(ctx)
	if err != nil {
		return fail(err)
	}
	unfinished := 0
	for i, t := range job.Tasks {
		for k, l := range w.labels {
			if l != t.Name || runs[k].finished {
				continue
			}
			unfinished++
			fmt.Fprintf(stderr, "vaekit: %s: task %d (%s) of job %s ended without a finished run%s; the last lines of %s:\n%s\n",
				w.what, i, t.Name, job.ID, inParens(runs[k].detail), job.Log(i), indent(slurm.Tail(job.Log(i), 8)))
		}
	}
	if unfinished > 0 {
		fmt.Fprintf(stderr, "vaekit: %s: %d run(s) unfinished: run the same command again; it submits only those, each resuming from its last checkpoint\n", w.what, unfinished)
		return false, 1
	}
	return true, 0
}

// follow shows the job's tasks as they move (queued, running with the step
// of their run's last checkpoint, ended) until none is in the queue; false if
// ctx ended first.
func (w *slurmWork) follow(ctx context.Context, job *slurm.Job, stderr io.Writer) bool {
	dirs := map[string]string{}
	if runs, err := w.status(ctx); err == nil {
		for i, r := range runs {
			dirs[w.labels[i]] = r.dir
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
			if run, err := vaekit.ReadRun(dirs[t.Name]); dirs[t.Name] != "" && err == nil && run.RunRecord != nil && state != "PENDING" {
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

// jobsDir is root/slurm/NAME-HASH, HASH of what identifies the work (its
// runs and settings): the same command finds its job again.
func jobsDir(root, name string, key any) string {
	raw, _ := json.Marshal(key)
	sum := sha256.Sum256(raw)
	return filepath.Join(root, "slurm", name+"-"+hex.EncodeToString(sum[:4]))
}

// absModels is the models directory, absolute (the tasks run elsewhere).
func absModels(dir string) (string, error) {
	if dir == "" {
		dir = vaekit.ModelsDir()
	}
	return filepath.Abs(dir)
}

// sweepOnSlurm is a sweep's runs (setting × seed) as Slurm work: each task
// runs the sweep of its one run, as a user would type it.
func sweepOnSlurm(model string, quick bool, seed int64, params []figures.SweepParam, opts experiments.Options,
	measure func(ctx context.Context, params []figures.SweepParam) error) (*slurmWork, error) {
	runs, err := figures.SweepRuns(params)
	if err != nil {
		return nil, err
	}
	name := figures.SweepName(model, params)
	w := &slurmWork{what: "sweep " + name, jobName: "vaekit-" + name,
		jobsDir: jobsDir(opts.Models, name, map[string]any{"model": model, "quick": quick, "seed": seed, "params": figures.SweepArgs(params)})}
	for _, r := range runs {
		w.labels = append(w.labels, strings.Join(figures.SweepArgs(r), " "))
	}
	w.args = func(exe string, i int) []string {
		args := []string{exe, "sweep"}
		if quick {
			args = append(args, "--quick")
		}
		args = append(args, "--models", opts.Models, "--seed", strconv.FormatInt(seed, 10), "--out", fmt.Sprintf("out-%d", i), model)
		return append(args, figures.SweepArgs(runs[i])...)
	}
	// A run's state is what its training would find: the sweep of that run
	// measured under vaekit.PlanOnly, which stops at its Fit.
	w.status = func(ctx context.Context) ([]runState, error) {
		states := make([]runState, len(runs))
		for i, r := range runs {
			err := measure(vaekit.PlanOnly(ctx), r)
			p, ok := vaekit.AsPlanned(err)
			if !ok {
				if err == nil {
					err = errors.New("the run was measured instead of planned")
				}
				return nil, fmt.Errorf("finding run %s: %w", w.labels[i], err)
			}
			states[i] = runState{finished: p.Finished, dir: p.Dir}
			if !p.Finished {
				states[i].detail = fmt.Sprintf("step %d of %d", p.Step, p.Steps)
			}
		}
		return states, nil
	}
	return w, nil
}

// figuresOnSlurm is figures at seeds as Slurm work: each task makes one
// figure at one seed (vaekit figures --seed S NAME), which trains its runs,
// into a directory of its own; the run is finished once its figure is
// written there. The draw afterwards (--seeds) reuses the runs by their keys.
func figuresOnSlurm(names []string, quick bool, seed int64, seeds int, opts experiments.Options) *slurmWork {
	label := strings.Join(names, " ")
	if len(names) > 3 {
		label = fmt.Sprintf("%s … (%d figures)", strings.Join(names[:3], " "), len(names))
	}
	w := &slurmWork{what: "figures " + label, jobName: "vaekit-figures",
		jobsDir: jobsDir(opts.Models, "figures", map[string]any{"names": names, "quick": quick, "seed": seed, "seeds": seeds, "dataset": opts.Dataset})}
	type run struct {
		name string
		seed int64
	}
	var runs []run
	for _, n := range names {
		for k := range seeds {
			runs = append(runs, run{n, seed + int64(k)})
			w.labels = append(w.labels, fmt.Sprintf("%s seed %d", n, seed+int64(k)))
		}
	}
	out := func(i int) string {
		return filepath.Join(w.jobsDir, "out", fmt.Sprintf("%s-seed%d", runs[i].name, runs[i].seed))
	}
	w.args = func(exe string, i int) []string {
		args := []string{exe, "figures"}
		if quick {
			args = append(args, "--quick")
		}
		if opts.Dataset != "" {
			args = append(args, "--dataset", opts.Dataset)
		}
		return append(args, "--models", opts.Models, "--seed", strconv.FormatInt(runs[i].seed, 10), "--out", out(i), runs[i].name)
	}
	w.status = func(context.Context) ([]runState, error) {
		states := make([]runState, len(runs))
		for i, r := range runs {
			_, err := os.Stat(filepath.Join(out(i), r.name+".json"))
			switch {
			case err == nil:
				states[i].finished = true
			case !errors.Is(err, fs.ErrNotExist):
				return nil, err
			}
		}
		return states, nil
	}
	return w
}

func inParens(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
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
