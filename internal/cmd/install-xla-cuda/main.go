// Command install-xla-cuda installs XLA's CUDA PJRT plugin and the NVIDIA
// libraries it needs from PyPI (jax-cuda13-pjrt, and the nvidia-* wheels that
// jax-cuda13-plugin depends on), with go-xla's own installer, where GoMLX
// looks for them (~/.local/lib/go-xla). vaekit.Backend then prefers CUDA.
// With --check it only asks PyPI for the version and lists the NVIDIA
// packages, downloading nothing.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/go-xla/installer"
)

func main() {
	plugin := flag.String("plugin", "cuda13", "cuda13 (jax-cuda13-pjrt) or cuda12")
	version := flag.String("version", "0.12.0.1", "version of the jax-"+"cudaNN-pjrt wheel")
	check := flag.Bool("check", false, "only check the version on PyPI and list the NVIDIA packages")
	flag.Parse()
	if err := run(*plugin, *version, *check); err != nil {
		fmt.Fprintf(os.Stderr, "install-xla-cuda: %v\n", err)
		os.Exit(1)
	}
}

func run(plugin, version string, check bool) error {
	if err := installer.CudaValidateVersion(plugin, version); err != nil {
		return err
	}
	if check {
		info, err := installer.GetPipInfo("jax-" + plugin + "-plugin")
		if err != nil {
			return err
		}
		deps, err := info.ParseDependencies()
		if err != nil {
			return err
		}
		var nvidia []string
		for _, d := range deps {
			if strings.HasPrefix(d.Package, "nvidia") {
				nvidia = append(nvidia, d.Package)
			}
		}
		fmt.Printf("jax-%s-pjrt %s is on PyPI; with it go the NVIDIA wheels %s\n", plugin, version, strings.Join(nvidia, ", "))
		return nil
	}
	lib, err := installer.DefaultHomeLibPath()
	if err != nil {
		return err
	}
	return installer.CudaInstall(plugin, version, filepath.Join(lib, "go-xla"), true, installer.Normal)
}
