package experiments

import (
	"github.com/vaekit/vaekit/vaekit"
)

// ImageSearchExperiment determines image-search: a deep autoencoder trained
// (without labels) on the 400 ORL faces, halved to 46×56, and retrieval of
// each face's nearest others, leave-one-out.
type ImageSearchExperiment struct {
	vaekit.AEConfig
	Ks      []int `json:"ks"`      // precision@k for each.
	Queries []int `json:"queries"` // faces whose neighbours are shown.
	Show    int   `json:"show"`    // neighbours shown per query.
}

// DefaultImageSearchExperiment: a 2576-1000-250-30 autoencoder (ReLU, BCE,
// Adam 1e-3, batch 40) for 500 epochs of the 400 faces (5,000 steps); quick:
// 50 epochs.
func DefaultImageSearchExperiment(quick bool, seed int64) ImageSearchExperiment {
	cfg := vaekit.DefaultAEConfig()
	cfg.Layers, cfg.BatchSize, cfg.Epochs, cfg.Seed = []int{1000, 250, 30}, 40, 500, seed
	if quick {
		cfg.Epochs = 50
	}
	return ImageSearchExperiment{AEConfig: cfg, Ks: []int{1, 3, 5, 9}, Queries: []int{3, 127, 251}, Show: 6}
}
