package vaekit

import (
	"slices"
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Eval is a model.Exec for computing with a model's current variables
// (encoding, decoding, sampling, evaluating), never training them. Where the
// backend builds variables into a graph as constants outside training
// (compute's PreferConstantsForVariables: GoMLX's Go backend), it is rebuilt
// when the variables were replaced (by training or loading) since its last
// call, since the old executable computes with the old values
// (TestEvalSeesTraining); elsewhere (XLA) the variables are parameters read at
// each call and one compilation serves the whole run: a GAN's probes and a
// notebook's live previews between training steps cost a run, not a
// compilation each.
type Eval struct {
	build   func() (*model.Exec, error)
	store   *model.Store
	exec    *model.Exec
	seen    []*tensors.Tensor
	rebuild bool
	mu      sync.Mutex // where rebuilding: exec and seen, one call at a time.
}

// NewEval makes an Eval of fn (any graph function model.Exec takes) with
// m's variables: a model of one's own samples or encodes with it.
func NewEval[F model.ExecGraphFn](m *Model, fn F) (*Eval, error) {
	return newEval(m.backend, m.Store, fn)
}

func newEval[F model.ExecGraphFn](backend compute.Backend, store *model.Store, fn F) (*Eval, error) {
	e := &Eval{store: store, rebuild: backend.Capabilities().PreferConstantsForVariables,
		build: func() (*model.Exec, error) { return model.NewExec(backend, store, fn) }}
	var err error
	e.exec, err = e.build()
	return e, err
}

// Call runs the computation on args with the variables' current values.
// What it sees is taken after its own run: a computation that updates a
// variable itself (the random state, when it samples) keeps its executable
// even where rebuilding.
func (e *Eval) Call(args ...any) ([]*tensors.Tensor, error) {
	if !e.rebuild {
		return e.exec.Call(args...) // one executable for good: calls may run at once (a scorer a figure's seeds share).
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.seen != nil && !slices.Equal(e.values(), e.seen) {
		e.exec.Finalize()
		exec, err := e.build()
		if err != nil {
			return nil, err
		}
		e.exec = exec
	}
	out, err := e.exec.Call(args...)
	e.seen = e.values()
	return out, err
}

// values are the variables' current tensors, in the store's order.
func (e *Eval) values() []*tensors.Tensor {
	var values []*tensors.Tensor
	for v := range e.store.IterVariables() {
		if v.HasValue() {
			t, _ := v.Value()
			values = append(values, t)
		}
	}
	return values
}

// Compile builds (without running) the graph for inputs of these shapes.
func (e *Eval) Compile(inputs ...shapes.Shape) (*Graph, error) { return e.exec.Compile(inputs...) }
