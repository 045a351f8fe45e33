// Package slurm runs vaekit's runs on a Slurm cluster: each run a task of a
// job array submitted with sbatch, followed with squeue.
//
// One model's training cannot span machines (go-xla gives PJRT no key-value
// store), but a sweep or a seed set is many independent runs, each kept in
// the shared model directory under a key with no path or host in it: the
// runs of a sweep are exactly an array job. A task's own command is the
// vaekit command that would train the run locally; the directory it trains
// into is the one a local run would use, so finished runs are reused by any
// machine that sees the directory.
package slurm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vaekit/vaekit/internal/atomicfile"
)

// Options are sbatch's options a user passes through: each empty or zero one
// is left to the cluster's defaults.
type Options struct {
	Partition   string // --partition
	Time        string // --time, a task's limit (e.g. 2:00:00)
	CPUsPerTask int    // --cpus-per-task
	GPUs        string // --gpus (per task: a job array's task is a job)
	Gres        string // --gres (e.g. gpu:1)
	Account     string // --account
	QOS         string // --qos
	// Sbatch is more of sbatch's arguments, as one would type them
	// (split on spaces; quotes group words).
	Sbatch string
	// Executable is the vaekit command the tasks run (the command sets its
	// own); "" builds one from this module with go build (a notebook's cell).
	Executable string `json:"-"`
}

// Args are the options as sbatch's arguments.
func (o Options) Args() ([]string, error) {
	var args []string
	add := func(flag, v string) {
		if v != "" {
			args = append(args, flag+"="+v)
		}
	}
	add("--partition", o.Partition)
	add("--time", o.Time)
	if o.CPUsPerTask > 0 {
		add("--cpus-per-task", strconv.Itoa(o.CPUsPerTask))
	}
	add("--gpus", o.GPUs)
	add("--gres", o.Gres)
	add("--account", o.Account)
	add("--qos", o.QOS)
	extra, err := splitWords(o.Sbatch)
	if err != nil {
		return nil, fmt.Errorf("--sbatch %q: %w", o.Sbatch, err)
	}
	return append(args, extra...), nil
}

// splitWords splits s on spaces, keeping what single or double quotes group.
func splitWords(s string) ([]string, error) {
	var words []string
	var word strings.Builder
	inWord, quote := false, rune(0)
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			word.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				words = append(words, word.String())
				word.Reset()
				inWord = false
			}
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("a quote (%c) is not closed", quote)
	}
	if inWord {
		words = append(words, word.String())
	}
	return words, nil
}

// Task is one run of an array job.
type Task struct {
	Name string   `json:"name"` // what it runs, for people: "KLWeight=2".
	Args []string `json:"args"` // its command line, the program first.
}

// Job is an array job as submitted: task i of the array runs Tasks[i], its
// output in Log(i).
type Job struct {
	ID        string    `json:"id"`
	Dir       string    `json:"dir"` // the job's script and logs.
	Tasks     []Task    `json:"tasks"`
	Submitted time.Time `json:"submitted"`
}

// Log is where task i writes its output and errors.
func (j *Job) Log(i int) string { return filepath.Join(j.Dir, fmt.Sprintf("task-%d.log", i)) }

// Submit writes an array job's script in dir (a fresh directory for this
// submission, on a filesystem the nodes share) and submits it with sbatch,
// one task per element of tasks.
func Submit(ctx context.Context, dir, name string, tasks []Task, o Options) (*Job, error) {
	if len(tasks) == 0 {
		return nil, errors.New("slurm: no tasks to submit")
	}
	opts, err := o.Args()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var script strings.Builder
	fmt.Fprintf(&script, "#!/bin/sh\n# %s: %d task(s), written by vaekit. Each runs one vaekit run; its output is in task-N.log beside this.\n", name, len(tasks))
	script.WriteString("case \"$SLURM_ARRAY_TASK_ID\" in\n")
	for i, t := range tasks {
		quoted := make([]string, len(t.Args))
		for k, a := range t.Args {
			quoted[k] = shellQuote(a)
		}
		fmt.Fprintf(&script, "%d) exec %s ;;  # %s\n", i, strings.Join(quoted, " "), t.Name)
	}
	script.WriteString("*) echo \"vaekit: this job has no task $SLURM_ARRAY_TASK_ID\" >&2; exit 2 ;;\nesac\n")
	path := filepath.Join(dir, "job.sh")
	if err := atomicfile.WriteExecutable(path, []byte(script.String())); err != nil {
		return nil, err
	}
	j := &Job{Dir: dir, Tasks: tasks, Submitted: time.Now().UTC()}
	args := append([]string{"--parsable", "--job-name=" + name, fmt.Sprintf("--array=0-%d", len(tasks)-1),
		"--output=" + filepath.Join(dir, "task-%a.log"), "--chdir=" + dir}, opts...)
	env, err := taskEnv(os.Environ())
	if err != nil {
		return nil, err
	}
	out, err := commandEnv(ctx, env, "sbatch", append(args, path)...)
	if err != nil {
		return nil, err
	}
	// --parsable prints "ID" or "ID;CLUSTER".
	id, _, _ := strings.Cut(strings.TrimSpace(out), ";")
	if _, err := strconv.Atoi(id); err != nil {
		return nil, fmt.Errorf("slurm: sbatch answered %q, not a job ID", out)
	}
	j.ID = id
	return j, nil
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=,:+@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// States are the job's tasks still known to the queue, by task index, with
// their state as squeue names it (PENDING, RUNNING, COMPLETING, …). A task
// that ended is absent: whether it finished its run is for the run's own
// record to say (Slurm's accounting may not be kept at all).
func (j *Job) States(ctx context.Context) (map[int]string, error) {
	out, err := command(ctx, "squeue", "--noheader", "--array", "--jobs="+j.ID, "--format=%K|%T")
	if err != nil {
		// A job that left the queue long enough ago is no longer known.
		if strings.Contains(err.Error(), "Invalid job id") {
			return map[int]string{}, nil
		}
		return nil, err
	}
	states := map[int]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		task, state, ok := strings.Cut(strings.TrimSpace(line), "|")
		if !ok {
			continue
		}
		// A pending array not yet split shows its range ("0-3" or "1,3"): each of them pends.
		for _, part := range strings.Split(strings.SplitN(task, "%", 2)[0], ",") {
			lo, hi, isRange := strings.Cut(part, "-")
			a, err1 := strconv.Atoi(lo)
			b, err2 := strconv.Atoi(hi)
			if !isRange {
				b, err2 = a, err1
			}
			if err1 != nil || err2 != nil {
				continue
			}
			for i := a; i <= b; i++ {
				states[i] = state
			}
		}
	}
	return states, nil
}

// Cancel cancels task i, or the whole job when i < 0.
func (j *Job) Cancel(ctx context.Context, i int) error {
	id := j.ID
	if i >= 0 {
		id = fmt.Sprintf("%s_%d", j.ID, i)
	}
	_, err := command(ctx, "scancel", id)
	return err
}

// Save writes the job's record to path (JSON), for a later command to follow.
func (j *Job) Save(path string) error {
	raw, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(raw, '\n'))
}

// Load reads a job's record written by Save; (nil, nil) when there is none.
func Load(path string) (*Job, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	j := &Job{}
	if err := json.Unmarshal(raw, j); err != nil {
		return nil, fmt.Errorf("%s: not a job record (%v): delete it to submit anew", path, err)
	}
	return j, nil
}

// Tail is the last n lines of a file ("" if it cannot be read).
func Tail(path string, n int) string {
	raw, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	// Progress lines redraw themselves with carriage returns: keep each one's last state.
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	for i, l := range lines {
		if k := strings.LastIndex(strings.TrimRight(l, "\r"), "\r"); k >= 0 {
			lines[i] = l[k+1:]
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Available says whether Slurm's commands are here, and why not.
func Available() error {
	for _, c := range []string{"sbatch", "squeue", "scancel"} {
		if _, err := exec.LookPath(c); err != nil {
			return fmt.Errorf("slurm: %s not found on the PATH: run on a Slurm login node (or install Slurm's client commands)", c)
		}
	}
	return nil
}

// taskEnv is the environment the tasks get (sbatch passes its own on):
// this one without a notebook's GoNB variables (a task that saw them would
// write its live view into the notebook's pipe and block there), and with
// VAEKIT_DATA absolute (a task starts in its job's directory).
func taskEnv(environ []string) ([]string, error) {
	var env []string
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "GONB_"):
			continue
		case name == "VAEKIT_DATA" && value != "" && !filepath.IsAbs(value):
			abs, err := filepath.Abs(value)
			if err != nil {
				return nil, err
			}
			kv = name + "=" + abs
		}
		env = append(env, kv)
	}
	return env, nil
}

// command runs a Slurm command, its error carrying what it wrote.
func command(ctx context.Context, name string, args ...string) (string, error) {
	return commandEnv(ctx, nil, name, args...)
}

// commandEnv is command with the environment env (nil: this process's).
func commandEnv(ctx context.Context, env []string, name string, args ...string) (string, error) {
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr, cmd.Env = &out, &errOut, env
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("slurm: %s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(errOut.String()))
	}
	return out.String(), nil
}
