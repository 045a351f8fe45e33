// Package reaper keeps the processes a test starts from outliving it.
//
// A Jupyter server starts each kernel in a session of its own, so killing the
// server's process group leaves its kernels running, and a server killed
// before it shut them down orphans them. A process that calls Become adopts
// such orphans of its descendants (Linux's child subreaper), so they stay
// below it where Descendants finds them and Kill ends them.
package reaper

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Become makes this process the subreaper of its descendants: an orphaned
// descendant is re-parented to it instead of to init.
func Become() error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("reaper: becoming the subreaper of this process's descendants: %w", err)
	}
	return nil
}

// Proc is a running process.
type Proc struct {
	PID, PPID int
	Command   string // its command line, arguments separated by spaces.
}

func (p Proc) String() string { return fmt.Sprintf("%d %s", p.PID, p.Command) }

// All lists the running processes (from /proc).
func All() ([]Proc, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var procs []Proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // ended meanwhile.
		}
		// "pid (comm) state ppid ...": comm may hold spaces and parentheses.
		i := strings.LastIndexByte(string(stat), ')')
		fields := strings.Fields(string(stat[i+1:]))
		if i < 0 || len(fields) < 2 || fields[0] == "Z" {
			continue // a zombie is dead already.
		}
		ppid, _ := strconv.Atoi(fields[1])
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		procs = append(procs, Proc{PID: pid, PPID: ppid, Command: strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " "))})
	}
	return procs, nil
}

// Descendants lists the living descendants of this process.
func Descendants() []Proc {
	procs, _ := All()
	below := map[int]bool{os.Getpid(): true}
	var found []Proc
	for grew := true; grew; { // children first seen after their parent's listing: loop until no more.
		grew = false
		for _, p := range procs {
			if below[p.PPID] && !below[p.PID] {
				below[p.PID], grew = true, true
				found = append(found, p)
			}
		}
	}
	return found
}

// Kill ends every descendant of this process: SIGTERM first, SIGKILL to any
// still alive after grace. It returns the processes it found. Adopted ones
// that end stay zombies (dead, holding only their PID) until this process
// exits: waiting for them here could take the exit status of a child that an
// exec.Cmd is about to wait for.
func Kill(grace time.Duration) []Proc {
	found := Descendants()
	for _, p := range found {
		_ = syscall.Kill(p.PID, syscall.SIGTERM)
	}
	deadline := time.Now().Add(grace)
	for len(alive(found)) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond) // polling the processes' exits.
	}
	for _, p := range alive(found) {
		_ = syscall.Kill(p.PID, syscall.SIGKILL)
	}
	return found
}

// alive is the processes of ps still running (not zombies).
func alive(ps []Proc) []Proc {
	procs, _ := All()
	return slices.DeleteFunc(slices.Clone(ps), func(p Proc) bool {
		return !slices.ContainsFunc(procs, func(q Proc) bool { return q.PID == p.PID })
	})
}
