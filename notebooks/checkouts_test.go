package notebooks

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckoutsIndependent sets up two copies of this checkout one after the
// other, as a user with two clones would (scripts/setup in each), and runs a
// cell in each with that copy's Jupyter: each cell must import its own
// checkout's code (a package that says which copy it is), so the second
// set-up left the first one's kernel alone, and neither set-up may install a
// GoNB kernel for the whole user.
func TestCheckoutsIndependent(t *testing.T) {
	endLeftovers(t)
	if testing.Short() {
		t.Skip("sets up two checkouts (about a minute each)")
	}
	userKernel := userKernelSpec(t)
	before, beforeErr := os.ReadFile(userKernel)
	var copies []string
	for _, name := range []string{"first", "second"} {
		dir := copyCheckout(t)
		pkg := filepath.Join(dir, "checkoutmark") // not internal/: a cell is a module of its own
		if err := os.MkdirAll(pkg, 0o755); err != nil {
			t.Fatal(err)
		}
		src := fmt.Sprintf("// Package checkoutmark says which copy of the checkout this is.\npackage checkoutmark\n\nconst Name = %q\n", name)
		if err := os.WriteFile(filepath.Join(pkg, "mark.go"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		setup := exec.Command(filepath.Join(dir, "scripts", "setup"))
		setup.Dir = dir
		if out, err := setup.CombinedOutput(); err != nil {
			t.Fatalf("scripts/setup in the %s copy: %v\n%s", name, err, out)
		}
		copies = append(copies, dir)
	}
	for i, name := range []string{"first", "second"} {
		if got := runMarkCell(t, copies[i]); got != name {
			t.Errorf("a cell in the %s copy (%s) imported the code of the %q copy", name, copies[i], got)
		}
	}
	after, afterErr := os.ReadFile(userKernel)
	if string(after) != string(before) || (beforeErr == nil) != (afterErr == nil) {
		t.Errorf("the set-ups changed the user's GoNB kernel %s (before: %v, after: %v)", userKernel, beforeErr, afterErr)
	}
}

// userKernelSpec is where a GoNB kernel for the whole user would be.
func userKernelSpec(t *testing.T) string {
	out, err := exec.Command(jupyter(t), "--data-dir").Output()
	if err != nil {
		t.Fatalf("jupyter --data-dir: %v", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "kernels", "gonb", "kernel.json")
}

// copyCheckout copies the files of this checkout that git tracks, or would
// (untracked but not ignored), to a fresh directory.
func copyCheckout(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	list := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	list.Dir = root
	out, err := list.Output()
	if err != nil {
		t.Fatalf("git ls-files in %s: %v", root, err)
	}
	dir := t.TempDir()
	for _, name := range strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		src := filepath.Join(root, name)
		fi, err := os.Lstat(src)
		if err != nil || !fi.Mode().IsRegular() {
			continue // deleted in the work tree, or not a file.
		}
		raw, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, raw, fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runMarkCell runs, with the Jupyter of the checkout in dir, a notebook
// whose cell prints checkoutmark.Name, and returns what it printed.
func runMarkCell(t *testing.T, dir string) string {
	t.Helper()
	nb := map[string]any{
		"nbformat": 4, "nbformat_minor": 5,
		"metadata": map[string]any{"kernelspec": map[string]string{"name": "gonb", "display_name": "Go (gonb)", "language": "go"}},
		"cells": []map[string]any{{"cell_type": "code", "metadata": map[string]any{}, "outputs": []any{}, "execution_count": nil,
			"source": "%noautoget\nimport \"github.com/vaekit/vaekit/checkoutmark\"\n\n%%\nfmt.Printf(\"checkout=%s\\n\", checkoutmark.Name)\n"}},
	}
	raw, _ := json.Marshal(nb)
	path := filepath.Join(t.TempDir(), "mark.ipynb")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(dir, ".venv", "bin", "jupyter"), "nbconvert", "--to", "notebook", "--execute",
		"--ExecutePreprocessor.timeout=600", "--stdout", path)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("running a cell with %s's Jupyter: %v\n%s", dir, err, stderr.String())
	}
	_, after, ok := strings.Cut(string(out), "checkout=")
	if !ok {
		t.Fatalf("the cell run with %s's Jupyter printed no checkout:\n%s", dir, out)
	}
	name, _, _ := strings.Cut(after, "\\n")
	return name
}
