package compress

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/vaekit/vaekit/datasets"
)

func TestQuantizerSizesAndPacking(t *testing.T) {
	for _, c := range []struct{ dim, bits, bytes int }{{30, 3, 12}, {2, 2, 1}, {8, 8, 8}, {10, 4, 5}, {3, 1, 1}, {9, 16, 18}} {
		q := &Quantizer{Lo: make([]float32, c.dim), Hi: make([]float32, c.dim), Bits: c.bits}
		if q.Bytes() != c.bytes {
			t.Errorf("%d dimensions × %d bits: %d bytes, want %d", c.dim, c.bits, q.Bytes(), c.bytes)
		}
	}
	// Levels 7, 0, 5 of 3 bits: 111 000 101 → 1110 0010 1(000 0000).
	q := &Quantizer{Lo: []float32{0, 0, 0}, Hi: []float32{7, 7, 7}, Bits: 3}
	packed, err := q.Encode([]float32{7, 0, 5})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(packed, []byte{0xE2, 0x80}) {
		t.Errorf("packed % X, want E2 80", packed)
	}
	// Hand case: ranges from two codes, 2 bits (levels at 0, 1/3, 2/3, 1 of the range).
	q, err = FitQuantizer([][]float32{{0, 1}, {2, 3}}, 2)
	if err != nil {
		t.Fatal(err)
	}
	packed, _ = q.Encode([]float32{1.2, 9}) // 0.6 of the range → level 2; 9 is clamped to the top.
	got, err := q.Decode(packed)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(float64(got[0])-4.0/3) > 1e-6 || got[1] != 3 {
		t.Errorf("decoded %v, want [1.333 3]", got)
	}
}

func TestQuantizerRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	codes := make([][]float32, 200)
	for i := range codes {
		codes[i] = make([]float32, 7)
		for j := range codes[i] {
			codes[i][j] = float32(rng.NormFloat64()) * float32(j+1)
		}
	}
	for bits := 1; bits <= 16; bits++ {
		q, err := FitQuantizer(codes, bits)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range codes {
			packed, err := q.Encode(c)
			if err != nil || len(packed) != q.Bytes() {
				t.Fatalf("%d bits: %d bytes, %v", bits, len(packed), err)
			}
			back, err := q.Decode(packed)
			if err != nil {
				t.Fatal(err)
			}
			for j := range c {
				halfStep := (q.Hi[j] - q.Lo[j]) / q.levels() / 2
				if d := math.Abs(float64(back[j] - c[j])); d > float64(halfStep)+1e-5 { // + float32 rounding
					t.Fatalf("%d bits, dimension %d: error %g above half a step %g", bits, j, d, halfStep)
				}
			}
		}
	}
	if _, err := FitQuantizer(codes, 0); err == nil {
		t.Error("0 bits accepted")
	}
	q, _ := FitQuantizer(codes, 4)
	if _, err := q.Decode([]byte{1}); err == nil {
		t.Error("a packed code of the wrong size was decoded")
	}
}

func TestPSNR(t *testing.T) {
	a := [][]float32{{0, 0, 0, 0}}
	b := [][]float32{{0.1, 0.1, 0.1, 0.1}} // mse 0.01 → 20 dB
	if p, err := PSNR(a, b); err != nil || math.Abs(p-20) > 1e-4 {
		t.Errorf("PSNR %v (%v), want 20 dB", p, err)
	}
	if _, err := PSNR(a, nil); err == nil {
		t.Error("PSNR of mismatched sets")
	}
}

// TestJPEGOnRealDigits encodes real MNIST digits: the payload is part of
// the file, higher quality costs more bytes and gives a higher PSNR.
func TestJPEGOnRealDigits(t *testing.T) {
	if os.Getenv(datasets.DataEnv) == "" {
		t.Setenv(datasets.DataEnv, filepath.Join("..", "..", "..", "shared", "datasets"))
	}
	set, err := datasets.LoadMNIST(datasets.Test)
	if err != nil {
		t.Fatal(err)
	}
	set = set.Subset(50)
	prevBytes, prevPSNR := 0, 0.0
	for _, quality := range []int{10, 50, 95} {
		var originals, decoded [][]float32
		payload := 0
		for i := range set.Count {
			img := set.Image(i)
			j, err := EncodeJPEG(img, 28, 28, quality)
			if err != nil {
				t.Fatal(err)
			}
			if j.Payload <= 0 || j.Payload >= j.File || len(j.Decoded) != 784 {
				t.Fatalf("quality %d: file %d bytes, payload %d, %d pixels", quality, j.File, j.Payload, len(j.Decoded))
			}
			originals, decoded = append(originals, img), append(decoded, j.Decoded)
			payload += j.Payload
		}
		psnr, err := PSNR(originals, decoded)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("quality %d: payload %.1f bytes per digit, PSNR %.2f dB", quality, float64(payload)/50, psnr)
		if payload <= prevBytes || psnr <= prevPSNR {
			t.Errorf("quality %d: %d payload bytes and %.2f dB, not above the lower quality's %d and %.2f", quality, payload, psnr, prevBytes, prevPSNR)
		}
		prevBytes, prevPSNR = payload, psnr
	}
	if _, err := EncodeJPEG(make([]float32, 10), 28, 28, 50); err == nil {
		t.Error("a wrongly sized image was encoded")
	}
	if _, err := scanPayload([]byte{0xFF, 0xD8, 0xFF, 0xDB, 0x00}); err == nil {
		t.Error("a truncated JPEG gave a payload size")
	}
}
