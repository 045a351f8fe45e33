package vaekit

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gomlx/gomlx/ui/notebooks"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend" // the pure Go backend, always available.
	"github.com/gomlx/go-xla/compute/xla"
	_ "github.com/gomlx/go-xla/compute/xla/autoinstall" // used only when $VAEKIT_XLA_INSTALL=1.
)

// XLAInstallEnv is the setting with which a user asks vaekit to download a
// PJRT plugin for XLA (GoMLX's auto-install). Without it nothing is ever
// downloaded: vaekit uses a plugin only if one is already installed.
const XLAInstallEnv = "VAEKIT_XLA_INSTALL"

var (
	backendOnce   sync.Once
	backendShared compute.Backend
	backendErr    error
	backendMade   atomic.Bool
)

// Backend returns the compute backend that every vaekit command, test and
// notebook uses, created once per process:
//
//   - $GOMLX_BACKEND if set (e.g. "go", "xla:cpu", "xla:cuda");
//   - else XLA, if a PJRT plugin is already installed (CUDA before CPU);
//   - else the pure Go backend.
//
// No plugin is downloaded unless $VAEKIT_XLA_INSTALL=1. The choice is
// reported by BackendName and printed once: on stderr, or on stdout in a
// notebook, where stderr is drawn as an error.
func Backend() (compute.Backend, error) {
	backendOnce.Do(func() {
		defer backendMade.Store(true)
		backendShared, backendErr = newBackend()
		if backendErr == nil && firstInSession() {
			plugin := "" // set only when the backend is XLA's CPU plugin.
			if xlaPlugin != "" {
				plugin = ", plugin " + xlaPlugin
			}
			fmt.Fprintf(Messages(), "vaekit: backend %s%s (%s)\n", BackendName(backendShared), plugin, BuildFlags())
		}
	})
	return backendShared, backendErr
}

// Messages is where vaekit's notes and progress lines go: stderr, so that a
// command's standard output carries only its results (JSON with --json), or
// stdout in a notebook, where stderr is drawn as an error.
func Messages() io.Writer {
	if notebooks.IsNotebook() {
		return os.Stdout
	}
	return os.Stderr
}

// MustBackend is Backend for notebooks and examples: it panics on error.
func MustBackend() compute.Backend {
	b, err := Backend()
	if err != nil {
		panic(err)
	}
	return b
}

// BackendConfig returns the configuration Backend would use ("go",
// "xla:cpu", ...) and why.
func BackendConfig() (config, reason string) {
	// GoMLX would download a plugin as soon as plugins are listed: only when asked.
	xla.EnableAutoInstall(os.Getenv(XLAInstallEnv) == "1")
	if cfg, ok := os.LookupEnv(compute.ConfigEnvVar); ok && cfg != "" {
		if cfg == "go" {
			return goConfig, "from $" + compute.ConfigEnvVar + " (with vaekit's worker setting)"
		}
		return cfg, "from $" + compute.ConfigEnvVar
	}
	plugins := xla.GetAvailablePlugins()
	for _, want := range []string{"cuda", "cpu"} {
		if slices.Contains(plugins, want) {
			return "xla:" + want, "PJRT plugin " + want + " is installed"
		}
	}
	return goConfig, "no PJRT plugin installed (set $" + compute.ConfigEnvVar + " to choose)"
}

// goConfig is the Go backend with an unbounded worker pool: with GoMLX's
// default bounded pool (compute v0.1.6) a GAN training step can deadlock,
// every worker running an op that waits for a free worker to fan out; the
// unbounded pool runs as fast (measured on the four benchmark models).
const goConfig = "go:parallelism=-1"

func newBackend() (b compute.Backend, err error) {
	config, reason := BackendConfig()
	// compute.NewWithConfig panics on an unknown backend name.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("vaekit: backend %q (%s): %v", config, reason, r)
		}
	}()
	devices, err := Devices()
	if err != nil {
		return nil, err
	}
	cpu := strings.HasPrefix(config, "xla:cpu")
	if cpu {
		setPluginFlags()
	}
	if cpu && devices > 1 {
		b, err = newXLACPU(config, devices)
	} else {
		quietly(func() { b, err = compute.NewWithConfig(config) })
	}
	if err != nil {
		return nil, fmt.Errorf("vaekit: backend %q (%s) failed: %w; set $%s=go for the pure Go backend, "+
			"or $%s=1 to let GoMLX download the XLA plugin", config, reason, err, compute.ConfigEnvVar, XLAInstallEnv)
	}
	return b, nil
}

// BackendName is a short name for a backend, as written in figures' JSON
// and benchmark lines: "go", "xla:cpu", "xla:cuda".
func BackendName(b compute.Backend) string {
	name := b.Name()
	if strings.HasPrefix(strings.ToLower(name), "go") {
		return "go"
	}
	if name == xla.BackendName {
		// The XLA backend describes itself as "xla:<plugin> - ...".
		if plugin, _, ok := strings.Cut(b.Description(), " - "); ok {
			return plugin
		}
	}
	return name
}

// BuildFlags describes how this binary was built, as benchmarks and figures
// record it: the Go version, GOEXPERIMENT (simd matters a lot for the Go
// backend's matrix products), and the machine.
func BuildFlags() string {
	exp := "none"
	if simdBuild {
		exp = "simd"
	}
	return fmt.Sprintf("%s GOEXPERIMENT=%s %s/%s", runtime.Version(), exp, runtime.GOOS, runtime.GOARCH)
}

// quietly runs fn with stdout discarded: GoMLX's Go backend prints its
// worker setting, which would land in every notebook cell.
func quietly(fn func()) {
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		fn()
		return
	}
	defer devNull.Close()
	stdout := os.Stdout
	os.Stdout = devNull
	defer func() { os.Stdout = stdout }()
	fn()
}

// firstInSession reports whether this is the first program of a notebook
// session to make the backend: GoNB runs each cell as a new program of the
// same kernel process, and the backend line is said once per session. Outside
// a notebook, always.
func firstInSession() bool {
	if !notebooks.IsNotebook() {
		return true
	}
	marker := filepath.Join(os.TempDir(), fmt.Sprintf("vaekit-session-%d-backend", os.Getppid()))
	f, err := os.OpenFile(marker, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return !errors.Is(err, os.ErrExist)
	}
	f.Close()
	return true
}
