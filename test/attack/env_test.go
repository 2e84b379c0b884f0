package attack

import (
	"bytes"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/server/servertest"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// The one account most scenarios log in with.
const (
	alice     = "alice"
	alicePass = "Alice-Pass-42x"
)

// env is one running server with its store, built as `bulwark serve`
// builds it. Every host path it uses lies below base.
type env struct {
	*servertest.Env
	t    *testing.T
	base string
	// logs receives the server's log, in place of Env.Logs (which stays
	// empty): it is bounded, and only its end is shown on failure.
	logs  *logBuffer
	level slog.Level
}

// newEnv prepares a server whose data directory is below a fresh
// temporary directory. edit adjusts the configuration before it is
// validated.
func newEnv(t *testing.T, edit ...func(*config.Config)) *env {
	t.Helper()
	base := t.TempDir()
	inBase := func(c *config.Config) { c.DataDir = filepath.Join(base, "data") }
	e := &env{Env: servertest.New(t, append([]func(*config.Config){inBase}, edit...)...),
		t: t, base: base, level: slog.LevelDebug, logs: newLogBuffer(8 << 20)}
	t.Cleanup(func() {
		// ATTACK_LOG=file keeps the whole log of the last test, for study.
		if f := os.Getenv("ATTACK_LOG"); f != "" {
			os.WriteFile(f, []byte(e.logs.String()), 0o600)
		}
		if t.Failed() {
			t.Logf("server log (last part):\n%s", e.logs.tail(16<<10))
		}
	})
	return e
}

// start builds and starts the server, logging at e.level; it is shut
// down when the test ends.
func (e *env) start() {
	e.t.Helper()
	e.Logger = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: e.level}))
	e.Start(e.t)
}

// addUser creates an account with full rights in its home, creates the
// home, and returns the home's host path.
func (e *env) addUser(name, pass string, edit ...func(*user.User)) string {
	e.t.Helper()
	u := e.AddUser(e.t, name, pass, edit...)
	if err := os.MkdirAll(u.Home, 0o750); err != nil {
		e.t.Fatal(err)
	}
	return u.Home
}

// hostRoot is the directory below which every host path of the test lies:
// no reply may contain it.
func (e *env) hostRoot() string { return filepath.Dir(e.base) }

// noHostPath fails the test when text reveals a host path.
func (e *env) noHostPath(what, text string) {
	e.t.Helper()
	if strings.Contains(text, e.hostRoot()) {
		e.t.Errorf("%s: reply reveals a host path: %q", what, text)
	}
}

// dialFTP opens an explicit FTPS client whose control and data
// connections come from the loopback address from ("" lets the system
// choose). It is safe to call from any goroutine.
func dialFTP(addr, from string) (*ftp.ServerConn, error) {
	// DialWithDialer, not DialWithDialFunc: with a dial function the
	// client would open data connections without TLS.
	d := net.Dialer{Timeout: 20 * time.Second}
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	return ftp.Dial(addr, ftp.DialWithDialer(d), ftp.DialWithExplicitTLS(servertest.ClientTLS()))
}

// loginFTP dials and logs in, failing the test on error; test goroutine
// only.
func (e *env) loginFTP(name, pass string) *ftp.ServerConn {
	e.t.Helper()
	c, err := dialFTP(e.Explicit(), "")
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Quit() })
	if err := c.Login(name, pass); err != nil {
		e.t.Fatalf("login %s: %v", name, err)
	}
	return c
}

// waitUntil polls cond until it holds, failing the test after limit.
func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// openFDs counts the process's open file descriptors; -1 where /proc is
// not available.
func openFDs() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(entries)
}

// liveHeap returns the bytes of live heap objects after a full collection.
// Server and clients share the process, so this bounds what the server
// holds at the moment of the call.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// logBuffer keeps the server's log up to a size, so that a scenario of
// many thousands of commands cannot make the test itself grow without end.
type logBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	max     int
	dropped int
}

func newLogBuffer(max int) *logBuffer { return &logBuffer{max: max} }

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len()+len(p) > l.max {
		l.dropped += len(p)
		return len(p), nil
	}
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) tail(n int) string {
	s := l.String()
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return s
}

// noPanics fails the test when the server recovered a panic.
func (e *env) noPanics() {
	e.t.Helper()
	if strings.Contains(e.logs.String(), "panic recovered") {
		e.t.Error("the server recovered a panic; see the log")
	}
}
