package vaekit

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gomlx/go-xla/pjrt"
)

func TestPluginFlags(t *testing.T) {
	dir := t.TempDir()
	plugin := filepath.Join(dir, "pjrt_c_api_cpu_plugin.so")
	if err := os.WriteFile(plugin, make([]byte, 100), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, note string
		want       string // the flags, "" for none
		wantErr    bool
	}{
		{"no note", "", "", false},
		{"the plugin it describes", `{"package": "p", "version": "1", "plugin_bytes": 100, "xla_flags": "--a=1"}`, "--a=1", false},
		{"another plugin (size)", `{"package": "p", "version": "1", "plugin_bytes": 99, "xla_flags": "--a=1"}`, "", false},
		{"not JSON", `{"package": `, "", true},
		{"no package", `{"plugin_bytes": 100}`, "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			os.Remove(plugin + ".vaekit.json")
			if c.note != "" {
				if err := os.WriteFile(plugin+".vaekit.json", []byte(c.note), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			note, err := pluginFlags(plugin)
			if (err != nil) != c.wantErr {
				t.Fatalf("error %v, want one: %v", err, c.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), plugin+".vaekit.json") {
				t.Errorf("the error does not name the note: %v", err)
			}
			got := ""
			if note != nil {
				got = note.XLAFlags
			}
			if got != c.want {
				t.Errorf("flags %q, want %q", got, c.want)
			}
		})
	}
}

// TestPluginNoteSetsXLAFlags runs a program on the installed CPU plugin
// through a directory whose note asks XLA to dump what it compiles: the
// dump appears unless the user set XLA_FLAGS (here to "").
func TestPluginNoteSetsXLAFlags(t *testing.T) {
	if os.Getenv("VAEKIT_PLUGIN_CHILD") == "1" {
		if _, err := BenchMatMul(8, time.Duration(0)); err != nil {
			t.Fatal(err)
		}
		return
	}
	real, found := pjrt.AvailablePlugins()["cpu"]
	if !found {
		t.Skip("no XLA CPU plugin installed (scripts/install-xla-cpu)")
	}
	info, err := os.Stat(real)
	if err != nil {
		t.Fatal(err)
	}
	for _, userFlags := range []bool{false, true} {
		dir := t.TempDir()
		if err := os.Symlink(real, filepath.Join(dir, "pjrt_c_api_cpu_plugin.so")); err != nil {
			t.Fatal(err)
		}
		dump := filepath.Join(dir, "dump")
		note := `{"package": "test-plugin", "version": "1", "plugin_bytes": ` + strconv.FormatInt(info.Size(), 10) +
			`, "xla_flags": "--xla_dump_to=` + dump + `"}`
		if err := os.WriteFile(filepath.Join(dir, "pjrt_c_api_cpu_plugin.so.vaekit.json"), []byte(note), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestPluginNoteSetsXLAFlags$", "-test.count=1")
		env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "XLA_FLAGS=") })
		cmd.Env = append(env, "VAEKIT_PLUGIN_CHILD=1", "GOMLX_BACKEND=xla:cpu", "PJRT_PLUGIN_LIBRARY_PATH="+dir)
		if userFlags {
			cmd.Env = append(cmd.Env, "XLA_FLAGS=")
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("user XLA_FLAGS %v: %v\n%s", userFlags, err, out)
		}
		if !strings.Contains(string(out), "plugin test-plugin 1") {
			t.Errorf("user XLA_FLAGS %v: the backend line does not name the plugin:\n%s", userFlags, out)
		}
		dumped, _ := os.ReadDir(dump)
		if userFlags != (len(dumped) == 0) {
			t.Errorf("user XLA_FLAGS %v: XLA dumped %d files (the note's flags were applied: %v)", userFlags, len(dumped), len(dumped) > 0)
		}
	}
}

// fakeWheel is a well-formed wheel of name (dashes as on PyPI) and version
// holding one file, so that pip downloads it, but not the file PyPI serves.
func fakeWheel(t *testing.T, name, version string) (file string, data []byte) {
	t.Helper()
	dist := strings.ReplaceAll(name, "-", "_") + "-" + version
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for path, text := range map[string]string{
		dist + ".dist-info/METADATA": "Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\n",
		dist + ".dist-info/WHEEL":    "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
		dist + ".dist-info/RECORD":   "",
		"not_a_plugin.so":            "not XLA",
	} {
		w, err := z.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, text)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return dist + "-py3-none-any.whl", buf.Bytes()
}

// TestInstallXLACPURefusesAnotherWheel runs scripts/install-xla-cpu against
// a local package index serving wheels of the right names and versions but
// other contents: the script must refuse them (exit 1, the digests named)
// and install nothing; when the index lacks the default plugin, it says so
// and tries the fallback, which is refused alike.
func TestInstallXLACPURefusesAnotherWheel(t *testing.T) {
	python := filepath.Join("..", ".venv", "bin", "python")
	if _, err := os.Stat(python); err != nil {
		t.Skip("no .venv (scripts/setup makes it): the script's pip")
	}
	for _, c := range []struct {
		name   string
		served []string // packages the index has
		want   []string // in the script's output
	}{
		{"the default plugin", []string{"lammps-jax-pjrt-cpu", "xla-cpu-pjrt"},
			[]string{"lammps_jax_pjrt_cpu-0.11.2-py3-none-any.whl from PyPI has SHA-256", "want 1319390d", "not installed"}},
		{"the fallback", []string{"xla-cpu-pjrt"},
			[]string{"lammps-jax-pjrt-cpu 0.11.2 could not be downloaded from PyPI; installing xla-cpu-pjrt 0.0.1 instead",
				"xla_cpu_pjrt-0.0.1-py3-none-any.whl from PyPI has SHA-256", "want 55837b6b", "not installed"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			files := map[string][]byte{}
			mux := http.NewServeMux()
			for _, pkg := range c.served {
				version := map[string]string{"lammps-jax-pjrt-cpu": "0.11.2", "xla-cpu-pjrt": "0.0.1"}[pkg]
				file, data := fakeWheel(t, pkg, version)
				files[file] = data
				mux.HandleFunc("/simple/"+pkg+"/", func(w http.ResponseWriter, r *http.Request) {
					fmt.Fprintf(w, `<html><body><a href="/files/%s">%s</a></body></html>`, file, file)
				})
			}
			mux.HandleFunc("/files/", func(w http.ResponseWriter, r *http.Request) {
				data, ok := files[strings.TrimPrefix(r.URL.Path, "/files/")]
				if !ok {
					http.NotFound(w, r)
					return
				}
				w.Write(data)
			})
			index := httptest.NewServer(mux)
			defer index.Close()
			dest := t.TempDir()
			cmd := exec.Command(filepath.Join("..", "scripts", "install-xla-cpu"))
			cmd.Env = append(os.Environ(), "PIP_INDEX_URL="+index.URL+"/simple", "PIP_NO_CACHE_DIR=1",
				"PJRT_PLUGIN_LIBRARY_PATH="+dest)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("exit: %v, want status 1\n%s", err, out)
			}
			for _, w := range c.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if left, _ := os.ReadDir(dest); len(left) > 0 {
				t.Errorf("the script left %d files in %s after refusing the wheel", len(left), dest)
			}
		})
	}
}
