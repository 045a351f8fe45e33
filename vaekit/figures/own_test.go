package figures

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit/experiments"
)

// writeDigitFolder writes n MNIST test digits of each class in classes as
// PNGs, in one sub-folder per class (named by digitNames) or all in dir.
func writeDigitFolder(t *testing.T, dir string, classes []int, n int, byClass bool) {
	t.Helper()
	test, err := datasets.LoadMNIST(datasets.Test)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}
	written := map[int]int{}
	for i := range test.Count {
		c := int(test.Labels[i])
		if written[c] >= n || !slices.Contains(classes, c) {
			continue
		}
		sub := dir
		if byClass {
			sub = filepath.Join(dir, names[c])
		}
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		png.Encode(&buf, &image.Gray{Pix: test.Pixels[i*784 : (i+1)*784], Stride: 28, Rect: image.Rect(0, 0, 28, 28)})
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("%05d.png", i)), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		written[c]++
	}
}

// TestOwnImages trains the quick VAE on a folder of PNGs the test makes (three
// digit classes in sub-folders, as torchvision's ImageFolder reads them):
// the figures name that data set and its classes; an unlabelled folder
// draws the manifold and refuses the latent scatter, naming why.
func TestOwnImages(t *testing.T) {
	setData(t)
	labelled := filepath.Join(t.TempDir(), "my-digits")
	writeDigitFolder(t, labelled, []int{0, 1, 7}, 240, true)
	out := t.TempDir()
	opts := experiments.Options{Quick: true, Out: out, Models: t.TempDir(), Dataset: labelled}
	rec, _, err := Run(context.Background(), "vae-latent-scatter", opts)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Dataset["name"] != "my-digits" || rec.Dataset["train_size"] != 600 || rec.Dataset["test_size"] != 120 {
		t.Errorf("the figure's JSON names the data %v", rec.Dataset)
	}
	svg, err := os.ReadFile(filepath.Join(out, "vae-latent-scatter.svg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"z_mean of 120 my-digits test images", ">zero<", ">one<", ">seven<"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("vae-latent-scatter.svg does not show %q", want)
		}
	}
	raw, _ := json.Marshal(rec.Metrics)
	t.Logf("own images: %s", raw)

	unlabelled := filepath.Join(t.TempDir(), "loose")
	writeDigitFolder(t, unlabelled, []int{3, 8}, 100, false)
	opts.Dataset = unlabelled
	if _, _, err := Run(context.Background(), "vae-manifold", opts); err != nil {
		t.Errorf("vae-manifold on unlabelled images: %v", err)
	}
	if _, _, err := Run(context.Background(), "vae-latent-scatter", opts); err == nil || !strings.Contains(err.Error(), "has no labels") {
		t.Errorf("vae-latent-scatter on unlabelled images: got %v, want an error saying it needs labels", err)
	}
}
