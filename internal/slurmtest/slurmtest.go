// Package slurmtest brings up a one-node Slurm cluster for a test: munged,
// slurmctld and slurmd, their state, sockets and logs in one temporary
// directory, on free loopback ports, no systemd needed; every daemon is
// stopped by its PID when the test ends, passed or failed.
//
// Slurm's daemons come from Debian's slurm-wlm and munge packages
// (scripts/setup --tests installs them); without them, or without root
// (slurmd starts each task as its user), the test is skipped and says why.
package slurmtest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vaekit/vaekit/internal/reaper"
)

// Cluster is a running one-node cluster.
type Cluster struct {
	Dir  string // state, logs, the configuration.
	Conf string // slurm.conf, absolute.
}

// Env is what a command needs to reach the cluster: SLURM_CONF.
func (c *Cluster) Env() []string { return []string{"SLURM_CONF=" + c.Conf} }

var daemons = []string{"munged", "mungekey", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "sinfo"}

// Start brings a cluster up, or skips the test saying why it cannot. The
// test process becomes the subreaper of what it starts (the daemons detach
// themselves), so that what is left of them at the end can be ended too.
func Start(t *testing.T) *Cluster {
	t.Helper()
	for _, d := range daemons {
		if _, err := exec.LookPath(d); err != nil {
			t.Skipf("Slurm is not installed here (%s not found; scripts/setup --tests installs Debian's slurm-wlm and munge)", d)
		}
	}
	if os.Geteuid() != 0 {
		t.Skip("a one-node Slurm needs root here: slurmd starts each task as its user")
	}
	if err := reaper.Become(); err != nil {
		t.Fatalf("becoming the subreaper of the daemons: %v", err)
	}
	// munged's socket must be reachable by every user, and t.TempDir's parents are 0700.
	dir, err := os.MkdirTemp("", "vaekit-slurm-")
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	c := &Cluster{Dir: dir, Conf: filepath.Join(dir, "slurm.conf")}
	t.Cleanup(func() { c.stop(t) })

	run := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), c.Env()...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, c.logs())
		}
	}
	key := filepath.Join(dir, "munge.key")
	run("mungekey", "--create", "--keyfile="+key)
	run("munged", "--key-file="+key, "--socket="+c.path("munge.sock"), "--pid-file="+c.path("munged.pid"),
		"--log-file="+c.path("munged.log"), "--seed-file="+c.path("munged.seed"))
	node, err := exec.Command("slurmd", "-C").Output()
	if err != nil {
		t.Fatalf("slurmd -C: %v", err)
	}
	conf, err := c.config(string(node))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.Conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"state", "spool"} {
		if err := os.Mkdir(c.path(sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	run("slurmctld", "-f", c.Conf)
	run("slurmd", "-f", c.Conf, "-N", "localhost")
	// The node is up when sinfo says idle.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for {
		cmd := exec.CommandContext(ctx, "sinfo", "--noheader", "--format=%T")
		cmd.Env = append(os.Environ(), c.Env()...)
		out, _ := cmd.Output()
		if strings.TrimSpace(string(out)) == "idle" {
			return c
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the one-node cluster did not come up: sinfo says %q\n%s", out, c.logs())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (c *Cluster) path(name string) string { return filepath.Join(c.Dir, name) }

// config is slurm.conf for this machine, whose node line slurmd -C printed.
func (c *Cluster) config(slurmdC string) (string, error) {
	var node string
	sc := bufio.NewScanner(strings.NewReader(slurmdC))
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "NodeName=") {
			_, rest, _ := strings.Cut(line, " ")
			node = "NodeName=localhost NodeAddr=127.0.0.1 " + rest + " State=UNKNOWN"
		}
	}
	if node == "" {
		return "", fmt.Errorf("slurmd -C printed no NodeName line: %q", slurmdC)
	}
	ports, err := freePorts(2)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf(`ClusterName=vaekittest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=%d
SlurmdPort=%d
CommunicationParameters=NoInAddrAny,NoCtldInAddrAny
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=%[3]s/munge.sock
SlurmUser=root
SlurmdUser=root
StateSaveLocation=%[3]s/state
SlurmdSpoolDir=%[3]s/spool
SlurmctldPidFile=%[3]s/slurmctld.pid
SlurmdPidFile=%[3]s/slurmd.pid
SlurmctldLogFile=%[3]s/slurmctld.log
SlurmdLogFile=%[3]s/slurmd.log
TaskPlugin=task/affinity
ProctrackType=proctrack/linuxproc
JobCompType=jobcomp/filetxt
JobCompLoc=%[3]s/jobcomp.txt
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
KillWait=30
%[4]s
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
`, ports[0], ports[1], c.Dir, node), nil
}

// freePorts are n loopback ports free now.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// logs are the daemons' logs' last lines, for a failure's message.
func (c *Cluster) logs() string {
	var b bytes.Buffer
	for _, name := range []string{"munged.log", "slurmctld.log", "slurmd.log"} {
		raw, err := os.ReadFile(c.path(name))
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
		if len(lines) > 10 {
			lines = lines[len(lines)-10:]
		}
		fmt.Fprintf(&b, "--- %s\n%s\n", name, strings.Join(lines, "\n"))
	}
	return b.String()
}

// stop ends the daemons by the PIDs they wrote (SIGTERM, then SIGKILL: a
// slurmd that lost its controller was seen to ignore SIGTERM), then anything
// else still below the test (a task's slurmstepd), and removes the directory.
func (c *Cluster) stop(t *testing.T) {
	for _, name := range []string{"slurmd", "slurmctld", "munged"} {
		raw, err := os.ReadFile(c.path(name + ".pid"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
		if err != nil || pid <= 1 {
			continue
		}
		syscall.Kill(pid, syscall.SIGTERM)
		for i := 0; i < 50 && syscall.Kill(pid, 0) == nil && !zombie(pid); i++ {
			time.Sleep(100 * time.Millisecond)
		}
		if syscall.Kill(pid, 0) == nil && !zombie(pid) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	for _, p := range reaper.Kill(5 * time.Second) {
		t.Logf("ended after the cluster: %s", p)
	}
	if t.Failed() {
		t.Logf("the cluster's logs:\n%s", c.logs())
	}
	os.RemoveAll(c.Dir)
}

// zombie says whether pid has ended but not been waited for (an adopted
// daemon stays so until the test process exits).
func zombie(pid int) bool {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	rest := string(raw)
	if i := strings.LastIndexByte(rest, ')'); i >= 0 && i+2 < len(rest) {
		return rest[i+2] == 'Z'
	}
	return false
}
