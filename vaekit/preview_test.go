package vaekit

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// TestPreviewImages makes the previews the live view draws: an autoencoder's
// first examples above their reconstructions, a VAE's and a GAN's samples.
func TestPreviewImages(t *testing.T) {
	testBackend(t)
	data := ImageData(mnistTest(t, 20))
	cfg := DefaultAEConfig()
	cfg.Layers = []int{32, 2}
	ae, err := NewAE(cfg, 784)
	if err != nil {
		t.Fatal(err)
	}
	vae, err := NewVAE(DefaultVAEConfig(), 784)
	if err != nil {
		t.Fatal(err)
	}
	gan, err := NewGAN(DefaultDCGANConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []*Model{ae.Model, vae.Model, gan.Model} {
		images, err := m.spec.Preview(data)
		if err != nil {
			t.Fatalf("%s: %v", m.spec.Name, err)
		}
		if len(images) != 16 && len(images) != 32 {
			t.Errorf("%s: a preview of %d images", m.spec.Name, len(images))
		}
		for _, img := range images {
			if len(img) != 784 {
				t.Fatalf("%s: a preview image of %d values", m.spec.Name, len(img))
			}
		}
	}
	images, _ := ae.spec.Preview(data)
	if !slices.Equal(images[3], data.X[3*784:4*784]) {
		t.Error("the autoencoder's preview does not start with the examples themselves")
	}
}

// watcher records what a run shows it.
type watcher struct {
	title        string
	preview      int // images in the preview.
	steps, epoch int
	done         bool
}

func (w *watcher) Step(int, map[string]float64) { w.steps++ }
func (w *watcher) Epoch(map[string]float64)     { w.epoch++ }
func (w *watcher) Done()                        { w.done = true }

// TestWatcherFollowsTraining checks the hook vaekit/live attaches by: a run
// with Progress feeds NewWatcher's Watcher every step and epoch, with the
// model's preview, then says it is done; without Progress, none is made.
func TestWatcherFollowsTraining(t *testing.T) {
	testBackend(t)
	data := ImageData(mnistTest(t, 200))
	var made []*watcher
	defer func(old func(string, func() ([][]float32, error), string, int) Watcher) { NewWatcher = old }(NewWatcher)
	NewWatcher = func(title string, preview func() ([][]float32, error), previewTitle string, side int) Watcher {
		w := &watcher{title: title}
		if images, err := preview(); err == nil && side == 28 {
			w.preview = len(images)
		}
		made = append(made, w)
		return w
	}
	cfg := DefaultAEConfig()
	cfg.Layers, cfg.Epochs, cfg.BatchSize = []int{32, 2}, 2, 50
	for _, progress := range []bool{true, false} {
		ae, err := NewAE(cfg, 784)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ae.Train(context.Background(), data, TrainOptions{Progress: progress}); err != nil {
			t.Fatal(err)
		}
	}
	if len(made) != 1 {
		t.Fatalf("%d watchers for one run with Progress and one without", len(made))
	}
	w := made[0]
	if w.steps != 8 || w.epoch != 2 || !w.done || w.preview == 0 || !strings.Contains(w.title, data.Name) {
		t.Errorf("watcher saw %+v, want 8 steps, 2 epochs, a preview and the end of a run on %s", *w, data.Name)
	}
}
