// Package atomicfile writes files so that a reader (or a later run after a
// crash or a power cut) sees either the old content or the new, never half
// a file.
package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// WriteFile writes data to path through a temporary file in the same
// directory, synced, then renamed over path, and the directory synced. The
// file gets the mode a plain os.Create would give (0666 less the umask).
func WriteFile(path string, data []byte) error {
	return WriteFiles(map[string][]byte{path: data})
}

// WriteExecutable is WriteFile for a program: the mode an executable gets
// (0777 less the umask), set before the file takes path's name.
func WriteExecutable(path string, data []byte) error {
	return writeFiles(map[string][]byte{path: data}, os.FileMode(0o777)&^processUmask)
}

// WriteFiles writes several files as a set: every file is written and synced
// aside first, and only then are they renamed into place, so a failure while
// writing (a full disk) leaves all the old files, none of the new.
func WriteFiles(files map[string][]byte) error {
	return writeFiles(files, os.FileMode(0o666)&^processUmask)
}

// writeFiles is WriteFiles with the files' mode.
func writeFiles(files map[string][]byte, mode os.FileMode) (err error) {
	temps := map[string]string{}
	defer func() {
		for _, tmp := range temps {
			os.Remove(tmp) // a no-op once renamed.
		}
	}()
	for path, data := range files {
		tmp, err := writeTemp(path, data, mode)
		if err != nil {
			return err
		}
		temps[path] = tmp
	}
	dirs := map[string]bool{}
	for path, tmp := range temps {
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
		delete(temps, path)
		dirs[filepath.Dir(path)] = true
	}
	for dir := range dirs {
		if err := Sync(dir); err != nil {
			return err
		}
	}
	return nil
}

func writeTemp(path string, data []byte, mode os.FileMode) (string, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return "", err
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(mode)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("writing %s: %w", path, err)
	}
	return tmp.Name(), nil
}

// Sync flushes a file already written (by another library) to disk, or
// makes the renames and creations in a directory durable.
func Sync(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) { // some filesystems cannot sync a directory.
		return fmt.Errorf("syncing %s: %w", path, err)
	}
	return nil
}

// processUmask is the file-creation mask, read once at start-up: reading it
// means setting it, which must not race with other goroutines creating files.
var processUmask = func() os.FileMode {
	m := syscall.Umask(0)
	syscall.Umask(m)
	return os.FileMode(m)
}()
