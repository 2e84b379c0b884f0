package interop

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/server/servertest"
	"github.com/bulwark-ftp/bulwark/internal/store/sqlite"
	"github.com/bulwark-ftp/bulwark/internal/testutil"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// The transfers use a file a little over 5 MiB whose size is no multiple of
// any buffer size, so a lost or doubled last block shows in the checksum.
const (
	bigFileSize = 5<<20 + 12345
	// resumeCut is where an "interrupted" transfer stopped.
	resumeCut = 2<<20 + 777
)

// testUser is the account every test logs in with.
const testUser = "alice"

// fixture is one running server and the account to use on it.
type fixture struct {
	// Explicit is host:port of the explicit FTPS (AUTH TLS) listener.
	Explicit string
	// Implicit is host:port of the implicit FTPS listener.
	Implicit string
	User     string
	Password string
	// Home is the user's home directory on disk, to check uploads against.
	Home string
	// logs is the server's log, for checking why it refused something.
	logs *testutil.Buffer
	// store is the server's account store, for changing the user.
	store *sqlite.Store
}

// mode is one of the two ways to start TLS.
type mode struct {
	name     string
	implicit bool
}

// bothModes lists the modes every client is tested in.
func bothModes() []mode { return []mode{{"explicit", false}, {"implicit", true}} }

// addr returns the listener address for m.
func (f *fixture) addr(m mode) string {
	if m.implicit {
		return f.Implicit
	}
	return f.Explicit
}

// port returns the port number for m as text.
func (f *fixture) port(t *testing.T, m mode) string {
	t.Helper()
	_, port, err := net.SplitHostPort(f.addr(m))
	if err != nil {
		t.Fatalf("split %q: %v", f.addr(m), err)
	}
	return port
}

// startServer runs a Bulwark server with default settings (TLS required,
// data connections must resume the control connection's TLS session) and
// one user, and stops it when the test ends. edit may change the config.
func startServer(t *testing.T, edit ...func(*config.Config)) *fixture {
	t.Helper()
	home := filepath.Join(t.TempDir(), "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	wire := func(c *config.Config) {
		c.Auth.FailureDelay.Duration = 10 * time.Millisecond
		c.PasswordHash.Parallelism = 1
	}
	e := servertest.New(t, append([]func(*config.Config){wire}, edit...)...)
	pass := rand.Text()
	e.AddUser(t, testUser, pass, func(u *user.User) { u.Home = home })
	e.Start(t)
	if addrs := e.Server.Addrs(); len(addrs) != 2 {
		t.Fatalf("server listens on %v, want an explicit and an implicit listener", addrs)
	}
	return &fixture{
		Explicit: e.Explicit(),
		Implicit: e.Implicit(),
		User:     testUser,
		Password: pass,
		Home:     home,
		logs:     e.Logs,
		store:    e.Store,
	}
}

// wantTLSVersion fails the test unless the server logged TLS connections
// and every one of them used version (as the log writes it, "TLS 1.3").
func (f *fixture) wantTLSVersion(t *testing.T, version string) {
	t.Helper()
	n := 0
	for line := range strings.Lines(f.logs.String()) {
		if !strings.Contains(line, `msg="tls established"`) {
			continue
		}
		n++
		if !strings.Contains(line, `tls_version="`+version+`"`) {
			t.Errorf("want only %s connections; server logged %s", version, strings.TrimSpace(line))
			return
		}
	}
	if n == 0 {
		t.Errorf("server logged no TLS connection")
	}
}

// writeRandomFile creates a file of size random bytes and returns its
// SHA-256.
func writeRandomFile(t *testing.T, path string, size int) string {
	t.Helper()
	data := make([]byte, size)
	rand.Read(data)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// writePrefix copies the first n bytes of src to dst: what an interrupted
// transfer leaves behind.
func writePrefix(t *testing.T, src, dst string, n int64) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(out, in, n); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// fileSHA returns the SHA-256 of a file, or a description of why there is
// none, so that a comparison with a real sum fails with a clear message.
func fileSHA(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("<%v>", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Sprintf("<%v>", err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// wantSHA fails the test when the file at path does not have the sum want.
func wantSHA(t *testing.T, what, path, want string) {
	t.Helper()
	if got := fileSHA(path); got != want {
		t.Errorf("%s: sha256 %s, want %s", what, got, want)
	}
}

// wantExists fails the test when path's existence is not want.
func wantExists(t *testing.T, path string, want bool) {
	t.Helper()
	_, err := os.Stat(path)
	switch {
	case want && err != nil:
		t.Errorf("%s should exist: %v", path, err)
	case !want && err == nil:
		t.Errorf("%s should not exist", path)
	}
}
