// Package datasets loads the real data sets that vaekit's figures use:
// MNIST and Fashion-MNIST (IDX files), the ORL faces (PGM files, published
// as one zip archive), 20 Newsgroups (word counts) and Reuters-21578 (SGML),
// from offline copies, a per-user cache, or a verified download.
//
// Where files come from, in order:
//  1. the directory named by $VAEKIT_DATA (laid out like shared/datasets:
//     mnist/train-images-idx3-ubyte.gz, ...), gzip or raw;
//  2. the per-user cache, os.UserCacheDir()/vaekit;
//  3. a download from the mirrors that torchvision and TensorFlow use (for
//     the faces, the AT&T archive att_faces.zip, unpacked), into the cache,
//     every file verified by SHA-256 and written atomically.
//
// Every error names the file, what was expected and how to fix it.
package datasets

import (
	"bytes"
	"fmt"
)

// Split selects the training or the test part of a data set.
type Split string

const (
	Train Split = "train"
	Test  Split = "test"
)

// ImageDataset describes a data set of 8-bit grey images with class labels
// stored as IDX files (the MNIST family).
type ImageDataset struct {
	Name       string   // "mnist": also its folder under the data directory.
	ClassNames []string // one per label value.
	images     map[Split]File
	labels     map[Split]File
}

var (
	mnistMirrors = []string{
		"https://ossci-datasets.s3.amazonaws.com/mnist/",      // torchvision
		"https://storage.googleapis.com/cvdf-datasets/mnist/", // TensorFlow datasets
	}
	fashionMirrors = []string{
		"http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",  // torchvision
		"https://storage.googleapis.com/tensorflow/tf-keras-datasets/", // Keras
	}
)

func idxFiles(dir string, mirrors []string, sums map[string]string) (images, labels map[Split]File) {
	file := func(name string) File {
		return File{Path: dir + "/" + name, SHA256: sums[name], Mirrors: mirrors}
	}
	images = map[Split]File{Train: file("train-images-idx3-ubyte.gz"), Test: file("t10k-images-idx3-ubyte.gz")}
	labels = map[Split]File{Train: file("train-labels-idx1-ubyte.gz"), Test: file("t10k-labels-idx1-ubyte.gz")}
	return
}

// MNIST is LeCun, Cortes and Burges' handwritten digits: 60,000 training
// and 10,000 test images of 28×28.
var MNIST = func() *ImageDataset {
	ds := &ImageDataset{Name: "mnist", ClassNames: []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}}
	ds.images, ds.labels = idxFiles("mnist", mnistMirrors, map[string]string{
		"train-images-idx3-ubyte.gz": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
		"train-labels-idx1-ubyte.gz": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
		"t10k-images-idx3-ubyte.gz":  "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
		"t10k-labels-idx1-ubyte.gz":  "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
	})
	return ds
}()

// FashionMNIST is Zalando's Fashion-MNIST: the same sizes as MNIST, ten
// kinds of clothing.
var FashionMNIST = func() *ImageDataset {
	ds := &ImageDataset{Name: "fashion-mnist", ClassNames: []string{
		"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}}
	ds.images, ds.labels = idxFiles("fashion-mnist", fashionMirrors, map[string]string{
		"train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
		"train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
		"t10k-images-idx3-ubyte.gz":  "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
		"t10k-labels-idx1-ubyte.gz":  "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
	})
	return ds
}()

// ImageSet is one split of an image data set, in memory.
type ImageSet struct {
	Name       string // e.g. "mnist/train".
	Count      int
	Rows, Cols int
	Pixels     []uint8 // Count×Rows×Cols grey levels 0..255, row-major.
	Labels     []uint8 // Count class indices.
	ClassNames []string
}

// LoadMNIST loads a split of MNIST with NewLoader().
func LoadMNIST(split Split) (*ImageSet, error) { return NewLoader().Images(MNIST, split) }

// LoadFashionMNIST loads a split of Fashion-MNIST with NewLoader().
func LoadFashionMNIST(split Split) (*ImageSet, error) { return NewLoader().Images(FashionMNIST, split) }

// Images loads one split of ds.
func (l *Loader) Images(ds *ImageDataset, split Split) (*ImageSet, error) {
	imgFile, ok := ds.images[split]
	if !ok {
		return nil, fmt.Errorf("%s: unknown split %q (want %q or %q)", ds.Name, split, Train, Test)
	}
	lblFile := ds.labels[split]
	images, err := l.readIDX(imgFile, MagicImages)
	if err != nil {
		return nil, err
	}
	labels, err := l.readIDX(lblFile, MagicLabels)
	if err != nil {
		return nil, err
	}
	if images.Dims[0] != labels.Dims[0] {
		return nil, fmt.Errorf("%s: %s holds %d images but %s holds %d labels",
			ds.Name, imgFile.Path, images.Dims[0], lblFile.Path, labels.Dims[0])
	}
	for i, lbl := range labels.Data {
		if int(lbl) >= len(ds.ClassNames) {
			return nil, fmt.Errorf("%s: label %d of item %d is out of range [0, %d)", lblFile.Path, lbl, i, len(ds.ClassNames))
		}
	}
	return &ImageSet{
		Name: ds.Name + "/" + string(split), Count: images.Dims[0], Rows: images.Dims[1], Cols: images.Dims[2],
		Pixels: images.Data, Labels: labels.Data, ClassNames: ds.ClassNames,
	}, nil
}

// readIDX reads a verified IDX file and checks its kind (images or labels).
func (l *Loader) readIDX(f File, wantMagic int) (*IDX, error) {
	content, err := l.ReadFile(f)
	if err != nil {
		return nil, err
	}
	idx, err := ReadIDX(bytes.NewReader(content))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Path, err)
	}
	wantRank := wantMagic & 0xff
	if len(idx.Dims) != wantRank {
		return nil, fmt.Errorf("%s: %w: has %d dimensions, want %d", f.Path, ErrBadMagic, len(idx.Dims), wantRank)
	}
	return idx, nil
}

// Subset returns the first n items (all of them if n <= 0 or n >= Count),
// sharing memory with s. MNIST's files are not ordered by class, so a prefix
// is a fair sample; this is the one way vaekit takes a subset.
func (s *ImageSet) Subset(n int) *ImageSet {
	if n <= 0 || n >= s.Count {
		return s
	}
	sub := *s
	sub.Count = n
	sub.Pixels = s.Pixels[:n*s.Rows*s.Cols]
	sub.Labels = s.Labels[:n]
	sub.Name = fmt.Sprintf("%s[:%d]", s.Name, n)
	return &sub
}

// Len is the number of images, Count (chart.Labelled reads a set by its methods).
func (s *ImageSet) Len() int { return s.Count }

// ImageSize is the images' rows and columns.
func (s *ImageSet) ImageSize() (rows, cols int) { return s.Rows, s.Cols }

// Classes names the classes, by index.
func (s *ImageSet) Classes() []string { return s.ClassNames }

// Class is the class index of image i.
func (s *ImageSet) Class(i int) int { return int(s.Labels[i]) }

// Float32 returns the pixels scaled to [0, 1], Count×Rows×Cols.
func (s *ImageSet) Float32() []float32 {
	out := make([]float32, len(s.Pixels))
	for i, p := range s.Pixels {
		out[i] = float32(p) / 255
	}
	return out
}

// Image returns the grey levels of item i, Rows×Cols, in [0, 1].
func (s *ImageSet) Image(i int) []float32 {
	size := s.Rows * s.Cols
	out := make([]float32, size)
	for j, p := range s.Pixels[i*size : (i+1)*size] {
		out[j] = float32(p) / 255
	}
	return out
}
