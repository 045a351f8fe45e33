package datasets

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// IDX magic numbers for the two kinds of file the MNIST family uses: unsigned
// bytes (type 0x08) with three dimensions (images) or one (labels).
const (
	MagicImages = 0x00000803
	MagicLabels = 0x00000801
)

// maxIDXBytes bounds the payload a header may announce, so that a damaged or
// hostile header cannot make the parser allocate gigabytes.
const maxIDXBytes = 1 << 30

// Errors returned (wrapped, with the file name) by the IDX parser.
var (
	ErrBadMagic  = errors.New("not an IDX file of unsigned bytes (bad magic number)")
	ErrTruncated = errors.New("truncated IDX data")
	ErrCorrupt   = errors.New("corrupt gzip data")
	ErrTrailing  = errors.New("unexpected bytes after the IDX data")
)

// IDX is a parsed IDX file of unsigned bytes.
type IDX struct {
	Dims []int  // e.g. [60000 28 28] for images, [60000] for labels.
	Data []byte // row-major, len(Data) = product of Dims.
}

// ReadIDX parses an IDX file of unsigned bytes, raw or gzip-compressed (the
// gzip magic 1f 8b is detected, so the file name does not matter).
//
// Every failure is one of ErrBadMagic, ErrTruncated, ErrCorrupt or ErrTrailing
// (test with errors.Is), with details.
func ReadIDX(r io.Reader) (*IDX, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(2)
	var src io.Reader = br
	if bytes.Equal(head, []byte{0x1f, 0x8b}) {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		defer gz.Close()
		src = gz
	}
	idx, err := parseIDX(src)
	if err != nil {
		return nil, err
	}
	// Read to the end: the gzip reader verifies its CRC only there, and any
	// extra byte means the header and the payload disagree.
	var extra [1]byte
	n, err := io.ReadFull(src, extra[:])
	switch {
	case n > 0:
		return nil, ErrTrailing
	case err != nil && err != io.EOF && err != io.ErrUnexpectedEOF:
		return nil, classifyReadErr(err)
	}
	return idx, nil
}

func parseIDX(src io.Reader) (*IDX, error) {
	var magic uint32
	if err := binary.Read(src, binary.BigEndian, &magic); err != nil {
		return nil, fmt.Errorf("%w: reading the magic number: %v", classifyReadErr(err), err)
	}
	// 0x0000 then type 0x08 (unsigned byte) then the number of dimensions.
	if magic>>8 != 0x08 || magic&0xff == 0 || magic&0xff > 4 {
		return nil, fmt.Errorf("%w: got 0x%08x, want 0x%08x (images) or 0x%08x (labels)",
			ErrBadMagic, magic, MagicImages, MagicLabels)
	}
	rank := int(magic & 0xff)
	dims := make([]int, rank)
	total := 1
	for i := range dims {
		var d uint32
		if err := binary.Read(src, binary.BigEndian, &d); err != nil {
			return nil, fmt.Errorf("%w: reading dimension %d of %d: %v", classifyReadErr(err), i+1, rank, err)
		}
		dims[i] = int(d)
		if d > 0 && total > maxIDXBytes/int(d) {
			return nil, fmt.Errorf("%w: header announces more than %d bytes (dims %v...)", ErrTruncated, maxIDXBytes, dims[:i+1])
		}
		total *= int(d)
	}
	// io.ReadAll grows as data arrives: a header that lies about the size
	// cannot force a large allocation up front.
	data, err := io.ReadAll(io.LimitReader(src, int64(total)))
	if err != nil {
		return nil, classifyReadErr(err)
	}
	if len(data) != total {
		return nil, fmt.Errorf("%w: header %v announces %d bytes, file has %d", ErrTruncated, dims, total, len(data))
	}
	return &IDX{Dims: dims, Data: data}, nil
}

// classifyReadErr maps errors from the (possibly gzip) stream to ours.
func classifyReadErr(err error) error {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return ErrTruncated
	case errors.Is(err, gzip.ErrChecksum), errors.Is(err, gzip.ErrHeader):
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	var corrupt flate.CorruptInputError
	if errors.As(err, &corrupt) {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return err
}
