package vaekit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/gomlx/go-xla/pjrt"
)

// pluginNote is what scripts/install-xla-cpu writes beside the CPU plugin it
// installs (pjrt_c_api_cpu_plugin.so.vaekit.json): the wheel it came from,
// the plugin's size, and the XLA flags measured to help that plugin
// (docs/benchmarks.md).
type pluginNote struct {
	Package     string `json:"package"`
	Version     string `json:"version"`
	PluginBytes int64  `json:"plugin_bytes"`
	XLAFlags    string `json:"xla_flags"`
}

// pluginFlags reads the note beside the plugin at path. It returns nil, and
// no error, when there is no note or the plugin is not the one the note
// describes (another size: replaced since): each XLA version takes its own
// flags, and XLA aborts the process on one it does not know.
func pluginFlags(path string) (*pluginNote, error) {
	raw, err := os.ReadFile(path + ".vaekit.json")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var note pluginNote
	if err := json.Unmarshal(raw, &note); err != nil || note.Package == "" {
		return nil, fmt.Errorf("%s.vaekit.json: not a plugin note (want JSON with package, version, plugin_bytes, xla_flags; "+
			"scripts/install-xla-cpu writes it)", path)
	}
	info, err := os.Stat(path)
	if err != nil || info.Size() != note.PluginBytes {
		return nil, nil
	}
	return &note, nil
}

// xlaPlugin describes the CPU plugin in use and the flags vaekit set for it,
// for the backend's line and benchmark records; "" when there is no note.
var xlaPlugin string

// setPluginFlags sets $XLA_FLAGS to the flags measured for the installed CPU
// plugin, unless the user has set XLA_FLAGS (even to ""). A bad note is
// said and skipped: the plugin runs without the flags.
func setPluginFlags() {
	path, found := pjrt.AvailablePlugins()["cpu"]
	if !found {
		return
	}
	note, err := pluginFlags(path)
	if err != nil {
		fmt.Fprintf(Messages(), "vaekit: %v; XLA runs without vaekit's flags\n", err)
		return
	}
	if note == nil {
		return
	}
	xlaPlugin = note.Package + " " + note.Version
	if _, set := os.LookupEnv("XLA_FLAGS"); set || note.XLAFlags == "" {
		return
	}
	if err := os.Setenv("XLA_FLAGS", note.XLAFlags); err == nil {
		xlaPlugin += ", XLA_FLAGS=" + note.XLAFlags
	}
}
