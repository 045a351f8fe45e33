package experiments

import (
	"github.com/vaekit/vaekit/vaekit"
)

// TextExperiment determines text-retrieval: posts as log(1 + count) over the
// Vocabulary most frequent words, deep autoencoders to a 2-D code (for the
// picture) and to Code numbers (for retrieval), against LSA of the same sizes
// and raw tf-idf, test posts querying the training posts by cosine similarity.
type TextExperiment struct {
	vaekit.AEConfig
	Vocabulary int   `json:"vocabulary"`
	Code       int   `json:"code"`
	TrainSize  int   `json:"train_size"` // first N training posts (the database); 0 for all.
	Queries    int   `json:"queries"`    // test posts used as queries, evenly spread; 0 for all.
	Topics     []int `json:"topics"`     // topics drawn in the 2-D pictures (0-based).
}

// DefaultTextExperiment is Hinton & Salakhutdinov's 2000-500-250-125-code
// autoencoder (here ReLU, Bernoulli cross-entropy on the unit-length inputs, Adam 1e-3, batch
// 100) for 50 epochs on the 11,269 training posts, 10-number codes for
// retrieval, 1,000 test queries; quick: 3,000 posts, 20 epochs, 200 queries.
func DefaultTextExperiment(quick bool, seed int64) TextExperiment {
	cfg := vaekit.DefaultAEConfig()
	cfg.Layers, cfg.Loss, cfg.Epochs, cfg.Seed = []int{500, 250, 125, 10}, vaekit.LossBCE, 50, seed
	exp := TextExperiment{AEConfig: cfg, Vocabulary: 2000, Code: 10, Queries: 1000, Topics: []int{1, 10, 11, 14, 15, 17}}
	if quick {
		exp.Epochs, exp.TrainSize, exp.Queries = 20, 3000, 200
	}
	return exp
}
