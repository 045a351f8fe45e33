package datasets

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeImage writes a w×h image whose left half is black and right half is
// level, as PNG or JPEG by the name's extension.
func writeImage(t *testing.T, path string, w, h int, level uint8) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h)) // colour, to test the conversion to grey.
	for y := range h {
		for x := range w {
			v := uint8(0)
			if x >= w/2 {
				v = level
			}
			img.Set(x, y, color.RGBA{v, v, v, 255})
		}
	}
	var buf bytes.Buffer
	var err error
	if strings.HasSuffix(path, ".jpg") {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 100})
	} else {
		err = png.Encode(&buf, img)
	}
	if err == nil {
		err = os.WriteFile(path, buf.Bytes(), 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestReadImageFolder(t *testing.T) {
	dir := t.TempDir()
	for c, class := range []string{"circles", "squares"} {
		os.MkdirAll(filepath.Join(dir, class), 0o755)
		writeImage(t, filepath.Join(dir, class, "a.png"), 56, 56, uint8(100+c*100)) // resized down
		writeImage(t, filepath.Join(dir, class, "b.jpg"), 14, 14, 200)              // resized up
	}
	os.WriteFile(filepath.Join(dir, "squares", "notes.txt"), []byte("not an image"), 0o644)
	set, err := ReadImages(dir, 28, 28)
	if err != nil {
		t.Fatal(err)
	}
	if set.Count != 4 || len(set.Labels) != 4 || fmt.Sprint(set.ClassNames) != "[circles squares]" ||
		fmt.Sprint(set.Labels) != "[0 0 1 1]" || set.Name != filepath.Base(dir) {
		t.Fatalf("read %d images, labels %v, classes %v, name %q", set.Count, set.Labels, set.ClassNames, set.Name)
	}
	for i, want := range []uint8{100, 200, 200, 200} {
		img := set.Pixels[i*784 : (i+1)*784]
		if img[0] != 0 || absDiff(img[27], want) > 2 || absDiff(img[13*28+20], want) > 2 {
			t.Errorf("image %d: pixels %d, %d, %d, want 0 at the left, %d at the right", i, img[0], img[27], img[13*28+20], want)
		}
	}

	flat := t.TempDir()
	writeImage(t, filepath.Join(flat, "x.png"), 28, 28, 255)
	if set, err := ReadImages(flat, 28, 28); err != nil || set.Count != 1 || set.Labels != nil {
		t.Errorf("a flat folder: %v, %+v", err, set)
	}
}

func absDiff(a, b uint8) int { return int(math.Abs(float64(a) - float64(b))) }

func TestReadImagesErrors(t *testing.T) {
	empty := t.TempDir()
	if _, err := ReadImages(empty, 28, 28); err == nil || !strings.Contains(err.Error(), empty) || !strings.Contains(err.Error(), "no images") {
		t.Errorf("an empty folder: %v", err)
	}
	broken := t.TempDir()
	os.WriteFile(filepath.Join(broken, "x.png"), []byte("\x89PNG but not really"), 0o644)
	if _, err := ReadImages(broken, 28, 28); err == nil || !strings.Contains(err.Error(), filepath.Join(broken, "x.png")) {
		t.Errorf("an unreadable image: %v", err)
	}
	npy := filepath.Join(t.TempDir(), "x.npy")
	os.WriteFile(npy, []byte("\x93NUMPY\x01\x00\x10\x00{'descr': '<i8'}"), 0o644)
	if _, err := ReadImages(npy, 28, 28); err == nil || !strings.Contains(err.Error(), npy) {
		t.Errorf("a bad .npy: %v", err)
	}
	if _, err := ReadImages(filepath.Join(empty, "missing"), 28, 28); err == nil {
		t.Error("a missing path was accepted")
	}
}

// writeNPY writes a version-1 .npy file.
func writeNPY(t *testing.T, path, descr string, shape []int, data []byte) {
	t.Helper()
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = fmt.Sprint(d)
	}
	header := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s,), }", descr, strings.Join(dims, ", "))
	header += strings.Repeat(" ", 63-(10+len(header))%64) + "\n"
	var buf bytes.Buffer
	buf.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&buf, binary.LittleEndian, uint16(len(header)))
	buf.WriteString(header)
	buf.Write(data)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReadNPYAndIDX(t *testing.T) {
	dir := t.TempDir()
	bytes8 := make([]byte, 2*28*28)
	floats := make([]byte, 0, 2*784*4)
	for i := range 2 * 784 {
		bytes8[i] = uint8(i % 251)
		floats = binary.LittleEndian.AppendUint32(floats, math.Float32bits(float32(i%251)/255))
	}
	writeNPY(t, filepath.Join(dir, "u8.npy"), "|u1", []int{2, 28, 28}, bytes8)
	writeNPY(t, filepath.Join(dir, "f4.npy"), "<f4", []int{2, 784}, floats)
	for _, name := range []string{"u8.npy", "f4.npy"} {
		set, err := ReadImages(filepath.Join(dir, name), 28, 28)
		if err != nil {
			t.Fatal(err)
		}
		if set.Count != 2 || !bytes.Equal(set.Pixels, bytes8) {
			t.Errorf("%s: %d images, pixels equal %v", name, set.Count, bytes.Equal(set.Pixels, bytes8))
		}
	}
	idx := filepath.Join(sharedData(t), "mnist", "t10k-images-idx3-ubyte.gz")
	set, err := ReadImages(idx, 28, 28)
	if err != nil {
		t.Fatal(err)
	}
	mnist, err := offlineLoader(sharedData(t)).Images(MNIST, Test)
	if err != nil {
		t.Fatal(err)
	}
	if set.Count != 10000 || !bytes.Equal(set.Pixels, mnist.Pixels) || !bytes.Equal(set.Labels, mnist.Labels) {
		t.Errorf("the MNIST test IDX read as %d images, same pixels %v, same labels %v",
			set.Count, bytes.Equal(set.Pixels, mnist.Pixels), bytes.Equal(set.Labels, mnist.Labels))
	}
}
