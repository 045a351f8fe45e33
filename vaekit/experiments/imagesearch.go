package experiments

import (
	"github.com/vaekit/vaekit/vaekit"
)

// ImageSearchExperiment determines image-search: deep autoencoders trained
// (without labels) on the ORL faces, halved to 46×56, and retrieval of each
// face's nearest others among faces no autoencoder it is searched with saw:
// the 40 people split into Folds groups, one autoencoder trained on all but
// each group, searching that group's faces, leave-one-out.
type ImageSearchExperiment struct {
	vaekit.AEConfig
	Folds   int   `json:"folds"`   // groups of people: person p is held out by fold p mod Folds.
	Ks      []int `json:"ks"`      // precision@k for each.
	Queries []int `json:"queries"` // faces (of the 400) whose neighbours are shown.
	Show    int   `json:"show"`    // neighbours shown per query.
}

// DefaultImageSearchExperiment: 4 folds of 10 people, each a 2576-1000-250-30
// autoencoder (ReLU, BCE, Adam 1e-3, batch 40) for 500 epochs of the other
// 300 faces (3,750 steps); quick: 2 folds of 20 people, 50 epochs.
func DefaultImageSearchExperiment(quick bool, seed int64) ImageSearchExperiment {
	cfg := vaekit.DefaultAEConfig()
	cfg.Layers, cfg.BatchSize, cfg.Epochs, cfg.Seed = []int{1000, 250, 30}, 40, 500, seed
	exp := ImageSearchExperiment{AEConfig: cfg, Folds: 4, Ks: []int{1, 3, 5, 9}, Queries: []int{3, 127, 251}, Show: 5} // Show: as many as precision@5 counts.
	if quick {
		exp.Epochs, exp.Folds = 50, 2
	}
	return exp
}
