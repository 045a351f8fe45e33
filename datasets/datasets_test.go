package datasets

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sharedData returns the offline copies (../shared/datasets or $VAEKIT_DATA).
func sharedData(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(DataEnv)
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "datasets")
	}
	if _, err := os.Stat(filepath.Join(dir, "mnist")); err != nil {
		t.Fatalf("the real data is needed: set %s to the shared datasets folder (%v)", DataEnv, err)
	}
	return dir
}

func offlineLoader(dataDir string) *Loader {
	return &Loader{DataDir: dataDir, Attempts: 1}
}

func TestMNISTRealFiles(t *testing.T) {
	l := offlineLoader(sharedData(t))
	for _, tc := range []struct {
		ds    *ImageDataset
		split Split
		count int
		// The first labels of each file, as published.
		firstLabels []uint8
	}{
		{MNIST, Train, 60000, []uint8{5, 0, 4, 1, 9}},
		{MNIST, Test, 10000, []uint8{7, 2, 1, 0, 4}},
		{FashionMNIST, Train, 60000, []uint8{9, 0, 0, 3, 0}},
		{FashionMNIST, Test, 10000, []uint8{9, 2, 1, 1, 6}},
	} {
		set, err := l.Images(tc.ds, tc.split)
		if err != nil {
			t.Fatal(err)
		}
		if set.Count != tc.count || set.Rows != 28 || set.Cols != 28 || len(set.Pixels) != tc.count*784 {
			t.Errorf("%s: got %d images of %dx%d", set.Name, set.Count, set.Rows, set.Cols)
		}
		if !bytes.Equal(set.Labels[:5], tc.firstLabels) {
			t.Errorf("%s: first labels %v, want %v", set.Name, set.Labels[:5], tc.firstLabels)
		}
		var hist [10]int
		for _, l := range set.Labels {
			hist[l]++
		}
		for c, n := range hist {
			if n < tc.count/20 {
				t.Errorf("%s: class %d has only %d items", set.Name, c, n)
			}
		}
		// Pixels span the full grey range, background is black.
		maxPix := byte(0)
		for _, p := range set.Pixels {
			maxPix = max(maxPix, p)
		}
		if maxPix != 255 || set.Pixels[0] != 0 {
			t.Errorf("%s: pixel range unexpected: max %d, first %d", set.Name, maxPix, set.Pixels[0])
		}
	}
}

func TestSubsetAndTensor(t *testing.T) {
	set, err := offlineLoader(sharedData(t)).Images(MNIST, Test)
	if err != nil {
		t.Fatal(err)
	}
	sub := set.Subset(100)
	if sub.Count != 100 || len(sub.Labels) != 100 || len(sub.Pixels) != 100*784 || set.Count != 10000 {
		t.Fatalf("Subset(100): count %d, labels %d, pixels %d", sub.Count, len(sub.Labels), len(sub.Pixels))
	}
	if set.Subset(0) != set || set.Subset(20000) != set {
		t.Errorf("Subset(0) and Subset(n > Count) should return the whole set")
	}
	img := sub.Image(3)
	for j, p := range img {
		if p != float32(sub.Pixels[3*784+j])/255 || p < 0 || p > 1 {
			t.Fatalf("pixel %d of image 3: %g, raw %d", j, p, sub.Pixels[3*784+j])
		}
	}
	if sub.Labels[0] != 7 {
		t.Errorf("the first test label is %d, want 7", sub.Labels[0])
	}
}

// idxBytes builds a raw IDX file.
func idxBytes(magic uint32, dims []uint32, payload []byte) []byte {
	var buf bytes.Buffer
	binary.Write(&buf, binary.BigEndian, magic)
	for _, d := range dims {
		binary.Write(&buf, binary.BigEndian, d)
	}
	buf.Write(payload)
	return buf.Bytes()
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestReadIDXErrors(t *testing.T) {
	good := idxBytes(MagicImages, []uint32{2, 2, 3}, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	idx, err := ReadIDX(bytes.NewReader(gzipBytes(good)))
	if err != nil || len(idx.Dims) != 3 || idx.Dims[2] != 3 || idx.Data[11] != 12 {
		t.Fatalf("good gzip file: %v %+v", err, idx)
	}
	gz := gzipBytes(good)
	corrupt := bytes.Clone(gz)
	corrupt[len(corrupt)-6] ^= 0xff // inside the CRC-32 trailer.
	for name, tc := range map[string]struct {
		data []byte
		want error
	}{
		"bad magic":       {idxBytes(0x00000903, []uint32{1}, []byte{0}), ErrBadMagic},
		"png":             {[]byte("\x89PNG\r\n\x1a\n0000"), ErrBadMagic},
		"empty":           {nil, ErrTruncated},
		"short header":    {good[:6], ErrTruncated},
		"short payload":   {good[:len(good)-1], ErrTruncated},
		"trailing":        {append(bytes.Clone(good), 0), ErrTrailing},
		"truncated gzip":  {gz[:len(gz)/2], ErrTruncated},
		"corrupt gzip":    {corrupt, ErrCorrupt},
		"bad gzip header": {append([]byte{0x1f, 0x8b, 0x99}, good...), ErrCorrupt},
		"huge header":     {idxBytes(MagicImages, []uint32{1 << 20, 1 << 20, 1 << 20}, nil), ErrTruncated},
	} {
		_, err := ReadIDX(bytes.NewReader(tc.data))
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: got error %v, want %v", name, err, tc.want)
		}
	}
}

// writeTree writes files (path → content) under a new temporary directory.
func writeTree(t *testing.T, files map[string][]byte) string {
	dir := t.TempDir()
	for path, content := range files {
		full := filepath.Join(dir, path)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// tinySet is a 3-image data set with its own checksums, to test the loader's
// errors without touching the real files.
func tinySet(images, labels []byte, mirrors ...string) *ImageDataset {
	ds := &ImageDataset{Name: "tiny", ClassNames: []string{"a", "b"}}
	ds.images, ds.labels = idxFiles("tiny", mirrors, map[string]string{
		"train-images-idx3-ubyte.gz": sha(images),
		"train-labels-idx1-ubyte.gz": sha(labels),
	})
	return ds
}

var (
	tinyImages = idxBytes(MagicImages, []uint32{3, 2, 2}, []byte{0, 255, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	tinyLabels = idxBytes(MagicLabels, []uint32{3}, []byte{0, 1, 1})
)

func TestLoaderErrors(t *testing.T) {
	tiny := tinySet(tinyImages, tinyLabels)
	okTree := map[string][]byte{
		"tiny/train-images-idx3-ubyte.gz": gzipBytes(tinyImages),
		"tiny/train-labels-idx1-ubyte.gz": tinyLabels, // raw, despite the name: accepted.
	}
	set, err := offlineLoader(writeTree(t, okTree)).Images(tiny, Train)
	if err != nil || set.Count != 3 || set.Pixels[1] != 255 || set.Labels[2] != 1 {
		t.Fatalf("good tiny set: %v", err)
	}

	// Missing file: names the file, the places searched and the fix.
	cache := t.TempDir()
	l := &Loader{DataDir: t.TempDir(), CacheDir: cache}
	_, err = l.Images(tiny, Train)
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing: got %v", err)
	}
	for _, want := range []string{"tiny/train-images-idx3-ubyte.gz", l.DataDir, cache, DataEnv} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing-file error %q does not mention %q", err, want)
		}
	}
	t.Logf("missing file: %v", err)

	for name, tc := range map[string]struct {
		ds    *ImageDataset
		files map[string][]byte
		want  error
		says  string
	}{
		"checksum": {tinySet(tinyImages, tinyLabels), map[string][]byte{
			"tiny/train-images-idx3-ubyte.gz": gzipBytes(idxBytes(MagicImages, []uint32{3, 2, 2}, make([]byte, 12))),
			"tiny/train-labels-idx1-ubyte.gz": tinyLabels,
		}, ErrChecksum, "train-images"},
		"counts disagree": {tinySet(tinyImages, idxBytes(MagicLabels, []uint32{2}, []byte{0, 1})), map[string][]byte{
			"tiny/train-images-idx3-ubyte.gz": tinyImages,
			"tiny/train-labels-idx1-ubyte.gz": idxBytes(MagicLabels, []uint32{2}, []byte{0, 1}),
		}, nil, "holds 3 images but"},
		"labels file given as images": {tinySet(tinyLabels, tinyLabels), map[string][]byte{
			"tiny/train-images-idx3-ubyte.gz": tinyLabels,
			"tiny/train-labels-idx1-ubyte.gz": tinyLabels,
		}, ErrBadMagic, "train-images"},
		"truncated gzip": {tinySet(tinyImages, tinyLabels), map[string][]byte{
			"tiny/train-images-idx3-ubyte.gz": gzipBytes(tinyImages)[:20],
			"tiny/train-labels-idx1-ubyte.gz": tinyLabels,
		}, ErrTruncated, "train-images"},
		"label out of range": {tinySet(tinyImages, idxBytes(MagicLabels, []uint32{3}, []byte{0, 7, 1})), map[string][]byte{
			"tiny/train-images-idx3-ubyte.gz": tinyImages,
			"tiny/train-labels-idx1-ubyte.gz": idxBytes(MagicLabels, []uint32{3}, []byte{0, 7, 1}),
		}, nil, "label 7 of item 1"},
	} {
		_, err := offlineLoader(writeTree(t, tc.files)).Images(tc.ds, Train)
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: got error %v, want %v mentioning %q", name, err, tc.want, tc.says)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	// Not a regular file: refused before it is opened (a FIFO would block the read forever).
	for kind, make := range map[string]func(path string) error{
		"a named pipe": func(path string) error { return syscall.Mkfifo(path, 0o644) },
		"a directory":  func(path string) error { return os.Mkdir(path, 0o755) },
	} {
		dir := writeTree(t, map[string][]byte{"tiny/train-labels-idx1-ubyte.gz": tinyLabels})
		if err := make(filepath.Join(dir, "tiny", "train-images-idx3-ubyte.gz")); err != nil {
			t.Fatal(err)
		}
		_, err := offlineLoader(dir).Images(tiny, Train)
		if err == nil || !strings.Contains(err.Error(), "not a regular file ("+kind+")") {
			t.Errorf("%s in place of a data file: %v", kind, err)
		}
	}
	if _, err := offlineLoader(t.TempDir()).Images(MNIST, "validation"); err == nil || !strings.Contains(err.Error(), "unknown split") {
		t.Errorf("unknown split: %v", err)
	}
}

// mirror serves the tiny set's files, through handler hooks for each test.
func mirror(t *testing.T, serve func(w http.ResponseWriter, r *http.Request, content []byte)) *httptest.Server {
	files := map[string][]byte{
		"/train-images-idx3-ubyte.gz": gzipBytes(tinyImages),
		"/train-labels-idx1-ubyte.gz": gzipBytes(tinyLabels),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		content, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		serve(w, r, content)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func downloadLoader(cache string) *Loader {
	return &Loader{CacheDir: cache, Attempts: 3, Backoff: time.Millisecond, StallTimeout: 300 * time.Millisecond}
}

// noPartialFiles checks that the cache holds only complete, verified files.
func noPartialFiles(t *testing.T, cache string) {
	t.Helper()
	filepath.Walk(cache, func(path string, info os.FileInfo, err error) error {
		if err == nil && strings.Contains(path, ".part-") {
			t.Errorf("partial file left behind: %s", path)
		}
		return nil
	})
}

func TestDownload(t *testing.T) {
	var requests int
	srv := mirror(t, func(w http.ResponseWriter, r *http.Request, content []byte) {
		requests++
		w.Write(content)
	})
	cache := t.TempDir()
	var progress bytes.Buffer
	l := downloadLoader(cache)
	l.Progress = &progress
	set, err := l.Images(tinySet(tinyImages, tinyLabels, srv.URL), Train)
	if err != nil || set.Count != 3 || set.Labels[1] != 1 {
		t.Fatalf("download: %v", err)
	}
	if !strings.Contains(progress.String(), "downloading tiny/train-images-idx3-ubyte.gz") {
		t.Errorf("no progress shown: %q", progress.String())
	}
	cached, err := os.ReadFile(filepath.Join(cache, "tiny", "train-images-idx3-ubyte.gz"))
	if err != nil || !bytes.Equal(cached, gzipBytes(tinyImages)) {
		t.Fatalf("cached file: %v", err)
	}
	// Second load: from the cache, no request.
	before := requests
	if _, err := l.Images(tinySet(tinyImages, tinyLabels, srv.URL), Train); err != nil || requests != before {
		t.Errorf("second load made %d requests (err %v)", requests-before, err)
	}
	noPartialFiles(t, cache)
}

func TestDownloadRetriesAndFailures(t *testing.T) {
	t.Run("server error then success", func(t *testing.T) {
		calls := 0
		srv := mirror(t, func(w http.ResponseWriter, r *http.Request, content []byte) {
			calls++
			if calls == 1 {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			w.Write(content)
		})
		if _, err := downloadLoader(t.TempDir()).Images(tinySet(tinyImages, tinyLabels, srv.URL), Train); err != nil {
			t.Fatalf("a 503 then success should succeed: %v", err)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		srv := mirror(t, func(w http.ResponseWriter, r *http.Request, content []byte) {
			w.Header().Set("Content-Length", "1000")
			w.Write(content[:10])
		})
		cache := t.TempDir()
		_, err := downloadLoader(cache).Images(tinySet(tinyImages, tinyLabels, srv.URL), Train)
		if !errors.Is(err, ErrDownload) {
			t.Errorf("truncated download: %v", err)
		}
		t.Logf("truncated: %v", err)
		noPartialFiles(t, cache)
		if _, statErr := os.Stat(filepath.Join(cache, "tiny", "train-images-idx3-ubyte.gz")); statErr == nil {
			t.Errorf("a truncated download was kept")
		}
	})
	t.Run("corrupted", func(t *testing.T) {
		srv := mirror(t, func(w http.ResponseWriter, r *http.Request, content []byte) {
			w.Write(gzipBytes(idxBytes(MagicImages, []uint32{3, 2, 2}, make([]byte, 12))))
		})
		cache := t.TempDir()
		_, err := downloadLoader(cache).Images(tinySet(tinyImages, tinyLabels, srv.URL), Train)
		if !errors.Is(err, ErrChecksum) {
			t.Errorf("corrupted download: %v", err)
		}
		t.Logf("corrupted: %v", err)
		noPartialFiles(t, cache)
	})
	t.Run("stalled", func(t *testing.T) {
		srv := mirror(t, func(w http.ResponseWriter, r *http.Request, content []byte) {
			w.Header().Set("Content-Length", "1000")
			w.Write(content[:10])
			w.(http.Flusher).Flush()
			<-r.Context().Done() // never sends the rest.
		})
		cache := t.TempDir()
		l := downloadLoader(cache)
		l.Attempts = 2
		start := time.Now()
		_, err := l.Images(tinySet(tinyImages, tinyLabels, srv.URL), Train)
		if !errors.Is(err, ErrDownload) || !strings.Contains(err.Error(), "no data received") {
			t.Errorf("stalled download: %v", err)
		}
		t.Logf("stalled (gave up after %v): %v", time.Since(start).Round(time.Millisecond), err)
		noPartialFiles(t, cache)
	})
	t.Run("cancelled while the server never answers", func(t *testing.T) {
		arrived := make(chan struct{}, 4)
		srv := mirror(t, func(w http.ResponseWriter, r *http.Request, content []byte) {
			arrived <- struct{}{}
			<-r.Context().Done() // never sends a header.
		})
		ctx, cancel := context.WithCancel(context.Background())
		l := downloadLoader(t.TempDir())
		l.StallTimeout = time.Hour // only the cancellation can end it.
		l.Context = ctx
		go func() { <-arrived; cancel() }()
		_, err := l.Images(tinySet(tinyImages, tinyLabels, srv.URL), Train)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled download: %v, want context.Canceled", err)
		}
	})
	t.Run("cancelled between tries", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		srv := mirror(t, func(w http.ResponseWriter, r *http.Request, content []byte) {
			cancel() // the first try fails with a 503, then the wait before the next one is cancelled.
			http.Error(w, "busy", http.StatusServiceUnavailable)
		})
		l := downloadLoader(t.TempDir())
		l.Backoff = time.Hour
		l.Context = ctx
		_, err := l.Images(tinySet(tinyImages, tinyLabels, srv.URL), Train)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled retry: %v, want context.Canceled", err)
		}
	})
	t.Run("refused", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close() // nothing listens there now.
		_, err := downloadLoader(t.TempDir()).Images(tinySet(tinyImages, tinyLabels, "http://"+addr), Train)
		if !errors.Is(err, ErrOffline) {
			t.Errorf("refused: %v", err)
		}
		t.Logf("refused: %v", err)
	})
	t.Run("no network", func(t *testing.T) {
		// A name that cannot resolve: what a machine without network sees.
		_, err := downloadLoader(t.TempDir()).Images(tinySet(tinyImages, tinyLabels, "http://mirror.invalid"), Train)
		if !errors.Is(err, ErrOffline) || !strings.Contains(err.Error(), DataEnv) {
			t.Errorf("no network: %v", err)
		}
		t.Logf("no network: %v", err)
	})
	t.Run("not found", func(t *testing.T) {
		srv := mirror(t, func(w http.ResponseWriter, r *http.Request, content []byte) { http.NotFound(w, r) })
		_, err := downloadLoader(t.TempDir()).Images(tinySet(tinyImages, tinyLabels, srv.URL), Train)
		if !errors.Is(err, ErrDownload) || !strings.Contains(err.Error(), "404") {
			t.Errorf("404: %v", err)
		}
	})
}

// FuzzReadIDX checks that no input makes the parser panic or disagree with
// itself: whatever it accepts has a payload matching its header.
func FuzzReadIDX(f *testing.F) {
	f.Add(tinyImages)
	f.Add(tinyLabels)
	f.Add(gzipBytes(tinyImages))
	f.Add(idxBytes(MagicImages, []uint32{0, 28, 28}, nil))
	f.Add(idxBytes(MagicImages, []uint32{1 << 30, 1 << 30, 1 << 30}, nil))
	f.Add([]byte{0x1f, 0x8b})
	if dir := os.Getenv(DataEnv); dir != "" {
		if raw, err := os.ReadFile(filepath.Join(dir, "mnist", "t10k-labels-idx1-ubyte.gz")); err == nil {
			f.Add(raw)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		idx, err := ReadIDX(bytes.NewReader(data))
		if err != nil {
			for _, known := range []error{ErrBadMagic, ErrTruncated, ErrCorrupt, ErrTrailing} {
				if errors.Is(err, known) {
					return
				}
			}
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return
			}
			t.Fatalf("unclassified error: %v", err)
		}
		total := 1
		for _, d := range idx.Dims {
			total *= d
		}
		if total != len(idx.Data) {
			t.Fatalf("dims %v but %d bytes", idx.Dims, len(idx.Data))
		}
	})
}

// TestOwnMirror downloads from a mirror of one's own named in
// $VAEKIT_MIRRORS (files laid out like shared/datasets), tried before the
// file's own mirror, here one that cannot be reached.
func TestOwnMirror(t *testing.T) {
	var paths []string
	own := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		switch r.URL.Path {
		case "/data/tiny/train-images-idx3-ubyte.gz":
			w.Write(gzipBytes(tinyImages))
		case "/data/tiny/train-labels-idx1-ubyte.gz":
			w.Write(gzipBytes(tinyLabels))
		default:
			http.NotFound(w, r)
		}
	}))
	defer own.Close()
	t.Setenv(MirrorsEnv, " "+own.URL+"/data/ ,")
	t.Setenv(DataEnv, "")
	l := NewLoader()
	l.CacheDir = t.TempDir()
	if len(l.Mirrors) != 1 {
		t.Fatalf("NewLoader with %s=%q: mirrors %q, want the one", MirrorsEnv, os.Getenv(MirrorsEnv), l.Mirrors)
	}
	l.Progress = nil
	set, err := l.Images(tinySet(tinyImages, tinyLabels, "http://127.0.0.1:1/unreachable"), Train)
	if err != nil || set.Count != 3 {
		t.Fatalf("from the own mirror: %v", err)
	}
	if len(paths) != 2 {
		t.Errorf("the own mirror was asked for %q, want the two files once each", paths)
	}
	noPartialFiles(t, l.CacheDir)
}
