package notebooks

import (
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vaekit/vaekit/internal/reaper"
)

// TestLabCtrlC starts scripts/lab as a user does, starts a GoNB kernel in it,
// and presses Ctrl-C (SIGINT to the lab's process group, as a terminal sends
// it): the lab must exit and leave no kernel, nor anything else, running.
func TestLabCtrlC(t *testing.T) {
	endLeftovers(t)
	requireKernel(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	token := fmt.Sprintf("vaekit-test-%d", time.Now().UnixNano())
	lab := exec.Command("../scripts/lab", "--no-browser", "--ip=127.0.0.1", fmt.Sprintf("--port=%d", port),
		"--ServerApp.token="+token, "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate")
	lab.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a group of its own, as a shell's foreground job.
	var log strings.Builder
	lab.Stdout, lab.Stderr = &log, &log
	if err := lab.Start(); err != nil {
		t.Fatalf("scripts/lab: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- lab.Wait() }()
	base := fmt.Sprintf("http://127.0.0.1:%d/", port)
	request := func(method, path string) (int, error) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(`{"name": "gonb"}`))
		req.Header.Set("Authorization", "token "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	waitUntil := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(2 * time.Minute); !ok(); time.Sleep(200 * time.Millisecond) { // polling the server.
			select {
			case err := <-exited:
				t.Fatalf("scripts/lab exited (%v) before %s:\n%s", err, what, log.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %s within 2 minutes:\n%s", what, log.String())
			}
		}
	}
	waitUntil("answer from JupyterLab", func() bool { code, _ := request("GET", "api/status"); return code == http.StatusOK })
	if code, err := request("POST", "api/kernels"); code != http.StatusCreated {
		t.Fatalf("starting a GoNB kernel: status %d, %v\n%s", code, err, log.String())
	}
	kernel := func() bool {
		for _, p := range reaper.Descendants() {
			if strings.Contains(p.Command, "gonb") && strings.Contains(p.Command, "--kernel") {
				return true
			}
		}
		return false
	}
	waitUntil("GoNB kernel process", kernel)

	if err := syscall.Kill(-lab.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(time.Minute):
		t.Fatalf("scripts/lab still running a minute after Ctrl-C:\n%s", log.String())
	}
	if left := reaper.Descendants(); len(left) > 0 {
		t.Errorf("after Ctrl-C, scripts/lab exited leaving %v running\n%s", left, log.String())
	}
}
