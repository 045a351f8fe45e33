package figures

import (
	"context"
	"fmt"
	"math"

	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/chart"
	"github.com/vaekit/vaekit/vaekit/compress"
	"github.com/vaekit/vaekit/vaekit/experiments"
	"gonum.org/v1/plot"
)

const articleCompression = "002_f2b4cc7de28aad0b.txt"

func init() {
	register(Spec{Name: "ae-vs-jpeg", Article: articleCompression,
		Summary: "bytes per image against PSNR: quantised deep-AE codes and JPEG, on MNIST and (same AE) Fashion-MNIST",
		Make: func(ctx context.Context, opts experiments.Options) (*Result, error) {
			return AEvsJPEG(ctx, experiments.DefaultCompressionExperiment(opts.Quick, opts.Seed), opts)
		}})
}

// Compression is what ae-vs-jpeg measures, per data set (MNIST, then
// Fashion-MNIST through the same MNIST-trained autoencoders).
type Compression struct {
	Experiment experiments.CompressionExperiment
	Sets       []CompressionSet
	Dataset    map[string]any
}

// CompressionSet is one data set's measurements.
type CompressionSet struct {
	Key, Title  string
	Points      map[string][]experiments.RatePoint // "ae_code10", …, "jpeg_file", "jpeg_payload".
	Verdict     string
	Rows, Cols  int           // of an image.
	Examples    [][][]float32 // per row: originals, the AE's, JPEG's at the nearest size.
	ExampleRows []string
}

// AEvsJPEG draws rate–distortion curves of autoencoder codes and JPEG on
// MNIST test digits (in domain) and on Fashion-MNIST test images through the
// same MNIST-trained autoencoders (out of domain).
func AEvsJPEG(ctx context.Context, exp experiments.CompressionExperiment, opts experiments.Options) (*Result, error) {
	return drawn(MeasureAEvsJPEG(ctx, exp, opts))
}

// MeasureAEvsJPEG trains (or loads) the autoencoders and measures both
// codecs on both data sets.
func MeasureAEvsJPEG(ctx context.Context, exp experiments.CompressionExperiment, opts experiments.Options) (*Compression, error) {
	if len(exp.CodeSizes) == 0 || len(exp.Bits) == 0 || len(exp.Qualities) == 0 {
		return nil, fmt.Errorf("ae-vs-jpeg: needs code sizes, bits and JPEG qualities, got %v, %v, %v", exp.CodeSizes, exp.Bits, exp.Qualities)
	}
	fashion, err := experiments.Loader(ctx).Images(datasets.FashionMNIST, datasets.Test)
	if err != nil {
		return nil, err
	}
	fashion = fashion.Subset(exp.TestSize)
	var models []experiments.CompressionAE
	for _, code := range exp.CodeSizes {
		m, err := experiments.TrainCompressionAE(ctx, exp, code, opts)
		if err != nil {
			return nil, err
		}
		models = append(models, m)
	}
	mnist := models[0].AE.Test
	c := &Compression{Experiment: exp, Dataset: experiments.DatasetOf(models[0].AE.Train, mnist)}
	c.Dataset["out_of_domain"], c.Dataset["out_of_domain_size"] = fashion.Name, fashion.Count
	for _, set := range []struct {
		key, title string
		images     *datasets.ImageSet
	}{{"mnist", "MNIST test digits (in domain)", mnist}, {"fashion", "Fashion-MNIST test images (out of domain)", fashion}} {
		s, err := measureCompression(exp, models, set.images)
		if err != nil {
			return nil, err
		}
		s.Key, s.Title = set.key, set.title
		c.Sets = append(c.Sets, *s)
	}
	return c, nil
}

// measureCompression measures every AE setting and JPEG quality on images.
// The examples show the largest code at the middle number of bits, and JPEG
// at the quality whose payload is nearest in size.
func measureCompression(exp experiments.CompressionExperiment, models []experiments.CompressionAE, images *datasets.ImageSet) (*CompressionSet, error) {
	originals := vaekit.ImageData(images).Rows()
	s := &CompressionSet{Points: map[string][]experiments.RatePoint{}, Rows: images.Rows, Cols: images.Cols}
	exampleCode, exampleBits := exp.CodeSizes[len(exp.CodeSizes)-1], exp.Bits[len(exp.Bits)/2]
	var exampleAE [][]float32
	var exampleLabel string
	for _, m := range models {
		codes, err := m.AE.AE.Encode(vaekit.ImageData(images))
		if err != nil {
			return nil, err
		}
		for _, bits := range exp.Bits {
			recon, err := experiments.QuantizedReconstruction(m, bits, codes)
			if err != nil {
				return nil, err
			}
			psnr, err := compress.PSNR(originals, recon)
			if err != nil {
				return nil, err
			}
			key := fmt.Sprintf("ae_code%d", m.Code)
			s.Points[key] = append(s.Points[key], experiments.RatePoint{Bytes: float64(m.Quantizers[bits].Bytes()), PSNR: psnr, Setting: bits})
			if m.Code == exampleCode && bits == exampleBits {
				exampleAE = recon
				exampleLabel = fmt.Sprintf("AE %d×%d bits\n(%d bytes)", m.Code, bits, m.Quantizers[bits].Bytes())
			}
		}
	}
	jpegDecoded := map[int][][]float32{}
	for _, quality := range exp.Qualities {
		file, payload, decoded, err := experiments.JPEGPoint(originals, images, quality)
		if err != nil {
			return nil, err
		}
		jpegDecoded[quality] = decoded
		s.Points["jpeg_file"] = append(s.Points["jpeg_file"], file)
		s.Points["jpeg_payload"] = append(s.Points["jpeg_payload"], payload)
	}
	s.Verdict = compressionVerdict(s.Points)
	aeBytes := float64(models[len(models)-1].Quantizers[exampleBits].Bytes())
	jp := s.Points["jpeg_payload"]
	closest := jp[0]
	for _, pt := range jp {
		if math.Abs(math.Log(pt.Bytes/aeBytes)) < math.Abs(math.Log(closest.Bytes/aeBytes)) {
			closest = pt
		}
	}
	show := min(exp.Show, len(originals))
	s.Examples = [][][]float32{originals[:show], exampleAE[:show], jpegDecoded[closest.Setting][:show]}
	s.ExampleRows = []string{"original", exampleLabel, fmt.Sprintf("JPEG q%d\n(%.0f bytes payload)", closest.Setting, closest.Bytes)}
	return s, nil
}

// compressionVerdict compares the AE with JPEG's payload: at the AE's best
// point, the bytes JPEG needs for the same PSNR, or what JPEG's smallest gives.
func compressionVerdict(points map[string][]experiments.RatePoint) string {
	best := experiments.RatePoint{PSNR: math.Inf(-1)}
	for key, pts := range points {
		if key != "jpeg_file" && key != "jpeg_payload" {
			for _, pt := range pts {
				if pt.PSNR > best.PSNR {
					best = pt
				}
			}
		}
	}
	jp := points["jpeg_payload"]
	if bytes, ok := bytesAt(jp, best.PSNR); ok {
		return fmt.Sprintf("best AE point %.0f bytes at %.2f dB; JPEG's payload needs %.0f bytes for that PSNR (%.1f× the AE's)",
			best.Bytes, best.PSNR, bytes, bytes/best.Bytes)
	} else if best.PSNR < jp[0].PSNR {
		return fmt.Sprintf("best AE point %.0f bytes at %.2f dB; JPEG's smallest payload, %.0f bytes (quality %d), already gives %.2f dB",
			best.Bytes, best.PSNR, jp[0].Bytes, jp[0].Setting, jp[0].PSNR)
	}
	return fmt.Sprintf("best AE point %.0f bytes at %.2f dB, above every JPEG quality tried", best.Bytes, best.PSNR)
}

// Draw is ae-vs-jpeg: per data set, the rate–distortion curves above the
// example images.
func (c *Compression) Draw() (*Result, error) {
	exp := c.Experiment
	metrics := map[string]any{
		"psnr_note": "10·log10(1/MSE), MSE per pixel over the whole test set, pixels in [0,1]",
		"bytes_note": "AE: ⌈code size × bits / 8⌉ bytes an image (decoder weights and per-dimension ranges shared, fitted on MNIST training codes); " +
			"JPEG: Go image/jpeg greyscale, the whole file, and its entropy-coded payload alone (headers and tables shared)",
	}
	var curves, examples []*plot.Plot
	for _, set := range c.Sets {
		lines := &chart.Lines{Title: set.Title, XLabel: "bytes per image", YLabel: "PSNR (dB)", LogX: true, Points: true, Legend: chart.TopLeft}
		for _, code := range exp.CodeSizes {
			s := chart.Series{Name: fmt.Sprintf("AE, %d-number code (%d–%d bits each)", code, exp.Bits[0], exp.Bits[len(exp.Bits)-1])}
			for _, pt := range set.Points[fmt.Sprintf("ae_code%d", code)] {
				s.X, s.Y = append(s.X, pt.Bytes), append(s.Y, pt.PSNR)
			}
			lines.Series = append(lines.Series, s)
		}
		for _, jpeg := range []struct {
			key, name string
			dashed    bool
		}{{"jpeg_file", "JPEG, whole file", true}, {"jpeg_payload", "JPEG, payload only", false}} {
			s := chart.Series{Name: jpeg.name, Dashed: jpeg.dashed}
			for _, pt := range set.Points[jpeg.key] {
				s.X, s.Y = append(s.X, pt.Bytes), append(s.Y, pt.PSNR)
			}
			lines.Series = append(lines.Series, s)
		}
		p, err := lines.Plot()
		if err != nil {
			return nil, err
		}
		curves = append(curves, p)
		metrics[set.Key] = map[string]any{"points": set.Points, "verdict": set.Verdict}
		show := len(set.Examples[0])
		g := &chart.Grid{Rows: len(set.Examples), Cols: show, Height: set.Rows, Width: set.Cols, RowLabels: set.ExampleRows}
		for _, rows := range set.Examples {
			g.Images = append(g.Images, rows...)
		}
		gp, err := g.Plot()
		if err != nil {
			return nil, err
		}
		examples = append(examples, gp)
	}
	fig := &chart.Figure{Title: "Autoencoder codes against JPEG: bytes per image and PSNR (AE trained on MNIST)",
		Panels: [][]*plot.Plot{curves, examples}, RowHeights: []float64{1.6, 1}}
	fig.Size(12, 8)
	return &Result{Figure: fig, Metrics: metrics, Hyperparameters: exp, Dataset: c.Dataset}, nil
}

// bytesAt interpolates, on a curve whose PSNR rises with its bytes, the
// bytes that give a PSNR (linearly in log bytes), when the PSNR lies within
// the curve.
func bytesAt(curve []experiments.RatePoint, psnr float64) (float64, bool) {
	for i := 1; i < len(curve); i++ {
		a, b := curve[i-1], curve[i]
		if psnr >= a.PSNR && psnr <= b.PSNR && b.PSNR > a.PSNR {
			t := (psnr - a.PSNR) / (b.PSNR - a.PSNR)
			return math.Exp(math.Log(a.Bytes) + t*(math.Log(b.Bytes)-math.Log(a.Bytes))), true
		}
	}
	return 0, false
}
