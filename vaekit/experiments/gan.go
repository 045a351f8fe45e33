package experiments

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
)

// GANExperiment determines a GAN figure.
type GANExperiment struct {
	vaekit.GANConfig
	TrainSize int `json:"train_size"` // first N training digits; 0 for all.
}

// DefaultDCGANExperiment: the DCGAN for 5 epochs on all of MNIST; quick: one
// pass over 16,000 digits (250 steps).
func DefaultDCGANExperiment(quick bool, seed int64) GANExperiment {
	exp := GANExperiment{GANConfig: vaekit.DefaultDCGANConfig()}
	exp.Seed = seed
	if quick {
		exp.Epochs, exp.TrainSize = 1, 16000
	}
	return exp
}

// DefaultMLPGANExperiment: the MLP GAN for 20 epochs on all of MNIST;
// quick: one pass over 16,000 digits (250 steps), as the DCGAN's.
func DefaultMLPGANExperiment(quick bool, seed int64) GANExperiment {
	exp := GANExperiment{GANConfig: vaekit.DefaultMLPGANConfig()}
	exp.Seed, exp.Epochs = seed, 20
	if quick {
		exp.Epochs, exp.TrainSize = 1, 16000
	}
	return exp
}

// TrainedGAN is a GAN trained on MNIST, with its snapshots: samples from
// fixed noise taken during training.
type TrainedGAN struct {
	Experiment GANExperiment
	GAN        *vaekit.GAN
	History    *vaekit.History
	Train      *datasets.ImageSet
	Snapshots  []Snapshot
	Probes     []Probe
	Dir        string // checkpoint directory.
}

// Snapshot is what the generator made of fixed noise at a step.
type Snapshot struct {
	Step   int         `json:"step"`
	Images [][]float32 `json:"images"`
}

// Probe is, at a step, D(G(z)) and the generator losses' gradients for
// fixed noise (see vaekit.GAN.Probe).
type Probe struct {
	Step int `json:"step"`
	vaekit.GANProbe
}

// ganRecord is what TrainGAN records at a step (History.Records): a
// snapshot, a probe, or both.
type ganRecord struct {
	Snapshot *Snapshot `json:"snapshot,omitempty"`
	Probe    *Probe    `json:"probe,omitempty"`
}

const snapshotRows = 6 // snapshots over a training run.
// TrainGAN trains (or loads) a GAN on MNIST. During training it records
// snapshots of samples from fixed noise and probes of the generator's
// gradients in the run's history (a resumed or reused run keeps them).
func TrainGAN(ctx context.Context, exp GANExperiment, opts Options) (*TrainedGAN, error) {
	train, _, err := LoadImages(ctx, opts, exp.TrainSize, 1)
	if err != nil {
		return nil, err
	}
	gan, err := vaekit.NewGAN(exp.GANConfig)
	if err != nil {
		return nil, err
	}
	dir, err := ModelDir(opts, "gan", exp.GANConfig, gan, train)
	if err != nil {
		return nil, err
	}
	perEpoch := train.Count / (exp.DSteps * exp.BatchSize)
	total := perEpoch * exp.Epochs
	var onEpoch func(int, map[string]float64) error
	if opts.OnEpoch != nil {
		z, labels := gan.UniformNoise(16, 99), probeLabels(exp.Conditional, 16)
		onEpoch = func(epoch int, m map[string]float64) error {
			opts.OnEpoch(epoch, m, func() ([][]float32, error) { return gan.Generate(z, labels) })
			return nil
		}
	}
	trainOpts := opts.TrainOptions(dir) // one step a call: it records samples.
	// Quick runs take a quarter of the probes: each costs a run over the probe
	// set (and, on the Go backend, a new executable: Eval).
	probes := opts.FullOrQuick(40, 10)
	trainOpts.RecordEvery, trainOpts.Record, trainOpts.OnEpoch = max(1, total/200), ganRecorder(gan, exp.Conditional, total, probes), onEpoch
	hist, err := gan.Train(ctx, vaekit.ImageData(train), trainOpts)
	if err != nil {
		return nil, err
	}
	t := &TrainedGAN{Experiment: exp, GAN: gan, History: hist, Train: train, Dir: dir}
	for _, r := range hist.Records {
		var rec ganRecord
		if err := json.Unmarshal(r.Data, &rec); err != nil {
			return nil, fmt.Errorf("the GAN's history in %s has a damaged record at step %d (%v): delete %s to train again",
				dir, r.Step, err, dir)
		}
		if rec.Snapshot != nil {
			t.Snapshots = append(t.Snapshots, *rec.Snapshot)
		}
		if rec.Probe != nil {
			t.Probes = append(t.Probes, *rec.Probe)
		}
	}
	return t, nil
}

// ganRecorder records, over a run of total steps, snapshotRows snapshots
// of fixed noise and (about) probes probes.
func ganRecorder(gan *vaekit.GAN, conditional bool, total, probes int) func(step int) (any, error) {
	snapAt := map[int]bool{}
	for i := 1; i <= snapshotRows; i++ {
		snapAt[max(1, total*i/snapshotRows)] = true
	}
	fixedZ, probeZ := gan.UniformNoise(10, 99), gan.UniformNoise(64, 7)
	var labels []int32
	if conditional {
		labels = []int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	}
	probeEvery := max(1, total/probes)
	return func(step int) (any, error) {
		var rec ganRecord
		if snapAt[step] {
			images, err := gan.Generate(fixedZ, labels)
			if err != nil {
				return nil, err
			}
			rec.Snapshot = &Snapshot{Step: step, Images: images}
		}
		if step%probeEvery == 0 || step == 1 {
			p, err := gan.Probe(probeZ, probeLabels(conditional, len(probeZ)))
			if err != nil {
				return nil, err
			}
			rec.Probe = &Probe{Step: step, GANProbe: *p}
		}
		if rec.Snapshot == nil && rec.Probe == nil {
			return nil, nil
		}
		return rec, nil
	}
}

func probeLabels(conditional bool, n int) []int32 {
	if !conditional {
		return nil
	}
	labels := make([]int32, n)
	for i := range labels {
		labels[i] = int32(i % 10)
	}
	return labels
}

// Samples draws n images from the GAN (labels cycling 0–9 if conditional).
func (t *TrainedGAN) Samples(n int, seed uint64) ([][]float32, []int32, error) {
	labels := probeLabels(t.Experiment.Conditional, n)
	images, err := t.GAN.Generate(t.GAN.UniformNoise(n, seed), labels)
	return images, labels, err
}

func ganDataset(t *TrainedGAN) map[string]any {
	return map[string]any{"name": DataName(t.Train), "train": t.Train.Name, "train_size": t.Train.Count}
}

// About is what a figure made of this one GAN says of it.
func (t *TrainedGAN) About() About {
	return About{Hyperparameters: t.Experiment, Dataset: ganDataset(t), History: t.History}
}

// AddTo adds q's numbers to metrics, each key ending in suffix.
func (q SampleQuality) AddTo(metrics map[string]any, suffix string) {
	metrics["mnist_fid"+suffix], metrics["kid"+suffix], metrics["kid_std"+suffix] = q.FID, q.KID, q.KIDStd
	metrics["precision"+suffix], metrics["recall"+suffix] = q.Precision, q.Recall
}
