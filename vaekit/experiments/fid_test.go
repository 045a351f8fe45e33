package experiments

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vaekit/vaekit/datasets"
	"github.com/vaekit/vaekit/vaekit"
)

// testOptions uses the tests' shared models directory ($VAEKIT_MODELS, where
// scripts/test keeps the mnist_fid classifier once trained), else a fresh one,
// and the offline data beside the checkout unless $VAEKIT_DATA is set.
func testOptions(t *testing.T) Options {
	if os.Getenv(datasets.DataEnv) == "" {
		t.Setenv(datasets.DataEnv, filepath.Join("..", "..", "..", "shared", "datasets"))
	}
	opts := Options{Quick: true, Models: os.Getenv(vaekit.ModelsEnv)}
	if opts.Models == "" {
		opts.Models = t.TempDir()
	}
	return opts
}

// TestFIDReferenceKept checks that the real digits' reference is measured
// once per classifier and read back after: a scorer made again reads the
// reference.json the first wrote (a value planted there comes back), and one
// that does not parse or was measured at other settings is measured again.
func TestFIDReferenceKept(t *testing.T) {
	ctx := context.Background()
	opts := testOptions(t)
	first, err := NewFIDScorer(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(first.dir, "reference.json")
	var kept fidReference
	raw, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(raw, &kept)
	}
	if err != nil || kept.RealQuality != first.RealQuality || kept.Accuracy != first.Accuracy {
		t.Fatalf("%s: %v; it keeps %+v, the scorer measured accuracy %v and %+v", path, err, kept, first.Accuracy, first.RealQuality)
	}
	if first.Accuracy < 0.98 || first.RealQuality.FID <= 0 || first.RealQuality.FID > 5 {
		t.Errorf("the reference: classifier accuracy %.4f (want ≥ 0.98), real digits' mnist_fid %.2f (want in (0, 5])", first.Accuracy, first.RealQuality.FID)
	}

	planted := kept
	planted.RealQuality.FID = 1234.5
	otherSettings := kept
	otherSettings.Samples = FIDSamples / 2
	otherSettings.RealQuality.FID = 1234.5
	for _, c := range []struct {
		name    string
		content []byte
		read    bool // the planted value comes back.
	}{
		{"kept at these settings", marshal(t, planted), true},
		{"not JSON (a torn file)", []byte(`{"samples": 50`), false},
		{"measured at other settings", marshal(t, otherSettings), false},
	} {
		if err := os.WriteFile(path, c.content, 0o644); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		s, err := NewFIDScorer(ctx, opts)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		t.Logf("%s: scorer made in %.1f s, real digits' mnist_fid %.4g", c.name, time.Since(start).Seconds(), s.RealQuality.FID)
		if got := s.RealQuality.FID == 1234.5; got != c.read {
			t.Errorf("%s: the scorer's reference mnist_fid is %v; read from the file: %v, want %v", c.name, s.RealQuality.FID, got, c.read)
		}
		if !c.read && s.RealQuality != first.RealQuality {
			t.Errorf("%s: measured again as %+v, first measured as %+v", c.name, s.RealQuality, first.RealQuality)
		}
	}
	if err := os.WriteFile(path, raw, 0o644); err != nil { // as the first scorer left it, for the other tests.
		t.Fatal(err)
	}
}

func marshal(t *testing.T, v any) []byte {
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
