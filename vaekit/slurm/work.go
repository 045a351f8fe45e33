package slurm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vaekit/vaekit/internal/atomicfile"
)

// Work is what one command trains on Slurm: its runs, one array task each,
// and how to tell which are finished. A sweep's run is one setting × seed; a
// figure's is the figure at one seed. The same Work submitted again follows
// its job while it is queued, else submits only the unfinished runs.
type Work struct {
	What    string   // "sweep NAME", "figures NAME …": said in messages.
	JobName string   // the job's name in the queue.
	Dir     string   // its job record and, one directory a submission, the script and logs.
	Labels  []string // each run, for people: "KLWeight=2 Seed=1".
	// Args is the command line run i's task runs, the program exe first.
	Args func(exe string, i int) []string
	// Status says where each run stands (without training or waiting).
	Status func(ctx context.Context) ([]RunState, error)
}

// RunState is where one run stands.
type RunState struct {
	Finished bool
	Dir      string // its model directory, when it has one.
	Detail   string // how far an unfinished run went ("step 40 of 300"), or "".
}

// Poll is how often a followed job's queue and runs are looked at.
const Poll = 2 * time.Second

// WorkDir is root/slurm/NAME-HASH, HASH of key (what identifies the work:
// its runs and settings), so that the same command finds its job again.
func WorkDir(root, name string, key any) string {
	raw, _ := json.Marshal(key)
	sum := sha256.Sum256(raw)
	return filepath.Join(root, "slurm", name+"-"+hex.EncodeToString(sum[:4]))
}

// Submit finds w's job still in the queue, or submits its unfinished runs
// as a new job running the program exe gives (a vaekit executable the nodes
// see, asked for only when there is something to submit), saying what it did
// on log. It returns the job to follow and the runs' states, or a nil job
// when every run is finished.
func (w *Work) Submit(ctx context.Context, exe func() (string, error), o Options, log io.Writer) (*Job, []RunState, error) {
	if err := Available(); err != nil {
		return nil, nil, err
	}
	record := filepath.Join(w.Dir, "job.json")
	job, err := Load(record)
	if err != nil {
		return nil, nil, err
	}
	if job != nil {
		states, err := job.States(ctx)
		if err != nil {
			return nil, nil, err
		}
		if len(states) > 0 {
			fmt.Fprintf(log, "vaekit: %s: job %s, submitted %s, still has %d task(s) in the queue: following it\n",
				w.What, job.ID, job.Submitted.Local().Format(time.DateTime), len(states))
			runs, err := w.Status(ctx)
			return job, runs, err
		}
	}
	runs, err := w.Status(ctx)
	if err != nil {
		return nil, nil, err
	}
	var tasks []Task
	program := ""
	for i, r := range runs {
		if r.Finished {
			fmt.Fprintf(log, "vaekit: %s: run %s finished%s\n", w.What, w.Labels[i], inParens(r.Dir))
			continue
		}
		if program == "" {
			if program, err = exe(); err != nil {
				return nil, nil, err
			}
		}
		tasks = append(tasks, Task{Name: w.Labels[i], Args: w.Args(program, i)})
	}
	if len(tasks) == 0 {
		fmt.Fprintf(log, "vaekit: %s: all %d runs finished\n", w.What, len(runs))
		return nil, runs, nil
	}
	dir := filepath.Join(w.Dir, time.Now().UTC().Format("20060102-150405.000"))
	if job, err = Submit(ctx, dir, w.JobName, tasks, o); err != nil {
		return nil, nil, err
	}
	if err := job.Save(record); err != nil {
		return nil, nil, fmt.Errorf("job %s submitted, but its record was not kept (cancel it with scancel %s): %w", job.ID, job.ID, err)
	}
	fmt.Fprintf(log, "vaekit: %s: submitted job %s, %d task(s) of %d runs; logs in %s\n", w.What, job.ID, len(tasks), len(runs), dir)
	for i, t := range job.Tasks {
		fmt.Fprintf(log, "  task %d: %s (%s)\n", i, t.Name, job.Log(i))
	}
	return job, runs, nil
}

// Follow shows job's tasks as they move (queued, running with how far its
// run went, ended) on log, every Poll, until none is in the queue; false if
// ctx ended first.
func (w *Work) Follow(ctx context.Context, job *Job, log io.Writer) bool {
	last := make([]string, len(job.Tasks))
	for {
		states, err := job.States(ctx)
		var runs []RunState
		if err == nil {
			runs, err = w.Status(ctx)
		}
		if err != nil {
			if ctx.Err() != nil {
				return false
			}
			fmt.Fprintf(log, "vaekit: %v (trying again)\n", err)
		}
		for i, t := range job.Tasks {
			if err != nil {
				break
			}
			state, queued := states[i]
			if !queued {
				state = "ended"
			}
			if k := w.Run(job, i); k >= 0 && state != "PENDING" {
				switch {
				case runs[k].Finished:
					state += ", finished"
				case runs[k].Detail != "":
					state += ", " + runs[k].Detail
				}
			}
			if state != last[i] {
				fmt.Fprintf(log, "vaekit: job %s task %d (%s): %s\n", job.ID, i, t.Name, state)
				last[i] = state
			}
		}
		if err == nil && len(states) == 0 {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(Poll):
		}
	}
}

// Run is the index in w's runs of job's task i (-1 if none).
func (w *Work) Run(job *Job, i int) int {
	for k, l := range w.Labels {
		if l == job.Tasks[i].Name {
			return k
		}
	}
	return -1
}

// Unfinished names, with their logs' last lines, the tasks of the ended job
// whose runs are not finished; "" when every run is.
func (w *Work) Unfinished(job *Job, runs []RunState) string {
	var b strings.Builder
	n := 0
	for i, t := range job.Tasks {
		if k := w.Run(job, i); k >= 0 && !runs[k].Finished {
			n++
			fmt.Fprintf(&b, "task %d (%s) of job %s ended without a finished run%s; the last lines of %s:\n%s\n",
				i, t.Name, job.ID, inParens(runs[k].Detail), job.Log(i), Indent(Tail(job.Log(i), 8)))
		}
	}
	if n == 0 {
		return ""
	}
	fmt.Fprintf(&b, "%d run(s) unfinished: run again; only those are submitted, each resuming from its last checkpoint", n)
	return b.String()
}

// KeepExecutable copies the program at path into root/slurm/bin, named by
// its content, so that tasks run this very build from a directory the nodes
// share (`go run` and a notebook's cell delete theirs).
func KeepExecutable(root, path string) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(raw)
	kept := filepath.Join(root, "slurm", "bin", "vaekit-"+hex.EncodeToString(sum[:6]))
	if st, err := os.Stat(kept); err == nil && st.Size() == int64(len(raw)) {
		return kept, nil
	}
	return kept, atomicfile.WriteExecutable(kept, raw)
}

// Indent indents each line of s by four spaces.
func Indent(s string) string { return "    " + strings.ReplaceAll(s, "\n", "\n    ") }

func inParens(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}
