// Package experiments is what vaekit's figures measure with: each experiment's
// hyperparameters (a typed value with the article's defaults), its training,
// checkpointed under its models directory by those hyperparameters and loaded
// when trained before (Train…, TrainModel), and the sample scorers (FIDScorer).
// The figures, the vaekit command and the notebooks share it; it draws
// nothing and links no notebook code.
package experiments

import (
	"os"

	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/slurm"
)

// QuickEnv is the one switch that puts the notebooks in quick mode (small
// epochs and subsets, the same code path), as `vaekit figures --quick` does.
const QuickEnv = "VAEKIT_QUICK"

// Options of a run of experiments (and of the figures made from them).
type Options struct {
	// Quick runs small epochs/subsets: each figure within 3 minutes on 2 cores.
	Quick bool
	// Out is where NAME.png, NAME.svg, NAME.pdf and NAME.json are written.
	Out string
	// Models is where trained models are kept (checkpoints by hyperparameters),
	// shared by the command and the notebooks; "" means vaekit.ModelsDir().
	Models string
	// Progress shows training progress.
	Progress bool
	// Dataset replaces MNIST, for the figures that train on it, by your own
	// images: a folder (one sub-folder per class, or none), an IDX or a .npy
	// file, made 28×28 grey (datasets.ReadImages); its last sixth is the
	// test split. "" is MNIST.
	Dataset string
	// Seed of the experiments the catalogue makes (initialisation,
	// shuffling, noise); a figure's JSON records its experiment's own.
	Seed int64
	// Seeds is how many seeds each setting of a comparison is trained
	// with (Seed, Seed+1, …; each a run of its own, kept under its key),
	// compared by package verdict's rule; 0 or 1: one.
	Seeds int

	// Slurm, when set, has a sweep (figures.SweepVAE, SweepGAN) train its
	// runs as the tasks of a Slurm job array instead of here, and measure
	// each here as it finishes (docs/cluster.md).
	Slurm *slurm.Options

	// OnEpoch, when set (a sweep sets it), is told each epoch's metrics of
	// the model training, with a way to draw 16 samples of it.
	OnEpoch func(epoch int, metrics map[string]float64, samples func() ([][]float32, error))

	// runs collects the model directories that figures train or load
	// (WithRunLog starts one): a figure's JSON names them. Nil collects nothing.
	runs *runList
}

// FullStepsPerCall is how many training steps a call of the compiled
// program runs at the articles' settings (docs/benchmarks.md, round five:
// 4 gave vae-mlp, the deep AE and the conv AE 14–29 % more steps a second
// than one); quick runs take one a call, as their compilation, which grows
// with it, would outweigh what they gain.
const FullStepsPerCall = 4

// TrainOptions are what the catalogue's runs train with: kept in dir,
// progress as o says, and $VAEKIT_STEPS_PER_CALL steps a call when set,
// else FullStepsPerCall at the articles' settings and one in quick mode.
// The steps a call change no update, so a run's key does not hold them.
func (o Options) TrainOptions(dir string) vaekit.TrainOptions {
	t := vaekit.TrainOptions{Dir: dir, Progress: o.Progress}
	if !o.Quick && os.Getenv(vaekit.StepsPerCallEnv) == "" {
		t.StepsPerCall = FullStepsPerCall
	}
	return t
}

// QuickFromEnv reports whether $VAEKIT_QUICK asks for quick runs.
func QuickFromEnv() bool {
	v := os.Getenv(QuickEnv)
	return v != "" && v != "0" && v != "false"
}

// About is what a figure's JSON says of the run behind its numbers; every
// figure's measurements carry it to their Draw.
type About struct {
	Hyperparameters any
	Dataset         map[string]any // name and sizes of the data used.
	History         *vaekit.History
	Network         string // the fingerprint of the model's networks, if one model made it.
}

// WithQuick returns opts in quick mode when on is true (small epochs and
// subsets, the same code: minutes a notebook), or when $VAEKIT_QUICK asks
// for it (as the tests do); else at the articles' settings.
func (o Options) WithQuick(on bool) Options {
	o.Quick = on || QuickFromEnv()
	return o
}

// FullOrQuick is full, or quick in quick mode: a notebook's hyperparameter cell
// writes both (epochs, steps), so that each is in sight.
func (o Options) FullOrQuick(full, quick int) int {
	if o.Quick {
		return quick
	}
	return full
}

// WithSeeds returns opts whose comparisons train each arm over full seeds,
// or quick ones in quick mode (see Options.Seeds): a notebook's first cell
// says it once for all its comparisons.
func (o Options) WithSeeds(full, quick int) Options {
	o.Seeds = o.FullOrQuick(full, quick)
	return o
}

// Mode says which settings a notebook runs with, for its first output.
func (o Options) Mode() string {
	if o.Quick {
		return "vaekit: quick mode (small epochs and subsets, the same code): numbers are not the articles'"
	}
	return "vaekit: full settings (the articles')"
}

// WithSlurm returns opts whose sweeps train their runs on Slurm, submitted
// with sbatch's options o (see Options.Slurm).
func (o Options) WithSlurm(so slurm.Options) Options {
	o.Slurm = &so
	return o
}

// WithDataset returns opts training on your own images instead of MNIST
// (see Options.Dataset); "" keeps MNIST.
func (o Options) WithDataset(path string) Options {
	o.Dataset = path
	return o
}
