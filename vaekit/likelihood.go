package vaekit

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// NLL is an importance-sampled estimate of −log p(x), per image, in nats.
type NLL struct {
	NLL     float64 `json:"nll_iw_nats"`
	Samples int     `json:"nll_iw_samples"` // k, importance samples per image.
	Images  int     `json:"images"`
	Seed    uint64  `json:"seed"`
}

// ImportanceNLL estimates −log p(x) per image over data (Burda et al.'s
// importance-weighted bound, with q(z|x) as the proposal):
// −log (1/k) Σᵢ p(x|zᵢ) p(zᵢ) / q(zᵢ|x), zᵢ ~ q(z|x). Its expectation never
// exceeds the negative ELBO (k = 1 is the ELBO with a sampled KL) and falls
// towards −log p(x) as k grows. The targets are those of the ELBO: grey
// levels for InputGrey (a cross-entropy, not a likelihood); for
// InputBinarized each image binarised once (seeded), the same for its k
// samples. With progress, a progress line counts the images.
func (v *VAE) ImportanceNLL(data *Data, k int, seed uint64, progress bool) (NLL, error) {
	if k < 1 {
		return NLL{}, fmt.Errorf("VAE.ImportanceNLL: k must be at least 1, got %d", k)
	}
	if err := data.check(); err != nil {
		return NLL{}, err
	}
	if data.size() != v.Dim {
		return NLL{}, fmt.Errorf("VAE.ImportanceNLL(%s): examples of %d values, the VAE takes %d", data.Name, data.size(), v.Dim)
	}
	// k samples in chunks of at most 500 (rows of the decoder: images × chunk ≈ 10,000).
	chunks := (k + 499) / 500
	chunk := (k + chunks - 1) / chunks
	k = chunks * chunk
	images := max(1, 10000/chunk)
	exec, err := newEval(v.backend, v.Store, func(scope *model.Scope, x, state *Node) []*Node {
		state, logW := v.logWeights(scope, x, state, chunk)
		return []*Node{logSumExp(logW), state}
	})
	if err != nil {
		return NLL{}, err
	}
	x := data.X
	if v.Config.Input == InputBinarized {
		rng := rand.New(rand.NewPCG(seed, 0x62696e))
		x = make([]float32, len(data.X))
		for i, p := range data.X {
			if rng.Float32() < p {
				x[i] = 1
			}
		}
	}
	state, err := RNGStateFromSeed(int64(seed))
	if err != nil {
		return NLL{}, err
	}
	n, total := data.Len(), 0.0
	var line *progressLine
	if progress {
		line = newProgressLine(0, n)
		line.unit = "image"
		defer line.end()
	}
	batch := make([]float32, images*v.Dim)
	for from := 0; from < n; from += images {
		m := min(images, n-from)
		for i := range images { // a short last batch repeats its first image.
			j := from + min(i, m-1)
			copy(batch[i*v.Dim:(i+1)*v.Dim], x[j*v.Dim:(j+1)*v.Dim])
		}
		in := tensors.FromFlatDataAndDimensions(batch, images, v.Dim)
		sums := make([]float64, images) // log Σ w over the chunks so far.
		for c := range chunks {
			out, err := exec.Call(in, state)
			if err != nil {
				return NLL{}, fmt.Errorf("VAE.ImportanceNLL(%s): %w", data.Name, err)
			}
			state = out[1]
			for i, s := range out[0].Value().([]float32) {
				if c == 0 {
					sums[i] = float64(s)
				} else {
					sums[i] = logAddExp(sums[i], float64(s))
				}
			}
		}
		for i := range m {
			total += math.Log(float64(k)) - sums[i]
		}
		if line != nil {
			line.update(from+m, map[string]float64{"nll_iw": total / float64(from+m)})
		}
	}
	return NLL{NLL: total / float64(n), Samples: k, Images: n, Seed: seed}, nil
}

// logWeights draws k codes per image from q(z|x) and returns the log
// importance weights log p(x|z) + log p(z) − log q(z|x), [batch, k].
func (v *VAE) logWeights(scope *model.Scope, x, state *Node, k int) (*Node, *Node) {
	b, latent := x.Shape().Dimensions[0], v.Config.Latent
	mean, logVar := v.encoder(scope, x)
	shape := shapes.Make(x.DType(), b, k, latent)
	state, u1 := RandomUniform(state, shape)
	state, u2 := RandomUniform(state, shape)
	eps := boxMuller(u1, u2)
	z := Add(InsertAxes(mean, 1), Mul(InsertAxes(Exp(MulScalar(logVar, 0.5)), 1), eps)) // [b, k, latent]
	logits := v.decoder(scope, Reshape(z, b*k, latent))
	targets := Reshape(BroadcastToDims(InsertAxes(x, 1), b, k, v.Dim), b*k, v.Dim)
	logPxz := Reshape(Neg(BernoulliNLL(logits, targets)), b, k)
	// The Gaussians' log 2π terms cancel between log p(z) and log q(z|x).
	logPz := MulScalar(ReduceSum(Square(z), -1), -0.5)
	logQ := Sub(MulScalar(ReduceSum(Square(eps), -1), -0.5), InsertAxes(MulScalar(ReduceSum(logVar, -1), 0.5), 1))
	return state, Sub(Add(logPxz, logPz), logQ)
}

// logSumExp is log Σ exp over the last axis, stable for any values.
func logSumExp(x *Node) *Node {
	top := ReduceMax(x, -1)
	return Add(top, Log(ReduceSum(Exp(Sub(x, InsertAxes(top, -1))), -1)))
}

func logAddExp(a, b float64) float64 {
	if a < b {
		a, b = b, a
	}
	return a + math.Log1p(math.Exp(b-a))
}
