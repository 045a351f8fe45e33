package vaekit

import (
	"context"
	"testing"
	"time"
)

func TestConvAETrains(t *testing.T) {
	testBackend(t)
	data := ImageData(mnistTest(t, 1000))
	for _, unpool := range []string{UnpoolLocations, UnpoolCopy, UpsampleConv} {
		cfg := DefaultConvAEConfig()
		cfg.Unpool, cfg.Epochs, cfg.Seed = unpool, 1, 1
		ae, err := NewConvAE(cfg, 28)
		if err != nil {
			t.Fatal(err)
		}
		before, err := ae.Reconstruct(data)
		if err != nil {
			t.Fatal(err)
		}
		mseBefore, _ := MSEPerImage(data, before)
		start := time.Now()
		if _, err := ae.Train(context.Background(), data, TrainOptions{}); err != nil {
			t.Fatal(err)
		}
		elapsed := time.Since(start)
		after, err := ae.Reconstruct(data)
		if err != nil {
			t.Fatal(err)
		}
		mseAfter, _ := MSEPerImage(data, after)
		t.Logf("%s: mse_per_image %.2f → %.2f after 10 steps (%.2f steps/s)", unpool, mseBefore, mseAfter, 10/elapsed.Seconds())
		if !(mseAfter < mseBefore*0.8) {
			t.Errorf("%s: training did not reduce the reconstruction error: %.2f → %.2f", unpool, mseBefore, mseAfter)
		}
	}
	if _, err := NewConvAE(DefaultConvAEConfig(), 30); err == nil {
		t.Error("30×30 images cannot be pooled twice by 2, but NewConvAE accepted them")
	}
}
