package figures

import (
	"context"
	"fmt"
	"sync"

	"github.com/vaekit/vaekit/datasets"
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
	Classifier *vaekit.Classifier
	Accuracy   float64 // on the 10,000 test digits.
	Real       *vaekit.Gaussian
}

// FIDClassifierConfig is the classifier behind mnist_fid.
var FIDClassifierConfig = vaekit.ClassifierConfig{Conv: []int{32, 64}, Layers: []int{128}, Classes: 10, Optimizer: "adam", LearningRate: 1e-3, BatchSize: 100}

const fidClassifierSteps = 3000 // 5 epochs of 60,000.

// NewFIDScorer trains (or loads) the classifier and measures the real digits.
func NewFIDScorer(ctx context.Context, opts Options) (*FIDScorer, error) {
	train, test, err := loadMNIST(ctx, 0, 0)
	if err != nil {
		return nil, err
	}
	clf, err := vaekit.NewClassifier(FIDClassifierConfig, nil)
	if err != nil {
		return nil, err
	}
	dir, err := modelDir(opts, "mnist-classifier", struct {
		Config vaekit.ClassifierConfig
		Steps  int
	}{FIDClassifierConfig, fidClassifierSteps}, clf, train)
	if err != nil {
		return nil, err
	}
	if err := trainSteps(ctx, clf, vaekit.ImageData(train), fidClassifierSteps, dir, opts.Progress); err != nil {
		return nil, err
	}
	testData := vaekit.ImageData(test)
	acc, err := clf.Accuracy(testData)
	if err != nil {
		return nil, err
	}
	real, err := featureGaussian(clf, testData)
	if err != nil {
		return nil, err
	}
	return &FIDScorer{Classifier: clf, Accuracy: acc, Real: real}, nil
}

// Score is the mnist_fid of images (flat 784, in [0, 1]).
func (s *FIDScorer) Score(images [][]float32) (float64, error) {
	return s.scoreData(flatData("generated", images))
}

// scoreData is the mnist_fid of data's examples.
func (s *FIDScorer) scoreData(data *vaekit.Data) (float64, error) {
	g, err := featureGaussian(s.Classifier, data)
	if err != nil {
		return 0, err
	}
	return vaekit.FrechetDistance(s.Real, g)
}

// featureGaussian is the Gaussian of the classifier's features of data.
func featureGaussian(clf *vaekit.Classifier, data *vaekit.Data) (*vaekit.Gaussian, error) {
	features, err := clf.Features(data)
	if err != nil {
		return nil, err
	}
	return vaekit.FitGaussian(features)
}

// flatData wraps images as vaekit.Data.
func flatData(name string, images [][]float32) *vaekit.Data {
	d := &vaekit.Data{Name: name, Shape: []int{len(images[0])}}
	for _, img := range images {
		d.X = append(d.X, img...)
	}
	return d
}

// fidMetrics describes the scorer behind a figure's mnist_fid numbers; the
// figure adds the numbers themselves.
func fidMetrics(s *FIDScorer) map[string]any {
	return map[string]any{"fid_samples": FIDSamples, "fid_classifier_test_accuracy": s.Accuracy,
		"fid_note": "Fréchet distance to the 10,000 MNIST test digits on the 128 penultimate features of vaekit's MNIST convolutional classifier (figures.FIDClassifierConfig); lower is better"}
}

var scorers struct {
	sync.Mutex
	byModels map[string]*FIDScorer
}

// sharedScorer is the mnist_fid scorer of the models directory opts uses,
// built once per process: the catalogue's GAN figures share it.
func sharedScorer(ctx context.Context, opts Options) (*FIDScorer, error) {
	scorers.Lock()
	defer scorers.Unlock()
	root := modelsRoot(opts)
	if s := scorers.byModels[root]; s != nil {
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
	Name   string  `json:"name"`
	Images int     `json:"images"`
	FID    float64 `json:"mnist_fid"` // against the 10,000 MNIST test digits; it depends on Images.
	Digits [10]int `json:"digits"`    // how many images the classifier reads as each digit.
}

// ScoreSet scores a set of 28×28 grey images (datasets.ReadImages reads a
// folder, an IDX or a .npy file at that size): its mnist_fid and the
// digits the classifier reads. FIDSamples images is the figures' standard.
func (s *FIDScorer) ScoreSet(set *datasets.ImageSet) (*SampleScore, error) {
	if set.Rows != 28 || set.Cols != 28 {
		return nil, fmt.Errorf("scoring %s: images of %d×%d, mnist_fid takes 28×28 (read them with datasets.ReadImages(path, 28, 28))",
			set.Name, set.Rows, set.Cols)
	}
	if set.Count < 2 {
		return nil, fmt.Errorf("scoring %s: %d image(s), a Fréchet distance needs at least 2", set.Name, set.Count)
	}
	data := vaekit.ImageData(set)
	fid, err := s.scoreData(data)
	if err != nil {
		return nil, fmt.Errorf("scoring %s: %w", set.Name, err)
	}
	classes, err := s.Classifier.Predict(data)
	if err != nil {
		return nil, fmt.Errorf("scoring %s: %w", set.Name, err)
	}
	score := &SampleScore{Name: set.Name, Images: set.Count, FID: fid}
	for _, c := range classes {
		score.Digits[c]++
	}
	return score, nil
}
