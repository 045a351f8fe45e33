package figures

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/chart"
	"github.com/vaekit/vaekit/vaekit/experiments"
	"github.com/vaekit/vaekit/vaekit/ops"
	"gonum.org/v1/plot"
)

const articleLecture = "001_8bdaea94d2f7ea37.txt"

func init() {
	register(Spec{Name: "conv-ae", Article: articleLecture,
		Summary: "convolutional AE reconstructions: unpooling to recorded locations, copy-to-all, upsampling",
		Make: func(ctx context.Context, opts experiments.Options) (*Result, error) {
			return ConvAEFigure(ctx, experiments.DefaultConvAEExperiment(opts.Quick, opts.Seed), opts)
		},
		Compare: []Comparison{ // the decoders in order, with the lecture's channels (a code 4× the image) and with a narrow code.
			{Metric: "mse_per_image, wide code", A: "mse_per_image_locations", B: "mse_per_image_copy", NameA: "unpool to locations", NameB: "copy-to-all"},
			{Metric: "mse_per_image, wide code", A: "mse_per_image_copy", B: "mse_per_image_upsample", NameA: "copy-to-all", NameB: "upsampling"},
			{Metric: "mse_per_image, narrow code", A: "mse_per_image_narrow_locations", B: "mse_per_image_narrow_copy", NameA: "unpool to locations", NameB: "copy-to-all"},
			{Metric: "mse_per_image, narrow code", A: "mse_per_image_narrow_copy", B: "mse_per_image_narrow_upsample", NameA: "copy-to-all", NameB: "upsampling"}}})
	register(Spec{Name: "unpooling", Article: articleLecture,
		Summary: "a feature map pooled and unpooled two ways; deconvolution is a convolution (1-D)",
		Make: func(ctx context.Context, opts experiments.Options) (*Result, error) {
			exp := experiments.DefaultConvAEExperiment(opts.Quick, opts.Seed)
			t, err := experiments.TrainConvAE(ctx, exp, vaekit.UnpoolLocations, opts)
			if err != nil {
				return nil, err
			}
			return UnpoolingFigure(t)
		}})
}

var convAEVariants = []struct{ unpool, label string }{
	{vaekit.UnpoolLocations, "unpool to recorded locations + deconv"},
	{vaekit.UnpoolCopy, "copy-to-all unpool + deconv"},
	{vaekit.UpsampleConv, "nearest-neighbour upsampling + conv"},
}

// ConvAEReconstructions is what conv-ae measures: the same test images
// through the three decoders, for each configuration of channels, with each
// one's mean squared error per image over the test set, its code size and
// what its decoder is given besides the code.
type ConvAEReconstructions struct {
	experiments.About
	Originals [][]float32 // the first Show test images.
	Variants  []ConvAEVariant
}

// ConvAEVariant is one decoder of one configuration: a row of conv-ae.
type ConvAEVariant struct {
	Unpool, Label string
	Channels      []int
	CodeSize      int // numbers per image at the bottleneck.
	LocationBits  int // bits per image of the recorded max locations the decoder also gets (0: none).
	MSE           float64
	Recon         [][]float32 // of the Originals.
}

// ConvAEFigure trains the three decoders of each configuration and shows
// their reconstructions of the same test digits, with mse_per_image, code
// size and location bits for each.
func ConvAEFigure(ctx context.Context, exp experiments.ConvAEExperiment, opts experiments.Options) (*Result, error) {
	return drawn(MeasureConvAE(ctx, exp, opts))
}

// MeasureConvAE trains (or loads) the conv AEs and reconstructs the test
// set with each.
func MeasureConvAE(ctx context.Context, exp experiments.ConvAEExperiment, opts experiments.Options) (*ConvAEReconstructions, error) {
	c := &ConvAEReconstructions{}
	configs := [][]int{exp.Channels}
	if exp.NarrowChannels > 0 {
		configs = append(configs, append(slices.Clone(exp.Channels[:len(exp.Channels)-1]), exp.NarrowChannels))
	}
	for _, channels := range configs {
		for _, v := range convAEVariants {
			e := exp
			e.Channels = channels
			t, err := experiments.TrainConvAE(ctx, e, v.unpool, opts)
			if err != nil {
				return nil, err
			}
			test := vaekit.ImageData(t.Test)
			recon, err := t.AE.Reconstruct(test)
			if err != nil {
				return nil, err
			}
			mse, err := vaekit.MSEPerImage(test, recon)
			if err != nil {
				return nil, err
			}
			show := min(exp.Show, len(recon))
			if c.Originals == nil {
				c.Originals = test.Rows()[:show]
				c.About = experiments.About{Hyperparameters: exp, History: t.History,
					Dataset: map[string]any{"name": "mnist", "train_size": t.Train.Count, "test_size": t.Test.Count}}
			}
			code, bits := convAECode(t.Train.Rows, channels, v.unpool)
			c.Variants = append(c.Variants, ConvAEVariant{Unpool: v.unpool, Label: v.label, Channels: channels, CodeSize: code,
				LocationBits: bits, MSE: mse, Recon: recon[:show]})
		}
	}
	return c, nil
}

// convAECode is a conv AE's code size (numbers per image after the last
// pooling) and, for unpooling to recorded locations, the bits per image of
// the locations its decoder also gets: 2 bits (one of 4) per pooled value
// of every stage.
func convAECode(side int, channels []int, unpool string) (code, locationBits int) {
	for _, ch := range channels {
		side /= 2
		code = side * side * ch
		if unpool == vaekit.UnpoolLocations {
			locationBits += 2 * code
		}
	}
	return code, locationBits
}

// Draw is conv-ae: originals above each decoder's reconstructions, each
// configuration's three decoders ranked by error in the JSON.
func (c *ConvAEReconstructions) Draw() (*Result, error) {
	g := &chart.Grid{Rows: 1 + len(c.Variants), Cols: len(c.Originals), Height: 28, Width: 28, RowLabels: []string{"original"},
		Images: slices.Clone(c.Originals)}
	metrics := map[string]any{"mse_note": "sum of squared errors per 28×28 test image, pixels in [0,1]",
		"code_size_note": "numbers per image at the bottleneck (the image has 784); location_bits: what unpooling to recorded locations also gives the decoder (2 bits per pooled value of every stage)"}
	variants, codeSizes, locationBits := map[string]string{}, map[string]int{}, map[string]int{}
	var rankings []string // per configuration, in order.
	byConfig := map[string][]ConvAEVariant{}
	var order []string
	for _, v := range c.Variants {
		g.Images = append(g.Images, v.Recon...)
		extra := ""
		if v.LocationBits > 0 {
			extra = fmt.Sprintf(" + %s location bits", thousands(v.LocationBits))
		}
		g.RowLabels = append(g.RowLabels, fmt.Sprintf("%s, code %s%s\nmse %.2f", shortLabel(v.Unpool), thousands(v.CodeSize), extra, v.MSE))
		config, key := channelsName(v.Channels), v.Unpool
		if config != channelsName(c.Variants[0].Channels) {
			key = "narrow_" + v.Unpool // the first configuration's keys are the plain names.
		}
		if byConfig[config] == nil {
			order = append(order, config)
		}
		byConfig[config] = append(byConfig[config], v)
		metrics["mse_per_image_"+key] = v.MSE
		codeSizes[key], locationBits[key] = v.CodeSize, v.LocationBits
		variants[key] = v.Label
	}
	for _, config := range order {
		vs := slices.Clone(byConfig[config])
		slices.SortFunc(vs, func(a, b ConvAEVariant) int { return cmp.Compare(a.MSE, b.MSE) })
		var parts []string
		for _, v := range vs {
			parts = append(parts, fmt.Sprintf("%s %.2f", shortLabel(v.Unpool), v.MSE))
		}
		rankings = append(rankings, fmt.Sprintf("channels %s, code %d numbers per image (%.2f× the image): %s", config, vs[0].CodeSize,
			float64(vs[0].CodeSize)/784, strings.Join(parts, " < ")))
	}
	metrics["variants"], metrics["code_size"], metrics["location_bits"], metrics["ranking"] = variants, codeSizes, locationBits, rankings
	p, err := g.Plot()
	if err != nil {
		return nil, err
	}
	p.Y.Tick.Label.Font.Size = 8
	fig := chart.New("Convolutional autoencoder: three decoders, a wide and a narrow code", p).Size(9, 0.8+0.65*float64(len(c.Variants)+1))
	return &Result{Figure: fig, Metrics: metrics, About: c.About}, nil
}

// channelsName is how a configuration is named in conv-ae's JSON: "32-64".
func channelsName(channels []int) string {
	var parts []string
	for _, c := range channels {
		parts = append(parts, fmt.Sprint(c))
	}
	return strings.Join(parts, "-")
}

// thousands writes n with commas between groups of three digits: 18816 → "18,816".
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func shortLabel(unpool string) string {
	switch unpool {
	case vaekit.UnpoolLocations:
		return "unpool to locations"
	case vaekit.UnpoolCopy:
		return "copy-to-all"
	}
	return "upsampling"
}

// Unpooling is what the unpooling figure measures on the first test digit:
// the feature map of the first encoder stage's most active channel, pooled
// and unpooled both ways, and the 1-D check that deconvolution is a
// convolution.
type Unpooling struct {
	Trained         *experiments.TrainedConvAE
	Channel         int
	Panels          []ImagePanel // input, feature map, pooled, unpooled to the locations, copy-to-all.
	Deconv          *chart.Lines // the 1-D scatter and the convolution of the zero-interleaved input.
	DeconvMaxDiff   float64
	UnpooledNonzero int
	PooledPixels    int
}

// ImagePanel is one square image of a figure, values scaled to [0, 1].
type ImagePanel struct {
	Title  string
	Values []float32
	Side   int
}

// UnpoolingFigure shows, for one test digit, a feature map of the trained
// encoder's first stage, after max pooling, after unpooling to the recorded
// locations and after copy-to-all unpooling; and the lecture's 1-D point
// that deconvolution is a convolution.
func UnpoolingFigure(t *experiments.TrainedConvAE) (*Result, error) {
	return drawn(MeasureUnpooling(t))
}

// MeasureUnpooling computes the unpooling figure's panels.
func MeasureUnpooling(t *experiments.TrainedConvAE) (*Unpooling, error) {
	maps, err := t.AE.Features(vaekit.ImageData(t.Test), 1)
	if err != nil {
		return nil, err
	}
	u := &Unpooling{Trained: t}
	feature, side := mostActiveChannel(maps[0], &u.Channel)
	backend, err := vaekit.Backend()
	if err != nil {
		return nil, err
	}
	out := MustExecOnceN(backend, func(x *Node) []*Node {
		pooled, idx := ops.MaxPoolWithIndices(x, 2)
		return []*Node{pooled, ops.Unpool(pooled, idx, 2), ops.UnpoolCopy(pooled, 2)}
	}, tensors.FromFlatDataAndDimensions(feature, 1, side, side, 1))
	scale := 1e-9
	for _, v := range feature {
		scale = math.Max(scale, v)
	}
	half := side / 2
	for _, p := range []struct {
		title  string
		values []float64
		n      int
	}{
		{"input digit", scaled(t.Test.Image(0), scale), side},
		{fmt.Sprintf("feature map (channel %d)", u.Channel), feature, side},
		{"after 2×2 max pooling", tensors.MustCopyFlatData[float64](out[0]), half},
		{"unpooled: recorded locations", tensors.MustCopyFlatData[float64](out[1]), side},
		{"unpooled: copy-to-all", tensors.MustCopyFlatData[float64](out[2]), side},
	} {
		if len(p.values) != p.n*p.n {
			return nil, fmt.Errorf("unpooling: %s has %d values, want %d×%d", p.title, len(p.values), p.n, p.n)
		}
		img := make([]float32, len(p.values))
		for i, v := range p.values {
			img[i] = float32(v / scale)
		}
		u.Panels = append(u.Panels, ImagePanel{Title: p.title, Values: img, Side: p.n})
	}
	for _, v := range tensors.MustCopyFlatData[float64](out[1]) {
		if v != 0 {
			u.UnpooledNonzero++
		}
	}
	u.PooledPixels = half * half
	u.Deconv, u.DeconvMaxDiff, err = deconvIsConv()
	return u, err
}

// mostActiveChannel returns the values of the channel of a feature map
// [side][side][C] that varies most over this digit, and the map's side.
func mostActiveChannel(fm [][][]float32, channel *int) ([]float64, int) {
	best, bestVar := 0, -1.0
	for c := range fm[0][0] {
		var s, s2 float64
		for _, row := range fm {
			for _, px := range row {
				s += float64(px[c])
				s2 += float64(px[c]) * float64(px[c])
			}
		}
		n := float64(len(fm) * len(fm[0]))
		if v := s2/n - (s/n)*(s/n); v > bestVar {
			best, bestVar = c, v
		}
	}
	*channel = best
	feature := make([]float64, 0, len(fm)*len(fm))
	for _, row := range fm {
		for _, px := range row {
			feature = append(feature, float64(px[best]))
		}
	}
	return feature, len(fm)
}

// Draw is the unpooling figure: the five panels, then the 1-D demonstration.
func (u *Unpooling) Draw() (*Result, error) {
	var plots []*plot.Plot
	for _, p := range u.Panels {
		g := &chart.Grid{Title: p.Title, Rows: 1, Cols: 1, Height: p.Side, Width: p.Side, Images: [][]float32{p.Values},
			XLabel: fmt.Sprintf("%d×%d", p.Side, p.Side)}
		gp, err := g.Plot()
		if err != nil {
			return nil, err
		}
		plots = append(plots, gp)
	}
	dp, err := u.Deconv.Plot()
	if err != nil {
		return nil, err
	}
	// The five maps in a row across the page, the 1-D demonstration below.
	fig := &chart.Figure{Title: "Unpooling a real feature map, and deconvolution as convolution",
		Panels: [][]*plot.Plot{plots, {dp}}, RowHeights: []float64{2.0, 2.6}}
	fig.Size(6.5, 0.45+2.0+2.6)
	t := u.Trained
	return &Result{Figure: fig,
		Metrics: map[string]any{
			"deconv_vs_conv_max_abs_diff": u.DeconvMaxDiff,
			"channel":                     u.Channel,
			"unpooled_nonzero_pixels":     u.UnpooledNonzero,
			"pooled_pixels":               u.PooledPixels,
		},
		Hyperparameters: t.Experiment,
		Dataset:         map[string]any{"name": "mnist", "test_image": 0, "train_size": t.Train.Count},
		History:         t.History}, nil
}

func scaled(img []float32, scale float64) []float64 {
	out := make([]float64, len(img))
	for i, v := range img {
		out[i] = float64(v) * scale // shown with the feature map's scale, so it displays as is.
	}
	return out
}

// deconvIsConv is the lecture's 1-D example: a transposed convolution
// (stride 2) of a short signal by its definition — each input value
// spreads, weighted by the kernel, over three outputs — beside a plain
// convolution of the signal with zeros interleaved and padded, by the
// flipped kernel. It returns the chart and the largest difference.
func deconvIsConv() (*chart.Lines, float64, error) {
	x := []float64{1, 2, -1, 0.5, 1.5}
	w := []float64{1, 0.5, -0.75}
	const stride = 2
	k := len(w)
	n := (len(x)-1)*stride + k
	scatter := make([]float64, n)
	for i, xi := range x {
		for d, wd := range w {
			scatter[i*stride+d] += xi * wd
		}
	}
	// Zero-interleaved and padded by k−1 on both sides.
	padded := make([]float64, (len(x)-1)*stride+1+2*(k-1))
	for i, xi := range x {
		padded[k-1+i*stride] = xi
	}
	flipped := []float64{w[2], w[1], w[0]}
	b, err := vaekit.Backend()
	if err != nil {
		return nil, 0, err
	}
	conv := MustExecOnce(b, func(s, kernel *Node) *Node {
		return ops.Conv(s, kernel).Done()
	}, tensors.FromFlatDataAndDimensions(padded, 1, 1, len(padded), 1),
		tensors.FromFlatDataAndDimensions(flipped, 1, k, 1, 1))
	convolved := tensors.MustCopyFlatData[float64](conv)
	if len(convolved) != n {
		return nil, 0, fmt.Errorf("deconvolution demo: convolution gave %d values, want %d", len(convolved), n)
	}
	diff := 0.0
	pos := make([]float64, n)
	for i := range n {
		pos[i] = float64(i)
		diff = math.Max(diff, math.Abs(scatter[i]-convolved[i]))
	}
	return &chart.Lines{Title: "1-D: deconvolution = convolution", XLabel: "output position", YLabel: "value", Points: true, Legend: chart.BottomLeft,
		Series: []chart.Series{
			{Name: "transposed conv (scatter)", X: pos, Y: scatter},
			{Name: "conv of zero-interleaved input", X: pos, Y: convolved, Dashed: true},
		}}, diff, nil
}
