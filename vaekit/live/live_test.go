package live

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/vaekit/vaekit/vaekit/chart"
	"gonum.org/v1/plot"
)

// TestLiveViewDraws draws the live view in the states a training goes
// through: one step (every series a single point, where a log axis would be
// widened below 0), a term at 0, a partial row of samples, many steps.
func TestLiveViewDraws(t *testing.T) {
	preview := func() ([][]float32, error) {
		return [][]float32{make([]float32, 784), make([]float32, 784), make([]float32, 784)}, nil
	}
	for _, tc := range []struct {
		name  string
		steps []map[string]float64
	}{
		{"one step", []map[string]float64{{"loss": 0.688}}},
		{"one step, terms of different sizes", []map[string]float64{{"loss": 710, "kl": 0.257}}},
		{"a term at zero", []map[string]float64{{"d_fake": 0, "d_loss": 1.3}, {"d_fake": 0.1, "d_loss": 1.2}}},
		{"many steps", func() (s []map[string]float64) {
			for i := range 500 {
				s = append(s, map[string]float64{"recon": 200 - float64(i)/10, "kl": 5})
			}
			return s
		}()},
	} {
		v := &liveView{id: "test", title: "VAE on test", preview: preview, previewTitle: "samples now", side: 28,
			steps: map[string]*chart.Series{}, epochs: map[string]*chart.Series{}}
		for i, m := range tc.steps {
			for name, value := range m {
				add(v.steps, name, float64(i+1), value)
			}
		}
		add(v.epochs, "test_elbo", float64(len(tc.steps)), -161.6)
		page, err := v.safeHTML()
		if err != nil || !strings.Contains(page, `class="vaekit-live"`) || !strings.Contains(page, "data:image/png;base64,") {
			t.Errorf("%s: %v, %.100s", tc.name, err, page)
		}
	}
}

// TestLegendRoom checks that a live view's curves end below its legend:
// with five series the top 40 % of the y axis is left to the legend, on a
// linear and on a log axis.
func TestLegendRoom(t *testing.T) {
	for _, logY := range []bool{false, true} {
		p := plot.New()
		p.Y.Min, p.Y.Max = 0.1, 2.5
		legendRoom(p, logY, 5)
		frac := (2.5 - 0.1) / (p.Y.Max - 0.1)
		if logY {
			frac = math.Log(2.5/0.1) / math.Log(p.Y.Max/0.1)
		}
		if math.Abs(frac-0.6) > 1e-9 {
			t.Errorf("log %v: the data fill %.3f of the axis (top %.3f), want 0.6", logY, frac, p.Y.Max)
		}
	}
}

// TestScaleGroups: the live view's panels hold series of one scale each.
func TestScaleGroups(t *testing.T) {
	series := func(values map[string]float64) map[string]*chart.Series {
		out := map[string]*chart.Series{}
		for name, v := range values {
			add(out, name, 1, v)
			add(out, name, 2, v*1.1)
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		values map[string]float64
		want   string
	}{
		{"VAE steps", map[string]float64{"loss": 150, "recon": 145, "kl": 5}, "kl | loss recon"},
		{"VAE epochs", map[string]float64{"test_elbo": -150, "test_kl": 5, "test_recon": 145}, "test_elbo | test_kl | test_recon"},
		{"GAN steps", map[string]float64{"d_real": 0.7, "d_fake": 0.3, "d_loss": 1.2, "g_loss": 2.5, "loss": 3.7}, "d_fake d_real | d_loss g_loss loss"},
	} {
		var got []string
		for _, g := range scaleGroups(series(tc.values)) {
			var names []string
			for _, s := range g {
				names = append(names, s.Name)
			}
			slices.Sort(names)
			got = append(got, strings.Join(names, " "))
		}
		if strings.Join(got, " | ") != tc.want {
			t.Errorf("%s: panels %q, want %q", tc.name, strings.Join(got, " | "), tc.want)
		}
	}
}
