package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit/experiments"
)

// TestScore scores three sets, one per format: the MNIST test digits
// themselves (IDX: mnist_fid near 0, the digits read as their labels), every
// other one as a folder of PNGs (small), and uniform noise as a .npy (large).
// scoreData is the data directory, $VAEKIT_DATA or shared/datasets.
func scoreData(t *testing.T) string {
	data := os.Getenv(datasets.DataEnv)
	if data == "" {
		data = filepath.Join("..", "..", "..", "..", "shared", "datasets")
		t.Setenv(datasets.DataEnv, data)
	}
	return data
}

func TestScore(t *testing.T) {
	data := scoreData(t)
	idx := filepath.Join(data, "mnist", "t10k-images-idx3-ubyte.gz")
	test, err := datasets.ReadImages(idx, 28, 28)
	if err != nil {
		t.Fatal(err)
	}
	folder, noise, zeros := writeScoreSets(t, test)

	var stdout, stderr bytes.Buffer
	if status := run([]string{"score", "--json", idx, folder, noise, zeros}, &stdout, &stderr); status != 0 {
		t.Fatalf("vaekit score: status %d\n%s", status, stderr.String())
	}
	var scores []experiments.SampleScore
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var s experiments.SampleScore
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			t.Fatalf("a line of vaekit score --json: %q: %v", line, err)
		}
		scores = append(scores, s)
	}
	if len(scores) != 4 {
		t.Fatalf("%d scores for 4 sets:\n%s", len(scores), stdout.String())
	}
	self, digits, random, zeroes := scores[0], scores[1], scores[2], scores[3]
	for _, s := range scores {
		t.Logf("%s: %d images, mnist_fid %.4g, KID %.4f ± %.4f, precision %.3f, recall %.3f",
			filepath.Base(s.Name), s.Images, s.FID, s.KID, s.KIDStd, s.Precision, s.Recall)
	}
	if self.Images != 10000 || self.FID > 0.01 {
		t.Errorf("the MNIST test digits against themselves: %d images, mnist_fid %g (want about 0)", self.Images, self.FID)
	}
	// KID: the test digits and half of them near 0 (a little below: their subsets share images with the
	// reference's), noise and one digit alone far above.
	for _, s := range []experiments.SampleScore{self, digits} {
		if math.Abs(s.KID) > 0.01*min(random.KID, zeroes.KID) {
			t.Errorf("%s: KID %.4f ± %.4f, want about 0 beside noise's %.2f and one digit's %.2f", s.Name, s.KID, s.KIDStd, random.KID, zeroes.KID)
		}
	}
	cases := []struct {
		name                       string
		s                          experiments.SampleScore
		minPrecision, maxPrecision float64
		minRecall, maxRecall       float64
	}{
		{"the test digits against themselves", self, 1, 1, 1, 1},
		{"half the test digits", digits, 0.6, 1, 0.6, 1},
		{"the test set's 0s alone (quality without coverage)", zeroes, 0.6, 1, 0, 0.3},
		{"uniform noise", random, 0, 0.05, 0, 0.05},
	}
	for _, c := range cases {
		if c.s.Precision < c.minPrecision || c.s.Precision > c.maxPrecision || c.s.Recall < c.minRecall || c.s.Recall > c.maxRecall {
			t.Errorf("%s: precision %.3f (want %.2f–%.2f), recall %.3f (want %.2f–%.2f)", c.name,
				c.s.Precision, c.minPrecision, c.maxPrecision, c.s.Recall, c.minRecall, c.maxRecall)
		}
	}
	var labels [10]int
	for _, l := range test.Labels {
		labels[l]++
	}
	for d := range 10 {
		if diff := self.Digits[d] - labels[d]; diff < -40 || diff > 40 {
			t.Errorf("digit %d: the classifier reads %d test digits, %d are labelled so", d, self.Digits[d], labels[d])
		}
	}
	if digits.Images != 5000 || digits.FID > 5 {
		t.Errorf("5,000 test digits as PNGs: %d images, mnist_fid %.2f (want below 5)", digits.Images, digits.FID)
	}
	if random.FID < 100 {
		t.Errorf("uniform noise: mnist_fid %.1f, want a large value", random.FID)
	}
}

func TestScoreEmptyFolder(t *testing.T) {
	scoreData(t)
	var stdout, stderr bytes.Buffer
	empty := t.TempDir()
	if status := run([]string{"score", empty}, &stdout, &stderr); status != 1 || !strings.Contains(stderr.String(), empty+" holds no images") {
		t.Errorf("vaekit score on an empty folder: status %d, stderr %q", status, stderr.String())
	}
}

// writeScoreSets writes the sets TestScore scores: every other test digit as
// PNGs in a folder, 1,000 images of uniform noise and the test set's 0s
// alone as .npy files.
func writeScoreSets(t *testing.T, test *datasets.ImageSet) (folder, noise, zeros string) {
	folder = t.TempDir()
	for i := 0; i < 10000; i += 2 { // every other one: MNIST's two halves come from different writers.
		img := &image.Gray{Pix: test.Pixels[i*784 : (i+1)*784], Stride: 28, Rect: image.Rect(0, 0, 28, 28)}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(folder, fmt.Sprintf("%04d.png", i)), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	noise = filepath.Join(t.TempDir(), "noise.npy")
	r := rand.New(rand.NewPCG(1, 2))
	values := make([]byte, 1000*784)
	for i := range values {
		values[i] = byte(r.IntN(256))
	}
	writeNPY(t, noise, values)
	zeros = filepath.Join(t.TempDir(), "zeros.npy") // the test set's 0s alone
	values = values[:0]
	for i, l := range test.Labels {
		if l == 0 {
			values = append(values, test.Pixels[i*784:(i+1)*784]...)
		}
	}
	writeNPY(t, zeros, values)

	return folder, noise, zeros
}

// writeNPY writes 28×28 uint8 images as a .npy file.
func writeNPY(t *testing.T, path string, pixels []byte) {
	t.Helper()
	header := fmt.Sprintf("{'descr': '|u1', 'fortran_order': False, 'shape': (%d, 28, 28), }", len(pixels)/784)
	header += strings.Repeat(" ", 63-(10+len(header))%64) + "\n"
	raw := append([]byte("\x93NUMPY\x01\x00"), binary.LittleEndian.AppendUint16(nil, uint16(len(header)))...)
	if err := os.WriteFile(path, append(append(raw, header...), pixels...), 0o644); err != nil {
		t.Fatal(err)
	}
}
