package notebooks

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/vaekit/vaekit/internal/atomicfile"
)

// Every notebook is executed once a test run, where it counts: in the
// browser (JupyterLab in Chromium, Run All, then played with) when the
// browser's part of it changed, else headless (nbconvert), which checks the
// same outputs. What a browser run depends on beyond a headless one is the
// notebook itself, the explorers and the live view (vaekit/notebook,
// vaekit/live) and the browser test: browserPassedFile keeps, for each
// notebook that passed the browser test, the hash of these as they were. By
// default TestBrowser runs 01-vae (a reader's edits: the latent size, the
// encoder) and every notebook whose hash differs from the one kept.
const browserPassedFile = "browser-passed.json"

// browserFixed always runs in the browser by default.
const browserFixed = "01-vae"

// browserHash is the SHA-256 of what notebook name's browser run depends on.
func browserHash(name string) (string, error) {
	files := []string{name + ".ipynb", "browser_test.go", "stamps_test.go"}
	for _, pkg := range []string{"../vaekit/notebook", "../vaekit/live"} {
		found, err := filepath.Glob(filepath.Join(pkg, "*.go"))
		if err != nil {
			return "", err
		}
		files = append(files, found...)
	}
	slices.Sort(files[1:])
	h := sha256.New()
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		h.Write([]byte(filepath.ToSlash(f) + "\x00"))
		h.Write(raw)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// browserPassed reads the kept hashes (none when the file is missing or
// does not parse: every notebook runs in the browser then).
func browserPassed() map[string]string {
	kept := map[string]string{}
	if raw, err := os.ReadFile(browserPassedFile); err == nil {
		_ = json.Unmarshal(raw, &kept)
	}
	return kept
}

var browserPassedMu sync.Mutex

// keepBrowserPass records that name passed the browser test as it is now.
func keepBrowserPass(t *testing.T, name string) {
	hash, err := browserHash(name)
	if err != nil {
		t.Logf("not kept as passed in the browser: %v", err)
		return
	}
	browserPassedMu.Lock()
	defer browserPassedMu.Unlock()
	kept := browserPassed()
	kept[name] = hash
	raw, _ := json.MarshalIndent(kept, "", "  ")
	if err := atomicfile.WriteFile(browserPassedFile, append(raw, '\n')); err != nil {
		t.Logf("not kept as passed in the browser: %v", err)
	}
}

// browserNotebooks is what TestBrowser runs: $VAEKIT_BROWSER_NOTEBOOKS
// (comma-separated names, or "all"), else browserFixed and every notebook
// whose browser run's inputs changed since it last passed.
func browserNotebooks(t *testing.T) (names []string, why string) {
	all := notebookNames(t)
	switch list := os.Getenv("VAEKIT_BROWSER_NOTEBOOKS"); list {
	case "all":
		return all, "all ($VAEKIT_BROWSER_NOTEBOOKS=all)"
	case "":
	default:
		return strings.Split(list, ","), "from $VAEKIT_BROWSER_NOTEBOOKS"
	}
	kept := browserPassed()
	for _, name := range all {
		hash, err := browserHash(name)
		if name == browserFixed || err != nil || kept[name] != hash {
			names = append(names, name)
		}
	}
	return names, browserFixed + " and the notebooks changed since they last passed here (" + browserPassedFile + ")"
}

// notebookNames are the notebooks, without .ipynb.
func notebookNames(t *testing.T) []string {
	paths, err := filepath.Glob("*.ipynb")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no notebooks found: %v", err)
	}
	for i, p := range paths {
		paths[i] = strings.TrimSuffix(p, ".ipynb")
	}
	return paths
}

// ranInBrowser are the notebooks that passed TestBrowser in this test
// process: TestNotebooks does not run them again headless.
var ranInBrowser sync.Map
