// Command soak injects faults at random instants into real vaekit runs and
// checks that nothing is lost: after each fault the same command, run again,
// must finish with the result of an uninterrupted run.
//
//	go run ./internal/soak [--faults N] [--seed S] [--keep]   (scripts/soak)
//
// The runs are the command a user types: training (a small VAE sweep), a
// checkpoint being saved (the fault lands when a checkpoint file appears),
// a two-setting sweep, a figure (ae-vs-pca-2d, quick), scoring images, and
// a download of MNIST from a local mirror ($VAEKIT_MIRRORS). The faults:
// SIGKILL; SIGINT (Ctrl-C: the run must stop by itself); a full disk (the
// run's filesystem, a tmpfs, filled); the model directory made read-only (a
// read-only bind mount over it); and for downloads, a server that stalls or
// cuts the connection mid-file. Each is seeded: the same --seed gives the
// same phases, kinds and instants (the processes' own timing still varies).
//
// After a fault the run may fail, but its error must name the file or
// directory and say what to do; the same command run again must finish, with
// the same numbers as the uninterrupted run (training resumes exactly). The
// soak prints a table of faults by kind and phase and ends with the line
// "faults N, recovered N, lost N"; it exits 1 when anything was lost.
//
// Disk-full and read-only faults mount a tmpfs, so they need root; without
// it they are skipped, and the table says so.
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	faults := flag.Int("faults", 100, "how many faults to inject (each in a run still going)")
	seed := flag.Uint64("seed", 1, "random seed: the phases, kinds and instants")
	keep := flag.Bool("keep", false, "keep the work directory (models, outputs, logs) at the end")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := newSoak(ctx, *seed)
	if err != nil {
		fmt.Fprintf(os.Stderr, "soak: %v\n", err)
		os.Exit(2)
	}
	lost, err := s.run(ctx, *faults)
	s.close(*keep)
	if err != nil {
		fmt.Fprintf(os.Stderr, "soak: %v\n", err)
		os.Exit(2)
	}
	if lost > 0 {
		os.Exit(1)
	}
}

// soak holds what every fault shares: the built command, the tmpfs the runs
// write to, the mirror, the references of uninterrupted runs.
type soak struct {
	rng      *rand.Rand
	work     string // the work directory.
	fs       string // the tmpfs (or a plain directory without root) where each fault's run writes.
	tmpfs    bool
	vaekit   string // the built command.
	data     string // $VAEKIT_DATA.
	base     string // models made once: the mnist_fid classifier.
	scoreSet string // the images scoring scores: the first 2,000 MNIST test digits, an IDX file.
	mirror   *mirror
	refs     map[string]reference
	scenario map[string]scenario
}

// scenario is one kind of run.
type scenario struct {
	phase string
	args  func(dir string) []string // the command line, writing below dir.
	env   func(dir string) []string
	prep  func(dir string) error                   // before the run: the classifier for scoring.
	read  func(dir, stdout string) (string, error) // the run's result, as compared.
}

// reference is an uninterrupted run's result and duration.
type reference struct {
	result  string
	seconds float64
}

// kinds of fault, and the phases each applies to.
var kinds = []string{"kill", "interrupt", "disk-full", "read-only", "stall", "cut"}

func applies(kind, phase string) bool {
	download := phase == "download"
	return (kind == "stall" || kind == "cut") == download || kind == "kill" || kind == "interrupt"
}

func newSoak(ctx context.Context, seed uint64) (*soak, error) {
	work, err := os.MkdirTemp("", "vaekit-soak-")
	if err != nil {
		return nil, err
	}
	s := &soak{rng: rand.New(rand.NewPCG(seed, 0x50a4)), work: work, fs: filepath.Join(work, "fs"), refs: map[string]reference{}}
	if err := os.MkdirAll(s.fs, 0o755); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=768m", "vaekit-soak", s.fs).CombinedOutput(); err == nil {
			s.tmpfs = true
		} else {
			fmt.Printf("soak: no tmpfs (%v: %s): disk-full and read-only faults skipped\n", err, bytes.TrimSpace(out))
		}
	} else {
		fmt.Println("soak: not root: no tmpfs to fill or make read-only, so disk-full and read-only faults are skipped")
	}
	s.data = os.Getenv("VAEKIT_DATA")
	if s.data == "" {
		s.data, _ = filepath.Abs(filepath.Join("..", "shared", "datasets"))
	}
	s.vaekit = filepath.Join(work, "vaekit")
	build := exec.CommandContext(ctx, "go", "build", "-o", s.vaekit, "./vaekit/cmd/vaekit")
	if out, err := build.CombinedOutput(); err != nil {
		return s, fmt.Errorf("building vaekit (run from the repository's root): %v\n%s", err, out)
	}
	if s.mirror, err = newMirror(filepath.Join(s.data, "mnist")); err != nil {
		return s, err
	}
	s.base = os.Getenv("VAEKIT_MODELS") // the tests' shared models: the classifier may be there already.
	if s.base == "" {
		s.base = filepath.Join(work, "base")
	}
	s.scoreSet = filepath.Join(work, "t10k-2000-images-idx3-ubyte")
	if err := writeIDXHead(filepath.Join(s.data, mnistTest), s.scoreSet, 2000); err != nil {
		return s, err
	}
	s.scenario = s.scenarios()
	return s, nil
}

// writeIDXHead writes the first n images of a gzipped IDX image file as an
// IDX file of their own.
func writeIDXHead(src, dst string, n int) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	head := make([]byte, 16+n*28*28)
	if _, err := io.ReadFull(z, head); err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	binary.BigEndian.PutUint32(head[4:8], uint32(n))
	return os.WriteFile(dst, head, 0o644)
}

func (s *soak) close(keep bool) {
	if s.mirror != nil {
		s.mirror.srv.Close()
	}
	if s.tmpfs {
		exec.Command("umount", "-l", s.fs).Run()
	}
	if keep {
		fmt.Printf("soak: work directory kept: %s\n", s.work)
		return
	}
	os.RemoveAll(s.work)
}

const mnistTest = "mnist/t10k-images-idx3-ubyte.gz"

func (s *soak) scenarios() map[string]scenario {
	models := func(dir string) []string {
		return []string{"--out", filepath.Join(dir, "out"), "--models", filepath.Join(dir, "models")}
	}
	sweep := func(params ...string) func(string) []string {
		return func(dir string) []string {
			return slices.Concat([]string{"sweep", "--quick"}, models(dir), []string{"vae"}, params)
		}
	}
	plain := func(dir string) []string { return []string{"VAEKIT_DATA=" + s.data} }
	list := []scenario{
		{phase: "train", args: sweep("KLWeight=1", "Epochs=3", "TrainSize=3000"), read: figureResult},
		{phase: "checkpoint", args: sweep("KLWeight=1", "Epochs=3", "TrainSize=3000"), read: figureResult},
		{phase: "sweep", args: sweep("KLWeight=0.5,2", "Epochs=2", "TrainSize=2000"), read: figureResult},
		{phase: "figures", args: func(dir string) []string {
			return slices.Concat([]string{"figures", "--quick"}, models(dir), []string{"ae-vs-pca-2d"})
		}, read: figureResult},
		{phase: "score", args: func(dir string) []string {
			return []string{"score", "--json", "--models", filepath.Join(dir, "models"), s.scoreSet}
		}, prep: s.copyClassifier, read: func(_, stdout string) (string, error) { return stdout, nil }},
		{phase: "download", args: sweep("KLWeight=1", "Epochs=1", "TrainSize=1000"), env: func(dir string) []string {
			return []string{"VAEKIT_DATA=", "XDG_CACHE_HOME=" + filepath.Join(dir, "cache"), "VAEKIT_MIRRORS=" + s.mirror.url}
		}, read: figureResult},
	}
	m := map[string]scenario{}
	for _, sc := range list {
		if sc.env == nil {
			sc.env = plain
		}
		m[sc.phase] = sc
	}
	return m
}

// phases in the order the table lists them.
var phases = []string{"train", "checkpoint", "sweep", "figures", "score", "download"}

// figureResult is the metrics of the figure the run wrote (sweep or figure),
// less what measures time.
func figureResult(dir, _ string) (string, error) {
	paths, _ := filepath.Glob(filepath.Join(dir, "out", "*.json"))
	if len(paths) != 1 {
		return "", fmt.Errorf("%d figure records in %s, want 1", len(paths), filepath.Join(dir, "out"))
	}
	raw, err := os.ReadFile(paths[0])
	if err != nil {
		return "", err
	}
	var rec struct{ Metrics any }
	if err := json.Unmarshal(raw, &rec); err != nil {
		return "", fmt.Errorf("%s: %w", paths[0], err)
	}
	canon, _ := json.Marshal(withoutTimes(rec.Metrics))
	return string(canon), nil
}

// withoutTimes drops the keys that measure time (and the sweep's table,
// which shows one), recursively.
func withoutTimes(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			if !strings.Contains(k, "seconds") && k != "table" {
				out[k] = withoutTimes(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = withoutTimes(e)
		}
		return out
	}
	return v
}

// copyClassifier puts the mnist_fid classifier, trained once, into dir's
// models, without its reference (so scoring measures and writes it).
func (s *soak) copyClassifier(dir string) error {
	srcs, _ := filepath.Glob(filepath.Join(s.base, "mnist-classifier-*"))
	if len(srcs) == 0 {
		return fmt.Errorf("no mnist classifier in %s", s.base)
	}
	for _, src := range srcs {
		dst := filepath.Join(dir, "models", filepath.Base(src))
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return err
		}
		entries, err := os.ReadDir(src)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if !e.Type().IsRegular() || e.Name() == "reference.json" || e.Name() == ".lock" {
				continue
			}
			raw, err := os.ReadFile(filepath.Join(src, e.Name()))
			if err == nil {
				err = os.WriteFile(filepath.Join(dst, e.Name()), raw, 0o644)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// outcome of one command run.
type outcome struct {
	status   int // exit status; -1 killed by a signal.
	stdout   string
	stderr   string
	seconds  float64
	timedOut bool
}

// start runs sc's command writing below dir.
func (s *soak) start(ctx context.Context, sc scenario, dir string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer, error) {
	cmd := exec.Command(s.vaekit, sc.args(dir)...)
	cmd.Env = append(os.Environ(), sc.env(dir)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	return cmd, &out, &errOut, cmd.Start()
}

// wait waits for cmd, at most limit (then kills it and says it timed out).
func wait(cmd *exec.Cmd, done <-chan error, started time.Time, out, errOut *bytes.Buffer, limit time.Duration) outcome {
	o := outcome{}
	select {
	case <-done:
	case <-time.After(limit):
		o.timedOut = true
		cmd.Process.Kill()
		<-done
	}
	o.seconds = time.Since(started).Seconds()
	o.status = cmd.ProcessState.ExitCode()
	o.stdout, o.stderr = out.String(), errOut.String()
	return o
}

// runPlain runs sc to the end in dir, with no fault.
func (s *soak) runPlain(ctx context.Context, sc scenario, dir string, limit time.Duration) (outcome, error) {
	if sc.prep != nil {
		if err := sc.prep(dir); err != nil {
			return outcome{}, err
		}
	}
	return s.rerun(ctx, sc, dir, limit)
}

// rerun runs sc to the end in dir, as it is.
func (s *soak) rerun(ctx context.Context, sc scenario, dir string, limit time.Duration) (outcome, error) {
	cmd, out, errOut, err := s.start(ctx, sc, dir)
	if err != nil {
		return outcome{}, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	return wait(cmd, done, time.Now(), out, errOut, limit), nil
}

func (s *soak) run(ctx context.Context, n int) (lost int, err error) {
	// The classifier for scoring, once (it may be in $VAEKIT_MODELS already).
	fmt.Printf("soak: the mnist_fid classifier in %s (trained once if missing)\n", s.base)
	prep := exec.CommandContext(ctx, s.vaekit, "score", "--json", "--models", s.base, filepath.Join(s.data, mnistTest))
	prep.Env = append(os.Environ(), "VAEKIT_DATA="+s.data)
	if out, err := prep.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("training the classifier: %v\n%s", err, out)
	}
	// The uninterrupted runs.
	for _, phase := range phases {
		sc := s.scenario[phase]
		dir, err := s.freshDir("ref-" + phase)
		if err != nil {
			return 0, err
		}
		o, err := s.runPlain(ctx, sc, dir, 20*time.Minute)
		if err != nil || o.status != 0 {
			return 0, fmt.Errorf("the uninterrupted %s run: %v, status %d\n%s", phase, err, o.status, tail(o.stderr, 20))
		}
		result, err := sc.read(dir, o.stdout)
		if err != nil {
			return 0, fmt.Errorf("the uninterrupted %s run: %v", phase, err)
		}
		s.refs[phase] = reference{result, o.seconds}
		fmt.Printf("soak: uninterrupted %-10s %5.1f s\n", phase, o.seconds)
		os.RemoveAll(dir)
	}

	// The plan: every applicable (kind, phase) pair in turn, shuffled, until n faults.
	var pairs [][2]string
	for _, kind := range kinds {
		if (kind == "disk-full" || kind == "read-only") && !s.tmpfs {
			continue
		}
		for _, phase := range phases {
			if applies(kind, phase) {
				pairs = append(pairs, [2]string{kind, phase})
			}
		}
	}
	t := newTable()
	for i := 0; i < n && ctx.Err() == nil; i++ {
		if i%len(pairs) == 0 {
			s.rng.Shuffle(len(pairs), func(a, b int) { pairs[a], pairs[b] = pairs[b], pairs[a] })
		}
		kind, phase := pairs[i%len(pairs)][0], pairs[i%len(pairs)][1]
		r := s.fault(ctx, i+1, kind, phase)
		t.add(kind, phase, r)
		fmt.Printf("fault %3d/%d  %-9s %-10s at %5.1f s: %s\n", i+1, n, kind, phase, r.at, r.say())
	}
	if ctx.Err() != nil {
		return 0, fmt.Errorf("interrupted")
	}
	t.print(os.Stdout)
	return t.lost, nil
}

// result of one fault.
type result struct {
	at        float64 // seconds into the run when the fault landed.
	exit      string  // how the faulted run ended.
	recovered bool    // the run again finished with the uninterrupted result.
	problem   string  // why not, or what else is wrong (an unclear error).
	unclear   bool
}

func (r result) say() string {
	if r.recovered && r.problem == "" {
		return r.exit + "; again: finished, same result"
	}
	return r.exit + "; " + r.problem
}

// freshDir is a new directory on the runs' filesystem.
func (s *soak) freshDir(name string) (string, error) {
	dir := filepath.Join(s.fs, name)
	os.RemoveAll(dir)
	return dir, os.MkdirAll(dir, 0o755)
}

// fault runs one scenario with one fault landing at a random instant while it
// runs, then runs it again. An instant past the run's end is drawn again,
// earlier.
func (s *soak) fault(ctx context.Context, i int, kind, phase string) result {
	sc, ref := s.scenario[phase], s.refs[phase]
	limit := time.Duration(5*ref.seconds)*time.Second + 2*time.Minute
	for try := 0; ; try++ {
		dir, err := s.freshDir(fmt.Sprintf("fault-%03d", i))
		if err != nil {
			return result{problem: err.Error()}
		}
		if sc.prep != nil {
			if err := sc.prep(dir); err != nil {
				return result{problem: err.Error()}
			}
		}
		// The instant: a fraction of the uninterrupted run, smaller at each retry.
		at := time.Duration(s.rng.Float64() * ref.seconds * float64(time.Second) / float64(1+try))
		r, landed := s.inject(ctx, sc, dir, kind, at, limit)
		if !landed && try < 5 {
			continue
		}
		if !landed {
			return result{problem: "the fault never landed while the run went on (5 tries)"}
		}
		s.restore(dir)
		again, err := s.rerun(ctx, sc, dir, limit)
		switch {
		case err != nil:
			r.note("run again: " + err.Error())
		case again.timedOut:
			r.note(fmt.Sprintf("run again: still running after %s (wedged)", limit))
		case again.status != 0:
			r.note(fmt.Sprintf("run again: status %d: %s", again.status, tail(again.stderr, 3)))
		default:
			got, err := sc.read(dir, again.stdout)
			switch {
			case err != nil:
				r.note("run again: " + err.Error())
			case got != ref.result:
				r.note(fmt.Sprintf("run again: a result other than the uninterrupted run's:\n    got  %.300s\n    want %.300s", got, ref.result))
			default:
				r.recovered = true
			}
		}
		if r.unclear {
			r.note("the error does not name the file and what to do")
		}
		if r.recovered && r.problem == "" {
			os.RemoveAll(dir)
		} else {
			os.WriteFile(filepath.Join(s.work, fmt.Sprintf("fault-%03d.log", i)), []byte(r.problem+"\n"), 0o644)
		}
		return r
	}
}

// note adds a problem.
func (r *result) note(problem string) {
	if r.problem != "" {
		r.problem += "; "
	}
	r.problem += problem
}

// inject starts the run and lands the fault at the instant (or, for
// checkpoints, when a checkpoint file appears after it; for downloads,
// inside a file the mirror serves), then waits for the run to end. landed is
// false when the run ended before the fault.
func (s *soak) inject(ctx context.Context, sc scenario, dir, kind string, at, limit time.Duration) (result, bool) {
	r := result{}
	var trigger <-chan struct{}
	if sc.phase == "download" {
		trigger = s.mirror.arm(kind, s.rng)
		defer s.mirror.disarm()
	}
	cmd, out, errOut, err := s.start(ctx, sc, dir)
	if err != nil {
		return result{problem: err.Error()}, true
	}
	started := time.Now()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	ended := func() bool {
		select {
		case err := <-done:
			done <- err // for wait.
			return true
		default:
			return false
		}
	}
	// Wait for the instant.
	switch {
	case sc.phase == "download":
		select {
		case <-trigger:
		case err := <-done:
			done <- err
		}
	case sc.phase == "checkpoint": // the next checkpoint begun after the instant.
		time.Sleep(at)
		before := s.checkpoints(dir)
		for !ended() && !slices.ContainsFunc(s.checkpoints(dir), func(f string) bool { return !slices.Contains(before, f) }) {
			time.Sleep(2 * time.Millisecond) // polling for the file being written.
		}
	default:
		time.Sleep(at)
	}
	if ended() {
		wait(cmd, done, started, out, errOut, limit)
		return r, false
	}
	r.at = time.Since(started).Seconds()
	switch kind {
	case "kill":
		cmd.Process.Signal(syscall.SIGKILL)
	case "interrupt":
		cmd.Process.Signal(syscall.SIGINT)
	case "disk-full":
		s.fill()
	case "read-only":
		if err := readOnly(filepath.Join(dir, "models")); err != nil {
			cmd.Process.Kill()
			wait(cmd, done, started, out, errOut, limit)
			return result{problem: "making the model directory read-only: " + err.Error()}, true
		}
	case "stall", "cut": // the mirror does it.
	}
	o := wait(cmd, done, started, out, errOut, limit)
	switch {
	case o.timedOut:
		r.exit = fmt.Sprintf("still running %s after the fault (killed)", limit)
		r.note("the run did not stop or finish after the fault")
	case o.status == -1:
		r.exit = "killed"
	case o.status == 0:
		r.exit = "finished"
	default:
		r.exit = fmt.Sprintf("status %d", o.status)
		if kind == "disk-full" || kind == "read-only" {
			r.unclear = !clearError(o.stderr, dir)
			if r.unclear {
				r.exit += ": " + tail(o.stderr, 2)
			}
		}
	}
	if kind == "interrupt" && o.status != 130 && o.status != 0 {
		r.note(fmt.Sprintf("Ctrl-C ended the run with status %d, want 130 (or 0 when it had just finished): %s", o.status, tail(o.stderr, 2)))
	}
	return r, true
}

// clearError reports whether stderr names a path below dir and says what to do.
func clearError(stderr, dir string) bool {
	return strings.Contains(stderr, dir) && strings.Contains(stderr, "run the same command again")
}

// checkpoints lists the checkpoint files of the run's models.
func (s *soak) checkpoints(dir string) []string {
	m, _ := filepath.Glob(filepath.Join(dir, "models", "*", "checkpoint-*.bin"))
	return m
}

// fill writes a file over the runs' filesystem until it is full.
func (s *soak) fill() {
	f, err := os.Create(filepath.Join(s.fs, "filler"))
	if err != nil {
		return
	}
	defer f.Close()
	chunk := make([]byte, 1<<20)
	for {
		if _, err := f.Write(chunk); err != nil {
			return
		}
	}
}

// readOnly puts a read-only bind mount over dir: the run's files already
// open stay writable (as on a filesystem remounted read-only under a running
// job, which Linux refuses while files are open for writing), every new open
// for writing fails with EROFS.
func readOnly(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if out, err := exec.Command("mount", "--bind", dir, dir).CombinedOutput(); err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	if out, err := exec.Command("mount", "-o", "remount,bind,ro", dir).CombinedOutput(); err != nil {
		exec.Command("umount", dir).Run()
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
}

// restore undoes a fault's lasting effects: the filler file, a read-only mount.
func (s *soak) restore(dir string) {
	os.Remove(filepath.Join(s.fs, "filler"))
	models := filepath.Join(dir, "models")
	for exec.Command("mountpoint", "-q", models).Run() == nil {
		if exec.Command("umount", models).Run() != nil {
			break
		}
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}

// mirror serves the MNIST files laid out as $VAEKIT_MIRRORS expects, and
// lands a fault inside one of them when armed.
type mirror struct {
	srv *http.Server
	url string
	dir string

	mu      sync.Mutex
	kind    string        // "" when disarmed.
	file    string        // the file (base name) the fault lands in.
	offset  int           // after this many bytes of it.
	trigger chan struct{} // closed when the fault lands.
	fired   bool
}

func newMirror(dir string) (*mirror, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	m := &mirror{dir: dir, url: "http://" + l.Addr().String() + "/data"}
	m.srv = &http.Server{Handler: http.HandlerFunc(m.serve)}
	go m.srv.Serve(l)
	return m, nil
}

var mirrorFiles = []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}

// arm sets the next fault: in a random file, after a random share of it.
func (m *mirror) arm(kind string, rng *rand.Rand) <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.kind, m.fired, m.trigger = kind, false, make(chan struct{})
	m.file = mirrorFiles[rng.IntN(len(mirrorFiles))]
	fi, err := os.Stat(filepath.Join(m.dir, m.file))
	if err == nil {
		m.offset = rng.IntN(int(fi.Size()))
	}
	return m.trigger
}

func (m *mirror) disarm() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.kind = ""
}

func (m *mirror) serve(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, "/data/mnist/")
	if !ok || !slices.Contains(mirrorFiles, name) {
		http.NotFound(w, r)
		return
	}
	content, err := os.ReadFile(filepath.Join(m.dir, name))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	m.mu.Lock()
	kind, fire := m.kind, m.kind != "" && !m.fired && m.file == name
	offset := m.offset
	if fire {
		m.fired = true
	}
	m.mu.Unlock()
	if !fire {
		w.Header().Set("Content-Length", fmt.Sprint(len(content)))
		w.Write(content)
		return
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(content)))
	w.Write(content[:offset])
	w.(http.Flusher).Flush()
	close(m.trigger) // the soak sends its signal now, mid-file.
	switch kind {
	case "cut":
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
	case "stall":
		<-r.Context().Done() // nothing more, until the client gives up.
	default:
		select { // kill, interrupt: the rest once the signal has landed, if the client still reads.
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
			w.Write(content[offset:])
		}
	}
}

// table counts faults by kind and phase.
type table struct {
	faults, recovered, unclear map[[2]string]int
	n, rec, lost, unclearN     int
}

func newTable() *table {
	return &table{faults: map[[2]string]int{}, recovered: map[[2]string]int{}, unclear: map[[2]string]int{}}
}

// add counts a fault: recovered when the run again finished with the
// uninterrupted result and any error was clear; lost otherwise.
func (t *table) add(kind, phase string, r result) {
	k := [2]string{kind, phase}
	t.faults[k]++
	t.n++
	if r.unclear {
		t.unclear[k]++
		t.unclearN++
	}
	if r.recovered && r.problem == "" {
		t.recovered[k]++
		t.rec++
	} else {
		t.lost++
	}
}

func (t *table) print(w io.Writer) {
	fmt.Fprintf(w, "\n%-10s", "faults")
	for _, p := range phases {
		fmt.Fprintf(w, " %12s", p)
	}
	fmt.Fprintf(w, " %12s\n", "all")
	for _, kind := range kinds {
		fmt.Fprintf(w, "%-10s", kind)
		all, allRec := 0, 0
		for _, p := range phases {
			k := [2]string{kind, p}
			if !applies(kind, p) {
				fmt.Fprintf(w, " %12s", "·")
				continue
			}
			fmt.Fprintf(w, " %12s", fmt.Sprintf("%d/%d", t.recovered[k], t.faults[k]))
			all += t.faults[k]
			allRec += t.recovered[k]
		}
		fmt.Fprintf(w, " %12s\n", fmt.Sprintf("%d/%d", allRec, all))
	}
	fmt.Fprintf(w, "(recovered/faults: the same command run again finished with the uninterrupted run's result; %d error(s) did not name the file and what to do)\n", t.unclearN)
	fmt.Fprintf(w, "faults %d, recovered %d, lost %d\n", t.n, t.rec, t.lost)
}
