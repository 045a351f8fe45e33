package vaekit

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// TestProgressLine checks the progress line a notebook shows: nothing
// after the first step (it compiles; a rate would mean nothing), each redraw
// as long as the longest before it (nothing of an earlier line is left), one
// line ended once, and the loss first.
func TestProgressLine(t *testing.T) {
	var out strings.Builder
	p := &progressLine{w: &out, inPlace: true, unit: "step", first: 100, target: 110, started: time.Now()}
	p.update(101, map[string]float64{"loss": 152.3456})
	if out.Len() > 0 {
		t.Errorf("after the first step: %q, want nothing yet", out.String())
	}
	p.update(102, map[string]float64{"loss": 152.3456, "kl": 5.5, "reconstruction": 146.8})
	if second := out.String(); !strings.HasPrefix(second, "\r 20% [step=102] of 110  loss=152.3  kl=5.5  reconstruction=146.8") {
		t.Errorf("after the second step: %q", second)
	}
	for step := 103; step <= 109; step++ {
		p.update(step, map[string]float64{"loss": 1})
	}
	p.update(110, map[string]float64{"loss": 1})
	p.end()
	draws := strings.Split(out.String(), "\r")[1:]
	if len(draws) != 9 {
		t.Fatalf("%d redraws, want 8 updates (not the first step's, nor the last's, which is the end's) and the end: %q", len(draws), out.String())
	}
	width := 0
	for i, d := range draws {
		line := strings.TrimSuffix(d, "\n")
		if len(line) < width {
			t.Errorf("redraw %d is %d characters, shorter than an earlier one (%d): %q would leave a tail", i, len(line), width, line)
		}
		width = max(width, len(line))
		if strings.HasSuffix(d, "\n") != (i == len(draws)-1) {
			t.Errorf("redraw %d: %q: only the last one ends the line", i, d)
		}
	}
	last := draws[len(draws)-1]
	for _, want := range []string{"100% [step=110] of 110", "steps/s", "done in"} {
		if !strings.Contains(last, want) {
			t.Errorf("last line %q lacks %q", last, want)
		}
	}
}

// TestProgressLinesSideBySide: two runs training at once (a figure's seeds)
// share the terminal's line, drawn side by side, not over each other; the
// one that ends gets a line of its own, and the other goes on below it.
func TestProgressLinesSideBySide(t *testing.T) {
	var out strings.Builder
	s := &screen{w: &out}
	a := &progressLine{w: &out, inPlace: true, screen: s, unit: "step", first: 0, target: 10, started: time.Now()}
	b := &progressLine{w: &out, inPlace: true, screen: s, unit: "step", first: 0, target: 20, started: time.Now()}
	for step := 1; step <= 3; step++ {
		a.update(step, map[string]float64{"loss": 1})
		b.update(step, map[string]float64{"loss": 2})
	}
	draws := strings.Split(out.String(), "\r")
	if last := draws[len(draws)-1]; !strings.Contains(last, "[step=3] of 10  loss=1") || !strings.Contains(last, "[step=3] of 20  loss=2") {
		t.Fatalf("both runs at step 3: the line is %q, want both side by side", last)
	}
	out.Reset()
	a.update(10, map[string]float64{"loss": 0.5})
	a.end()
	ended, goesOn, ok := strings.Cut(strings.TrimPrefix(out.String(), "\r"), "\n")
	if !ok || !strings.Contains(ended, "100% [step=10] of 10") || strings.Contains(ended, "of 20") {
		t.Errorf("the first run ended with %q: want its own last line, ended", out.String())
	}
	if !strings.HasPrefix(goesOn, "\r") || !strings.Contains(goesOn, "[step=3] of 20") || strings.Contains(goesOn, "\n") {
		t.Errorf("after the first run ended: %q, want the second's line alone, in place", goesOn)
	}
}

// TestProgressOffStdout trains, resumes and reuses a tiny model with
// Progress outside a notebook: its standard output must stay empty (a
// command's stdout carries only results, JSON with --json), and the
// progress line and the notes go to stderr.
func TestProgressOffStdout(t *testing.T) {
	testBackend(t)
	data := ImageData(mnistTest(t, 500))
	dir := t.TempDir()
	stdout, stderr := captureStdio(t, func() {
		for _, epochs := range []int{1, 2, 2} { // trains, resumes, reuses.
			fit := newTinyFit(t, data, dir, epochs)
			fit.Progress = true
			if _, err := fit.Run(context.Background()); err != nil {
				t.Error(err)
			}
		}
	})
	if stdout != "" {
		t.Errorf("training with Progress wrote to stdout: %q", stdout)
	}
	for _, want := range []string{"[step=10] of 10", "[step=20] of 20", "resuming", "reusing"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr has no %q: %q", want, stderr)
		}
	}
}

// captureStdio runs fn with os.Stdout and os.Stderr read into strings.
func captureStdio(t *testing.T, fn func()) (stdout, stderr string) {
	t.Helper()
	read := func(f **os.File) func() string {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		old := *f
		*f = w
		got := make(chan string)
		go func() {
			raw, _ := io.ReadAll(r)
			got <- string(raw)
		}()
		return func() string {
			*f = old
			w.Close()
			return <-got
		}
	}
	endOut, endErr := read(&os.Stdout), read(&os.Stderr)
	defer func() { stdout, stderr = endOut(), endErr() }()
	fn()
	return
}
