// Package compress measures an autoencoder as an image codec against JPEG,
// with every byte counted: the code of an image quantised to a fixed number
// of bits per dimension and packed (the decoder's weights and the quantiser's
// ranges are shared by all images, like a JPEG decoder's built-in tables),
// and JPEG by Go's image/jpeg, both as a whole file and as its entropy-coded
// payload alone (headers and tables shared), so that the comparison is fair
// to each.
package compress

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
)

// Quantizer maps each code dimension's range [Lo, Hi] (fitted on training
// codes) to 2^Bits levels, and packs a code into Bytes() bytes.
type Quantizer struct {
	Lo, Hi []float32
	Bits   int
}

// FitQuantizer takes the range of each dimension from codes (the training
// set's); codes outside it at encoding time are clamped.
func FitQuantizer(codes [][]float32, bits int) (*Quantizer, error) {
	if bits < 1 || bits > 16 {
		return nil, fmt.Errorf("compress: bits = %d per code dimension, want 1..16", bits)
	}
	if len(codes) == 0 || len(codes[0]) == 0 {
		return nil, fmt.Errorf("compress: no codes to fit the quantiser on")
	}
	d := len(codes[0])
	q := &Quantizer{Lo: make([]float32, d), Hi: make([]float32, d), Bits: bits}
	for j := range d {
		q.Lo[j], q.Hi[j] = float32(math.Inf(1)), float32(math.Inf(-1))
	}
	for i, c := range codes {
		if len(c) != d {
			return nil, fmt.Errorf("compress: code %d has %d dimensions, the first has %d", i, len(c), d)
		}
		for j, v := range c {
			q.Lo[j], q.Hi[j] = min(q.Lo[j], v), max(q.Hi[j], v)
		}
	}
	return q, nil
}

// Bytes is the size of one packed code: ⌈dimensions × bits / 8⌉.
func (q *Quantizer) Bytes() int { return (len(q.Lo)*q.Bits + 7) / 8 }

// levels is the number of steps between Lo and Hi.
func (q *Quantizer) levels() float32 { return float32(int(1)<<q.Bits - 1) }

// Encode quantises a code to the nearest level and packs the levels, most
// significant bit first.
func (q *Quantizer) Encode(code []float32) ([]byte, error) {
	if len(code) != len(q.Lo) {
		return nil, fmt.Errorf("compress: code has %d dimensions, the quantiser %d", len(code), len(q.Lo))
	}
	out := make([]byte, q.Bytes())
	bit := 0
	for j, v := range code {
		level := 0
		if span := q.Hi[j] - q.Lo[j]; span > 0 {
			t := min(max((v-q.Lo[j])/span, 0), 1)
			level = int(math.Round(float64(t * q.levels())))
		}
		for b := q.Bits - 1; b >= 0; b-- {
			if level>>b&1 == 1 {
				out[bit/8] |= 0x80 >> (bit % 8)
			}
			bit++
		}
	}
	return out, nil
}

// Decode unpacks a code written by Encode.
func (q *Quantizer) Decode(packed []byte) ([]float32, error) {
	if len(packed) != q.Bytes() {
		return nil, fmt.Errorf("compress: packed code has %d bytes, want %d", len(packed), q.Bytes())
	}
	code := make([]float32, len(q.Lo))
	bit := 0
	for j := range code {
		level := 0
		for range q.Bits {
			level = level<<1 | int(packed[bit/8]>>(7-bit%8)&1)
			bit++
		}
		code[j] = q.Lo[j] + (q.Hi[j]-q.Lo[j])*float32(level)/q.levels()
	}
	return code, nil
}

// JPEG is one image through Go's JPEG encoder and decoder.
type JPEG struct {
	File    int       // bytes of the whole file.
	Payload int       // bytes of the entropy-coded data alone (after the start-of-scan header, before the end marker).
	Decoded []float32 // the decoded grey levels in [0, 1].
}

// EncodeJPEG encodes grey levels in [0, 1] (row-major, width × height) as a
// greyscale JPEG at quality 1..100, and decodes it back.
func EncodeJPEG(pixels []float32, width, height, quality int) (*JPEG, error) {
	if len(pixels) != width*height {
		return nil, fmt.Errorf("compress: %d pixels for a %d×%d image", len(pixels), width, height)
	}
	if quality < 1 || quality > 100 {
		return nil, fmt.Errorf("compress: JPEG quality %d, want 1..100", quality)
	}
	img := image.NewGray(image.Rect(0, 0, width, height))
	for i, v := range pixels {
		img.Pix[i] = uint8(math.Round(float64(min(max(v, 0), 1)) * 255))
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	payload, err := scanPayload(data)
	if err != nil {
		return nil, err
	}
	dec, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	out := make([]float32, width*height)
	for y := range height {
		for x := range width {
			out[y*width+x] = float32(color.GrayModel.Convert(dec.At(x, y)).(color.Gray).Y) / 255
		}
	}
	return &JPEG{File: len(data), Payload: payload, Decoded: out}, nil
}

// scanPayload is the number of entropy-coded bytes of a baseline JPEG:
// everything after the start-of-scan segment up to the end-of-image marker.
func scanPayload(data []byte) (int, error) {
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xFF {
			return 0, fmt.Errorf("compress: JPEG marker expected at byte %d", i)
		}
		marker, length := data[i+1], int(data[i+2])<<8|int(data[i+3])
		if marker == 0xDA { // start of scan: its header, then the payload, then FF D9.
			start := i + 2 + length
			end := len(data) - 2
			if start > end || data[end] != 0xFF || data[end+1] != 0xD9 {
				return 0, fmt.Errorf("compress: JPEG without an end-of-image marker")
			}
			return end - start, nil
		}
		i += 2 + length
	}
	return 0, fmt.Errorf("compress: JPEG without a start-of-scan segment")
}

// PSNR is the peak signal-to-noise ratio in dB of decoded against original
// images with pixels in [0, 1], from the mean squared error per pixel over
// the whole set (so one perfect image does not make it infinite).
func PSNR(original, decoded [][]float32) (float64, error) {
	if len(original) != len(decoded) || len(original) == 0 {
		return 0, fmt.Errorf("compress: %d originals and %d decoded images", len(original), len(decoded))
	}
	var sum float64
	n := 0
	for i := range original {
		if len(original[i]) != len(decoded[i]) {
			return 0, fmt.Errorf("compress: image %d has %d pixels, decoded %d", i, len(original[i]), len(decoded[i]))
		}
		for j, v := range original[i] {
			d := float64(v - decoded[i][j])
			sum += d * d
		}
		n += len(original[i])
	}
	return 10 * math.Log10(1/(sum/float64(n))), nil
}
