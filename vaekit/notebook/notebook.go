// Package notebook is what a GoNB notebook cell needs beside the figures: its
// options, Must for a cell's errors, and the explorers (sliders over a
// trained model, live in the cell). Importing it also gives training its
// live view in the cell (package live).
package notebook

import (
	"fmt"

	"github.com/vaekit/vaekit/vaekit"
	"github.com/vaekit/vaekit/vaekit/experiments"
	_ "github.com/vaekit/vaekit/vaekit/live" // a training's live view, in a notebook cell.
)

// Options are a notebook's options: quick mode as $VAEKIT_QUICK says, figures
// exported to figures-out beside the notebook, progress shown, the models
// used logged for the figures' JSON. The seed is each experiment's own.
func Options() experiments.Options {
	return experiments.Options{Quick: experiments.QuickFromEnv(), Out: "figures-out", Progress: true}.WithRunLog()
}

// Must returns v, or stops a notebook's cell with err (a panic, which GoNB
// shows as the cell's error), with what to do about it where vaekit.Advice
// knows (a full disk, a directory that cannot be written).
func Must[T any](v T, err error) T {
	if err != nil {
		if advice := vaekit.Advice(err); advice != "" {
			panic(fmt.Errorf("%w\n%s", err, advice))
		}
		panic(err)
	}
	return v
}
