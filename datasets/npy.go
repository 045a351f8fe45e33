package datasets

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
)

var (
	npyDescr   = regexp.MustCompile(`'descr':\s*'([^']*)'`)
	npyFortran = regexp.MustCompile(`'fortran_order':\s*(True|False)`)
	npyShape   = regexp.MustCompile(`'shape':\s*\(([^)]*)\)`)
)

// readNPY reads a NumPy .npy file of grey images: [N, H, W], [N, H, W, 1]
// or [N, H·W] (square), bytes (|u1) or float32/float64 in [0, 1].
func (s *ImageSet) readNPY(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...))
	}
	if len(raw) < 10 || !bytes.HasPrefix(raw, []byte("\x93NUMPY")) {
		return bad("not a NumPy .npy file")
	}
	headerLen, start := int(binary.LittleEndian.Uint16(raw[8:10])), 10
	if raw[6] >= 2 {
		if len(raw) < 12 {
			return bad("truncated header")
		}
		headerLen, start = int(binary.LittleEndian.Uint32(raw[8:12])), 12
	}
	if start+headerLen > len(raw) {
		return bad("truncated header")
	}
	header, data := string(raw[start:start+headerLen]), raw[start+headerLen:]
	descr, fortran, shape := npyDescr.FindStringSubmatch(header), npyFortran.FindStringSubmatch(header), npyShape.FindStringSubmatch(header)
	if descr == nil || fortran == nil || shape == nil {
		return bad("header %q lacks descr, fortran_order or shape", header)
	}
	if fortran[1] == "True" {
		return bad("Fortran-ordered arrays are not supported (save with np.ascontiguousarray)")
	}
	var dims []int
	for _, f := range strings.Split(shape[1], ",") {
		if f = strings.TrimSpace(f); f != "" {
			d, err := strconv.Atoi(f)
			if err != nil {
				return bad("shape %q", shape[1])
			}
			dims = append(dims, d)
		}
	}
	if len(dims) == 4 && dims[3] == 1 {
		dims = dims[:3]
	}
	if len(dims) == 2 {
		side := int(math.Round(math.Sqrt(float64(dims[1]))))
		if side*side != dims[1] {
			return bad("images of %d values are not square: save them as [N, rows, cols]", dims[1])
		}
		dims = []int{dims[0], side, side}
	}
	if len(dims) != 3 {
		return bad("shape %v, want [N, rows, cols], [N, rows, cols, 1] or [N, rows·cols]", dims)
	}
	n, h, w := dims[0], dims[1], dims[2]
	size := map[string]int{"|u1": 1, "<u1": 1, "<f4": 4, "<f8": 8}[descr[1]]
	if size == 0 {
		return bad("values of type %s: want bytes (|u1) or little-endian floats (<f4, <f8)", descr[1])
	}
	if len(data) != n*h*w*size {
		return bad("%d bytes of data for shape %v of %s", len(data), dims, descr[1])
	}
	pix := make([]uint8, h*w)
	for i := range n {
		for j := range pix {
			k := (i*h*w + j) * size
			switch size {
			case 1:
				pix[j] = data[k]
			case 4:
				pix[j] = unitToByte(float64(math.Float32frombits(binary.LittleEndian.Uint32(data[k:]))))
			case 8:
				pix[j] = unitToByte(math.Float64frombits(binary.LittleEndian.Uint64(data[k:])))
			}
		}
		s.add(&image.Gray{Pix: pix, Stride: w, Rect: image.Rect(0, 0, w, h)})
	}
	return nil
}

// unitToByte maps a value in [0, 1] (clipped) to 0..255.
func unitToByte(v float64) uint8 {
	if math.IsNaN(v) {
		return 0
	}
	return uint8(math.Round(255 * min(max(v, 0), 1)))
}
