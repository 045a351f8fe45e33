package reaper

import (
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestKillsOrphans starts a process that starts a grandchild in a session of
// its own (as a Jupyter server starts a kernel) and exits: the grandchild,
// orphaned, must still be found below this process, and Kill must end it.
func TestKillsOrphans(t *testing.T) {
	if err := Become(); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("sh", "-c", "setsid sleep 600 >/dev/null 2>&1 & echo $!").Output()
	if err != nil {
		t.Fatal(err)
	}
	orphan, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("the grandchild's PID: %q: %v", out, err)
	}
	has := func(ps []Proc) bool { return slices.ContainsFunc(ps, func(p Proc) bool { return p.PID == orphan }) }
	found := Descendants()
	if !has(found) {
		t.Fatalf("the orphaned grandchild %d is not among this process's descendants %v", orphan, found)
	}
	killed := Kill(5 * time.Second)
	if !has(killed) {
		t.Errorf("Kill did not name the grandchild %d: %v", orphan, killed)
	}
	if left := Descendants(); len(left) > 0 {
		t.Errorf("still running after Kill: %v", left)
	}
}
