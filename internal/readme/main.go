// Command readme writes the README's results from the full runs' numbers:
// each block
//
//	<!-- results NAME: TEMPLATE -->
//	…
//	<!-- /results -->
//
// gets TEMPLATE (Go's text/template) executed on docs/tour/NAME.json, the
// JSON a full render exported beside the figure's picture, so that no number
// in the README is typed by hand. The prose stays in the template, editable;
// the numbers come from the run. The test in this package fails when the
// README differs from what this command writes.
//
//	go run ./internal/readme          rewrite README.md in place
//	go run ./internal/readme --check  say which blocks differ, exit 1 if any
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"

	"github.com/vaekit/vaekit/internal/atomicfile"
	"github.com/vaekit/vaekit/vaekit/verdict"
)

func main() {
	check := flag.Bool("check", false, "only say which blocks differ from what the runs' JSON gives (exit 1 if any)")
	flag.Parse()
	root, err := repoRoot()
	if err == nil {
		err = run(root, *check)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "readme: %v\n", err)
		os.Exit(1)
	}
}

func run(root string, check bool) error {
	path := filepath.Join(root, "README.md")
	old, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	updated, err := Generate(old, filepath.Join(root, "docs", "tour"))
	if err != nil {
		return err
	}
	if bytes.Equal(old, updated) {
		return nil
	}
	if check {
		return fmt.Errorf("README.md's results differ from docs/tour's JSON: run go run ./internal/readme")
	}
	return atomicfile.WriteFile(path, updated)
}

// repoRoot is the checkout holding this command: where go.mod is, upwards.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	for err == nil {
		if _, e := os.Stat(filepath.Join(dir, "go.mod")); e == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
	return "", err
}

// block is one results block: its opening comment (name and template), its
// generated text, its closing comment.
var block = regexp.MustCompile(`(?s)(<!-- results ([a-z0-9-]+): (.*?) -->\n)(.*?)(<!-- /results -->)`)

// Generate returns readme with every results block's text made anew from
// tour/NAME.json.
func Generate(readme []byte, tour string) ([]byte, error) {
	var errs []string
	out := block.ReplaceAllFunc(readme, func(m []byte) []byte {
		g := block.FindSubmatch(m)
		name, tmpl := string(g[2]), string(g[3])
		text, err := render(name, tmpl, tour)
		if err != nil {
			errs = append(errs, fmt.Sprintf("results block %s: %v", name, err))
			return m
		}
		return slicesConcat(g[1], []byte(text+"\n"), g[5])
	})
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return out, nil
}

func slicesConcat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// render executes tmpl on tour/NAME.json, or where the tour has none, on
// NAME.json beside the tour (docs/: a benchmark run's, scripts/bench-vs-torch
// --json); the template's tour function reads another figure's JSON (a
// comparison across figures).
func render(name, tmpl, tour string) (string, error) {
	load := func(name string) (map[string]any, error) {
		raw, err := os.ReadFile(filepath.Join(tour, name+".json"))
		if errors.Is(err, fs.ErrNotExist) {
			raw, err = os.ReadFile(filepath.Join(filepath.Dir(tour), name+".json"))
		}
		if err != nil {
			return nil, fmt.Errorf("%w (a full render writes the tour's: scripts/render-notebooks; "+
				"scripts/bench-vs-torch --json a benchmark's)", err)
		}
		var data map[string]any
		if err := json.Unmarshal(raw, &data); err != nil {
			return nil, fmt.Errorf("%s.json: %v", name, err)
		}
		return data, nil
	}
	data, err := load(name)
	if err != nil {
		return "", err
	}
	t, err := template.New(name).Option("missingkey=error").Funcs(funcs).Funcs(template.FuncMap{"tour": load}).Parse(tmpl)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", err
	}
	return strings.TrimSpace(b.String()), nil
}

// funcs format numbers as the README writes them.
var funcs = template.FuncMap{
	// f formats x with d decimals ("−" for a minus sign, as the README writes it).
	"f": func(d int, x any) (string, error) {
		v, ok := number(x)
		if !ok || math.IsNaN(v) {
			return "", fmt.Errorf("f: %v is not a number", x)
		}
		return strings.Replace(fmt.Sprintf("%.*f", d, v), "-", "−", 1), nil
	},
	// pct formats a share in [0, 1] as a percentage with d decimals.
	"pct": func(d int, x any) (string, error) {
		v, ok := number(x)
		if !ok {
			return "", fmt.Errorf("pct: %v is not a number", x)
		}
		return fmt.Sprintf("%.*f %%", d, 100*v), nil
	},
	// n formats a whole number with thousands separators: 5000 → "5,000".
	"n": func(x any) (string, error) {
		v, ok := number(x)
		if !ok || v != math.Trunc(v) {
			return "", fmt.Errorf("n: %v is not a whole number", x)
		}
		s := fmt.Sprintf("%d", int64(math.Abs(v)))
		for i := len(s) - 3; i > 0; i -= 3 {
			s = s[:i] + "," + s[i:]
		}
		if v < 0 {
			s = "−" + s
		}
		return s, nil
	},
	"neg": func(x any) (float64, error) {
		v, ok := number(x)
		if !ok {
			return 0, fmt.Errorf("neg: %v is not a number", x)
		}
		return -v, nil
	},
	// table writes a tab-separated table (a sweep's "table") as a Markdown table.
	"table": func(x any) (string, error) {
		tsv, ok := x.(string)
		if !ok {
			return "", fmt.Errorf("table: %v is not text", x)
		}
		var b strings.Builder
		for i, line := range strings.Split(strings.TrimSpace(tsv), "\n") {
			cells := strings.Split(line, "\t")
			b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
			if i == 0 {
				b.WriteString(strings.Repeat("|---", len(cells)) + "|\n")
			}
		}
		return strings.TrimSuffix(b.String(), "\n"), nil
	},
	// verdict applies docs/verdicts.md's rule to two arms' per-seed values
	// (larger: whether a larger value is better), as the figures do.
	"verdict": func(metric, nameA string, a any, nameB string, b any, larger bool) (string, error) {
		va, ok1 := numbers(a)
		vb, ok2 := numbers(b)
		if !ok1 || !ok2 {
			return "", fmt.Errorf("verdict %s: %v and %v: not lists of numbers", metric, a, b)
		}
		return verdict.Compare(metric, nameA, va, nameB, vb, larger).Text, nil
	},
	"sub": func(a, b any) (float64, error) {
		x, ok1 := number(a)
		y, ok2 := number(b)
		if !ok1 || !ok2 {
			return 0, fmt.Errorf("sub: %v − %v: not numbers", a, b)
		}
		return x - y, nil
	},
}

// numbers is a JSON list of numbers as float64s.
func numbers(x any) ([]float64, bool) {
	list, ok := x.([]any)
	if !ok {
		return nil, false
	}
	out := make([]float64, len(list))
	for i, e := range list {
		if out[i], ok = number(e); !ok {
			return nil, false
		}
	}
	return out, true
}

// number is x as a float64: JSON's numbers, or a template's literal ints.
func number(x any) (float64, bool) {
	switch v := x.(type) {
	case float64:
		return v, true
	case int:
		return float64(v), true
	}
	return 0, false
}
