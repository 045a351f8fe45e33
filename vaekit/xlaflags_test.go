package vaekit

import (
	"os"
	"os/exec"
	"path/filepath"
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
		cmd.Env = append(withoutEnv(os.Environ(), "XLA_FLAGS"), "VAEKIT_PLUGIN_CHILD=1", "GOMLX_BACKEND=xla:cpu",
			"PJRT_PLUGIN_LIBRARY_PATH="+dir)
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

func withoutEnv(env []string, name string) []string {
	var kept []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			kept = append(kept, kv)
		}
	}
	return kept
}
