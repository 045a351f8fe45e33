package slurm

import (
	"path/filepath"
	"slices"
	"testing"
)

// TestTaskEnv: a task submitted from a notebook's cell must not inherit the
// cell's GoNB pipes (it would block writing its live view into them), and a
// relative data path must still point at the data from the job's directory.
func TestTaskEnv(t *testing.T) {
	abs, err := filepath.Abs("data")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		in, want []string
	}{
		{[]string{"PATH=/bin", "GONB_PIPE=/tmp/p", "GONB_PIPE_BACK=/tmp/q", "GONB_DIR=/tmp/d", "HOME=/root"}, []string{"PATH=/bin", "HOME=/root"}},
		{[]string{"VAEKIT_DATA=data", "VAEKIT_MODELS=/m"}, []string{"VAEKIT_DATA=" + abs, "VAEKIT_MODELS=/m"}},
		{[]string{"VAEKIT_DATA=/shared/datasets"}, []string{"VAEKIT_DATA=/shared/datasets"}},
		{[]string{"VAEKIT_DATA="}, []string{"VAEKIT_DATA="}},
	} {
		got, err := taskEnv(c.in)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("taskEnv(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}
