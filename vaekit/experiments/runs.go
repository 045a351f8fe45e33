package experiments

// The plumbing every experiment shares: where data comes from and where
// trained models are kept.

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
)

// Loader finds data sets as every vaekit command does, stopping when ctx is done.
func Loader(ctx context.Context) *datasets.Loader {
	l := datasets.NewLoader()
	l.Context = ctx
	return l
}

// loadMNIST loads the two splits of MNIST, each cut to its size (0: all).
func loadMNIST(ctx context.Context, trainSize, testSize int) (train, test *datasets.ImageSet, err error) {
	return LoadImages(ctx, Options{}, trainSize, testSize)
}

// LoadImages is loadMNIST, or the user's own images (opts.Dataset): every
// sixth image is held out for testing (so that each class, in whatever
// order the files come, is in both splits).
func LoadImages(ctx context.Context, opts Options, trainSize, testSize int) (train, test *datasets.ImageSet, err error) {
	if opts.Dataset == "" {
		if train, err = Loader(ctx).Images(datasets.MNIST, datasets.Train); err != nil {
			return nil, nil, err
		}
		if test, err = Loader(ctx).Images(datasets.MNIST, datasets.Test); err != nil {
			return nil, nil, err
		}
		return train.Subset(trainSize), test.Subset(testSize), nil
	}
	all, err := datasets.ReadImages(opts.Dataset, 28, 28)
	if err != nil {
		return nil, nil, err
	}
	if all.Count < 12 {
		return nil, nil, fmt.Errorf("%s: %d images, too few to train on (and hold a sixth out for testing)", opts.Dataset, all.Count)
	}
	train, test = holdOut(all, 6)
	return train.Subset(trainSize), test.Subset(testSize), nil
}

// holdOut splits a set into "NAME/train" and "NAME/test", the test split
// taking every k-th image.
func holdOut(s *datasets.ImageSet, k int) (train, test *datasets.ImageSet) {
	size := s.Rows * s.Cols
	train = &datasets.ImageSet{Name: s.Name + "/train", Rows: s.Rows, Cols: s.Cols, ClassNames: s.ClassNames}
	test = &datasets.ImageSet{Name: s.Name + "/test", Rows: s.Rows, Cols: s.Cols, ClassNames: s.ClassNames}
	for i := range s.Count {
		part := train
		if i%k == k-1 {
			part = test
		}
		part.Count++
		part.Pixels = append(part.Pixels, s.Pixels[i*size:(i+1)*size]...)
		if s.Labels != nil {
			part.Labels = append(part.Labels, s.Labels[i])
		}
	}
	return train, test
}

// DataName is how titles name a data set: "MNIST", or its own name.
func DataName(s *datasets.ImageSet) string {
	if strings.HasPrefix(s.Name, "mnist/") {
		return "MNIST"
	}
	name, _, _ := strings.Cut(s.Name, "/")
	return name
}

// RequireLabels says which figure needs a labelled set when s has none.
func RequireLabels(figure string, s *datasets.ImageSet) error {
	if s.Labels == nil {
		return fmt.Errorf("figure %s colours or scores by class: %s has no labels (put each class in a sub-folder of its own)", figure, s.Name)
	}
	return nil
}

// modelsRoot is where trained models are kept: opts.Models, or vaekit.ModelsDir().
func modelsRoot(opts Options) string {
	if opts.Models != "" {
		return opts.Models
	}
	return vaekit.ModelsDir()
}

// ModelDir is where a model of kind, trained with these hyperparameters on
// this data, is kept: every figure trains or loads its models there. The
// model's fingerprint (nil: none) keys its networks, so an edited network
// trains anew.
func ModelDir(opts Options, kind string, hyper any, m fingerprinter, train *datasets.ImageSet) (string, error) {
	return RunDir(opts, kind, hyper, m, train.Name, train.Count)
}

type fingerprinter interface{ Fingerprint() (string, error) }

// RunDir is modelDir for data known by its name and number of examples.
func RunDir(opts Options, kind string, hyper any, m fingerprinter, data string, size int) (string, error) {
	var network string
	if m != nil {
		var err error
		if network, err = m.Fingerprint(); err != nil {
			return "", err
		}
	}
	dir, err := vaekit.RunDir(modelsRoot(opts), kind, struct {
		Hyper   any
		Network string `json:",omitempty"`
		Data    string
		Size    int
	}{hyper, network, data, size})
	if err == nil {
		opts.runs.add(dir)
	}
	return dir, err
}

// WithRunLog returns opts collecting, from now on, the model directories that
// experiments train or load with it (and its copies): Runs lists them.
func (o Options) WithRunLog() Options {
	o.runs = &runList{}
	return o
}

// Runs lists the model directories used since WithRunLog, in order, each once
// (by name, under the models directory).
func (o Options) Runs() []string { return o.runs.names() }

// runList is the model directories used, in order, each once.
type runList struct {
	mu   sync.Mutex
	dirs []string
}

func (l *runList) add(dir string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if name := filepath.Base(dir); !slices.Contains(l.dirs, name) {
		l.dirs = append(l.dirs, name)
	}
}

func (l *runList) names() []string {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.dirs)
}
