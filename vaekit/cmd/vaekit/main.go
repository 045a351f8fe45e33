// Command vaekit reproduces the figures of vaekit's four articles headless.
//
//	vaekit figures --list
//	vaekit figures [--quick] [--out DIR] [--models DIR] [--seed N] [--seeds N] [--timing] [--dataset PATH] NAME... | all
//	vaekit score [--models DIR] PATH...
//	vaekit runs [--models DIR] [--json] | compare A B
//	vaekit sweep [--quick] [--out DIR] [--models DIR] [--seed N] [--seeds N] vae|gan PARAM=V1,V2,... [PARAM=...]
//	vaekit sweep --slurm [--detach] [sbatch's options] [sweep flags] vae|gan PARAM=V1,V2,...
//	vaekit figures --slurm [--detach] [sbatch's options] [figures flags] NAME... | all
//	vaekit backend
//
// Each figure NAME is written as DIR/NAME.png, DIR/NAME.svg, DIR/NAME.pdf and DIR/NAME.json
// (metrics, hyperparameters, data, backend, seed, wall time). Ctrl-C (or
// SIGTERM) stops training after the current step with a checkpoint saved:
// running the same command again resumes it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/experiments"
	"github.com/vaekit/vaekit/vaekit/figures"
)

const usage = `vaekit reproduces the figures of autoencoder, VAE and GAN articles, on GoMLX.

Usage:
  vaekit figures --list
  vaekit figures [--quick] [--out DIR] [--models DIR] [--seed N] [--seeds N] [--timing] [--devices N] [--dataset PATH] NAME... | all
                                        (--dataset: your own images instead of MNIST: a folder with one
                                        sub-folder per class, a folder of images, an IDX or a .npy file;
                                        --seeds N: each figure with N seeds, its comparisons' per-seed values
                                        drawn below it, verdicts by one rule: docs/verdicts.md)
  vaekit figures --slurm [--detach] [sbatch's options, as for sweep] [figures flags] NAME... | all
                                        each figure × seed not yet made a task of a Slurm job array (it trains
                                        that figure's runs), followed until done, then drawn here from them
  vaekit bench [--steps N] [--matmul N] [--devices N] [MODEL...]
                                        (vae-mlp, deep-ae, conv-ae, dcgan, and overhead: a step's fixed cost; one JSON line each)
  vaekit score [--models DIR] [--json] PATH...
                                        mnist_fid, KID, precision and recall of your own images (a folder of
                                        PNG/JPEG/PGM, an IDX or a .npy file), and the digits the classifier reads
  vaekit sweep [--quick] [--out DIR] [--models DIR] [--seed N] [--seeds N] vae|gan PARAM=V1,V2,... [PARAM=...]
                                        one run per setting and seed (e.g. vae KLWeight=0.5,1,4; gan LearningRate=1e-4,2e-4),
                                        side by side: a table (mean ± sd over the seeds), verdicts by one rule
                                        (docs/verdicts.md), and sweep-MODEL-PARAM.{png,svg,pdf,json}
  vaekit sweep --slurm [--detach] [--partition P] [--time T] [--cpus-per-task N] [--gpus G] [--gres R]
               [--account A] [--qos Q] [--sbatch "ARGS"] [sweep flags] vae|gan PARAM=V1,V2,...
                                        each unfinished run a task of a Slurm job array, followed until done,
                                        then the same figure; run again to resume what failed (docs/cluster.md)
  vaekit runs [--models DIR] [--json]   the trained models and how each was made (code, versions, backend,
                                        hyperparameters, data, time, final metrics)
  vaekit runs [--models DIR] compare A B
                                        what differs between two runs (directory names, as listed)
  vaekit backend                        the backend that training would use (go, xla:cpu, xla:cuda), and why

Settings (environment):
  VAEKIT_DATA     directory of offline data copies (laid out like shared/datasets)
  VAEKIT_MODELS   where trained models are kept (default: the user cache)
  VAEKIT_MIRRORS  base URLs of mirrors of one's own (comma-separated, laid out like shared/datasets), tried first
  GOMLX_BACKEND   backend: go, xla:cpu, xla:cuda (default: XLA if a plugin is installed, else go)
  VAEKIT_DEVICES  devices each training step is split over (XLA; --devices)
  VAEKIT_STEPS_PER_CALL  training steps each call of the compiled program runs (default 1)
  VAEKIT_SEEDS_AT_ONCE  seeds of a figure (--seeds) that train at the same time (default 2)
  VAEKIT_PROGRESS_EVERY  how often a log gets a progress line (default 30s)
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the exit: 0 success, 1 a failed figure, 2 bad usage.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	switch args[0] {
	case "figures":
		return runFigures(args[1:], stdout, stderr)
	case "bench":
		return runBench(args[1:], stdout, stderr)
	case "score":
		return runScore(args[1:], stdout, stderr)
	case "runs":
		return runRuns(args[1:], stdout, stderr)
	case "sweep":
		return runSweep(args[1:], stdout, stderr)
	case "backend":
		config, reason := vaekit.BackendConfig()
		name, _, _ := strings.Cut(config, ":parallelism")
		fmt.Fprintln(stdout, name)
		fmt.Fprintf(stderr, "vaekit: backend %s: %s\n", name, reason)
		return 0
	default:
		fmt.Fprintf(stderr, "vaekit: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}

func runFigures(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vaekit figures", flag.ContinueOnError)
	fs.SetOutput(stderr)
	list := fs.Bool("list", false, "list the figure names and exit")
	quick := fs.Bool("quick", false, "small epochs and subsets (CI, smoke runs): each figure within 3 minutes on 2 cores")
	out := fs.String("out", "figures-out", "directory for NAME.png, NAME.svg, NAME.pdf and NAME.json")
	models := fs.String("models", "", "directory of trained models (default $VAEKIT_MODELS or the user cache)")
	seed := fs.Int64("seed", 0, "random seed (the first, with --seeds)")
	seeds := fs.Int("seeds", 1, "make each figure with N seeds (--seed, --seed+1, …): its comparisons over the seeds, verdicts by one rule")
	devices := fs.Int("devices", 0, "train over N devices, data parallel (XLA; default $VAEKIT_DEVICES or 1)")
	dataset := fs.String("dataset", "", "your own images instead of MNIST (folder, IDX or .npy; made 28×28 grey)")
	timing := fs.Bool("timing", false, "say where each figure's seconds went: training, measuring (loading, NLL, FID, classifiers), drawing")
	var onSlurm slurmFlags
	onSlurm.register(fs)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage, "\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if err := onSlurm.check(fs); err != nil {
		fmt.Fprintf(stderr, "vaekit figures: %v\n", err)
		return 2
	}
	if !setDevices(*devices, stderr) {
		return 2
	}
	if *seeds < 1 {
		fmt.Fprintf(stderr, "vaekit figures: --seeds %d: want 1 or more\n", *seeds)
		return 2
	}
	if *list {
		for _, s := range figures.All() {
			fmt.Fprintf(stdout, "%-22s %s (article %s)\n", s.Name, s.Summary, s.Article)
		}
		return 0
	}
	names, err := figureNames(fs.Args())
	if err != nil {
		fmt.Fprintf(stderr, "vaekit figures: %v\n", err)
		return 2
	}
	if err := checkOutDir(*out); err != nil {
		fmt.Fprintf(stderr, "vaekit figures: --out %s: %v\n", *out, err)
		return 2
	}
	if *dataset != "" { // read now: a bad path is said before anything trains.
		if _, err := datasets.ReadImages(*dataset, 28, 28); err != nil {
			fmt.Fprintf(stderr, "vaekit figures: --dataset: %v\n", err)
			return 2
		}
	}
	if _, err := vaekit.Backend(); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	ctx, stop := interruptContext(stderr, os.Exit)
	defer stop()
	opts := experiments.Options{Quick: *quick, Out: *out, Models: *models, Progress: true, Seed: *seed, Seeds: *seeds, Dataset: *dataset}
	if onSlurm.on {
		var err error
		if opts.Models, err = absModels(opts.Models); err != nil {
			sayError(stderr, "vaekit figures", err)
			return 1
		}
		if opts.Dataset != "" {
			if opts.Dataset, err = filepath.Abs(opts.Dataset); err != nil {
				sayError(stderr, "vaekit figures", err)
				return 1
			}
		}
		w := figuresWork(names, *quick, *seed, *seeds, opts)
		if done, status := trainOnSlurm(ctx, w, opts.Models, &onSlurm, stderr); !done {
			return status
		}
	}
	status := 0
	for _, name := range names {
		rec, res, err := figures.Run(ctx, name, opts)
		if err != nil {
			sayError(stderr, "vaekit", err)
			status = 1
			if ctx.Err() != nil {
				break
			}
			continue
		}
		fmt.Fprintf(stdout, "%s: wrote %s/{%s} in %.1fs (%s)\n", name, *out, strings.Join(rec.Files, ","), rec.WallSeconds, rec.Backend)
		if *timing && rec.Time != nil {
			fmt.Fprintf(stdout, "%s: time: %v\n", name, *rec.Time)
		}
		if reading, ok := res.Metrics["seeds_reading"].(string); ok {
			fmt.Fprintf(stdout, "%s: %s\n", name, reading)
		}
	}
	if ctx.Err() != nil {
		return exitInterrupted
	}
	return status
}

// figureNames are the figures the command line names ("all": every one),
// or an error naming the unknown ones.
func figureNames(args []string) ([]string, error) {
	if len(args) == 0 {
		return nil, errors.New("name at least one figure (or all); see vaekit figures --list")
	}
	if slices.Contains(args, "all") {
		return figures.Names(), nil
	}
	var unknown []string
	for _, n := range args {
		if _, ok := figures.Lookup(n); !ok {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("unknown figure %s; known: %s", strings.Join(unknown, ", "), strings.Join(figures.Names(), ", "))
	}
	return args, nil
}

// sayError writes err, and what to do about it where vaekit.Advice knows
// (a full disk, a directory that cannot be written).
func sayError(stderr io.Writer, prefix string, err error) {
	fmt.Fprintf(stderr, "%s: %v\n", prefix, err)
	if advice := vaekit.Advice(err); advice != "" {
		fmt.Fprintf(stderr, "%s: %s\n", prefix, advice)
	}
}

// exitInterrupted is the status of a run stopped by Ctrl-C or SIGTERM, as
// shells report a process killed by SIGINT (128 + 2).
const exitInterrupted = 130

// interruptContext is cancelled by the first Ctrl-C or SIGTERM (training
// then stops after its current step, with a checkpoint saved); a second one
// calls exit(130) at once.
func interruptContext(stderr io.Writer, exit func(int)) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-signals:
		case <-done:
			return
		}
		fmt.Fprintln(stderr, "vaekit: interrupted; stopping after the current step with a checkpoint saved (again to quit at once)")
		cancel()
		select {
		case <-signals:
			fmt.Fprintln(stderr, "vaekit: interrupted again; quitting")
			exit(exitInterrupted)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(signals)
		close(done)
		cancel()
	}
}

// setDevices applies --devices (0: leave $VAEKIT_DEVICES), saying why not.
func setDevices(n int, stderr io.Writer) bool {
	if n == 0 {
		return true
	}
	if err := vaekit.SetDevices(n); err != nil {
		fmt.Fprintf(stderr, "vaekit: --devices: %v\n", err)
		return false
	}
	return true
}

// checkOutDir makes sure results can be written to dir before any training.
func checkOutDir(dir string) error {
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return errors.New("is a file; want a directory for the figures")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	probe, err := os.CreateTemp(dir, ".vaekit-probe-*")
	if err != nil {
		return fmt.Errorf("cannot write there: %w", err)
	}
	probe.Close()
	return os.Remove(probe.Name())
}

func runBench(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vaekit bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	steps := fs.Int("steps", 100, "timed steps per model (after 5 warm-up steps; at least 5 seconds)")
	matmul := fs.Int("matmul", 0, "also time N×N float32 matrix products on the backend (the ceiling; e.g. 2048)")
	devices := fs.Int("devices", 0, "train over N devices, data parallel (XLA; default $VAEKIT_DEVICES or 1)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if !setDevices(*devices, stderr) {
		return 2
	}
	models := fs.Args()
	if len(models) == 0 {
		models = vaekit.BenchModels
	}
	for _, m := range models {
		if !slices.Contains(vaekit.BenchModels, m) && m != vaekit.BenchOverhead {
			fmt.Fprintf(stderr, "vaekit bench: unknown model %q; known: %s, and %s (a step's fixed cost)\n", m,
				strings.Join(vaekit.BenchModels, ", "), vaekit.BenchOverhead)
			return 2
		}
	}
	if *matmul > 0 {
		gflops, err := vaekit.BenchMatMul(*matmul, 5*time.Second)
		if err != nil {
			fmt.Fprintf(stderr, "vaekit: matmul: %v\n", err)
			return 1
		}
		b, _ := vaekit.Backend()
		line, _ := json.Marshal(map[string]any{"model": "matmul", "n": *matmul, "gflops": gflops,
			"backend": vaekit.BackendName(b), "build": vaekit.BuildFlags()})
		fmt.Fprintln(stdout, string(line))
	}
	for _, m := range models {
		res, err := vaekit.Bench(m, *steps, 5*time.Second)
		if err != nil {
			fmt.Fprintf(stderr, "vaekit: %v\n", err)
			return 1
		}
		line, _ := json.Marshal(res)
		fmt.Fprintln(stdout, string(line))
	}
	return 0
}

// runScore prints the mnist_fid, KID, precision and recall of each set of
// images and the digits the classifier reads in it (one JSON line per set
// with --json).
func runScore(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vaekit score", flag.ContinueOnError)
	fs.SetOutput(stderr)
	models := fs.String("models", "", "directory of trained models (default $VAEKIT_MODELS or the user cache)")
	asJSON := fs.Bool("json", false, "one JSON line per set")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintf(stderr, "vaekit score: name at least one folder of images, IDX file or .npy file\n")
		return 2
	}
	code := 0
	var sets []*datasets.ImageSet
	for _, path := range fs.Args() {
		set, err := datasets.ReadImages(path, 28, 28)
		if err != nil {
			fmt.Fprintf(stderr, "vaekit score: %v\n", err)
			code = 1
			continue
		}
		sets = append(sets, set)
	}
	if len(sets) == 0 {
		return code
	}
	ctx, stop := interruptContext(stderr, os.Exit)
	defer stop()
	scorer, err := experiments.NewFIDScorer(ctx, experiments.Options{Models: *models, Progress: true})
	if err != nil {
		sayError(stderr, "vaekit score", err)
		return 1
	}
	for _, set := range sets {
		score, err := scorer.ScoreSet(set)
		if err != nil {
			fmt.Fprintf(stderr, "vaekit score: %v\n", err)
			code = 1
			continue
		}
		if *asJSON {
			raw, _ := json.Marshal(score)
			fmt.Fprintf(stdout, "%s\n", raw)
			continue
		}
		fmt.Fprintf(stdout, "%s: %d images, mnist_fid %.2f, KID %.4f ± %.4f, precision %.3f, recall %.3f; the classifier reads them as",
			set.Name, score.Images, score.FID, score.KID, score.KIDStd, score.Precision, score.Recall)
		for d, n := range score.Digits {
			fmt.Fprintf(stdout, " %d:%d", d, n)
		}
		fmt.Fprintln(stdout)
	}
	return code
}

// runRuns lists the models under the models directory with their records,
// or compares two of them.
func runRuns(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vaekit runs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	models := fs.String("models", "", "directory of trained models (default $VAEKIT_MODELS or the user cache)")
	asJSON := fs.Bool("json", false, "one JSON line per run")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	root := *models
	if root == "" {
		root = vaekit.ModelsDir()
	}
	if fs.NArg() > 0 {
		if fs.Arg(0) != "compare" || fs.NArg() != 3 {
			fmt.Fprintf(stderr, "vaekit runs: usage: vaekit runs [--models DIR] [--json] | compare A B (got %q)\n", strings.Join(fs.Args(), " "))
			return 2
		}
		var pair [2]vaekit.Run
		for i, name := range fs.Args()[1:] {
			run, err := vaekit.ReadRun(filepath.Join(root, filepath.Base(name)))
			if err != nil {
				fmt.Fprintf(stderr, "vaekit runs compare: %s: no run record in %s (%v); vaekit runs lists them\n", name, root, err)
				return 1
			}
			pair[i] = run
		}
		diff := vaekit.Differences(pair[0], pair[1])
		if len(diff) == 0 {
			fmt.Fprintf(stdout, "%s and %s: no differences\n", fs.Arg(1), fs.Arg(2))
		}
		for _, line := range diff {
			fmt.Fprintln(stdout, line)
		}
		return 0
	}
	runs, err := vaekit.Runs(root)
	if err != nil {
		fmt.Fprintf(stderr, "vaekit runs: %v\n", err)
		return 1
	}
	if len(runs) == 0 && !*asJSON {
		fmt.Fprintf(stdout, "no trained models with a record in %s\n", root)
	}
	for _, r := range runs {
		if *asJSON {
			line, _ := json.Marshal(r)
			fmt.Fprintln(stdout, string(line))
			continue
		}
		name := filepath.Base(r.Dir)
		if r.RunRecord == nil {
			fmt.Fprintf(stdout, "%-28s %-18s not trained since records were kept\n", name, r.Kind)
			continue
		}
		code := r.Code.Version
		if code == "" {
			code = r.Code.Commit
			if r.Code.Modified {
				code += "+modified"
			}
		}
		state := "finished"
		if !r.Finished {
			state = "unfinished"
		}
		fmt.Fprintf(stdout, "%-28s %-18s %s  %s, epoch %d (step %d), %.0f s on %s, code %s%s\n", name, r.Kind,
			r.Started.Local().Format("2006-01-02 15:04"), state, r.Epochs, r.Step, r.Seconds, r.Backend, code, finalLoss(r.Final))
	}
	return 0
}

// finalLoss is ", loss X" for a record's final metrics, when they have one.
func finalLoss(final map[string]float64) string {
	for _, name := range []string{"loss", "d_loss"} {
		if v, ok := final[name]; ok {
			return fmt.Sprintf(", final %s %.4g", name, v)
		}
	}
	return ""
}

// runSweep trains one model per setting of the parameters and writes the
// sweep's figure, table and reading.
func runSweep(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vaekit sweep", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "small epochs and subsets (CI, smoke runs)")
	out := fs.String("out", "figures-out", "directory for the sweep's .png, .svg, .pdf and .json")
	models := fs.String("models", "", "directory of trained models (default $VAEKIT_MODELS or the user cache)")
	seed := fs.Int64("seed", 0, "random seed (the first, with --seeds)")
	seeds := fs.Int("seeds", 1, "train each setting with N seeds (--seed, --seed+1, …) and compare the settings beyond seed spread")
	var onSlurm slurmFlags
	onSlurm.register(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if err := onSlurm.check(fs); err != nil {
		fmt.Fprintf(stderr, "vaekit sweep: %v\n", err)
		return 2
	}
	if fs.NArg() < 2 || (fs.Arg(0) != "vae" && fs.Arg(0) != "gan") {
		fmt.Fprintf(stderr, "vaekit sweep: usage: vaekit sweep [flags] vae|gan PARAM=V1,V2,... (got %q)\n", strings.Join(fs.Args(), " "))
		return 2
	}
	model := fs.Arg(0)
	params, err := figures.ParseSweep(fs.Args()[1:])
	if err != nil {
		fmt.Fprintf(stderr, "vaekit sweep: %v\n", err)
		return 2
	}
	if *seeds < 1 {
		fmt.Fprintf(stderr, "vaekit sweep: --seeds %d: want 1 or more\n", *seeds)
		return 2
	}
	params = figures.WithSeeds(params, *seed, *seeds)
	if err := checkOutDir(*out); err != nil {
		fmt.Fprintf(stderr, "vaekit sweep: --out %s: %v\n", *out, err)
		return 2
	}
	ctx, stop := interruptContext(stderr, os.Exit)
	defer stop()
	opts := experiments.Options{Quick: *quick, Out: *out, Models: *models, Progress: true, Seed: *seed}
	if onSlurm.on {
		if opts.Models, err = absModels(opts.Models); err != nil {
			sayError(stderr, "vaekit sweep", err)
			return 1
		}
		runs, err := figures.SweepRuns(params)
		if err != nil {
			fmt.Fprintf(stderr, "vaekit sweep: %v\n", err)
			return 2
		}
		quiet := opts
		quiet.Progress = false
		plan := func(ctx context.Context, i int) (*vaekit.Planned, error) {
			ctx = vaekit.PlanOnly(ctx)
			var err error
			if model == "vae" {
				_, err = figures.MeasureSweepVAE(ctx, experiments.DefaultVAEExperiment(*quick, *seed), runs[i], quiet)
			} else { // the scorer is not needed to plan: the GAN's training comes first.
				_, err = figures.MeasureSweepGAN(ctx, experiments.DefaultMLPGANExperiment(*quick, *seed), runs[i], nil, quiet)
			}
			p, ok := vaekit.AsPlanned(err)
			if !ok {
				return nil, fmt.Errorf("the run was not planned: %v", err)
			}
			return p, nil
		}
		w := figures.SweepWork(model, *quick, *seed, figures.SweepName(model, params), runs, opts.Models, plan)
		if done, status := trainOnSlurm(ctx, w, opts.Models, &onSlurm, stderr); !done {
			return status
		}
	}
	var res *figures.Result
	if model == "vae" {
		res, err = figures.SweepVAE(ctx, experiments.DefaultVAEExperiment(*quick, *seed), params, opts)
	} else {
		var scorer *experiments.FIDScorer
		if scorer, err = experiments.NewFIDScorer(ctx, opts); err == nil {
			res, err = figures.SweepGAN(ctx, experiments.DefaultMLPGANExperiment(*quick, *seed), params, scorer, opts)
		}
	}
	if err == nil {
		var rec *figures.Record
		name := figures.SweepName(model, params)
		if rec, err = figures.Export(name, res, opts); err == nil {
			fmt.Fprintf(stdout, "%s\n%s\n%s: wrote %s/{%s}\n", res.Metrics["table"], res.Metrics["reading"], name, *out, strings.Join(rec.Files, ","))
		}
	}
	if err != nil {
		sayError(stderr, "vaekit sweep", err)
		if ctx.Err() != nil {
			return exitInterrupted
		}
		return 1
	}
	return 0
}
