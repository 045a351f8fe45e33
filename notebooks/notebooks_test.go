// Package notebooks holds vaekit's GoNB notebooks, one per article, and the
// test that runs them all headless with Jupyter (jupyter nbconvert
// --execute) in quick mode, failing on any error output.
package notebooks

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

type notebook struct {
	Cells []struct {
		CellType       string `json:"cell_type"`
		Source         []string
		ExecutionCount *int `json:"execution_count"`
		Outputs        []struct {
			OutputType string         `json:"output_type"`
			Name       string         `json:"name"`
			Text       []string       `json:"text"`
			Data       map[string]any `json:"data"`
			EName      string         `json:"ename"`
			EValue     string         `json:"evalue"`
		} `json:"outputs"`
	} `json:"cells"`
}

// TestNotebooks executes every notebook with the GoNB kernel installed by
// scripts/setup, but those TestBrowser ran in this process (see
// browserPassedFile). VAEKIT_QUICK=1 unless set: the quick settings, same code.
func TestNotebooks(t *testing.T) {
	requireKernel(t)
	paths, err := filepath.Glob("*.ipynb")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no notebooks found: %v", err)
	}
	quickEnv(t)
	outDir := t.TempDir()
	for _, path := range paths {
		t.Run(strings.TrimSuffix(path, ".ipynb"), func(t *testing.T) {
			if _, ok := ranInBrowser.Load(strings.TrimSuffix(path, ".ipynb")); ok {
				t.Skip("ran in JupyterLab above (TestBrowser), with the same checks of its outputs")
			}
			endLeftovers(t) // nbconvert shuts its kernel down, also on a cell's error.
			cmd := exec.Command(jupyter(t), "nbconvert", "--to", "notebook", "--execute",
				"--ExecutePreprocessor.timeout=1800", "--output-dir", outDir, path)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("executing %s: %v\n%s", path, err, out)
			}
			codeCells, images := checkNotebook(t, filepath.Join(outDir, path))
			t.Logf("%s: %d code cells ran, %d figures shown", path, codeCells, images)
		})
	}
}

// requireKernel fails the test unless Jupyter and the GoNB kernel are installed.
func requireKernel(t *testing.T) {
	t.Helper()
	if out, err := exec.Command(jupyter(t), "kernelspec", "list").CombinedOutput(); err != nil || !strings.Contains(string(out), "gonb") {
		t.Fatalf("the GoNB kernel is not installed: run scripts/setup first (%s)", out)
	}
}

// jupyter returns the jupyter command of vaekit's virtual environment
// (.venv, made by scripts/setup), else the one on the PATH.
func jupyter(t *testing.T) string {
	t.Helper()
	if venv, err := filepath.Abs(filepath.Join("..", ".venv", "bin", "jupyter")); err == nil {
		if _, err := os.Stat(venv); err == nil {
			return venv
		}
	}
	path, err := exec.LookPath("jupyter")
	if err != nil {
		t.Fatalf("jupyter is not installed: run scripts/setup first (%v)", err)
	}
	return path
}

// quickEnv sets what the notebook tests run with: the quick settings
// (VAEKIT_QUICK=1) unless set, and the offline data beside the checkout
// unless VAEKIT_DATA is set.
func quickEnv(t *testing.T) {
	if os.Getenv("VAEKIT_QUICK") == "" {
		t.Setenv("VAEKIT_QUICK", "1")
	}
	if os.Getenv("VAEKIT_DATA") == "" {
		if abs, err := filepath.Abs(filepath.Join("..", "..", "shared", "datasets")); err == nil {
			t.Setenv("VAEKIT_DATA", abs)
		}
	}
}

// checkNotebook reads an executed notebook and reports, as test errors, any
// error output, a code cell that did not run, a notebook without a figure,
// internal noise (the Go backend's worker line), or the backend line said
// more than once, or a training without its live view.
func checkNotebook(t *testing.T, path string) (codeCells, images int) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var nb notebook
	if err := json.Unmarshal(raw, &nb); err != nil {
		t.Fatalf("executed %s is not a notebook: %v", path, err)
	}
	backendLines, trained, live := 0, false, false
	for i, cell := range nb.Cells {
		if cell.CellType != "code" {
			continue
		}
		codeCells++
		if cell.ExecutionCount == nil {
			t.Errorf("%s: cell %d did not run", path, i)
		}
		for _, o := range cell.Outputs {
			text := strings.Join(o.Text, "")
			switch {
			case o.OutputType == "error":
				t.Errorf("%s: cell %d: error %s: %s", path, i, o.EName, o.EValue)
			case o.Name == "stderr" && (strings.Contains(text, "panic") || strings.Contains(text, "rror")):
				t.Errorf("%s: cell %d wrote an error: %s", path, i, text)
			case o.Data["text/html"] != nil && strings.Contains(withoutScripts(anyString(o.Data["text/html"])), "error"):
				t.Errorf("%s: cell %d shows an error: %.500s", path, i, withoutScripts(anyString(o.Data["text/html"])))
			}
			if o.Data["image/png"] != nil || o.Data["image/svg+xml"] != nil {
				images++
			}
			backendLines += strings.Count(text, "vaekit: backend ")
			trained = trained || strings.Contains(text, "[step=")
			html := anyString(o.Data["text/html"])
			live = live || (strings.Contains(html, `class="vaekit-live"`) && strings.Contains(html, "data:image/png;base64,"))
			if strings.Contains(text, "parallelism set to") {
				t.Errorf("%s: cell %d shows the Go backend's internal noise: %q", path, i, text)
			}
		}
	}
	if images == 0 {
		t.Errorf("%s showed no figure", path)
	}
	if trained && !live {
		t.Errorf("%s trained a model, but its live view (curves and samples, kept when training ends) is not in the notebook", path)
	}
	if backendLines > 1 {
		t.Errorf("%s: the backend line was said %d times, want once a session", path, backendLines)
	}
	return codeCells, images
}

func anyString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		var b strings.Builder
		for _, s := range v {
			b.WriteString(anyString(s))
		}
		return b.String()
	}
	return ""
}

// withoutScripts drops <script> elements (GoNB's widget code mentions
// console.error) from HTML, leaving what a reader sees.
func withoutScripts(html string) string {
	for {
		start := strings.Index(html, "<script")
		if start < 0 {
			return html
		}
		end := strings.Index(html[start:], "</script>")
		if end < 0 {
			return html[:start]
		}
		html = html[:start] + html[start+end+len("</script>"):]
	}
}

// TestRenderedNotebooks checks the rendered copies in rendered/ (made by
// scripts/render-notebooks for reading on a code host): each has exactly its
// source notebook's cells, code and text, was executed in full (every code
// cell, no error) at the articles' settings, and shows figures.
func TestRenderedNotebooks(t *testing.T) {
	sources, err := filepath.Glob("*.ipynb")
	if err != nil || len(sources) == 0 {
		t.Fatalf("no notebooks found: %v", err)
	}
	for _, src := range sources {
		name := strings.TrimSuffix(src, ".ipynb")
		rendered := filepath.Join("rendered", src)
		if _, err := os.Stat(rendered); os.IsNotExist(err) {
			t.Logf("%s: not rendered yet (scripts/render-notebooks %s)", name, name)
			continue
		}
		t.Run(name, func(t *testing.T) { checkRendered(t, src, rendered) })
	}
	renders, _ := filepath.Glob(filepath.Join("rendered", "*.ipynb"))
	for _, r := range renders {
		if _, err := os.Stat(filepath.Base(r)); err != nil {
			t.Errorf("%s has no source notebook %s: delete it, or render it again from its source", r, filepath.Base(r))
		}
	}
}

func checkRendered(t *testing.T, src, rendered string) {
	name := strings.TrimSuffix(src, ".ipynb")
	read := func(path string) (nb renderedNotebook) {
		raw, err := os.ReadFile(path)
		if err == nil {
			err = json.Unmarshal(raw, &nb)
		}
		if err != nil {
			t.Fatalf("reading %s: %v", path, err)
		}
		return nb
	}
	want, nb := read(src), read(rendered)
	if len(nb.Cells) != len(want.Cells) {
		t.Fatalf("%s has %d cells, its source %s has %d: run scripts/render-notebooks %s", rendered, len(nb.Cells), src, len(want.Cells), name)
	}
	for i, w := range want.Cells {
		got, source := strings.Join(nb.Cells[i].Source, ""), strings.Join(w.Source, "")
		switch {
		case nb.Cells[i].CellType != w.CellType:
			t.Errorf("%s: cell %d is %s, in %s %s: run scripts/render-notebooks %s", rendered, i, nb.Cells[i].CellType, src, w.CellType, name)
		case got != source && w.CellType == "code":
			t.Errorf("%s: code cell %d differs from %s's (run scripts/render-notebooks %s):\nrendered:\n%s\nsource:\n%s",
				rendered, i, src, name, got, source)
		case got != source:
			t.Errorf("%s: text cell %d differs from %s's (run scripts/render-notebooks --text %s)", rendered, i, src, name)
		}
	}
	if s := nb.Metadata.Vaekit.Settings; s != "full" {
		t.Errorf("%s was made with settings %q, want \"full\" (scripts/render-notebooks renders at the articles' settings)", rendered, s)
	}
	checkNotebook(t, rendered)
	raw, _ := os.ReadFile(rendered)
	if strings.Contains(string(raw), "vaekit: quick mode") {
		t.Errorf("%s says it ran in quick mode", rendered)
	}
}

// renderedNotebook is what TestRenderedNotebooks reads of a notebook.
type renderedNotebook struct {
	Cells []struct {
		CellType string `json:"cell_type"`
		Source   []string
	} `json:"cells"`
	Metadata struct {
		Vaekit struct{ Settings string }
	}
}
