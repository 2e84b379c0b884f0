package ftp_test

import (
	"bytes"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	jftp "github.com/jlaffaye/ftp"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
	"github.com/bulwark-ftp/bulwark/internal/ftp/ftptest"
)

// env is one test server with its directory, certificate and logs.
type env struct {
	srv  *ftp.Server
	addr string
	dir  string
	cert *ftptest.Cert
	logs *logBuffer
	fs   ftp.FileSystem
}

const (
	testUser = "alice"
	testPass = "secret"
)

// newEnv starts a TLS-required server on 127.0.0.1:0 serving a temporary
// directory to alice. mods adjust the server before it starts.
func newEnv(t testing.TB, mods ...func(*ftp.Server, *env)) *env {
	t.Helper()
	e := &env{dir: t.TempDir(), cert: ftptest.NewCert(t), logs: &logBuffer{}}
	dir := ftptest.DirFS(e.dir)
	t.Cleanup(func() { dir.Close() })
	e.fs = dir
	e.srv = &ftp.Server{
		TLSConfig:   e.cert.ServerConfig(),
		DataTimeout: 10 * time.Second,
		Logger:      slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, m := range mods {
		m(e.srv, e)
	}
	if e.srv.Auth == nil {
		e.srv.Auth = &ftptest.Auth{Users: ftptest.Users{testUser: testPass}, FS: e.fs}
	}
	e.addr = ftptest.NewServer(t, e.srv)
	return e
}

// writeFile puts a file in the served directory.
func (e *env) writeFile(t testing.TB, name string, data []byte) {
	t.Helper()
	p := filepath.Join(e.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// readFile reads a file of the served directory.
func (e *env) readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(e.dir, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// dirNames lists the served directory's top level.
func (e *env) dirNames(t testing.TB) []string {
	t.Helper()
	entries, err := os.ReadDir(e.dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, en := range entries {
		names = append(names, en.Name())
	}
	return names
}

// secureClient dials, upgrades to TLS, logs in and turns on PROT P.
func (e *env) secureClient(t testing.TB) *ftptest.Client {
	t.Helper()
	return e.secureClientWith(t, e.cert.ClientConfig())
}

func (e *env) secureClientWith(t testing.TB, cfg *tls.Config) *ftptest.Client {
	t.Helper()
	c := ftptest.Dial(t, e.addr)
	c.UpgradeTLS(cfg)
	c.Login(testUser, testPass)
	c.Expect("PBSZ 0", 200)
	c.Expect("PROT P", 200)
	return c
}

// dialJ connects jlaffaye/ftp with explicit TLS and logs in.
func (e *env) dialJ(t testing.TB, opts ...jftp.DialOption) *jftp.ServerConn {
	t.Helper()
	opts = append([]jftp.DialOption{
		jftp.DialWithExplicitTLS(e.cert.ClientConfig()),
		jftp.DialWithTimeout(10 * time.Second),
	}, opts...)
	c, err := jftp.Dial(e.addr, opts...)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	if err := c.Login(testUser, testPass); err != nil {
		t.Fatalf("login: %v", err)
	}
	t.Cleanup(func() { c.Quit() })
	return c
}

// logBuffer collects log output for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// waitFor polls until the log contains s.
func (l *logBuffer) waitFor(t testing.TB, s string) {
	t.Helper()
	waitUntil(t, "log line "+s, func() bool { return strings.Contains(l.String(), s) })
}

// waitUntil polls cond until it holds, failing the test after 10 seconds.
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// readAll reads a data connection to its end with a deadline.
func readAll(t testing.TB, c net.Conn) []byte {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read data: %v", err)
	}
	return b
}
