package datasets

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// ErrBadPGM is returned (wrapped, with details) for anything that is not a
// complete binary PGM image (P5) of at most 8 bits a pixel.
var ErrBadPGM = errors.New("not a binary 8-bit PGM image")

// maxPGMPixels bounds the size a header may announce.
const maxPGMPixels = 1 << 26

// PGM is a decoded binary greymap.
type PGM struct {
	Width, Height int
	Pixels        []uint8 // row-major grey levels, scaled to 0..255 if the file's maximum is lower.
}

// ReadPGM decodes a binary PGM (magic P5, maximum grey value ≤ 255), the
// format of the ORL faces, including '#' comments in the header.
func ReadPGM(data []byte) (*PGM, error) {
	br := bytes.NewReader(data)
	r := bufio.NewReader(br)
	magic, err := pgmToken(r)
	if err != nil || magic != "P5" {
		return nil, fmt.Errorf("%w: magic %q, want P5", ErrBadPGM, magic)
	}
	var fields [3]int
	for i, name := range []string{"width", "height", "maximum grey value"} {
		tok, err := pgmToken(r)
		if err != nil {
			return nil, fmt.Errorf("%w: header ends before the %s", ErrBadPGM, name)
		}
		v, err := strconv.Atoi(tok)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("%w: %s %q is not a positive number", ErrBadPGM, name, tok)
		}
		fields[i] = v
	}
	w, h, maxVal := fields[0], fields[1], fields[2]
	if maxVal > 255 {
		return nil, fmt.Errorf("%w: maximum grey value %d (16-bit PGM is not supported)", ErrBadPGM, maxVal)
	}
	if w > maxPGMPixels || h > maxPGMPixels || w*h > maxPGMPixels {
		return nil, fmt.Errorf("%w: %d×%d pixels is too large", ErrBadPGM, w, h)
	}
	// One whitespace byte separates the header from the pixels.
	if _, err := r.ReadByte(); err != nil {
		return nil, fmt.Errorf("%w: no pixel data", ErrBadPGM)
	}
	// Allocate only what the file can fill: a header may announce far more.
	if left := r.Buffered() + br.Len(); w*h > left {
		return nil, fmt.Errorf("%w: truncated: %d×%d = %d pixels announced, %d bytes of pixel data", ErrBadPGM, w, h, w*h, left)
	}
	pixels := make([]uint8, w*h)
	if n, err := io.ReadFull(r, pixels); err != nil {
		return nil, fmt.Errorf("%w: truncated: %d of %d pixels", ErrBadPGM, n, w*h)
	}
	if maxVal < 255 {
		for i, v := range pixels {
			if int(v) > maxVal {
				return nil, fmt.Errorf("%w: pixel %d is %d, above the maximum %d", ErrBadPGM, i, v, maxVal)
			}
			pixels[i] = uint8((int(v)*255 + maxVal/2) / maxVal)
		}
	}
	return &PGM{Width: w, Height: h, Pixels: pixels}, nil
}

// pgmToken reads the next whitespace-separated header token, skipping
// comments (from '#' to the end of the line).
func pgmToken(r *bufio.Reader) (string, error) {
	var tok []byte
	for {
		c, err := r.ReadByte()
		if err != nil {
			if len(tok) > 0 {
				return string(tok), nil
			}
			return "", err
		}
		switch {
		case c == '#' && len(tok) == 0:
			if _, err := r.ReadBytes('\n'); err != nil {
				return "", err
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if len(tok) > 0 {
				return string(tok), r.UnreadByte()
			}
		default:
			if len(tok) > 16 {
				return "", fmt.Errorf("%w: header token too long", ErrBadPGM)
			}
			tok = append(tok, c)
		}
	}
}
