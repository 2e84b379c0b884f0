package interop

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// commandTimeout bounds every client run. A 5 MiB transfer over loopback
// takes well under a second; the margin is for a loaded machine running the
// server under the race detector.
const commandTimeout = 2 * time.Minute

// needTool returns the path of a client binary. A missing client skips the
// test, except under CI, where scripts/test.sh installs the clients and a
// missing one is an error.
func needTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s not found on PATH (scripts/test.sh installs it): %v", name, err)
	}
	t.Skipf("%s not found on PATH; install it to run this test (scripts/test.sh does)", name)
	return ""
}

// runResult is what one client run produced.
type runResult struct {
	Stdout, Stderr string
	Err            error
}

// run executes a client with a deadline and extra environment variables.
// Its output goes to the test log if the test fails, whatever this run's
// own outcome, since a later failure is often explained by an earlier run.
func run(t *testing.T, env []string, name string, args ...string) runResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = nil
	// A client killed at the deadline may leave a child holding its pipes.
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr strings.Builder
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = errors.Join(err, errors.New("timed out after "+commandTimeout.String()))
	}
	res := runResult{Stdout: stdout.String(), Stderr: stderr.String(), Err: err}
	line := name + " " + strings.Join(args, " ")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("$ %s\nerr: %v\n--- stdout ---\n%s\n--- stderr ---\n%s", line, res.Err, res.Stdout, res.Stderr)
		}
	})
	return res
}

// mustRun is run that fails the test at once when the client fails.
func mustRun(t *testing.T, env []string, name string, args ...string) runResult {
	t.Helper()
	res := run(t, env, name, args...)
	if res.Err != nil {
		t.Fatalf("%s %s: %v\nstderr: %s", name, strings.Join(args, " "), res.Err, tail(res.Stderr, 4000))
	}
	return res
}

// tail keeps the end of a long output, where clients print their error.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
