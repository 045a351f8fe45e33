package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMode checks that a file gets the mode a plain create gives (it was
// 0600 from os.CreateTemp), for a new file and over an old one.
func TestMode(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("x"), 0o666); err != nil {
		t.Fatal(err)
	}
	want := mode(t, plain)
	path := filepath.Join(dir, "sub", "file.json")
	for _, content := range []string{"first", "second"} {
		if err := WriteFile(path, []byte(content)); err != nil {
			t.Fatal(err)
		}
		if got := mode(t, path); got != want {
			t.Errorf("mode %v, want %v as a plain create gives", got, want)
		}
		if raw, _ := os.ReadFile(path); string(raw) != content {
			t.Errorf("content %q, want %q", raw, content)
		}
	}
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// TestSetFailsWhole writes a set whose second file cannot be written: the
// first file must keep its old content, and no temporary file stays behind.
func TestSetFailsWhole(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "a.png")
	if err := WriteFile(good, []byte("old")); err != nil {
		t.Fatal(err)
	}
	blocked := filepath.Join(dir, "blocked")
	if err := os.WriteFile(blocked, nil, 0o644); err != nil { // a file where a directory is needed.
		t.Fatal(err)
	}
	err := WriteFiles(map[string][]byte{good: []byte("new"), filepath.Join(blocked, "a.json"): []byte("{}")})
	if err == nil {
		t.Fatal("no error writing under a file")
	}
	if raw, _ := os.ReadFile(good); string(raw) != "old" {
		t.Errorf("a.png is %q after a failed set, want the old content", raw)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}
