package datasets

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // decoders for image.Decode
	_ "image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ReadImages reads a user's own images, made grey and resized to rows×cols
// (box-filtered), with no checksum:
//   - a folder with one sub-folder of images per class (the layout of
//     torchvision's ImageFolder): labelled, the classes in name order;
//   - a folder of images (PNG, JPEG or binary PGM): unlabelled;
//   - an IDX file of images [N, H, W] (labelled by a sibling file named with
//     "labels" for "images", when there is one);
//   - a NumPy .npy file of [N, H, W], [N, H, W, 1] or [N, H·W] values, bytes
//     0..255 or floats in [0, 1].
//
// Unlabelled sets have nil Labels and ClassNames.
func ReadImages(path string, rows, cols int) (*ImageSet, error) {
	if rows <= 0 || cols <= 0 {
		return nil, fmt.Errorf("datasets.ReadImages(%s): image size %d×%d, want positive", path, rows, cols)
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	set := &ImageSet{Name: filepath.Base(filepath.Clean(path)), Rows: rows, Cols: cols}
	switch {
	case info.IsDir():
		err = set.readFolder(path)
	case strings.HasSuffix(path, ".npy"):
		err = set.readNPY(path)
	default:
		err = set.readIDXImages(path)
	}
	if err != nil {
		return nil, err
	}
	if set.Count == 0 {
		return nil, fmt.Errorf("%s holds no images (want PNG, JPEG or PGM files, in one sub-folder per class or not)", path)
	}
	return set, nil
}

// readFolder reads dir's images, or its sub-folders' as classes.
func (s *ImageSet) readFolder(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var classes []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			classes = append(classes, e.Name())
		}
	}
	if len(classes) == 0 {
		return s.readImageFiles(dir, -1)
	}
	if len(classes) > 256 {
		return fmt.Errorf("%s has %d class folders, at most 256 are supported", dir, len(classes))
	}
	s.ClassNames = classes
	for c, name := range classes {
		if err := s.readImageFiles(filepath.Join(dir, name), c); err != nil {
			return err
		}
	}
	return nil
}

// readImageFiles adds dir's image files (in name order), labelled class
// unless class < 0.
func (s *ImageSet) readImageFiles(dir string, class int) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if e.IsDir() || !slices.Contains([]string{".png", ".jpg", ".jpeg", ".pgm"}, ext) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		grey, err := decodeGrey(raw, ext)
		if err != nil {
			return fmt.Errorf("%s: not a readable image: %w", path, err)
		}
		s.add(grey)
		if class >= 0 {
			s.Labels = append(s.Labels, uint8(class))
		}
	}
	return nil
}

// decodeGrey decodes a PNG, JPEG or PGM file as grey levels.
func decodeGrey(raw []byte, ext string) (*image.Gray, error) {
	if ext == ".pgm" {
		p, err := ReadPGM(raw)
		if err != nil {
			return nil, err
		}
		return &image.Gray{Pix: p.Pixels, Stride: p.Width, Rect: image.Rect(0, 0, p.Width, p.Height)}, nil
	}
	img, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	grey := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			grey.SetGray(x, y, color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray))
		}
	}
	return grey, nil
}

// add appends an image, box-filtered to the set's size: each pixel is the
// mean of the source pixels its area covers (at least the nearest one).
func (s *ImageSet) add(img *image.Gray) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	for y := range s.Rows {
		y0, y1 := y*h/s.Rows, max((y+1)*h/s.Rows, y*h/s.Rows+1)
		for x := range s.Cols {
			x0, x1 := x*w/s.Cols, max((x+1)*w/s.Cols, x*w/s.Cols+1)
			sum := 0
			for sy := y0; sy < y1; sy++ {
				for sx := x0; sx < x1; sx++ {
					sum += int(img.Pix[sy*img.Stride+sx])
				}
			}
			n := (y1 - y0) * (x1 - x0)
			s.Pixels = append(s.Pixels, uint8((sum+n/2)/n))
		}
	}
	s.Count++
}

// readIDXImages reads an IDX file of images, and its labels file if any.
func (s *ImageSet) readIDXImages(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	idx, err := ReadIDX(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if len(idx.Dims) != 3 {
		return fmt.Errorf("%s: IDX of dimensions %v, want images [N, rows, cols]", path, idx.Dims)
	}
	h, w := idx.Dims[1], idx.Dims[2]
	for i := range idx.Dims[0] {
		s.add(&image.Gray{Pix: idx.Data[i*h*w : (i+1)*h*w], Stride: w, Rect: image.Rect(0, 0, w, h)})
	}
	dir, base := filepath.Split(path)
	if !strings.Contains(base, "images") {
		return nil
	}
	lf, err := os.Open(filepath.Join(dir, strings.Replace(strings.Replace(base, "images", "labels", 1), "idx3", "idx1", 1)))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	defer lf.Close()
	labels, err := ReadIDX(lf)
	if err != nil {
		return fmt.Errorf("%s: %w", lf.Name(), err)
	}
	if len(labels.Dims) != 1 || labels.Dims[0] != s.Count {
		return fmt.Errorf("%s: %v labels for %d images", lf.Name(), labels.Dims, s.Count)
	}
	s.Labels = labels.Data
	for c := range int(slices.Max(labels.Data)) + 1 {
		s.ClassNames = append(s.ClassNames, fmt.Sprint(c))
	}
	return nil
}
