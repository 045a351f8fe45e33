package figures

import (
	"context"
	"fmt"
	"math"

	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/chart"
	"github.com/vaekit/vaekit/vaekit/compress"
	"gonum.org/v1/plot"
)

const articleCompression = "002_f2b4cc7de28aad0b.txt"

func init() {
	register(Spec{Name: "ae-vs-jpeg", Article: articleCompression,
		Summary: "bytes per image against PSNR: quantised deep-AE codes and JPEG, on MNIST and (same AE) Fashion-MNIST",
		Make: func(ctx context.Context, opts Options) (*Result, error) {
			return AEvsJPEG(ctx, DefaultCompressionExperiment(opts.Quick, opts.Seed), opts)
		}})
}

// CompressionExperiment determines ae-vs-jpeg: deep autoencoders trained on
// MNIST (the AEExperiment's layers, with each code size as the last), their
// codes quantised to each number of bits per dimension, and JPEG at each
// quality.
type CompressionExperiment struct {
	AEExperiment
	CodeSizes []int `json:"code_sizes"`
	Bits      []int `json:"bits_per_dimension"`
	Qualities []int `json:"jpeg_qualities"`
	Show      int   `json:"show"` // example images per data set.
}

// DefaultCompressionExperiment uses the lecture's deep AE (784-1000-500-250)
// with 10- and 30-number codes (the 30 is ae-vs-pca-recon's model), 2 to 8
// bits per code number, and JPEG qualities 1 to 95.
func DefaultCompressionExperiment(quick bool, seed int64) CompressionExperiment {
	return CompressionExperiment{AEExperiment: DefaultAEExperiment(quick, seed, 30),
		CodeSizes: []int{10, 30}, Bits: []int{2, 3, 4, 6, 8}, Qualities: []int{1, 5, 10, 20, 40, 70, 95}, Show: 6}
}

// ratePoint is one point of a rate–distortion curve.
type ratePoint struct {
	Bytes   float64 `json:"bytes_per_image"`
	PSNR    float64 `json:"psnr_db"`
	Setting int     `json:"setting"` // bits per code number, or JPEG quality.
}

// AEvsJPEG draws rate–distortion curves of autoencoder codes and JPEG on
// MNIST test digits (in domain) and on Fashion-MNIST test images through the
// same MNIST-trained autoencoders (out of domain).
func AEvsJPEG(ctx context.Context, exp CompressionExperiment, opts Options) (*Result, error) {
	if len(exp.CodeSizes) == 0 || len(exp.Bits) == 0 || len(exp.Qualities) == 0 {
		return nil, fmt.Errorf("ae-vs-jpeg: needs code sizes, bits and JPEG qualities, got %v, %v, %v", exp.CodeSizes, exp.Bits, exp.Qualities)
	}
	fashion, err := loader(ctx).Images(datasets.FashionMNIST, datasets.Test)
	if err != nil {
		return nil, err
	}
	fashion = fashion.Subset(exp.TestSize)
	type aeModel struct {
		code int
		t    *TrainedAE
		q    map[int]*compress.Quantizer
	}
	var models []aeModel
	for _, code := range exp.CodeSizes {
		e := exp.AEExperiment
		e.Layers = append(append([]int{}, e.Layers[:len(e.Layers)-1]...), code)
		t, err := TrainAE(ctx, e, opts)
		if err != nil {
			return nil, err
		}
		trainCodes, err := t.AE.Encode(vaekit.ImageData(t.Train))
		if err != nil {
			return nil, err
		}
		m := aeModel{code: code, t: t, q: map[int]*compress.Quantizer{}}
		for _, bits := range exp.Bits {
			if m.q[bits], err = compress.FitQuantizer(trainCodes, bits); err != nil {
				return nil, err
			}
		}
		models = append(models, m)
	}
	mnist := models[0].t.Test
	// The examples show the largest code at the middle number of bits.
	exampleCode, exampleBits := exp.CodeSizes[len(exp.CodeSizes)-1], exp.Bits[len(exp.Bits)/2]

	metrics := map[string]any{
		"psnr_note": "10·log10(1/MSE), MSE per pixel over the whole test set, pixels in [0,1]",
		"bytes_note": "AE: ⌈code size × bits / 8⌉ bytes an image (decoder weights and per-dimension ranges shared, fitted on MNIST training codes); " +
			"JPEG: Go image/jpeg greyscale, the whole file, and its entropy-coded payload alone (headers and tables shared)",
	}
	var curves, examples []*plot.Plot
	for _, set := range []struct {
		key, title string
		images     *datasets.ImageSet
	}{{"mnist", "MNIST test digits (in domain)", mnist}, {"fashion", "Fashion-MNIST test images (out of domain)", fashion}} {
		data := vaekit.ImageData(set.images)
		originals := data.Rows()
		lines := &chart.Lines{Title: set.title, XLabel: "bytes per image", YLabel: "PSNR (dB)", LogX: true, Points: true, Legend: chart.TopLeft}
		points := map[string][]ratePoint{}
		var showAE [][]float32
		showLabel := ""
		for _, m := range models {
			codes, err := m.t.AE.Encode(data)
			if err != nil {
				return nil, err
			}
			name := fmt.Sprintf("AE, %d-number code", m.code)
			s := chart.Series{Name: name + fmt.Sprintf(" (%d–%d bits each)", exp.Bits[0], exp.Bits[len(exp.Bits)-1])}
			for _, bits := range exp.Bits {
				q := m.q[bits]
				decodedCodes := make([][]float32, len(codes))
				for i, c := range codes {
					packed, err := q.Encode(c)
					if err != nil {
						return nil, err
					}
					if decodedCodes[i], err = q.Decode(packed); err != nil {
						return nil, err
					}
				}
				recon, err := m.t.AE.Decode(decodedCodes)
				if err != nil {
					return nil, err
				}
				psnr, err := compress.PSNR(originals, recon)
				if err != nil {
					return nil, err
				}
				p := ratePoint{Bytes: float64(q.Bytes()), PSNR: psnr, Setting: bits}
				points[fmt.Sprintf("ae_code%d", m.code)] = append(points[fmt.Sprintf("ae_code%d", m.code)], p)
				s.X, s.Y = append(s.X, p.Bytes), append(s.Y, p.PSNR)
				if m.code == exampleCode && bits == exampleBits {
					showAE, showLabel = recon, fmt.Sprintf("AE %d×%d bits\n(%d bytes)", m.code, bits, q.Bytes())
				}
			}
			lines.Series = append(lines.Series, s)
		}
		file := chart.Series{Name: "JPEG, whole file", Dashed: true}
		payload := chart.Series{Name: "JPEG, payload only"}
		jpegDecoded := map[int][][]float32{}
		for _, quality := range exp.Qualities {
			var fileBytes, payloadBytes float64
			decoded := make([][]float32, len(originals))
			for i, img := range originals {
				j, err := compress.EncodeJPEG(img, set.images.Cols, set.images.Rows, quality)
				if err != nil {
					return nil, err
				}
				fileBytes += float64(j.File)
				payloadBytes += float64(j.Payload)
				decoded[i] = j.Decoded
			}
			psnr, err := compress.PSNR(originals, decoded)
			if err != nil {
				return nil, err
			}
			n := float64(len(originals))
			jpegDecoded[quality] = decoded
			points["jpeg_file"] = append(points["jpeg_file"], ratePoint{fileBytes / n, psnr, quality})
			points["jpeg_payload"] = append(points["jpeg_payload"], ratePoint{payloadBytes / n, psnr, quality})
			file.X, file.Y = append(file.X, fileBytes/n), append(file.Y, psnr)
			payload.X, payload.Y = append(payload.X, payloadBytes/n), append(payload.Y, psnr)
		}
		lines.Series = append(lines.Series, file, payload)
		p, err := lines.Plot()
		if err != nil {
			return nil, err
		}
		curves = append(curves, p)

		// How the AE compares with JPEG's payload: at the AE's best point, the
		// bytes JPEG needs for the same PSNR, or what JPEG's smallest gives.
		best := ratePoint{PSNR: math.Inf(-1)}
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
		verdict := ""
		if bytes, ok := bytesAt(jp, best.PSNR); ok {
			verdict = fmt.Sprintf("best AE point %.0f bytes at %.2f dB; JPEG's payload needs %.0f bytes for that PSNR (%.1f× the AE's)",
				best.Bytes, best.PSNR, bytes, bytes/best.Bytes)
		} else if best.PSNR < jp[0].PSNR {
			verdict = fmt.Sprintf("best AE point %.0f bytes at %.2f dB; JPEG's smallest payload, %.0f bytes (quality %d), already gives %.2f dB",
				best.Bytes, best.PSNR, jp[0].Bytes, jp[0].Setting, jp[0].PSNR)
		} else {
			verdict = fmt.Sprintf("best AE point %.0f bytes at %.2f dB, above every JPEG quality tried", best.Bytes, best.PSNR)
		}
		metrics[set.key] = map[string]any{"points": points, "verdict": verdict}

		// Examples: the original, the AE's reconstruction, and JPEG at the quality whose payload is closest in size.
		aeBytes := 0.0
		for _, pt := range points[fmt.Sprintf("ae_code%d", exampleCode)] {
			if pt.Setting == exampleBits {
				aeBytes = pt.Bytes
			}
		}
		closest := jp[0]
		for _, pt := range jp {
			if math.Abs(math.Log(pt.Bytes/aeBytes)) < math.Abs(math.Log(closest.Bytes/aeBytes)) {
				closest = pt
			}
		}
		show := min(exp.Show, len(originals))
		g := &chart.Grid{Rows: 3, Cols: show, Height: set.images.Rows, Width: set.images.Cols, RowLabels: []string{
			"original", showLabel, fmt.Sprintf("JPEG q%d\n(%.0f bytes payload)", closest.Setting, closest.Bytes)}}
		for _, rows := range [][][]float32{originals, showAE, jpegDecoded[closest.Setting]} {
			g.Images = append(g.Images, rows[:show]...)
		}
		gp, err := g.Plot()
		if err != nil {
			return nil, err
		}
		examples = append(examples, gp)
	}
	fig := &chart.Figure{Title: "Autoencoder codes against JPEG: bytes per image and PSNR (AE trained on MNIST)",
		Panels: [][]*plot.Plot{curves, examples}}
	fig.Size(12, 10)
	ds := mnistDataset(models[0].t.Train, mnist)
	ds["out_of_domain"] = fashion.Name
	ds["out_of_domain_size"] = fashion.Count
	return &Result{Figure: fig, Metrics: metrics, Hyperparameters: exp, Dataset: ds}, nil
}

// bytesAt interpolates, on a curve whose PSNR rises with its bytes, the
// bytes that give a PSNR (linearly in log bytes), when the PSNR lies within
// the curve.
func bytesAt(curve []ratePoint, psnr float64) (float64, bool) {
	for i := 1; i < len(curve); i++ {
		a, b := curve[i-1], curve[i]
		if psnr >= a.PSNR && psnr <= b.PSNR && b.PSNR > a.PSNR {
			t := (psnr - a.PSNR) / (b.PSNR - a.PSNR)
			return math.Exp(math.Log(a.Bytes) + t*(math.Log(b.Bytes)-math.Log(a.Bytes))), true
		}
	}
	return 0, false
}
