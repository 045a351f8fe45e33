package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// commandArgsEnv carries the arguments of a test that runs the command as
// its own process (the test binary itself, through TestMain): its real
// standard output and error, as a user's shell sees them.
const commandArgsEnv = "VAEKIT_TEST_COMMAND_ARGS"

func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv(commandArgsEnv); ok {
		os.Exit(run(strings.Split(args, "\x1f"), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// command runs vaekit with args as a process of its own, and returns what it
// wrote to standard output and standard error, and its exit status.
func command(t *testing.T, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), commandArgsEnv+"="+strings.Join(args, "\x1f"))
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		status = exit.ExitCode()
	case err != nil:
		t.Fatalf("vaekit %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errOut.String(), status
}

// jsonLines parses a command's standard output as JSON values, one a line,
// failing the test on anything else (a progress line, a note).
func jsonLines(t *testing.T, what, stdout string) []json.RawMessage {
	t.Helper()
	var values []json.RawMessage
	for _, line := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		var v json.RawMessage
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("%s: standard output is not JSON alone: the line %q: %v", what, line, err)
		}
		values = append(values, v)
	}
	return values
}

// TestJSONOutput pipes the standard output of each command that writes JSON
// (score --json, runs --json, bench) into a parser. score trains the mnist_fid
// classifier first where the models directory ($VAEKIT_MODELS, shared by the
// tests) has none, its progress line on stderr, else says on stderr that it
// reuses it.
func TestJSONOutput(t *testing.T) {
	data := scoreData(t)
	models := os.Getenv("VAEKIT_MODELS")
	if models == "" {
		models = t.TempDir()
	}
	idx := data + "/mnist/t10k-images-idx3-ubyte.gz"
	for _, args := range [][]string{
		{"score", "--json", "--models", models, idx},
		{"runs", "--json", "--models", models},
		{"bench", "--steps", "2", "overhead"},
	} {
		what := "vaekit " + strings.Join(args, " ")
		stdout, stderr, status := command(t, args...)
		if status != 0 {
			t.Fatalf("%s: status %d\n%s", what, status, stderr)
		}
		values := jsonLines(t, what, stdout)
		t.Logf("%s: %d JSON line(s) on stdout, %d bytes on stderr", what, len(values), len(stderr))
		if args[0] == "score" && !strings.Contains(stderr, "[step=3000] of 3000") && !strings.Contains(stderr, "reusing") {
			t.Errorf("%s: stderr says neither the classifier's training (its progress line) nor its reuse: %q", what, stderr)
		}
	}
}
