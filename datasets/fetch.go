package datasets

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/vaekit/vaekit/internal/atomicfile"
)

// DataEnv is the one setting that tells vaekit where offline copies of the
// data sets are: a directory laid out like shared/datasets (mnist/,
// fashion-mnist/, ...). It is searched before the per-user cache.
const DataEnv = "VAEKIT_DATA"

// MirrorsEnv names base URLs (comma-separated) that downloads try first; see Loader.Mirrors.
const MirrorsEnv = "VAEKIT_MIRRORS"

// Errors of the loaders; test with errors.Is. Each comes wrapped with the file
// name and what to do about it.
var (
	ErrNotFound = errors.New("data file not found")
	ErrChecksum = errors.New("checksum mismatch")
	ErrOffline  = errors.New("no network")
	ErrDownload = errors.New("download failed")
)

// File is one file of a data set.
type File struct {
	// Path relative to the data directory, e.g. "mnist/train-images-idx3-ubyte.gz".
	Path string
	// SHA256 of the file's uncompressed content, in hex: a gzip file and its
	// raw (or recompressed) twin verify alike.
	SHA256 string
	// Mirrors are base URLs tried in order; the file's base name is appended.
	Mirrors []string
	// Archive, for a data set published only as one archive: where a missing
	// file is extracted from (nil for files published one by one).
	Archive *Archive
}

// Archive is a zip or gzip-compressed tar file holding a data set's files. When one of them is
// missing, the archive is downloaded (from Mirrors, its base name appended),
// every member that is one of Files is checked against its checksum and
// written to the cache under Dir, and the archive is deleted.
type Archive struct {
	Path    string            // in the cache, e.g. "orl-faces/att_faces.zip".
	Mirrors []string          // base URLs.
	Dir     string            // where members go, e.g. "orl-faces".
	Files   map[string]string // member path below Dir (e.g. "s1/1.pgm") → SHA-256; members are matched by this suffix.
}

// Loader finds data files: first in DataDir, then in CacheDir, then by
// downloading into CacheDir. Every file is verified against its checksum
// before use. The zero value searches nothing; use NewLoader.
type Loader struct {
	DataDir  string // offline copies (from $VAEKIT_DATA); "" to skip.
	CacheDir string // per-user cache, where downloads go; "" to never download.

	Client       *http.Client  // nil: a client with connection timeouts.
	Attempts     int           // tries per mirror for a transient failure (>= 1).
	Backoff      time.Duration // pause before the second try, doubled after.
	StallTimeout time.Duration // a download that receives nothing for this long is abandoned.
	// Mirrors are base URLs tried before each file's own mirrors (from
	// $VAEKIT_MIRRORS, comma-separated): a mirror of one's own, as a cluster
	// without Internet access has, holding the files laid out like
	// shared/datasets (BASE/mnist/train-images-idx3-ubyte.gz).
	Mirrors  []string
	Progress io.Writer // where download progress is drawn; nil for silence.

	// Context, when set, cancels downloads and the waits between their
	// tries (a Ctrl-C reaching the command's context stops at once).
	Context context.Context
}

func (l *Loader) ctx() context.Context {
	if l.Context != nil {
		return l.Context
	}
	return context.Background()
}

// NewLoader returns the loader every vaekit command uses: DataDir from
// $VAEKIT_DATA, CacheDir os.UserCacheDir()/vaekit, Mirrors from
// $VAEKIT_MIRRORS, progress on stderr.
func NewLoader() *Loader {
	l := &Loader{
		DataDir:      os.Getenv(DataEnv),
		Attempts:     3,
		Backoff:      time.Second,
		StallTimeout: 30 * time.Second,
		Progress:     os.Stderr,
	}
	for _, m := range strings.Split(os.Getenv(MirrorsEnv), ",") {
		if m = strings.TrimSpace(m); m != "" {
			l.Mirrors = append(l.Mirrors, m)
		}
	}
	if dir, err := os.UserCacheDir(); err == nil {
		l.CacheDir = filepath.Join(dir, "vaekit")
	}
	return l
}

// ReadFile returns the verified, uncompressed content of f, fetching it if
// needed. The error of a missing file names every place searched.
func (l *Loader) ReadFile(f File) ([]byte, error) {
	var searched []string
	for _, dir := range []string{l.DataDir, l.CacheDir} {
		if dir == "" {
			continue
		}
		path := filepath.Join(dir, filepath.FromSlash(f.Path))
		content, err := readVerified(path, f.SHA256)
		if errors.Is(err, os.ErrNotExist) && !strings.HasSuffix(path, ".gz") {
			content, err = readVerified(path+".gz", f.SHA256) // a gzipped copy of a raw file serves as well.
		}
		if err == nil {
			return content, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		searched = append(searched, path)
	}
	if l.DataDir == "" {
		searched = append(searched, "$"+DataEnv+" (not set)")
	}
	howToFix := fmt.Sprintf("set %s to a directory holding %s (laid out like shared/datasets)", DataEnv, f.Path)
	if l.CacheDir == "" || (len(f.Mirrors) == 0 && len(l.Mirrors) == 0 && f.Archive == nil) {
		return nil, fmt.Errorf("%w: %s; searched %s; %s", ErrNotFound, f.Path, strings.Join(searched, ", "), howToFix)
	}
	path := filepath.Join(l.CacheDir, filepath.FromSlash(f.Path))
	fetch := func() error { return l.download(f, path) }
	if f.Archive != nil {
		fetch = func() error { return l.extract(f.Archive) }
	}
	if err := fetch(); err != nil {
		return nil, fmt.Errorf("%s: not found in %s, and %w; %s", f.Path, strings.Join(searched, ", "), err, howToFix)
	}
	return readVerified(path, f.SHA256)
}

// eachTarMember calls fn for each regular file of a gzip-compressed tar archive.
func eachTarMember(path string, fn func(name string, open func() (io.ReadCloser, error)) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%w: %s is not a gzip-compressed tar archive: %v", ErrDownload, filepath.Base(path), err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %s is not a readable tar archive: %v", ErrDownload, filepath.Base(path), err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		if err := fn(h.Name, func() (io.ReadCloser, error) { return io.NopCloser(tr), nil }); err != nil {
			return err
		}
	}
}

// extract downloads an archive into the cache and writes its verified
// members there; a member with the wrong content stops it with an error
// that names the member.
func (l *Loader) extract(a *Archive) error {
	archivePath := filepath.Join(l.CacheDir, filepath.FromSlash(a.Path))
	if err := l.download(File{Path: a.Path, Mirrors: a.Mirrors}, archivePath); err != nil {
		return err
	}
	defer os.Remove(archivePath)
	found := map[string]bool{} // distinct expected names: a member repeated counts once.
	member := func(name string, open func() (io.ReadCloser, error)) error {
		rel := ""
		for want := range a.Files {
			if name == want || strings.HasSuffix(name, "/"+want) {
				rel = want
				break
			}
		}
		if rel == "" {
			return nil
		}
		rc, err := open()
		if err != nil {
			return fmt.Errorf("%w: %s in %s: %v", ErrCorrupt, name, a.Path, err)
		}
		content, err := io.ReadAll(io.LimitReader(rc, 1<<30))
		rc.Close()
		if err != nil {
			return fmt.Errorf("%w: %s in %s: %v", ErrCorrupt, name, a.Path, err)
		}
		if err := verify(content, a.Files[rel]); err != nil {
			return fmt.Errorf("%s in %s: %w", name, a.Path, err)
		}
		found[rel] = true
		return atomicfile.WriteFile(filepath.Join(l.CacheDir, filepath.FromSlash(a.Dir), filepath.FromSlash(rel)), content)
	}
	if strings.HasSuffix(a.Path, ".tgz") || strings.HasSuffix(a.Path, ".tar.gz") {
		if err := eachTarMember(archivePath, member); err != nil {
			return err
		}
	} else {
		z, err := zip.OpenReader(archivePath)
		if err != nil {
			return fmt.Errorf("%w: %s is not a readable zip archive: %v", ErrDownload, a.Path, err)
		}
		defer z.Close()
		for _, m := range z.File {
			if err := member(m.Name, m.Open); err != nil {
				return err
			}
		}
	}
	if len(found) < len(a.Files) {
		return fmt.Errorf("%w: %s holds %d of the %d expected files", ErrDownload, a.Path, len(found), len(a.Files))
	}
	return nil
}

// readVerified reads path, un-gzips it if needed and checks its checksum.
func readVerified(path, wantSHA string) ([]byte, error) {
	// A FIFO or a device would block (or never end) on reading: refuse it first.
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s); want the data file itself", path, fileKind(fi.Mode()))
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	content, err := uncompress(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := verify(content, wantSHA); err != nil {
		return nil, fmt.Errorf("%s: %w (the file is not used; delete or replace it)", path, err)
	}
	return content, nil
}

func fileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return "mode " + m.String()
}

// uncompress returns raw itself, or its gunzipped content if it starts with
// the gzip magic.
func uncompress(raw []byte) ([]byte, error) {
	if !bytes.HasPrefix(raw, []byte{0x1f, 0x8b}) {
		return raw, nil
	}
	gz, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	content, err := io.ReadAll(gz)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: gzip stream ends early", ErrTruncated)
		}
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return content, nil
}

func verify(content []byte, wantSHA string) error {
	if wantSHA == "" {
		return nil
	}
	sum := sha256.Sum256(content)
	if got := hex.EncodeToString(sum[:]); got != wantSHA {
		return fmt.Errorf("%w: uncompressed content has SHA-256 %s, want %s", ErrChecksum, got, wantSHA)
	}
	return nil
}

// download fetches f into path through a temporary file in the same
// directory, renamed only once complete and verified: an interrupted or bad
// download never leaves a file that a later run would trust.
func (l *Loader) download(f File, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("%w: creating the cache directory: %v", ErrDownload, err)
	}
	attempts := max(l.Attempts, 1)
	var failures []error
	offline := true
	var urls []string
	for _, own := range l.Mirrors { // a mirror of one's own holds the files laid out like shared/datasets.
		urls = append(urls, strings.TrimSuffix(own, "/")+"/"+f.Path)
	}
	for _, mirror := range f.Mirrors {
		urls = append(urls, strings.TrimSuffix(mirror, "/")+"/"+filepath.Base(f.Path))
	}
	for _, url := range urls {
		backoff := l.Backoff
		for attempt := 1; attempt <= attempts; attempt++ {
			err := l.downloadOnce(url, f, path)
			if err == nil {
				return nil
			}
			if ctxErr := l.ctx().Err(); ctxErr != nil {
				return fmt.Errorf("downloading %s: %w", f.Path, ctxErr)
			}
			failures = append(failures, fmt.Errorf("%s: %w", url, err))
			if isUnreachable(err) {
				break // no route to this host: retrying will not help, try the next mirror.
			}
			offline = false
			if !isTransient(err) || attempt == attempts {
				break
			}
			select {
			case <-time.After(backoff):
			case <-l.ctx().Done():
				return fmt.Errorf("downloading %s: %w", f.Path, l.ctx().Err())
			}
			backoff *= 2
		}
	}
	if offline && len(failures) > 0 {
		return &attemptsError{ErrOffline, "no mirror could be reached", failures}
	}
	return &attemptsError{ErrDownload, "every mirror failed", failures}
}

// attemptsError is a failed download: its kind and every attempt's error,
// all reachable with errors.Is.
type attemptsError struct {
	kind     error
	summary  string
	attempts []error
}

func (e *attemptsError) Error() string {
	msgs := make([]string, len(e.attempts))
	for i, err := range e.attempts {
		msgs[i] = err.Error()
	}
	return fmt.Sprintf("%v: %s (%s)", e.kind, e.summary, strings.Join(msgs, "; "))
}

func (e *attemptsError) Unwrap() []error { return append([]error{e.kind}, e.attempts...) }

type httpStatusError int

func (e httpStatusError) Error() string {
	return fmt.Sprintf("HTTP status %d %s", int(e), http.StatusText(int(e)))
}

func isTransient(err error) bool {
	var status httpStatusError
	if errors.As(err, &status) {
		return status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout
	}
	return !errors.Is(err, ErrChecksum) // a mirror serving the wrong bytes will serve them again.
}

// isUnreachable reports a failure to reach the host at all: DNS, refused or
// unroutable connections. These fail at once, so the user hears "no network"
// immediately rather than after retries.
func isUnreachable(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.EHOSTUNREACH)
}

func (l *Loader) client() *http.Client {
	if l.Client != nil {
		return l.Client
	}
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
	}}
}

func (l *Loader) downloadOnce(url string, f File, path string) (err error) {
	ctx, cancel := context.WithCancelCause(l.ctx())
	defer cancel(nil)
	stall := max(l.StallTimeout, time.Millisecond)
	errStalled := fmt.Errorf("no data received for %s", stall)
	timer := time.AfterFunc(stall, func() { cancel(errStalled) })
	defer timer.Stop()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := l.client().Do(req)
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && cause != context.Canceled {
			return cause
		}
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return httpStatusError(resp.StatusCode)
	}

	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".part-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	var dst io.Writer = tmp
	if l.Progress != nil {
		bar := progressbar.NewOptions64(resp.ContentLength,
			progressbar.OptionSetWriter(l.Progress),
			progressbar.OptionSetDescription("downloading "+f.Path),
			progressbar.OptionShowBytes(true),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(l.Progress) }),
		)
		dst = io.MultiWriter(tmp, bar)
	}
	n, err := io.Copy(dst, &stallReader{r: resp.Body, timer: timer, stall: stall})
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && cause != context.Canceled {
			err = cause
		}
		return fmt.Errorf("after %d bytes: %w", n, err)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return fmt.Errorf("truncated: got %d of %d bytes", n, resp.ContentLength)
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if f.SHA256 != "" { // an archive (no checksum of its own) is checked member by member in extract.
		if _, err = readVerified(tmp.Name(), f.SHA256); err != nil {
			return err
		}
	}
	return os.Rename(tmp.Name(), path)
}

// stallReader restarts the stall timer each time data arrives.
type stallReader struct {
	r     io.Reader
	timer *time.Timer
	stall time.Duration
}

func (s *stallReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		s.timer.Reset(s.stall)
	}
	return n, err
}
