package faults

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver, to check the store from outside
)

// buildBulwark builds cmd/bulwark into a temporary directory, with the race
// detector when the tests have it, so the build reuses what `go test`
// compiled and the binary's own races fail its run.
func buildBulwark(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH; it is needed to build bulwark")
	}
	out := filepath.Join(t.TempDir(), "bulwark")
	args := []string{"build", "-o", out}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "github.com/bulwark-ftp/bulwark/cmd/bulwark")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, args...)
	cmd.Dir = filepath.Join("..", "..")
	start := time.Now()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	t.Logf("built bulwark in %v", time.Since(start).Round(time.Millisecond))
	return out
}

// installation is a data directory and configuration file for the bulwark
// binary, as an administrator would set one up.
type installation struct {
	bin     string
	config  string
	dataDir string
}

// newInstallation writes a configuration that listens on 127.0.0.1 only,
// with a free range of passive ports and cheap password hashing.
func newInstallation(t *testing.T, bin string) *installation {
	t.Helper()
	dir := t.TempDir()
	in := &installation{bin: bin, config: filepath.Join(dir, "bulwark.toml"), dataDir: filepath.Join(dir, "data")}
	low, high := freePortRange(t, 32)
	conf := fmt.Sprintf(`data_dir = %q

[server]
listen = "127.0.0.1:0"
implicit_listen = ""
shutdown_timeout = "2s"

[passive]
ports = "%d-%d"

[admin]
listen = "127.0.0.1:0"

[auth]
failure_delay = "0s"

[password_hash]
memory_kib = 1024
iterations = 1

[users]
create_first_user = false
`, in.dataDir, low, high)
	if err := os.WriteFile(in.config, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return in
}

// freePortRange finds n consecutive ports free on 127.0.0.1 for passive
// data connections, below Linux's default range of ephemeral ports so that
// outgoing connections seldom take one. Another process may still take one
// before the server does; the server then tries the others.
func freePortRange(t *testing.T, n int) (low, high int) {
	t.Helper()
	for range 50 {
		var b [2]byte
		rand.Read(b[:])
		base := 20000 + (int(b[0])<<8|int(b[1]))%(32000-20000-n)
		var ls []net.Listener
		for p := base; p < base+n; p++ {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
			if err != nil {
				break
			}
			ls = append(ls, l)
		}
		for _, l := range ls {
			l.Close()
		}
		if len(ls) == n {
			return base, base + n - 1
		}
	}
	t.Fatal("no free range of passive ports on 127.0.0.1")
	return 0, 0
}

// command prepares a run of the binary with this installation's
// configuration. A race-enabled binary must not linger a second at exit.
func (in *installation) command(ctx context.Context, stdin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, in.bin, append([]string{"--config", in.config}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0 halt_on_error=1")
	return cmd
}

// cli runs one administration command to its end and returns its output.
func (in *installation) cli(t testing.TB, stdin string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	b, err := in.command(ctx, stdin, args...).CombinedOutput()
	return string(b), err
}

// mustCLI is cli for a command that must succeed.
func (in *installation) mustCLI(t testing.TB, stdin string, args ...string) string {
	t.Helper()
	out, err := in.cli(t, stdin, args...)
	if err != nil {
		t.Fatalf("bulwark %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// newPassword returns a password the default policy accepts.
func newPassword() string { return "Aa1-" + rand.Text() }

// serveProcess is a running `bulwark serve`.
type serveProcess struct {
	cmd  *exec.Cmd
	log  *lockedBuffer
	addr string
	done chan struct{} // closed once the process has exited
}

var listeningLine = regexp.MustCompile(`msg=listening addr=(\S+)`)

// serve starts the server and waits until it listens. It is killed when the
// test ends, if still running.
func (in *installation) serve(t *testing.T) *serveProcess {
	t.Helper()
	s := &serveProcess{log: &lockedBuffer{}, done: make(chan struct{})}
	s.cmd = in.command(context.Background(), "", "serve")
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		<-s.done
		if t.Failed() {
			t.Logf("bulwark serve log:\n%s", s.log.String())
		}
	})
	waitFor(t, "bulwark serve to listen", func() bool {
		select {
		case <-s.done:
			t.Fatalf("bulwark serve exited: %v\n%s", s.cmd.ProcessState, s.log.String())
		default:
		}
		m := listeningLine.FindStringSubmatch(s.log.String())
		if m == nil {
			return false
		}
		s.addr = m[1]
		return true
	})
	return s
}

// kill sends SIGKILL and waits for the process to die of it.
func (s *serveProcess) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL: %v", err)
	}
	<-s.done
	if ws, ok := s.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("bulwark serve ended with %v, not by SIGKILL\n%s", s.cmd.ProcessState, s.log.String())
	}
}

// stop asks the server to shut down (SIGTERM) and checks that it exits
// cleanly: a race-enabled server that saw a data race exits non-zero.
func (s *serveProcess) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-s.done:
	case <-time.After(waitLimit):
		t.Fatalf("bulwark serve did not stop within %v", waitLimit)
	}
	if !s.cmd.ProcessState.Success() {
		t.Fatalf("bulwark serve ended with %v\n%s", s.cmd.ProcessState, s.log.String())
	}
}

// checkStore opens the account database the way any SQLite tool would and
// checks its structure and its foreign keys.
func checkStore(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("PRAGMA busy_timeout = 5000"); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query("PRAGMA integrity_check")
	if err != nil {
		t.Fatalf("integrity_check: %v", err)
	}
	var report []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		report = append(report, line)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		t.Fatalf("integrity_check: %v", err)
	}
	if len(report) != 1 || report[0] != "ok" {
		t.Fatalf("integrity_check of %s:\n%s", path, strings.Join(report, "\n"))
	}
	fk, err := db.Query("PRAGMA foreign_key_check")
	if err != nil {
		t.Fatalf("foreign_key_check: %v", err)
	}
	defer fk.Close()
	if fk.Next() {
		t.Fatalf("foreign_key_check of %s found rows that point nowhere", path)
	}
}

// listedUsers returns the names `bulwark user list` shows.
func (in *installation) listedUsers(t *testing.T) map[string]bool {
	t.Helper()
	out := in.mustCLI(t, "", "user", "list")
	names := map[string]bool{}
	for i, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Fields(line); i > 0 && len(f) > 0 {
			names[f[0]] = true
		}
	}
	if !strings.HasPrefix(out, "NAME") {
		t.Fatalf("user list printed no table:\n%s", out)
	}
	return names
}
