package vaekit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// ModelsEnv overrides where trained models are kept.
const ModelsEnv = "VAEKIT_MODELS"

// ModelsDir is where trained models (checkpoints) are kept, so that the
// vaekit command and the notebooks reuse each other's training:
// $VAEKIT_MODELS, else os.UserCacheDir()/vaekit/models.
func ModelsDir() string {
	if dir := os.Getenv(ModelsEnv); dir != "" {
		return dir
	}
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "vaekit", "models")
	}
	return filepath.Join(os.TempDir(), "vaekit-models")
}

// RunDir names the checkpoint directory of a model under root by its kind
// and a digest of everything that determines its training (hyperparameters,
// data, seed): a changed value trains anew, an unchanged one reuses the
// checkpoint. hyper must marshal to JSON. It creates the directory with
// key.json, what was digested, so that Runs can say what each model is.
func RunDir(root, kind string, hyper any) (string, error) {
	raw, err := json.Marshal(hyper)
	if err != nil {
		return "", fmt.Errorf("vaekit.RunDir(%s): hyperparameters: %w", kind, err)
	}
	sum := sha256.Sum256(append([]byte(kind+"\n"), raw...))
	dir := filepath.Join(root, kind+"-"+hex.EncodeToString(sum[:6]))
	if _, err := os.Stat(filepath.Join(dir, keyFile)); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("vaekit.RunDir(%s): %w", kind, err)
	}
	return dir, WriteJSON(filepath.Join(dir, keyFile), struct {
		Kind string          `json:"kind"`
		Key  json.RawMessage `json:"key"`
	}{kind, raw})
}
