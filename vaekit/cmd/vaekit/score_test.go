package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit/figures"
)

// TestScore scores three sets, one per format: the MNIST test digits
// themselves (IDX: mnist_fid near 0, the digits read as their labels), every
// other one as a folder of PNGs (small), and uniform noise as a .npy (large).
func TestScore(t *testing.T) {
	data := os.Getenv(datasets.DataEnv)
	if data == "" {
		data = filepath.Join("..", "..", "..", "..", "shared", "datasets")
		t.Setenv(datasets.DataEnv, data)
	}
	idx := filepath.Join(data, "mnist", "t10k-images-idx3-ubyte.gz")
	test, err := datasets.ReadImages(idx, 28, 28)
	if err != nil {
		t.Fatal(err)
	}
	folder := t.TempDir()
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
	noise := filepath.Join(t.TempDir(), "noise.npy")
	r := rand.New(rand.NewPCG(1, 2))
	values := make([]byte, 1000*784)
	for i := range values {
		values[i] = byte(r.IntN(256))
	}
	header := "{'descr': '|u1', 'fortran_order': False, 'shape': (1000, 28, 28), }"
	header += strings.Repeat(" ", 63-(10+len(header))%64) + "\n"
	raw := append([]byte("\x93NUMPY\x01\x00"), binary.LittleEndian.AppendUint16(nil, uint16(len(header)))...)
	if err := os.WriteFile(noise, append(append(raw, header...), values...), 0o644); err != nil {
		t.Fatal(err)
	}

	var stdout, stderr bytes.Buffer
	if status := run([]string{"score", "--json", idx, folder, noise}, &stdout, &stderr); status != 0 {
		t.Fatalf("vaekit score: status %d\n%s", status, stderr.String())
	}
	var scores []figures.SampleScore
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var s figures.SampleScore
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			t.Fatalf("a line of vaekit score --json: %q: %v", line, err)
		}
		scores = append(scores, s)
	}
	if len(scores) != 3 {
		t.Fatalf("%d scores for 3 sets:\n%s", len(scores), stdout.String())
	}
	self, digits, random := scores[0], scores[1], scores[2]
	t.Logf("mnist_fid: test digits %.4f (%d), 5,000 of them as PNGs %.2f, uniform noise %.1f", self.FID, self.Images, digits.FID, random.FID)
	if self.Images != 10000 || self.FID > 0.01 {
		t.Errorf("the MNIST test digits against themselves: %d images, mnist_fid %g (want about 0)", self.Images, self.FID)
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

	stdout.Reset()
	stderr.Reset()
	empty := t.TempDir()
	if status := run([]string{"score", empty}, &stdout, &stderr); status != 1 || !strings.Contains(stderr.String(), empty+" holds no images") {
		t.Errorf("vaekit score on an empty folder: status %d, stderr %q", status, stderr.String())
	}
}
