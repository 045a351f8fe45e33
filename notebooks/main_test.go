package notebooks

import (
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/vaekit/vaekit/internal/reaper"
)

// TestMain makes the test process the subreaper of everything its tests
// start (a Jupyter server's kernels run in sessions of their own, and outlive
// a server that dies before shutting them down), and ends whatever is left:
// after the tests, and a minute before go test's -timeout would kill the
// test process without running any cleanup.
func TestMain(m *testing.M) {
	flag.Parse()
	if err := reaper.Become(); err != nil {
		fmt.Fprintf(os.Stderr, "notebooks tests: %v; a failed test may leave its kernels running\n", err)
	}
	if f := flag.Lookup("test.timeout"); f != nil {
		if timeout, ok := f.Value.(flag.Getter).Get().(time.Duration); ok && timeout > 2*time.Minute {
			time.AfterFunc(timeout-time.Minute, func() {
				fmt.Fprintf(os.Stderr, "notebooks tests: a minute before the %s timeout: ending every process the tests started\n", timeout)
				for _, p := range reaper.Kill(10 * time.Second) {
					fmt.Fprintf(os.Stderr, "  ended %s\n", p)
				}
			})
		}
	}
	code := m.Run()
	if left := reaper.Kill(10 * time.Second); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "notebooks tests: %d process(es) the tests started were still running at the end, ended now:\n", len(left))
		for _, p := range left {
			fmt.Fprintf(os.Stderr, "  %s\n", p)
		}
	}
	os.Exit(code)
}

// endLeftovers, as a test's cleanup, ends the processes the test left
// running, failing it: each test shuts down what it starts.
func endLeftovers(t *testing.T) {
	t.Cleanup(func() {
		for _, p := range reaper.Kill(10 * time.Second) {
			t.Errorf("left running by the test, ended now: %s", p)
		}
	})
}
