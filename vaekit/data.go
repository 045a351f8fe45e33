package vaekit

import (
	"fmt"
	"iter"
	"math/rand/v2"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/vaekit/vaekit/datasets"
)

// Data is an in-memory data set of examples served in shuffled batches:
// X holds N examples of Shape (e.g. [784] or [28, 28, 1]), Labels is
// optional. It is what Fit trains on.
type Data struct {
	Name   string
	X      []float32
	Shape  []int   // of one example.
	Labels []int32 // optional, one per example.
}

// ImageData returns an image set as Data of flat examples ([Rows*Cols],
// grey levels in [0, 1]) with labels: the input of the dense models.
func ImageData(s *datasets.ImageSet) *Data {
	var labels []int32 // nil for an unlabelled set.
	for _, l := range s.Labels {
		labels = append(labels, int32(l))
	}
	return &Data{Name: s.Name, X: s.Float32(), Shape: []int{s.Rows * s.Cols}, Labels: labels}
}

// Len is the number of examples.
func (d *Data) Len() int { return len(d.X) / d.size() }

func (d *Data) size() int {
	n := 1
	for _, s := range d.Shape {
		n *= s
	}
	return n
}

func (d *Data) check() error {
	if d.size() <= 0 || len(d.X)%d.size() != 0 {
		return fmt.Errorf("data %q: %d values do not make whole examples of shape %v", d.Name, len(d.X), d.Shape)
	}
	if d.Labels != nil && len(d.Labels) != d.Len() {
		return fmt.Errorf("data %q: %d labels for %d examples", d.Name, len(d.Labels), d.Len())
	}
	return nil
}

// Rows returns one slice per example (sharing X's memory).
func (d *Data) Rows() [][]float32 {
	size := d.size()
	out := make([][]float32, d.Len())
	for i := range out {
		out[i] = d.X[i*size : (i+1)*size]
	}
	return out
}

// Batch returns examples [from, to) as tensors: X of shape [to-from,
// Shape...] and, if there are labels, labels of shape [to-from].
func (d *Data) Batch(from, to int) (x, labels *tensors.Tensor) {
	return d.gather(func(i int) int { return from + i }, to-from)
}

// gather builds the batch of rows index(0..n-1).
func (d *Data) gather(index func(int) int, n int) (x, labels *tensors.Tensor) {
	size := d.size()
	flat := make([]float32, n*size)
	for i := range n {
		j := index(i)
		copy(flat[i*size:(i+1)*size], d.X[j*size:(j+1)*size])
	}
	x = tensors.FromFlatDataAndDimensions(flat, append([]int{n}, d.Shape...)...)
	if d.Labels != nil {
		l := make([]int32, n)
		for i := range n {
			l[i] = d.Labels[index(i)]
		}
		labels = tensors.FromFlatDataAndDimensions(l, n)
	}
	return
}

// batches serves Data in shuffled batches, endlessly, starting at a given
// global step: the batch of a step depends only on (seed, step), so a run
// resumed from a checkpoint sees exactly the batches it would have seen.
// Incomplete last batches are dropped, as Keras and PyTorch do with
// drop_last, so every step has the same shape (one compiled graph).
type batches struct {
	data          *Data
	batchSize     int
	seed          uint64
	startStep     int
	labelsAsInput bool // labels go with the inputs, not the loss's labels.
	shards        int  // > 1: each batch is yielded as this many consecutive parts (data-parallel training).
}

func (b *batches) stepsPerEpoch() int { return b.data.Len() / b.batchSize }

// permutation returns the order of the examples in an epoch.
func (b *batches) permutation(epoch int) []int {
	rng := rand.New(rand.NewPCG(b.seed, uint64(epoch)))
	return rng.Perm(b.data.Len())
}

func (b *batches) Name() string { return b.data.Name }

func (b *batches) Iter() iter.Seq2[train.Batch, error] {
	return func(yield func(train.Batch, error) bool) {
		perEpoch := b.stepsPerEpoch()
		epoch, perm := -1, []int(nil)
		for step := b.startStep; ; step++ {
			if e := step / perEpoch; e != epoch {
				epoch, perm = e, b.permutation(e)
			}
			shards := max(b.shards, 1)
			size := b.batchSize / shards
			for shard := range shards {
				offset := (step%perEpoch)*b.batchSize + shard*size
				x, labels := b.data.gather(func(i int) int { return perm[offset+i] }, size)
				batch := train.Batch{Inputs: []*tensors.Tensor{x}}
				switch {
				case labels != nil && b.labelsAsInput:
					batch.Inputs = append(batch.Inputs, labels)
				case labels != nil:
					batch.Labels = []*tensors.Tensor{labels}
				}
				if !yield(batch, nil) {
					return
				}
			}
		}
	}
}

// rows returns the examples' indices of k steps' batches from step on,
// [k, batchSize] (steps of one epoch): what Model.steps gathers on the
// device, the same examples Iter serves.
func (b *batches) rows(step, k int) *tensors.Tensor {
	perm := b.permutation(step / b.stepsPerEpoch())
	offset := (step % b.stepsPerEpoch()) * b.batchSize
	rows := make([]int32, k*b.batchSize)
	for i := range rows {
		rows[i] = int32(perm[offset+i])
	}
	return tensors.FromFlatDataAndDimensions(rows, k, b.batchSize)
}

// forBatches calls fn on data in fixed-size batches (evalBatch); the last
// one is padded by repeating its first example, and fn is told how many are real.
func forBatches(data *Data, fn func(x *tensors.Tensor, from, n int) error) error {
	if err := data.check(); err != nil {
		return err
	}
	total := data.Len()
	for from := 0; from < total; from += evalBatch {
		n := min(evalBatch, total-from)
		x, _ := data.gather(func(i int) int {
			if i < n {
				return from + i
			}
			return from
		}, evalBatch)
		if err := fn(x, from, n); err != nil {
			return err
		}
	}
	return nil
}

// mapBatches runs exec (one input, one [B, dim] output) over data in
// evaluation batches and collects the rows.
func mapBatches(data *Data, exec *Eval) ([][]float32, error) {
	rows := make([][]float32, 0, data.Len())
	err := forBatches(data, func(x *tensors.Tensor, from, n int) error {
		out, err := exec.Call(x)
		if err != nil {
			return err
		}
		rows = append(rows, out[0].Value().([][]float32)[:n]...)
		return nil
	})
	return rows, err
}

// reconstructions are data's first 8 examples above what exec (x → outputs
// of the same size) makes of them: a preview of an autoencoder.
func reconstructions(data *Data, exec *Eval) ([][]float32, error) {
	n, size := min(8, data.Len()), data.size()
	x, _ := data.Batch(0, n) // not an evaluation batch of 500: the view redraws while training.
	out, err := exec.Call(x)
	if err != nil {
		return nil, err
	}
	images := make([][]float32, 0, 2*n)
	for i := range n {
		images = append(images, data.X[i*size:(i+1)*size])
	}
	return append(images, out[0].Value().([][]float32)...), nil
}
