package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestREADMEIsGenerated: every results block of the README is what the full
// runs' JSON in docs/tour gives (a hand-typed or stale number fails here).
func TestREADMEIsGenerated(t *testing.T) {
	root := filepath.Join("..", "..")
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Generate(readme, filepath.Join(root, "docs", "tour"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(readme), "<!-- results "); n == 0 {
		t.Error("the README has no results block")
	}
	if string(got) != string(readme) {
		t.Error("README.md's results differ from docs/tour's JSON: run go run ./internal/readme")
	}
}

// TestGenerate fills a block from a run's JSON, and says which number is
// missing.
func TestGenerate(t *testing.T) {
	tour := t.TempDir()
	if err := os.WriteFile(filepath.Join(tour, "x.json"), []byte(`{"metrics": {"elbo": -150.66, "acc": 0.9884}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	in := "a\n<!-- results x: ELBO {{f 1 .metrics.elbo}}, accuracy {{pct 1 .metrics.acc}} -->\nold 1.0\n<!-- /results -->\nb\n"
	want := "a\n<!-- results x: ELBO {{f 1 .metrics.elbo}}, accuracy {{pct 1 .metrics.acc}} -->\nELBO −150.7, accuracy 98.8 %\n<!-- /results -->\nb\n"
	got, err := Generate([]byte(in), tour)
	if err != nil || string(got) != want {
		t.Errorf("Generate: %q, %v; want %q", got, err, want)
	}
	tsv := "<!-- results x: {{n 5000}} {{f 1 (neg .metrics.elbo)}} {{f 2 (sub .metrics.acc 1)}} -->\n\n<!-- /results -->\n"
	if got, err := Generate([]byte(tsv), tour); err != nil || !strings.Contains(string(got), "\n5,000 150.7 −0.01\n") {
		t.Errorf("n, neg and sub: %q, %v", got, err)
	}
	bad := "<!-- results x: {{f 1 .metrics.nll}} -->\n\n<!-- /results -->\n"
	if _, err := Generate([]byte(bad), tour); err == nil || !strings.Contains(err.Error(), "nll") {
		t.Errorf("a number the JSON lacks: %v, want an error naming it", err)
	}
	// A benchmark's JSON, beside the tour.
	docs := t.TempDir()
	if err := os.Mkdir(filepath.Join(docs, "tour"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(docs, "bench-1.json"), []byte(`{"ratio": 1.234}`), 0o644); err != nil {
		t.Fatal(err)
	}
	bench := "<!-- results bench-1: {{f 2 .ratio}}× -->\n\n<!-- /results -->\n"
	if got, err := Generate([]byte(bench), filepath.Join(docs, "tour")); err != nil || !strings.Contains(string(got), "\n1.23×\n") {
		t.Errorf("a benchmark's JSON beside the tour: %q, %v", got, err)
	}
	if _, err := Generate([]byte(strings.ReplaceAll(bench, "bench-1", "bench-2")), filepath.Join(docs, "tour")); err == nil ||
		!strings.Contains(err.Error(), "bench-2.json") {
		t.Errorf("a JSON in neither place: %v, want an error naming it", err)
	}
	// Another figure's JSON, and the rule on per-seed values.
	if err := os.WriteFile(filepath.Join(tour, "z.json"), []byte(`{"metrics": {"per_seed": [1, 2, 3]}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tour, "w.json"), []byte(`{"metrics": {"per_seed": [4, 5]}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	across := `<!-- results z: {{verdict "fid" "A" .metrics.per_seed "B" (tour "w").metrics.per_seed false}} -->` + "\n\n<!-- /results -->\n"
	if got, err := Generate([]byte(across), tour); err != nil || !strings.Contains(string(got), "fid: A 2 ± 1 is lower than B 4.5 ± 0.71 beyond seed spread (A better; 3 and 2 seeds)") {
		t.Errorf("tour and verdict: %q, %v", got, err)
	}
	if _, err := Generate([]byte(`<!-- results z: {{(tour "v").metrics}} -->`+"\n\n<!-- /results -->\n"), tour); err == nil || !strings.Contains(err.Error(), "v.json") {
		t.Errorf("tour of a missing JSON: %v, want an error naming the file", err)
	}
	if _, err := Generate([]byte("<!-- results y: {{.metrics}} -->\n\n<!-- /results -->\n"), tour); err == nil || !strings.Contains(err.Error(), "y.json") {
		t.Errorf("a run without its JSON: %v, want an error naming the file", err)
	}
}
