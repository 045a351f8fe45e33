package notebooks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/launcher"
	"github.com/go-rod/rod/lib/proto"
)

// TestBrowser runs notebooks the way a reader does: JupyterLab in headless
// Chromium, "Run All Cells", touching nothing, then saves the notebook from
// the page. It fails unless every code cell ran by itself (an explorer gives
// the kernel back when left alone), on any error cell, and unless every
// figure is rendered in the page (a loaded image, not a broken one); it
// saves screenshots to $VAEKIT_SCREENSHOTS (default notebooks/screenshots-out):
// NAME-running.png during training, NAME-figure-N.png for each figure cell.
// Then, as a separate step, a reader plays with each explorer
// (readerMovesSlider), and in 01-vae changes the latent size and the encoder
// and sees the VAE retrained (readerChangesLatentSize, readerEditsEncoder).
//
// $VAEKIT_BROWSER_NOTEBOOKS lists the notebooks (comma-separated names, or
// "all"); by default, 01-vae and the notebooks changed since they last passed
// (browserNotebooks), the others being run headless by TestNotebooks. Models are kept in $VAEKIT_MODELS
// (scripts/test shares one fresh directory with the headless test), else in a
// fresh directory.
// Chromium is found as $VAEKIT_CHROME, chromium, chromium-browser or
// google-chrome (scripts/setup --tests installs Debian's chromium).
func TestBrowser(t *testing.T) {
	endLeftovers(t)
	requireKernel(t)
	quickEnv(t)
	chrome := findChrome(t)
	names, why := browserNotebooks(t)
	t.Logf("in the browser: %s (%s)", strings.Join(names, ", "), why)
	shots := os.Getenv("VAEKIT_SCREENSHOTS")
	if shots == "" {
		shots = "screenshots-out"
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Getenv("VAEKIT_MODELS") == "" {
		t.Setenv("VAEKIT_MODELS", t.TempDir())
	}

	// The notebooks run in a copy: the page saves them, and they write figures-out/ beside themselves.
	dir := t.TempDir()
	for _, name := range names {
		raw, err := os.ReadFile(name + ".ipynb")
		if err != nil {
			t.Fatalf("notebook %q (from VAEKIT_BROWSER_NOTEBOOKS): %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".ipynb"), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	lab := startJupyterLab(t, dir)

	l := launcher.New().Bin(chrome).Headless(true).Leakless(false).
		NoSandbox(os.Geteuid() == 0). // Chromium refuses to run as root with its sandbox.
		Set("disable-gpu").Set("window-size", "1280,1000")
	controlURL, err := l.Launch()
	if err != nil {
		t.Fatalf("starting %s: %v", chrome, err)
	}
	t.Cleanup(l.Kill)
	browser := rod.New().ControlURL(controlURL)
	if err := browser.Connect(); err != nil {
		t.Fatalf("connecting to %s: %v", chrome, err)
	}
	t.Cleanup(func() { _ = browser.Close() })

	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			runInBrowser(t, browser, lab, dir, name, shots)
			if !t.Failed() {
				ranInBrowser.Store(name, true)
				keepBrowserPass(t, name)
			}
		})
	}
}

// runInBrowser opens one notebook in JupyterLab, runs all its cells, saves it,
// and checks the page and the saved file.
func runInBrowser(t *testing.T, browser *rod.Browser, lab jupyterLab, dir, name, shots string) {
	// A workspace of its own, reset: JupyterLab restores a workspace's open tabs, and with the last
	// notebook's tab in front the new notebook's kernel never started (its status stayed "unknown").
	page, err := browser.Page(proto.TargetCreateTarget{URL: lab.url("lab/workspaces/"+name+"/tree/"+name+".ipynb") + "&reset"})
	if err != nil {
		t.Fatalf("opening %s: %v", name, err)
	}
	defer page.Close()
	if err := page.SetViewport(&proto.EmulationSetDeviceMetricsOverride{Width: 1280, Height: 1000, DeviceScaleFactor: 1}); err != nil {
		t.Fatal(err)
	}

	// Wait for the notebook's kernel, then clear and run everything, as the Run menu does.
	waitFor(t, page, 5*time.Minute, "the GoNB kernel to start", `() => {
		const app = globalThis.jupyterapp, w = app && app.shell && app.shell.currentWidget;
		const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
		return !!k && k.connectionStatus === "connected" && w.content.widgets.length > 0 &&
			w.context.path === `+fmt.Sprintf("%q", name+".ipynb")+`;
	}`)
	runAll(t, page, name, filepath.Join(shots, name+"-running.png"))

	// Every figure must be in the page as a loaded image.
	var imgs []struct{ OK bool }
	if err := eval(t, page, `() => [...document.querySelectorAll(".jp-RenderedImage img")].map(
		i => ({ok: i.complete && i.naturalWidth > 100 && i.naturalHeight > 50}))`)(&imgs); err != nil {
		t.Fatal(err)
	}
	for i := range imgs {
		figureShot(t, page, i, filepath.Join(shots, fmt.Sprintf("%s-figure-%d.png", name, i+1)))
	}
	broken := 0
	for _, img := range imgs {
		if !img.OK {
			broken++
		}
	}
	if broken > 0 || len(imgs) == 0 {
		t.Errorf("%s: %d figures in the page, %d of them not rendered", name, len(imgs), broken)
	}

	// Save from the page, as a reader would, and check what was saved.
	eval(t, page, `async () => { await globalThis.jupyterapp.commands.execute("docmanager:save"); }`)
	codeCells, images := checkNotebook(t, filepath.Join(dir, name+".ipynb"))
	if images != len(imgs) {
		t.Errorf("%s: the saved notebook has %d figures, the page showed %d", name, images, len(imgs))
	}
	t.Logf("%s: saved with %d code cells run and %d figures, all rendered in the page; screenshots in %s", name, codeCells, images, shots)

	// The live view of training and the explorers, as they stay in the page.
	for _, view := range []struct{ selector, shot string }{{".vaekit-live img", "live"}, {".vaekit-explorer img", "explorer"}} {
		var n int
		eval(t, page, fmt.Sprintf(`() => document.querySelectorAll(%q).length`, view.selector))(&n)
		for i := range n {
			eval(t, page, fmt.Sprintf(`() => document.querySelectorAll(%q)[%d].scrollIntoView({block: "center"})`, view.selector, i))
			screenshot(t, page, filepath.Join(shots, fmt.Sprintf("%s-%s-%d.png", name, view.shot, i+1)))
		}
		t.Logf("%s: %d %s view(s) in the page", name, n, view.shot)
	}
	if name == "01-vae" {
		readerChangesLatentSize(t, page, dir, shots)
		readerEditsEncoder(t, page, dir, shots)
		liveShot(t, page, ".vaekit-live img", filepath.Join(shots, "01-vae-live-training.png"))
	}
	readerMovesSlider(t, page, name, shots)
}

// readerChangesLatentSize does what the README promises a reader: change
// the latent size in 01-vae's hyperparameter cell, run everything again, and
// get a retrained VAE (its progress line seen again) and new figures exported.
func readerChangesLatentSize(t *testing.T, page *rod.Page, dir, shots string) {
	editCell(t, page, "exp.Latent = 2 ", "exp.Latent = 3 ")
	if !runAll(t, page, "01-vae", filepath.Join(shots, "01-vae-latent3-running.png")) {
		t.Errorf("01-vae with Latent = 3: no training progress seen, so the VAE was not retrained")
	}
	var rec struct {
		Hyperparameters struct{ Latent int }
		Metrics         map[string]any
	}
	raw, err := os.ReadFile(filepath.Join(dir, "figures-out", "vae-manifold.json"))
	if err == nil {
		err = json.Unmarshal(raw, &rec)
	}
	if err != nil || rec.Hyperparameters.Latent != 3 {
		t.Errorf("01-vae with Latent = 3: the exported vae-manifold.json has latent %d (%v)", rec.Hyperparameters.Latent, err)
	}
	figureShot(t, page, 1, filepath.Join(shots, "01-vae-latent3-figure.png")) // the latent scatter
	t.Logf("01-vae: latent size changed to 3 in the page, retrained, figures exported with latent %d", rec.Hyperparameters.Latent)
}

// runAll clears the outputs and runs every cell, as the Run menu does, and
// waits until the kernel is idle with nothing queued; every code cell must
// have run. It reports whether a
// progress line with the loss was seen while a cell ran, and saves the page
// at that moment to runningShot.
func runAll(t *testing.T, page *rod.Page, name, runningShot string) (sawProgress bool) {
	t.Helper()
	// Not awaited: the promise of run-all-cells settles only when the last cell has run.
	eval(t, page, `async () => {
		await globalThis.jupyterapp.commands.execute("notebook:clear-all-cell-outputs");
		globalThis.jupyterapp.commands.execute("notebook:run-all-cells");
	}`)

	const state = `() => {
		const w = globalThis.jupyterapp.shell.currentWidget;
		const cells = w.content.widgets.filter(c => c.model.type === "code");
		const running = cells.filter(c => c.promptNode && c.promptNode.textContent.includes("*"));
		const text = w.content.node.innerText;
		const progress = /steps\/s/.test(text) && /\[step=\d+\]/.test(text) && /loss=/i.test(text);
		if (running.length > 0 && progress) running[0].node.scrollIntoView({block: "end"});
		const k = w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
		return {status: k ? k.status : "no kernel", running: running.length,
			done: cells.filter(c => c.model.executionCount > 0).length, total: cells.length, progress};
	}`
	type cellState struct {
		Status   string
		Running  int
		Done     int
		Total    int
		Progress bool
	}
	var s cellState
	idle := 0
	deadline := time.Now().Add(30 * time.Minute)
	for idle < 3 { // idle, with nothing queued, three polls running: the run is over.
		if time.Now().After(deadline) {
			t.Fatalf("%s: still running after 30 minutes (%+v)", name, s)
		}
		time.Sleep(time.Second) // polling the page, not waiting for a result
		if err := eval(t, page, state)(&s); err != nil {
			t.Fatal(err)
		}
		if s.Progress && s.Running > 0 && !sawProgress {
			sawProgress = true
			screenshot(t, page, runningShot)
		}
		if s.Status == "idle" && s.Running == 0 {
			idle++
		} else {
			idle = 0
		}
	}
	t.Logf("%s: %d of %d code cells ran; progress line with the loss seen while training: %v", name, s.Done, s.Total, sawProgress)
	if s.Done != s.Total {
		t.Errorf("%s: Run All, untouched, ran %d of %d code cells (a cell waiting for a person holds every cell after it)",
			name, s.Done, s.Total)
	}
	return sawProgress

}

// jupyterLab is a running JupyterLab server.
type jupyterLab struct{ base, token string }

func (j jupyterLab) url(path string) string { return j.base + path + "?token=" + j.token }

// startJupyterLab starts JupyterLab on dir with a settings directory of its
// own: the app object exposed to the page, every cell rendered (no windowing,
// so that all figures are in the page), no news pop-up.
func startJupyterLab(t *testing.T, dir string) jupyterLab {
	settings := t.TempDir()
	for file, content := range map[string]string{
		"@jupyterlab/notebook-extension/tracker.jupyterlab-settings":      `{"windowingMode": "none"}`,
		"@jupyterlab/apputils-extension/notification.jupyterlab-settings": `{"fetchNews": "false", "checkForUpdates": false}`,
		"@jupyterlab/apputils-extension/themes.jupyterlab-settings":       `{"theme": "JupyterLab Light"}`,
	} {
		path := filepath.Join(settings, file)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	j := jupyterLab{base: fmt.Sprintf("http://127.0.0.1:%d/", port), token: fmt.Sprintf("vaekit-test-%d", time.Now().UnixNano())}
	args := []string{"lab", "--no-browser", "--ip=127.0.0.1", fmt.Sprintf("--port=%d", port),
		"--ServerApp.token=" + j.token, "--ServerApp.root_dir=" + dir, "--LabApp.expose_app_in_browser=True"}
	if os.Geteuid() == 0 {
		args = append(args, "--allow-root")
	}
	cmd := exec.Command(jupyter(t), args...)
	cmd.Env = append(os.Environ(), "JUPYTERLAB_SETTINGS_DIR="+settings, "JUPYTERLAB_WORKSPACES_DIR="+t.TempDir())
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting JupyterLab: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		// SIGTERM: the server shuts its kernels down, then exits. (SIGINT, without a terminal, stops it at
		// once with its kernels left running.)
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(time.Minute):
			t.Errorf("JupyterLab did not exit within a minute of SIGTERM; killed")
			_ = cmd.Process.Kill()
		}
	})
	deadline := time.Now().Add(2 * time.Minute)
	for {
		select {
		case err := <-exited:
			t.Fatalf("JupyterLab exited (%v):\n%s", err, log.String())
		default:
		}
		if resp, err := http.Get(j.url("api/status")); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return j
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("JupyterLab did not answer on %s within 2 minutes:\n%s", j.base, log.String())
		}
		time.Sleep(200 * time.Millisecond) // polling the server until it is up
	}
}

// findChrome returns the Chromium to drive, or fails saying how to get one.
func findChrome(t *testing.T) string {
	if path := os.Getenv("VAEKIT_CHROME"); path != "" {
		return path
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	t.Fatal("no Chromium found (chromium, chromium-browser or google-chrome on the PATH, or VAEKIT_CHROME): " +
		"run scripts/setup --tests, which installs Debian's chromium, or install one")
	return ""
}

// eval runs JavaScript in the page (awaiting a promise) and fails the test on an exception.
func eval(t *testing.T, page *rod.Page, js string) (unmarshal func(any) error) {
	t.Helper()
	res, err := page.Timeout(2 * time.Minute).Eval(js)
	if err != nil {
		t.Fatalf("in the page: %v", err)
	}
	return res.Value.Unmarshal
}

// waitFor polls a JavaScript predicate until it is true.
func waitFor(t *testing.T, page *rod.Page, limit time.Duration, what, js string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		res, err := page.Timeout(30 * time.Second).Eval(js) // a page too busy to answer is polled again.
		if err == nil && res.Value.Bool() {
			return
		}
		if time.Now().After(deadline) {
			shot, _ := page.Screenshot(false, nil)
			path := filepath.Join(os.TempDir(), "vaekit-browser-timeout.png")
			_ = os.WriteFile(path, shot, 0o644)
			if err == nil {
				err = fmt.Errorf("still %s", res.Value.JSON("", ""))
			}
			t.Fatalf("waited %v for %s (%v); the page is in %s", limit, what, err, path)
		}
		time.Sleep(500 * time.Millisecond) // polling the page
	}
}

// figureShot scrolls the i-th figure of the page to the top of the view and
// saves the view. (Not rod's element screenshots: their scrolling waits for
// animation frames, which a loaded headless Chromium can withhold for good.)
func figureShot(t *testing.T, page *rod.Page, i int, path string) {
	t.Helper()
	eval(t, page, fmt.Sprintf(`() => {
		const img = document.querySelectorAll(".jp-RenderedImage img")[%d];
		img.closest(".jp-CodeCell").scrollIntoView({block: "start"});
	}`, i))
	screenshot(t, page, path)
}

// screenshot saves the page's viewport.
func screenshot(t *testing.T, page *rod.Page, path string) {
	t.Helper()
	shot, err := page.Timeout(2*time.Minute).Screenshot(false, &proto.PageCaptureScreenshot{Format: proto.PageCaptureScreenshotFormatPng})
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	checkScreenshot(t, shot, path)
}

// checkScreenshot saves a PNG screenshot and fails if it is blank: a page or
// figure that rendered has many distinct grey levels.
func checkScreenshot(t *testing.T, shot []byte, path string) {
	t.Helper()
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	levels := map[uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, _ := img.At(x, y).RGBA()
			levels[(r+g+bl)/3>>8] = true
		}
	}
	if len(levels) < 16 || b.Dx() < 200 || b.Dy() < 100 {
		t.Errorf("%s looks blank: %v, %d grey levels", path, b.Size(), len(levels))
	}
}

// readerEditsEncoder does what notebook 01 invites: edit the encoder in its
// cell (tanh, 128 units), run everything again, and get a VAE trained anew
// (progress seen again) whose exported figures carry the new network.
func readerEditsEncoder(t *testing.T, page *rod.Page, dir, shots string) {
	const from = `h := activation.Relu(layers.Dense(scope.In("hidden_0"), x, true, 256))`
	const to = `h := graph.Tanh(layers.Dense(scope.In("hidden_0"), x, true, 128))`
	network := func() string {
		var rec struct{ Network string }
		raw, err := os.ReadFile(filepath.Join(dir, "figures-out", "vae-manifold.json"))
		if err == nil {
			err = json.Unmarshal(raw, &rec)
		}
		if err != nil {
			t.Fatalf("01-vae: reading the exported vae-manifold.json: %v", err)
		}
		return rec.Network
	}
	before := network()
	editCell(t, page, from, to)
	if !runAll(t, page, "01-vae", filepath.Join(shots, "01-vae-tanh-encoder-running.png")) {
		t.Errorf("01-vae with a tanh encoder: no training progress seen, so the VAE was not retrained")
	}
	after := network()
	if after == "" || after == before {
		t.Errorf("01-vae with a tanh encoder: the exported vae-manifold.json has network %q, before the edit %q", after, before)
	}
	figureShot(t, page, 1, filepath.Join(shots, "01-vae-tanh-encoder-figure.png"))
	t.Logf("01-vae: encoder edited in the page (tanh, 128 units), retrained, figures exported with network %s (was %s)", after, before)
}

// explorers names, for each notebook, the call of the explorer that
// readerMovesSlider plays with, and how many sliders it has.
var explorers = map[string]struct {
	call    string
	sliders int
}{
	"01-vae":            {"ExploreVAE(", 2},
	"02-autoencoders":   {"ExploreAE(", 2},
	"03-compression":    {"ExploreCompression(", 2},
	"04-vae-and-gan":    {"ExploreGAN(", 1},
	"05-your-own-model": {"notebook.Explore(", 2},
}

// readerMovesSlider runs a notebook's (first) explorer cell again, moves its
// first slider and waits for the image to change, then stops the explorer
// with its button.
func readerMovesSlider(t *testing.T, page *rod.Page, name, shots string) {
	e, ok := explorers[name]
	if !ok {
		return
	}
	var started bool
	if err := eval(t, page, fmt.Sprintf(`async () => {
		const w = globalThis.jupyterapp.shell.currentWidget;
		const i = w.content.widgets.findIndex(c => c.model.sharedModel.getSource().includes(%q));
		if (i < 0) return false;
		w.content.activeCellIndex = i;
		globalThis.jupyterapp.commands.execute("notebook:run-cell");
		return true;
	}`, e.call))(&started); err != nil || !started {
		t.Fatalf("%s: no cell calls %s (%v)", name, e.call, err)
	}
	explorer := fmt.Sprintf(`globalThis.jupyterapp.shell.currentWidget.content.widgets.find(
		c => c.model.sharedModel.getSource().includes(%q)).node`, e.call)
	waitFor(t, page, 5*time.Minute, "the explorer's sliders", fmt.Sprintf(`() => {
		const cell = `+explorer+`;
		return cell.querySelectorAll("input[type=range]").length === %d && !!cell.querySelector(".vaekit-explorer img");
	}`, e.sliders))
	var before string
	eval(t, page, `() => (`+explorer+`).querySelector(".vaekit-explorer img").src`)(&before)
	// The slider is moved again every 3 s, to 90 and 10 in turn, until the image changes: the
	// slider shows before its program listens (gonbui's Done returns once the front end answered,
	// Listen comes after), so a move made in that moment is lost, as a person's quick first move
	// would be; the reader's next move is seen.
	eval(t, page, `() => { globalThis.vaekitMoved = 0; }`)
	waitFor(t, page, 2*time.Minute, "the image to follow the slider", fmt.Sprintf(`() => {
		const cell = `+explorer+`;
		const img = cell.querySelector(".vaekit-explorer img");
		if (!!img && img.src !== %q) return true;
		const s = cell.querySelector("input[type=range]");
		if (s && Date.now() - globalThis.vaekitMoved > 3000) {
			globalThis.vaekitMoved = Date.now();
			s.value = s.value === "90" ? 10 : 90;
			s.dispatchEvent(new Event("input"));
			s.dispatchEvent(new Event("change"));
		}
		return false;
	}`, before))
	liveShot(t, page, ".vaekit-explorer img", filepath.Join(shots, name+"-explorer-moved.png"))
	eval(t, page, `() => (`+explorer+`).querySelector("button").click()`)
	waitFor(t, page, 2*time.Minute, "the explorer to stop", `() => (`+explorer+`).innerText.includes("stopped at")`)
	t.Logf("%s: the first slider moved, the image changed, Stop ended the explorer", name)
}

func liveShot(t *testing.T, page *rod.Page, selector, path string) {
	t.Helper()
	var found bool
	eval(t, page, fmt.Sprintf(`() => {
		const img = document.querySelector(%q);
		if (!img) return false;
		img.closest(".jp-CodeCell").scrollIntoView({block: "end"});
		return true;
	}`, selector))(&found)
	if !found {
		t.Errorf("nothing in the page matches %s", selector)
		return
	}
	screenshot(t, page, path)
}

// editCell replaces from by to in the page's cell that holds from, as a
// reader typing in it would.
func editCell(t *testing.T, page *rod.Page, from, to string) {
	t.Helper()
	var edited bool
	if err := eval(t, page, fmt.Sprintf(`() => {
		const w = globalThis.jupyterapp.shell.currentWidget;
		const cell = w.content.widgets.find(c => c.model.sharedModel.getSource().includes(%q));
		if (!cell) return false;
		cell.model.sharedModel.setSource(cell.model.sharedModel.getSource().replace(%q, %q));
		return true;
	}`, from, from, to))(&edited); err != nil || !edited {
		t.Fatalf("no cell with %q to edit (%v)", from, err)
	}
}
