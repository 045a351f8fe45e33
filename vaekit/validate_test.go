package vaekit

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

type validator interface{ Validate() error }

// TestEveryConfigRefusesNonFinite sets each float field of each model's
// default config to +Inf, then NaN: every Validate must name that field.
func TestEveryConfigRefusesNonFinite(t *testing.T) {
	checked := 0
	for _, cfg := range []validator{DefaultVAEConfig(), DefaultAEConfig(), DefaultConvAEConfig(), DefaultDCGANConfig(),
		DefaultMLPGANConfig(),
		ClassifierConfig{Layers: []int{8}, Classes: 10, Optimizer: "adam", LearningRate: 1e-3, BatchSize: 10}} {
		typ := reflect.TypeOf(cfg)
		for _, f := range reflect.VisibleFields(typ) { // with TrainConfig's.
			if f.Type.Kind() != reflect.Float64 || !f.IsExported() {
				continue
			}
			for _, bad := range []float64{math.Inf(1), math.NaN()} {
				v := reflect.New(typ).Elem()
				v.Set(reflect.ValueOf(cfg))
				v.FieldByIndex(f.Index).SetFloat(bad)
				want := typ.Name() + "." + f.Name + " must be a finite number"
				if err := v.Interface().(validator).Validate(); err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("%s.%s = %v: got %v, want %q", typ.Name(), f.Name, bad, err, want)
				}
			}
			checked++
		}
	}
	if checked < 8 {
		t.Errorf("only %d float fields checked", checked)
	}
	t.Logf("%d float fields checked", checked)
}
