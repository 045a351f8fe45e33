package experiments

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"

	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/internal/atomicfile"
	"github.com/vaekit/vaekit/vaekit"
)

// FIDSamples is how many generated images mnist_fid compares with the
// 10,000 MNIST test digits: fixed, since the Fréchet distance of a sample
// depends on its size.
const FIDSamples = 5000

// FIDScorer computes mnist_fid: the Fréchet distance between the MNIST
// test set and generated images, on the 128 penultimate features of a
// small convolutional classifier (5×5 stride-2 convolutions with 32 and 64
// channels, dense 128, 10 logits; ReLU; Adam 1e-3, batch 100, 5 epochs on
// the 60,000 training digits, seed 0). The classifier is the same in quick
// and full runs, so numbers compare between them, but not with Inception
// FIDs.
type FIDScorer struct {
	Classifier   *vaekit.Classifier
	Accuracy     float64 // on the 10,000 test digits.
	Real         *vaekit.Gaussian
	RealFeatures [][]float32 // the test digits' features, for KID and precision/recall.
	// RealQuality scores FIDSamples real training digits: what a generator
	// that drew real digits would get, the reference beside every score.
	// Measured once per classifier and kept beside it, with Accuracy.
	RealQuality SampleQuality
	dir         string // the classifier's model directory.
}

// FIDClassifierConfig is the classifier behind mnist_fid.
var FIDClassifierConfig = vaekit.ClassifierConfig{Conv: []int{32, 64}, Layers: []int{128}, Classes: 10, Optimizer: "adam", LearningRate: 1e-3, BatchSize: 100}

const fidClassifierSteps = 3000 // 5 epochs of 60,000.
// NewFIDScorer trains (or loads) the classifier and measures the real digits
// (or reads them, measured by an earlier scorer of the same classifier).
func NewFIDScorer(ctx context.Context, opts Options) (*FIDScorer, error) {
	train, test, err := loadMNIST(ctx, 0, 0)
	if err != nil {
		return nil, err
	}
	clf, err := vaekit.NewClassifier(FIDClassifierConfig, nil)
	if err != nil {
		return nil, err
	}
	dir, err := ModelDir(opts, "mnist-classifier", struct {
		Config vaekit.ClassifierConfig
		Steps  int
	}{FIDClassifierConfig, fidClassifierSteps}, clf, train)
	if err != nil {
		return nil, err
	}
	if _, err := TrainSteps(ctx, clf, vaekit.ImageData(train), fidClassifierSteps, dir, opts.Progress); err != nil {
		return nil, err
	}
	testData := vaekit.ImageData(test)
	features, err := clf.Features(testData)
	if err != nil {
		return nil, err
	}
	real, err := vaekit.FitGaussian(features)
	if err != nil {
		return nil, err
	}
	s := &FIDScorer{Classifier: clf, Real: real, RealFeatures: features, dir: dir}
	if err := s.reference(testData, train); err != nil {
		return nil, err
	}
	return s, nil
}

// fidReference is what the scorer measures once per classifier and keeps on
// disk beside it (reference.json in its model directory), with the settings
// it was measured at: a later scorer of the same classifier reads it instead
// of scoring FIDSamples real digits again (seconds in every notebook cell).
type fidReference struct {
	Samples       int           `json:"samples"`
	KIDSubsets    int           `json:"kid_subsets"`
	KIDSubsetSize int           `json:"kid_subset_size"`
	PRNeighbours  int           `json:"pr_neighbours"`
	Accuracy      float64       `json:"classifier_test_accuracy"`
	RealQuality   SampleQuality `json:"real_quality"`
}

// reference fills s.Accuracy and s.RealQuality from the classifier's
// reference.json, or measures them (on test and FIDSamples of train) and
// writes it. A file that does not parse or was made at other settings is
// measured again; one that cannot be written is said, not fatal.
func (s *FIDScorer) reference(test *vaekit.Data, train *datasets.ImageSet) error {
	want := fidReference{Samples: FIDSamples, KIDSubsets: kidSubsets, KIDSubsetSize: kidSubsetSize, PRNeighbours: prNeighbours}
	path := filepath.Join(s.dir, "reference.json")
	var kept fidReference
	if raw, err := os.ReadFile(path); err == nil && json.Unmarshal(raw, &kept) == nil {
		settings := kept
		settings.Accuracy, settings.RealQuality = 0, SampleQuality{}
		if settings == want && kept.Accuracy > 0 {
			s.Accuracy, s.RealQuality = kept.Accuracy, kept.RealQuality
			return nil
		}
	}
	var err error
	if s.Accuracy, err = s.Classifier.Accuracy(test); err != nil {
		return err
	}
	if s.RealQuality, err = s.quality(vaekit.ImageData(train.Subset(FIDSamples))); err != nil {
		return err
	}
	want.Accuracy, want.RealQuality = s.Accuracy, s.RealQuality
	raw, _ := json.MarshalIndent(want, "", "  ")
	if err := atomicfile.WriteFile(path, append(raw, '\n')); err != nil {
		fmt.Fprintf(vaekit.Messages(), "vaekit: the real digits' reference is measured but not kept (%v): the next scorer measures it again\n", err)
	}
	return nil
}

// SampleQuality is what the scorer says of a set of images, each number on
// the classifier's 128 features against the MNIST test digits: mnist_fid (a
// Gaussian's distance, lower is better; it depends on the set's size), KID
// (unbiased; about 0 for a set drawn like the test digits and apart from
// them), and Kynkäänniemi et al.'s precision (the share of images that look
// like some test digits: quality) and recall (the share of test digits that
// some image looks like: coverage). Precision and recall take the features
// scaled to unit length: raw, a faint image's features lie near 0, inside
// the wide balls of faint test digits, and uniform noise scored precision 1.
type SampleQuality struct {
	FID       float64 `json:"mnist_fid"`
	KID       float64 `json:"kid"`
	KIDStd    float64 `json:"kid_std"` // over KID's subsets.
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
}

// KID's subsets, as torch-fidelity's defaults, and precision/recall's k, as the paper's.
const (
	kidSubsets    = 100
	kidSubsetSize = 1000
	prNeighbours  = 3
)

// Quality scores images (flat 784, in [0, 1]).
func (s *FIDScorer) Quality(images [][]float32) (SampleQuality, error) {
	return s.quality(FlatData("generated", images))
}

// quality scores data's examples. Precision and recall compare sets of
// one size, as their paper does: the first as many test digits as there
// are images (all 10,000 for a larger set, then against its first 10,000).
func (s *FIDScorer) quality(data *vaekit.Data) (SampleQuality, error) {
	var q SampleQuality
	features, err := s.Classifier.Features(data)
	if err != nil {
		return q, err
	}
	g, err := vaekit.FitGaussian(features)
	if err != nil {
		return q, err
	}
	if q.FID, err = vaekit.FrechetDistance(s.Real, g); err != nil {
		return q, err
	}
	if q.KID, q.KIDStd, err = vaekit.KID(s.RealFeatures, features, kidSubsets, kidSubsetSize, 1); err != nil {
		return q, err
	}
	n := min(len(features), len(s.RealFeatures))
	q.Precision, q.Recall, err = vaekit.PrecisionRecall(unitRows(s.RealFeatures[:n]), unitRows(features[:n]), prNeighbours)
	return q, err
}

// unitRows is rows, each scaled to unit length (a zero row stays zero).
func unitRows(rows [][]float32) [][]float32 {
	out := make([][]float32, len(rows))
	for i, r := range rows {
		norm := 0.0
		for _, v := range r {
			norm += float64(v) * float64(v)
		}
		out[i] = make([]float32, len(r))
		if norm > 0 {
			for j, v := range r {
				out[i][j] = float32(float64(v) / math.Sqrt(norm))
			}
		}
	}
	return out
}

// FlatData wraps images as vaekit.Data.
func FlatData(name string, images [][]float32) *vaekit.Data {
	d := &vaekit.Data{Name: name, Shape: []int{len(images[0])}}
	for _, img := range images {
		d.X = append(d.X, img...)
	}
	return d
}

// FIDMetrics describes the scorer behind a figure's mnist_fid numbers; the
// figure adds the numbers themselves.
func FIDMetrics(s *FIDScorer) map[string]any {
	return map[string]any{"fid_samples": FIDSamples, "fid_classifier_test_accuracy": s.Accuracy,
		"fid_note":              "Fréchet distance to the 10,000 MNIST test digits on the 128 penultimate features of vaekit's MNIST convolutional classifier (experiments.FIDClassifierConfig); lower is better",
		"kid_note":              fmt.Sprintf("kernel inception distance (Bińkowski et al. 2018) on the same features: unbiased MMD² with the kernel (xᵀy/128 + 1)³, mean and std over %d subsets of %d; about 0 for digits drawn like the test set", kidSubsets, kidSubsetSize),
		"precision_recall_note": fmt.Sprintf("Kynkäänniemi et al. 2019 on the same features, k = %d, on features scaled to unit length, against as many test digits as samples: precision = share of samples inside the test digits' manifold (quality), recall = share of test digits inside the samples' manifold (coverage)", prNeighbours),
		"reference": map[string]any{"source": fmt.Sprintf("%d real MNIST training digits scored the same way (what a generator of real digits gets)", FIDSamples),
			"mnist_fid": s.RealQuality.FID, "kid": s.RealQuality.KID, "precision": s.RealQuality.Precision, "recall": s.RealQuality.Recall}}
}

var scorers struct {
	sync.Mutex
	byModels map[string]*FIDScorer
}

// SharedFIDScorer is the mnist_fid scorer of the models directory opts uses,
// built once per process: the catalogue's GAN figures share it.
func SharedFIDScorer(ctx context.Context, opts Options) (*FIDScorer, error) {
	scorers.Lock()
	defer scorers.Unlock()
	root := modelsRoot(opts)
	if s := scorers.byModels[root]; s != nil {
		opts.runs.add(s.dir) // a figure that shares it uses its run too.
		return s, nil
	}
	s, err := NewFIDScorer(ctx, opts)
	if err != nil {
		return nil, err
	}
	if scorers.byModels == nil {
		scorers.byModels = map[string]*FIDScorer{}
	}
	scorers.byModels[root] = s
	return s, nil
}

// SampleScore is what the mnist_fid scorer says of a set of images.
type SampleScore struct {
	Name   string `json:"name"`
	Images int    `json:"images"`
	SampleQuality
	Digits [10]int `json:"digits"` // how many images the classifier reads as each digit.
}

// ScoreSet scores a set of 28×28 grey images (datasets.ReadImages reads a
// folder, an IDX or a .npy file at that size): its mnist_fid and the
// digits the classifier reads. FIDSamples images is the figures' standard.
func (s *FIDScorer) ScoreSet(set *datasets.ImageSet) (*SampleScore, error) {
	if set.Rows != 28 || set.Cols != 28 {
		return nil, fmt.Errorf("scoring %s: images of %d×%d, mnist_fid takes 28×28 (read them with datasets.ReadImages(path, 28, 28))",
			set.Name, set.Rows, set.Cols)
	}
	if set.Count <= prNeighbours {
		return nil, fmt.Errorf("scoring %s: %d image(s), precision and recall (k = %d) need at least %d", set.Name, set.Count, prNeighbours, prNeighbours+1)
	}
	data := vaekit.ImageData(set)
	q, err := s.quality(data)
	if err != nil {
		return nil, fmt.Errorf("scoring %s: %w", set.Name, err)
	}
	classes, err := s.Classifier.Predict(data)
	if err != nil {
		return nil, fmt.Errorf("scoring %s: %w", set.Name, err)
	}
	score := &SampleScore{Name: set.Name, Images: set.Count, SampleQuality: q}
	for _, c := range classes {
		score.Digits[c]++
	}
	return score, nil
}
