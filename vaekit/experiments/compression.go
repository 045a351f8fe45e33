package experiments

import (
	"context"

	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/compress"
)

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

// RatePoint is one point of a rate–distortion curve.
type RatePoint struct {
	Bytes   float64 `json:"bytes_per_image"`
	PSNR    float64 `json:"psnr_db"`
	Setting int     `json:"setting"` // bits per code number, or JPEG quality.
}

// CompressionAE is a trained autoencoder and its code quantisers by bits.
type CompressionAE struct {
	Code       int
	AE         *TrainedAE
	Quantizers map[int]*compress.Quantizer
}

// TrainCompressionAE trains (or loads) the deep AE with a code of this size
// and fits its quantisers on the training codes.
func TrainCompressionAE(ctx context.Context, exp CompressionExperiment, code int, opts Options) (CompressionAE, error) {
	e := exp.AEExperiment
	e.Layers = append(append([]int{}, e.Layers[:len(e.Layers)-1]...), code)
	t, err := TrainAE(ctx, e, opts)
	if err != nil {
		return CompressionAE{}, err
	}
	trainCodes, err := t.AE.Encode(vaekit.ImageData(t.Train))
	if err != nil {
		return CompressionAE{}, err
	}
	m := CompressionAE{Code: code, AE: t, Quantizers: map[int]*compress.Quantizer{}}
	for _, bits := range exp.Bits {
		if m.Quantizers[bits], err = compress.FitQuantizer(trainCodes, bits); err != nil {
			return CompressionAE{}, err
		}
	}
	return m, nil
}

// QuantizedReconstruction quantises codes to bits per number and back,
// and decodes them.
func QuantizedReconstruction(m CompressionAE, bits int, codes [][]float32) ([][]float32, error) {
	q := m.Quantizers[bits]
	decoded := make([][]float32, len(codes))
	for i, c := range codes {
		packed, err := q.Encode(c)
		if err != nil {
			return nil, err
		}
		if decoded[i], err = q.Decode(packed); err != nil {
			return nil, err
		}
	}
	return m.AE.AE.Decode(decoded)
}

// JPEGPoint is JPEG at one quality: mean bytes of the whole file and of its
// payload, the PSNR, and the decoded images.
func JPEGPoint(originals [][]float32, images *datasets.ImageSet, quality int) (file, payload RatePoint, decoded [][]float32, err error) {
	var fileBytes, payloadBytes float64
	decoded = make([][]float32, len(originals))
	for i, img := range originals {
		j, err := compress.EncodeJPEG(img, images.Cols, images.Rows, quality)
		if err != nil {
			return file, payload, nil, err
		}
		fileBytes += float64(j.File)
		payloadBytes += float64(j.Payload)
		decoded[i] = j.Decoded
	}
	psnr, err := compress.PSNR(originals, decoded)
	n := float64(len(originals))
	return RatePoint{fileBytes / n, psnr, quality}, RatePoint{payloadBytes / n, psnr, quality}, decoded, err
}
