package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		status int
		says   string
	}{
		{nil, 2, "Usage"},
		{[]string{"paint"}, 2, `unknown command "paint"`},
		{[]string{"figures", "--bogus"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"figures", "--seed", "x"}, 2, "invalid value"},
		{[]string{"figures"}, 2, "name at least one figure"},
		{[]string{"figures", "--quick", "vae-manifold", "no-such-figure"}, 2, "unknown figure no-such-figure; known: "},
		{[]string{"figures", "--list"}, 0, ""},
		{[]string{"bench", "resnet"}, 2, `unknown model "resnet"`},
		{[]string{"bench", "--steps"}, 2, "flag needs an argument"},
		{[]string{"--help"}, 0, "Usage"},
		{[]string{"score"}, 2, "name at least one folder of images"},
		{[]string{"figures", "--dataset", "no-such-folder", "vae-manifold"}, 2, "--dataset: stat no-such-folder: no such file"},
		{[]string{"figures", "--quick", "--out", "main_test.go", "vae-manifold"}, 2, "--out main_test.go: is a file"},
	} {
		var stdout, stderr bytes.Buffer
		status := run(tc.args, &stdout, &stderr)
		if status != tc.status || !strings.Contains(stderr.String(), tc.says) {
			t.Errorf("vaekit %v: status %d, stderr %q; want %d and %q", tc.args, status, stderr.String(), tc.status, tc.says)
		}
	}
	var stdout, stderr bytes.Buffer
	run([]string{"figures", "--list"}, &stdout, &stderr)
	for _, name := range []string{"vae-latent-scatter", "vae-manifold", "vae-training-curves"} {
		if !strings.Contains(stdout.String(), name) {
			t.Errorf("figures --list does not list %s:\n%s", name, stdout.String())
		}
	}
}

// TestInterrupts sends the command's own process SIGINT: the first one
// cancels the context (training stops after its step), the second exits
// with 130 at once.
func TestInterrupts(t *testing.T) {
	if os.Getenv("VAEKIT_TEST_INTERRUPT_CHILD") == "1" {
		var stderr bytes.Buffer
		ctx, stop := interruptContext(&stderr, os.Exit)
		defer stop()
		syscall.Kill(os.Getpid(), syscall.SIGINT)
		<-ctx.Done() // the first interrupt cancels...
		os.Stdout.WriteString("cancelled\n")
		syscall.Kill(os.Getpid(), syscall.SIGINT)
		select {} // ...and the second exits, or the test times out.
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestInterrupts$", "-test.count=1")
	cmd.Env = append(os.Environ(), "VAEKIT_TEST_INTERRUPT_CHILD=1")
	out, err := cmd.CombinedOutput()
	exit, ok := err.(*exec.ExitError)
	if !ok || exit.ExitCode() != exitInterrupted || !strings.Contains(string(out), "cancelled") {
		t.Errorf("child: %v (exit %v), output %q; want exit %d after the context was cancelled", err, exit, out, exitInterrupted)
	}
}
