package main

import (
	"bytes"
	"strings"
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
