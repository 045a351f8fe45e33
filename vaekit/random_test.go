package vaekit

import (
	"math"
	"testing"

	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestBoxMullerAtZero holds NormalNoise's transform to a finite sample where
// the uniform draw is exactly 0 (once in 2³² draws): XLA's CPU runtime
// flushes denormals to zero, so a floor at the smallest denormal (GoMLX's)
// gives log 0 and an infinite sample there.
func TestBoxMullerAtZero(t *testing.T) {
	testBackend(t)
	exec, err := NewExec(MustBackend(), boxMuller)
	if err != nil {
		t.Fatal(err)
	}
	u1, u2 := []float32{0, 0x1p-33, 0.5, 1 - 0x1p-24}, []float32{0, 0, 0.5, 0.25}
	got := exec.MustCall(tensors.FromValue(u1), tensors.FromValue(u2))[0].Value().([]float32)
	for i := range u1 {
		want := math.Sqrt(-2*math.Log(max(float64(u1[i]), 0x1p-33))) * math.Cos(2*math.Pi*float64(u2[i]))
		if math.IsInf(float64(got[i]), 0) || math.IsNaN(float64(got[i])) || math.Abs(float64(got[i])-want) > 1e-4*max(1, math.Abs(want)) {
			t.Errorf("u₁ = %g, u₂ = %g: got %g, want %g", u1[i], u2[i], got[i], want)
		}
	}
}

// TestReparameterizeAtZeroDraw holds the VAE's z finite where both uniform
// draws are exactly 0: ε is then √(−2 ln 2⁻³³) = √(66 ln 2), not ∞.
func TestReparameterizeAtZeroDraw(t *testing.T) {
	testBackend(t)
	saved := uniformNoise
	t.Cleanup(func() { uniformNoise = saved })
	uniformNoise = func(_ *model.Scope, g *Graph, shape shapes.Shape) *Node { return Zeros(g, shape) }
	exec, err := model.NewExec(MustBackend(), model.NewStore(), func(scope *model.Scope, mean, logVar *Node) *Node {
		return Reparameterize(scope, mean, logVar)
	})
	if err != nil {
		t.Fatal(err)
	}
	mean, logVar := []float32{0, 1, -2}, []float32{0, float32(math.Log(4)), -1}
	got := exec.MustCall(tensors.FromValue(mean), tensors.FromValue(logVar))[0].Value().([]float32)
	eps := math.Sqrt(66 * math.Ln2)
	for i := range mean {
		want := float64(mean[i]) + math.Exp(float64(logVar[i])/2)*eps
		if math.IsInf(float64(got[i]), 0) || math.IsNaN(float64(got[i])) || math.Abs(float64(got[i])-want) > 1e-4*max(1, math.Abs(want)) {
			t.Errorf("mean %g, log σ² %g: z = %g, want %g", mean[i], logVar[i], got[i], want)
		}
	}
}
